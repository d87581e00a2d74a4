//! The local app page (`/app`) over HTTP, as a browser sees it: the sign-in
//! leaves tokens on the server, the page's headers are strict, its POSTs need
//! the session's anti-CSRF token, and a sign-in completes once. (The real
//! browser walks it in tests/browser.rs.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestStack;
use common::flow::{
    CLIENT_ID, DOGS, app_page as page, app_sign_in as sign_in, browser, header, location,
    query_param, set_cookie,
};
use reqwest::StatusCode;
use serde_json::Value;

/// True when `text` holds something shaped like a JWT: `eyJ…` (base64url of `{"`), a dot, `eyJ`.
fn has_jwt(text: &str) -> bool {
    text.match_indices("eyJ").any(|(at, _)| {
        let rest = &text[at..];
        let run = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(rest.len());
        rest[run..].starts_with(".eyJ")
    })
}

async fn call(c: &reqwest::Client, s: &TestStack, route: &str, csrf: &str) -> (StatusCode, Value) {
    call_with(c, s, route, "id", csrf).await
}

/// [`call`] with the ID token (`id`) or the access token (`access`).
async fn call_with(
    c: &reqwest::Client,
    s: &TestStack,
    route: &str,
    token_use: &str,
    csrf: &str,
) -> (StatusCode, Value) {
    let r = c
        .post(format!("{}/call", s.app_url()))
        .form(&[("route", route), ("use", token_use), ("_csrf", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(header(r.headers(), "cache-control"), "no-store");
    (r.status(), r.json().await.unwrap())
}

#[tokio::test]
async fn the_app_keeps_tokens_on_its_server_behind_strict_headers() {
    let s = common::stack().await;
    let c = browser();

    let (headers, html, _) = page(&c, &s).await;
    assert_eq!(header(&headers, "cache-control"), "no-store");
    assert!(html.contains("id=\"signed-out\""));
    let csp = header(&headers, "content-security-policy");
    for directive in
        ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]
    {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe-eval") && !csp.contains("script-src 'unsafe-inline'"));

    assert!(has_jwt(&s.tokens_for(DOGS.0).await.unwrap().id_token));
    let back = sign_in(&c, &s, DOGS).await;
    assert!(!has_jwt(&back), "no token in the callback URL: {back}");

    let (headers, html, csrf) = page(&c, &s).await;
    let csrf = csrf.as_str();
    assert_eq!(header(&headers, "cache-control"), "no-store");
    assert!(html.contains("<strong id=\"pet-value\">dogs</strong>"), "{html}");
    assert!(html.contains("data-basis=\"email_domain\""));
    // Decoded header and claims only: no JWT is ever sent to the browser.
    assert!(!has_jwt(&html));
    assert_eq!(csrf.len(), 43);

    let (status, answer) = call(&c, &s, "/dogs", csrf).await;
    assert_eq!((status, answer["status"].as_u64()), (StatusCode::OK, Some(200)));
    let (_, answer) = call(&c, &s, "/cats", csrf).await;
    assert_eq!(answer["status"], 403);
    assert_eq!(answer["reason"], "Forbidden");
    let (_, answer) = call(&c, &s, "/me/claims", csrf).await;
    assert!(answer["body"].as_str().unwrap().contains("\"pet_preference\": \"dogs\""));
    // The access token carries the claim too (V2 trigger), and /me/claims says which token it got.
    let (_, answer) = call_with(&c, &s, "/me/claims", "access", csrf).await;
    assert!(answer["body"].as_str().unwrap().contains("\"token_use\": \"access\""));
    assert_eq!(call_with(&c, &s, "/dogs", "access", csrf).await.1["status"], 200);

    // Not an open proxy, and not callable without the page's token.
    assert_eq!(call(&c, &s, "/admin/rotate-key", csrf).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(call(&c, &s, "/dogs", "forged").await.0, StatusCode::FORBIDDEN);
    assert_eq!(call(&browser(), &s, "/dogs", csrf).await.0, StatusCode::UNAUTHORIZED);
    let r = c
        .post(format!("{}/refresh", s.app_url()))
        .form(&[("_csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(header(r.headers(), "cache-control"), "no-store");

    // A sign-in completes once: the callback replayed finds no sign-in waiting.
    let r = c.get(&back).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_callback_refuses_a_state_it_did_not_send() {
    let s = common::stack().await;
    let c = browser();
    let back = sign_in(&c, &s, DOGS).await;
    // Another sign-in starts, and a callback comes back with the first one's state.
    let r = c.get(format!("{}/login", s.app_url())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = c.get(&back).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    assert!(html.contains("another state"), "{html}");
}

#[tokio::test]
async fn sign_out_ends_the_session_and_the_hosted_login_session() {
    let s = common::stack().await;
    let c = browser();
    sign_in(&c, &s, DOGS).await;
    let (_, _, csrf) = page(&c, &s).await;
    let csrf = csrf.as_str();

    let r =
        c.post(format!("{}/logout", s.app_url())).form(&[("_csrf", csrf)]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cleared = set_cookie(&r, "app-session").unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let logout = location(&r).unwrap();
    assert!(logout.starts_with(&format!("{}/logout?", s.cognito_url)));
    assert_eq!(query_param(&logout, "logout_uri"), Some(s.app_url()));
    let r = c.get(&logout).send().await.unwrap();
    assert_eq!(location(&r), Some(s.app_url()));

    let (_, html, _) = page(&c, &s).await;
    assert!(html.contains("id=\"signed-out\""));
    assert_eq!(call(&c, &s, "/dogs", csrf).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_refused_refresh_ends_the_session_and_says_why() {
    let s = common::stack().await;
    let c = browser();
    sign_in(&c, &s, DOGS).await;
    let (_, _, csrf) = page(&c, &s).await;
    let refresh =
        |csrf: String| c.post(format!("{}/refresh", s.app_url())).form(&[("_csrf", csrf)]).send();
    let r = refresh(csrf.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "a refresh that works");

    // The hosted-login session ends elsewhere (its /logout revokes the refresh token).
    let logout =
        format!("{}/logout?client_id={CLIENT_ID}&logout_uri={}", s.cognito_url, s.app_url());
    assert_eq!(c.get(&logout).send().await.unwrap().status(), StatusCode::SEE_OTHER);
    let r = refresh(csrf).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&r, "app-session").unwrap().contains("Max-Age=0"));
    let html = r.text().await.unwrap();
    assert!(html.contains("Refresh Token has been revoked"), "{html}");
    let (_, html, _) = page(&c, &s).await;
    assert!(html.contains("id=\"signed-out\""));
}
