//! The verifier against a real JWKS server on 127.0.0.1: claim rules, hostile
//! headers, the JWKS cache's fetch discipline and its failure modes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use claimsgate_core::signing::SigningKey;
use claimsgate_core::testing::{ManualClock, eventually, test_key};
use claimsgate_core::{
    FetchError, FetchLimits, Fetcher as _, HttpFetcher, TokenUse, TokenUsePolicy,
};
use common::*;
use serde_json::{Value, json};

struct Fixture {
    server: JwksServer,
    pool: Pool,
    key: SigningKey,
    clock: Arc<ManualClock>,
}

async fn fixture() -> Fixture {
    let server = JwksServer::start().await;
    let pool = Pool::new(&server, "us-east-1_Pool1");
    let key = test_key(0, "key-1");
    server.set(&pool.jwks_path, Mode::Serve(jwks_of(&[&key])));
    Fixture { server, pool, key, clock: Arc::new(ManualClock::at_secs(START)) }
}

impl Fixture {
    fn now(&self) -> u64 {
        use claimsgate_core::Clock;
        self.clock.now_secs()
    }
    fn id_token(&self) -> String {
        self.key.sign(&id_claims(&self.pool.iss, self.now())).unwrap()
    }
    fn with_claims(&self, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
        let mut claims = id_claims(&self.pool.iss, self.now());
        edit(claims.as_object_mut().unwrap());
        self.key.sign(&claims).unwrap()
    }
    fn hits(&self) -> usize {
        self.server.hits(&self.pool.jwks_path)
    }
}

#[tokio::test]
async fn valid_id_and_access_tokens_verify_with_their_claims() {
    let f = fixture().await;
    let v = verifier(&config(&[&f.pool], TokenUsePolicy::Any), &f.clock);
    let id = v.verify(&f.id_token()).await.unwrap();
    assert_eq!(id.token_use, TokenUse::Id);
    assert_eq!(&*id.header.kid, "key-1");
    assert_eq!(id.claims.pet_preference(), Some("dogs"));
    assert_eq!(id.claims.username(), Some("test-user"));
    let access = f.key.sign(&access_claims(&f.pool.iss, f.now())).unwrap();
    let access = v.verify(&access).await.unwrap();
    assert_eq!(access.token_use, TokenUse::Access);
    assert_eq!(access.claims.scope(), Some("openid email"));
    assert_eq!(f.hits(), 1, "both verifications share one JWKS fetch");
}

#[tokio::test]
async fn each_claim_rule_has_its_code() {
    let f = fixture().await;
    let v = verifier(&config(&[&f.pool], TokenUsePolicy::Any), &f.clock);
    let now = f.now();
    type Edit = Box<dyn FnOnce(&mut serde_json::Map<String, Value>)>;
    let cases: Vec<(&str, Edit)> = vec![
        ("ok", Box::new(|_| {})),
        (
            "token_expired",
            Box::new(move |c| {
                c.insert("exp".into(), json!(now - 1));
            }),
        ),
        (
            "token_expired",
            Box::new(move |c| {
                c.insert("exp".into(), json!(now));
            }),
        ),
        (
            "missing_claim",
            Box::new(|c| {
                c.remove("exp");
            }),
        ),
        (
            "missing_claim",
            Box::new(|c| {
                c.remove("iat");
            }),
        ),
        (
            "token_issued_in_future",
            Box::new(move |c| {
                c.insert("iat".into(), json!(now + 60));
            }),
        ),
        (
            "token_not_yet_valid",
            Box::new(move |c| {
                c.insert("nbf".into(), json!(now + 60));
            }),
        ),
        (
            "ok",
            Box::new(move |c| {
                c.insert("nbf".into(), json!(now));
            }),
        ),
        (
            "invalid_claim",
            Box::new(move |c| {
                c.insert("exp".into(), json!((now + 60).to_string()));
            }),
        ),
        (
            "invalid_claim",
            Box::new(|c| {
                c.insert("iat".into(), json!(true));
            }),
        ),
        (
            "invalid_claim",
            Box::new(|c| {
                c.insert("nbf".into(), json!({"t": 1}));
            }),
        ),
        (
            "invalid_claim",
            Box::new(|c| {
                c.insert("exp".into(), Value::Null);
            }),
        ),
        (
            "invalid_issuer",
            Box::new(|c| {
                c.insert("iss".into(), json!("https://evil.example/us-east-1_Pool1"));
            }),
        ),
        (
            "missing_claim",
            Box::new(|c| {
                c.remove("iss");
            }),
        ),
        (
            "invalid_claim",
            Box::new(|c| {
                c.insert("iss".into(), json!(["x"]));
            }),
        ),
        (
            "invalid_audience",
            Box::new(|c| {
                c.insert("aud".into(), json!("other-client"));
            }),
        ),
        (
            "invalid_audience",
            Box::new(|c| {
                c.remove("aud");
            }),
        ),
        (
            "invalid_token_use",
            Box::new(|c| {
                c.insert("token_use".into(), json!("refresh"));
            }),
        ),
        (
            "invalid_token_use",
            Box::new(|c| {
                c.remove("token_use");
            }),
        ),
        (
            "invalid_client_id",
            Box::new(|c| {
                c.insert("token_use".into(), json!("access"));
            }),
        ),
    ];
    for (i, (want, edit)) in cases.into_iter().enumerate() {
        let token = f.with_claims(edit);
        assert_eq!(code(v.verify(&token).await), want, "case {i}");
    }
}

#[tokio::test]
async fn leeway_tolerates_small_skew_only() {
    let f = fixture().await;
    let mut cfg = config(&[&f.pool], TokenUsePolicy::Any);
    cfg.leeway = Duration::from_secs(30);
    let v = verifier(&cfg, &f.clock);
    let now = f.now();
    let skewed = f.with_claims(|c| {
        c.insert("iat".into(), json!(now + 20));
    });
    assert_eq!(code(v.verify(&skewed).await), "ok");
    let far = f.with_claims(|c| {
        c.insert("iat".into(), json!(now + 40));
    });
    assert_eq!(code(v.verify(&far).await), "token_issued_in_future");
}

#[tokio::test]
async fn token_use_policy_is_enforced_both_ways() {
    let f = fixture().await;
    let id = f.id_token();
    let access = f.key.sign(&access_claims(&f.pool.iss, f.now())).unwrap();
    let only_access = verifier(&config(&[&f.pool], TokenUsePolicy::Access), &f.clock);
    assert_eq!(code(only_access.verify(&id).await), "invalid_token_use");
    assert_eq!(code(only_access.verify(&access).await), "ok");
    let only_id = verifier(&config(&[&f.pool], TokenUsePolicy::Id), &f.clock);
    assert_eq!(code(only_id.verify(&access).await), "invalid_token_use");
    assert_eq!(code(only_id.verify(&id).await), "ok");
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

#[tokio::test]
async fn hostile_algorithms_are_refused() {
    let f = fixture().await;
    let v = verifier(&config(&[&f.pool], TokenUsePolicy::Any), &f.clock);
    let claims = id_claims(&f.pool.iss, f.now());

    // alg none, with and without a signature segment.
    let none = format!("{}.{}", b64(&json!({"alg": "none", "kid": "key-1"})), b64(&claims));
    assert_eq!(code(v.verify(&format!("{none}.")).await), "malformed_token");
    assert_eq!(code(v.verify(&format!("{none}.c2ln")).await), "alg_not_allowed");

    // HS256 keyed with the RSA public key as published (the classic confusion attack).
    for secret in [f.key.jwk().to_string().into_bytes(), f.key.modulus().to_vec()] {
        let signed = format!("{}.{}", b64(&json!({"alg": "HS256", "kid": "key-1"})), b64(&claims));
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &secret), signed.as_bytes());
        let token = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()));
        assert_eq!(code(v.verify(&token).await), "alg_not_allowed");
    }

    // Real RSA signatures with other algorithms, same key.
    let pem = f.key.to_pkcs8_pem();
    let enc = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    for alg in [jsonwebtoken::Algorithm::RS512, jsonwebtoken::Algorithm::PS256] {
        let mut h = jsonwebtoken::Header::new(alg);
        h.kid = Some("key-1".into());
        let token = jsonwebtoken::encode(&h, &claims, &enc).unwrap();
        assert_eq!(code(v.verify(&token).await), "alg_not_allowed", "{alg:?}");
    }
    // A header claiming RS256 over an RS512 signature fails the signature check.
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS512);
    h.kid = Some("key-1".into());
    let rs512 = jsonwebtoken::encode(&h, &claims, &enc).unwrap();
    let sig = rs512.rsplit('.').next().unwrap();
    let relabelled = format!("{}.{}.{sig}", b64(&header("key-1")), b64(&claims));
    assert_eq!(code(v.verify(&relabelled).await), "invalid_signature");
}

#[tokio::test]
async fn kid_must_be_a_present_string() {
    let f = fixture().await;
    let v = verifier(&config(&[&f.pool], TokenUsePolicy::Any), &f.clock);
    let claims = id_claims(&f.pool.iss, f.now());
    for h in [
        json!({"alg": "RS256"}),
        json!({"alg": "RS256", "kid": 1}),
        json!({"alg": "RS256", "kid": null}),
    ] {
        let token = f.key.sign_raw(&h, &claims).unwrap();
        assert_eq!(code(v.verify(&token).await), "missing_kid", "{h}");
    }
    assert_eq!(f.hits(), 0, "nothing is fetched for a token without a kid");
}

#[tokio::test]
async fn crit_is_refused_and_key_urls_in_the_header_are_never_fetched() {
    let f = fixture().await;
    let v = verifier(&config(&[&f.pool], TokenUsePolicy::Any), &f.clock);
    let claims = id_claims(&f.pool.iss, f.now());
    let crit = f
        .key
        .sign_raw(&json!({"alg": "RS256", "kid": "key-1", "crit": ["b64"], "b64": false}), &claims)
        .unwrap();
    assert_eq!(code(v.verify(&crit).await), "crit_not_supported");

    let evil = |p: &str| format!("{}/evil/{p}", f.server.base);
    let h = json!({
        "alg": "RS256", "kid": "key-1",
        "jku": evil("jku.json"), "x5u": evil("x5u.pem"),
        "jwk": {"kty": "RSA", "n": "AQAB", "e": "AQAB"}, "x5c": ["AAAA"],
    });
    let token = f.key.sign_raw(&h, &claims).unwrap();
    assert_eq!(code(v.verify(&token).await), "ok");
    assert_eq!(
        f.server.paths(),
        vec![f.pool.jwks_path.clone()],
        "only the configured JWKS is fetched"
    );
}

#[tokio::test]
async fn malformed_tokens_are_refused_without_panicking() {
    let f = fixture().await;
    let v = verifier(&config(&[&f.pool], TokenUsePolicy::Any), &f.clock);
    let good = f.id_token();
    let parts: Vec<&str> = good.split('.').collect();
    let cases = [
        (String::new(), "malformed_token"),
        (format!("{}.{}", parts[0], parts[1]), "malformed_token"),
        (format!("{good}.{}", parts[2]), "malformed_token"),
        (format!("{}.{}.{}", parts[0], "%%%", parts[2]), "malformed_token"),
        (format!("{}.{}.{}", "!!", parts[1], parts[2]), "malformed_token"),
        (format!("{}.{}.{}", parts[0], parts[1], "*not-b64*"), "malformed_token"),
        (format!("{}.{}.{}", b64(&json!([1])), parts[1], parts[2]), "malformed_token"),
        (
            format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode("null"), parts[2]),
            "malformed_token",
        ),
        ("a".repeat(1024 * 1024), "token_too_large"),
        (format!("{}.{}.{}", parts[0], parts[1], "AAAA"), "invalid_signature"),
        ("é.ü.ß".to_owned(), "malformed_token"),
    ];
    for (token, want) in cases {
        assert_eq!(code(v.verify(&token).await), want, "{}", &token[..token.len().min(40)]);
    }
}

#[tokio::test]
async fn an_unknown_kid_refetches_at_once_then_waits_out_the_penalty() {
    let f = fixture().await;
    let v = verifier(&config(&[&f.pool], TokenUsePolicy::Any), &f.clock);
    assert_eq!(code(v.verify(&f.id_token()).await), "ok");
    assert_eq!(f.hits(), 1);
    let stranger = test_key(1, "ghost");
    let early = stranger.sign(&id_claims(&f.pool.iss, f.now())).unwrap();
    assert_eq!(code(v.verify(&early).await), "unknown_kid");
    assert_eq!(f.hits(), 2, "a kid missing right after a fetch is fetched for at once");
    for i in 0..50 {
        let token = stranger.sign(&id_claims(&f.pool.iss, f.now())).unwrap();
        assert_eq!(code(v.verify(&token).await), "unknown_kid", "attempt {i}");
    }
    assert_eq!(f.hits(), 2, "the fetch that lacked the kid holds off the next ones");

    f.clock.advance(Duration::from_secs(11));
    for i in 0..50 {
        let token = stranger.sign(&id_claims(&f.pool.iss, f.now())).unwrap();
        assert_eq!(code(v.verify(&token).await), "unknown_kid", "attempt {i}");
    }
    assert_eq!(f.hits(), 3, "fifty unknown kids past the penalty cost one refetch");

    f.clock.advance(Duration::from_secs(11));
    let token = stranger.sign(&id_claims(&f.pool.iss, f.now())).unwrap();
    assert_eq!(code(v.verify(&token).await), "unknown_kid");
    assert_eq!(f.hits(), 4, "after the penalty interval one more refetch is allowed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_cold_verifications_share_one_fetch() {
    let f = fixture().await;
    f.server.set(&f.pool.jwks_path, Mode::Slow(Duration::from_millis(100), jwks_of(&[&f.key])));
    let v = Arc::new(verifier(&config(&[&f.pool], TokenUsePolicy::Any), &f.clock));
    let tokens: Vec<String> = (0..100).map(|_| f.id_token()).collect();
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|t| {
            let v = Arc::clone(&v);
            tokio::spawn(async move { v.verify(&t).await.map(|_| ()) })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), Ok(()));
    }
    assert_eq!(f.hits(), 1);
}

#[tokio::test]
async fn rotated_key_is_picked_up_after_the_ttl_or_on_a_new_kid() {
    let f = fixture().await;
    let v = verifier(&config(&[&f.pool], TokenUsePolicy::Any), &f.clock);
    assert_eq!(code(v.verify(&f.id_token()).await), "ok");

    let next = test_key(1, "key-2");
    f.server.set(&f.pool.jwks_path, Mode::Serve(jwks_of(&[&f.key, &next])));
    f.clock.advance(Duration::from_secs(3601));
    let rotated = next.sign(&id_claims(&f.pool.iss, f.now())).unwrap();
    assert_eq!(code(v.verify(&rotated).await), "ok");
    assert_eq!(f.hits(), 2, "the expired set was refreshed once");

    // A third key published mid-TTL is found by the unknown-kid refetch.
    let third = test_key(2, "key-3");
    f.server.set(&f.pool.jwks_path, Mode::Serve(jwks_of(&[&next, &third])));
    f.clock.advance(Duration::from_secs(60));
    let token = third.sign(&id_claims(&f.pool.iss, f.now())).unwrap();
    assert_eq!(code(v.verify(&token).await), "ok");
    assert_eq!(f.hits(), 3);
    // The removed key-1 no longer verifies once the set is refreshed without it.
    assert_eq!(code(v.verify(&f.id_token()).await), "unknown_kid");
}

#[tokio::test]
async fn a_failing_jwks_serves_the_stale_set_for_known_kids_only() {
    for name in ["down", "slow", "500", "past the body cap", "redirect", "html", "empty key list"] {
        let f = fixture().await;
        // Each valid but for the fault (the set holds the kid asked for, `ghost`): only a
        // fetch limit can refuse the slow, the 500, the oversized and the redirected ones.
        let valid = jwks_of(&[&f.key, &test_key(1, "ghost")]);
        f.server.set("/keys.json", Mode::Serve(valid.clone()));
        let mode = match name {
            "slow" => Some(Mode::Slow(Duration::from_secs(2), valid)),
            "500" => Some(Mode::Status(500, valid)),
            "past the body cap" => {
                Some(Mode::Serve(padded(&valid, test_limits().max_body_bytes + 1)))
            }
            "redirect" => Some(Mode::Redirect(format!("{}/keys.json", f.server.base))),
            "html" => Some(Mode::Html),
            "empty key list" => Some(Mode::Serve(br#"{"keys": []}"#.to_vec())),
            _ => None,
        };
        let v = verifier(&config(&[&f.pool], TokenUsePolicy::Any), &f.clock);
        assert_eq!(code(v.verify(&f.id_token()).await), "ok", "{name}: priming");
        match mode {
            Some(mode) => f.server.set(&f.pool.jwks_path, mode),
            None => f.server.stop().await,
        }
        f.clock.advance(Duration::from_secs(3601));
        assert_eq!(
            code(v.verify(&f.id_token()).await),
            "ok",
            "{name}: known kid from the stale set"
        );
        let stranger = test_key(1, "ghost");
        let token = stranger.sign(&id_claims(&f.pool.iss, f.now())).unwrap();
        assert_eq!(code(v.verify(&token).await), "jwks_unavailable", "{name}: unknown kid");
        if name != "down" {
            assert_eq!(f.hits(), 2, "{name}: one failed refresh, then the penalty holds");
            assert_eq!(f.server.hits("/keys.json"), 0, "{name}: a redirect is never followed");
        }

        // Past the stale limit even known kids fail, and nothing is served from the old set.
        f.clock.advance(Duration::from_secs(86_400));
        assert_eq!(code(v.verify(&f.id_token()).await), "jwks_unavailable", "{name}: too stale");
    }
}

/// The production fetcher alone, with `limits`, on `uri`.
async fn fetch(uri: &str, limits: FetchLimits) -> Result<Vec<u8>, FetchError> {
    HttpFetcher::new(limits).fetch(uri).await
}

#[tokio::test]
async fn only_a_200_is_a_key_set_and_a_redirect_is_not_followed() {
    let f = fixture().await;
    let valid = jwks_of(&[&f.key]);
    assert_eq!(fetch(&f.pool.jwks_uri, test_limits()).await, Ok(valid.clone()), "the control");
    for status in [500, 503, 404, 201, 203] {
        f.server.set(&f.pool.jwks_path, Mode::Status(status, valid.clone()));
        let got = fetch(&f.pool.jwks_uri, test_limits()).await;
        assert_eq!(got, Err(FetchError::Status(status)), "a valid key set under {status}");
    }
    f.server.set("/elsewhere/jwks.json", Mode::Serve(valid));
    let elsewhere = format!("{}/elsewhere/jwks.json", f.server.base);
    f.server.set(&f.pool.jwks_path, Mode::Redirect(elsewhere));
    assert_eq!(fetch(&f.pool.jwks_uri, test_limits()).await, Err(FetchError::Status(302)));
    assert_eq!(f.server.hits("/elsewhere/jwks.json"), 0, "the redirect was followed");
}

#[tokio::test]
async fn a_key_set_past_the_body_cap_is_too_large_announced_or_not() {
    let f = fixture().await;
    let valid = jwks_of(&[&f.key]);
    let cap = FetchLimits::default().max_body_bytes;
    assert_eq!(cap, 64 * 1024);
    let limits = FetchLimits { max_body_bytes: cap, ..test_limits() };
    // With a Content-Length: exactly the cap passes (and parses), one byte more does not.
    f.server.set(&f.pool.jwks_path, Mode::Serve(padded(&valid, cap)));
    let body = fetch(&f.pool.jwks_uri, limits).await.unwrap();
    assert!(claimsgate_core::jwk::KeySet::parse(&body).is_ok_and(|set| set.len() == 1));
    f.server.set(&f.pool.jwks_path, Mode::Serve(padded(&valid, cap + 1)));
    assert_eq!(fetch(&f.pool.jwks_uri, limits).await, Err(FetchError::TooLarge(cap)));
    // Chunked, its length never said: counted as it comes.
    for (len, want) in [(cap, Ok(padded(&valid, cap))), (cap + 1, Err(FetchError::TooLarge(cap)))] {
        let (head, chunks) = chunked(&padded(&valid, len), 4096);
        let script = std::iter::once(head).chain(chunks).map(|part| (Duration::ZERO, part));
        let uri = scripted(script.collect()).await;
        assert_eq!(fetch(&uri, limits).await, want, "{len} bytes, chunked");
    }
    // A length past the cap is refused from the head alone, before any of the body is read.
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        10 * 1024 * 1024
    );
    let uri = scripted(vec![
        (Duration::ZERO, head.into_bytes()),
        (Duration::ZERO, valid),
        (Duration::from_secs(5), b" ".to_vec()),
    ])
    .await;
    assert_eq!(fetch(&uri, limits).await, Err(FetchError::TooLarge(cap)), "10 MiB announced");
}

#[tokio::test]
async fn a_slow_key_set_is_cut_off_by_the_total_timeout() {
    let f = fixture().await;
    let valid = jwks_of(&[&f.key]);
    let limits = FetchLimits { total_timeout: Duration::from_millis(300), ..test_limits() };
    f.server.set(&f.pool.jwks_path, Mode::Slow(Duration::from_millis(20), valid.clone()));
    assert_eq!(fetch(&f.pool.jwks_uri, limits).await, Ok(valid.clone()), "the control");
    // No answer for 2 s; then the head at once and the body a chunk every 100 ms for 2 s.
    f.server.set(&f.pool.jwks_path, Mode::Slow(Duration::from_secs(2), valid.clone()));
    let (head, chunks) = chunked(&valid, valid.len().div_ceil(20));
    let drip = std::iter::once((Duration::ZERO, head))
        .chain(chunks.into_iter().map(|c| (Duration::from_millis(100), c)));
    let dripping = scripted(drip.collect()).await;
    for (name, uri) in [("no answer", f.pool.jwks_uri.clone()), ("a dripping body", dripping)] {
        let started = std::time::Instant::now();
        let got = fetch(&uri, limits).await;
        assert!(matches!(got, Err(FetchError::Transport(_))), "{name}: {got:?}");
        let took = started.elapsed();
        assert!(took < Duration::from_millis(1500), "{name}: gave up after {took:?}");
    }
}

#[tokio::test]
async fn a_connect_that_never_completes_is_cut_off_by_the_connect_timeout() {
    // A listener that never accepts, its queue filled: the kernel drops further SYNs,
    // so a connect neither completes nor fails. All on loopback.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    while let Ok(stream) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(50)) {
        queued.push(stream);
        assert!(queued.len() < 64, "the listen queue never filled");
    }
    let limits = FetchLimits {
        connect_timeout: Duration::from_millis(100),
        total_timeout: Duration::from_secs(5),
        ..test_limits()
    };
    let started = std::time::Instant::now();
    let got = fetch(&format!("http://{addr}/jwks.json"), limits).await;
    let took = started.elapsed();
    assert!(matches!(got, Err(FetchError::Transport(_))), "{got:?}");
    assert!(
        took < Duration::from_millis(2500),
        "gave up after {took:?}, not at the connect timeout"
    );
    drop((queued, listener));
}

#[tokio::test]
async fn a_jwks_that_never_loaded_fails_closed() {
    let f = fixture().await;
    f.server.set(&f.pool.jwks_path, Mode::Status(503, b"{}".to_vec()));
    let v = verifier(&config(&[&f.pool], TokenUsePolicy::Any), &f.clock);
    let failures = v.hydrate().await;
    assert_eq!(failures.len(), 1);
    assert_eq!(code(v.verify(&f.id_token()).await), "jwks_unavailable");
    assert_eq!(f.hits(), 1, "the failed hydrate counts toward the penalty");
    f.server.set(&f.pool.jwks_path, Mode::Serve(jwks_of(&[&f.key])));
    f.clock.advance(Duration::from_secs(10));
    assert_eq!(code(v.verify(&f.id_token()).await), "ok");
}

#[tokio::test]
async fn hydrate_prefetches_every_issuer() {
    let f = fixture().await;
    let second = Pool::new(&f.server, "eu-west-1_Pool2");
    f.server.set(&second.jwks_path, Mode::Serve(jwks_of(&[&f.key])));
    let v = verifier(&config(&[&f.pool, &second], TokenUsePolicy::Any), &f.clock);
    assert!(v.hydrate().await.is_empty());
    assert_eq!((f.hits(), f.server.hits(&second.jwks_path)), (1, 1));
    assert_eq!(code(v.verify(&f.id_token()).await), "ok");
    assert_eq!(f.hits(), 1, "no fetch after hydrate");
}

#[tokio::test]
async fn a_second_issuer_uses_its_own_keys() {
    let f = fixture().await;
    let second = Pool::new(&f.server, "eu-west-1_Pool2");
    let key2 = test_key(1, "pool2-key");
    f.server.set(&second.jwks_path, Mode::Serve(jwks_of(&[&key2])));
    let v = verifier(&config(&[&f.pool, &second], TokenUsePolicy::Any), &f.clock);

    let from_second = key2.sign(&id_claims(&second.iss, f.now())).unwrap();
    assert_eq!(code(v.verify(&from_second).await), "ok");
    assert_eq!(f.hits(), 0, "the first pool's JWKS was not needed");
    // Pool 2's key cannot vouch for a token claiming pool 1 as issuer.
    let forged = key2.sign(&id_claims(&f.pool.iss, f.now())).unwrap();
    assert_eq!(code(v.verify(&forged).await), "unknown_kid");
    // An issuer that is not configured is refused before any fetch.
    let third = Pool::new(&f.server, "ap-south-1_Pool3");
    let foreign = key2.sign(&id_claims(&third.iss, f.now())).unwrap();
    assert_eq!(code(v.verify(&foreign).await), "invalid_issuer");
    assert_eq!(f.server.hits(&third.jwks_path), 0);
}

#[tokio::test]
async fn cached_tokens_still_expire_and_tampering_misses_the_cache() {
    let f = fixture().await;
    let v = verifier(&config(&[&f.pool], TokenUsePolicy::Any), &f.clock);
    let token = f.id_token();
    assert_eq!(code(v.verify(&token).await), "ok");
    assert_eq!(code(v.verify(&token).await), "ok");

    // Flip one character in the middle of the signature.
    let mut tampered = token.clone().into_bytes();
    let at = tampered.len() - 20;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(code(v.verify(&tampered).await), "invalid_signature");

    f.clock.advance(Duration::from_secs(3600));
    assert_eq!(code(v.verify(&token).await), "token_expired");
}

#[tokio::test]
async fn a_cached_token_needs_no_fetch_but_stops_when_its_key_leaves_the_jwks() {
    let f = fixture().await;
    let v = verifier(&config(&[&f.pool], TokenUsePolicy::Any), &f.clock);
    let later = f.now() + 7200;
    let twice = f.with_claims(|c| {
        c.insert("exp".into(), json!(later));
    });
    // Admitted to the cache on its second verification, served from it on the third.
    for _ in 0..2 {
        assert_eq!(code(v.verify(&twice).await), "ok");
    }
    let (third, report) = v.verify_reported(&twice).await;
    assert_eq!(code(third), "ok");
    assert!(report.cache_hit, "the third verification is a cache hit");
    assert_eq!(f.hits(), 1);

    // key-1 leaves the JWKS; once the set is refreshed, even the cached token is refused.
    let next = test_key(1, "key-2");
    f.server.set(&f.pool.jwks_path, Mode::Serve(jwks_of(&[&next])));
    f.clock.advance(Duration::from_secs(3601));
    // Past its TTL the set still answers for its kids while it refreshes in the background...
    let (fourth, report) = v.verify_reported(&twice).await;
    assert_eq!(code(fourth), "ok");
    assert!(report.cache_hit);
    // ...and once the refresh is in, the removed key's token is refused, cached or not.
    let refused = eventually(|| async { code(v.verify(&twice).await) == "unknown_kid" }).await;
    assert!(refused, "the cached token kept passing after the refresh");
    let (_, report) = v.verify_reported(&twice).await;
    assert_eq!(report.jwks_age, Some(Duration::ZERO), "the set was just refreshed");
    assert_eq!(f.hits(), 3, "one background refresh, then one refetch for the kid it dropped");
}

#[tokio::test]
async fn every_key_of_a_large_set_verifies_and_spliced_headers_are_refused() {
    let f = fixture().await;
    let keys: Vec<SigningKey> = (0..4).map(|i| test_key(i, &format!("key-{i:02}"))).collect();
    let refs: Vec<&SigningKey> = keys.iter().collect();
    f.server.set(&f.pool.jwks_path, Mode::Serve(jwks_of(&refs)));
    let v = verifier(&config(&[&f.pool], TokenUsePolicy::Any), &f.clock);
    // Every key verifies its tokens, twice (the second time from the token cache).
    for _ in 0..2 {
        for key in &keys {
            let token = key.sign(&id_claims(&f.pool.iss, f.now())).unwrap();
            let verified = v.verify(&token).await.unwrap();
            assert_eq!(&*verified.header.kid, key.kid());
        }
    }
    // One key's header on a payload signed by another key is refused.
    let genuine = keys[0].sign(&id_claims(&f.pool.iss, f.now())).unwrap();
    let other = keys[1].sign(&id_claims(&f.pool.iss, f.now())).unwrap();
    let (header, _) = genuine.split_once('.').unwrap();
    let (_, rest) = other.split_once('.').unwrap();
    assert_eq!(code(v.verify(&format!("{header}.{rest}")).await), "invalid_signature");
}

#[tokio::test]
async fn a_snapshot_answers_without_a_fetch_until_it_ages_out() {
    let f = fixture().await;
    let dir = std::env::temp_dir().join(format!("claimsgate-snapshot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, taken_at: u64| {
        let path = dir.join(name);
        let jwks = String::from_utf8(jwks_of(&[&f.key])).unwrap();
        let doc =
            format!(r#"{{"taken_at": {taken_at}, "jwks": {{"{}": {jwks}}}}}"#, f.pool.jwks_uri);
        std::fs::write(&path, doc).unwrap();
        Some(path)
    };
    let with_snapshot = |snapshot| {
        let mut c = config(&[&f.pool], TokenUsePolicy::Any);
        c.snapshot = snapshot;
        verifier(&c, &f.clock)
    };

    // Taken ten minutes ago: hydrate and verify without a single request to the issuer.
    let v = with_snapshot(write("fresh.json", f.now() - 600));
    assert!(v.hydrate().await.is_empty());
    let (result, report) = v.verify_reported(&f.id_token()).await;
    assert_eq!(code(result), "ok");
    assert_eq!(report.jwks_age, Some(Duration::from_secs(600)));
    assert_eq!(f.hits(), 0, "no fetch before the first decision");

    // Past its TTL: it answers at once and is refreshed in the background.
    f.clock.advance(Duration::from_secs(3600));
    assert_eq!(code(v.verify(&f.id_token()).await), "ok");
    assert!(eventually(|| async { f.hits() == 1 }).await, "the stale snapshot was not refreshed");

    // Older than JWKS_MAX_STALE_SECS, or missing, or not JSON: not trusted, the keys are fetched.
    for (name, snapshot) in [
        ("too old", write("old.json", f.now() - 86_401)),
        ("missing", Some(dir.join("nowhere.json"))),
        ("garbage", {
            std::fs::write(dir.join("garbage.json"), "{").unwrap();
            Some(dir.join("garbage.json"))
        }),
    ] {
        let before = f.hits();
        let v = with_snapshot(snapshot);
        assert!(v.hydrate().await.is_empty(), "{name}");
        assert_eq!(f.hits(), before + 1, "{name}: fetched at hydrate");
        assert_eq!(code(v.verify(&f.id_token()).await), "ok", "{name}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
