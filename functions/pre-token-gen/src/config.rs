//! The trigger's configuration, read once at cold start.
//!
//! It uses nothing else of the crate; it is used by the crate root (lib.rs).

use claimsgate_core::ConfigError;
use claimsgate_core::config::list;
use claimsgate_core::rules::{
    DEFAULT_PET, DEFAULT_PET_VAR, PET_CLAIM, Pet, PetRules, parse_pet_setting,
};

/// Claims this trigger never suppresses.
///
/// Amazon Cognito documents that these can't be added, modified or suppressed
/// (`acr` ... `token_use`); the rest carry the app client, the user's name, the
/// scopes and the group and role claims that Cognito manages itself (`cognito:*`,
/// groups change through a group override, scopes through the scope lists).
/// Asking Cognito to suppress one of them is a configuration mistake, and a
/// response carrying it would put every sign-in at risk.
#[rustfmt::skip]
pub const PROTECTED_CLAIMS: &[&str] = &[
    "acr", "amr", "at_hash", "aud", "auth_time", "azp", "c_hash", "client_id", "device_key",
    "event_id", "exp", "iat", "identities", "iss", "jti", "nbf", "nonce", "origin_jti", "scope",
    "sub", "token_use", "username", "version",
];

/// True when Cognito forbids suppressing `claim` (see [`PROTECTED_CLAIMS`]), ignoring ASCII case.
#[must_use]
pub fn is_protected_claim(claim: &str) -> bool {
    let lower = claim.to_ascii_lowercase();
    lower.starts_with("cognito:") || PROTECTED_CLAIMS.contains(&lower.as_str())
}

/// What the trigger does: domain rules, fallbacks and claims to suppress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pet_rules: PetRules,
    default_pet: Option<Pet>,
    client_credentials_pet: Option<Pet>,
    suppress_claims: Vec<String>,
}

impl Default for Config {
    /// `PET_RULES=amazon.com=dogs`, `DEFAULT_PET=cats`, `CLIENT_CREDENTIALS_PET=none`, no suppression.
    fn default() -> Self {
        Self {
            pet_rules: PetRules::default(),
            default_pet: DEFAULT_PET,
            client_credentials_pet: None,
            suppress_claims: Vec::new(),
        }
    }
}

impl Config {
    /// `CLIENT_CREDENTIALS_PET`: the pet of machine (client-credentials) tokens, default `none`.
    pub const CLIENT_CREDENTIALS_PET_VAR: &'static str = "CLIENT_CREDENTIALS_PET";
    /// `SUPPRESS_CLAIMS`: claims to remove from the issued tokens, comma-separated.
    pub const SUPPRESS_CLAIMS_VAR: &'static str = "SUPPRESS_CLAIMS";

    /// Reads the process environment.
    ///
    /// # Errors
    /// The first variable whose value cannot be used, with the fix.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads `PET_RULES`, `DEFAULT_PET`, `CLIENT_CREDENTIALS_PET` and `SUPPRESS_CLAIMS`
    /// through `lookup`; unset or blank variables take their defaults.
    ///
    /// # Errors
    /// The first variable whose value cannot be used, with the fix.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).unwrap_or_default();
        Ok(Self {
            pet_rules: PetRules::parse(&get(PetRules::VAR))?,
            default_pet: parse_pet_setting(DEFAULT_PET_VAR, &get(DEFAULT_PET_VAR), DEFAULT_PET)?,
            client_credentials_pet: parse_pet_setting(
                Self::CLIENT_CREDENTIALS_PET_VAR,
                &get(Self::CLIENT_CREDENTIALS_PET_VAR),
                None,
            )?,
            suppress_claims: parse_suppress_claims(&get(Self::SUPPRESS_CLAIMS_VAR))?,
        })
    }

    /// The email-domain rules, in match order.
    pub fn pet_rules(&self) -> &PetRules {
        &self.pet_rules
    }

    /// The pet of a user no rule decides for (`None`: no claim).
    pub fn default_pet(&self) -> Option<Pet> {
        self.default_pet
    }

    /// The pet of client-credentials (machine) tokens, which have no user (`None`: no claim).
    pub fn client_credentials_pet(&self) -> Option<Pet> {
        self.client_credentials_pet
    }

    /// Claims to suppress in every customized token; never a protected one.
    pub fn suppress_claims(&self) -> &[String] {
        &self.suppress_claims
    }
}

fn parse_suppress_claims(value: &str) -> Result<Vec<String>, ConfigError> {
    let var = Config::SUPPRESS_CLAIMS_VAR;
    let mut claims: Vec<String> = Vec::new();
    for claim in list(value) {
        let claim = claim.as_str();
        if claim.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ConfigError::new(
                var,
                format!("`{claim}` is not a claim name; list claim names, comma-separated"),
            ));
        }
        if is_protected_claim(claim) {
            return Err(ConfigError::new(
                var,
                format!(
                    "`{claim}` cannot be suppressed: Amazon Cognito forbids touching it; remove it from the list"
                ),
            ));
        }
        if claim.eq_ignore_ascii_case(PET_CLAIM) {
            return Err(ConfigError::new(
                var,
                format!(
                    "`{claim}` is the claim this trigger adds; remove it (DEFAULT_PET=none omits it instead)"
                ),
            ));
        }
        if !claims.iter().any(|known| known == claim) {
            claims.push(claim.to_owned());
        }
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| {
            vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn defaults_match_the_design() {
        let c = config(&[]).unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.pet_rules().rules()[0].domain, "amazon.com");
        assert_eq!(c.default_pet(), Some(Pet::Cats));
        assert_eq!(c.client_credentials_pet(), None);
        assert!(c.suppress_claims().is_empty());
    }

    #[test]
    fn reads_every_variable() {
        let c = config(&[
            ("PET_RULES", "example.com=cats,amazon.com=dogs"),
            ("DEFAULT_PET", "none"),
            ("CLIENT_CREDENTIALS_PET", "DOGS"),
            ("SUPPRESS_CLAIMS", " email , phone_number,email,custom:team "),
        ])
        .unwrap();
        assert_eq!(c.pet_rules().rules().len(), 2);
        assert_eq!(c.default_pet(), None);
        assert_eq!(c.client_credentials_pet(), Some(Pet::Dogs));
        assert_eq!(c.suppress_claims(), ["email", "phone_number", "custom:team"]);
    }

    #[test]
    fn refuses_to_suppress_what_cognito_forbids() {
        for claim in [
            "sub",
            "SUB",
            "aud",
            "exp",
            "iat",
            "iss",
            "token_use",
            "auth_time",
            "identities",
            "origin_jti",
            "jti",
            "nonce",
            "cognito:username",
            "cognito:groups",
            "client_id",
            "scope",
            "username",
        ] {
            let err = config(&[("SUPPRESS_CLAIMS", &format!("email,{claim}"))]).unwrap_err();
            assert_eq!(err.var, "SUPPRESS_CLAIMS", "{claim}");
            assert!(err.to_string().contains(claim), "{err}");
        }
        assert_eq!(
            config(&[("SUPPRESS_CLAIMS", "pet_preference")]).unwrap_err().var,
            "SUPPRESS_CLAIMS"
        );
        assert_eq!(config(&[("SUPPRESS_CLAIMS", "a b")]).unwrap_err().var, "SUPPRESS_CLAIMS");
    }

    #[test]
    fn bad_values_name_their_variable() {
        assert_eq!(config(&[("PET_RULES", "amazon.com")]).unwrap_err().var, "PET_RULES");
        assert_eq!(config(&[("DEFAULT_PET", "fish")]).unwrap_err().var, "DEFAULT_PET");
        assert_eq!(
            config(&[("CLIENT_CREDENTIALS_PET", "fish")]).unwrap_err().var,
            "CLIENT_CREDENTIALS_PET"
        );
    }
}
