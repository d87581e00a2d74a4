//! The local stack's Cognito stand-in: the token endpoint and the login form,
//! driven in-process through its axum router.
//!
//! Input: one selector byte, a first line (the `Authorization` header of a
//! token request, or the query of a GET), then the form body. In a token
//! request, `{{refresh_token}}` stands for a valid refresh token and `{{code}}`
//! for a fresh authorization code (`{{code_s256}}`: one bound to the RFC 7636
//! example challenge). Beyond "no panic": nothing is a 500, and no redirect
//! leaves for a URL that is not registered.
#![no_main]

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, Response, header};
use claimsgate::StackSettings;
use claimsgate::cognito::Cognito;
use claimsgate_core::testing::{ManualClock, test_key};
use claimsgate_fuzz::{NOW, world};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt as _;

const CALLBACK_URL: &str = "http://localhost/?";
const LOGIN: &str = "response_type=code&client_id=claimsgate-local-client&redirect_uri=http%3A%2F%2Flocalhost&scope=openid+email&username=test-user%40amazon.com&password=Dogs-rule-1";
/// RFC 7636 appendix B: the challenge of the verifier `dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk`.
const S256: &str =
    "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";

struct Pool {
    router: Router,
    refresh_token: String,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("claimsgate-fuzz-{}", std::process::id()));
        let key_file = dir.join("key.pem");
        let made = std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&key_file, test_key(0, "").to_pkcs8_pem()));
        made.unwrap_or_else(|e| panic!("cannot write the key file: {e}"));
        let settings = StackSettings::ephemeral(key_file);
        let base = "http://127.0.0.1:9229".to_owned();
        let clock = Arc::new(ManualClock::at_secs(NOW));
        let pool = claimsgate::token_issuer(&settings, &base, clock)
            .and_then(|issuer| Cognito::new(base, &settings, claimsgate::users::seeded(), issuer))
            .unwrap_or_else(|e| panic!("cannot build the pool: {e}"));
        // The pool holds its key in memory now.
        let _ = std::fs::remove_dir_all(&dir);
        let refresh_token = pool.refresh_token(
            "test-user@amazon.com",
            vec!["openid".into(), "email".into()],
            NOW,
            "fuzz-origin-jti".into(),
            NOW,
        );
        Pool {
            router: Arc::new(pool).router(),
            refresh_token,
        }
    })
}

async fn call(router: &Router, request: Request<Body>) -> Response<Body> {
    match router.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

fn form(uri: &str, authorization: Option<&str>, body: String) -> Option<Request<Body>> {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(value) = authorization.filter(|v| !v.is_empty()) {
        builder = builder.header(header::AUTHORIZATION, value);
    }
    builder.body(Body::from(body)).ok()
}

fn get(path: &str, query: &str) -> Option<Request<Body>> {
    Request::builder()
        .uri(format!("{path}?{query}"))
        .body(Body::empty())
        .ok()
}

/// A fresh authorization code from the login form, with `extra` in the authorization request.
async fn code(router: &Router, extra: &str) -> String {
    let Some(request) = form("/login", None, format!("{LOGIN}{extra}")) else {
        return String::new();
    };
    let response = call(router, request).await;
    location(&response)
        .and_then(|l| {
            l.split_once("code=")
                .map(|(_, c)| c.split('&').next().unwrap_or("").to_owned())
        })
        .unwrap_or_default()
}

fn location(response: &Response<Body>) -> Option<String> {
    let value = response.headers().get(header::LOCATION)?;
    Some(String::from_utf8_lossy(value.as_bytes()).into_owned())
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let (head, body) = text.split_once('\n').unwrap_or((&text, ""));
    let pool = pool();
    let router = &pool.router;
    world().block_on(async {
        let request = match selector % 4 {
            0 => {
                let mut body = body.replace("{{refresh_token}}", &pool.refresh_token);
                if body.contains("{{code_s256}}") {
                    body = body.replace("{{code_s256}}", &code(router, S256).await);
                }
                if body.contains("{{code}}") {
                    body = body.replace("{{code}}", &code(router, "").await);
                }
                form("/oauth2/token", Some(head), body)
            }
            1 => form("/login", None, body.to_owned()),
            2 => get("/login", head),
            _ => get("/oauth2/authorize", head),
        };
        let Some(request) = request else {
            return;
        };
        let response = call(router, request).await;
        let status = response.status();
        assert!(!status.is_server_error(), "status {status}");
        if let Some(to) = location(&response) {
            // The login page of this pool, or the one registered callback (as the url crate writes it).
            assert!(
                to.starts_with("/login?") || to.starts_with(CALLBACK_URL),
                "redirected to {to}"
            );
        }
    });
});
