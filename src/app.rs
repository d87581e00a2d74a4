//! The local app: a page on the Cognito stand-in (`/app`) that walks the
//! article's flow in a browser. It is a confidential client of the pool like
//! any web app: it sends the browser to the hosted login page (with `state`
//! and PKCE), redeems the code on its server with the client secret, keeps the
//! tokens in a server-side session named by an HttpOnly cookie, and calls the
//! API Gateway stand-in from its server (a backend-for-frontend), so no token
//! ever reaches the browser and the API needs no CORS.

mod rule;
mod session;
mod view;

use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{SHA256, digest};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::json;

use crate::cognito::page::{APP_CSP, html_with};
use crate::cognito::{Cognito, cookie, set_cookie};
use crate::{lock, random};
use session::{SIGN_IN_LIFE_SECS, Session, Sessions, TokenSet};
use view::{Client, Decoded};

/// The page's path; also its registered sign-out URL.
pub const HOME: &str = "/app";
/// Its registered callback.
pub const CALLBACK: &str = "/app/callback";
/// The cookie naming the session.
pub const COOKIE: &str = "app-session";

/// The callback and sign-out URLs the app needs registered on the client of the pool at `base_url`.
#[must_use]
pub fn registered_urls(base_url: &str) -> [String; 2] {
    [format!("{base_url}{CALLBACK}"), format!("{base_url}{HOME}")]
}

/// The app's state.
#[derive(Debug)]
pub struct App {
    pool: Arc<Cognito>,
    api_url: String,
    /// The trigger's rules, to say which one gave the pet (`None`: unknown).
    rules: Option<pre_token_gen::Config>,
    http: reqwest::Client,
    sessions: std::sync::Mutex<Sessions>,
}

impl App {
    /// The app of `pool`'s web client, calling the API at `api_url`.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(
        pool: Arc<Cognito>,
        api_url: String,
        rules: Option<pre_token_gen::Config>,
    ) -> Result<Self, String> {
        // Loopback calls to the stack itself: never through a proxy, never following redirects.
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("the app's HTTP client: {e}"))?;
        Ok(Self {
            pool,
            api_url,
            rules,
            http,
            sessions: std::sync::Mutex::new(Sessions::default()),
        })
    }

    /// The routes under [`HOME`].
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route(HOME, get(home))
            .route("/app/login", get(login))
            .route(CALLBACK, get(callback))
            .route("/app/call", post(call))
            .route("/app/refresh", post(refresh))
            .route("/app/logout", post(logout))
            .route("/app/app.js", get(script))
            .with_state(self)
    }

    fn client(&self) -> Client<'_> {
        Client {
            client_id: &self.pool.client_id,
            pool_id: &self.pool.pool_id,
            base_url: &self.pool.base_url,
            api_url: &self.api_url,
        }
    }

    fn now(&self) -> u64 {
        self.pool.issuer.clock.now_secs()
    }

    /// The session the request's cookie names, with its id.
    fn session(&self, headers: &HeaderMap) -> Option<(String, Session)> {
        let id = cookie(headers, COOKIE)?;
        let session = lock(&self.sessions).get(id, self.now())?;
        Some((id.to_owned(), session))
    }

    /// The signed-in session of a POST, which must carry its anti-CSRF token.
    // The refusal is the response itself (axum style); its size does not matter on this path.
    #[allow(clippy::result_large_err)]
    fn signed_in(&self, headers: &HeaderMap, sent: &str) -> Result<(String, TokenSet), Response> {
        match self.session(headers) {
            Some((id, Session::SignedIn { tokens, csrf }))
                if verify_slices_are_equal(csrf.as_bytes(), sent.as_bytes()).is_ok() =>
            {
                Ok((id, tokens))
            }
            Some((_, Session::SignedIn { .. })) => Err(problem(
                StatusCode::FORBIDDEN,
                "This request was not sent by the page: reload it and try again.",
            )),
            _ => Err(problem(
                StatusCode::UNAUTHORIZED,
                "You are not signed in (or the session ended): sign in again.",
            )),
        }
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
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let response = self
            .http
            .post(format!("{}/oauth2/token", self.pool.base_url))
            .basic_auth(&self.pool.client_id, Some(&self.pool.client_secret))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("the token endpoint did not answer: {e}"))?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| format!("the token endpoint's answer was cut: {e}"))?;
        let answer: Answer = serde_json::from_slice(&bytes)
            .map_err(|e| format!("the token endpoint's answer is not JSON: {e}"))?;
        match (answer.id_token, answer.access_token) {
            (Some(id_token), Some(access_token)) => Ok(TokenSet {
                id_token,
                access_token,
                refresh_token: answer.refresh_token,
            }),
            _ => Err(format!(
                "{}: {}",
                answer.error.unwrap_or_else(|| "no tokens".into()),
                answer.error_description.unwrap_or_default()
            )),
        }
    }
}

/// A 303 to `location`, never cached (the app's redirects set or clear its cookie).
fn see_other(location: &str) -> Response {
    let mut response = Redirect::to(location).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// An error page of the app.
fn problem(status: StatusCode, message: &str) -> Response {
    html_with(status, APP_CSP, view::problem(message))
}

/// `GET /app`: the signed-in page, or the way to sign in.
async fn home(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let Some((_, Session::SignedIn { tokens, csrf })) = app.session(&headers) else {
        return html_with(StatusCode::OK, APP_CSP, view::signed_out(&app.client()));
    };
    let id = Decoded::of(&tokens.id_token).unwrap_or_default();
    let access = Decoded::of(&tokens.access_token).unwrap_or_default();
    let user = id
        .str("sub")
        .and_then(|sub| app.pool.users.iter().find(|u| u.sub() == sub));
    let attributes = user.map(crate::users::User::attributes);
    let explanation = rule::explain(
        app.rules.as_ref(),
        attributes.as_ref(),
        id.str(claimsgate_core::rules::PET_CLAIM),
    );
    let page = view::signed_in(&view::SignedIn {
        client: app.client(),
        id: &id,
        access: &access,
        rule: &explanation,
        now: app.now(),
        csrf: &csrf,
    });
    html_with(StatusCode::OK, APP_CSP, page)
}

/// `GET /app/login`: starts a sign-in (a fresh session holding `state` and the PKCE verifier) and sends the browser to the hosted login page.
async fn login(State(app): State<Arc<App>>) -> Response {
    let (Some(id), Some(state), Some(verifier)) =
        (random::token(32), random::token(32), random::token(32))
    else {
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "No randomness: try again.",
        );
    };
    let challenge = URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()));
    let now = app.now();
    lock(&app.sessions).insert(
        &id,
        Session::SigningIn {
            state: state.clone(),
            verifier,
        },
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
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(COOKIE, &id, SIGN_IN_LIFE_SECS),
    );
    response
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /app/callback`: checks `state`, redeems the code on the server, starts the signed-in session.
async fn callback(
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
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "No randomness: try again.",
        );
    };
    let life = app.pool.refresh_token_ttl;
    lock(&app.sessions).insert(&id, Session::SignedIn { tokens, csrf }, now + life, now);
    let mut response = see_other(HOME);
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(COOKIE, &id, life));
    response
}

#[derive(Debug, Deserialize)]
struct CallForm {
    #[serde(default)]
    route: String,
    #[serde(rename = "use", default)]
    token_use: String,
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// `POST /app/call`: calls one of the API's routes with the session's token and answers `{status, reason, body}`.
async fn call(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Form(form): Form<CallForm>,
) -> Response {
    let json_error = |status: StatusCode, error: &str| {
        (
            status,
            [(header::CACHE_CONTROL, "no-store")],
            Json(json!({"error": error})),
        )
            .into_response()
    };
    let tokens = match app.signed_in(&headers, &form.csrf) {
        Ok((_, tokens)) => tokens,
        Err(refusal) if refusal.status() == StatusCode::FORBIDDEN => {
            return json_error(StatusCode::FORBIDDEN, "reload the page and try again");
        }
        Err(_) => {
            return json_error(StatusCode::UNAUTHORIZED, "signed out: reload the page");
        }
    };
    // Only the routes the page offers: this is not an open proxy.
    let Some((route, _)) = view::ROUTES.iter().find(|(r, _)| *r == form.route) else {
        return json_error(StatusCode::BAD_REQUEST, "not a route of the page");
    };
    let token = match form.token_use.as_str() {
        "access" => &tokens.access_token,
        _ => &tokens.id_token,
    };
    let answer = app
        .http
        .get(format!("{}{route}", app.api_url))
        .bearer_auth(token)
        .send()
        .await;
    let response = match answer {
        Ok(r) => r,
        Err(e) => {
            return json_error(
                StatusCode::BAD_GATEWAY,
                &format!("the API Gateway stand-in did not answer: {e}"),
            );
        }
    };
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or(text);
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({
            "route": route,
            "status": status.as_u16(),
            "reason": status.canonical_reason().unwrap_or_default(),
            "body": body,
        })),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct PostForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// `POST /app/refresh`: the refresh-token grant, on the server.
async fn refresh(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Form(form): Form<PostForm>,
) -> Response {
    let (id, tokens) = match app.signed_in(&headers, &form.csrf) {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    let Some(refresh_token) = tokens.refresh_token.clone() else {
        return problem(
            StatusCode::BAD_REQUEST,
            "This session has no refresh token.",
        );
    };
    let now = app.now();
    match app
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token),
        ])
        .await
    {
        Ok(fresh) => {
            let kept = TokenSet {
                refresh_token: Some(refresh_token),
                ..fresh
            };
            lock(&app.sessions).set_tokens(&id, kept, now);
            see_other(HOME)
        }
        Err(why) => {
            lock(&app.sessions).take(&id, now);
            let mut response = problem(
                StatusCode::UNAUTHORIZED,
                &format!("The refresh was refused ({why}): sign in again."),
            );
            response
                .headers_mut()
                .append(header::SET_COOKIE, set_cookie(COOKIE, "", 0));
            response
        }
    }
}

/// `POST /app/logout`: ends the app's session, revokes its refresh token, and
/// sends the browser to the pool's `/logout` to end the hosted-login session too.
async fn logout(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Form(form): Form<PostForm>,
) -> Response {
    let (id, tokens) = match app.signed_in(&headers, &form.csrf) {
        Ok(session) => session,
        Err(refusal) => return refusal,
    };
    lock(&app.sessions).take(&id, app.now());
    if let Some(token) = tokens.refresh_token {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", &token)
            .finish();
        let revoked = app
            .http
            .post(format!("{}/oauth2/revoke", app.pool.base_url))
            .basic_auth(&app.pool.client_id, Some(&app.pool.client_secret))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await;
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
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(COOKIE, "", 0));
    response
}

/// `GET /app/app.js`.
async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        include_str!("app/app.js"),
    )
        .into_response()
}
