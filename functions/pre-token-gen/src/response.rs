//! Writing the trigger's answer into the event's `response`.
//!
//! Everything the event's `response` already carried stays, except a group
//! override without groups: Cognito reads that as "remove every group".
//!
//! It uses `event`; it is used by the crate root (lib.rs).

use claimsgate_core::rules::{PET_CLAIM, Pet};
use serde_json::{Map, Value};

use crate::event::Shape;

/// What to write into each customized token.
#[derive(Debug, Clone, Copy)]
pub struct Overrides<'a> {
    /// The `pet_preference` value, or `None` to add nothing.
    pub pet: Option<Pet>,
    /// Claims to suppress (already free of protected claims).
    pub suppress: &'a [String],
    /// False for client-credentials grants, which issue no ID token.
    pub id_token: bool,
}

/// Fills `event.response` for `shape`.
pub fn apply(event: &mut Map<String, Value>, shape: Shape, overrides: &Overrides<'_>) {
    let Some(response) = object_at(event, "response") else {
        return;
    };
    drop_empty_group_overrides(response);
    if overrides.pet.is_none() && overrides.suppress.is_empty() {
        return;
    }
    match shape {
        Shape::V1 => {
            if let Some(details) = object_at(response, "claimsOverrideDetails") {
                customize(details, overrides);
            }
        }
        Shape::V2 => {
            let Some(details) = object_at(response, "claimsAndScopeOverrideDetails") else {
                return;
            };
            if overrides.id_token
                && let Some(id) = object_at(details, "idTokenGeneration")
            {
                customize(id, overrides);
            }
            if let Some(access) = object_at(details, "accessTokenGeneration") {
                customize(access, overrides);
            }
        }
    }
}

/// Adds the claim and the suppressions to one token's override object.
fn customize(token: &mut Map<String, Value>, overrides: &Overrides<'_>) {
    if let Some(pet) = overrides.pet
        && let Some(claims) = object_at(token, "claimsToAddOrOverride")
    {
        claims.insert(PET_CLAIM.to_owned(), Value::String(pet.as_str().to_owned()));
    }
    let added = |name: &str| {
        token
            .get("claimsToAddOrOverride")
            .and_then(Value::as_object)
            .is_some_and(|claims| claims.contains_key(name))
    };
    let existing = token.get("claimsToSuppress").and_then(Value::as_array);
    let had_list = existing.is_some();
    // A claim both added and suppressed is a contradiction Cognito need not resolve.
    let mut list: Vec<Value> = existing
        .into_iter()
        .flatten()
        .filter(|v| !(overrides.pet.is_some() && v.as_str() == Some(PET_CLAIM)))
        .cloned()
        .collect();
    for claim in overrides.suppress {
        if !added(claim) && !list.iter().any(|v| v.as_str() == Some(claim)) {
            list.push(Value::String(claim.clone()));
        }
    }
    if had_list || !list.is_empty() {
        token.insert("claimsToSuppress".to_owned(), Value::Array(list));
    }
}

/// Removes a `groupOverrideDetails` that lists no group (null, `{}`, `groupsToOverride: []`).
fn drop_empty_group_overrides(response: &mut Map<String, Value>) {
    for key in ["claimsOverrideDetails", "claimsAndScopeOverrideDetails"] {
        let Some(details) = response.get_mut(key).and_then(Value::as_object_mut) else {
            continue;
        };
        let keeps_groups = details
            .get("groupOverrideDetails")
            .and_then(|g| g.get("groupsToOverride"))
            .and_then(Value::as_array)
            .is_some_and(|groups| !groups.is_empty());
        if !keeps_groups && details.remove("groupOverrideDetails").is_some() {
            tracing::warn!(
                details = key,
                "dropped a group override without groups: it would remove the user's groups"
            );
        }
    }
}

/// The object at `map[key]`, created when absent or null, replaced (and logged) when of another type.
fn object_at<'m>(map: &'m mut Map<String, Value>, key: &str) -> Option<&'m mut Map<String, Value>> {
    let slot = map.entry(key.to_owned()).or_insert(Value::Null);
    if !slot.is_object() {
        if !slot.is_null() {
            tracing::warn!(field = key, "replaced a value that is not an object");
        }
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    fn run(
        event: Value,
        shape: Shape,
        pet: Option<Pet>,
        suppress: &[&str],
        id_token: bool,
    ) -> Value {
        let suppress: Vec<String> = suppress.iter().map(|s| (*s).to_owned()).collect();
        let mut map = event.as_object().cloned().unwrap();
        apply(&mut map, shape, &Overrides { pet, suppress: &suppress, id_token });
        map.remove("response").unwrap()
    }

    #[test]
    fn v1_adds_the_claim_and_keeps_what_was_there() {
        let event = json!({"response": {"claimsOverrideDetails": {
            "claimsToAddOrOverride": {"team": "blue"},
            "claimsToSuppress": ["pet_preference", "email"],
            "groupOverrideDetails": {"groupsToOverride": ["admins"]}
        }, "other": 1}});
        let response = run(event, Shape::V1, Some(Pet::Dogs), &["email", "phone_number"], true);
        assert_eq!(
            response,
            json!({"claimsOverrideDetails": {
            "claimsToAddOrOverride": {"team": "blue", "pet_preference": "dogs"},
            "claimsToSuppress": ["email", "phone_number"],
            "groupOverrideDetails": {"groupsToOverride": ["admins"]}
        }, "other": 1})
        );
    }

    #[test]
    fn empty_group_overrides_are_never_emitted() {
        for group in [
            json!(null),
            json!({}),
            json!({"groupsToOverride": []}),
            json!({"groupsToOverride": null, "iamRolesToOverride": ["r"]}),
        ] {
            let event = json!({"response": {"claimsAndScopeOverrideDetails": {"groupOverrideDetails": group}}});
            let response = run(event, Shape::V2, None, &[], true);
            assert_eq!(response, json!({"claimsAndScopeOverrideDetails": {}}));
        }
    }

    #[test]
    fn v2_writes_both_tokens_and_machines_only_the_access_token() {
        let both = run(json!({}), Shape::V2, Some(Pet::Cats), &[], true);
        let claims = json!({"claimsToAddOrOverride": {"pet_preference": "cats"}});
        assert_eq!(
            both,
            json!({"claimsAndScopeOverrideDetails": {"idTokenGeneration": claims, "accessTokenGeneration": claims}})
        );
        let machine = run(json!({"response": null}), Shape::V2, Some(Pet::Cats), &[], false);
        assert_eq!(
            machine,
            json!({"claimsAndScopeOverrideDetails": {"accessTokenGeneration": claims}})
        );
    }

    #[test]
    fn nothing_to_do_leaves_the_response_alone() {
        let event = json!({"response": {"claimsOverrideDetails": null}});
        assert_eq!(run(event, Shape::V1, None, &[], true), json!({"claimsOverrideDetails": null}));
        assert_eq!(run(json!({"response": "junk"}), Shape::V1, None, &[], true), json!({}));
    }

    #[test]
    fn claims_the_event_already_suppresses_stay_suppressed_except_the_added_one() {
        let suppressing = |claims: Value| json!({"response": {"claimsOverrideDetails": {"claimsToSuppress": claims}}});
        let event = suppressing(json!(["custom:team", "pet_preference"]));
        assert_eq!(
            run(event, Shape::V1, Some(Pet::Dogs), &[], true),
            json!({"claimsOverrideDetails": {
                "claimsToSuppress": ["custom:team"],
                "claimsToAddOrOverride": {"pet_preference": "dogs"}
            }})
        );
        // No pet added: nothing contradicts the event's own suppression of the claim.
        let event = suppressing(json!(["pet_preference"]));
        assert_eq!(
            run(event, Shape::V1, None, &["email"], true),
            json!({"claimsOverrideDetails": {"claimsToSuppress": ["pet_preference", "email"]}})
        );
    }

    #[test]
    fn suppress_only_without_a_pet() {
        let response = run(json!({}), Shape::V1, None, &["email"], true);
        assert_eq!(response, json!({"claimsOverrideDetails": {"claimsToSuppress": ["email"]}}));
    }
}
