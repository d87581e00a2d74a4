//! JWKS documents: any body a key server could send.
#![no_main]

use claimsgate_core::jwk::{KeySet, MIN_RSA_BITS};
use claimsgate_fuzz::world;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let expanded;
    let body = if data.windows(2).any(|w| w == b"{{") {
        expanded = world().expand(&String::from_utf8_lossy(data)).text.into_owned();
        expanded.as_bytes()
    } else {
        data
    };
    if let Ok(set) = KeySet::parse(body) {
        assert!(!set.is_empty(), "a parsed set holds a key");
        for kid in set.kids() {
            let key = set.get(kid);
            assert!(key.is_some_and(|k| k.kid() == kid && k.bits() >= MIN_RSA_BITS));
        }
    }
});
