//! # claimsgate-core
//!
//! What the three claimsgate Lambdas share: a JWKS cache, a Cognito token
//! verifier with a verified-token cache, typed claims, the bearer-header
//! grammar, the pet rules, and configuration read from the environment.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use claimsgate_core::{Verifier, VerifierConfig};
//! let config = VerifierConfig::from_env()?;
//! let verifier = Verifier::from_config(&config);
//! verifier.hydrate().await; // cold start: fetch the keys before the first request
//! match verifier.verify("eyJ...").await {
//!     Ok(token) => println!("sub = {:?}", token.claims.sub()),
//!     Err(e) => println!("denied: {}", e.code()),
//! }
//! # Ok(()) }
//! ```

pub mod bearer;
mod checks;
pub mod claims;
pub mod clock;
pub mod config;
pub mod error;
pub mod fetch;
pub mod jwk;
pub mod jwks;
pub mod logging;
pub mod metrics;
pub mod rules;
#[cfg(feature = "signing")]
pub mod signing;
pub mod snapshot;
#[cfg(feature = "test-util")]
pub mod testing;
pub mod token;
pub mod token_cache;
pub mod verify;

pub use claims::{Claims, TokenUse};
pub use clock::{Clock, SystemClock};
pub use config::{Issuer, JwksSettings, TokenUsePolicy, VerifierConfig};
pub use error::{ConfigError, FetchError, VerifyError};
pub use fetch::{FetchLimits, Fetcher, HttpFetcher};
pub use jwks::JwksCache;
pub use rules::Pet;
pub use token::{MAX_TOKEN_BYTES, Report, TokenHeader, VerifiedToken};
pub use verify::Verifier;
