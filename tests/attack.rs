//! Attacks on the API, end to end through the local stack over HTTP.
//!
//! Each case sends one forged, stolen-and-bent or oversized credential to
//! `/dogs` and `/me/claims` and asserts the exact answer: the gateway's status
//! and body, and the error code of the authorizer's decision, read from its
//! log line (the gateway's 401 body is always `Unauthorized`, as in AWS). The
//! suite ends with one summary line and fails if any case was answered
//! otherwise. Time moves on the stack's manual clock; nothing sleeps.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use claimsgate::random;
use claimsgate_core::Clock;
use claimsgate_core::signing::SigningKey;
use claimsgate_core::testing::{LogCapture, cognito_id_claims, test_key, with_claims};
use common::flow::published_kids;
use common::{TestStack, stack};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

const DOGS: &str = "test-user@amazon.com";
const CATS: &str = "test-user@example.com";
const ROUTES: [&str; 2] = ["/dogs", "/me/claims"];
/// `JWKS_MIN_REFRESH_SECS`, as the stack configures its verifiers (the default).
const MIN_REFRESH: Duration = Duration::from_secs(10);

/// What one request got, and what the stack's parts logged while answering it.
#[derive(Debug)]
struct Seen {
    status: StatusCode,
    body: Value,
    /// Error codes of the authorizer's `unauthorized` decisions.
    codes: Vec<String>,
    /// Requests the Cognito stand-in served for its JWKS.
    jwks_requests: usize,
}

/// How a case must be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// 401 `Unauthorized` from the gateway after the authorizer refused with this code.
    Refused(&'static str),
    /// 401 `Unauthorized` from the gateway itself: no credential where it looks, no authorizer call.
    NoCredential,
    /// 431 from the HTTP server: headers past its limit never reach the gateway or the authorizer.
    HeaderTooLarge,
}

struct Suite {
    stack: TestStack,
    /// The pool's signing key: the process's test key, under the kid the pool publishes.
    key: SigningKey,
    logs: LogCapture,
    http: reqwest::Client,
    tried: usize,
    as_expected: usize,
    wrongly_allowed: usize,
    wrong: Vec<String>,
}

impl Suite {
    async fn new() -> Self {
        let logs = LogCapture::default();
        let sink = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_env_filter("authorizer=info,claimsgate::http=info")
            .with_writer(move || sink.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        let stack = stack().await;
        let key = test_key(0, &published_kids(&stack).await[0]);
        Self {
            stack,
            key,
            logs,
            http: reqwest::Client::new(),
            tried: 0,
            as_expected: 0,
            wrongly_allowed: 0,
            wrong: Vec::new(),
        }
    }

    fn key(&self) -> &SigningKey {
        &self.key
    }

    fn now(&self) -> u64 {
        self.stack.clock.now_secs()
    }

    /// Sends `request` and reads what the stack logged while answering it.
    async fn send(&self, request: reqwest::RequestBuilder) -> Seen {
        let from = self.logs.text().len();
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        let logged = self.logs.text();
        let lines: Vec<Value> =
            logged[from..].lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
        let codes = lines
            .iter()
            .filter(|l| l["fields"]["decision"] == "unauthorized")
            .map(|l| l["fields"]["code"].as_str().unwrap_or("").to_owned())
            .collect();
        let jwks_requests = lines
            .iter()
            .filter(|l| l["target"] == "claimsgate::http" && l["fields"]["part"] == "cognito")
            .filter(|l| {
                l["fields"]["path"].as_str().is_some_and(|p| p.ends_with("/.well-known/jwks.json"))
            })
            .count();
        Seen { status, body, codes, jwks_requests }
    }

    fn get(&self, route: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{route}", self.stack.api_url))
    }

    /// Tries `authorization` (a whole header value) on every route.
    async fn header(&mut self, name: &str, authorization: &str, want: Want) {
        for route in ROUTES {
            let seen = self.send(self.get(route).header("Authorization", authorization)).await;
            self.judge(&format!("{name} on {route}"), &seen, want);
        }
    }

    /// Tries `token` as `Authorization: Bearer <token>` on every route.
    async fn token(&mut self, name: &str, token: &str, want: Want) {
        self.header(name, &format!("Bearer {token}"), want).await;
    }

    fn judge(&mut self, case: &str, seen: &Seen, want: Want) {
        self.tried += 1;
        if seen.status.is_success() {
            self.wrongly_allowed += 1;
        }
        let unauthorized = seen.status == StatusCode::UNAUTHORIZED
            && seen.body == json!({"message": "Unauthorized"});
        let answered_as_wanted = match want {
            Want::Refused(code) => unauthorized && seen.codes == [code],
            Want::NoCredential => unauthorized && seen.codes.is_empty(),
            Want::HeaderTooLarge => {
                seen.status == StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE && seen.codes.is_empty()
            }
        };
        if answered_as_wanted {
            self.as_expected += 1;
        } else {
            self.wrong.push(format!(
                "{case}: want {want:?}, got {} {} codes {:?}",
                seen.status, seen.body, seen.codes
            ));
        }
    }

    /// A control: a valid credential must pass, or the suite could not tell an allow from a refusal.
    async fn must_allow(&self, token: &str, route: &str) {
        let seen = self.send(self.get(route).bearer_auth(token)).await;
        assert_eq!(seen.status, StatusCode::OK, "control {route}: {seen:?}");
    }

    /// The claims of an ID token of this pool for the dogs user, valid now.
    fn claims(&self) -> Value {
        let pool = &self.stack.cognito;
        let claims =
            cognito_id_claims(pool.issuer_url(), &pool.client_id, self.now(), &random::uuid());
        with_claims(claims, json!({"sub": pool.user(DOGS).unwrap().sub()}))
    }

    fn sign(&self, claims: &Value) -> String {
        self.key().sign(claims).unwrap()
    }

    async fn fresh_id_token(&self, email: &str) -> String {
        self.stack.tokens_for(email).await.unwrap().id_token
    }
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn segments(token: &str) -> Vec<String> {
    token.split('.').map(str::to_owned).collect()
}

/// `token` with bit `bit` of its decoded signature flipped.
fn flip_signature_bit(token: &str, bit: usize) -> String {
    let parts = segments(token);
    let mut signature = URL_SAFE_NO_PAD.decode(&parts[2]).unwrap();
    let at = bit / 8 % signature.len();
    signature[at] ^= 1 << (bit % 8);
    format!("{}.{}.{}", parts[0], parts[1], URL_SAFE_NO_PAD.encode(signature))
}

fn encoding_key(key: &SigningKey) -> EncodingKey {
    EncodingKey::from_rsa_pem(key.to_pkcs8_pem().as_bytes()).unwrap()
}

/// A loopback server that counts every request it gets and answers each with `body`.
async fn bait(body: String) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let router = axum::Router::new().fallback(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        let body = body.clone();
        async move { body }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, hits)
}

#[tokio::test]
async fn every_attack_is_refused_with_its_exact_code() {
    let mut s = Suite::new().await;
    let dogs = s.fresh_id_token(DOGS).await;
    let cats = s.fresh_id_token(CATS).await;
    s.must_allow(&dogs, "/dogs").await;
    s.must_allow(&dogs, "/me/claims").await;
    let kid = s.key().kid().to_owned();
    let h = |alg: &str| json!({"alg": alg, "kid": kid, "typ": "JWT"});

    // Algorithms other than RS256, each properly signed for its algorithm.
    let claims = s.claims();
    s.token(
        "alg none, empty signature",
        &format!("{}.{}.", b64(&h("none")), b64(&claims)),
        Want::Refused("malformed_token"),
    )
    .await;
    s.token(
        "alg none, some signature",
        &format!("{}.{}.AAAA", b64(&h("none")), b64(&claims)),
        Want::Refused("alg_not_allowed"),
    )
    .await;
    let jwks = s
        .send(s.http.get(format!("{}/.well-known/jwks.json", s.stack.cognito.issuer_url())))
        .await
        .body
        .to_string();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.clone());
    let hs256 =
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(jwks.as_bytes())).unwrap();
    s.token("HS256 keyed with the published JWKS", &hs256, Want::Refused("alg_not_allowed")).await;
    for alg in [Algorithm::RS512, Algorithm::PS256] {
        let mut header = Header::new(alg);
        header.kid = Some(kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &encoding_key(s.key())).unwrap();
        s.token(
            &format!("{alg:?} signed with the pool's key"),
            &token,
            Want::Refused("alg_not_allowed"),
        )
        .await;
    }

    // A valid token, bent after signing.
    for bit in [0, 1000, 2047] {
        s.token(
            &format!("signature bit {bit} flipped"),
            &flip_signature_bit(&dogs, bit),
            Want::Refused("invalid_signature"),
        )
        .await;
    }
    let cats_parts = segments(&cats);
    let mut promoted: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&cats_parts[1]).unwrap()).unwrap();
    promoted["pet_preference"] = json!("dogs");
    s.token(
        "payload edited after signing (cats to dogs)",
        &format!("{}.{}.{}", cats_parts[0], b64(&promoted), cats_parts[2]),
        Want::Refused("invalid_signature"),
    )
    .await;
    let dogs_parts = segments(&dogs);
    s.token(
        "payload of one valid token under the signature of another",
        &format!("{}.{}.{}", cats_parts[0], dogs_parts[1], cats_parts[2]),
        Want::Refused("invalid_signature"),
    )
    .await;
    s.token(
        "header and payload segments swapped",
        &format!("{}.{}.{}", dogs_parts[1], dogs_parts[0], dogs_parts[2]),
        Want::Refused("alg_not_allowed"),
    )
    .await;

    // Keys, issuers, clients and token kinds that are not this pool's.
    let other_pool = test_key(1, "other-pool-kid");
    s.token(
        "kid and key of another pool, this pool's issuer",
        &other_pool.sign(&s.claims()).unwrap(),
        Want::Refused("unknown_kid"),
    )
    .await;
    let mut foreign = s.claims();
    foreign["iss"] = json!("http://127.0.0.1:1/us-east-1_OtherPool");
    s.token(
        "valid token of another issuer",
        &other_pool.sign(&foreign).unwrap(),
        Want::Refused("invalid_issuer"),
    )
    .await;
    s.token("this pool's key, another issuer", &s.sign(&foreign), Want::Refused("invalid_issuer"))
        .await;
    let mut other_client = s.claims();
    other_client["aud"] = json!("another-app-client");
    s.token(
        "ID token of another app client",
        &s.sign(&other_client),
        Want::Refused("invalid_audience"),
    )
    .await;
    let mut other_access = s.claims();
    other_access["token_use"] = json!("access");
    other_access["client_id"] = json!("another-app-client");
    s.token(
        "access token of another app client",
        &s.sign(&other_access),
        Want::Refused("invalid_client_id"),
    )
    .await;
    let mut refresh_use = s.claims();
    refresh_use["token_use"] = json!("refresh");
    s.token(
        "token_use other than id or access",
        &s.sign(&refresh_use),
        Want::Refused("invalid_token_use"),
    )
    .await;
    // /oauth2/userInfo takes access tokens only: an ID token is the other token_use there.
    s.tried += 1;
    let seen = s
        .send(s.http.get(format!("{}/oauth2/userInfo", s.stack.cognito_url)).bearer_auth(&dogs))
        .await;
    if seen.status == StatusCode::UNAUTHORIZED
        && seen.body["error_description"] == "invalid_token_use"
    {
        s.as_expected += 1;
    } else {
        s.wrongly_allowed += usize::from(seen.status.is_success());
        s.wrong.push(format!("ID token on /oauth2/userInfo: {seen:?}"));
    }

    // Time: judged by the stack's clock.
    let now = s.now();
    for (name, edit, code) in [
        ("not valid yet", ("nbf", now + 60), "token_not_yet_valid"),
        ("issued in the future", ("iat", now + 60), "token_issued_in_future"),
        ("expired a second ago", ("exp", now - 1), "token_expired"),
    ] {
        let mut c = s.claims();
        c[edit.0] = json!(edit.1);
        if edit.0 == "exp" {
            c["iat"] = json!(now - 3601);
        }
        s.token(name, &s.sign(&c), Want::Refused(code)).await;
    }

    // Key URLs in the header point at loopback servers that must never be called.
    let attacker = test_key(2, "attacker-kid");
    let (jku, jku_hits) = bait(attacker.jwks().to_string()).await;
    let (x5u, x5u_hits) = bait("-----BEGIN CERTIFICATE-----".to_owned()).await;
    for (name, kid) in [("attacker's kid", attacker.kid().to_owned()), ("pool's kid", kid.clone())]
    {
        let header = json!({
            "alg": "RS256",
            "kid": kid,
            "jku": format!("{jku}/jwks.json"),
            "x5u": format!("{x5u}/cert.pem"),
            "jwk": attacker.jwk(),
            "x5c": [STANDARD.encode(attacker.modulus())],
        });
        let want = if kid == attacker.kid() {
            Want::Refused("unknown_kid")
        } else {
            Want::Refused("invalid_signature")
        };
        let token = attacker.sign_raw(&header, &s.claims()).unwrap();
        s.token(&format!("jku, x5u, jwk and x5c of the attacker's key, {name}"), &token, want)
            .await;
    }
    let bait_hits = jku_hits.load(Ordering::SeqCst) + x5u_hits.load(Ordering::SeqCst);
    assert_eq!(bait_hits, 0, "a key URL from a token header was fetched");

    // Size: the verifier's cap, signatures that once overflowed a fixed buffer, headers past the server's limit.
    let tiny = format!("{}.{}", b64(&json!({"alg": "RS256", "kid": "x"})), b64(&json!({})));
    s.token(
        "1,368-character signature, claims without iss",
        &format!("{tiny}.{}", "A".repeat(1368)),
        Want::Refused("missing_claim"),
    )
    .await;
    let signed_part = format!("{}.{}", dogs_parts[0], dogs_parts[1]);
    for sig_len in [1368, 16_383 - signed_part.len() - 1] {
        let token = format!("{signed_part}.{}", "A".repeat(sig_len));
        // Base64 has no spelling of 4n+1 characters.
        let code = if sig_len % 4 == 1 { "malformed_token" } else { "invalid_signature" };
        s.token(
            &format!("{}-byte token, {sig_len}-character signature", token.len()),
            &token,
            Want::Refused(code),
        )
        .await;
    }
    s.token(
        "600 KB Authorization header",
        &format!("{signed_part}.{}", "A".repeat(600_000)),
        Want::HeaderTooLarge,
    )
    .await;
    s.token(
        "16,383-character signature (token past 16 KiB)",
        &format!("{signed_part}.{}", "A".repeat(16_383)),
        Want::Refused("token_too_large"),
    )
    .await;

    // Where the gateway looks for the credential: the Authorization header only.
    for (name, query) in [
        ("token in the query string", format!("access_token={dogs}")),
        ("token as id_token in the query string", format!("id_token={dogs}")),
    ] {
        for route in ROUTES {
            let seen = s.send(s.get(&format!("{route}?{query}"))).await;
            s.judge(&format!("{name} on {route}"), &seen, Want::NoCredential);
        }
    }
    for route in ROUTES {
        let seen = s
            .send(s.get(route).header("Cookie", format!("access_token={dogs}; id_token={dogs}")))
            .await;
        s.judge(&format!("token in a cookie on {route}"), &seen, Want::NoCredential);
    }
    s.header("token without the Bearer scheme", &dogs, Want::Refused("no_bearer_token")).await;
    s.header(
        "token under the Basic scheme",
        &format!("Basic {dogs}"),
        Want::Refused("no_bearer_token"),
    )
    .await;
    s.header(
        "two bearer tokens in one header",
        &format!("Bearer {dogs}, Bearer {dogs}"),
        Want::Refused("no_bearer_token"),
    )
    .await;

    // A flood of random kids costs one JWKS fetch per JWKS_MIN_REFRESH_SECS, not one per request.
    s.stack.clock.advance(MIN_REFRESH);
    let mut fetches = Vec::new();
    for round in 0..3 {
        if round == 2 {
            s.stack.clock.advance(MIN_REFRESH);
        }
        let mut fetched = 0;
        for _ in 0..20 {
            let kid = claimsgate::random::uuid();
            let token = s.key().clone().with_kid(&kid).sign(&s.claims()).unwrap();
            let seen = s.send(s.get("/dogs").bearer_auth(&token)).await;
            fetched += seen.jwks_requests;
            s.judge(
                &format!("random kid flood, round {round}"),
                &seen,
                Want::Refused("unknown_kid"),
            );
        }
        fetches.push(fetched);
    }
    assert_eq!(
        fetches,
        [1, 0, 1],
        "JWKS requests per flood of 20 random kids: first after the penalty, then none, then one {MIN_REFRESH:?} later"
    );

    // Expired by the clock: the same valid token, an hour later.
    s.must_allow(&cats, "/cats").await;
    s.stack.clock.advance(Duration::from_secs(3600));
    s.token("valid token replayed after its exp", &cats, Want::Refused("token_expired")).await;

    let summary = format!(
        "attack suite: {} cases tried, {} refused as expected, {} wrongly allowed",
        s.tried, s.as_expected, s.wrongly_allowed
    );
    // Straight to stderr, past the test harness's capture: the line belongs in every run's output.
    let _ = writeln!(std::io::stderr().lock(), "{summary}");
    assert!(
        s.wrong.is_empty() && s.wrongly_allowed == 0 && s.as_expected == s.tried,
        "{summary}\n{}",
        s.wrong.join("\n")
    );
}
