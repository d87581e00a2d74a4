//! What API Gateway keeps of an authorizer's answers, by mode: a REST API
//! caches the principal, policy and context per token; an HTTP API caches the
//! simple answer per set of identity-source values. Plain data; the REST and
//! HTTP API modes fill and read it.
//!
//! It uses nothing else of the crate; it is used by `apigw::gateway`, `apigw::http`, `apigw::rest`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Map, Value};

/// A REST authorizer's answer, cached per token.
#[derive(Debug, Clone)]
pub struct CachedPolicy {
    /// When it was cached, by the stack's clock.
    pub at: Duration,
    pub principal_id: String,
    pub policy: Value,
    pub context: Map<String, Value>,
}

/// What an HTTP API authorizer answered for one set of identity sources.
#[derive(Debug, Clone)]
pub struct HttpCached {
    pub at: Duration,
    pub is_authorized: bool,
    pub context: Map<String, Value>,
}

/// The HTTP API's result cache, keyed by the identity sources' values.
#[derive(Debug, Default)]
pub struct HttpCache(pub Mutex<HashMap<String, HttpCached>>);
