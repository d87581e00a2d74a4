//! The local stack does to the functions what Cognito and API Gateway do:
//! every trigger version and Cognito's rules for its answer, machine-to-machine
//! tokens authorized by scope, the HTTP API mode, and key rotation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::cognito::{
    CognitoEventUserPoolsPreTokenGen, CognitoEventUserPoolsPreTokenGenV2,
};
use claimsgate::AuthorizerKind;
use claimsgate::apigw::AuthorizerFunction;
use claimsgate::trigger::TriggerVersion;
use claimsgate_core::Clock;
use claimsgate_core::fetch::BoxFuture;
use claimsgate_core::testing::{cognito_id_claims, eventually, test_key, with_claims};
use common::flow::{
    CATS, CLIENT_ID, DOGS, MACHINE_ID, MACHINE_SECRET, api, claims_of, client, exchange,
    exchange_basic, machine_token, published_kids, redeem, sign_in, token_request,
};
use common::triggers::Scripted;
use common::{TestStack, stack_with, stack_with_trigger};
use reqwest::StatusCode;
use serde_json::{Value, json};

const KINDS: [AuthorizerKind; 3] =
    [AuthorizerKind::Token, AuthorizerKind::Request, AuthorizerKind::Http];

/// A users file in the stack's key directory (removed with it).
fn users_file(s: &mut claimsgate::StackSettings, dir: &std::path::Path, users: &Value) {
    let path = dir.join("users.json");
    std::fs::write(&path, users.to_string()).unwrap();
    s.users_file = Some(path);
}

#[tokio::test]
async fn each_trigger_version_gets_its_event_and_customizes_its_tokens() {
    for (version, in_access_token) in
        [(TriggerVersion::V1, false), (TriggerVersion::V2, true), (TriggerVersion::V3, true)]
    {
        let trigger = Scripted::real();
        let s = stack_with_trigger(
            AuthorizerKind::Token,
            |s| s.trigger_version = version,
            trigger.clone(),
        )
        .await;
        let tokens = exchange(&s, &sign_in(&s, DOGS, &[]).await).await;
        let id = claims_of(tokens["id_token"].as_str().unwrap());
        let access = claims_of(tokens["access_token"].as_str().unwrap());
        assert_eq!(id["pet_preference"], "dogs", "{version:?}");
        assert_eq!(
            access.get("pet_preference").is_some(),
            in_access_token,
            "{version:?}: {access}"
        );

        let events = trigger.events();
        assert_eq!(events.len(), 1);
        let event = &events[0];
        assert_eq!(event["version"], version.as_str());
        assert_eq!(event["triggerSource"], "TokenGeneration_HostedAuth");
        assert_eq!(event["callerContext"]["clientId"], CLIENT_ID);
        assert_eq!(event["request"]["userAttributes"]["email"], DOGS.0);
        // The typed events of aws_lambda_events read them as Cognito's.
        match version {
            TriggerVersion::V1 => {
                assert!(event["request"].get("scopes").is_none());
                let typed: CognitoEventUserPoolsPreTokenGen =
                    serde_json::from_value(event.clone()).unwrap();
                assert_eq!(typed.request.user_attributes["email_verified"], "true");
            }
            TriggerVersion::V2 | TriggerVersion::V3 => {
                let typed: CognitoEventUserPoolsPreTokenGenV2 =
                    serde_json::from_value(event.clone()).unwrap();
                assert_eq!(typed.request.scopes, ["openid", "email"]);
            }
        }
        // The refresh grant goes through the trigger as well, with its own trigger source.
        let r = exchange_basic(
            &s,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(trigger.events()[1]["triggerSource"], "TokenGeneration_RefreshTokens");
    }
}

#[tokio::test]
async fn the_answer_is_applied_as_cognito_applies_it() {
    let readers = json!([{
        "email": DOGS.0, "password": DOGS.1, "email_verified": true, "groups": ["readers"]
    }]);
    let start = |version, trigger: Arc<Scripted>| {
        let readers = readers.clone();
        async move {
            let dir = common::KeyDir::new();
            let s = stack_with_trigger(
                AuthorizerKind::Token,
                |s| {
                    s.trigger_version = version;
                    users_file(s, &dir.0, &readers);
                },
                trigger,
            )
            .await;
            drop(dir);
            s
        }
    };

    // V2: suppress wins over add; a group override replaces the groups in both tokens; scopes change.
    let s = start(
        TriggerVersion::V2,
        Scripted::responding(json!({"claimsAndScopeOverrideDetails": {
            "idTokenGeneration": {
                "claimsToAddOrOverride": {"team": "blue", "tier": "gold", "levels": [1, 2]},
                "claimsToSuppress": ["tier", "email"]
            },
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {"team": "red"},
                "scopesToAdd": ["claimsgate/pets.read"],
                "scopesToSuppress": ["email"]
            },
            "groupOverrideDetails": {"groupsToOverride": ["admins"]}
        }})),
    )
    .await;
    let tokens = exchange(&s, &sign_in(&s, DOGS, &[]).await).await;
    let id = claims_of(tokens["id_token"].as_str().unwrap());
    let access = claims_of(tokens["access_token"].as_str().unwrap());
    assert_eq!(id["team"], "blue");
    assert_eq!(id["levels"], json!([1, 2]), "V2 claims may be JSON");
    assert!(id.get("tier").is_none(), "suppress wins over add");
    assert!(id.get("email").is_none());
    assert_eq!(id["cognito:groups"], json!(["admins"]));
    assert_eq!(access["team"], "red");
    assert_eq!(access["cognito:groups"], json!(["admins"]));
    assert_eq!(access["scope"], "openid claimsgate/pets.read");

    // An empty group override removes the groups.
    let s = start(
        TriggerVersion::V2,
        Scripted::responding(json!({"claimsAndScopeOverrideDetails": {
            "groupOverrideDetails": {"groupsToOverride": []}
        }})),
    )
    .await;
    let tokens = exchange(&s, &sign_in(&s, DOGS, &[]).await).await;
    for token in ["id_token", "access_token"] {
        let claims = claims_of(tokens[token].as_str().unwrap());
        assert!(claims.get("cognito:groups").is_none(), "{token}: {claims}");
    }

    // V1 changes the ID token only: its answer's access-token part is ignored; the groups stay.
    let s = start(
        TriggerVersion::V1,
        Scripted::responding(json!({
            "claimsOverrideDetails": {"claimsToAddOrOverride": {"team": "blue"}},
            "claimsAndScopeOverrideDetails": {"accessTokenGeneration": {"claimsToAddOrOverride": {"team": "red"}}}
        })),
    )
    .await;
    let tokens = exchange(&s, &sign_in(&s, DOGS, &[]).await).await;
    let id = claims_of(tokens["id_token"].as_str().unwrap());
    let access = claims_of(tokens["access_token"].as_str().unwrap());
    assert_eq!(id["team"], "blue");
    assert!(access.get("team").is_none(), "{access}");
    assert_eq!(id["cognito:groups"], json!(["readers"]));

    // Claims Cognito manages cannot be touched: the sign-in fails, no token is issued.
    for details in [
        json!({"idTokenGeneration": {"claimsToAddOrOverride": {"sub": "someone-else"}}}),
        json!({"accessTokenGeneration": {"claimsToSuppress": ["cognito:groups"]}}),
    ] {
        let s = start(
            TriggerVersion::V2,
            Scripted::responding(json!({ "claimsAndScopeOverrideDetails": details })),
        )
        .await;
        let code = sign_in(&s, DOGS, &[]).await;
        let r = redeem(&s, &code).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let body: Value = r.json().await.unwrap();
        assert!(body.get("id_token").is_none());
        let description = body["error_description"].as_str().unwrap();
        assert!(description.starts_with("PreTokenGeneration failed"), "{description}");
    }

    // A failing trigger fails the sign-in too.
    let s = start(TriggerVersion::V2, Scripted::new(|_| Err("boom".into()))).await;
    let code = sign_in(&s, DOGS, &[]).await;
    let r = redeem(&s, &code).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

/// The shipped store plus the README's scope policy for machine tokens.
async fn scoped_stack(
    kind: AuthorizerKind,
    version: TriggerVersion,
    trigger: Arc<Scripted>,
) -> TestStack {
    let scopes = common::readme_block("### Machine-to-machine tokens", "cedar", 0);
    let store = common::PolicyDir::shipped_plus(&[("scopes.cedar", &scopes)]);
    stack_with_trigger(
        kind,
        |s| {
            s.trigger_version = version;
            s.policies = Some(store.0.clone());
        },
        trigger,
    )
    .await
}

#[tokio::test]
async fn a_machine_token_is_authorized_by_its_scope_in_every_api_mode() {
    for kind in KINDS {
        let trigger = Scripted::real();
        let s = scoped_stack(kind, TriggerVersion::V3, trigger.clone()).await;
        let r = machine_token(
            &s,
            &[
                ("grant_type", "client_credentials"),
                ("scope", "claimsgate/pets.read"),
                ("aws_client_metadata", r#"{"tenant":"t1"}"#),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["cache-control"], "no-store");
        let body: Value = r.json().await.unwrap();
        assert!(body.get("id_token").is_none() && body.get("refresh_token").is_none());
        assert_eq!(body["token_type"], "Bearer");
        let token = body["access_token"].as_str().unwrap();
        let claims = claims_of(token);
        assert_eq!(claims["scope"], "claimsgate/pets.read");
        assert_eq!(claims["client_id"], MACHINE_ID);
        assert_eq!(claims["sub"], MACHINE_ID, "the client, not a user");
        assert_eq!(claims["token_use"], "access");
        for user_claim in ["username", "email", "cognito:groups", "origin_jti"] {
            assert!(claims.get(user_claim).is_none(), "{user_claim}");
        }

        // The V3 trigger ran its client-credentials path with Cognito's event.
        let event = &trigger.events()[0];
        assert_eq!(event["version"], "3");
        assert_eq!(event["triggerSource"], "TokenGeneration_ClientCredentials");
        assert_eq!(event["callerContext"]["clientId"], MACHINE_ID);
        assert_eq!(event["request"]["scopes"], json!(["claimsgate/pets.read"]));
        assert_eq!(event["request"]["clientMetadata"], json!({"tenant": "t1"}));
        assert_eq!(event["request"]["userAttributes"], json!({}));

        for (path, want) in [
            ("/dogs", StatusCode::OK),
            ("/cats", StatusCode::FORBIDDEN),
            ("/me/claims", StatusCode::OK),
        ] {
            assert_eq!(api(&s, path, Some(token)).await.0, want, "{kind:?} {path}");
        }
        let (_, me) = api(&s, "/me/claims", Some(token)).await;
        assert_eq!(me["claims"]["client_id"], MACHINE_ID);
    }
}

#[tokio::test]
async fn the_client_credentials_grant_follows_cognito_rules() {
    let trigger = Scripted::real();
    let s = scoped_stack(AuthorizerKind::Token, TriggerVersion::V2, trigger.clone()).await;

    // client_secret_post, no scope: every scope of the client; a V2 trigger is not invoked.
    let r = token_request(&s)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", MACHINE_ID),
            ("client_secret", MACHINE_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let token: Value = r.json().await.unwrap();
    assert_eq!(
        claims_of(token["access_token"].as_str().unwrap())["scope"],
        "claimsgate/pets.read claimsgate/pets.write"
    );
    assert!(trigger.events().is_empty(), "V2 triggers see no machine");

    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[("grant_type", "client_credentials"), ("scope", "claimsgate/pets.admin")],
            "invalid_scope",
        ),
        (&[("grant_type", "client_credentials"), ("scope", "openid")], "invalid_scope"),
        (
            &[("grant_type", "client_credentials"), ("aws_client_metadata", "[1]")],
            "invalid_request",
        ),
        // Cognito's ClientMetadata maps names to strings only.
        (
            &[("grant_type", "client_credentials"), ("aws_client_metadata", r#"{"tenant":1}"#)],
            "invalid_request",
        ),
    ];
    for (form, error) in cases {
        let r = machine_token(&s, form).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{form:?}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"], error, "{form:?}");
    }

    // Each client has its own grants.
    let r = exchange_basic(&s, &[("grant_type", "client_credentials")]).await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "unauthorized_client");
    let r = machine_token(
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("redirect_uri", common::flow::CALLBACK),
        ],
    )
    .await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "unauthorized_client");
    let r = token_request(&s)
        .basic_auth(MACHINE_ID, Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_real_trigger_gives_machines_the_configured_pet() {
    let s = stack_with(AuthorizerKind::Http, |s| {
        s.trigger_version = TriggerVersion::V3;
        s.function_env.insert("CLIENT_CREDENTIALS_PET".into(), "dogs".into());
    })
    .await;
    let body: Value =
        machine_token(&s, &[("grant_type", "client_credentials")]).await.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(claims_of(token)["pet_preference"], "dogs");
    // The default route table admits it by pet.
    assert_eq!(api(&s, "/dogs", Some(token)).await.0, StatusCode::OK);
    assert_eq!(api(&s, "/cats", Some(token)).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_route_table_answers_alike_through_rest_and_http_apis() {
    let mut answers = Vec::new();
    for kind in KINDS {
        let s = scoped_stack(kind, TriggerVersion::V3, Scripted::real()).await;
        let dogs = s.tokens_for(DOGS.0).await.unwrap();
        let cats = s.tokens_for(CATS.0).await.unwrap();
        let machine: Value = machine_token(
            &s,
            &[("grant_type", "client_credentials"), ("scope", "claimsgate/pets.write")],
        )
        .await
        .json()
        .await
        .unwrap();
        let machine = machine["access_token"].as_str().unwrap().to_owned();
        let mut statuses = Vec::new();
        for token in [
            Some(dogs.id_token.as_str()),
            Some(dogs.access_token.as_str()),
            Some(cats.id_token.as_str()),
            Some(machine.as_str()),
            Some("not-a-jwt"),
            None,
        ] {
            for path in ["/dogs", "/cats", "/me/claims"] {
                statuses.push(api(&s, path, token).await.0.as_u16());
            }
        }
        answers.push((kind, statuses));
    }
    let want = [
        200, 403, 200, // dogs ID token
        200, 403, 200, // dogs access token
        403, 200, 200, // cats
        403, 403, 200, // machine without the scope /dogs admits
        401, 401, 401, // garbage
        401, 401, 401, // no token
    ];
    for (kind, statuses) in answers {
        assert_eq!(statuses, want, "{kind:?}");
    }
}

#[tokio::test]
async fn the_http_api_answers_like_an_http_api() {
    let s = stack_with(AuthorizerKind::Http, |_| {}).await;
    let dogs = s.tokens_for(DOGS.0).await.unwrap().id_token;
    let (status, body) = api(&s, "/dogs", None).await;
    assert_eq!((status, body), (StatusCode::UNAUTHORIZED, json!({"message": "Unauthorized"})));
    let (status, body) = api(&s, "/cats", Some(&dogs)).await;
    assert_eq!((status, body), (StatusCode::FORBIDDEN, json!({"message": "Forbidden"})));
    let (status, body) = api(&s, "/birds", Some(&dogs)).await;
    assert_eq!((status, body), (StatusCode::NOT_FOUND, json!({"message": "Not Found"})));
    let r = client().get(format!("{}/dogs", s.api_url)).bearer_auth(&dogs).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().contains_key("apigw-requestid"));
    assert!(!r.headers().contains_key("x-amzn-errortype"));

    // The integration gets a payload 2.0 event on $default with the simple response's context.
    let (status, me) = api(&s, "/me/claims", Some(&dogs)).await;
    assert_eq!(status, StatusCode::OK);
    // `requestContext.authorizer.lambda` is the context; a REST API would add `principalId`.
    assert_eq!(me["authorizer"]["pet_preference"], "dogs", "{me}");
    assert_eq!(me["authorizer"]["token_use"], "id");
    assert!(me["authorizer"].get("principalId").is_none(), "{me}");
}

#[tokio::test]
async fn the_http_api_caches_per_identity_source_and_route() {
    let s = stack_with(AuthorizerKind::Http, |_| {}).await;
    let now = s.clock.now_secs();
    let short_lived = s
        .cognito
        .issuer
        .keys
        .current()
        .sign(&with_claims(
            cognito_id_claims(s.cognito.issuer_url(), CLIENT_ID, now, "j1"),
            json!({"exp": now + 2}),
        ))
        .unwrap();
    assert_eq!(api(&s, "/dogs", Some(&short_lived)).await.0, StatusCode::OK);
    assert_eq!(
        api(&s, "/cats", Some(&short_lived)).await.0,
        StatusCode::FORBIDDEN,
        "a cached yes for /dogs is not replayed on /cats"
    );
    s.clock.advance(Duration::from_secs(3));
    // Expired now: within the TTL the cached answer of each route stands, as in AWS; a new route asks again.
    assert_eq!(api(&s, "/dogs", Some(&short_lived)).await.0, StatusCode::OK);
    assert_eq!(api(&s, "/me/claims", Some(&short_lived)).await.0, StatusCode::UNAUTHORIZED);
    s.clock.advance(Duration::from_secs(300));
    assert_eq!(api(&s, "/dogs", Some(&short_lived)).await.0, StatusCode::UNAUTHORIZED);
}

/// `POST /admin/rotate-key` as `claimsgate rotate-key` sends it.
async fn rotate(s: &TestStack, body: Value) -> reqwest::Response {
    client().post(format!("{}/admin/rotate-key", s.cognito_url)).json(&body).send().await.unwrap()
}

#[tokio::test]
async fn a_key_rotation_walks_from_publish_to_retire() {
    // Tokens outlive the whole walk, so only the key decides.
    let s = stack_with(AuthorizerKind::Token, |s| {
        s.token_ttl = 86_400;
        s.authorizer_cache_ttl = 0;
    })
    .await;
    let old_tokens = s.tokens_for(DOGS.0).await.unwrap();
    let old = old_tokens.id_token.clone();
    let old_kid = s.cognito.issuer.keys.current().kid().to_owned();
    assert_eq!(published_kids(&s).await, [old_kid.as_str()]);
    assert_eq!(api(&s, "/dogs", Some(&old)).await.0, StatusCode::OK);

    let r =
        rotate(&s, json!({"grace_secs": 600, "private_key_pem": test_key(1, "").to_pkcs8_pem()}))
            .await;
    assert_eq!(r.status(), StatusCode::OK);
    let rotation: Value = r.json().await.unwrap();
    let new_kid = rotation["kid"].as_str().unwrap().to_owned();
    assert_ne!(new_kid, old_kid);
    assert_eq!(rotation["retiring"], json!([{"kid": old_kid, "retires_at": common::START + 600}]));
    assert_eq!(published_kids(&s).await, [new_kid.clone(), old_kid.clone()]);
    // The key file holds the new key, for `claimsgate token` and restarts.
    let saved = claimsgate::keys::load_or_create_key(&s.key.path()).unwrap();
    assert_eq!(saved.kid(), new_kid);

    // New tokens are signed with the new key; both keys verify, through the authorizer and userInfo.
    let new = s.tokens_for(DOGS.0).await.unwrap();
    assert_eq!(claims_of_header(&new.id_token)["kid"], new_kid, "signed with the new key");
    assert_eq!(api(&s, "/dogs", Some(&new.id_token)).await.0, StatusCode::OK);
    assert_eq!(api(&s, "/dogs", Some(&old)).await.0, StatusCode::OK);
    let r = client()
        .get(format!("{}/oauth2/userInfo", s.cognito_url))
        .bearer_auth(&new.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // A session begun before the rotation goes on: its refresh token still works, now with the new key.
    let r = exchange_basic(
        &s,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", old_tokens.refresh_token.as_deref().unwrap()),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let renewed: Value = r.json().await.unwrap();
    assert_eq!(claims_of_header(renewed["id_token"].as_str().unwrap())["kid"], new_kid);

    // After the grace the old key leaves the JWKS; the verifier still holds it until its next refresh...
    s.clock.advance(Duration::from_secs(601));
    assert_eq!(published_kids(&s).await, [new_kid.as_str()]);
    assert_eq!(api(&s, "/dogs", Some(&old)).await.0, StatusCode::OK);
    // ...and refuses its tokens once that refresh is in (JWKS_TTL_SECS is 3600;
    // past it the set answers while it refreshes in the background).
    s.clock.advance(Duration::from_secs(3600));
    let refused =
        eventually(|| async { api(&s, "/dogs", Some(&old)).await.0 == StatusCode::UNAUTHORIZED })
            .await;
    assert!(refused, "the old key's token passed after the refresh");
    let user_info = || async {
        let r = client()
            .get(format!("{}/oauth2/userInfo", s.cognito_url))
            .bearer_auth(&old_tokens.access_token)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json::<Value>().await.unwrap())
    };
    assert!(eventually(|| async { user_info().await.0 == StatusCode::UNAUTHORIZED }).await);
    assert_eq!(user_info().await.1["error_description"], "unknown_kid");
    assert_eq!(api(&s, "/dogs", Some(&new.id_token)).await.0, StatusCode::OK);
}

/// How many JWKS requests the pool has answered (`POST /admin/jwks-fault` with `{}` only reads).
async fn jwks_requests(s: &TestStack) -> u64 {
    let r = client().post(format!("{}/admin/jwks-fault", s.cognito_url)).json(&json!({}));
    let state: Value = r.send().await.unwrap().json().await.unwrap();
    state["jwks_requests"].as_u64().unwrap()
}

#[tokio::test]
async fn a_key_rotated_right_after_the_functions_fetched_verifies_on_its_first_request() {
    // Both functions fetched the JWKS as the stack started, at this very instant of its clock.
    let s = stack_with(AuthorizerKind::Token, |_| {}).await;
    assert_eq!(jwks_requests(&s).await, 2);
    let r = rotate(&s, json!({"private_key_pem": test_key(1, "").to_pkcs8_pem()})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let new = s.tokens_for(DOGS.0).await.unwrap();
    let (status, body) = api(&s, "/dogs", Some(&new.id_token)).await;
    assert_eq!(status, StatusCode::OK, "the first request with the new key: {body}");
    let (status, body) = api(&s, "/me/claims", Some(&new.id_token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["header"]["kid"], claims_of_header(&new.id_token)["kid"]);
    assert_eq!(jwks_requests(&s).await, 4, "each function fetched the new set once");
}

fn claims_of_header(jwt: &str) -> Value {
    use base64::Engine as _;
    let header = jwt.split('.').next().unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn the_admin_endpoint_takes_json_from_loopback_only() {
    let s = stack_with(AuthorizerKind::Token, |_| {}).await;
    let url = format!("{}/admin/rotate-key", s.cognito_url);
    // A cross-site form post cannot send JSON without a preflight.
    let r = client().post(&url).form(&[("grace_secs", "1")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // DNS rebinding: a page of another site resolving to 127.0.0.1 names its own host.
    let r =
        client().post(&url).header("host", "evil.example").json(&json!({})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = rotate(&s, json!({"private_key_pem": "not a key"})).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = rotate(&s, json!({"grace": 5})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "unknown field");
    assert_eq!(published_kids(&s).await.len(), 1, "nothing rotated");
}

/// An authorizer Lambda that answers every event with the answer last set.
#[derive(Debug)]
struct Answering(std::sync::Mutex<Result<Value, String>>);

impl Answering {
    fn new(answer: Result<Value, String>) -> Arc<Self> {
        Arc::new(Self(std::sync::Mutex::new(answer)))
    }

    fn set(&self, answer: Result<Value, String>) {
        *self.0.lock().unwrap() = answer;
    }
}

impl AuthorizerFunction for Answering {
    fn invoke(&self, _event: Value) -> BoxFuture<'_, Result<Value, String>> {
        let answer = self.0.lock().unwrap().clone();
        Box::pin(async move { answer })
    }
}

#[tokio::test]
async fn an_authorizer_that_fails_is_a_500_and_one_that_says_unauthorized_a_401() {
    let unauthorized = (StatusCode::UNAUTHORIZED, json!({"message": "Unauthorized"}));
    for kind in KINDS {
        let internal = match kind {
            AuthorizerKind::Http => json!({"message": "Internal Server Error"}),
            _ => json!({"message": "Internal server error"}),
        };
        let internal = (StatusCode::INTERNAL_SERVER_ERROR, internal);
        // An answer API Gateway cannot use: no policy (REST), no isAuthorized (HTTP API).
        let unusable = match kind {
            AuthorizerKind::Http => json!({"context": {"sub": "s"}}),
            _ => json!({"principalId": "s", "context": {}}),
        };
        let authorizer = Answering::new(Ok(Value::Null));
        let s = common::stack_with_authorizer(kind, |_| {}, authorizer.clone()).await;
        let token = s.tokens_for(DOGS.0).await.unwrap().id_token;
        for (answer, want) in [
            (Err("RuntimeError: the function crashed".to_owned()), &internal),
            (Err("Task timed out after 3.00 seconds".to_owned()), &internal),
            (Ok(unusable), &internal),
            (Err("Unauthorized".to_owned()), &unauthorized),
        ] {
            let what = format!("{kind:?}, the authorizer answering {answer:?}");
            authorizer.set(answer);
            for path in ["/dogs", "/me/claims"] {
                assert_eq!(&api(&s, path, Some(&token)).await, want, "{what}: {path}");
            }
        }
    }
    // The REST 500 is API Gateway's AUTHORIZER_CONFIGURATION_ERROR, with CORS when origins are set.
    let crash = Answering::new(Err("RuntimeError".to_owned()));
    let s = common::stack_with_authorizer(
        AuthorizerKind::Token,
        |s| s.cors_allow_origins = vec!["https://app.example".to_owned()],
        crash,
    )
    .await;
    let r = client()
        .get(format!("{}/dogs", s.api_url))
        .bearer_auth("any.token.here")
        .header("Origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let header =
        |name: &str| r.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(header("x-amzn-errortype").as_deref(), Some("AuthorizerConfigurationException"));
    assert_eq!(header("access-control-allow-origin").as_deref(), Some("https://app.example"));
}
