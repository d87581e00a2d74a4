//! Issuing side: an RS256 signing key, its JWKS entry, and token minting.
//!
//! Used by the local Cognito stand-in and by tests; not by the Lambdas
//! (behind the `signing` feature).
//!
//! It uses nothing else of the crate; `testing`, the local stack and the tests use it.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use serde_json::{Value, json};

/// Why a key could not be made, loaded or used.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// The PEM text or its key could not be read.
    #[error("cannot read the RSA private key: {0}")]
    BadKey(String),
    /// Signing failed.
    #[error("cannot sign the token: {0}")]
    Sign(String),
}

/// An RSA private key with its `kid`, able to mint RS256 tokens.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    pkcs8_der: Vec<u8>,
    n: Vec<u8>,
    e: Vec<u8>,
    encoding: EncodingKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh 2048-bit key.
    ///
    /// # Errors
    /// When the system cannot generate a key.
    pub fn generate(kid: &str) -> Result<Self, SigningError> {
        Self::generate_with_size(kid, KeySize::Rsa2048)
    }

    /// A fresh key of the given size.
    ///
    /// # Errors
    /// When the system cannot generate a key.
    pub fn generate_with_size(kid: &str, size: KeySize) -> Result<Self, SigningError> {
        let pair = KeyPair::generate(size).map_err(|e| SigningError::BadKey(e.to_string()))?;
        let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair)
            .map_err(|e| SigningError::BadKey(e.to_string()))?;
        Self::from_pkcs8_der(kid, der.as_ref())
    }

    /// Loads a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    ///
    /// # Errors
    /// When the text is not a PKCS#8 RSA private key.
    pub fn from_pkcs8_pem(kid: &str, text: &str) -> Result<Self, SigningError> {
        let pem = pem::parse(text).map_err(|e| SigningError::BadKey(e.to_string()))?;
        Self::from_pkcs8_der(kid, pem.contents())
    }

    fn from_pkcs8_der(kid: &str, der: &[u8]) -> Result<Self, SigningError> {
        let pair = KeyPair::from_pkcs8(der).map_err(|e| SigningError::BadKey(e.to_string()))?;
        let public = pair.public_key();
        let n = public.modulus().big_endian_without_leading_zero().to_vec();
        let e = public.exponent().big_endian_without_leading_zero().to_vec();
        let encoding = EncodingKey::from_rsa_pem(pkcs8_pem(der).as_bytes())
            .map_err(|e| SigningError::BadKey(e.to_string()))?;
        Ok(Self { kid: kid.to_owned(), pkcs8_der: der.to_vec(), n, e, encoding })
    }

    /// The same key under another `kid`.
    #[must_use]
    pub fn with_kid(mut self, kid: &str) -> Self {
        kid.clone_into(&mut self.kid);
        self
    }

    /// The key as PKCS#8 PEM, to save and load again.
    pub fn to_pkcs8_pem(&self) -> String {
        pkcs8_pem(&self.pkcs8_der)
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The big-endian modulus.
    pub fn modulus(&self) -> &[u8] {
        &self.n
    }

    /// The big-endian public exponent.
    pub fn exponent(&self) -> &[u8] {
        &self.e
    }

    /// The public key as a JWK, as Cognito publishes it.
    pub fn jwk(&self) -> Value {
        json!({
            "alg": "RS256",
            "e": URL_SAFE_NO_PAD.encode(&self.e),
            "kid": self.kid,
            "kty": "RSA",
            "n": URL_SAFE_NO_PAD.encode(&self.n),
            "use": "sig",
        })
    }

    /// A JWKS document holding this key.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.jwk()] })
    }

    /// Signs `claims` as an RS256 JWT with this key's `kid`.
    ///
    /// # Errors
    /// When the claims cannot be serialized or signing fails.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, SigningError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| SigningError::Sign(e.to_string()))
    }

    /// Signs any header and claims as RS256, exactly as given (for tests of hostile headers).
    ///
    /// # Errors
    /// When signing fails.
    pub fn sign_raw(&self, header: &Value, claims: &Value) -> Result<String, SigningError> {
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = jsonwebtoken::crypto::sign(signed.as_bytes(), &self.encoding, Algorithm::RS256)
            .map_err(|e| SigningError::Sign(e.to_string()))?;
        Ok(format!("{signed}.{sig}"))
    }
}

fn pkcs8_pem(der: &[u8]) -> String {
    pem::encode(&pem::Pem::new("PRIVATE KEY", der))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trip_keeps_the_key() -> Result<(), SigningError> {
        let key = SigningKey::generate("k1")?;
        let again = SigningKey::from_pkcs8_pem("k1", &key.to_pkcs8_pem())?;
        assert_eq!(key.modulus(), again.modulus());
        assert_eq!(key.modulus().len(), 256);
        assert!(
            SigningKey::from_pkcs8_pem(
                "k",
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
            )
            .is_err()
        );
        Ok(())
    }
}
