//! The authorizer's route table (`ROUTE_RULES`) and the decision it drives.
//!
//! A table is a `;`-separated list of rules `METHOD /path=ACCESS`, where
//! `ACCESS` is `*` (any valid token) or a `,`-separated list of pets (`dogs`,
//! `cats`) and scopes (`scope:claimsgate/pets.read`): a token whose
//! `pet_preference` or whose `scope` claim lists one of them may call the
//! route. The default is [`DEFAULT_ROUTE_RULES`]. Paths are
//! literal: `*`, `?`, `{` and `}` are refused, because the authorizer turns
//! every path into an IAM resource ARN, where they would be wildcards that
//! widen the grant.
//!
//! The decision is [`allowed_routes`]: claims and table in, the routes this
//! principal may call out. It never looks at the route being called, so a
//! policy built from it is right for every route API Gateway replays it on.

use std::fmt;

use crate::claims::Claims;
use crate::error::ConfigError;
use crate::rules::Pet;

/// The environment variable holding the route table.
pub const ROUTE_RULES_VAR: &str = "ROUTE_RULES";

/// The route table used when `ROUTE_RULES` is unset or blank.
pub const DEFAULT_ROUTE_RULES: &str = "GET /dogs=dogs;GET /cats=cats;GET /me/claims=*";

/// HTTP methods a rule may name (API Gateway's, without `ANY`).
const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// One method and literal path, such as `GET /dogs`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Route {
    method: String,
    path: String,
}

impl Route {
    /// A route from a method (any case) and a literal path starting with `/`.
    ///
    /// # Errors
    /// A description of what is wrong with the method or the path.
    pub fn new(method: &str, path: &str) -> Result<Self, String> {
        let upper = method.to_ascii_uppercase();
        if !METHODS.contains(&upper.as_str()) {
            return Err(format!(
                "`{method}` is not an HTTP method (use one of {})",
                METHODS.join(", ")
            ));
        }
        check_path(path)?;
        Ok(Self { method: upper, path: path.to_owned() })
    }

    /// The method, upper case.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path, starting with `/`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// True when this is `method` (exact, upper case) on `path` (exact).
    #[must_use]
    pub fn is(&self, method: &str, path: &str) -> bool {
        self.method == method && self.path == path
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

fn check_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!("path `{path}` must start with /"));
    }
    if path.len() > 1 && path.ends_with('/') {
        return Err(format!("path `{path}` must not end with /"));
    }
    if path.contains("//") {
        return Err(format!("path `{path}` has an empty segment"));
    }
    let literal = |c: char| c.is_ascii_alphanumeric() || "/-._~:@".contains(c);
    if let Some(bad) = path.chars().find(|c| !literal(*c)) {
        return Err(format!(
            "path `{path}` contains `{bad}`; only literal paths are allowed (letters, digits, / - . _ ~ : @)"
        ));
    }
    Ok(())
}

/// Who may call a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Any valid token (`*`).
    AnyValidToken,
    /// Tokens whose `pet_preference` is one of `pets`, or whose `scope` lists one of `scopes`.
    Listed {
        /// Pets admitted.
        pets: Vec<Pet>,
        /// Scopes admitted (machine clients carry scopes, not pets).
        scopes: Vec<String>,
    },
}

impl Access {
    /// True when a token with these claims may call the route.
    #[must_use]
    pub fn admits(&self, claims: &Claims) -> bool {
        match self {
            Self::AnyValidToken => true,
            Self::Listed { pets, scopes } => {
                pet_of(claims).is_some_and(|p| pets.contains(&p))
                    || scopes.iter().any(|s| claims.has_scope(s))
            }
        }
    }
}

/// One line of the table: a route and who may call it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRule {
    /// The route.
    pub route: Route,
    /// Who may call it.
    pub access: Access,
}

/// The validated route table: at least one rule, no route twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTable {
    rules: Vec<RouteRule>,
}

fn pets(pet: Pet) -> Access {
    Access::Listed { pets: vec![pet], scopes: Vec::new() }
}

impl Default for RouteTable {
    /// The table of [`DEFAULT_ROUTE_RULES`].
    fn default() -> Self {
        let rule = |path: &str, access: Access| RouteRule {
            route: Route { method: "GET".to_owned(), path: path.to_owned() },
            access,
        };
        Self {
            rules: vec![
                rule("/dogs", pets(Pet::Dogs)),
                rule("/cats", pets(Pet::Cats)),
                rule("/me/claims", Access::AnyValidToken),
            ],
        }
    }
}

impl RouteTable {
    /// Parses a table such as `GET /dogs=dogs;GET /cats=cats;GET /me/claims=*`.
    ///
    /// Blanks around rules and parts are ignored, as is a trailing `;`.
    /// Methods and pets may be in any case.
    ///
    /// # Errors
    /// A [`ConfigError`] for `ROUTE_RULES` naming the rule at fault and the fix.
    pub fn from_rules(text: &str) -> Result<Self, ConfigError> {
        let mut rules: Vec<RouteRule> = Vec::new();
        for (index, raw) in text.split(';').enumerate() {
            let raw = raw.trim();
            if raw.is_empty() {
                continue;
            }
            let rule = parse_rule(raw).map_err(|problem| {
                ConfigError::new(ROUTE_RULES_VAR, format!("rule {} `{raw}`: {problem}", index + 1))
            })?;
            if rules.iter().any(|r| r.route == rule.route) {
                return Err(ConfigError::new(
                    ROUTE_RULES_VAR,
                    format!("route `{}` is listed twice; keep one rule per route", rule.route),
                ));
            }
            rules.push(rule);
        }
        if rules.is_empty() {
            return Err(ConfigError::new(
                ROUTE_RULES_VAR,
                format!("lists no rule; unset it for the default `{DEFAULT_ROUTE_RULES}`"),
            ));
        }
        Ok(Self { rules })
    }

    /// The table from the value of `ROUTE_RULES`: unset or blank means the default.
    ///
    /// # Errors
    /// As [`RouteTable::from_rules`].
    pub fn from_env_value(value: Option<&str>) -> Result<Self, ConfigError> {
        match value.map(str::trim) {
            None | Some("") => Ok(Self::default()),
            Some(text) => Self::from_rules(text),
        }
    }

    /// The table from the process environment (`ROUTE_RULES`).
    ///
    /// # Errors
    /// As [`RouteTable::from_rules`].
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_env_value(std::env::var(ROUTE_RULES_VAR).ok().as_deref())
    }

    /// The rules, in the order given.
    pub fn rules(&self) -> &[RouteRule] {
        &self.rules
    }

    /// The rule for `method` (upper case) on `path`, if the table has one.
    pub fn rule_for(&self, method: &str, path: &str) -> Option<&RouteRule> {
        self.rules.iter().find(|r| r.route.is(method, path))
    }
}

fn parse_rule(raw: &str) -> Result<RouteRule, String> {
    let (route, access) =
        raw.split_once('=').ok_or("expected `METHOD /path=ACCESS`, e.g. `GET /dogs=dogs`")?;
    let mut words = route.split_whitespace();
    let (Some(method), Some(path), None) = (words.next(), words.next(), words.next()) else {
        return Err("expected `METHOD /path` before `=`, e.g. `GET /dogs`".to_owned());
    };
    let route = Route::new(method, path)?;
    Ok(RouteRule { route, access: parse_access(access)? })
}

fn parse_access(text: &str) -> Result<Access, String> {
    let text = text.trim();
    if text == "*" {
        return Ok(Access::AnyValidToken);
    }
    let (mut pets, mut scopes) = (Vec::new(), Vec::new());
    for item in text.split(',').map(str::trim) {
        if let Some(scope) = item.strip_prefix("scope:") {
            let plain = |c: char| c.is_ascii_graphic() && !"\\\",;=*".contains(c);
            if scope.is_empty() || !scope.chars().all(plain) {
                return Err(format!(
                    "`{item}` is not a scope; write scope:name, e.g. scope:claimsgate/pets.read"
                ));
            }
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_owned());
            }
            continue;
        }
        let pet: Pet = item.parse().map_err(|()| {
            format!(
                "`{item}` is not a pet or a scope; use dogs, cats, scope:name, a list of them, or *"
            )
        })?;
        if !pets.contains(&pet) {
            pets.push(pet);
        }
    }
    Ok(Access::Listed { pets, scopes })
}

/// The `pet_preference` of verified claims, when it is a known pet (any case).
#[must_use]
pub fn pet_of(claims: &Claims) -> Option<Pet> {
    claims.pet_preference().and_then(|p| p.parse().ok())
}

/// The decision: every route of `table` that a token with `claims` may call, in table order.
///
/// Only `pet_preference` and `scope` matter; a token with neither (or with
/// unknown values) gets the `*` routes only.
#[must_use]
pub fn allowed_routes<'t>(claims: &Claims, table: &'t RouteTable) -> Vec<&'t Route> {
    table.rules.iter().filter(|r| r.access.admits(claims)).map(|r| &r.route).collect()
}

/// True when a token with `claims` may call `method` (upper case) on `path`. A route not in the table is denied.
#[must_use]
pub fn is_allowed(claims: &Claims, table: &RouteTable, method: &str, path: &str) -> bool {
    table.rule_for(method, path).is_some_and(|r| r.access.admits(claims))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn claims(v: Value) -> Claims {
        Claims::from_value(v).unwrap_or_default()
    }

    fn routes(claims_json: Value, table: &RouteTable) -> Vec<String> {
        allowed_routes(&claims(claims_json), table).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn default_table_is_the_documented_one() {
        assert_eq!(RouteTable::from_rules(DEFAULT_ROUTE_RULES), Ok(RouteTable::default()));
        assert_eq!(RouteTable::from_env_value(None), Ok(RouteTable::default()));
        assert_eq!(RouteTable::from_env_value(Some("  ")), Ok(RouteTable::default()));
    }

    #[test]
    fn decision_table_for_the_default_rules() {
        let table = RouteTable::default();
        let cases = [
            (json!({"pet_preference": "dogs"}), vec!["GET /dogs", "GET /me/claims"]),
            (json!({"pet_preference": "cats"}), vec!["GET /cats", "GET /me/claims"]),
            (json!({"pet_preference": "DOGS"}), vec!["GET /dogs", "GET /me/claims"]),
            (json!({"pet_preference": "birds"}), vec!["GET /me/claims"]),
            (json!({"pet_preference": ""}), vec!["GET /me/claims"]),
            (json!({"pet_preference": ["dogs"]}), vec!["GET /me/claims"]),
            (json!({"pet_preference": true}), vec!["GET /me/claims"]),
            (json!({"custom:pet_preference": "dogs"}), vec!["GET /me/claims"]),
            (json!({}), vec!["GET /me/claims"]),
        ];
        for (c, want) in cases {
            assert_eq!(routes(c.clone(), &table), want, "{c}");
        }
    }

    #[test]
    fn is_allowed_table() {
        let table = RouteTable::default();
        let dogs = claims(json!({"pet_preference": "dogs"}));
        let none = claims(json!({}));
        let cases = [
            (&dogs, "GET", "/dogs", true),
            (&dogs, "GET", "/cats", false),
            (&dogs, "GET", "/me/claims", true),
            (&dogs, "POST", "/dogs", false),
            (&dogs, "get", "/dogs", false),
            (&dogs, "GET", "/dogs/", false),
            (&dogs, "GET", "/DOGS", false),
            (&dogs, "GET", "/admin", false),
            (&none, "GET", "/dogs", false),
            (&none, "GET", "/me/claims", true),
        ];
        for (c, method, path, want) in cases {
            assert_eq!(is_allowed(c, &table, method, path), want, "{method} {path}");
        }
    }

    #[test]
    fn custom_tables_parse_and_decide() {
        let table =
            RouteTable::from_rules(" get /pets = dogs, CATS ; POST /dogs/walk=dogs;DELETE /=*; ");
        let Ok(table) = table else {
            panic!("valid table rejected: {table:?}");
        };
        assert_eq!(table.rules().len(), 3);
        assert_eq!(
            routes(json!({"pet_preference": "cats"}), &table),
            vec!["GET /pets", "DELETE /"]
        );
        assert_eq!(
            routes(json!({"pet_preference": "dogs"}), &table),
            vec!["GET /pets", "POST /dogs/walk", "DELETE /"]
        );
        assert_eq!(routes(json!({}), &table), vec!["DELETE /"]);
    }

    #[test]
    fn scopes_admit_machine_clients() {
        let table = RouteTable::from_rules(
            "GET /dogs=dogs,scope:claimsgate/pets.read;GET /cats=cats;GET /me/claims=*",
        )
        .unwrap_or_default();
        let machine = json!({"token_use": "access", "scope": "claimsgate/pets.read other"});
        assert_eq!(routes(machine, &table), vec!["GET /dogs", "GET /me/claims"]);
        let near_miss = json!({"scope": "claimsgate/pets.readx claimsgate/pets"});
        assert_eq!(routes(near_miss, &table), vec!["GET /me/claims"]);
        assert_eq!(
            routes(json!({"pet_preference": "dogs"}), &table),
            vec!["GET /dogs", "GET /me/claims"]
        );
    }

    #[test]
    fn bad_tables_name_the_variable_and_the_rule() {
        let cases = [
            ("", "lists no rule"),
            (" ; ;", "lists no rule"),
            ("GET /dogs", "rule 1"),
            ("GET /dogs=dogs;GET /cats", "rule 2"),
            ("/dogs=dogs", "expected `METHOD /path`"),
            ("GET /dogs extra=dogs", "expected `METHOD /path`"),
            ("FETCH /dogs=dogs", "not an HTTP method"),
            ("ANY /dogs=dogs", "not an HTTP method"),
            ("GET dogs=dogs", "must start with /"),
            ("GET /dogs/=dogs", "must not end with /"),
            ("GET /a//b=dogs", "empty segment"),
            ("GET /dogs/*=dogs", "contains `*`"),
            ("GET /dogs?x=dogs", "contains `?`"),
            ("GET /pets/{id}=dogs", "contains `{`"),
            ("GET /dogs=birds", "`birds` is not a pet"),
            ("GET /dogs=", "`` is not a pet"),
            ("GET /dogs=dogs,*", "`*` is not a pet"),
            ("GET /dogs=dogs=cats", "`dogs=cats` is not a pet"),
            ("GET /dogs=scope:", "`scope:` is not a scope"),
            ("GET /dogs=scope:a b", "`scope:a b` is not a scope"),
            ("GET /dogs=scope:a*", "`scope:a*` is not a scope"),
            ("GET /dogs=dogs;get /dogs=cats", "listed twice"),
        ];
        for (text, want) in cases {
            match RouteTable::from_rules(text) {
                Ok(t) => panic!("`{text}` accepted as {t:?}"),
                Err(e) => {
                    assert_eq!(e.var, "ROUTE_RULES", "{text}");
                    assert!(e.to_string().contains(want), "`{text}`: {e}");
                }
            }
        }
    }
}
