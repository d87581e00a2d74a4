//! Success, routing and CORS, through `lambda_http` requests parsed from event fixtures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use lambda_http::RequestExt;
use serde_json::json;
use support::*;

#[tokio::test]
async fn rest_event_echoes_the_verified_header_and_claims() {
    let h = Harness::new();
    let claims = id_claims();
    let response = h.call(event("rest-v1-get.json", &sign(&claims))).await;

    assert_eq!(response.status(), 200, "{}", body_text(&response));
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    assert_eq!(header(&response, "cache-control"), Some("no-store"));
    assert_eq!(header(&response, "www-authenticate"), None);
    let body = body_json(&response);
    assert_eq!(body["token_use"], "id");
    assert_eq!(body["header"], json!({"alg": "RS256", "kid": KID}));
    // Every claim exactly as in the token: numbers stay numbers, groups stay an array.
    assert_eq!(body["claims"], claims);
    assert_eq!(body["claims"]["cognito:groups"], json!(["readers", "writers"]));
    assert_eq!(body["expires_in"], 3600);
    assert!(body.get("authorizer").is_none(), "{body}");
}

#[tokio::test]
async fn rest_event_carries_the_authorizer_context_under_its_own_key() {
    let h = Harness::new();
    let response = h.call(event("rest-v1-authorizer.json", &sign(&id_claims()))).await;

    assert_eq!(response.status(), 200, "{}", body_text(&response));
    let body = body_json(&response);
    let authorizer = &body["authorizer"];
    assert_eq!(authorizer["principalId"], "7d8ca528-4931-4254-9273-ea5ee853f271");
    assert_eq!(authorizer["pet_preference"], "dogs");
    assert_eq!(authorizer["token_use"], "id");
    assert_eq!(authorizer["integrationLatency"], 3);
    // The authorizer's view never leaks into the verified claims.
    assert!(body["claims"].get("principalId").is_none());
}

#[tokio::test]
async fn http_api_event_with_a_lambda_authorizer_carries_its_context() {
    let h = Harness::new();
    let request = event_with("http-v2-get.json", &sign(&id_claims()), |e| {
        e["requestContext"]["authorizer"] = json!({"lambda": {"pet_preference": "dogs"}});
    });
    let body = body_json(&h.call(request).await);
    assert_eq!(body["authorizer"], json!({"pet_preference": "dogs"}));
}

#[tokio::test]
async fn http_api_and_function_url_events_are_served() {
    let h = Harness::new();
    for fixture in ["http-v2-get.json", "function-url-get.json"] {
        let response = h.call(event(fixture, &sign(&access_claims()))).await;
        assert_eq!(response.status(), 200, "{fixture}: {}", body_text(&response));
        assert_eq!(header(&response, "cache-control"), Some("no-store"));
        let body = body_json(&response);
        assert_eq!(body["token_use"], "access", "{fixture}");
        assert_eq!(body["claims"]["scope"], "openid email", "{fixture}");
        assert_eq!(body["expires_in"], 3600, "{fixture}");
        assert!(body.get("authorizer").is_none(), "{fixture}: {body}");
    }
}

#[tokio::test]
async fn expires_in_counts_down_and_an_expired_cached_token_is_refused() {
    let h = Harness::new();
    let token = sign(&id_claims());
    assert_eq!(body_json(&h.call(event("rest-v1-get.json", &token)).await)["expires_in"], 3600);

    h.clock.advance(Duration::from_secs(3000));
    assert_eq!(body_json(&h.call(event("rest-v1-get.json", &token)).await)["expires_in"], 600);

    h.clock.advance(Duration::from_secs(600));
    let response = h.call(event("rest-v1-get.json", &token)).await;
    assert_problem(&response, 401, "token_expired");
    // One fetch served every request: the repeated token skipped the key lookup.
    assert_eq!(h.fetcher.calls(), 1);
}

#[tokio::test]
async fn rest_event_path_arrives_with_the_stage_prefix_and_is_served() {
    let h = Harness::new();
    let request = event("rest-v1-get.json", &sign(&id_claims()));
    // What lambda_http makes of a REST event: the stage is put in front of the path.
    assert_eq!(request.uri().path(), "/prod/me/claims");
    assert_eq!(request.raw_http_path(), "/me/claims");
    assert_eq!(h.call(request).await.status(), 200);

    // A custom domain with a base path mapping: the path differs, the matched resource does not.
    let request = event_with("rest-v1-get.json", &sign(&id_claims()), |e| {
        e["path"] = json!("/api/me/claims");
    });
    assert_eq!(h.call(request).await.status(), 200);
}

/// A greedy `/{proxy+}` resource behind a base path mapping named for its stage:
/// only the path names the resource, and it carries the stage.
#[tokio::test]
async fn rest_proxy_resource_with_the_stage_in_its_path_is_served() {
    let h = Harness::new();
    let request = event_with("rest-v1-get.json", &sign(&id_claims()), |e| {
        e["path"] = json!("/prod/me/claims");
        e["resource"] = json!("/{proxy+}");
        e["requestContext"]["resourcePath"] = json!("/{proxy+}");
    });
    assert_eq!(request.raw_http_path(), "/prod/me/claims");
    let response = h.call(request).await;
    assert_eq!(response.status(), 200, "{}", body_text(&response));
}

/// An HTTP API behind a custom domain's API mapping: the path gains the mapping key,
/// the route key still names the route.
#[tokio::test]
async fn http_api_route_key_names_the_route_under_an_api_mapping() {
    let h = Harness::new();
    let request = event_with("http-v2-get.json", &sign(&id_claims()), |e| {
        e["rawPath"] = json!("/api/me/claims");
        e["requestContext"]["http"]["path"] = json!("/api/me/claims");
    });
    assert_eq!(request.uri().path(), "/api/me/claims");
    let response = h.call(request).await;
    assert_eq!(response.status(), 200, "{}", body_text(&response));
}

#[tokio::test]
async fn http_api_on_a_named_stage_is_served() {
    let h = Harness::new();
    let request = event_with("http-v2-get.json", &sign(&id_claims()), |e| {
        e["rawPath"] = json!("/prod/me/claims");
        e["requestContext"]["stage"] = json!("prod");
        e["routeKey"] = json!("$default");
        e["requestContext"]["routeKey"] = json!("$default");
    });
    assert_eq!(request.uri().path(), "/prod/me/claims");
    assert_eq!(h.call(request).await.status(), 200);
}

#[tokio::test]
async fn other_paths_are_404_problems() {
    let h = Harness::new();
    let token = sign(&id_claims());
    let rest = |path: &'static str| {
        event_with("rest-v1-get.json", &token, move |e| {
            e["path"] = json!(path);
            e["resource"] = json!(path);
            e["requestContext"]["resourcePath"] = json!(path);
            e["requestContext"]["path"] = json!(format!("/prod{path}"));
        })
    };
    let url = |path: &'static str| {
        event_with("function-url-get.json", &token, move |e| {
            e["rawPath"] = json!(path);
            e["requestContext"]["http"]["path"] = json!(path);
        })
    };
    for request in
        [rest("/dogs"), rest("/me"), rest("/me/claims/extra"), url("/"), url("/me/claimsx")]
    {
        let response = h.call(request).await;
        let body = assert_problem(&response, 404, "not_found");
        assert!(body["type"].as_str().unwrap().ends_with("#not_found"));
        assert_eq!(header(&response, "www-authenticate"), None);
    }
    // Routing comes before authentication: no key was fetched for these.
    assert_eq!(h.fetcher.calls(), 0);
}

#[tokio::test]
async fn other_methods_are_405_with_allow_get() {
    let h = Harness::new();
    let token = sign(&id_claims());
    for method in ["POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"] {
        let request = event_with("rest-v1-get.json", &token, |e| {
            e["httpMethod"] = json!(method);
            e["requestContext"]["httpMethod"] = json!(method);
        });
        assert_eq!(request.method().as_str(), method);
        let response = h.call(request).await;
        assert_problem(&response, 405, "method_not_allowed");
        assert_eq!(header(&response, "allow"), Some("GET"), "{method}");
        assert_eq!(header(&response, "access-control-allow-origin"), None);
    }
    let request = event_with("http-v2-get.json", &token, |e| {
        e["requestContext"]["http"]["method"] = json!("POST");
    });
    assert_problem(&h.call(request).await, 405, "method_not_allowed");
}

const APP_ORIGIN: &str = "https://app.example.com";

fn from_origin(fixture: &str, token: &str, origin: &str) -> lambda_http::Request {
    event_with(fixture, token, |e| set_header(e, "Origin", Some(origin)))
}

#[tokio::test]
async fn cors_grants_listed_origins_on_success_and_on_errors() {
    let h = Harness::with_cors(vec![APP_ORIGIN.to_owned()]);
    let ok = h.call(from_origin("rest-v1-get.json", &sign(&id_claims()), APP_ORIGIN)).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(header(&ok, "access-control-allow-origin"), Some(APP_ORIGIN));
    assert_eq!(header(&ok, "vary"), Some("Origin"));
    assert_eq!(header(&ok, "access-control-allow-credentials"), None);

    // A page must be able to read why it was refused.
    let refused = h.call(from_origin("rest-v1-get.json", "a.b.c", APP_ORIGIN)).await;
    assert_problem(&refused, 401, "malformed_token");
    assert_eq!(header(&refused, "access-control-allow-origin"), Some(APP_ORIGIN));
    assert_eq!(header(&refused, "access-control-expose-headers"), Some("WWW-Authenticate"));

    let stranger =
        h.call(from_origin("rest-v1-get.json", &sign(&id_claims()), "https://evil.example")).await;
    assert_eq!(stranger.status(), 200);
    assert_eq!(header(&stranger, "access-control-allow-origin"), None);
    assert_eq!(header(&stranger, "vary"), Some("Origin"));
}

#[tokio::test]
async fn cors_preflight_is_answered_without_a_token() {
    let h = Harness::with_cors(vec![APP_ORIGIN.to_owned()]);
    let preflight = |origin: &'static str| {
        event_with("rest-v1-get.json", "unused", move |e| {
            e["httpMethod"] = json!("OPTIONS");
            e["requestContext"]["httpMethod"] = json!("OPTIONS");
            set_header(e, "Authorization", None);
            set_header(e, "Origin", Some(origin));
            set_header(e, "Access-Control-Request-Method", Some("GET"));
            set_header(e, "Access-Control-Request-Headers", Some("authorization"));
        })
    };
    let response = h.call(preflight(APP_ORIGIN)).await;
    assert_eq!(response.status(), 204);
    assert_eq!(header(&response, "access-control-allow-origin"), Some(APP_ORIGIN));
    assert_eq!(header(&response, "access-control-allow-methods"), Some("GET"));
    assert_eq!(header(&response, "access-control-allow-headers"), Some("Authorization"));
    assert_eq!(header(&response, "access-control-max-age"), Some("600"));
    assert_eq!(header(&response, "cache-control"), Some("no-store"));
    assert_eq!(body_text(&response), "");

    let stranger = h.call(preflight("https://evil.example")).await;
    assert_eq!(stranger.status(), 204);
    assert_eq!(header(&stranger, "access-control-allow-origin"), None);
    assert_eq!(header(&stranger, "access-control-allow-methods"), None);

    // With CORS on, OPTIONS is a method of the resource; the others are still refused.
    let post = h
        .call(event_with("rest-v1-get.json", "x.y.z", |e| {
            e["httpMethod"] = json!("POST");
            e["requestContext"]["httpMethod"] = json!("POST");
        }))
        .await;
    assert_problem(&post, 405, "method_not_allowed");
    assert_eq!(header(&post, "allow"), Some("GET, OPTIONS"));
}

#[tokio::test]
async fn cors_star_allows_any_origin_without_vary() {
    let h = Harness::with_cors(vec!["*".to_owned()]);
    let response = h
        .call(from_origin("http-v2-get.json", &sign(&id_claims()), "https://anyone.example"))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&response, "vary"), None);
}

/// The smallest REST event the local stack's API Gateway stand-in may send.
#[tokio::test]
async fn minimal_rest_event_is_enough() {
    let h = Harness::new();
    let response = h.call(event("rest-v1-minimal.json", &sign(&id_claims()))).await;
    assert_eq!(response.status(), 200, "{}", body_text(&response));
    assert_eq!(body_json(&response)["authorizer"]["pet_preference"], "dogs");
}

/// lambda_http needs `requestContext.httpMethod` to read a REST event: without it, no request at all.
#[test]
fn rest_event_without_request_context_method_is_refused_by_lambda_http() {
    let mut value: serde_json::Value =
        serde_json::from_str(&fixture_text("rest-v1-minimal.json", "t")).unwrap();
    value["requestContext"].as_object_mut().unwrap().remove("httpMethod");
    assert!(lambda_http::request::from_str(&value.to_string()).is_err());
}
