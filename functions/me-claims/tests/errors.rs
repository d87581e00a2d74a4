//! Every refusal: missing and malformed headers, rejected tokens, unavailable keys.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use claimsgate_core::FetchError;
use claimsgate_core::testing::{bearer_cases, test_key};
use serde_json::json;
use support::*;

fn with_authorization(fixture: &str, value: Option<&str>) -> lambda_http::Request {
    event_with(fixture, "unused", |e| set_header(e, "Authorization", value))
}

#[tokio::test]
async fn missing_authorization_is_401_with_a_bare_challenge() {
    let h = Harness::new();
    for fixture in ["rest-v1-get.json", "http-v2-get.json", "function-url-get.json"] {
        let response = h.call(with_authorization(fixture, None)).await;
        let body = assert_problem(&response, 401, "missing_token");
        assert_eq!(
            header(&response, "www-authenticate"),
            Some(r#"Bearer realm="claimsgate""#),
            "{fixture}"
        );
        assert!(body["type"].as_str().unwrap().ends_with("#missing_token"));
    }
}

#[tokio::test]
async fn each_authorization_value_is_read_by_the_one_bearer_grammar() {
    let h = Harness::new();
    let token = sign(&id_claims());
    for (value, read) in bearer_cases(&token) {
        // An event carries header values only (no line break in one).
        if lambda_http::http::HeaderValue::from_str(&value).is_err() {
            continue;
        }
        for fixture in ["rest-v1-get.json", "http-v2-get.json"] {
            let response = h.call(with_authorization(fixture, Some(&value))).await;
            match &read {
                Ok(read) if *read == token => {
                    assert_eq!(response.status(), 200, "{value:?}: {}", body_text(&response));
                    continue;
                }
                // Read as a token, but not the one signed.
                Ok(_) => {
                    assert_problem(&response, 401, "malformed_token");
                    continue;
                }
                Err(_) => {}
            }
            let body = assert_problem(&response, 400, "invalid_request");
            let challenge = header(&response, "www-authenticate").unwrap();
            assert!(
                challenge.starts_with(
                    r#"Bearer realm="claimsgate", error="invalid_request", error_description=""#
                ),
                "{value:?}: {challenge}"
            );
            assert!(!body_text(&response).contains(&token), "{value:?}");
            assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{value:?}");
        }
    }
    // Only the values read as the signed token reached the verifier.
    assert_eq!(h.fetcher.calls(), 1);
}

#[tokio::test]
async fn two_authorization_headers_in_a_rest_event_are_400() {
    let h = Harness::new();
    let token = sign(&id_claims());
    let request = event_with("rest-v1-get.json", &token, |e| {
        e["headers"].as_object_mut().unwrap().remove("Authorization");
        e["multiValueHeaders"]["Authorization"] =
            json!([format!("Bearer {token}"), format!("Bearer {token}")]);
    });
    let response = h.call(request).await;
    let body = assert_problem(&response, 400, "invalid_request");
    assert!(body["detail"].as_str().unwrap().contains("more than one"));
}

/// Each bad, expired or foreign token: 401 `invalid_token`, the verifier's code, and a description.
#[tokio::test]
async fn rejected_tokens_are_401_invalid_token_with_the_verifier_code() {
    let h = Harness::new();
    let impostor = test_key(1, KID);
    let other_kid = test_key(2, "rotated-away");
    let hs256 =
        key().sign_raw(&json!({"alg": "HS256", "kid": KID, "typ": "JWT"}), &id_claims()).unwrap();
    let none = key().sign_raw(&json!({"alg": "none", "kid": KID}), &id_claims()).unwrap();
    let cases = [
        (sign(&with_claims(id_claims(), json!({"exp": NOW - 1}))), "token_expired"),
        (
            sign(&with_claims(
                id_claims(),
                json!({"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"}),
            )),
            "invalid_issuer",
        ),
        (
            sign(&with_claims(id_claims(), json!({"aud": "someone-elses-client"}))),
            "invalid_audience",
        ),
        (
            sign(&with_claims(access_claims(), json!({"client_id": "someone-elses-client"}))),
            "invalid_client_id",
        ),
        (sign(&with_claims(id_claims(), json!({"token_use": "refresh"}))), "invalid_token_use"),
        (sign(&with_claims(id_claims(), json!({"iat": NOW + 600}))), "token_issued_in_future"),
        (sign(&with_claims(id_claims(), json!({"nbf": NOW + 600}))), "token_not_yet_valid"),
        (sign(&with_claims(id_claims(), json!({"exp": "tomorrow"}))), "invalid_claim"),
        (impostor.sign(&id_claims()).unwrap(), "invalid_signature"),
        (other_kid.sign(&id_claims()).unwrap(), "unknown_kid"),
        (hs256, "alg_not_allowed"),
        (none, "alg_not_allowed"),
        ("a.b.c".to_owned(), "malformed_token"),
        ("eyJhbGciOiJSUzI1NiJ9".to_owned(), "malformed_token"),
        ("A".repeat(20_000), "token_too_large"),
    ];
    for (token, code) in &cases {
        let response = h.call(event("rest-v1-get.json", token)).await;
        let body = assert_problem(&response, 401, code);
        assert!(body["type"].as_str().unwrap().ends_with("#invalid_token"), "{code}");
        let challenge = header(&response, "www-authenticate").unwrap();
        let prefix = r#"Bearer realm="claimsgate", error="invalid_token", error_description=""#;
        assert!(challenge.starts_with(prefix), "{code}: {challenge}");
        assert!(challenge.len() > prefix.len() + 1, "{code}: empty description");
        assert!(!body_text(&response).contains(token.as_str()), "{code}: token echoed");
    }
}

#[tokio::test]
async fn unreachable_jwks_is_503_not_401() {
    let h = Harness::new();
    h.fetcher.set(Err(FetchError::Status(500)));
    let response = h.call(event("rest-v1-get.json", &sign(&id_claims()))).await;

    let body = assert_problem(&response, 503, "jwks_unavailable");
    assert!(body["type"].as_str().unwrap().ends_with("#jwks_unavailable"));
    // Not the client's fault: no bearer challenge that would send it to fetch a new token,
    // and a Retry-After of the JWKS refetch interval (JWKS_MIN_REFRESH_SECS, 10 by default).
    assert_eq!(header(&response, "www-authenticate"), None);
    assert_eq!(header(&response, "retry-after"), Some("10"));
    assert!(h.fetcher.calls() >= 1);
}
