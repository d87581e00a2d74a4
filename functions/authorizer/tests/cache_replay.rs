//! API Gateway caches the policy per token and replays it on other routes.
//! For every user, every called route and every other route, the replayed
//! policy must decide exactly what a fresh call on that other route decides.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Harness, arn, token_event};
use serde_json::{Value, json};

/// What API Gateway does with the policy of `response` for a call of `resource`.
fn permits(response: &Value, resource: &str) -> bool {
    common::iam::permits(&response["policyDocument"], resource)
}

async fn replay_all(
    harness: &Harness,
    tokens: &[(&str, String, Vec<&str>)],
    routes: &[(&str, &str)],
) {
    for (who, token, want_allowed) in tokens {
        for (called_method, called_path) in routes {
            let cached =
                harness.call(token_event(token, called_method, called_path)).await.unwrap();
            for (method, path) in routes {
                let fresh = harness.call(token_event(token, method, path)).await.unwrap();
                let resource = arn(method, path);
                let replayed = permits(&cached, &resource);
                assert_eq!(
                    replayed,
                    permits(&fresh, &resource),
                    "{who}: policy cached on {called_method} {called_path} replayed on {method} {path}"
                );
                let route = format!("{method} {path}");
                assert_eq!(replayed, want_allowed.contains(&route.as_str()), "{who} on {route}");
            }
        }
    }
}

#[tokio::test]
async fn cached_policy_is_right_for_every_route_default_table() {
    let h = Harness::new();
    let no_pet = h.sign(&common::id_claims("nnnnnnnn-3333", "no-pet", None));
    let odd_pet = h.sign(&common::id_claims("oooooooo-4444", "odd-pet", Some("birds")));
    let access = h.sign(&common::access_claims(common::CATS_SUB, "cat-lover", Some("cats")));
    let tokens = [
        ("dogs", h.dogs_id_token(), vec!["GET /dogs", "GET /me/claims"]),
        ("cats", h.cats_id_token(), vec!["GET /cats", "GET /me/claims"]),
        ("cats access token", access, vec!["GET /cats", "GET /me/claims"]),
        ("no pet", no_pet, vec!["GET /me/claims"]),
        ("unknown pet", odd_pet, vec!["GET /me/claims"]),
    ];
    let routes = [
        ("GET", "/dogs"),
        ("GET", "/cats"),
        ("GET", "/me/claims"),
        ("POST", "/dogs"),
        ("GET", "/admin"),
        ("GET", "/"),
        ("GET", "/dogs/1"),
    ];
    replay_all(&h, &tokens, &routes).await;
}

#[tokio::test]
async fn cached_policy_is_right_for_every_route_of_a_store_with_parameters() {
    let schema = r#"namespace Shop {
        entity UserGroup; entity Application;
        entity User in [UserGroup] { "pet_preference"?: String };
        action "get /pets", "post /dogs", "delete /cats", "get /", "get /pets/{petId}", "get /pets/{petId}/photos"
            appliesTo { principal: [User], resource: [Application] };
    }"#;
    let pet =
        |p: &str| format!(r#"principal has pet_preference && principal.pet_preference == "{p}""#);
    let policies = [
        r#"permit (principal, action in [Shop::Action::"get /pets", Shop::Action::"get /"], resource);"#.to_owned(),
        format!(r#"permit (principal, action == Shop::Action::"post /dogs", resource) when {{ {} }};"#, pet("dogs")),
        format!(r#"permit (principal, action == Shop::Action::"delete /cats", resource) when {{ {} }};"#, pet("cats")),
        // Dogs people see a pet, cats people its photos: `GET/pets/*` also matches the photos' requests.
        format!(r#"permit (principal, action == Shop::Action::"get /pets/{{petId}}", resource) when {{ {} }};"#, pet("dogs")),
        format!(r#"permit (principal, action == Shop::Action::"get /pets/{{petId}}/photos", resource) when {{ {} }};"#, pet("cats")),
    ];
    let policies: Vec<&str> = policies.iter().map(String::as_str).collect();
    let h = Harness::with_store(common::store(schema, &policies));
    let tokens = [
        (
            "dogs",
            h.dogs_id_token(),
            vec!["GET /pets", "POST /dogs", "GET /", "GET /pets/7", "GET /pets/mine"],
        ),
        (
            "cats",
            h.cats_id_token(),
            vec!["GET /pets", "DELETE /cats", "GET /", "GET /pets/7/photos"],
        ),
    ];
    let routes = [
        ("GET", "/pets"),
        ("POST", "/dogs"),
        ("DELETE", "/cats"),
        ("GET", "/"),
        ("GET", "/dogs"),
        ("GET", "/pets/7"),
        ("GET", "/pets/7/photos"),
        ("GET", "/pets/mine"),
    ];
    replay_all(&h, &tokens, &routes).await;
}

#[tokio::test]
async fn the_policy_does_not_depend_on_the_called_listed_route() {
    let h = Harness::new();
    let token = h.dogs_id_token();
    let on_dogs = h.call(token_event(&token, "GET", "/dogs")).await.unwrap();
    for path in ["/cats", "/me/claims"] {
        assert_eq!(h.call(token_event(&token, "GET", path)).await.unwrap(), on_dogs, "{path}");
    }
    assert_eq!(on_dogs["principalId"], json!(common::DOGS_SUB));
}

#[tokio::test]
async fn each_api_and_stage_gets_its_own_policy_document() {
    let h = Harness::new();
    let users = [(h.dogs_id_token(), "dogs", "cats"), (h.cats_id_token(), "cats", "dogs")];
    // Many APIs and stages, each called twice: every document names its own.
    for round in 0..2 {
        for stage in 0..40 {
            for (token, pet, other) in &users {
                let prefix =
                    format!("arn:aws:execute-api:eu-west-1:210987654321:api{stage}/stage{stage}");
                let event = json!({
                    "type": "TOKEN",
                    "authorizationToken": format!("Bearer {token}"),
                    "methodArn": format!("{prefix}/GET/{pet}"),
                });
                let response = h.call(event).await.unwrap();
                let statements = &response["policyDocument"]["Statement"];
                let want = json!([
                    {
                        "Action": "execute-api:Invoke",
                        "Effect": "Allow",
                        "Resource": [format!("{prefix}/GET/{pet}"), format!("{prefix}/GET/me/claims")],
                    },
                    {
                        "Action": "execute-api:Invoke",
                        "Effect": "Deny",
                        "Resource": [format!("{prefix}/GET/{other}")],
                    },
                ]);
                assert_eq!(statements, &want, "round {round}, stage {stage}, {pet}");
            }
        }
    }
}

#[test]
fn the_tests_iam_evaluator_lets_a_deny_win_and_needs_an_allow() {
    use common::iam::{matches, permits};
    let policy = serde_json::json!({"Statement": [
        {"Effect": "Allow", "Resource": ["arn:x/GET/pets/*"]},
        {"Effect": "Deny", "Resource": "arn:x/GET/pets/*/photos"},
    ]});
    assert!(permits(&policy, "arn:x/GET/pets/7"));
    assert!(permits(&policy, "arn:x/GET/pets/7/toys"));
    assert!(!permits(&policy, "arn:x/GET/pets/7/photos"));
    assert!(!permits(&policy, "arn:x/GET/cats"));
    assert!(matches(b"a?c", b"abc") && !matches(b"a?c", b"ac"));
}
