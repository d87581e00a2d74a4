//! # Cedar policy stores
//!
//! Every decision of the authorizer is Cedar's (`cedar-policy`, the engine of
//! Amazon Verified Permissions), on a policy store shaped as Verified
//! Permissions expects: a schema whose actions are the API's routes
//! (`"get /pets/{petId}"`), and `.cedar` policy files. A verified Cognito
//! token becomes a Cedar request as Verified Permissions maps it.
//!
//! It uses `cedar-policy` and `claimsgate-core`'s verified token; the
//! authorizer's handler uses it. Its files, from the bottom up: `error`,
//! `source` (the files), `route`, `shape` (what the schema declares),
//! `overlap`, `uses` (the attributes policies read), `principal` (a token as
//! Cedar entities), `store` (loading and checking), `evaluate` (decisions)
//! and `iam` (the policy's patterns).

pub mod error;
pub mod evaluate;
pub mod iam;
pub mod overlap;
pub mod principal;
pub mod route;
pub mod shape;
pub mod source;
pub mod store;
pub mod uses;

pub use error::StoreError;
pub use evaluate::Decisions;
pub use route::{Route, Routes};
pub use source::Source;
pub use store::Store;
