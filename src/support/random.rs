//! Unguessable identifiers: codes, refresh tokens, token ids.
//!
//! It uses nothing else of the crate; it is used by `cognito::issuer`, `cognito::keys`,
//! `cognito::login`, `cognito::users`, `stack`.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// `n` random bytes, base64url-encoded; `None` if the system RNG fails (never a guessable value).
#[must_use]
pub fn token(n: usize) -> Option<String> {
    let mut bytes = vec![0u8; n];
    SystemRandom::new().fill(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

/// A random version-4 UUID.
#[must_use]
pub fn uuid() -> String {
    let mut bytes = [0u8; 16];
    let _ = SystemRandom::new().fill(&mut bytes);
    uuid_from(&bytes)
}

/// Formats the first 16 bytes of `bytes` as a version-4 UUID.
#[must_use]
pub fn uuid_from(bytes: &[u8]) -> String {
    let mut b = [0u8; 16];
    for (dst, src) in b.iter_mut().zip(bytes) {
        *dst = *src;
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}
