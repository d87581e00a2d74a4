//! JWKS documents: parsed once into RS256 keys ready for verification.
//!
//! Parsing is lenient per key and strict per document: a key that is not an
//! RSA signing key for RS256 of at least 2048 bits is skipped with a log line,
//! and the rest of the set is still used.
//!
//! It uses `error`; it is used by `jwks`, `snapshot`, `verify`.

use std::collections::HashMap;
use std::sync::Arc;

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::Value;

use crate::error::FetchError;

/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;

/// An RS256 public key, parsed once for verification.
#[derive(Clone)]
pub struct VerifyingKey {
    kid: String,
    bits: usize,
    key: ParsedPublicKey,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("bits", &self.bits)
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// Builds a key from the big-endian modulus and exponent.
    ///
    /// # Errors
    /// A reason when the modulus is under [`MIN_RSA_BITS`] or the pair is not an RSA key.
    pub fn from_components(kid: &str, n: &[u8], e: &[u8]) -> Result<Self, &'static str> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let bits = bit_len(n);
        if bits < MIN_RSA_BITS {
            return Err("RSA modulus is shorter than 2048 bits");
        }
        let key = RsaPublicKeyComponents { n, e }
            .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
            .map_err(|_| "n and e do not form an RSA public key")?;
        Ok(Self { kid: kid.to_owned(), bits, key })
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The modulus length in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// True when `signature` is a valid RS256 (RSASSA-PKCS1-v1_5, SHA-256) signature of `message`.
    #[must_use]
    pub fn verify_rs256(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key.verify_sig(message, signature).is_ok()
    }
}

/// The usable keys of one JWKS document, by `kid`.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: HashMap<String, Arc<VerifyingKey>>,
}

impl KeySet {
    /// Parses a JWKS document, skipping (and logging) every unusable key.
    ///
    /// # Errors
    /// [`FetchError::NotJwks`] when the body is not `{"keys": [...]}`, and
    /// [`FetchError::NoUsableKeys`] when no key survives.
    pub fn parse(body: &[u8]) -> Result<Self, FetchError> {
        #[derive(Deserialize)]
        struct Doc {
            keys: Vec<Value>,
        }
        let doc: Doc =
            serde_json::from_slice(body).map_err(|e| FetchError::NotJwks(e.to_string()))?;
        let mut keys = HashMap::with_capacity(doc.keys.len());
        for jwk in &doc.keys {
            match parse_jwk(jwk) {
                Ok(key) => {
                    if keys.contains_key(key.kid()) {
                        tracing::warn!(kid = key.kid(), "duplicate kid in JWKS; keeping the first");
                        continue;
                    }
                    keys.insert(key.kid().to_owned(), Arc::new(key));
                }
                Err(reason) => {
                    let kid = jwk.get("kid").and_then(Value::as_str).unwrap_or("");
                    tracing::warn!(kid, reason, "skipping unusable JWK");
                }
            }
        }
        if keys.is_empty() {
            return Err(FetchError::NoUsableKeys);
        }
        Ok(Self { keys })
    }

    /// The key with this `kid`.
    pub fn get(&self, kid: &str) -> Option<&Arc<VerifyingKey>> {
        self.keys.get(kid)
    }

    /// How many usable keys the set holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when the set holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key ids in the set.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }
}

fn parse_jwk(jwk: &Value) -> Result<VerifyingKey, &'static str> {
    let field = |name: &str| jwk.get(name);
    let kid = match field("kid") {
        Some(Value::String(k)) if !k.is_empty() => k.as_str(),
        _ => return Err("no kid"),
    };
    if field("kty").and_then(Value::as_str) != Some("RSA") {
        return Err("kty is not RSA");
    }
    match field("use") {
        None => {}
        Some(Value::String(u)) if u == "sig" => {}
        Some(_) => return Err("use is not sig"),
    }
    match field("alg") {
        None => {}
        Some(Value::String(a)) if a == "RS256" => {}
        Some(_) => return Err("alg is not RS256"),
    }
    let decode = |name: &str| -> Result<Vec<u8>, &'static str> {
        let text = field(name).and_then(Value::as_str).ok_or("n or e missing")?;
        URL_SAFE_NO_PAD.decode(text).map_err(|_| "n or e is not base64url")
    };
    let n = decode("n")?;
    let e = decode("e")?;
    VerifyingKey::from_components(kid, &n, &e)
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

fn bit_len(be: &[u8]) -> usize {
    match be.first() {
        None => 0,
        Some(top) => (be.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_length_counts_from_the_top_bit() {
        assert_eq!(bit_len(&[]), 0);
        assert_eq!(bit_len(&[1]), 1);
        assert_eq!(bit_len(&[0x80, 0]), 16);
        assert_eq!(bit_len(strip_leading_zeros(&[0, 0, 0x7f])), 7);
    }

    #[test]
    fn not_a_jwks_is_an_error_not_a_panic() {
        for body in [&b""[..], b"<html>", b"{}", b"{\"keys\": 3}", b"[]", b"\xff\xfe"] {
            assert!(matches!(KeySet::parse(body), Err(FetchError::NotJwks(_))));
        }
        assert_eq!(KeySet::parse(br#"{"keys": []}"#).err(), Some(FetchError::NoUsableKeys));
    }

    /// `edit` applied to the JWK of a valid 2048-bit RS256 signing key named `kid`.
    fn jwk(kid: &str, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
        let mut jwk = crate::testing::test_key(0, kid).jwk();
        if let Some(members) = jwk.as_object_mut() {
            edit(members);
        }
        jwk
    }

    fn set(name: &str, value: Value) -> impl FnOnce(&mut serde_json::Map<String, Value>) {
        move |m| {
            m.insert(name.to_owned(), value);
        }
    }

    fn unset(name: &str) -> impl FnOnce(&mut serde_json::Map<String, Value>) {
        move |m| {
            m.remove(name);
        }
    }

    #[test]
    fn unusable_keys_are_skipped() {
        use serde_json::json;
        let n = |edit: fn(&mut Vec<u8>)| {
            let mut n = crate::testing::test_key(0, "").modulus().to_vec();
            edit(&mut n);
            json!(URL_SAFE_NO_PAD.encode(n))
        };
        // Each key breaks one rule and is otherwise a valid 2048-bit RS256 signing key,
        // so only that rule can refuse it; the reason is what the log line says.
        let refused = [
            (jwk("ec", set("kty", json!("EC"))), "kty is not RSA"),
            (jwk("oct", set("kty", json!("oct"))), "kty is not RSA"),
            (jwk("no-kty", unset("kty")), "kty is not RSA"),
            (jwk("enc", set("use", json!("enc"))), "use is not sig"),
            (jwk("use-list", set("use", json!(["sig"]))), "use is not sig"),
            (jwk("ps256", set("alg", json!("PS256"))), "alg is not RS256"),
            (jwk("rs512", set("alg", json!("RS512"))), "alg is not RS256"),
            (jwk("alg-none", set("alg", json!("none"))), "alg is not RS256"),
            (jwk("lowercase-alg", set("alg", json!("rs256"))), "alg is not RS256"),
            (jwk("1024-bit", set("n", n(|n| n.truncate(128)))), "shorter than 2048 bits"),
            (jwk("2047-bit", set("n", n(|n| n[0] = 0x7f))), "shorter than 2048 bits"),
            (jwk("no-n", unset("n")), "n or e missing"),
            (jwk("no-e", unset("e")), "n or e missing"),
            (jwk("padded-n", set("n", json!("AQAB=="))), "not base64url"),
            (jwk("exponent-0", set("e", json!("AA"))), "do not form an RSA public key"),
            (jwk("", |_| {}), "no kid"),
            (jwk("x", unset("kid")), "no kid"),
            (jwk("x", set("kid", json!(7))), "no kid"),
        ];
        for (key, reason) in &refused {
            match parse_jwk(key) {
                Err(why) => assert!(why.contains(reason), "{}: {why}, not {reason}", key["kid"]),
                Ok(_) => panic!("{} was kept; {reason} should refuse it", key["kid"]),
            }
        }
        // Controls: `use` and `alg` are optional, and a modulus may carry a leading zero byte.
        let kept = [
            jwk("full", |_| {}),
            jwk("no-use", unset("use")),
            jwk("no-alg", unset("alg")),
            jwk("bare", |m| m.retain(|k, _| ["kid", "kty", "n", "e"].contains(&k.as_str()))),
            jwk("leading-zero", set("n", n(|n| n.insert(0, 0)))),
        ];
        let mut doc: Vec<Value> = refused.into_iter().map(|(key, _)| key).collect();
        doc.extend(kept.iter().cloned());
        doc.push(json!("not an object"));
        // A second key under a kept kid does not replace the first.
        doc.push(crate::testing::test_key(1, "full").jwk());
        let body = serde_json::to_vec(&json!({ "keys": doc })).unwrap_or_default();
        let set = KeySet::parse(&body).unwrap_or_else(|e| panic!("{e}"));
        let mut kids: Vec<&str> = set.kids().collect();
        kids.sort_unstable();
        assert_eq!(kids, ["bare", "full", "leading-zero", "no-alg", "no-use"]);
        assert_eq!((set.len(), set.is_empty()), (5, false));
        assert!(set.get("leading-zero").is_some_and(|k| k.bits() == 2048));
        let token = crate::testing::test_key(0, "full").sign(&json!({"sub": "s"}));
        let token = token.unwrap_or_else(|e| panic!("{e}"));
        let (signed, signature) = token.rsplit_once('.').unwrap_or_default();
        let signature = URL_SAFE_NO_PAD.decode(signature).unwrap_or_default();
        assert!(
            set.get("full").is_some_and(|k| k.verify_rs256(signed.as_bytes(), &signature)),
            "the first key under a kid is the one kept"
        );
    }

    #[test]
    fn a_key_is_shown_by_its_kid_and_size() {
        let body = serde_json::to_vec(&serde_json::json!({ "keys": [jwk("k-debug", |_| {})] }))
            .unwrap_or_default();
        let set = KeySet::parse(&body).unwrap_or_else(|e| panic!("{e}"));
        let shown = format!("{:?}", set.get("k-debug"));
        assert!(shown.contains("kid: \"k-debug\"") && shown.contains("bits: 2048"), "{shown}");
    }
}
