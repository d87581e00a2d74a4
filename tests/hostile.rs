//! Hostile input as a user meets it: long signatures through the stack and the
//! CLI, odd payloads signed by the issuer, one bearer grammar for every part,
//! HTTP APIs on their `$default` stage, and a closed standard output.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};

use authorizer::Authorizer;
use authorizer::event::AuthorizerEvent;
use authorizer::policies::Store;
use authorizer::response::Answer;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use claimsgate::AuthorizerKind;
use claimsgate_core::signing::SigningKey;
use claimsgate_core::testing::{bearer_cases, cognito_id_claims, test_key};
use claimsgate_core::{TokenUsePolicy, Verifier, VerifierConfig};
use common::flow::{api, published_kids};
use common::{KeyDir, START, stack, stack_with};
use jsonwebtoken::{Algorithm, EncodingKey};
use reqwest::StatusCode;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_claimsgate");
const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Hostile";
const CLIENT: &str = "hostile-client";

/// The token of the report: header `{"alg":"RS256","kid":"x"}`, payload `{}`, a signature of `sig_len` `A`s.
fn long_signature(sig_len: usize) -> String {
    format!("eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.e30.{}", "A".repeat(sig_len))
}

/// An RS256 token over exactly this header and payload text (which serde_json could not write).
fn sign_text(key: &SigningKey, header: &str, payload: &str) -> String {
    let signed = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
    let encoding = EncodingKey::from_rsa_pem(key.to_pkcs8_pem().as_bytes()).unwrap();
    let signature =
        jsonwebtoken::crypto::sign(signed.as_bytes(), &encoding, Algorithm::RS256).unwrap();
    format!("{signed}.{signature}")
}

/// Payloads a signing issuer might produce that a lenient parser would read
/// half-way: each must be refused whole.
fn odd_payloads(iss: &str, aud: &str) -> Vec<(&'static str, String)> {
    let base = cognito_id_claims(iss, aud, START, "odd").to_string();
    let with = |extra: &str| format!("{}, {extra}}}", &base[..base.len() - 1]);
    vec![
        ("a lone surrogate", with(r#""name": "\ud800""#)),
        ("a number out of range", with(r#""n": 1e400"#)),
        ("nesting 40 deep", with(&format!(r#""deep": {}{}"#, "[".repeat(40), "]".repeat(40)))),
        ("a duplicate claim", with(r#""pet_preference": "cats""#)),
        ("a duplicate name inside a claim", with(r#""o": {"a": 1, "a": 2}"#)),
        ("a fractional exp", base.replace(&format!("{}", START + 3600), "1767229200.5")),
    ]
}

fn verifier(key: &SigningKey) -> Verifier {
    let config = VerifierConfig::for_issuer(ISS, &[CLIENT], TokenUsePolicy::Any).unwrap();
    claimsgate_core::Verifier::in_memory(&config, key.jwks().to_string().into_bytes(), START).0
}

/// A REST proxy event for `GET /me/claims`, as API Gateway sends it, with this `Authorization` value.
fn me_claims_request(authorization: &str) -> lambda_http::Request {
    let event = json!({
        "resource": "/me/claims", "path": "/me/claims", "httpMethod": "GET",
        "headers": {"Authorization": authorization},
        "multiValueHeaders": {"Authorization": [authorization]},
        "requestContext": {"accountId": "123456789012", "apiId": "abc", "stage": "prod",
            "resourcePath": "/me/claims", "httpMethod": "GET", "path": "/prod/me/claims",
            "requestId": "r", "identity": {"sourceIp": "203.0.113.1"}},
        "isBase64Encoded": false,
    });
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

fn body_json(response: &lambda_http::Response<lambda_http::Body>) -> Value {
    match response.body() {
        lambda_http::Body::Text(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

#[tokio::test]
async fn long_signatures_get_401_from_the_stack() {
    let s = stack().await;
    let dogs = s.tokens_for("test-user@amazon.com").await.unwrap().id_token;
    let signed = dogs.rsplit_once('.').unwrap().0.to_owned();
    let tokens = [
        long_signature(1367),
        long_signature(1368),
        format!("{signed}.{}", "A".repeat(1368)),
        // 16,383 bytes in all, just under the cap: the signature decodes to 12 KiB.
        {
            let mut t = format!("{signed}.");
            t.push_str(&"A".repeat(16_383 - t.len()));
            t
        },
        format!("{signed}.{}", "A".repeat(16_383)),
    ];
    let client = reqwest::Client::new();
    for token in &tokens {
        for route in ["/dogs", "/me/claims"] {
            let response = client
                .get(format!("{}{route}", s.api_url))
                .bearer_auth(token)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{route}, {}-byte token: no answer: {e}", token.len()));
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{route}, {}-byte token",
                token.len()
            );
            assert_eq!(response.json::<Value>().await.unwrap(), json!({"message": "Unauthorized"}));
        }
    }
    // The stack still serves after all of them.
    let r = client.get(format!("{}/dogs", s.api_url)).bearer_auth(&dogs).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[test]
fn cli_verify_refuses_long_signatures_with_an_error_code() {
    for token in [long_signature(1368), long_signature(16_383)] {
        let out = Command::new(BIN)
            .args(["verify", &token, "--issuer", "http://127.0.0.1:9/local_pool"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(answer["valid"], false);
        let want = if token.len() > claimsgate_core::MAX_TOKEN_BYTES {
            "token_too_large"
        } else {
            "missing_claim"
        };
        assert_eq!(answer["code"], want, "{}-byte token", token.len());
    }
}

#[test]
fn a_closed_standard_output_is_a_quiet_exit() {
    let key = KeyDir::new();
    // `claimsgate token … | true`: the reading end is gone before the first write.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut command = Command::new(BIN);
    command
        .args(["token", "--email", "test-user@amazon.com", "--key-file"])
        .arg(key.path())
        .stdout(writer)
        .stderr(Stdio::piped());
    let child = command.spawn().unwrap();
    drop(command);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
}

#[tokio::test]
async fn odd_payloads_signed_by_the_issuer_are_malformed_everywhere() {
    let key = test_key(0, "hostile-kid");
    let header = r#"{"alg":"RS256","kid":"hostile-kid"}"#;
    let verifier = verifier(&key);
    let app = me_claims::App::new(self::verifier(&key), Vec::new());
    // The control: the same payload without the oddity verifies and is echoed whole.
    let plain = cognito_id_claims(ISS, CLIENT, START, "plain");
    let token = sign_text(&key, header, &plain.to_string());
    assert!(verifier.verify(&token).await.is_ok());
    let ok = app.handle(me_claims_request(&format!("Bearer {token}"))).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(body_json(&ok)["claims"], plain);

    for (what, payload) in odd_payloads(ISS, CLIENT) {
        let token = sign_text(&key, header, &payload);
        let code = match verifier.verify(&token).await {
            Ok(v) => panic!("{what}: verified as {:?}", v.claims),
            Err(e) => e.code(),
        };
        let want = if what == "a fractional exp" { "invalid_claim" } else { "malformed_token" };
        assert_eq!(code, want, "{what}");
        let response = app.handle(me_claims_request(&format!("Bearer {token}"))).await.unwrap();
        let body = body_json(&response);
        assert_eq!(response.status(), 401, "{what}: {body}");
        assert_eq!(body["code"], want, "{what}");
        assert!(body.get("claims").is_none(), "{what}: {body}");
    }
}

#[tokio::test]
async fn odd_payloads_signed_by_the_stack_get_401() {
    let s = stack().await;
    // The pool signs with the process's test key, under the kid it publishes.
    let kid = published_kids(&s).await.remove(0);
    let key = test_key(0, &kid);
    let header = json!({"alg": "RS256", "kid": kid}).to_string();
    for (what, payload) in odd_payloads(s.cognito.issuer_url(), &s.cognito.client_id) {
        let token = sign_text(&key, &header, &payload);
        for route in ["/me/claims", "/dogs"] {
            let (status, body) = api(&s, route, Some(&token)).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what} on {route}");
            assert!(body.is_object(), "{what} on {route}: the answer is not JSON: {body}");
            assert!(body.get("claims").is_none(), "{what} on {route}: {body}");
        }
    }
}

#[tokio::test]
async fn the_authorizer_and_me_claims_read_one_header_alike() {
    let key = test_key(0, "hostile-kid");
    let authorizer = Authorizer::new(verifier(&key), Store::shipped().unwrap());
    let app = me_claims::App::new(verifier(&key), Vec::new());
    let claims = cognito_id_claims(ISS, CLIENT, START, "u");
    let t = key.sign(&claims).unwrap();
    let arn = "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/dogs";
    for (value, read) in bearer_cases(&t) {
        // Only what a request can carry (no line break in a header value).
        if lambda_http::http::HeaderValue::from_str(&value).is_err() {
            continue;
        }
        let want = read.as_deref() == Ok(t.as_str());
        let events = [
            json!({"type": "TOKEN", "authorizationToken": value, "methodArn": arn}),
            json!({"type": "REQUEST", "methodArn": arn, "headers": {"Authorization": value}}),
            json!({"version": "2.0", "type": "REQUEST", "routeArn": arn, "headers": {"authorization": value}, "identitySource": [value]}),
        ];
        for event in events {
            let event: AuthorizerEvent = serde_json::from_value(event).unwrap();
            let answer = authorizer.handle(event).await;
            assert_eq!(answer.is_ok(), want, "authorizer on {value:?}: {answer:?}");
        }
        let response = app.handle(me_claims_request(&value)).await.unwrap();
        let status = response.status().as_u16();
        if want {
            assert_eq!(status, 200, "me-claims on {value:?}");
        } else {
            assert!(matches!(status, 400 | 401), "me-claims on {value:?}: {status}");
        }
    }
}

#[tokio::test]
async fn an_http_api_default_stage_authorizes_by_route() {
    let key = test_key(0, "hostile-kid");
    let authorizer = Authorizer::new(verifier(&key), Store::shipped().unwrap());
    let claims = cognito_id_claims(ISS, CLIENT, START, "u");
    let bearer = format!("Bearer {}", key.sign(&claims).unwrap());
    for (route, want) in [("dogs", true), ("cats", false), ("me/claims", true)] {
        let event = json!({
            "version": "2.0", "type": "REQUEST",
            "routeArn": format!("arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/$default/GET/{route}"),
            "identitySource": [bearer], "routeKey": format!("GET /{route}"), "rawPath": format!("/{route}"),
            "headers": {"authorization": bearer},
            "requestContext": {"stage": "$default", "http": {"method": "GET", "path": format!("/{route}")}},
        });
        let event: AuthorizerEvent = serde_json::from_value(event).unwrap();
        match authorizer.handle(event).await {
            Ok(Answer::Simple(answer)) => {
                assert_eq!(answer.is_authorized, want, "GET /{route}");
            }
            other => panic!("GET /{route}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn two_authorization_headers_are_one_too_many_through_the_stack() {
    // One request header each: the bearer grammar's "a single Authorization header", in every mode.
    for kind in [AuthorizerKind::Token, AuthorizerKind::Request, AuthorizerKind::Http] {
        let s = stack_with(kind, |_| {}).await;
        let dogs = s.tokens_for("test-user@amazon.com").await.unwrap().id_token;
        let cats = s.tokens_for("test-user@example.com").await.unwrap().id_token;
        let client = reqwest::Client::new();
        let send = |path: &str, values: &[String]| {
            let mut request = client.get(format!("{}{path}", s.api_url));
            for value in values {
                request = request.header("Authorization", value);
            }
            request.send()
        };
        let (dogs_header, cats_header) = (format!("Bearer {dogs}"), format!("Bearer {cats}"));
        for path in ["/dogs", "/me/claims"] {
            // The control: one header passes.
            let one = send(path, std::slice::from_ref(&dogs_header)).await.unwrap();
            assert_eq!(one.status(), StatusCode::OK, "{kind:?} {path}, one header");
            for pair in [
                [dogs_header.clone(), "Bearer not-a-token".to_owned()],
                ["Bearer not-a-token".to_owned(), dogs_header.clone()],
                [dogs_header.clone(), cats_header.clone()],
                [cats_header.clone(), dogs_header.clone()],
                [dogs_header.clone(), dogs_header.clone()],
            ] {
                let r = send(path, &pair).await.unwrap();
                let status = r.status();
                let body: Value = r.json().await.unwrap();
                let what =
                    format!("{kind:?} {path} with {} and {}", &pair[0][..12], &pair[1][..12]);
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
                assert_eq!(body, json!({"message": "Unauthorized"}), "{what}");
            }
        }
    }
}
