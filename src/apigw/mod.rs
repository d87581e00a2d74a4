//! # The API Gateway stand-in
//!
//! The deployed API on loopback: `/dogs`, `/cats` and `/me/claims` behind the
//! real authorizer, with API Gateway's semantics: the authorizer event, IAM
//! evaluation of the policy it returns ([`policy`]), the result cache per
//! token, its own error answers ([`gateway_response`]), the mock bodies that
//! serverless.yml deploys, and me-claims behind a proxy event. As a REST API
//! ([`rest`], as deployed) or an HTTP API ([`http`], `serve --api http`).
//!
//! It uses [`crate::support`] and the `authorizer` and `me-claims` handlers;
//! the app page calls it over HTTP, and the stack starts it. Its files, from
//! the bottom up: `policy` and `gateway_response`, `gateway` (the API's
//! state), `rest` and `http`, and this router.

mod cache;
pub mod gateway;
pub mod gateway_response;
mod http;
pub mod policy;
mod rest;

use std::sync::Arc;

use axum::Router;

pub use gateway::{ApiGateway, AuthorizerFunction, AuthorizerKind, LambdaAuthorizer, MOCKS};
pub use rest::method_arn;

impl ApiGateway {
    /// The router: every path goes through the REST API's `handle`, or the HTTP API's.
    pub fn router(self: Arc<Self>) -> Router {
        match self.kind {
            AuthorizerKind::Http => http::router(self),
            AuthorizerKind::Token | AuthorizerKind::Request => {
                Router::new().fallback(rest::handle).with_state(self)
            }
        }
    }
}
