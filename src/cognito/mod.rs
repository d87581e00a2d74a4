//! # The Cognito stand-in
//!
//! A user pool with a Cognito domain, on loopback: discovery and JWKS, the
//! hosted login (`/oauth2/authorize`, `/login`), `/oauth2/token`,
//! `/oauth2/revoke`, `/oauth2/userInfo`, `/logout`, and the loopback admin
//! actions (`/admin/rotate-key`, `/admin/jwks-fault`). Every token it issues
//! goes through the Pre Token Generation trigger ([`trigger`]), which is the
//! real `pre-token-gen` handler unless a test passes its own.
//!
//! It uses [`crate::support`], `claimsgate-core` (signing, verifying its own
//! access tokens) and `pre-token-gen`; the app page and the stack use it.
//! Its files, from the bottom up: `users`, `keys`, `trigger` and `issuer`
//! (who signs in and what their tokens hold), `state`, `csrf`, `refresh`,
//! `jwks_fault`, `cookie`, `page` (building blocks), `pool` (the state every
//! endpoint reads), then one file per endpoint, and this router.

mod admin;
pub mod cookie;
mod csrf;
mod discovery;
pub mod issuer;
pub mod jwks_fault;
pub mod keys;
mod login;
mod logout;
mod oauth;
pub mod page;
pub mod pool;
mod refresh;
mod revoke;
pub mod state;
mod token;
pub mod trigger;
mod userinfo;
pub mod users;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

pub use pool::{Cognito, MachineClient};

impl Cognito {
    /// The router of every endpoint.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/{pool}/.well-known/openid-configuration", get(discovery::discovery))
            .route("/{pool}/.well-known/jwks.json", get(discovery::jwks))
            .route("/oauth2/authorize", get(login::authorize))
            .route("/login", get(login::form).post(login::submit))
            .route("/oauth2/token", post(token::token))
            .route("/oauth2/revoke", post(revoke::revoke))
            .route("/oauth2/userInfo", get(userinfo::user_info))
            .route("/logout", get(logout::logout))
            .merge(admin::router())
            .with_state(self)
    }
}
