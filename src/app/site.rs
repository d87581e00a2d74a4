//! The app's state and its few shared answers: the pool it is a client of,
//! the API it calls, the server-side sessions, its paths and cookie. It uses
//! the sessions and views beside it and the Cognito stand-in's cookies and
//! pages; the sign-in and page handlers use it.

use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::session::{Session, Sessions, TokenSet};
use super::view::{self, Client, PageRoute};
use crate::cognito::Cognito;
use crate::cognito::cookie::cookie;
use crate::cognito::page::{APP_CSP, html_with};
use crate::support::lock;

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
    pub(super) pool: Arc<Cognito>,
    pub(super) api_url: String,
    /// The trigger's rules, to say which one gave the pet (`None`: unknown).
    pub(super) rules: Option<pre_token_gen::Config>,
    pub(super) http: reqwest::Client,
    pub(super) sessions: std::sync::Mutex<Sessions>,
    /// A button for each route of the authorizer's policy store.
    pub(super) routes: Vec<PageRoute>,
}

impl App {
    /// The app of `pool`'s web client, calling the `routes` of the API at `api_url`.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(
        pool: Arc<Cognito>,
        (api_url, routes): (String, &authorizer::policies::Routes),
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
            routes: view::page_routes(routes),
        })
    }

    pub(super) fn client(&self) -> Client<'_> {
        Client {
            client_id: &self.pool.client_id,
            pool_id: &self.pool.pool_id,
            base_url: &self.pool.base_url,
            api_url: &self.api_url,
        }
    }

    pub(super) fn now(&self) -> u64 {
        self.pool.issuer.clock.now_secs()
    }

    /// The session the request's cookie names, with its id.
    pub(super) fn session(&self, headers: &HeaderMap) -> Option<(String, Session)> {
        let id = cookie(headers, COOKIE)?;
        let session = lock(&self.sessions).get(id, self.now())?;
        Some((id.to_owned(), session))
    }

    /// The signed-in session of a POST, which must carry its anti-CSRF token.
    // The refusal is the response itself (axum style); its size does not matter on this path.
    #[allow(clippy::result_large_err)]
    pub(super) fn signed_in(
        &self,
        headers: &HeaderMap,
        sent: &str,
    ) -> Result<(String, TokenSet), Response> {
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
pub(super) fn see_other(location: &str) -> Response {
    let mut response = Redirect::to(location).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}

/// An error page of the app.
pub(super) fn problem(status: StatusCode, message: &str) -> Response {
    html_with(status, APP_CSP, view::problem(message))
}
