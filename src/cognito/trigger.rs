//! The Pre Token Generation trigger as Cognito drives it: the event of each
//! version, and what Cognito takes from the answer.
//!
//! - V1 customizes the ID token only (`claimsOverrideDetails`); anything else
//!   in its answer is ignored with a log line.
//! - V2 and V3 customize the ID and the access token
//!   (`claimsAndScopeOverrideDetails`); only V3 is invoked for client-credentials grants.
//! - Claims Cognito manages (`sub`, `iss`, `cognito:*`, ...) cannot be added,
//!   overridden or suppressed: an answer that tries fails the issuance.
//! - A claim both added and suppressed is suppressed.
//! - A group override replaces the groups in both tokens; an empty one removes them.
//!
//! It uses nothing else of the crate; it is used by `cognito::issuer`, `stack::settings`, `stack`.

use std::fmt::Debug;

use claimsgate_core::fetch::BoxFuture;
use clap::ValueEnum;
use serde_json::{Map, Value, json};

/// Which event version the pool sends (`LambdaVersion` `V1_0`, `V2_0`, `V3_0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TriggerVersion {
    /// ID token only.
    #[value(name = "1")]
    V1,
    /// ID and access tokens of users (what serverless.yml deploys).
    #[value(name = "2")]
    V2,
    /// As V2, and the access tokens of client-credentials grants.
    #[value(name = "3")]
    V3,
}

impl TriggerVersion {
    /// The event's `version` field.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "1",
            Self::V2 => "2",
            Self::V3 => "3",
        }
    }
}

/// Whatever answers Pre Token Generation events: the real handler, or a test's stand-in for a user's own Lambda.
pub trait Trigger: Send + Sync + Debug {
    /// Answers one event, as the Lambda would (`Err` fails the sign-in).
    fn invoke(&self, event: Value) -> BoxFuture<'_, Result<Value, String>>;
}

/// The real `pre-token-gen` handler.
#[derive(Debug)]
pub struct LambdaTrigger(pub pre_token_gen::Config);

impl Trigger for LambdaTrigger {
    fn invoke(&self, event: Value) -> BoxFuture<'_, Result<Value, String>> {
        Box::pin(
            async move { pre_token_gen::handle(&self.0, event).await.map_err(|e| e.to_string()) },
        )
    }
}

/// Who the tokens are for.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// A user: the attributes and groups Cognito holds for them.
    User {
        /// `request.userAttributes` (all strings).
        attributes: &'a Map<String, Value>,
        /// The user's groups.
        groups: &'a [String],
    },
    /// A machine client (client-credentials grant): no user.
    Client {
        /// `aws_client_metadata` of the token request.
        metadata: &'a Map<String, Value>,
    },
}

/// Everything an event is built from.
#[derive(Debug, Clone, Copy)]
pub struct EventInput<'a> {
    /// The event version.
    pub version: TriggerVersion,
    /// `triggerSource`.
    pub source: &'a str,
    /// `userPoolId`.
    pub pool_id: &'a str,
    /// `callerContext.clientId`.
    pub client_id: &'a str,
    /// `userName` (the user's username, `sub` here).
    pub user_name: &'a str,
    /// The scopes the access token would carry (V2 and V3 only).
    pub scopes: &'a [String],
    /// The user or the machine.
    pub subject: Subject<'a>,
}

/// The event Cognito sends for `input`.
#[must_use]
pub fn event(input: &EventInput<'_>) -> Value {
    let mut request = Map::new();
    match input.subject {
        Subject::User { attributes, groups } => {
            request.insert("userAttributes".into(), json!(attributes));
            request.insert(
                "groupConfiguration".into(),
                json!({"groupsToOverride": groups, "iamRolesToOverride": [], "preferredRole": null}),
            );
        }
        Subject::Client { metadata } => {
            request.insert("userAttributes".into(), json!({}));
            request.insert(
                "groupConfiguration".into(),
                json!({"groupsToOverride": [], "iamRolesToOverride": [], "preferredRole": null}),
            );
            request.insert("clientMetadata".into(), json!(metadata));
        }
    }
    let response = match input.version {
        TriggerVersion::V1 => json!({"claimsOverrideDetails": null}),
        TriggerVersion::V2 | TriggerVersion::V3 => {
            request.insert("scopes".into(), json!(input.scopes));
            json!({"claimsAndScopeOverrideDetails": null})
        }
    };
    json!({
        "version": input.version.as_str(),
        "triggerSource": input.source,
        "region": "us-east-1",
        "userPoolId": input.pool_id,
        "userName": input.user_name,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": input.client_id},
        "request": request,
        "response": response,
    })
}

/// What the answer asks of one token.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenChanges {
    /// Claims to add or override.
    pub add: Map<String, Value>,
    /// Claims to remove (wins over `add`).
    pub suppress: Vec<String>,
}

impl TokenChanges {
    /// Applies the changes to a token's claims: add, then suppress.
    pub fn apply(&self, claims: &mut Map<String, Value>) {
        for (name, value) in &self.add {
            claims.insert(name.clone(), value.clone());
        }
        for name in &self.suppress {
            claims.remove(name);
        }
    }
}

/// What Cognito takes from the trigger's answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// For the ID token.
    pub id: TokenChanges,
    /// For the access token.
    pub access: TokenChanges,
    /// Scopes to add to the access token.
    pub scopes_to_add: Vec<String>,
    /// Scopes to remove from it (wins over adding).
    pub scopes_to_suppress: Vec<String>,
    /// `Some`: the groups of both tokens are replaced (an empty list removes them).
    pub groups: Option<Vec<String>>,
    /// `cognito:roles` of the ID token, when a group override names roles.
    pub roles: Vec<String>,
    /// `cognito:preferred_role` of the ID token.
    pub preferred_role: Option<String>,
}

impl Changes {
    /// The scopes after the answer: `granted`, plus the added, minus the suppressed.
    #[must_use]
    pub fn scopes(&self, granted: &[String]) -> Vec<String> {
        let mut scopes = granted.to_vec();
        for scope in &self.scopes_to_add {
            if !scopes.contains(scope) {
                scopes.push(scope.clone());
            }
        }
        scopes.retain(|s| !self.scopes_to_suppress.contains(s));
        scopes
    }
}

/// Reads the trigger's answer to an event of `version` for a user (`machine`
/// false) or a client-credentials grant.
///
/// # Errors
/// A sentence saying what in the answer Cognito would refuse: a managed claim
/// touched, or a field of the wrong type.
pub fn read_answer(
    version: TriggerVersion,
    machine: bool,
    answer: &Value,
) -> Result<Changes, String> {
    let response = answer.get("response").unwrap_or(&Value::Null);
    let (used, ignored) = match version {
        TriggerVersion::V1 => ("claimsOverrideDetails", "claimsAndScopeOverrideDetails"),
        TriggerVersion::V2 | TriggerVersion::V3 => {
            ("claimsAndScopeOverrideDetails", "claimsOverrideDetails")
        }
    };
    if response.get(ignored).is_some_and(|v| !v.is_null()) {
        tracing::warn!(
            version = version.as_str(),
            field = ignored,
            "the trigger answered a field this event version does not read; ignored"
        );
    }
    let mut changes = Changes::default();
    let details = match response.get(used) {
        None | Some(Value::Null) => return Ok(changes),
        Some(Value::Object(details)) => details,
        Some(_) => return Err(format!("response.{used} is not an object")),
    };
    match version {
        TriggerVersion::V1 => {
            changes.id = token_changes(details, used, false)?;
            for field in ["idTokenGeneration", "accessTokenGeneration"] {
                if details.contains_key(field) {
                    tracing::warn!(
                        field,
                        "a V1 answer changes the ID token only (claimsToAddOrOverride, claimsToSuppress); ignored"
                    );
                }
            }
        }
        TriggerVersion::V2 | TriggerVersion::V3 => {
            if let Some(id) = generation(details, "idTokenGeneration")? {
                if machine {
                    tracing::warn!(
                        "idTokenGeneration answered for a client-credentials grant, which issues no ID token; ignored"
                    );
                } else {
                    changes.id = token_changes(id, "idTokenGeneration", true)?;
                }
            }
            if let Some(access) = generation(details, "accessTokenGeneration")? {
                changes.access = token_changes(access, "accessTokenGeneration", true)?;
                changes.scopes_to_add = scopes(access, "scopesToAdd")?;
                changes.scopes_to_suppress = scopes(access, "scopesToSuppress")?;
            }
        }
    }
    if let Some(group) = details.get("groupOverrideDetails") {
        if machine {
            tracing::warn!(
                "groupOverrideDetails answered for a client-credentials grant, which has no user; ignored"
            );
        } else {
            read_groups(group, &mut changes)?;
        }
    }
    Ok(changes)
}

fn generation<'a>(
    details: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a Map<String, Value>>, String> {
    match details.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(format!("{field} is not an object")),
    }
}

/// `claimsToAddOrOverride` and `claimsToSuppress` of one token. V1 claim values are strings.
fn token_changes(
    fields: &Map<String, Value>,
    at: &str,
    any_json: bool,
) -> Result<TokenChanges, String> {
    let mut changes = TokenChanges::default();
    match fields.get("claimsToAddOrOverride") {
        None | Some(Value::Null) => {}
        Some(Value::Object(add)) => {
            for (name, value) in add {
                refuse_managed(name, at, "claimsToAddOrOverride")?;
                if any_json || value.is_string() {
                    changes.add.insert(name.clone(), value.clone());
                } else {
                    tracing::warn!(
                        claim = %name,
                        "a V1 answer may only set string claims; ignored"
                    );
                }
            }
        }
        Some(_) => return Err(format!("{at}.claimsToAddOrOverride is not an object")),
    }
    for name in strings(fields, "claimsToSuppress", at)? {
        refuse_managed(&name, at, "claimsToSuppress")?;
        changes.suppress.push(name);
    }
    Ok(changes)
}

fn refuse_managed(claim: &str, at: &str, field: &str) -> Result<(), String> {
    if pre_token_gen::is_protected_claim(claim) {
        Err(format!(
            "{at}.{field} names `{claim}`, a claim Amazon Cognito does not let a trigger change"
        ))
    } else {
        Ok(())
    }
}

fn scopes(fields: &Map<String, Value>, field: &str) -> Result<Vec<String>, String> {
    let list = strings(fields, field, "accessTokenGeneration")?;
    if let Some(bad) = list.iter().find(|s| s.is_empty() || s.chars().any(char::is_whitespace)) {
        return Err(format!("accessTokenGeneration.{field} holds `{bad}`, which is not a scope"));
    }
    Ok(list)
}

fn strings(fields: &Map<String, Value>, field: &str, at: &str) -> Result<Vec<String>, String> {
    match fields.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("{at}.{field} is not a list of strings")),
        Some(_) => Err(format!("{at}.{field} is not a list of strings")),
    }
}

/// A group override replaces the groups; one that is null or lists none removes them.
fn read_groups(group: &Value, changes: &mut Changes) -> Result<(), String> {
    let empty = Map::new();
    let fields = match group {
        Value::Null => &empty,
        Value::Object(map) => map,
        _ => return Err("groupOverrideDetails is not an object".into()),
    };
    changes.groups = Some(strings(fields, "groupsToOverride", "groupOverrideDetails")?);
    changes.roles = strings(fields, "iamRolesToOverride", "groupOverrideDetails")?;
    changes.preferred_role = match fields.get("preferredRole") {
        None | Some(Value::Null) => None,
        Some(Value::String(role)) => Some(role.clone()),
        Some(_) => return Err("groupOverrideDetails.preferredRole is not a string".into()),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn answer(version: TriggerVersion, details: Value) -> Result<Changes, String> {
        let field = match version {
            TriggerVersion::V1 => "claimsOverrideDetails",
            _ => "claimsAndScopeOverrideDetails",
        };
        read_answer(version, false, &json!({"response": {field: details}}))
    }

    #[test]
    fn events_have_the_shape_of_each_version() {
        let attributes = json!({"sub": "s", "email": "a@b.c"});
        let user = Subject::User {
            attributes: attributes.as_object().unwrap(),
            groups: &["readers".into()],
        };
        let scopes = ["openid".to_owned()];
        let input = |version, subject| EventInput {
            version,
            source: "TokenGeneration_HostedAuth",
            pool_id: "p",
            client_id: "c",
            user_name: "s",
            scopes: &scopes,
            subject,
        };
        let v1 = event(&input(TriggerVersion::V1, user));
        assert_eq!(v1["version"], "1");
        assert!(v1["request"].get("scopes").is_none());
        assert_eq!(v1["response"], json!({"claimsOverrideDetails": null}));
        assert_eq!(v1["request"]["groupConfiguration"]["groupsToOverride"], json!(["readers"]));
        let v2 = event(&input(TriggerVersion::V2, user));
        assert_eq!(v2["request"]["scopes"], json!(["openid"]));
        assert_eq!(v2["response"], json!({"claimsAndScopeOverrideDetails": null}));
        let metadata = json!({"tenant": "t1"});
        let machine = event(&input(
            TriggerVersion::V3,
            Subject::Client { metadata: metadata.as_object().unwrap() },
        ));
        assert_eq!(machine["version"], "3");
        assert_eq!(machine["request"]["userAttributes"], json!({}));
        assert_eq!(machine["request"]["clientMetadata"], metadata);
    }

    #[test]
    fn suppress_wins_over_add_and_v2_may_set_json_values() {
        let changes = answer(
            TriggerVersion::V2,
            json!({"idTokenGeneration": {
                "claimsToAddOrOverride": {"team": "blue", "email": "x", "tags": ["a"]},
                "claimsToSuppress": ["email"]
            }}),
        )
        .unwrap();
        let mut claims = json!({"email": "a@b.c", "sub": "s"}).as_object().cloned().unwrap();
        changes.id.apply(&mut claims);
        assert_eq!(Value::Object(claims), json!({"sub": "s", "team": "blue", "tags": ["a"]}));
        assert_eq!(changes.access, TokenChanges::default());
    }

    #[test]
    fn v1_changes_the_id_token_only_and_only_with_strings() {
        let changes = answer(
            TriggerVersion::V1,
            json!({
                "claimsToAddOrOverride": {"team": "blue", "level": 3},
                "accessTokenGeneration": {"claimsToAddOrOverride": {"x": "y"}}
            }),
        )
        .unwrap();
        assert_eq!(Value::Object(changes.id.add), json!({"team": "blue"}));
        assert_eq!(changes.access, TokenChanges::default());
        // A V2 answer to a V1 event is not read.
        let wrong_shape = read_answer(
            TriggerVersion::V1,
            false,
            &json!({"response": {"claimsAndScopeOverrideDetails": {"idTokenGeneration": {"claimsToAddOrOverride": {"x": "y"}}}}}),
        )
        .unwrap();
        assert_eq!(wrong_shape, Changes::default());
    }

    #[test]
    fn managed_claims_and_malformed_answers_are_refused() {
        let cases = [
            (json!({"idTokenGeneration": {"claimsToAddOrOverride": {"sub": "x"}}}), "`sub`"),
            (
                json!({"accessTokenGeneration": {"claimsToSuppress": ["cognito:groups"]}}),
                "`cognito:groups`",
            ),
            (
                json!({"accessTokenGeneration": {"claimsToAddOrOverride": {"scope": "admin"}}}),
                "`scope`",
            ),
            (json!({"idTokenGeneration": {"claimsToSuppress": "email"}}), "not a list"),
            (json!({"accessTokenGeneration": {"scopesToAdd": ["a b"]}}), "not a scope"),
            (json!({"groupOverrideDetails": []}), "not an object"),
        ];
        for (details, want) in cases {
            let err = answer(TriggerVersion::V3, details.clone()).unwrap_err();
            assert!(err.contains(want), "{details}: {err}");
        }
        let err =
            answer(TriggerVersion::V1, json!({"claimsToAddOrOverride": {"iss": "x"}})).unwrap_err();
        assert!(err.contains("`iss`"), "{err}");
    }

    #[test]
    fn group_overrides_replace_and_empty_ones_remove() {
        let cases = [
            (json!({"groupsToOverride": ["a", "b"]}), Some(vec!["a", "b"])),
            (json!({"groupsToOverride": []}), Some(vec![])),
            (json!({}), Some(vec![])),
            (json!(null), Some(vec![])),
        ];
        for (group, want) in cases {
            let changes =
                answer(TriggerVersion::V2, json!({"groupOverrideDetails": group.clone()})).unwrap();
            let want = want.map(|g| g.into_iter().map(str::to_owned).collect::<Vec<_>>());
            assert_eq!(changes.groups, want, "{group}");
        }
        assert_eq!(answer(TriggerVersion::V2, json!({})).unwrap().groups, None);
        // A machine has no groups to override.
        let machine = read_answer(
            TriggerVersion::V3,
            true,
            &json!({"response": {"claimsAndScopeOverrideDetails": {"groupOverrideDetails": {"groupsToOverride": ["x"]}}}}),
        )
        .unwrap();
        assert_eq!(machine.groups, None);
    }

    #[test]
    fn scopes_are_added_then_suppressed() {
        let changes = answer(
            TriggerVersion::V2,
            json!({"accessTokenGeneration": {"scopesToAdd": ["c", "a", "d"], "scopesToSuppress": ["b", "d"]}}),
        )
        .unwrap();
        let granted = ["a".to_owned(), "b".to_owned()];
        assert_eq!(changes.scopes(&granted), ["a", "c"]);
    }
}
