//! The verifier on any token string, against the fixed JWKS.
//!
//! Beyond "no panic": three verifications of one token agree (the verified-token
//! cache never changes an answer), and a token verifies only if this process
//! signed it, with claims that pass every rule.
#![no_main]

use claimsgate_fuzz::{CLIENT, ISS, NOW, world};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let w = world();
    let input = String::from_utf8_lossy(data);
    let token = w.expand(&input);
    let verifier = w.verifier();
    let answers: Vec<_> =
        (0..3).map(|_| w.block_on(verifier.verify(&token.text)).map(|t| (*t).clone())).collect();
    assert!(
        answers.windows(2).all(|pair| pair[0] == pair[1]),
        "the answer changed between verifications: {answers:?}"
    );
    if let Ok(verified) = &answers[0] {
        assert!(token.ours, "a token this process never signed verified");
        let claims = &verified.claims;
        assert_eq!(claims.iss(), Some(ISS));
        assert_eq!(claims.app_client_id(), Some(CLIENT));
        assert!(claims.exp().is_some_and(|exp| exp > NOW));
        assert!(claims.iat().is_some_and(|iat| iat <= NOW));
        assert_eq!(verified.header.alg, "RS256");
    }
});
