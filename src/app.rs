//! The local app: a page on the Cognito stand-in (`/app`) that walks the
//! article's flow in a browser. It is a confidential client of the pool like
//! any web app: it sends the browser to the hosted login page (with `state`
//! and PKCE), redeems the code on its server with the client secret, keeps the
//! tokens in a server-side session named by an HttpOnly cookie, and calls the
//! API Gateway stand-in from its server (a backend-for-frontend), so no token
//! ever reaches the browser and the API needs no CORS.

mod rule;
mod session;
mod signin;
mod view;

use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::cognito::page::{APP_CSP, html_with};
use crate::cognito::{Cognito, cookie};
use crate::lock;
use session::{Session, Sessions, TokenSet};
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
            .route("/app/login", get(signin::login))
            .route(CALLBACK, get(signin::callback))
            .route("/app/call", post(call))
            .route("/app/{action}", post(signin::session_action))
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
}

/// A 303 to `location`, never cached (the app's redirects set or clear its cookie).
fn see_other(location: &str) -> Response {
    let mut response = Redirect::to(location).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
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
    let user = id.str("sub").and_then(|sub| app.pool.users.iter().find(|u| u.sub() == sub));
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
        (status, [(header::CACHE_CONTROL, "no-store")], Json(json!({"error": error})))
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
    let answer = app.http.get(format!("{}{route}", app.api_url)).bearer_auth(token).send().await;
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
