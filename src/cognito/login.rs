//! `/oauth2/authorize` and the `/login` form: checks the request, signs the user in, redirects with a code.
//!
//! It uses `cognito::cookie`, `cognito::pool`, `cognito::state`, `support::random`, `support`; it
//! is used by `cognito`.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::cookie::{cookie, set_cookie};
use super::pool::{CLIENT_SCOPES, Cognito, SESSION_COOKIE};
use super::state::{CODE_LIFE_SECS, CodeGrant, SESSION_LIFE_SECS};
use super::{csrf, page};
use crate::support::lock;
use crate::support::random;

/// An authorization request, as the query of `/oauth2/authorize` or the hidden fields of the form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthorizeParams {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

impl AuthorizeParams {
    /// The fields to carry through the form.
    pub fn fields(&self) -> Vec<(&'static str, &str)> {
        [
            ("response_type", &self.response_type),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", &self.scope),
            ("state", &self.state),
            ("nonce", &self.nonce),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
        .collect()
    }

    /// The request as one query string: what the login page is sent, and what the form's CSRF token covers.
    fn canonical(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(self.fields()).finish()
    }
}

/// A request that passed every check.
struct Checked {
    redirect_uri: String,
    scopes: Vec<String>,
    challenge: Option<String>,
}

/// Checks a request. `Err` is the response to give: an error page while the
/// redirect URI is not trusted, a redirect with `error=` once it is.
// The refusal is the response itself (axum style); its size does not matter on this path.
#[allow(clippy::result_large_err)]
fn check(pool: &Cognito, p: &AuthorizeParams) -> Result<Checked, Response> {
    match p.client_id.as_deref() {
        None => {
            return Err(page::error(StatusCode::BAD_REQUEST, "client_id is required."));
        }
        Some(id) if id != pool.client_id => {
            return Err(page::error(StatusCode::BAD_REQUEST, "Invalid client_id."));
        }
        Some(_) => {}
    }
    let redirect_uri = match p.redirect_uri.as_deref() {
        None => {
            return Err(page::error(
                StatusCode::BAD_REQUEST,
                "redirect_uri is required: send one of the app client's callback URLs.",
            ));
        }
        Some(uri) if pool.is_registered(uri) => uri.to_owned(),
        // Never redirect to an unregistered URI: that is an open redirector and a code leak.
        Some(_) => {
            return Err(page::error(
                StatusCode::BAD_REQUEST,
                "redirect_mismatch: the redirect_uri is not registered for this app client.",
            ));
        }
    };
    let fail = |error: &str, description: &str| {
        Err(redirect_with(
            &redirect_uri,
            &[("error", error), ("error_description", description)],
            p.state.as_deref(),
        ))
    };
    if p.response_type.as_deref() != Some("code") {
        return fail("unsupported_response_type", "response_type must be code.");
    }
    let scopes: Vec<String> = match p.scope.as_deref() {
        None | Some("") => vec!["openid".into(), "email".into()],
        Some(s) => s.split_whitespace().map(str::to_owned).collect(),
    };
    if scopes.iter().any(|s| !CLIENT_SCOPES.contains(&s.as_str())) {
        return fail("invalid_scope", "A scope is not allowed for this app client.");
    }
    // Cognito supports S256 only; a plain challenge would be the verifier itself, sent in the URL.
    let challenge = match (p.code_challenge.as_deref(), p.code_challenge_method.as_deref()) {
        (None, None) => None,
        (Some(c), Some("S256")) if is_base64url_of_32_bytes(c) => Some(c.to_owned()),
        (Some(_), Some("S256")) => {
            return fail(
                "invalid_request",
                "code_challenge must be the base64url SHA-256 of the code_verifier (43 characters).",
            );
        }
        (Some(_), None) => {
            return fail("invalid_request", "code_challenge_method is required: S256.");
        }
        (None, Some(_)) => {
            return fail(
                "invalid_request",
                "code_challenge is required with code_challenge_method.",
            );
        }
        (Some(_), Some(_)) => {
            return fail(
                "invalid_request",
                "code_challenge_method must be S256 (plain is not supported).",
            );
        }
    };
    Ok(Checked { redirect_uri, scopes, challenge })
}

/// 43 base64url characters: a SHA-256 (an S256 challenge) or 32 random bytes (a CSRF nonce).
fn is_base64url_of_32_bytes(text: &str) -> bool {
    text.len() == 43 && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn redirect_with(uri: &str, pairs: &[(&str, &str)], state: Option<&str>) -> Response {
    let mut url = match url::Url::parse(uri) {
        Ok(u) => u,
        Err(_) => return page::error(StatusCode::BAD_REQUEST, "The redirect_uri is not a URL."),
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
        if let Some(state) = state {
            q.append_pair("state", state);
        }
    }
    Redirect::to(url.as_str()).into_response()
}

/// `GET /oauth2/authorize`: checks the request, then sends the browser to the login page.
pub async fn authorize(
    State(pool): State<Arc<Cognito>>,
    Query(p): Query<AuthorizeParams>,
) -> Response {
    if let Err(response) = check(&pool, &p) {
        return response;
    }
    Redirect::to(&format!("/login?{}", p.canonical())).into_response()
}

/// The browser's CSRF nonce: its `XSRF-TOKEN` cookie when it has a sound one, else a fresh one to set.
fn csrf_nonce(headers: &HeaderMap) -> Option<(String, bool)> {
    match cookie(headers, csrf::COOKIE).filter(|nonce| is_base64url_of_32_bytes(nonce)) {
        Some(nonce) => Some((nonce.to_owned(), false)),
        None => random::token(32).map(|fresh| (fresh, true)),
    }
}

/// The sign-in form for `p`, carrying a CSRF token bound to this browser and request.
fn login_page(
    pool: &Cognito,
    headers: &HeaderMap,
    p: &AuthorizeParams,
    username: &str,
    error: Option<&str>,
) -> Response {
    let Some((nonce, fresh)) = csrf_nonce(headers) else {
        return page::error(StatusCode::INTERNAL_SERVER_ERROR, "Try again.");
    };
    let now = pool.issuer.clock.now_secs();
    let token = pool.csrf.token(&nonce, &p.canonical(), now);
    let mut response =
        page::login((&pool.client_id, &pool.pool_id), &p.fields(), &token, username, error);
    if fresh {
        response
            .headers_mut()
            .append(header::SET_COOKIE, set_cookie(csrf::COOKIE, &nonce, SESSION_LIFE_SECS));
    }
    response
}

/// `GET /login`: the form.
pub async fn form(
    State(pool): State<Arc<Cognito>>,
    headers: HeaderMap,
    Query(p): Query<AuthorizeParams>,
) -> Response {
    match check(&pool, &p) {
        Ok(_) => login_page(&pool, &headers, &p, "", None),
        Err(response) => response,
    }
}

/// The form post: credentials, the CSRF token and the authorization request.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(flatten)]
    params: AuthorizeParams,
}

/// `POST /login`: signs the user in and redirects to the callback with a code.
pub async fn submit(
    State(pool): State<Arc<Cognito>>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let checked = match check(&pool, &f.params) {
        Ok(c) => c,
        Err(response) => return response,
    };
    let now = pool.issuer.clock.now_secs();
    let nonce = cookie(&headers, csrf::COOKIE).unwrap_or_default();
    if !pool.csrf.verify(nonce, &f.csrf, &f.params.canonical(), now) {
        tracing::info!(decision = "deny", "hosted login: missing or wrong CSRF token");
        return page::error(
            StatusCode::FORBIDDEN,
            "The sign-in form was not sent by this page, or it expired: open the sign-in link again.",
        );
    }
    let Some(user) = pool.authenticate(&f.username, &f.password) else {
        tracing::info!(decision = "deny", "hosted login: wrong username or password");
        return login_page(
            &pool,
            &headers,
            &f.params,
            &f.username,
            Some("Incorrect username or password."),
        );
    };
    let (Some(code), Some(session)) = (random::token(32), random::token(32)) else {
        return page::error(StatusCode::INTERNAL_SERVER_ERROR, "Try again.");
    };
    lock(&pool.sessions).start(&session, now);
    lock(&pool.codes).insert(
        code.clone(),
        CodeGrant {
            email: user.email.clone(),
            client_id: pool.client_id.clone(),
            redirect_uri: checked.redirect_uri.clone(),
            scopes: checked.scopes,
            nonce: f.params.nonce.clone(),
            challenge: checked.challenge,
            auth_time: now,
            expires_at: now + CODE_LIFE_SECS,
            session: session.clone(),
        },
        now,
    );
    tracing::info!(sub = %user.sub(), decision = "allow", "hosted login: code issued");
    let mut response =
        redirect_with(&checked.redirect_uri, &[("code", &code)], f.params.state.as_deref());
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &session, SESSION_LIFE_SECS));
    response
}
