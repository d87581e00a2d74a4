//! A policy store, loaded and checked before any request: the schema parsed,
//! every policy parsed and validated with Cedar's strict validator, the
//! actions read as the API's routes, and what each request will need worked
//! out once (the entity names, which routes each policy's action scope
//! covers, which route patterns catch which routes' requests).
//!
//! A policy's id is its `@id("…")` annotation, or `file.cedar:LINE`.
//! It uses the store's files ([`super::source`]), the schema's [`Shape`], the
//! routes and their [`Overlap`]; the evaluator and the authorizer use it.

use std::collections::HashMap;
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Effect, Entities, EntityId, EntityTypeName, EntityUid, Policy,
    PolicyId, PolicySet, Request, Schema, SchemaFragment, ValidationMode, Validator,
};
use miette::Diagnostic;
use serde_json::{Value, json};

use super::error::{StoreError, line_at};
use super::overlap::Overlap;
use super::principal::Names;
use super::route::Routes;
use super::shape::Shape;
use super::source::{File, Source};
use super::uses::Uses;

/// One policy of the store, as the evaluator uses it.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Its id.
    pub id: PolicyId,
    /// `forbid` (else `permit`).
    pub forbid: bool,
    /// Its condition reads `action`, so it is evaluated once per route.
    pub per_route: bool,
    /// For the others: the routes its action scope covers, by route index.
    pub covers: Vec<bool>,
}

/// A loaded, validated policy store.
#[derive(Debug, Clone)]
pub struct Store {
    /// Where it came from.
    pub source: Source,
    /// The API's routes, one per action.
    pub routes: Routes,
    /// Each route's action, `NS::Action::"get /dogs"`.
    pub actions: Vec<EntityUid>,
    /// What the schema says principals and contexts hold.
    pub shape: Shape,
    /// The entity types and the resource.
    pub names: Names,
    /// The policies, in file order.
    pub rules: Vec<Rule>,
    /// Which route patterns catch which routes' requests.
    pub overlap: Overlap,
    /// The validator's warnings, as lines to log.
    pub warnings: Vec<String>,
    /// The attributes the policies read: the only ones a token fills.
    pub uses: Uses,
    /// The policies that do not read `action`, each as a `permit` for any action: one evaluation
    /// tells which of them hold for a principal.
    pub(super) once: PolicySet,
    /// The policies that read `action`, each as a `permit`, evaluated per route.
    pub(super) per_route: PolicySet,
    /// The schema's action entities (for action groups), when a policy is evaluated per route.
    pub(super) action_entities: Entities,
    /// Rule index by policy id.
    pub(super) index: HashMap<PolicyId, usize>,
}

impl Store {
    /// The store shipped in `policies/`.
    ///
    /// # Errors
    /// Only if the shipped files are broken, which a test rules out.
    pub fn shipped() -> Result<Self, StoreError> {
        Self::load(Source::shipped())
    }

    /// Parses and validates `source`.
    ///
    /// # Errors
    /// The first problem found, naming the file and the line.
    pub fn load(source: Source) -> Result<Self, StoreError> {
        let (file, json_format) = &source.schema;
        let (schema, schema_json) = schema(file, *json_format)?;
        let model = |message: String| StoreError::Model { file: file.name.clone(), message };
        let shape = Shape::read(&schema_json).map_err(model)?;
        let names = Names::of(&shape).map_err(model)?;
        let routes = Routes::new(shape.actions.iter().map(|(id, _)| id.as_str())).map_err(model)?;
        if routes.all().is_empty() {
            return Err(model("the schema declares no action; each action is a route, e.g. `action \"get /dogs\" appliesTo { … };`".into()));
        }
        let action_type = EntityTypeName::from_str(&format!("{}::Action", shape.namespace))
            .map_err(|e| model(e.to_string()))?;
        let actions: Vec<EntityUid> = routes
            .all()
            .iter()
            .map(|r| EntityUid::from_type_name_and_id(action_type.clone(), EntityId::new(r.id())))
            .collect();

        let (policies, files_of) = policies(&source.policies)?;
        let validation = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
        if let Some(error) = validation.validation_errors().next() {
            let id = error.policy_id();
            let (file, text) = files_of.get(id).map_or(("", ""), |(f, t)| (f.as_str(), t.as_str()));
            let line = error.labels().and_then(|mut l| l.next()).map(|l| line_at(text, l.offset()));
            let message = match error.help() {
                Some(help) => format!("{error}; {help}"),
                None => error.to_string(),
            };
            return Err(StoreError::Invalid {
                file: file.to_owned(),
                line,
                policy: id.to_string(),
                message,
            });
        }
        let warnings = validation.validation_warnings().map(ToString::to_string).collect();

        let action_entities =
            schema.action_entities().map_err(|e| model(format!("the schema's actions: {e}")))?;
        let mut rules = Vec::new();
        let mut once = Vec::new();
        let mut per_route = Vec::new();
        let mut ests = Vec::new();
        for policy in policies.policies() {
            let est =
                policy.to_json().map_err(|e| model(format!("policy {}: {e}", policy.id())))?;
            ests.push(est.clone());
            let reads_action = est.get("conditions").is_some_and(names_action);
            let rewrite = |action: Value| -> Result<Policy, StoreError> {
                let mut est = est.clone();
                est["effect"] = json!("permit");
                est["action"] = action;
                Policy::from_json(Some(policy.id().clone()), est)
                    .map_err(|e| model(format!("policy {}: {e}", policy.id())))
            };
            let covers = if reads_action {
                per_route.push(rewrite(est["action"].clone())?);
                Vec::new()
            } else {
                once.push(rewrite(json!({"op": "All"}))?);
                covered(&est["action"], &actions, &names, &action_entities).map_err(model)?
            };
            rules.push(Rule {
                id: policy.id().clone(),
                forbid: policy.effect() == Effect::Forbid,
                per_route: reads_action,
                covers,
            });
        }
        let set = |p: Vec<Policy>| PolicySet::from_policies(p).map_err(|e| model(e.to_string()));
        let index = rules.iter().enumerate().map(|(i, r)| (r.id.clone(), i)).collect();
        let overlap = Overlap::new(&routes);
        let uses = Uses::of(&ests);
        Ok(Self {
            uses,
            once: set(once)?,
            per_route: set(per_route)?,
            source,
            routes,
            actions,
            shape,
            names,
            rules,
            overlap,
            warnings,
            action_entities,
            index,
        })
    }

    /// The pairs of routes whose patterns catch each other's requests: a principal
    /// allowed one and denied the other is denied both (see [`super::iam`]).
    pub fn entangled_routes(&self) -> Vec<(&str, &str)> {
        let all = self.routes.all();
        let mut pairs = Vec::new();
        for (i, a) in all.iter().enumerate() {
            for (j, b) in all.iter().enumerate().skip(i + 1) {
                if self.overlap.catches(i, j) && self.overlap.catches(j, i) {
                    pairs.push((a.id(), b.id()));
                }
            }
        }
        pairs
    }

    /// Logs the validator's warnings (an unreachable policy, say) and the
    /// entangled routes, once at init.
    pub fn log_warnings(&self) {
        for warning in &self.warnings {
            tracing::warn!(warning, "policy store");
        }
        for (a, b) in self.entangled_routes() {
            tracing::warn!(
                routes = %format!("{a}, {b}"),
                "these routes' patterns catch each other's requests: a principal allowed one and denied the other is denied both"
            );
        }
    }
}

/// The schema, and its JSON form (common types resolved) for [`Shape::read`].
fn schema(file: &File, json_format: bool) -> Result<(Schema, Value), StoreError> {
    let error = |line: Option<usize>, message: String| StoreError::Schema {
        file: file.name.clone(),
        line,
        message,
    };
    if json_format {
        let json: Value = serde_json::from_str(&file.text)
            .map_err(|e| error(Some(e.line()), format!("not JSON: {e}")))?;
        let schema = Schema::from_json_value(json.clone()).map_err(|e| error(None, full(&e)))?;
        return Ok((schema, json));
    }
    let located = |e: &dyn Diagnostic| {
        e.labels().and_then(|mut l| l.next()).map(|l| line_at(&file.text, l.offset()))
    };
    // One parse: the fragment gives the schema and its JSON form (`Shape` resolves its names).
    let (fragment, _) = SchemaFragment::from_cedarschema_str(&file.text)
        .map_err(|e| error(located(&e), full(&e)))?;
    let json = fragment.clone().to_json_value().map_err(|e| error(None, full(&e)))?;
    let schema = Schema::from_schema_fragments([fragment]).map_err(|e| error(None, full(&e)))?;
    Ok((schema, json))
}

/// An error with its help, as one line.
fn full(error: &(impl Diagnostic + ?Sized)) -> String {
    let mut text = error.to_string();
    for related in error.related().into_iter().flatten() {
        text.push_str("; ");
        text.push_str(&related.to_string());
    }
    if let Some(help) = error.help() {
        text.push_str("; ");
        text.push_str(&help.to_string());
    }
    text
}

/// Every policy of every file, each under its id; and the file (name, text) of each id.
#[allow(clippy::type_complexity)]
fn policies(
    files: &[File],
) -> Result<(PolicySet, HashMap<PolicyId, (String, String)>), StoreError> {
    let mut all = PolicySet::new();
    let mut files_of = HashMap::new();
    for file in files {
        let parsed = PolicySet::from_str(&file.text).map_err(|e| {
            let line =
                e.labels().and_then(|mut l| l.next()).map(|l| line_at(&file.text, l.offset()));
            let line = line.or_else(|| {
                e.related()
                    .into_iter()
                    .flatten()
                    .find_map(|r| r.labels().and_then(|mut l| l.next()))
                    .map(|l| line_at(&file.text, l.offset()))
            });
            StoreError::Policy { file: file.name.clone(), line, message: full(&e) }
        })?;
        if parsed.templates().next().is_some() {
            return Err(StoreError::Policy {
                file: file.name.clone(),
                line: None,
                message: "holds a template (`?principal` or `?resource`); a store here is static policies only".into(),
            });
        }
        let short = file.name.rsplit('/').next().unwrap_or(&file.name);
        let mut cursor = 0;
        for policy in parsed.policies() {
            let text = policy.to_string();
            let offset = file.text[cursor..].find(text.trim()).map_or(cursor, |o| cursor + o);
            cursor = offset + 1;
            let id = match policy.annotation("id") {
                Some(id) => PolicyId::new(id),
                None => PolicyId::new(format!("{short}:{}", line_at(&file.text, offset))),
            };
            if files_of.contains_key(&id) {
                return Err(StoreError::Policy {
                    file: file.name.clone(),
                    line: Some(line_at(&file.text, offset)),
                    message: format!(
                        "a second policy with the id `{id}`; ids must be unique in a store"
                    ),
                });
            }
            all.add(policy.new_id(id.clone())).map_err(|e| StoreError::Policy {
                file: file.name.clone(),
                line: Some(line_at(&file.text, offset)),
                message: e.to_string(),
            })?;
            files_of.insert(id, (file.name.clone(), file.text.clone()));
        }
    }
    Ok((all, files_of))
}

/// True when a policy's conditions name the variable `action`.
fn names_action(json: &Value) -> bool {
    match json {
        Value::Object(map) => {
            map.get("Var").and_then(Value::as_str) == Some("action")
                || map.values().any(names_action)
        }
        Value::Array(items) => items.iter().any(names_action),
        _ => false,
    }
}

/// Which of `actions` an action scope (`action`, `== A`, `in [A, B]`, `in Group`)
/// covers, asked of Cedar itself with every other part of the policy left out.
fn covered(
    scope: &Value,
    actions: &[EntityUid],
    names: &Names,
    action_entities: &Entities,
) -> Result<Vec<bool>, String> {
    let probe = json!({
        "effect": "permit",
        "principal": {"op": "All"},
        "action": scope,
        "resource": {"op": "All"},
        "conditions": [],
    });
    let policy = Policy::from_json(None, probe).map_err(|e| e.to_string())?;
    let set = PolicySet::from_policies([policy]).map_err(|e| e.to_string())?;
    let authorizer = Authorizer::new();
    actions
        .iter()
        .map(|action| {
            let request = Request::new(
                names.resource.clone(),
                action.clone(),
                names.resource.clone(),
                Context::empty(),
                None,
            )
            .map_err(|e| e.to_string())?;
            Ok(authorizer.is_authorized(&request, &set, action_entities).decision()
                == Decision::Allow)
        })
        .collect()
}
