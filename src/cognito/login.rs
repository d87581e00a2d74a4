//! `/oauth2/authorize` and the `/login` form: checks the request, signs the user in, redirects with a code.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::token::CodeGrant;
use super::{CLIENT_SCOPES, Cognito, page};
use crate::lock;
use crate::random;

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
}

/// A request that passed every check.
struct Checked {
    redirect_uri: String,
    scopes: Vec<String>,
    challenge: Option<(String, String)>,
}

/// Checks a request. `Err` is the response to give: an error page while the
/// redirect URI is not trusted, a redirect with `error=` once it is.
// The refusal is the response itself (axum style); its size does not matter on this path.
#[allow(clippy::result_large_err)]
fn check(pool: &Cognito, p: &AuthorizeParams) -> Result<Checked, Response> {
    if p.client_id.as_deref() != Some(pool.client_id.as_str()) {
        return Err(page::error(StatusCode::BAD_REQUEST, "Invalid client_id."));
    }
    let redirect_uri = match p.redirect_uri.as_deref() {
        Some(uri) if pool.is_registered(uri) => uri.to_owned(),
        // Never redirect to an unregistered URI: that is an open redirector and a code leak.
        _ => {
            return Err(page::error(
                StatusCode::BAD_REQUEST,
                "redirect_mismatch: the redirect_uri is not registered for this app client.",
            ));
        }
    };
    let fail = |error: &str| {
        Err(redirect_with(
            &redirect_uri,
            &[("error", error)],
            p.state.as_deref(),
        ))
    };
    if p.response_type.as_deref() != Some("code") {
        return fail("unsupported_response_type");
    }
    let scopes: Vec<String> = match p.scope.as_deref() {
        None | Some("") => vec!["openid".into(), "email".into()],
        Some(s) => s.split_whitespace().map(str::to_owned).collect(),
    };
    if scopes.iter().any(|s| !CLIENT_SCOPES.contains(&s.as_str())) {
        return fail("invalid_scope");
    }
    let challenge = match (
        p.code_challenge.as_deref(),
        p.code_challenge_method.as_deref(),
    ) {
        (None, None) => None,
        (Some(c), None | Some("plain")) => Some((c.to_owned(), "plain".to_owned())),
        (Some(c), Some("S256")) => Some((c.to_owned(), "S256".to_owned())),
        _ => return fail("invalid_request"),
    };
    Ok(Checked {
        redirect_uri,
        scopes,
        challenge,
    })
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
    let mut url = String::from("/login?");
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(p.fields())
        .finish();
    url.push_str(&query);
    Redirect::to(&url).into_response()
}

/// `GET /login`: the form.
pub async fn form(State(pool): State<Arc<Cognito>>, Query(p): Query<AuthorizeParams>) -> Response {
    match check(&pool, &p) {
        Ok(_) => page::login(&p, "", None),
        Err(response) => response,
    }
}

/// The form post: credentials plus the authorization request.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(flatten)]
    params: AuthorizeParams,
}

/// `POST /login`: signs the user in and redirects to the callback with a code.
pub async fn submit(State(pool): State<Arc<Cognito>>, Form(f): Form<LoginForm>) -> Response {
    let checked = match check(&pool, &f.params) {
        Ok(c) => c,
        Err(response) => return response,
    };
    let Some(user) = pool.authenticate(&f.username, &f.password) else {
        tracing::info!(
            decision = "deny",
            "hosted login: wrong username or password"
        );
        return page::login(
            &f.params,
            &f.username,
            Some("Incorrect username or password."),
        );
    };
    let Some(code) = random::token(32) else {
        return page::error(StatusCode::INTERNAL_SERVER_ERROR, "Try again.");
    };
    let now = pool.issuer.clock.now_secs();
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
            expires_at: now + super::token::CODE_LIFE_SECS,
        },
    );
    tracing::info!(sub = %user.sub(), decision = "allow", "hosted login: code issued");
    redirect_with(
        &checked.redirect_uri,
        &[("code", &code)],
        f.params.state.as_deref(),
    )
}
