//! JWKS snapshots: each issuer's key set, fetched at build or deploy time and
//! shipped beside the function (`JWKS_SNAPSHOT`), so a cold start verifies its
//! first token without a network round trip. The snapshot then ages like a
//! fetched set: refreshed in the background after `JWKS_TTL_SECS`, and not
//! trusted at all once older than `JWKS_MAX_STALE_SECS`.
//!
//! It uses `error`, `fetch`, `jwk`; it is used by `verify`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::FetchError;
use crate::fetch::Fetcher;
use crate::jwk::KeySet;

/// The file: when it was taken, and each JWKS URI's document as fetched.
#[derive(Debug, Serialize, Deserialize)]
pub struct Snapshot {
    /// Seconds since the epoch when the documents were fetched.
    pub taken_at: u64,
    /// JWKS URI to its document.
    pub jwks: BTreeMap<String, Box<RawValue>>,
}

impl Snapshot {
    /// Fetches every URI now with `fetcher`, checking that each document holds a usable key.
    ///
    /// # Errors
    /// The first URI that cannot be fetched or holds no usable key.
    pub async fn take(
        fetcher: &dyn Fetcher,
        uris: &[String],
        now: Duration,
    ) -> Result<Self, (String, FetchError)> {
        let mut jwks = BTreeMap::new();
        for uri in uris {
            let fail = |e| (uri.clone(), e);
            let body = fetcher.fetch(uri).await.map_err(fail)?;
            KeySet::parse(&body).map_err(fail)?;
            let text =
                String::from_utf8(body).map_err(|e| fail(FetchError::NotJwks(e.to_string())))?;
            let raw = RawValue::from_string(text)
                .map_err(|e| fail(FetchError::NotJwks(e.to_string())))?;
            jwks.insert(uri.clone(), raw);
        }
        Ok(Self { taken_at: now.as_secs(), jwks })
    }
}
