//! The local stack's Cognito stand-in: the token endpoint and the login form,
//! driven in-process through its axum router.
//!
//! Input: one selector byte, a first line (the `Authorization` header of a
//! token request, or the query of a GET), then the form body. In a token
//! request, `{{refresh_token}}` stands for a valid refresh token and `{{code}}`
//! for a fresh authorization code (`{{code_s256}}`: one bound to the RFC 7636
//! example challenge), got through the login form as a browser would. Beyond
//! "no panic": nothing is a 500, and no redirect leaves for a URL that is not
//! registered.
//!
//! Its setup (the stack, a refresh token, fresh codes through the login form)
//! must succeed, or the target stops with why: falling back to empty
//! placeholders would quietly stop it reaching redemption, PKCE and refresh.
//! It counts how often an input got through each (a 200 from the token
//! endpoint) and prints the counts every 500 inputs as a line
//! `cognito_forms reached: inputs=N code=N pkce=N refresh=N`; `scripts/fuzz`
//! fails the run when the last such line has a zero.
#![no_main]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, Response, header};
use claimsgate::{AuthorizerKind, Stack, StackSettings};
use claimsgate_core::testing::{ManualClock, test_key};
use claimsgate_fuzz::{NOW, world};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt as _;

#[path = "../../tests/common/html.rs"]
mod html;
use html::hidden_fields;

/// The one registered callback, as the url crate writes it with a query.
const CALLBACK_URL: &str = "http://localhost/?";
const AUTHORIZE: &str = "response_type=code&client_id=claimsgate-local-client&redirect_uri=http%3A%2F%2Flocalhost&scope=openid+email&state=fuzz";
/// RFC 7636 appendix B: the challenge of the verifier `dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk`.
const S256: &str =
    "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";

struct Pool {
    /// Keeps the stack's tasks alive; requests go to the router in-process, not over its ports.
    _stack: Stack,
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
        let settings = StackSettings::ephemeral(key_file)
            .unwrap_or_else(|e| panic!("the default settings do not parse: {e}"));
        let pool = world().block_on(async {
            let clock = Arc::new(ManualClock::at_secs(NOW));
            let stack = claimsgate::start(&settings, AuthorizerKind::Token, clock)
                .await
                .unwrap_or_else(|e| panic!("cannot start the stack: {e}"));
            let tokens = stack.tokens_for("test-user@amazon.com").await;
            let tokens = tokens.unwrap_or_else(|e| panic!("cannot issue tokens: {e}"));
            let refresh_token = tokens.refresh_token.expect("a sign-in gives a refresh token");
            let router = Arc::clone(&stack.cognito).router();
            Pool { _stack: stack, router, refresh_token }
        });
        // The pool holds its key in memory now.
        let _ = std::fs::remove_dir_all(&dir);
        pool
    })
}

async fn call(router: &Router, request: Request<Body>) -> Response<Body> {
    match router.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

fn form_request(uri: &str, authorization: Option<&str>, body: String) -> Option<Request<Body>> {
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
    Request::builder().uri(format!("{path}?{query}")).body(Body::empty()).ok()
}

/// A fresh authorization code: the login form of an authorization request
/// (with `extra` in it), posted back with its hidden fields, cookie and a
/// user's credentials.
///
/// # Panics
/// When any step fails: the target would no longer reach redemption.
async fn code(router: &Router, extra: &str) -> String {
    let request = get("/login", &format!("{AUTHORIZE}{extra}")).expect("the login URL is valid");
    let page = call(router, request).await;
    assert_eq!(page.status(), 200, "the login page of an authorization request");
    let cookie = page
        .headers()
        .get(header::SET_COOKIE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .and_then(|c| c.split(';').next().map(str::to_owned))
        .expect("the login page sets its CSRF cookie");
    let html = axum::body::to_bytes(page.into_body(), 1 << 20).await.expect("the page's body");
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in hidden_fields(&String::from_utf8_lossy(&html)) {
        form.append_pair(&name, &value);
    }
    form.append_pair("username", "test-user@amazon.com");
    form.append_pair("password", "Dogs-rule-1");
    let mut request = form_request("/login", None, form.finish()).expect("the login form posts");
    let cookie = header::HeaderValue::from_str(&cookie).expect("the cookie is a header value");
    request.headers_mut().insert(header::COOKIE, cookie);
    let response = call(router, request).await;
    let back = location(&response).expect("the login redirects to the callback");
    let code = back.split_once("code=").and_then(|(_, code)| code.split('&').next());
    let code = code.filter(|c| !c.is_empty()).unwrap_or_else(|| panic!("no code in {back}"));
    code.to_owned()
}

/// How many inputs ran, and how many got a 200 from the token endpoint for a
/// fresh code, a code with its PKCE verifier, and the refresh token.
struct Reached {
    inputs: AtomicU64,
    code: AtomicU64,
    pkce: AtomicU64,
    refresh: AtomicU64,
}

static REACHED: Reached = Reached {
    inputs: AtomicU64::new(0),
    code: AtomicU64::new(0),
    pkce: AtomicU64::new(0),
    refresh: AtomicU64::new(0),
};

impl Reached {
    /// Counts one input, and prints the counts every 500.
    fn input(&self) {
        let n = self.inputs.fetch_add(1, Ordering::Relaxed) + 1;
        if n % 500 == 0 {
            let [code, pkce, refresh] =
                [&self.code, &self.pkce, &self.refresh].map(|c| c.load(Ordering::Relaxed));
            eprintln!(
                "cognito_forms reached: inputs={n} code={code} pkce={pkce} refresh={refresh}"
            );
        }
    }
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
    REACHED.input();
    world().block_on(async {
        // Which deep paths this input asks for: a 200 means it got through.
        let asks: Vec<&AtomicU64> = [
            ("{{code}}", &REACHED.code),
            ("{{code_s256}}", &REACHED.pkce),
            ("{{refresh_token}}", &REACHED.refresh),
        ]
        .into_iter()
        .filter(|(placeholder, _)| selector % 4 == 0 && body.contains(placeholder))
        .map(|(_, counter)| counter)
        .collect();
        let request = match selector % 4 {
            0 => {
                let mut body = body.replace("{{refresh_token}}", &pool.refresh_token);
                if body.contains("{{code_s256}}") {
                    body = body.replace("{{code_s256}}", &code(router, S256).await);
                }
                if body.contains("{{code}}") {
                    body = body.replace("{{code}}", &code(router, "").await);
                }
                form_request("/oauth2/token", Some(head), body)
            }
            1 => form_request("/login", None, body.to_owned()),
            2 => get("/login", head),
            _ => get("/oauth2/authorize", head),
        };
        let Some(request) = request else {
            return;
        };
        let response = call(router, request).await;
        let status = response.status();
        assert!(!status.is_server_error(), "status {status}");
        if status == 200 {
            asks.iter().for_each(|counter| {
                counter.fetch_add(1, Ordering::Relaxed);
            });
        }
        if let Some(to) = location(&response) {
            // The login page of this pool, or the one registered callback (as the url crate writes it).
            assert!(
                to.starts_with("/login?") || to.starts_with(CALLBACK_URL),
                "redirected to {to}"
            );
        }
    });
});
