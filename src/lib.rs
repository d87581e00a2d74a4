//! # claimsgate local stack
//!
//! One process with a Cognito stand-in and an API Gateway stand-in, both
//! driving the real handlers of the three functions (`pre-token-gen`,
//! `authorizer`, `me-claims`). Nothing here re-implements their logic.
//!
//! The rooms, from the bottom up (each uses only those listed before it):
//!
//! - [`support`]: small helpers (secret files, random ids, locking).
//! - [`cognito`]: the Cognito stand-in: users, keys, token issuance through the
//!   trigger, the hosted login and OAuth endpoints, the admin actions.
//! - [`apigw`]: the API Gateway stand-in: routes, authorizer events, IAM policy
//!   evaluation, the per-token result cache, gateway responses and mocks.
//! - [`app`]: the browser page, a web client of the pool that calls the API.
//! - [`stack`]: how the three are started together, and the settings
//!   ([`StackSettings`]) they read from flags and `CLAIMSGATE_*` variables.
//!
//! The CLI (`src/cli/`, in the binary) sits on top of them all.

pub mod apigw;
pub mod app;
pub mod cognito;
pub mod stack;
pub mod support;

pub use apigw::AuthorizerKind;
pub use stack::settings::StackSettings;
pub use stack::{
    Stack, cognito_base_url, lambda_trigger, start, start_with_authorizer, start_with_trigger,
    token_issuer, tokens_for, users_of,
};

// Where these modules were before the stand-ins got rooms of their own; kept so callers' paths still resolve.
pub use apigw::{gateway_response, policy};
pub use cognito::{issuer, keys, trigger, users};
pub use keys::load_or_create_key;
pub use stack::settings;
pub use support::{files, random};
