//! End to end through the local stack over HTTP: the article's flow for both
//! users, the OAuth edge cases, and the API behind the real authorizer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use claimsgate::AuthorizerKind;
use claimsgate_core::Clock;
use claimsgate_core::testing::{cognito_id_claims, with_claims};
use common::flow::{
    CALLBACK, CATS, CLIENT_ID, DOGS, api, browser, claims_of, client, exchange_basic, hidden,
    location, sign_in, token_request,
};
use common::{TestStack, stack, stack_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn the_articles_flow_for_both_users() {
    let s = stack().await;
    for (user, pet, allowed, denied) in
        [(DOGS, "dogs", "/dogs", "/cats"), (CATS, "cats", "/cats", "/dogs")]
    {
        let code = sign_in(&s, user, &[]).await;
        let r = exchange_basic(
            &s,
            &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", CALLBACK)],
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["cache-control"], "no-store");
        let tokens: Value = r.json().await.unwrap();
        let id = tokens["id_token"].as_str().unwrap();
        let claims = claims_of(id);
        assert_eq!(claims["pet_preference"], pet, "{}", user.0);
        assert_eq!(claims["token_use"], "id");
        assert_eq!(claims["email"], user.0);
        for name in [
            "at_hash",
            "auth_time",
            "cognito:username",
            "origin_jti",
            "event_id",
            "jti",
            "aud",
            "iss",
        ] {
            assert!(claims.get(name).is_some(), "ID token lacks {name}");
        }
        let access = claims_of(tokens["access_token"].as_str().unwrap());
        assert_eq!(
            access["pet_preference"], pet,
            "V2 trigger puts the claim in the access token too"
        );
        assert_eq!(access["scope"], "openid email");
        assert!(tokens["refresh_token"].is_string());

        assert_eq!(api(&s, allowed, Some(id)).await.0, StatusCode::OK);
        let (status, body) = api(&s, denied, Some(id)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body, json!({"message": "User is not authorized to access this resource"}));
        let (status, body) = api(&s, "/me/claims", Some(id)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["claims"]["pet_preference"], pet);
        assert_eq!(body["header"]["alg"], "RS256");
        assert_eq!(
            body["authorizer"]["pet_preference"], pet,
            "the authorizer context reaches /me/claims"
        );
    }
}

#[tokio::test]
async fn client_authentication_methods() {
    let s = stack().await;
    let code = sign_in(&s, DOGS, &[]).await;
    let post = token_request(&s)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("client_id", "claimsgate-local-client"),
            ("client_secret", "claimsgate-local-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::OK, "client_secret_post");

    let code = sign_in(&s, DOGS, &[]).await;
    let wrong = token_request(&s)
        .basic_auth("claimsgate-local-client", Some("not-the-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.json::<Value>().await.unwrap()["error"], "invalid_client");

    let none = token_request(&s)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(none.json::<Value>().await.unwrap()["error"], "invalid_client");

    let r = exchange_basic(&s, &[("grant_type", "password"), ("username", "x")]).await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn pkce_s256_is_enforced() {
    let s = stack().await;
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let pkce = [("code_challenge", challenge), ("code_challenge_method", "S256")];

    let code = sign_in(&s, CATS, &pkce).await;
    let r = exchange_basic(
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", verifier),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);

    // A wrong verifier does not match; a missing one is reported as missing.
    for (bad, error, says) in [
        (Some("wrong-verifier-wrong-verifier-wrong-verifier-0"), "invalid_grant", "does not match"),
        (None, "invalid_request", "code_verifier is required"),
    ] {
        let code = sign_in(&s, CATS, &pkce).await;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
        ];
        if let Some(v) = bad {
            form.push(("code_verifier", v));
        }
        let r = exchange_basic(&s, &form).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], error);
        assert!(body["error_description"].as_str().unwrap().contains(says), "{body}");
    }
}

#[tokio::test]
async fn codes_are_single_use_and_bound_to_the_redirect_uri() {
    let s = stack().await;
    let code = sign_in(&s, DOGS, &[]).await;
    let form =
        [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK)];
    assert_eq!(exchange_basic(&s, &form).await.status(), StatusCode::OK);
    let again = exchange_basic(&s, &form).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert_eq!(again.json::<Value>().await.unwrap()["error"], "invalid_grant");

    let code = sign_in(&s, DOGS, &[]).await;
    let r = exchange_basic(
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://localhost/other"),
        ],
    )
    .await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

#[tokio::test]
async fn an_unregistered_redirect_uri_is_never_redirected_to() {
    let s = stack().await;
    let r = client()
        .get(format!("{}/oauth2/authorize", s.cognito_url))
        .query(&[
            ("response_type", "code"),
            ("client_id", "claimsgate-local-client"),
            ("redirect_uri", "https://evil.example/cb"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(location(&r).is_none());
    assert!(r.text().await.unwrap().contains("redirect_mismatch"));

    // The form post is checked again: hidden fields are the attacker's to edit.
    let r = client()
        .post(format!("{}/login", s.cognito_url))
        .form(&[
            ("response_type", "code"),
            ("client_id", "claimsgate-local-client"),
            ("redirect_uri", "https://evil.example/cb"),
            ("username", DOGS.0),
            ("password", DOGS.1),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(location(&r).is_none());
}

#[tokio::test]
async fn a_wrong_password_shows_an_error_and_echoes_safely() {
    let s = stack().await;
    let c = browser();
    let request = [
        ("response_type", "code"),
        ("client_id", "claimsgate-local-client"),
        ("redirect_uri", CALLBACK),
        ("state", "\"><script>alert(1)</script>"),
    ];
    let page = c.get(format!("{}/login", s.cognito_url)).query(&request).send().await.unwrap();
    let csrf = hidden(&page.text().await.unwrap(), "_csrf");
    let mut form = request.to_vec();
    form.extend([
        ("username", "<b>test-user@amazon.com</b>"),
        ("password", "nope"),
        ("_csrf", &csrf),
    ]);
    let r = c.post(format!("{}/login", s.cognito_url)).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(location(&r).is_none());
    let html = r.text().await.unwrap();
    assert!(html.contains("Incorrect username or password."));
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(!html.contains("<b>test-user"));
}

#[tokio::test]
async fn refresh_tokens_issue_new_tokens_with_the_claim() {
    let s = stack().await;
    let code = sign_in(&s, CATS, &[]).await;
    let tokens: Value = exchange_basic(
        &s,
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", CALLBACK)],
    )
    .await
    .json()
    .await
    .unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let r =
        exchange_basic(&s, &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let renewed: Value = r.json().await.unwrap();
    assert!(renewed.get("refresh_token").is_none());
    let claims = claims_of(renewed["id_token"].as_str().unwrap());
    assert_eq!(claims["pet_preference"], "cats");
    assert_eq!(claims["origin_jti"], claims_of(tokens["id_token"].as_str().unwrap())["origin_jti"]);

    let mut forged = refresh.to_owned();
    forged.insert(3, 'x');
    let r =
        exchange_basic(&s, &[("grant_type", "refresh_token"), ("refresh_token", &forged)]).await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

#[tokio::test]
async fn user_info_takes_an_access_token_only() {
    let s = stack().await;
    let tokens = s.tokens_for(DOGS.0).await.unwrap();
    let r = client()
        .get(format!("{}/oauth2/userInfo", s.cognito_url))
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["email"], DOGS.0);
    let r = client()
        .get(format!("{}/oauth2/userInfo", s.cognito_url))
        .bearer_auth(&tokens.id_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_api_answers_like_api_gateway() {
    let s = stack().await;
    let (status, body) = api(&s, "/dogs", None).await;
    assert_eq!((status, body), (StatusCode::UNAUTHORIZED, json!({"message": "Unauthorized"})));
    let (status, body) = api(&s, "/dogs", Some("not-a-jwt")).await;
    assert_eq!((status, body), (StatusCode::UNAUTHORIZED, json!({"message": "Unauthorized"})));
    let (status, _) = api(&s, "/birds", Some("x")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Client headers API Gateway would overwrite cannot break the proxy event.
    let id = s.tokens_for(DOGS.0).await.unwrap().id_token;
    let r = client()
        .get(format!("{}/me/claims", s.api_url))
        .bearer_auth(&id)
        .header("X-Forwarded-Proto", "a b")
        .header("X-Forwarded-Port", "[x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // Expired: a token signed by the pool's own key, an hour old.
    let now = s.clock.now_secs();
    let mut claims = claims_of(&s.tokens_for(DOGS.0).await.unwrap().id_token);
    claims["iat"] = json!(now - 7200);
    claims["exp"] = json!(now - 3600);
    let expired = s.cognito.issuer.keys.current().sign(&claims).unwrap();
    assert_eq!(api(&s, "/me/claims", Some(&expired)).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_cached_policy_is_right_for_the_next_route() {
    for kind in [AuthorizerKind::Token, AuthorizerKind::Request, AuthorizerKind::Http] {
        let s = stack_with(kind, |_| {}).await;
        let dogs = s.tokens_for(DOGS.0).await.unwrap().id_token;
        let cats = s.tokens_for(CATS.0).await.unwrap().id_token;
        // The first call of each token caches its policy; the next routes reuse it, as in AWS.
        let calls = [
            (&dogs, "/me/claims", StatusCode::OK),
            (&dogs, "/cats", StatusCode::FORBIDDEN),
            (&dogs, "/dogs", StatusCode::OK),
            (&cats, "/cats", StatusCode::OK),
            (&cats, "/me/claims", StatusCode::OK),
            (&cats, "/dogs", StatusCode::FORBIDDEN),
        ];
        for (token, path, want) in calls {
            assert_eq!(api(&s, path, Some(token)).await.0, want, "{kind:?} {path}");
        }
    }
}

#[tokio::test]
async fn authorizer_results_are_cached_per_token_for_the_ttl() {
    // As in API Gateway: within the TTL the cached policy answers, even for a token that has since expired.
    let short_lived = |s: &TestStack| {
        let now = s.clock.now_secs();
        let claims =
            cognito_id_claims(s.cognito.issuer_url(), CLIENT_ID, now, &claimsgate::random::uuid());
        s.cognito.issuer.keys.current().sign(&with_claims(claims, json!({"exp": now + 2}))).unwrap()
    };
    for (ttl, after_expiry) in [(300, StatusCode::OK), (0, StatusCode::UNAUTHORIZED)] {
        let s =
            stack_with(AuthorizerKind::Token, |settings| settings.authorizer_cache_ttl = ttl).await;
        let token = short_lived(&s);
        assert_eq!(api(&s, "/dogs", Some(&token)).await.0, StatusCode::OK);
        s.clock.advance(Duration::from_secs(3));
        assert_eq!(api(&s, "/dogs", Some(&token)).await.0, after_expiry, "cache TTL {ttl}");
    }
}
