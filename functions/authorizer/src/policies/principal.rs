//! A verified Cognito token as Verified Permissions models it for Cedar:
//!
//! - the principal `NS::User::"<userPoolId>|<sub>"`, the pool id being the last
//!   path segment of `iss`;
//! - its parents `NS::UserGroup::"<userPoolId>|<group>"`, one per `cognito:groups` entry;
//! - an ID token's other claims as the principal's attributes;
//! - an access token's other claims as `context.token` (the principal has none);
//! - the resource `NS::Application::"NS"`.
//!
//! Only what the schema declares is filled, with the schema's type: a claim
//! that is not declared is not passed, and one whose value does not fit its
//! declared type (a number where the schema says `String`) is left out, with
//! a log line naming the claim (never its value). A required attribute left
//! unfilled makes the request [`Inputs::incomplete`], which the evaluator
//! denies. It uses the schema's [`Shape`].

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use cedar_policy::{Context, Entity, EntityId, EntityTypeName, EntityUid, RestrictedExpression};
use claimsgate_core::{TokenUse, VerifiedToken};
use serde_json::Value;

use super::shape::{Attribute, Shape, Type};
use super::uses::Uses;

/// The claim Verified Permissions turns into the principal's parents.
const GROUPS: &str = "cognito:groups";

/// The entity types and the resource of a store, parsed once.
#[derive(Debug, Clone)]
pub struct Names {
    user: EntityTypeName,
    group: Option<EntityTypeName>,
    /// `NS::Application::"NS"`.
    pub resource: EntityUid,
}

impl Names {
    /// The names of `shape`'s namespace.
    ///
    /// # Errors
    /// When a name is not a Cedar name (the schema parser has checked them, so only on a bug).
    pub fn of(shape: &Shape) -> Result<Self, String> {
        let name = |n: &str| EntityTypeName::from_str(n).map_err(|e| format!("`{n}`: {e}"));
        let ns = &shape.namespace;
        Ok(Self {
            user: name(&format!("{ns}::User"))?,
            group: shape.group_type.as_deref().map(name).transpose()?,
            resource: EntityUid::from_type_name_and_id(
                name(&format!("{ns}::Application"))?,
                EntityId::new(ns),
            ),
        })
    }
}

/// What a request is made of.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// `NS::User::"<pool>|<sub>"`.
    pub principal: EntityUid,
    /// The principal with its attributes and groups.
    pub entity: Entity,
    /// `{token: …}` for an access token; empty for an ID token.
    pub context: Context,
    /// Names of the principal's groups, as in `cognito:groups`.
    pub groups: Vec<String>,
    /// The first required attribute that could not be filled, when one could not.
    pub incomplete: Option<String>,
}

/// The inputs of `token`'s requests against a store of `shape`, named by
/// `names`, with the attributes its policies read (`uses`).
pub fn inputs(
    shape: &Shape,
    names: &Names,
    uses: &Uses,
    token: &VerifiedToken,
) -> Result<Inputs, String> {
    let claims = token.claims.as_map();
    let sub = token.claims.sub().unwrap_or_default();
    let pool = token.claims.iss().and_then(|iss| iss.rsplit('/').next()).unwrap_or_default();
    let principal = EntityUid::from_type_name_and_id(
        names.user.clone(),
        EntityId::new(format!("{pool}|{sub}")),
    );
    let groups: Vec<String> = token.claims.groups().into_iter().map(str::to_owned).collect();
    let parents: HashSet<EntityUid> = match &names.group {
        Some(group) => groups
            .iter()
            .map(|g| {
                EntityUid::from_type_name_and_id(
                    group.clone(),
                    EntityId::new(format!("{pool}|{g}")),
                )
            })
            .collect(),
        None => HashSet::new(),
    };
    let mut incomplete = None;
    let (attributes, context) = match token.token_use {
        TokenUse::Id => {
            let reads = |name: &str| uses.principal_reads(name);
            (fill(&shape.user, claims, ("principal", &reads), &mut incomplete), Context::empty())
        }
        TokenUse::Access => {
            let required_user = shape.user.iter().find(|a| a.required);
            if let Some(attr) = required_user {
                incomplete = Some(format!(
                    "principal.{} (an access token gives the principal no attributes)",
                    attr.name
                ));
            }
            let token_type = token_record(shape);
            let context = match token_type {
                Some(attributes) => {
                    let reads = |name: &str| uses.token_reads(name);
                    let record =
                        fill(attributes, claims, ("context.token", &reads), &mut incomplete);
                    let token =
                        RestrictedExpression::new_record(record).map_err(|e| e.to_string())?;
                    Context::from_pairs([("token".to_owned(), token)]).map_err(|e| e.to_string())?
                }
                None => Context::empty(),
            };
            (HashMap::new(), context)
        }
    };
    let entity = Entity::new(principal.clone(), attributes, parents).map_err(|e| e.to_string())?;
    Ok(Inputs { principal, entity, context, groups, incomplete })
}

/// The `token` record of the actions' contexts: the first action that declares one.
fn token_record(shape: &Shape) -> Option<&[Attribute]> {
    shape.actions.iter().flat_map(|(_, context)| context).find_map(|attr| {
        match (&attr.name[..], &attr.ty) {
            ("token", Type::Record(attributes)) => Some(attributes.as_slice()),
            _ => None,
        }
    })
}

/// Reads every attribute: the inside of a record a policy reads.
fn all(_: &str) -> bool {
    true
}

/// The values of the declared `attributes` that `claims` can fill, of those
/// `reads` says a policy reads (a required one is checked either way).
fn fill(
    attributes: &[Attribute],
    claims: &serde_json::Map<String, Value>,
    (place, reads): (&str, &dyn Fn(&str) -> bool),
    incomplete: &mut Option<String>,
) -> HashMap<String, RestrictedExpression> {
    let mut out = HashMap::new();
    for attr in attributes {
        if !attr.required && !reads(&attr.name) {
            continue;
        }
        let value = match claims.get(&attr.name) {
            Some(_) if attr.name == GROUPS => None,
            Some(value) => {
                let filled = value_of(&attr.ty, value);
                if filled.is_none() {
                    tracing::warn!(
                        attribute = %format!("{place}.{}", attr.name),
                        expected = describe(&attr.ty),
                        "claim left out: its value does not fit the schema"
                    );
                }
                filled
            }
            // The dot form of Verified Permissions' older schemas: `custom:x` as `custom.x`.
            None => match (&attr.name[..], &attr.ty) {
                ("custom" | "cognito", Type::Record(inner)) => {
                    let prefix = format!("{}:", attr.name);
                    let nested: serde_json::Map<String, Value> = claims
                        .iter()
                        .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?.to_owned(), v.clone())))
                        .filter(|(k, _)| k != "groups")
                        .collect();
                    (!nested.is_empty())
                        .then(|| fill(inner, &nested, (place, &all), incomplete))
                        .and_then(|record| RestrictedExpression::new_record(record).ok())
                }
                _ => None,
            },
        };
        match value {
            Some(value) if reads(&attr.name) => {
                out.insert(attr.name.clone(), value);
            }
            Some(_) => {}
            None if attr.required && incomplete.is_none() => {
                *incomplete = Some(format!("{place}.{}", attr.name));
            }
            None => {}
        }
    }
    out
}

/// A claim's value as a Cedar value of type `ty`, when it fits.
fn value_of(ty: &Type, value: &Value) -> Option<RestrictedExpression> {
    match (ty, value) {
        (Type::String, Value::String(s)) => Some(RestrictedExpression::new_string(s.clone())),
        (Type::Long, Value::Number(n)) => n.as_i64().map(RestrictedExpression::new_long),
        (Type::Bool, Value::Bool(b)) => Some(RestrictedExpression::new_bool(*b)),
        // OAuth's `scope` is one space-separated string; the schema calls it a set.
        (Type::Set(element), Value::String(s)) if **element == Type::String => {
            Some(RestrictedExpression::new_set(
                s.split_ascii_whitespace().map(|w| RestrictedExpression::new_string(w.to_owned())),
            ))
        }
        (Type::Set(element), Value::Array(items)) => {
            let values: Option<Vec<_>> = items.iter().map(|item| value_of(element, item)).collect();
            values.map(RestrictedExpression::new_set)
        }
        (Type::Record(attributes), Value::Object(map)) => {
            let mut missing = None;
            let record = fill(attributes, map, ("record", &all), &mut missing);
            if missing.is_some() {
                return None;
            }
            RestrictedExpression::new_record(record).ok()
        }
        _ => None,
    }
}

fn describe(ty: &Type) -> String {
    match ty {
        Type::String => "String".into(),
        Type::Long => "Long".into(),
        Type::Bool => "Bool".into(),
        Type::Set(element) => format!("Set<{}>", describe(element)),
        Type::Record(_) => "a record".into(),
        Type::Unfillable(name) => format!("{name} (no claim fills it)"),
    }
}
