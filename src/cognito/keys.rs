//! The pool's signing keys: the key file, and the published set that key rotation changes.
//!
//! A rotation publishes the new key beside the old one and signs with the new
//! one at once; the old key stays in the JWKS until its grace period ends, so
//! tokens it signed keep verifying until then.
//!
//! It uses `support::files`, `support::random`, `support`; it is used by `cognito::admin`,
//! `cognito::issuer`, `cognito::pool`, `stack`.

use std::path::Path;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use claimsgate_core::signing::SigningKey;
use serde::Serialize;
use serde_json::{Value, json};

use crate::support::lock;

/// The key's `kid`: derived from its modulus, so every process using one key file names it alike.
#[must_use]
pub fn with_derived_kid(key: SigningKey) -> SigningKey {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, key.modulus());
    let kid = URL_SAFE_NO_PAD.encode(&digest.as_ref()[..20]);
    key.with_kid(&kid)
}

/// Reads a PKCS#8 PEM signing key, naming it by [`with_derived_kid`].
///
/// # Errors
/// When the text is not a PKCS#8 RSA private key.
pub fn from_pem(pem: &str) -> Result<SigningKey, String> {
    SigningKey::from_pkcs8_pem("", pem).map(with_derived_kid).map_err(|e| e.to_string())
}

/// Loads the signing key from `path`, or makes one and saves it there.
///
/// # Errors
/// When the file cannot be read, parsed or written (the message names `--key-file`).
pub fn load_or_create_key(path: &Path) -> Result<SigningKey, String> {
    if path.exists() {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| format!("--key-file {}: cannot read it: {e}", path.display()))?;
        return from_pem(&pem).map_err(|e| format!("--key-file {}: {e}", path.display()));
    }
    let fresh = SigningKey::generate("").map_err(|e| e.to_string())?;
    save_key(path, &fresh)?;
    Ok(with_derived_kid(fresh))
}

/// Writes `key` to `path`, owner-only, replacing the file in one rename.
///
/// # Errors
/// When the directory or the file cannot be written (the message names `--key-file`).
pub fn save_key(path: &Path, key: &SigningKey) -> Result<(), String> {
    crate::support::files::replace_private(path, &key.to_pkcs8_pem())
        .map_err(|e| format!("--key-file {}: cannot write it: {e}", path.display()))
}

/// A key that no longer signs, published until `retires_at`.
#[derive(Debug, Clone)]
struct Retiring {
    key: Arc<SigningKey>,
    retires_at: u64,
}

#[derive(Debug)]
struct Keys {
    current: Arc<SigningKey>,
    retiring: Vec<Retiring>,
}

/// The signing key and the keys still published beside it.
#[derive(Debug)]
pub struct KeySet {
    keys: Mutex<Keys>,
}

/// What a rotation did, as the admin endpoint reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rotation {
    /// The `kid` that signs from now on.
    pub kid: String,
    /// Keys still published, with the time (seconds since the epoch) each leaves the JWKS.
    pub retiring: Vec<RetiringKey>,
}

/// A published key that no longer signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetiringKey {
    /// Its `kid`.
    pub kid: String,
    /// When it leaves the JWKS.
    pub retires_at: u64,
}

impl KeySet {
    /// A set holding one key.
    #[must_use]
    pub fn new(key: SigningKey) -> Self {
        Self { keys: Mutex::new(Keys { current: Arc::new(key), retiring: Vec::new() }) }
    }

    /// The key that signs now.
    #[must_use]
    pub fn current(&self) -> Arc<SigningKey> {
        Arc::clone(&lock(&self.keys).current)
    }

    /// The JWKS document at `now`: the signing key first, then the keys whose grace has not ended.
    #[must_use]
    pub fn jwks(&self, now: u64) -> Value {
        let mut keys = lock(&self.keys);
        keys.retiring.retain(|r| r.retires_at > now);
        let published: Vec<Value> = std::iter::once(keys.current.jwk())
            .chain(keys.retiring.iter().map(|r| r.key.jwk()))
            .collect();
        json!({ "keys": published })
    }

    /// Signs with `next` from now on; the current key stays published for `grace_secs`.
    /// Rotating to the key that already signs changes nothing.
    pub fn rotate(&self, next: SigningKey, grace_secs: u64, now: u64) -> Rotation {
        let mut keys = lock(&self.keys);
        keys.retiring.retain(|r| r.retires_at > now);
        if next.kid() != keys.current.kid() {
            keys.retiring.retain(|r| r.key.kid() != next.kid());
            let old = std::mem::replace(&mut keys.current, Arc::new(next));
            keys.retiring
                .insert(0, Retiring { key: old, retires_at: now.saturating_add(grace_secs) });
        }
        Rotation {
            kid: keys.current.kid().to_owned(),
            retiring: keys
                .retiring
                .iter()
                .map(|r| RetiringKey { kid: r.key.kid().to_owned(), retires_at: r.retires_at })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use claimsgate_core::testing::test_key;

    fn kids(set: &KeySet, now: u64) -> Vec<String> {
        set.jwks(now)["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn a_rotation_publishes_both_keys_until_the_grace_ends() {
        let (a, b, c) = (
            with_derived_kid(test_key(0, "")),
            with_derived_kid(test_key(1, "")),
            with_derived_kid(test_key(2, "")),
        );
        let set = KeySet::new(a.clone());
        assert_eq!(kids(&set, 100), [a.kid()]);

        let rotation = set.rotate(b.clone(), 50, 100);
        assert_eq!(rotation.kid, b.kid());
        assert_eq!(rotation.retiring, [RetiringKey { kid: a.kid().into(), retires_at: 150 }]);
        assert_eq!(set.current().kid(), b.kid());
        assert_eq!(kids(&set, 149), [b.kid(), a.kid()]);
        assert_eq!(kids(&set, 150), [b.kid()]);

        // Back to a key still retiring: it signs again and is listed once.
        set.rotate(c.clone(), 10, 200);
        assert_eq!(kids(&set, 200), [c.kid(), b.kid()]);
        set.rotate(b.clone(), 10, 205);
        assert_eq!(kids(&set, 205), [b.kid(), c.kid()]);
        // Rotating to the signing key changes nothing.
        assert_eq!(set.rotate(b.clone(), 99, 206).retiring.len(), 1);
        assert_eq!(kids(&set, 206), [b.kid(), c.kid()]);
    }

    #[test]
    fn saved_keys_load_back_under_the_same_kid() {
        let dir = std::env::temp_dir()
            .join(format!("claimsgate-keys-{}", crate::support::random::uuid()));
        let path = dir.join("nested/key.pem");
        let key = test_key(3, "");
        save_key(&path, &key).unwrap();
        save_key(&path, &key).unwrap();
        let loaded = load_or_create_key(&path).unwrap();
        assert_eq!(loaded.modulus(), key.modulus());
        assert_eq!(loaded.kid(), with_derived_kid(key).kid());
        std::fs::write(&path, "not a key").unwrap();
        assert!(load_or_create_key(&path).unwrap_err().starts_with("--key-file"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
