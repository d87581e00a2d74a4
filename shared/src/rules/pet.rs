//! The `Pet` type and the trigger's assignment rules.
//!
//! It uses `config`, `error`; it is used by `rules`.

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

use crate::config::list;
use crate::error::ConfigError;

/// The value of the `pet_preference` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pet {
    /// `dogs`
    Dogs,
    /// `cats`
    Cats,
}

impl Pet {
    /// The claim value: `dogs` or `cats`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dogs => "dogs",
            Self::Cats => "cats",
        }
    }
}

impl fmt::Display for Pet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Pet {
    type Err = ();

    /// `dogs` or `cats`, in any case, surrounding blanks ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("dogs") {
            Ok(Self::Dogs)
        } else if s.eq_ignore_ascii_case("cats") {
            Ok(Self::Cats)
        } else {
            Err(())
        }
    }
}

/// The user attribute whose valid value (`dogs`/`cats`, any case) wins over every other rule.
pub const PET_ATTRIBUTE: &str = "custom:pet_preference";

/// The claim the trigger adds to tokens.
pub const PET_CLAIM: &str = "pet_preference";

/// One `PET_RULES` entry: a verified email at `domain` (or a subdomain of it) earns `pet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainRule {
    /// Lower-case domain without a trailing dot, e.g. `amazon.com`.
    pub domain: String,
    /// The pet it assigns.
    pub pet: Pet,
}

/// The email-domain rules of `PET_RULES`, in the order given; the first match wins.
///
/// Syntax: `domain=pet` entries separated by `,` or `;`, e.g.
/// `amazon.com=dogs,example.org=cats`; `none` means no domain rule. Domains and
/// pets are case-insensitive; a domain must be a plain host name (no `@`, no `*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PetRules {
    rules: Vec<DomainRule>,
}

impl PetRules {
    /// The environment variable these rules are read from.
    pub const VAR: &'static str = "PET_RULES";
    /// The rules when `PET_RULES` is unset or blank.
    pub const DEFAULT: &'static str = "amazon.com=dogs";

    /// No domain rule: only the attribute and `DEFAULT_PET` decide.
    #[must_use]
    pub fn none() -> Self {
        Self { rules: Vec::new() }
    }

    /// Parses a `PET_RULES` value (blank means [`PetRules::DEFAULT`]).
    ///
    /// # Errors
    /// A [`ConfigError`] for `PET_RULES` naming the first entry that is not `domain=dogs|cats`.
    pub fn parse(value: &str) -> Result<Self, ConfigError> {
        let value = value.trim();
        if value.is_empty() {
            return Self::parse(Self::DEFAULT);
        }
        if value.eq_ignore_ascii_case("none") {
            return Ok(Self::none());
        }
        let mut rules = Vec::new();
        for entry in value.split(';').flat_map(list) {
            let bad = |why: &str| {
                ConfigError::new(
                    Self::VAR,
                    format!(
                        "`{entry}` {why}; write domain=dogs or domain=cats, comma-separated, or `none`"
                    ),
                )
            };
            let (domain, pet) = entry.split_once('=').ok_or_else(|| bad("has no `=`"))?;
            let pet = pet.parse::<Pet>().map_err(|()| bad("names no pet (dogs or cats)"))?;
            let domain = domain.trim().to_ascii_lowercase();
            let domain = domain.strip_suffix('.').unwrap_or(&domain);
            if !is_host_name(domain) {
                return Err(bad("has no valid domain (a host name such as example.com)"));
            }
            rules.push(DomainRule { domain: domain.to_owned(), pet });
        }
        if rules.is_empty() {
            return Err(ConfigError::new(
                Self::VAR,
                "lists no rule; write domain=pet entries or `none`",
            ));
        }
        Ok(Self { rules })
    }

    /// The rules, in match order.
    pub fn rules(&self) -> &[DomainRule] {
        &self.rules
    }

    /// The first rule whose domain is `domain` or a parent of it (case-insensitive).
    pub fn first_match(&self, domain: &str) -> Option<&DomainRule> {
        self.rules.iter().find(|rule| domain_matches(domain, &rule.domain))
    }
}

impl Default for PetRules {
    /// `amazon.com=dogs`.
    fn default() -> Self {
        Self { rules: vec![DomainRule { domain: "amazon.com".to_owned(), pet: Pet::Dogs }] }
    }
}

/// `DEFAULT_PET`: what a user gets when neither the attribute nor a domain rule decides.
pub const DEFAULT_PET_VAR: &str = "DEFAULT_PET";

/// The pet of `DEFAULT_PET` when it is unset.
pub const DEFAULT_PET: Option<Pet> = Some(Pet::Cats);

/// Reads a pet setting such as `DEFAULT_PET`: `dogs`, `cats` or `none` (no
/// claim), in any case; blank gives `fallback`.
///
/// # Errors
/// A [`ConfigError`] for `var` when the value is anything else.
pub fn parse_pet_setting(
    var: &'static str,
    value: &str,
    fallback: Option<Pet>,
) -> Result<Option<Pet>, ConfigError> {
    let value = value.trim();
    if value.is_empty() {
        Ok(fallback)
    } else if value.eq_ignore_ascii_case("none") {
        Ok(None)
    } else {
        value.parse::<Pet>().map(Some).map_err(|()| {
            ConfigError::new(var, format!("`{value}` is not one of dogs, cats, none"))
        })
    }
}

/// Which rule decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// A valid `custom:pet_preference` attribute.
    Attribute,
    /// A `PET_RULES` domain matched the verified email.
    EmailDomain,
    /// Neither: `DEFAULT_PET`.
    Default,
}

impl Basis {
    /// Stable snake_case name for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Attribute => "attribute",
            Self::EmailDomain => "email_domain",
            Self::Default => "default",
        }
    }
}

/// What the email contributed (for logs; the email itself is never logged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailCheck {
    /// Not looked at: the attribute decided.
    Skipped,
    /// `email_verified` is not the string `true` (absent, `false`, or another type).
    NotVerified,
    /// Verified, but the `email` attribute is absent.
    Missing,
    /// Verified, but not one well-formed `local@domain` string.
    Malformed,
    /// Verified and well-formed; no rule names its domain.
    NoRule,
    /// A rule matched.
    Matched,
}

impl EmailCheck {
    /// Stable snake_case name for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Skipped => "skipped",
            Self::NotVerified => "not_verified",
            Self::Missing => "missing",
            Self::Malformed => "malformed",
            Self::NoRule => "no_rule",
            Self::Matched => "matched",
        }
    }
}

/// The outcome of [`assign_pet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment<'r> {
    /// The claim value, or `None` to add no claim.
    pub pet: Option<Pet>,
    /// Which rule decided.
    pub basis: Basis,
    /// What the email contributed.
    pub email: EmailCheck,
    /// The domain rule that matched, if one did.
    pub rule: Option<&'r DomainRule>,
    /// True when `custom:pet_preference` was present but not `dogs`/`cats` (and so ignored).
    pub attribute_ignored: bool,
}

/// Decides a user's pet from their Cognito `userAttributes`.
///
/// In order: a valid `custom:pet_preference` (any case); else, only when
/// `email_verified` is the string `true`, the first rule matching the email's
/// domain; else `default`. Odd values never fail: they are ignored and reported.
#[must_use]
pub fn assign_pet<'r>(
    rules: &'r PetRules,
    default: Option<Pet>,
    attributes: &Map<String, Value>,
) -> Assignment<'r> {
    let attribute = attribute_pet(attributes.get(PET_ATTRIBUTE));
    if let Ok(Some(pet)) = attribute {
        return Assignment {
            pet: Some(pet),
            basis: Basis::Attribute,
            email: EmailCheck::Skipped,
            rule: None,
            attribute_ignored: false,
        };
    }
    let attribute_ignored = attribute.is_err();
    let (email, rule) = if !is_verified(attributes.get("email_verified")) {
        (EmailCheck::NotVerified, None)
    } else {
        match attributes.get("email") {
            None | Some(Value::Null) => (EmailCheck::Missing, None),
            Some(Value::String(email)) => match email_domain(email) {
                None => (EmailCheck::Malformed, None),
                Some(domain) => match rules.first_match(domain) {
                    Some(rule) => (EmailCheck::Matched, Some(rule)),
                    None => (EmailCheck::NoRule, None),
                },
            },
            Some(_) => (EmailCheck::Malformed, None),
        }
    };
    match rule {
        Some(rule) => Assignment {
            pet: Some(rule.pet),
            basis: Basis::EmailDomain,
            email,
            rule: Some(rule),
            attribute_ignored,
        },
        None => {
            Assignment { pet: default, basis: Basis::Default, email, rule: None, attribute_ignored }
        }
    }
}

/// Reads `custom:pet_preference`: `Ok(Some)` when valid, `Ok(None)` when absent or blank,
/// `Err` when present but unusable (another word, another JSON type).
fn attribute_pet(value: Option<&Value>) -> Result<Option<Pet>, ()> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s.parse::<Pet>().map(Some),
        Some(_) => Err(()),
    }
}

/// True only for the string `true` (any case): Cognito sends attributes as strings,
/// and anything else is not proof that the user owns the address.
#[must_use]
pub fn is_verified(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::String(s)) if s.eq_ignore_ascii_case("true"))
}

/// The domain of a well-formed address `local@domain`, or `None`.
///
/// Exactly one `@`, a non-empty local part without blanks or control
/// characters, and a host name of letters, digits, `-` and dots, without a
/// trailing dot. Anything looser is refused: a domain rule is a privilege, and
/// mail systems disagree on how to read stranger addresses.
#[must_use]
pub fn email_domain(email: &str) -> Option<&str> {
    let (local, domain) = email.split_once('@')?;
    let clean_local =
        !local.is_empty() && !local.chars().any(|c| c.is_whitespace() || c.is_control());
    (clean_local && is_host_name(domain)).then_some(domain)
}

/// True when `domain` is `rule_domain` or a subdomain of it, ignoring ASCII case.
#[must_use]
pub fn domain_matches(domain: &str, rule_domain: &str) -> bool {
    if domain.len() == rule_domain.len() {
        return domain.eq_ignore_ascii_case(rule_domain);
    }
    domain.len() > rule_domain.len() + 1
        && domain
            .get(domain.len() - rule_domain.len() - 1..)
            .and_then(|tail| tail.strip_prefix('.'))
            .is_some_and(|parent| parent.eq_ignore_ascii_case(rule_domain))
}

/// A DNS host name: 1 to 253 characters, labels of 1 to 63 letters, digits or `-`,
/// not starting or ending with `-`, no empty label (so no trailing dot).
fn is_host_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    const CATS: Option<Pet> = Some(Pet::Cats);
    const DOGS: Option<Pet> = Some(Pet::Dogs);

    fn decide(
        rules: &PetRules,
        default: Option<Pet>,
        attributes: Value,
    ) -> (Option<Pet>, Basis, EmailCheck) {
        let map = attributes.as_object().cloned().unwrap();
        let a = assign_pet(rules, default, &map);
        (a.pet, a.basis, a.email)
    }

    #[test]
    fn default_rules_table() {
        use Basis::{Attribute as A, Default as D, EmailDomain as E};
        use EmailCheck::*;
        let rules = PetRules::default();
        #[rustfmt::skip]
        let cases: &[(&str, Value, Option<Pet>, Basis, EmailCheck)] = &[
            ("attribute dogs", json!({"custom:pet_preference": "dogs"}), DOGS, A, Skipped),
            ("attribute any case", json!({"custom:pet_preference": " CaTs "}), CATS, A, Skipped),
            ("attribute beats domain", json!({"custom:pet_preference": "cats", "email": "a@amazon.com", "email_verified": "true"}), CATS, A, Skipped),
            ("bad attribute falls through", json!({"custom:pet_preference": "birds", "email": "a@amazon.com", "email_verified": "true"}), DOGS, E, Matched),
            ("non-string attribute falls through", json!({"custom:pet_preference": 1}), CATS, D, NotVerified),
            ("blank attribute is absent", json!({"custom:pet_preference": "", "email": "a@amazon.com", "email_verified": "true"}), DOGS, E, Matched),
            ("verified exact domain", json!({"email": "test-user@amazon.com", "email_verified": "true"}), DOGS, E, Matched),
            ("verified subdomain", json!({"email": "a@corp.amazon.com", "email_verified": "true"}), DOGS, E, Matched),
            ("upper case email and flag", json!({"email": "A@AMAZON.COM", "email_verified": "TRUE"}), DOGS, E, Matched),
            ("unverified email", json!({"email": "a@amazon.com", "email_verified": "false"}), CATS, D, NotVerified),
            ("missing email_verified", json!({"email": "a@amazon.com"}), CATS, D, NotVerified),
            ("boolean email_verified", json!({"email": "a@amazon.com", "email_verified": true}), CATS, D, NotVerified),
            ("padded email_verified", json!({"email": "a@amazon.com", "email_verified": " true"}), CATS, D, NotVerified),
            ("domain as prefix", json!({"email": "a@amazon.com.evil.io", "email_verified": "true"}), CATS, D, NoRule),
            ("domain in local part", json!({"email": "amazon.com@evil.io", "email_verified": "true"}), CATS, D, NoRule),
            ("two @", json!({"email": "x@evil.io@amazon.com", "email_verified": "true"}), CATS, D, Malformed),
            ("suffix without dot", json!({"email": "a@evilamazon.com", "email_verified": "true"}), CATS, D, NoRule),
            ("trailing dot", json!({"email": "a@amazon.com.", "email_verified": "true"}), CATS, D, Malformed),
            ("empty local part", json!({"email": "@amazon.com", "email_verified": "true"}), CATS, D, Malformed),
            ("no @", json!({"email": "amazon.com", "email_verified": "true"}), CATS, D, Malformed),
            ("empty string", json!({"email": "", "email_verified": "true"}), CATS, D, Malformed),
            ("blank in local part", json!({"email": "a b@amazon.com", "email_verified": "true"}), CATS, D, Malformed),
            ("non-ascii domain", json!({"email": "a@amazоn.com", "email_verified": "true"}), CATS, D, Malformed),
            ("non-string email", json!({"email": ["a@amazon.com"], "email_verified": "true"}), CATS, D, Malformed),
            ("missing email", json!({"email_verified": "true"}), CATS, D, Missing),
            ("no attributes", json!({}), CATS, D, NotVerified),
        ];
        for (name, attributes, pet, basis, email) in cases {
            assert_eq!(
                decide(&rules, DEFAULT_PET, attributes.clone()),
                (*pet, *basis, *email),
                "{name}"
            );
        }
    }

    #[test]
    fn rules_match_in_order_and_default_none_omits_the_claim() {
        let rules =
            PetRules::parse("corp.example.com=cats; example.com=dogs, Other.ORG.=cats").unwrap();
        let verified = |email: &str| json!({"email": email, "email_verified": "true"});
        let none = None;
        assert_eq!(decide(&rules, none, verified("a@corp.example.com")).0, CATS);
        assert_eq!(decide(&rules, none, verified("a@x.corp.example.com")).0, CATS);
        assert_eq!(decide(&rules, none, verified("a@example.com")).0, DOGS);
        assert_eq!(decide(&rules, none, verified("a@mail.other.org")).0, CATS);
        assert_eq!(
            decide(&rules, none, verified("a@example.net")),
            (None, Basis::Default, EmailCheck::NoRule)
        );
        assert_eq!(decide(&rules, DOGS, verified("a@example.net")).0, DOGS);
        let first = assign_pet(&rules, none, verified("a@corp.example.com").as_object().unwrap());
        assert_eq!(first.rule.map(|r| r.domain.as_str()), Some("corp.example.com"));
    }

    #[test]
    fn pet_rules_parse() {
        assert_eq!(PetRules::parse("").unwrap(), PetRules::default());
        assert_eq!(PetRules::parse("  ").unwrap(), PetRules::default());
        assert!(PetRules::parse("NONE").unwrap().rules().is_empty());
        let rules = PetRules::parse("AMAZON.com = Dogs ,, a-b.io=cats;").unwrap();
        let pairs: Vec<_> = rules.rules().iter().map(|r| (r.domain.as_str(), r.pet)).collect();
        assert_eq!(pairs, [("amazon.com", Pet::Dogs), ("a-b.io", Pet::Cats)]);
        for bad in [
            "amazon.com",
            "amazon.com=birds",
            "=dogs",
            "*.amazon.com=dogs",
            "@amazon.com=dogs",
            "a..b=dogs",
            "-a.com=dogs",
            ",;",
            "a b.com=cats",
        ] {
            let err = PetRules::parse(bad).unwrap_err();
            assert_eq!(err.var, "PET_RULES", "{bad}");
        }
        assert!(
            PetRules::parse("amazon.com=birds")
                .unwrap_err()
                .to_string()
                .contains("amazon.com=birds")
        );
    }

    #[test]
    fn pet_setting_parse() {
        let parse = |v: &str| parse_pet_setting(DEFAULT_PET_VAR, v, DEFAULT_PET);
        assert_eq!(parse("").unwrap(), CATS);
        assert_eq!(parse("Dogs").unwrap(), DOGS);
        assert_eq!(parse("none").unwrap(), None);
        assert_eq!(parse("fish").unwrap_err().var, "DEFAULT_PET");
        assert_eq!(parse_pet_setting("X_PET", "", None).unwrap(), None);
        assert_eq!(parse_pet_setting("X_PET", "fish", None).unwrap_err().var, "X_PET");
    }

    #[test]
    fn domain_matching() {
        assert!(domain_matches("amazon.com", "amazon.com"));
        assert!(domain_matches("AMAZON.COM", "amazon.com"));
        assert!(domain_matches("a.b.amazon.com", "amazon.com"));
        assert!(!domain_matches("xamazon.com", "amazon.com"));
        assert!(!domain_matches(".amazon.com", "amazon.com"));
        assert!(!domain_matches("amazon.com.evil.io", "amazon.com"));
        assert!(!domain_matches("com", "amazon.com"));
        assert!(!domain_matches("ä.amazon.com", "ämazon.com"));
        assert_eq!(email_domain("a@b.c"), Some("b.c"));
        assert_eq!(email_domain("a@"), None);
    }

    #[test]
    fn names_are_the_claim_value_and_the_log_words() {
        for pet in [Pet::Dogs, Pet::Cats] {
            assert_eq!(pet.as_str().parse::<Pet>(), Ok(pet));
            assert_eq!(pet.to_string(), pet.as_str());
        }
        assert_eq!([Pet::Dogs.as_str(), Pet::Cats.as_str()], ["dogs", "cats"]);
        let basis = [Basis::Attribute, Basis::EmailDomain, Basis::Default].map(Basis::as_str);
        assert_eq!(basis, ["attribute", "email_domain", "default"]);
        let email = [
            EmailCheck::Skipped,
            EmailCheck::NotVerified,
            EmailCheck::Missing,
            EmailCheck::Malformed,
            EmailCheck::NoRule,
            EmailCheck::Matched,
        ]
        .map(EmailCheck::as_str);
        assert_eq!(
            email,
            ["skipped", "not_verified", "missing", "malformed", "no_rule", "matched"]
        );
    }

    #[test]
    fn a_blank_attribute_is_absent_and_another_value_is_ignored() {
        let rules = PetRules::default();
        for (value, ignored) in [
            (json!(null), false),
            (json!(""), false),
            (json!("  "), false),
            (json!("birds"), true),
            (json!(3), true),
        ] {
            let map = json!({ PET_ATTRIBUTE: value }).as_object().cloned().unwrap();
            let a = assign_pet(&rules, CATS, &map);
            assert_eq!(
                (a.pet, a.basis, a.attribute_ignored),
                (CATS, Basis::Default, ignored),
                "{value}"
            );
        }
    }
}
