//! Sign-in, refresh and sign-out: the app as a confidential OAuth client of
//! the pool, every call to the token endpoint made on its server.
//!
//! It uses `app::session`, `app::site`, `cognito::cookie`, `support`; it is used by `app`.

use std::sync::Arc;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{SHA256, digest};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use super::session::{SIGN_IN_LIFE_SECS, Session, TokenSet};
use super::site::{App, CALLBACK, COOKIE, HOME, problem, see_other};
use crate::cognito::cookie::{cookie, set_cookie};
use crate::support::{lock, random};

impl App {
    /// A form POST to the pool's endpoint `path` as the app client (HTTP Basic with the secret).
    async fn post_as_client(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Result<reqwest::Response> {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        self.http
            .post(format!("{}{path}", self.pool.base_url))
            .basic_auth(&self.pool.client_id, Some(&self.pool.client_secret))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
    }

    /// `POST /oauth2/token` as a confidential client (HTTP Basic with the secret).
    async fn token_request(&self, form: &[(&str, &str)]) -> Result<TokenSet, String> {
        #[derive(Deserialize)]
        struct Answer {
            id_token: Option<String>,
            access_token: Option<String>,
            refresh_token: Option<String>,
            error: Option<String>,
            error_description: Option<String>,
        }
        let response = self
            .post_as_client("/oauth2/token", form)
            .await
            .map_err(|e| format!("the token endpoint did not answer: {e}"))?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| format!("the token endpoint's answer was cut: {e}"))?;
        let answer: Answer = serde_json::from_slice(&bytes)
            .map_err(|e| format!("the token endpoint's answer is not JSON: {e}"))?;
        match (answer.id_token, answer.access_token) {
            (Some(id_token), Some(access_token)) => {
                Ok(TokenSet { id_token, access_token, refresh_token: answer.refresh_token })
            }
            _ => Err(format!(
                "{}: {}",
                answer.error.unwrap_or_else(|| "no tokens".into()),
                answer.error_description.unwrap_or_default()
            )),
        }
    }
}

/// `GET /app/login`: starts a sign-in (a fresh session holding `state` and the PKCE verifier) and sends the browser to the hosted login page.
pub(super) async fn login(State(app): State<Arc<App>>) -> Response {
    let (Some(id), Some(state), Some(verifier)) =
        (random::token(32), random::token(32), random::token(32))
    else {
        return problem(StatusCode::INTERNAL_SERVER_ERROR, "No randomness: try again.");
    };
    let challenge = URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()));
    let now = app.now();
    lock(&app.sessions).insert(
        &id,
        Session::SigningIn { state: state.clone(), verifier },
        now + SIGN_IN_LIFE_SECS,
        now,
    );
    let base = &app.pool.base_url;
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", &app.pool.client_id),
            ("redirect_uri", &format!("{base}{CALLBACK}")),
            ("scope", "openid email"),
            ("state", &state),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
        .finish();
    let mut response = see_other(&format!("{base}/oauth2/authorize?{query}"));
    response.headers_mut().append(header::SET_COOKIE, set_cookie(COOKIE, &id, SIGN_IN_LIFE_SECS));
    response
}

#[derive(Debug, Deserialize)]
pub(super) struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /app/callback`: checks `state`, redeems the code on the server, starts the signed-in session.
pub(super) async fn callback(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let now = app.now();
    let pending = cookie(&headers, COOKIE).and_then(|id| lock(&app.sessions).take(id, now));
    let Some(Session::SigningIn { state, verifier }) = pending else {
        return problem(
            StatusCode::BAD_REQUEST,
            "This sign-in was not started by this page in this browser, or it expired: start again.",
        );
    };
    let state_ok = q
        .state
        .as_deref()
        .is_some_and(|s| verify_slices_are_equal(s.as_bytes(), state.as_bytes()).is_ok());
    if !state_ok {
        tracing::info!(decision = "deny", "app callback: state does not match");
        return problem(
            StatusCode::BAD_REQUEST,
            "The sign-in came back with another state than it left with: start again.",
        );
    }
    if let Some(error) = q.error {
        let description = q.error_description.unwrap_or_default();
        return problem(
            StatusCode::BAD_REQUEST,
            &format!("The login page answered {error}: {description}"),
        );
    }
    let Some(code) = q.code else {
        return problem(StatusCode::BAD_REQUEST, "The callback carries no code.");
    };
    let redirect_uri = format!("{}{CALLBACK}", app.pool.base_url);
    let tokens = match app
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
            ("code_verifier", &verifier),
        ])
        .await
    {
        Ok(tokens) => tokens,
        Err(why) => {
            return problem(
                StatusCode::BAD_GATEWAY,
                &format!("The code could not be redeemed: {why}"),
            );
        }
    };
    // A new session id at sign-in, so an id planted before it is worth nothing.
    let (Some(id), Some(csrf)) = (random::token(32), random::token(32)) else {
        return problem(StatusCode::INTERNAL_SERVER_ERROR, "No randomness: try again.");
    };
    let life = app.pool.refresh_token_ttl;
    lock(&app.sessions).insert(&id, Session::SignedIn { tokens, csrf }, now + life, now);
    let mut response = see_other(HOME);
    response.headers_mut().append(header::SET_COOKIE, set_cookie(COOKIE, &id, life));
    response
}

#[derive(Debug, Deserialize)]
pub(super) struct PostForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// `POST /app/refresh` and `POST /app/logout`: what a signed-in page may ask
/// of its session, each behind the session's anti-CSRF token.
pub(super) async fn session_action(
    State(app): State<Arc<App>>,
    Path(action): Path<String>,
    headers: HeaderMap,
    Form(form): Form<PostForm>,
) -> Response {
    let (id, tokens) = match app.signed_in(&headers, &form.csrf) {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    match action.as_str() {
        "refresh" => refresh(&app, &id, tokens).await,
        "logout" => logout(&app, &id, tokens).await,
        _ => problem(StatusCode::NOT_FOUND, "No such action."),
    }
}

/// The refresh-token grant, on the server.
async fn refresh(app: &App, id: &str, tokens: TokenSet) -> Response {
    let Some(refresh_token) = tokens.refresh_token.clone() else {
        return problem(StatusCode::BAD_REQUEST, "This session has no refresh token.");
    };
    let now = app.now();
    match app
        .token_request(&[("grant_type", "refresh_token"), ("refresh_token", &refresh_token)])
        .await
    {
        Ok(fresh) => {
            let kept = TokenSet { refresh_token: Some(refresh_token), ..fresh };
            lock(&app.sessions).set_tokens(id, kept, now);
            see_other(HOME)
        }
        Err(why) => {
            lock(&app.sessions).take(id, now);
            let mut response = problem(
                StatusCode::UNAUTHORIZED,
                &format!("The refresh was refused ({why}): sign in again."),
            );
            response.headers_mut().append(header::SET_COOKIE, set_cookie(COOKIE, "", 0));
            response
        }
    }
}

/// Ends the app's session, revokes its refresh token, and sends the browser
/// to the pool's `/logout` to end the hosted-login session too.
async fn logout(app: &App, id: &str, tokens: TokenSet) -> Response {
    lock(&app.sessions).take(id, app.now());
    if let Some(token) = tokens.refresh_token {
        let revoked = app.post_as_client("/oauth2/revoke", &[("token", &token)]).await;
        if !revoked.is_ok_and(|r| r.status().is_success()) {
            tracing::warn!("app sign-out: the refresh token could not be revoked");
        }
    }
    let base = &app.pool.base_url;
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("client_id", app.pool.client_id.as_str()),
            ("logout_uri", &format!("{base}{HOME}")),
        ])
        .finish();
    let mut response = see_other(&format!("{base}/logout?{query}"));
    response.headers_mut().append(header::SET_COOKIE, set_cookie(COOKIE, "", 0));
    response
}
