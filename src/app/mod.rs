//! The local app: a page on the Cognito stand-in (`/app`) that walks the
//! article's flow in a browser. It is a confidential client of the pool like
//! any web app: it sends the browser to the hosted login page (with `state`
//! and PKCE), redeems the code on its server with the client secret, keeps the
//! tokens in a server-side session named by an HttpOnly cookie, and calls the
//! API Gateway stand-in from its server (a backend-for-frontend), so no token
//! ever reaches the browser and the API needs no CORS.
//!
//! It uses the Cognito stand-in (its pool, cookies and page helpers) and
//! [`crate::support`], and reaches the API Gateway stand-in over HTTP only;
//! the stack starts it on the Cognito stand-in's listener. Its files, from
//! the bottom up: `rule`, `session`, `view`, `site` (the app's state), then
//! `signin` and `page` (the handlers), and this router.

mod page;
mod rule;
mod session;
mod signin;
mod site;
mod view;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

pub use site::{App, CALLBACK, COOKIE, HOME, registered_urls};

impl App {
    /// The routes under [`HOME`].
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route(HOME, get(page::home))
            .route("/app/login", get(signin::login))
            .route(CALLBACK, get(signin::callback))
            .route("/app/call", post(page::call))
            .route("/app/{action}", post(signin::session_action))
            .route("/app/app.js", get(page::script))
            .with_state(self)
    }
}
