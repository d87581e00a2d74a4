//! What a store's schema says a principal and a request context hold: the
//! namespace, the `User` entity's attributes and parent type, and each
//! action's context, read from the schema's JSON form (common types resolved).
//! The token mapping fills exactly these, with these types. Plain data and
//! the functions that read it; it uses nothing else of the crate.

use serde_json::{Map, Value};

/// A Cedar type, as far as a token claim can fill it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// `String`.
    String,
    /// `Long`.
    Long,
    /// `Bool` (`Boolean` in JSON).
    Bool,
    /// `Set<T>`.
    Set(Box<Type>),
    /// A record with these attributes.
    Record(Vec<Attribute>),
    /// An entity reference or an extension type (`ipaddr`, `decimal`, …): no claim fills one.
    Unfillable(String),
}

/// One attribute of a record type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Its name, as in the token (`cognito:username` keeps its colon).
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// Whether every principal (or context) must have it.
    pub required: bool,
}

/// The parts of a schema the authorizer builds requests from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// The namespace of the actions and of `User`, `UserGroup`, `Application`.
    pub namespace: String,
    /// The attributes of `NS::User`.
    pub user: Vec<Attribute>,
    /// The type of `User`'s parents (the groups), e.g. `Claimsgate::UserGroup`.
    pub group_type: Option<String>,
    /// Each action's id and its context's attributes.
    pub actions: Vec<(String, Vec<Attribute>)>,
}

impl Shape {
    /// Reads the JSON form of a schema.
    ///
    /// # Errors
    /// What the authorizer cannot work with: actions in no or several
    /// namespaces, no `User` or `Application` entity type, `User` with several parent types.
    pub fn read(schema: &Value) -> Result<Self, String> {
        let spaces = schema.as_object().ok_or("the schema is not a JSON object")?;
        let with_actions: Vec<(&String, &Value)> = spaces
            .iter()
            .filter(|(_, space)| {
                space.get("actions").and_then(Value::as_object).is_some_and(|a| !a.is_empty())
            })
            .collect();
        let [(namespace, space)] = with_actions.as_slice() else {
            return Err(
                "the actions (the API's routes) must all be in one namespace, e.g. `namespace Claimsgate { … }`"
                    .into(),
            );
        };
        if namespace.is_empty() {
            return Err("the actions must be in a namespace, e.g. `namespace Claimsgate { … }`, as Verified Permissions names them".into());
        }
        let resolve = Resolver { namespace, spaces };
        let entity = |name: &str| space.get("entityTypes").and_then(|e| e.get(name));
        let user = entity("User").ok_or_else(|| {
            format!("the schema has no entity type `{namespace}::User`, the principal of every request (Verified Permissions' mapping of a Cognito user)")
        })?;
        if entity("Application").is_none() {
            return Err(format!(
                "the schema has no entity type `{namespace}::Application`, the resource of every request (as in an API-linked policy store)"
            ));
        }
        let parents: Vec<&str> = user
            .get("memberOfTypes")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let group_type = match parents.as_slice() {
            [] => None,
            [one] => Some(qualified(namespace, one)),
            _ => {
                return Err(format!(
                    "`{namespace}::User` is a member of several types; the groups of `cognito:groups` need one (e.g. `entity User in [UserGroup]`)"
                ));
            }
        };
        let user = match user.get("shape") {
            Some(shape) => match resolve.ty(shape, 0) {
                Type::Record(attributes) => attributes,
                _ => return Err(format!("the shape of `{namespace}::User` is not a record")),
            },
            None => Vec::new(),
        };
        let mut actions = Vec::new();
        for (id, action) in
            with_actions[0].1.get("actions").and_then(Value::as_object).into_iter().flatten()
        {
            let context = match action.pointer("/appliesTo/context") {
                Some(context) => match resolve.ty(context, 0) {
                    Type::Record(attributes) => attributes,
                    _ => return Err(format!("the context of action \"{id}\" is not a record")),
                },
                None => Vec::new(),
            };
            actions.push((id.clone(), context));
        }
        Ok(Self { namespace: (*namespace).clone(), user, group_type, actions })
    }
}

fn qualified(namespace: &str, name: &str) -> String {
    if name.contains("::") { name.to_owned() } else { format!("{namespace}::{name}") }
}

/// Resolves type references against the schema's common types.
struct Resolver<'a> {
    namespace: &'a str,
    spaces: &'a Map<String, Value>,
}

impl Resolver<'_> {
    fn common(&self, name: &str) -> Option<&Value> {
        let (space, short) = match name.rsplit_once("::") {
            Some((space, short)) => (space, short),
            None => (self.namespace, name),
        };
        let lookup = |space: &str| self.spaces.get(space)?.get("commonTypes")?.get(short);
        lookup(space).or_else(|| lookup(""))
    }

    fn ty(&self, json: &Value, depth: usize) -> Type {
        // Common types may not refer to themselves, but a malformed file must not loop.
        if depth > 32 {
            return Type::Unfillable("a type nested too deep".into());
        }
        let name = json.get("type").and_then(Value::as_str).unwrap_or_default();
        match name {
            "String" => Type::String,
            "Long" => Type::Long,
            "Boolean" | "Bool" => Type::Bool,
            "Set" => Type::Set(Box::new(
                json.get("element")
                    .map_or(Type::Unfillable("Set".into()), |e| self.ty(e, depth + 1)),
            )),
            "Record" => Type::Record(
                json.get("attributes")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .map(|(attr, spec)| Attribute {
                        name: attr.clone(),
                        ty: self.ty(spec, depth + 1),
                        required: spec.get("required").and_then(Value::as_bool).unwrap_or(true),
                    })
                    .collect(),
            ),
            "Entity" | "Extension" => Type::Unfillable(
                json.get("name").and_then(Value::as_str).unwrap_or(name).to_owned(),
            ),
            // A name that is a common type, else (when no entity type takes it) a primitive.
            "EntityOrCommon" => {
                let target = json.get("name").and_then(Value::as_str).unwrap_or_default();
                match self.common(target) {
                    Some(common) => self.ty(common, depth + 1),
                    None => match target.trim_start_matches("__cedar::") {
                        "String" => Type::String,
                        "Long" => Type::Long,
                        "Bool" | "Boolean" => Type::Bool,
                        _ => Type::Unfillable(target.to_owned()),
                    },
                }
            }
            other => match self.common(other) {
                Some(common) => self.ty(common, depth + 1),
                None => Type::Unfillable(other.to_owned()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_user_its_groups_and_each_context() {
        let schema = json!({"Shop": {
            "commonTypes": {"Token": {"type": "Record", "attributes": {
                "scope": {"type": "Set", "element": {"type": "String"}, "required": false}}}},
            "entityTypes": {"User": {"memberOfTypes": ["UserGroup"], "shape": {"type": "Record", "attributes": {
                "email": {"type": "String"}, "age": {"type": "Long", "required": false},
                "manager": {"type": "Entity", "name": "User", "required": false},
                "nick": {"type": "EntityOrCommon", "name": "String", "required": false},
                "adult": {"type": "EntityOrCommon", "name": "Bool", "required": false},
                "admin": {"type": "EntityOrCommon", "name": "__cedar::Boolean", "required": false},
                "age": {"type": "EntityOrCommon", "name": "__cedar::Long", "required": false},
                "token": {"type": "EntityOrCommon", "name": "Token", "required": false}}}},
                "UserGroup": {}, "Application": {}},
            "actions": {"get /x": {"appliesTo": {"principalTypes": ["User"], "resourceTypes": ["Application"],
                "context": {"type": "Record", "attributes": {"token": {"type": "Token", "required": false}}}}}}
        }});
        let shape = Shape::read(&schema).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(shape.namespace, "Shop");
        assert_eq!(shape.group_type.as_deref(), Some("Shop::UserGroup"));
        let email = shape.user.iter().find(|a| a.name == "email").map(|a| (&a.ty, a.required));
        assert_eq!(email, Some((&Type::String, true)));
        let manager = shape.user.iter().find(|a| a.name == "manager").map(|a| a.ty.clone());
        assert_eq!(manager, Some(Type::Unfillable("User".into())));
        // A name the Cedar schema format leaves unresolved: a common type, else a primitive.
        let ty = |name: &str| shape.user.iter().find(|a| a.name == name).map(|a| a.ty.clone());
        assert_eq!(ty("nick"), Some(Type::String));
        assert_eq!(ty("adult"), Some(Type::Bool));
        assert_eq!(ty("admin"), Some(Type::Bool));
        assert_eq!(ty("age"), Some(Type::Long));
        assert!(matches!(ty("token"), Some(Type::Record(_))));
        let token = &shape.actions[0].1[0];
        assert_eq!(token.name, "token");
        assert!(
            matches!(&token.ty, Type::Record(a) if a[0].ty == Type::Set(Box::new(Type::String)))
        );
    }

    #[test]
    fn says_what_a_store_lacks() {
        let no_user =
            json!({"Shop": {"entityTypes": {"Application": {}}, "actions": {"get /x": {}}}});
        assert!(
            Shape::read(&no_user).err().unwrap_or_default().contains("no entity type `Shop::User`")
        );
        let no_app = json!({"Shop": {"entityTypes": {"User": {}}, "actions": {"get /x": {}}}});
        assert!(Shape::read(&no_app).err().unwrap_or_default().contains("`Shop::Application`"));
        let two = json!({"A": {"actions": {"get /x": {}}}, "B": {"actions": {"get /y": {}}}});
        assert!(Shape::read(&two).err().unwrap_or_default().contains("one namespace"));
        let bare = json!({"": {"entityTypes": {"User": {}, "Application": {}}, "actions": {"get /x": {}}}});
        assert!(Shape::read(&bare).err().unwrap_or_default().contains("in a namespace"));
    }

    /// The type of `User`'s one attribute `deep`: a String wrapped `levels` times by `wrap`,
    /// with the common types `commons` beside it.
    fn deep(levels: usize, wrap: impl Fn(usize, Value) -> Value, commons: Value) -> Type {
        let inner = (0..levels).rev().fold(json!({"type": "String"}), |t, i| wrap(i, t));
        let schema = json!({"Shop": {"commonTypes": commons,
            "entityTypes": {"User": {"shape": {"type": "Record", "attributes": {"deep": inner}}}, "Application": {}},
            "actions": {"get /x": {}}}});
        let shape = Shape::read(&schema).unwrap_or_else(|e| panic!("{e}"));
        shape.user[0].ty.clone()
    }

    /// The innermost type under records and sets.
    fn leaf(ty: &Type) -> &Type {
        match ty {
            Type::Record(attributes) => attributes.first().map_or(ty, |a| leaf(&a.ty)),
            Type::Set(element) => leaf(element),
            _ => ty,
        }
    }

    #[test]
    fn types_nest_thirty_two_deep_through_records_sets_and_common_types_and_no_deeper() {
        let record = |_: usize, t: Value| json!({"type": "Record", "attributes": {"a": t}});
        let set = |_: usize, t: Value| json!({"type": "Set", "element": t});
        // `deep` is T0; Ti is T(i+1), as a plain name or as the Cedar format leaves it.
        let named = |i: usize, _: Value| json!({"type": format!("T{i}")});
        let unresolved =
            |i: usize, _: Value| json!({"type": "EntityOrCommon", "name": format!("T{i}")});
        let chain = |levels: usize, link: &dyn Fn(usize, Value) -> Value| {
            let mut commons = serde_json::Map::new();
            for i in 0..levels {
                let next = if i + 1 < levels {
                    link(i + 1, Value::Null)
                } else {
                    json!({"type": "String"})
                };
                commons.insert(format!("T{i}"), next);
            }
            Value::Object(commons)
        };
        // `deep` sits one level into User's record: 31 levels more reach depth 32.
        for levels in [31, 32] {
            let fits = levels == 31;
            for wrap in [&record as &dyn Fn(usize, Value) -> Value, &set] {
                let ty = deep(levels, wrap, json!({}));
                assert_eq!(leaf(&ty) == &Type::String, fits, "{levels} levels: {ty:?}");
            }
            for link in [&named as &dyn Fn(usize, Value) -> Value, &unresolved] {
                let first = link(0, Value::Null);
                let ty = deep(1, |_, _| first.clone(), chain(levels, link));
                assert_eq!(ty == Type::String, fits, "{levels} common types: {ty:?}");
            }
        }
    }
}
