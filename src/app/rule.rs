//! Which rule gave the user their `pet_preference`: the trigger's own pure
//! function ([`assign_pet`]) run again over the user's attributes, never a copy of it.
//!
//! It uses nothing else of the crate; it is used by `app::page`, `app::view`.

use claimsgate_core::rules::{Basis, EmailCheck, PET_ATTRIBUTE, assign_pet};
use serde_json::{Map, Value};

/// The rule, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The basis the trigger logs (`attribute`, `email_domain`, `default`), or `trigger`
    /// when the built-in rules do not give the token's pet (another trigger answered).
    pub basis: &'static str,
    /// What decided, in words.
    pub text: String,
}

/// Explains `claimed` (the token's `pet_preference`, if any) for a user with
/// `attributes`, under the trigger's `config` (`None`: the rules are unknown).
#[must_use]
pub fn explain(
    config: Option<&pre_token_gen::Config>,
    attributes: Option<&Map<String, Value>>,
    claimed: Option<&str>,
) -> Explanation {
    let other = || Explanation {
        basis: "trigger",
        text: "set by the Pre Token Generation trigger, not by the built-in rules".into(),
    };
    let (Some(config), Some(attributes)) = (config, attributes) else {
        return other();
    };
    let assignment = assign_pet(config.pet_rules(), config.default_pet(), attributes);
    if assignment.pet.map(|p| p.as_str()) != claimed {
        return other();
    }
    let attribute = || {
        attributes
            .get(PET_ATTRIBUTE)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .unwrap_or_default()
    };
    let pet = assignment.pet.map_or("none", |p| p.as_str());
    let mut text = match (assignment.basis, assignment.rule) {
        (Basis::Attribute, _) => {
            format!("the user attribute {PET_ATTRIBUTE} is \"{}\"", attribute())
        }
        (Basis::EmailDomain, Some(rule)) => format!(
            "the verified email's domain matches the PET_RULES entry {}={}",
            rule.domain,
            rule.pet.as_str()
        ),
        (Basis::EmailDomain | Basis::Default, _) => {
            let why = match assignment.email {
                EmailCheck::NotVerified => "the email is not verified",
                EmailCheck::Missing => "the user has no email",
                EmailCheck::Malformed => "the email is not a plain address",
                EmailCheck::NoRule | EmailCheck::Skipped | EmailCheck::Matched => {
                    "no PET_RULES domain matches the email"
                }
            };
            format!("DEFAULT_PET={pet}: {why}")
        }
    };
    if assignment.attribute_ignored {
        text.push_str(&format!(
            "; {PET_ATTRIBUTE} \"{}\" is not dogs or cats, so it was ignored",
            attribute()
        ));
    }
    Explanation { basis: assignment.basis.as_str(), text }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    fn attrs(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn names_the_rule_the_trigger_used() {
        let config = pre_token_gen::Config::default();
        let cases = [
            (
                json!({"email": "a@amazon.com", "email_verified": "true"}),
                Some("dogs"),
                "email_domain",
                "the verified email's domain matches the PET_RULES entry amazon.com=dogs",
            ),
            (
                json!({"email": "a@example.com", "email_verified": "true"}),
                Some("cats"),
                "default",
                "DEFAULT_PET=cats: no PET_RULES domain matches the email",
            ),
            (
                json!({"email": "a@amazon.com", "email_verified": "false"}),
                Some("cats"),
                "default",
                "DEFAULT_PET=cats: the email is not verified",
            ),
            (
                json!({"email": "a@example.com", "email_verified": "true", "custom:pet_preference": "DOGS"}),
                Some("dogs"),
                "attribute",
                "the user attribute custom:pet_preference is \"DOGS\"",
            ),
            (
                json!({"email": "a@example.com", "email_verified": "true", "custom:pet_preference": "<b>x</b>"}),
                Some("cats"),
                "default",
                "DEFAULT_PET=cats: no PET_RULES domain matches the email; custom:pet_preference \"<b>x</b>\" is not dogs or cats, so it was ignored",
            ),
        ];
        for (attributes, claimed, basis, text) in cases {
            let got = explain(Some(&config), Some(&attrs(attributes.clone())), claimed);
            assert_eq!((got.basis, got.text.as_str()), (basis, text), "{attributes}");
        }
    }

    #[test]
    fn a_pet_the_rules_do_not_give_is_the_trigger_s_doing() {
        let config = pre_token_gen::Config::default();
        let user = attrs(json!({"email": "a@amazon.com", "email_verified": "true"}));
        assert_eq!(explain(Some(&config), Some(&user), Some("cats")).basis, "trigger");
        assert_eq!(explain(Some(&config), Some(&user), None).basis, "trigger");
        assert_eq!(explain(None, Some(&user), Some("dogs")).basis, "trigger");
        assert_eq!(explain(Some(&config), None, Some("dogs")).basis, "trigger");
    }
}
