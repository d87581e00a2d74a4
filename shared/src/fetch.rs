//! Fetching JWKS documents over HTTPS, with hard limits.
//!
//! It uses `error`; it is used by `jwks`, `snapshot`, `testing`, `verify`.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::time::Duration;

use crate::error::FetchError;

/// A boxed, sendable future (keeps [`Fetcher`] usable as a trait object).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Fetches the raw bytes of a JWKS document. A seam: tests and users may replace it.
pub trait Fetcher: Send + Sync + std::fmt::Debug {
    /// GETs `uri` and returns the body of a 200 answer.
    fn fetch<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<Vec<u8>, FetchError>>;
}

/// Limits of one JWKS fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchLimits {
    /// Time allowed to open the connection.
    pub connect_timeout: Duration,
    /// Time allowed for the whole exchange, body included.
    pub total_timeout: Duration,
    /// Largest body accepted, in bytes (a Cognito JWKS is about 1 KiB).
    pub max_body_bytes: usize,
}

impl Default for FetchLimits {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_millis(1500),
            total_timeout: Duration::from_secs(3),
            max_body_bytes: 64 * 1024,
        }
    }
}

/// The production [`Fetcher`]: reqwest over rustls, no redirects, status 200 only.
///
/// The HTTPS client is built on the first fetch, not before: building it reads
/// the system's root certificates, half of a cold start that a JWKS snapshot
/// otherwise spares from any I/O.
#[derive(Debug)]
pub struct HttpFetcher {
    client: OnceLock<Result<reqwest::Client, String>>,
    limits: FetchLimits,
}

impl HttpFetcher {
    /// A fetcher with these limits.
    #[must_use]
    pub fn new(limits: FetchLimits) -> Self {
        Self { client: OnceLock::new(), limits }
    }

    /// The client; a failure to build it (no usable TLS setup) fails every fetch.
    fn client(&self) -> Result<&reqwest::Client, FetchError> {
        let limits = self.limits;
        let built = self.client.get_or_init(|| {
            // Mozilla's root certificates, compiled in: the same on every host, and
            // nothing to read and parse from disk at cold start (half of it, measured).
            let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
            let tls =
                rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
            reqwest::Client::builder()
                .tls_backend_preconfigured(tls)
                .connect_timeout(limits.connect_timeout)
                .timeout(limits.total_timeout)
                .redirect(reqwest::redirect::Policy::none())
                // Fetches are minutes to hours apart: a pooled connection would be stale by then.
                .pool_max_idle_per_host(0)
                .user_agent(concat!("claimsgate/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| e.to_string())
        });
        built.as_ref().map_err(|e| FetchError::Transport(e.clone()))
    }
}

impl Fetcher for HttpFetcher {
    fn fetch<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<Vec<u8>, FetchError>> {
        Box::pin(async move {
            let transport = |e: reqwest::Error| FetchError::Transport(e.to_string());
            let mut response = self.client()?.get(uri).send().await.map_err(transport)?;
            let status = response.status().as_u16();
            if status != 200 {
                return Err(FetchError::Status(status));
            }
            let max = self.limits.max_body_bytes;
            if response.content_length().is_some_and(|len| len > max as u64) {
                return Err(FetchError::TooLarge(max));
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(transport)? {
                if body.len() + chunk.len() > max {
                    return Err(FetchError::TooLarge(max));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        })
    }
}
