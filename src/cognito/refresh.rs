//! Refresh tokens: the grant they stand for, sealed so only the pool can mint them.
//!
//! It uses nothing else of the crate; it is used by `cognito::pool`.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// What a refresh token stands for. The token is this, as JSON, sealed with an
/// HMAC keyed from the pool's signing key: any process holding the key file (the
/// server, `claimsgate token`) can issue and check them, and nobody else can forge one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshGrant {
    /// The user's email.
    pub email: String,
    /// The client it was issued to.
    pub client_id: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// When the user signed in.
    pub auth_time: u64,
    /// The session's `origin_jti` (what revocation names).
    pub origin_jti: String,
    /// When it stops working.
    pub expires_at: u64,
}

impl RefreshGrant {
    /// Seals the grant into a refresh token.
    #[must_use]
    pub fn seal(&self, key: &hmac::Key) -> String {
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default());
        let tag = hmac::sign(key, body.as_bytes());
        format!("{body}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    /// Opens a refresh token sealed by [`RefreshGrant::seal`] with one of `keys`.
    #[must_use]
    pub fn open(token: &str, keys: &[hmac::Key]) -> Option<Self> {
        let (body, tag) = token.split_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        keys.iter().find(|key| hmac::verify(key, body.as_bytes(), &tag).is_ok())?;
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()
    }
}

/// The refresh-token sealing key, derived from the signing key.
#[must_use]
pub fn refresh_key(signing_pem: &str) -> hmac::Key {
    let derived = digest(&SHA256, format!("claimsgate refresh tokens\n{signing_pem}").as_bytes());
    hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sealed_grants_open_with_any_key_they_were_sealed_with_and_nothing_else() {
        let (old, new) = (refresh_key("a"), refresh_key("b"));
        let grant = RefreshGrant {
            email: "a@b.c".into(),
            client_id: "c".into(),
            scopes: vec!["openid".into()],
            auth_time: 1,
            origin_jti: "o".into(),
            expires_at: 2,
        };
        let token = grant.seal(&old);
        let keys = [new, old];
        assert_eq!(RefreshGrant::open(&token, &keys).unwrap().origin_jti, "o");
        assert!(RefreshGrant::open(&token, &keys[..1]).is_none());
        let mut forged = token.clone();
        forged.insert(3, 'x');
        assert!(RefreshGrant::open(&forged, &keys).is_none());
        assert!(RefreshGrant::open("no-dot", &keys).is_none());
    }
}
