//! The Cognito stand-in where security differs between emulators and Cognito:
//! the article's own requests, PKCE S256 only, the login form's CSRF token,
//! expired codes, revocation and logout, and errors that say what is missing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use claimsgate::AuthorizerKind;
use common::flow::{
    CALLBACK, CATS, CLIENT_ID, CLIENT_SECRET, DOGS, browser, client, discovery, exchange,
    exchange_basic, hidden, location, query_param, redeem, sign_in, sign_in_with, submit_login,
    token_request,
};
use common::{TestStack, stack, stack_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn basic() -> String {
    format!("Basic {}", STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}")))
}

/// The article's Step 1 URL, with only the host changed and `openid%email` written `openid%20email`.
fn step_1_url(s: &TestStack) -> String {
    format!(
        "{}/login?response_type=code&scope=openid%20email&client_id={CLIENT_ID}&redirect_uri=http://localhost",
        s.cognito_url
    )
}

#[tokio::test]
async fn the_articles_step_1_url_and_step_3_request_work_as_written() {
    let s = stack().await;
    let c = browser();
    let back = submit_login(&c, &s, &step_1_url(&s), DOGS).await;
    let code = query_param(&back, "code").unwrap();

    // Step 3: every parameter in the query string, an empty form body.
    let r = client()
        .post(format!(
            "{}/oauth2/token?grant_type=authorization_code&code={code}&redirect_uri=http://localhost&client_id={CLIENT_ID}&scope=openid%20email",
            s.cognito_url
        ))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Authorization", basic())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let tokens: Value = r.json().await.unwrap();
    let id = common::flow::claims_of(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["pet_preference"], "dogs");
    assert_eq!(
        common::flow::claims_of(tokens["access_token"].as_str().unwrap())["scope"],
        "openid email"
    );
}

#[tokio::test]
async fn the_body_wins_over_the_query_string() {
    let s = stack().await;
    let code = sign_in(&s, CATS, &[]).await;
    let url = format!(
        "{}/oauth2/token?grant_type=authorization_code&code={code}&redirect_uri=http://localhost/wrong",
        s.cognito_url
    );
    let r = token_request(&s)
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[("redirect_uri", CALLBACK)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "no grant_type at all");
    let r = client()
        .post(&url)
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[("redirect_uri", CALLBACK)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the body's redirect_uri wins");

    let code = sign_in(&s, CATS, &[]).await;
    let r = client()
        .post(format!(
            "{}/oauth2/token?grant_type=authorization_code&code={code}&redirect_uri={CALLBACK}",
            s.cognito_url
        ))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[("redirect_uri", "http://localhost/wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");

    // A parameter twice in one place is refused; a body that is not a form too.
    let r = client()
        .post(format!(
            "{}/oauth2/token?grant_type=refresh_token&grant_type=authorization_code",
            s.cognito_url
        ))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(body["error_description"], "grant_type is given twice.");
    let r = token_request(&s)
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .json(&json!({"grant_type": "authorization_code"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
}

#[tokio::test]
async fn missing_parameters_are_reported_as_missing() {
    let s = stack().await;
    let code = sign_in(&s, DOGS, &[]).await;
    let r = exchange_basic(&s, &[("grant_type", "authorization_code"), ("code", &code)]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert!(
        body["error_description"].as_str().unwrap().starts_with("redirect_uri is required"),
        "{body}"
    );
    let r = exchange_basic(&s, &[("code", "x")]).await;
    assert_eq!(r.json::<Value>().await.unwrap()["error_description"], "grant_type is required.");

    for (query, says) in [
        (vec![("client_id", CLIENT_ID), ("response_type", "code")], "redirect_uri is required"),
        (vec![("redirect_uri", CALLBACK), ("response_type", "code")], "client_id is required"),
    ] {
        let r = client()
            .get(format!("{}/oauth2/authorize", s.cognito_url))
            .query(&query)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(location(&r).is_none());
        assert!(r.text().await.unwrap().contains(says), "{says}");
    }
}

#[tokio::test]
async fn pkce_is_s256_only() {
    let s = stack().await;
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    // `plain`, a missing method or a challenge that is no SHA-256 is refused back to the app.
    for pkce in [
        vec![("code_challenge", verifier), ("code_challenge_method", "plain")],
        vec![("code_challenge", challenge)],
        vec![("code_challenge", "short"), ("code_challenge_method", "S256")],
        vec![("code_challenge_method", "S256")],
    ] {
        let mut query = vec![
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", CALLBACK),
            ("state", "s1"),
        ];
        query.extend(pkce.iter().copied());
        let r = client()
            .get(format!("{}/oauth2/authorize", s.cognito_url))
            .query(&query)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{pkce:?}");
        let back = location(&r).unwrap();
        assert!(back.starts_with(CALLBACK));
        assert_eq!(query_param(&back, "error").as_deref(), Some("invalid_request"));
        assert_eq!(query_param(&back, "state").as_deref(), Some("s1"));
        assert!(query_param(&back, "code").is_none());
    }

    // A verifier for a code issued without a challenge is refused, not ignored.
    let code = sign_in(&s, DOGS, &[]).await;
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
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(body["error_description"].as_str().unwrap().contains("without a code_challenge"));

    let discovery = discovery(&s).await;
    assert_eq!(discovery["code_challenge_methods_supported"], json!(["S256"]));
}

#[tokio::test]
async fn the_login_form_needs_its_csrf_token() {
    let s = stack().await;
    let request = [
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", CALLBACK),
        ("state", "s1"),
    ];
    let c = browser();
    let page = c.get(format!("{}/login", s.cognito_url)).query(&request).send().await.unwrap();
    let cookie = page.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("XSRF-TOKEN="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let csrf = hidden(&page.text().await.unwrap(), "_csrf");

    let post = |c: &reqwest::Client, extra: Vec<(&'static str, String)>, state: &'static str| {
        let mut form: Vec<(&str, String)> = request
            .iter()
            .map(|(k, v)| (*k, if *k == "state" { state.to_owned() } else { (*v).to_owned() }))
            .collect();
        form.push(("username", DOGS.0.to_owned()));
        form.push(("password", DOGS.1.to_owned()));
        form.extend(extra);
        c.post(format!("{}/login", s.cognito_url)).form(&form).send()
    };
    // No token; a token without the browser's cookie (another site's post); a token for another request.
    let refusals = [
        post(&c, vec![], "s1").await.unwrap(),
        post(&client(), vec![("_csrf", csrf.clone())], "s1").await.unwrap(),
        post(&c, vec![("_csrf", csrf.clone())], "s2").await.unwrap(),
        post(&c, vec![("_csrf", "1.AAAA".into())], "s1").await.unwrap(),
    ];
    for r in refusals {
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(location(&r).is_none());
    }
    // The token expires with the form.
    s.clock.advance(Duration::from_secs(3601));
    let r = post(&c, vec![("_csrf", csrf.clone())], "s1").await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    s.clock.set_secs(common::START);
    let r = post(&c, vec![("_csrf", csrf)], "s1").await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn expired_codes_are_purged_and_refused() {
    let s = stack().await;
    let first = sign_in(&s, DOGS, &[]).await;
    sign_in(&s, CATS, &[]).await;
    sign_in(&s, DOGS, &[]).await;
    assert_eq!(s.cognito.pending_codes(), 3);
    s.clock.advance(Duration::from_secs(301));
    let fresh = sign_in(&s, CATS, &[]).await;
    assert_eq!(s.cognito.pending_codes(), 1, "the three expired codes are gone");
    let r = redeem(&s, &first).await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    exchange(&s, &fresh).await;
    assert_eq!(s.cognito.pending_codes(), 0);
}

async fn user_info(s: &TestStack, access_token: &str) -> StatusCode {
    client()
        .get(format!("{}/oauth2/userInfo", s.cognito_url))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .status()
}

async fn refresh(s: &TestStack, refresh_token: &str) -> reqwest::Response {
    exchange_basic(s, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)]).await
}

/// `POST /oauth2/revoke` with `form`, authenticated as the app client.
async fn revoke(s: &TestStack, form: &[(&str, &str)]) -> reqwest::Response {
    client()
        .post(format!("{}/oauth2/revoke", s.cognito_url))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_refresh_token_works_until_its_expiry_and_not_at_it() {
    let s = stack_with(AuthorizerKind::Token, |settings| settings.refresh_token_ttl = 600).await;
    let tokens = exchange(&s, &sign_in(&s, DOGS, &[]).await).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    s.clock.advance(Duration::from_secs(599));
    assert_eq!(
        refresh(&s, refresh_token).await.status(),
        StatusCode::OK,
        "a second before it expires"
    );
    s.clock.advance(Duration::from_secs(1));
    let r = refresh(&s, refresh_token).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "at its expiry");
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    // RFC 7009: revoking a token that is no longer valid is answered 200 and does nothing,
    // so the access token of that sign-in, which lives an hour, still works.
    let r = revoke(&s, &[("token", refresh_token)]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(user_info(&s, tokens["access_token"].as_str().unwrap()).await, StatusCode::OK);
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_family() {
    let s = stack().await;
    let tokens = exchange(&s, &sign_in(&s, DOGS, &[]).await).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let renewed: Value = refresh(&s, refresh_token).await.json().await.unwrap();
    let renewed_access = renewed["access_token"].as_str().unwrap();
    let other = exchange(&s, &sign_in(&s, DOGS, &[]).await).await;
    assert_eq!(user_info(&s, access).await, StatusCode::OK);

    let r = revoke(&s, &[("token", refresh_token)]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), "");

    let r = refresh(&s, refresh_token).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(user_info(&s, access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(user_info(&s, renewed_access).await, StatusCode::UNAUTHORIZED);
    // Another sign-in's family is untouched.
    assert_eq!(
        refresh(&s, other["refresh_token"].as_str().unwrap()).await.status(),
        StatusCode::OK
    );
    assert_eq!(user_info(&s, other["access_token"].as_str().unwrap()).await, StatusCode::OK);

    let cases: [(&[(&str, &str)], &str); 2] =
        [(&[("token", access)], "unsupported_token_type"), (&[], "invalid_request")];
    for (form, error) in cases {
        let r = revoke(&s, form).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(r.json::<Value>().await.unwrap()["error"], error);
    }
    // RFC 7009: an unknown token is answered like a revoked one.
    let r = revoke(&s, &[("token", "no-such-token")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = client()
        .post(format!("{}/oauth2/revoke", s.cognito_url))
        .form(&[("token", refresh_token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "client authentication is required");
}

#[tokio::test]
async fn logout_ends_the_session_and_revokes_its_tokens() {
    let s = stack().await;
    let c = browser();
    let tokens = exchange(&s, &sign_in_with(&c, &s, CATS, &[]).await).await;
    let elsewhere = exchange(&s, &sign_in(&s, CATS, &[]).await).await;
    let r = c
        .get(format!("{}/logout", s.cognito_url))
        .query(&[("client_id", CLIENT_ID), ("logout_uri", CALLBACK)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r).as_deref(), Some(CALLBACK));
    let cleared = r.headers()["set-cookie"].to_str().unwrap();
    assert!(cleared.starts_with("cognito=;") && cleared.contains("Max-Age=0"));

    let r = refresh(&s, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(
        user_info(&s, tokens["access_token"].as_str().unwrap()).await,
        StatusCode::UNAUTHORIZED
    );
    // The session of another browser goes on.
    assert_eq!(
        refresh(&s, elsewhere["refresh_token"].as_str().unwrap()).await.status(),
        StatusCode::OK
    );

    let r = client()
        .get(format!("{}/logout", s.cognito_url))
        .query(&[("client_id", CLIENT_ID)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("logout_uri is required"));
}

#[tokio::test]
async fn discovery_advertises_only_endpoints_that_answer() {
    let s = stack().await;
    let discovery = discovery(&s).await;
    assert_eq!(discovery["response_types_supported"], json!(["code"]));
    let endpoints = [
        ("authorization_endpoint", "GET"),
        ("end_session_endpoint", "GET"),
        ("jwks_uri", "GET"),
        ("revocation_endpoint", "POST"),
        ("token_endpoint", "POST"),
        ("userinfo_endpoint", "GET"),
    ];
    for (name, method) in endpoints {
        let url = discovery[name].as_str().unwrap();
        let request = match method {
            "GET" => client().get(url),
            _ => client().post(url),
        };
        let status = request.send().await.unwrap().status();
        assert_ne!(status, StatusCode::NOT_FOUND, "{name} {url}");
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{name} {url}");
    }
    let listed: Vec<&String> = discovery
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.ends_with("_endpoint") || k.ends_with("_uri"))
        .collect();
    assert_eq!(listed.len(), endpoints.len(), "{listed:?}");
}
