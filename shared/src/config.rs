//! Configuration, read once from the environment at cold start.
//!
//! Every reader takes a lookup function, so tests pass a map and the functions
//! pass [`std::env::var`]. A bad value is a [`ConfigError`] naming the variable
//! and the fix; `main` stops on it before the first request.
//!
//! It uses `error`; it is used by `checks`, `jwks`, `rules::pet`, `token_cache`, `verify`.

use std::time::Duration;

use crate::error::ConfigError;

/// Which token kinds a deployment accepts (`TOKEN_USE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUsePolicy {
    /// ID tokens only.
    Id,
    /// Access tokens only.
    Access,
    /// Either.
    Any,
}

/// How long key sets live and how often they may be refetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JwksSettings {
    /// Age after which a set is refreshed (`JWKS_TTL_SECS`).
    pub ttl: Duration,
    /// After a fetch of a URI that failed, or lacked the kid it was made for, the
    /// least time before the next (`JWKS_MIN_REFRESH_SECS`).
    pub min_refresh: Duration,
    /// Oldest set still served while refreshes fail (`JWKS_MAX_STALE_SECS`).
    pub max_stale: Duration,
}

impl Default for JwksSettings {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(3600),
            min_refresh: Duration::from_secs(10),
            max_stale: Duration::from_secs(86_400),
        }
    }
}

/// One accepted issuer and where its keys are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    /// The exact `iss` value, e.g. `https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123`.
    pub iss: String,
    /// Its JWKS URI, by default `{iss}/.well-known/jwks.json`.
    pub jwks_uri: String,
}

/// What the verifier accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierConfig {
    /// Accepted issuers (at least one).
    pub issuers: Vec<Issuer>,
    /// Allowed app client ids (at least one).
    pub client_ids: Vec<String>,
    /// Accepted `token_use`.
    pub token_use: TokenUsePolicy,
    /// Tolerated clock skew for `exp`, `nbf` and `iat`.
    pub leeway: Duration,
    /// JWKS cache lifetimes.
    pub jwks: JwksSettings,
    /// How many verified tokens to keep.
    pub token_cache_capacity: u64,
    /// A JWKS snapshot to start from (`JWKS_SNAPSHOT`), see [`crate::snapshot`].
    pub snapshot: Option<std::path::PathBuf>,
}

impl VerifierConfig {
    /// A configuration for one issuer with the default JWKS URI and settings.
    ///
    /// # Errors
    /// When `iss` is not an `https` URL (`http` is allowed on loopback hosts only).
    pub fn for_issuer(
        iss: &str,
        client_ids: &[&str],
        token_use: TokenUsePolicy,
    ) -> Result<Self, ConfigError> {
        Ok(Self {
            issuers: vec![issuer(&endpoint("TOKEN_ISSUERS", iss)?)],
            client_ids: client_ids.iter().map(|c| (*c).to_owned()).collect(),
            token_use,
            leeway: Duration::ZERO,
            jwks: JwksSettings::default(),
            token_cache_capacity: DEFAULT_TOKEN_CACHE_CAPACITY,
            snapshot: None,
        })
    }

    /// Reads the process environment.
    ///
    /// # Errors
    /// The first variable that is missing or malformed.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup` (a variable name to its value).
    ///
    /// # Errors
    /// The first variable that is missing or malformed.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let pool = get("COGNITO_USER_POOL_ID");
        let listed = get("TOKEN_ISSUERS");
        let mut issuers = match (pool, listed) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::new(
                    "TOKEN_ISSUERS",
                    "set either COGNITO_USER_POOL_ID or TOKEN_ISSUERS, not both",
                ));
            }
            (Some(pool), None) => vec![issuer(&issuer_for_pool(&pool)?)],
            (None, Some(listed)) => list(&listed)
                .iter()
                .map(|iss| endpoint("TOKEN_ISSUERS", iss).map(|iss| issuer(&iss)))
                .collect::<Result<Vec<_>, _>>()?,
            (None, None) => {
                return Err(ConfigError::new(
                    "COGNITO_USER_POOL_ID",
                    "not set; set it to the user pool id (e.g. us-east-1_AbC123) or set TOKEN_ISSUERS",
                ));
            }
        };
        if issuers.is_empty() {
            return Err(ConfigError::new("TOKEN_ISSUERS", "lists no issuer"));
        }
        if let Some(uri) = get("JWKS_URI") {
            if issuers.len() != 1 {
                return Err(ConfigError::new(
                    "JWKS_URI",
                    "can only override the JWKS of a single issuer; unset it or list one issuer",
                ));
            }
            if let Some(only) = issuers.first_mut() {
                only.jwks_uri = endpoint("JWKS_URI", &uri)?;
            }
        }

        let client_ids = list(&get("COGNITO_CLIENT_IDS").unwrap_or_default());
        if client_ids.is_empty() {
            return Err(ConfigError::new(
                "COGNITO_CLIENT_IDS",
                "not set; set it to the allowed app client ids, comma-separated",
            ));
        }

        let token_use = match get("TOKEN_USE").as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("any") => TokenUsePolicy::Any,
            Some("id") => TokenUsePolicy::Id,
            Some("access") => TokenUsePolicy::Access,
            Some(other) => {
                return Err(ConfigError::new(
                    "TOKEN_USE",
                    format!("`{other}` is not one of id, access, any"),
                ));
            }
        };

        let secs = |name: &'static str, default: u64| -> Result<Duration, ConfigError> {
            match get(name) {
                None => Ok(Duration::from_secs(default)),
                Some(v) => v.parse::<u64>().map(Duration::from_secs).map_err(|_| {
                    ConfigError::new(name, format!("`{v}` is not a whole number of seconds"))
                }),
            }
        };
        let jwks = JwksSettings {
            ttl: secs("JWKS_TTL_SECS", 3600)?,
            min_refresh: secs("JWKS_MIN_REFRESH_SECS", 10)?,
            max_stale: secs("JWKS_MAX_STALE_SECS", 86_400)?,
        };
        if jwks.ttl.is_zero() {
            return Err(ConfigError::new("JWKS_TTL_SECS", "must be at least 1"));
        }
        let leeway = secs("CLOCK_LEEWAY_SECS", 0)?;
        if leeway > Duration::from_secs(300) {
            return Err(ConfigError::new("CLOCK_LEEWAY_SECS", "must be at most 300"));
        }

        Ok(Self {
            issuers,
            client_ids,
            token_use,
            leeway,
            jwks,
            token_cache_capacity: DEFAULT_TOKEN_CACHE_CAPACITY,
            snapshot: get("JWKS_SNAPSHOT").map(Into::into),
        })
    }
}

/// Default size of the verified-token cache.
pub const DEFAULT_TOKEN_CACHE_CAPACITY: u64 = 10_000;

/// The issuer URL of a Cognito user pool id such as `us-east-1_AbC123`.
///
/// # Errors
/// When the id is not `{region}_{suffix}`.
pub fn issuer_for_pool(pool_id: &str) -> Result<String, ConfigError> {
    let bad = || {
        ConfigError::new(
            "COGNITO_USER_POOL_ID",
            format!("`{pool_id}` is not a user pool id like us-east-1_AbC123"),
        )
    };
    let (region, suffix) = pool_id.split_once('_').ok_or_else(bad)?;
    let region_ok = !region.is_empty()
        && region.split('-').count() >= 3
        && region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let suffix_ok = !suffix.is_empty() && suffix.chars().all(|c| c.is_ascii_alphanumeric());
    if !(region_ok && suffix_ok) {
        return Err(bad());
    }
    Ok(format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}"))
}

/// Checks that `text` (read from `var`) is an `https` URL, or `http` on a
/// loopback host (the local stack), and returns it without a trailing `/`.
/// Keys fetched over plain HTTP from anywhere else could be swapped in transit.
fn endpoint(var: &'static str, text: &str) -> Result<String, ConfigError> {
    let text = text.trim().trim_end_matches('/');
    let url = url::Url::parse(text).map_err(|e| {
        ConfigError::new(var, format!("`{text}` is not a URL ({e}); give an https URL"))
    })?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => Ok(text.to_owned()),
        "http" if loopback => Ok(text.to_owned()),
        "http" => Err(ConfigError::new(
            var,
            format!("`{text}` must use https (plain http is allowed on loopback hosts only)"),
        )),
        _ => Err(ConfigError::new(var, format!("`{text}` is not an https URL"))),
    }
}

fn issuer(iss: &str) -> Issuer {
    Issuer { iss: iss.to_owned(), jwks_uri: format!("{iss}/.well-known/jwks.json") }
}

/// Splits a comma-separated list, trimming items and dropping empty ones.
#[must_use]
pub fn list(value: &str) -> Vec<String> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(vars: &[(&str, &str)]) -> Result<VerifierConfig, ConfigError> {
        let map: HashMap<String, String> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        VerifierConfig::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn pool_id_gives_cognito_issuer_and_defaults() {
        let c =
            read(&[("COGNITO_USER_POOL_ID", "us-east-1_AbC123"), ("COGNITO_CLIENT_IDS", "a, b,")]);
        let c = c.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.issuers[0].iss,
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123"
        );
        assert_eq!(
            c.issuers[0].jwks_uri,
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123/.well-known/jwks.json"
        );
        assert_eq!(c.client_ids, vec!["a", "b"]);
        assert_eq!(c.token_use, TokenUsePolicy::Any);
        assert_eq!(c.jwks, JwksSettings::default());
        assert_eq!(c.leeway, Duration::ZERO);
    }

    #[test]
    fn several_issuers_and_overrides() {
        let c = read(&[
            (
                "TOKEN_ISSUERS",
                "http://127.0.0.1:9229/local_pool/, https://issuer.example, http://localhost:1/p, http://[::1]:2/q",
            ),
            ("COGNITO_CLIENT_IDS", "a"),
            ("TOKEN_USE", "ACCESS"),
            ("JWKS_TTL_SECS", "60"),
            ("CLOCK_LEEWAY_SECS", "5"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.issuers.len(), 4);
        assert_eq!(c.issuers[0].iss, "http://127.0.0.1:9229/local_pool");
        assert_eq!(c.token_use, TokenUsePolicy::Access);
        assert_eq!(c.jwks.ttl, Duration::from_secs(60));
        assert_eq!(c.leeway, Duration::from_secs(5));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("COGNITO_CLIENT_IDS", "a")], "COGNITO_USER_POOL_ID"),
            (
                &[("COGNITO_USER_POOL_ID", "nope"), ("COGNITO_CLIENT_IDS", "a")],
                "COGNITO_USER_POOL_ID",
            ),
            (&[("COGNITO_USER_POOL_ID", "us-east-1_x")], "COGNITO_CLIENT_IDS"),
            (
                &[
                    ("COGNITO_USER_POOL_ID", "us-east-1_x"),
                    ("TOKEN_ISSUERS", "https://a"),
                    ("COGNITO_CLIENT_IDS", "a"),
                ],
                "TOKEN_ISSUERS",
            ),
            (&[("TOKEN_ISSUERS", "ftp://a"), ("COGNITO_CLIENT_IDS", "a")], "TOKEN_ISSUERS"),
            (
                &[
                    ("TOKEN_ISSUERS", "https://a,https://b"),
                    ("JWKS_URI", "https://k"),
                    ("COGNITO_CLIENT_IDS", "a"),
                ],
                "JWKS_URI",
            ),
            (
                &[("TOKEN_ISSUERS", "http://issuer.example"), ("COGNITO_CLIENT_IDS", "a")],
                "TOKEN_ISSUERS",
            ),
            (
                &[("TOKEN_ISSUERS", "http://127.0.0.1.evil.io/p"), ("COGNITO_CLIENT_IDS", "a")],
                "TOKEN_ISSUERS",
            ),
            (&[("TOKEN_ISSUERS", "issuer.example"), ("COGNITO_CLIENT_IDS", "a")], "TOKEN_ISSUERS"),
            (
                &[
                    ("COGNITO_USER_POOL_ID", "us-east-1_x"),
                    ("JWKS_URI", "http://keys.example/jwks.json"),
                    ("COGNITO_CLIENT_IDS", "a"),
                ],
                "JWKS_URI",
            ),
            (
                &[
                    ("COGNITO_USER_POOL_ID", "us-east-1_x"),
                    ("COGNITO_CLIENT_IDS", "a"),
                    ("TOKEN_USE", "refresh"),
                ],
                "TOKEN_USE",
            ),
            (
                &[
                    ("COGNITO_USER_POOL_ID", "us-east-1_x"),
                    ("COGNITO_CLIENT_IDS", "a"),
                    ("JWKS_TTL_SECS", "1h"),
                ],
                "JWKS_TTL_SECS",
            ),
            (
                &[
                    ("COGNITO_USER_POOL_ID", "us-east-1_x"),
                    ("COGNITO_CLIENT_IDS", "a"),
                    ("JWKS_TTL_SECS", "0"),
                ],
                "JWKS_TTL_SECS",
            ),
            (
                &[
                    ("COGNITO_USER_POOL_ID", "us-east-1_x"),
                    ("COGNITO_CLIENT_IDS", "a"),
                    ("CLOCK_LEEWAY_SECS", "-1"),
                ],
                "CLOCK_LEEWAY_SECS",
            ),
        ];
        for (vars, var) in cases {
            match read(vars) {
                Err(e) => assert_eq!(e.var, *var, "{vars:?}: {e}"),
                Ok(c) => panic!("{vars:?} was accepted: {c:?}"),
            }
        }
    }
}
