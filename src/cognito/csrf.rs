//! The login form's anti-CSRF token, as Cognito's hosted UI does it: a random
//! cookie (`XSRF-TOKEN`) and a hidden `_csrf` field that must match it.
//!
//! The field is an HMAC over the cookie, an expiry and the authorization
//! request the form carries, so it is bound to this browser (another site can
//! neither read nor set the cookie) and to this request (the hidden fields
//! cannot be edited to another client or redirect URI).
//!
//! It uses nothing else of the crate; it is used by `cognito::pool`.

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The cookie holding the browser's CSRF nonce.
pub const COOKIE: &str = "XSRF-TOKEN";

/// A form is good for an hour.
const LIFE_SECS: u64 = 3600;

/// Mints and checks `_csrf` values with a key made at start-up.
#[derive(Debug)]
pub struct Csrf {
    key: hmac::Key,
}

impl Csrf {
    /// A fresh key; `None` if the system RNG fails.
    #[must_use]
    pub fn new() -> Option<Self> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let key = hmac::Key::generate(hmac::HMAC_SHA256, &rng).ok()?;
        Some(Self { key })
    }

    fn message(nonce: &str, expires_at: u64, request: &str) -> Vec<u8> {
        format!("{nonce}\n{expires_at}\n{request}").into_bytes()
    }

    /// The `_csrf` value for the browser holding `nonce`, for the authorization `request`.
    #[must_use]
    pub fn token(&self, nonce: &str, request: &str, now: u64) -> String {
        let expires_at = now + LIFE_SECS;
        let tag = hmac::sign(&self.key, &Self::message(nonce, expires_at, request));
        format!("{expires_at}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    /// True when `token` was minted for `nonce` and `request` and has not expired.
    #[must_use]
    pub fn verify(&self, nonce: &str, token: &str, request: &str, now: u64) -> bool {
        let Some((expires_at, tag)) = token.split_once('.') else {
            return false;
        };
        let (Ok(expires_at), Ok(tag)) = (expires_at.parse::<u64>(), URL_SAFE_NO_PAD.decode(tag))
        else {
            return false;
        };
        expires_at > now
            && hmac::verify(&self.key, &Self::message(nonce, expires_at, request), &tag).is_ok()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tokens_bind_browser_request_and_time() {
        let csrf = Csrf::new().unwrap();
        let token = csrf.token("n1", "client_id=a", 1000);
        assert!(csrf.verify("n1", &token, "client_id=a", 1000));
        assert!(!csrf.verify("n2", &token, "client_id=a", 1000), "other browser");
        assert!(!csrf.verify("n1", &token, "client_id=b", 1000), "other request");
        assert!(!csrf.verify("n1", &token, "client_id=a", 1000 + LIFE_SECS), "expired");
        assert!(!Csrf::new().unwrap().verify("n1", &token, "client_id=a", 1000), "other key");
        for junk in ["", ".", "x.y", "99999999999.", "1.AAAA"] {
            assert!(!csrf.verify("n1", junk, "client_id=a", 0), "{junk}");
        }
        // The expiry is covered by the MAC: it cannot be pushed out.
        let (_, tag) = token.split_once('.').unwrap();
        assert!(!csrf.verify("n1", &format!("9999999999.{tag}"), "client_id=a", 1000));
    }
}
