//! The stack while its key source fails and its signing key rotates, told by a
//! manual clock: known keys keep their answers, unknown kids are refused, no
//! answer is a 5xx, and each function fetches the JWKS at most once per
//! `JWKS_MIN_REFRESH_SECS`. And what its operators read meanwhile: metric lines
//! in the shape CloudWatch's Embedded Metric Format asks for, and no token,
//! password, email or client secret in any line.
//!
//! In a test binary of its own, each test capturing its logs with a
//! thread-local subscriber: tracing caches callsite interest process-wide, and
//! the stack's tasks run on the test's (current-thread) runtime.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use claimsgate::AuthorizerKind;
use claimsgate_core::FetchLimits;
use claimsgate_core::testing::{LogCapture, eventually, test_key};
use common::flow::{
    CALLBACK, CATS, CLIENT_ID, CLIENT_SECRET, DOGS, MACHINE_SECRET, claims_of, client,
    exchange_basic, machine_token, sign_in, token_request,
};
use common::{TestStack, stack_with};
use reqwest::StatusCode;
use serde_json::{Value, json};

const TTL: u64 = 60;
const MIN_REFRESH: u64 = 10;
const FAULTS: [&str; 5] = ["down", "slow", "500", "garbage", "empty"];

thread_local! {
    // One client per test (each test has its thread and runtime): building one reads the system's root certificates.
    static HTTP: reqwest::Client = client();
}

fn http() -> reqwest::Client {
    HTTP.with(Clone::clone)
}

fn capture() -> (LogCapture, tracing::subscriber::DefaultGuard) {
    let logs = LogCapture::default();
    let guard = tracing::subscriber::set_default(logs.subscriber());
    (logs, guard)
}

/// A stack whose functions keep keys for [`TTL`] and refetch at most every
/// [`MIN_REFRESH`] seconds, give up on a JWKS fetch after 1 s (a slow source
/// takes 6 s; a second leaves room for a busy machine), and whose gateway
/// caches no authorizer result: every request is judged afresh.
async fn fault_stack() -> TestStack {
    stack_with(AuthorizerKind::Token, |s| {
        s.authorizer_cache_ttl = 0;
        s.token_ttl = 86_400;
        s.function_env
            .insert("JWKS_TTL_SECS".into(), TTL.to_string());
        s.function_env
            .insert("JWKS_MIN_REFRESH_SECS".into(), MIN_REFRESH.to_string());
        s.jwks_fetch = FetchLimits {
            connect_timeout: Duration::from_secs(1),
            total_timeout: Duration::from_secs(1),
            ..FetchLimits::default()
        };
    })
    .await
}

/// `POST /admin/jwks-fault` as `claimsgate jwks-fault` sends it: `{"mode": ...}` or `{}` (only read).
async fn jwks_fault(s: &TestStack, body: Value) -> Value {
    let r = http()
        .post(format!("{}/admin/jwks-fault", s.cognito_url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "jwks-fault {body}");
    r.json().await.unwrap()
}

/// Puts `mode` in force; the JWKS requests the stand-in counted so far.
async fn set_fault(s: &TestStack, mode: &str) -> u64 {
    let state = jwks_fault(s, json!({ "mode": mode })).await;
    assert_eq!(state["mode"], mode);
    state["jwks_requests"].as_u64().unwrap()
}

/// The JWKS requests the stand-in counted so far.
async fn jwks_requests(s: &TestStack) -> u64 {
    jwks_fault(s, json!({})).await["jwks_requests"]
        .as_u64()
        .unwrap()
}

/// The status `token` gets on `path`.
async fn status(s: &TestStack, path: &str, token: Option<&str>) -> StatusCode {
    let mut request = http().get(format!("{}{path}", s.api_url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().status()
}

const PATHS: [&str; 3] = ["/me/claims", "/dogs", "/cats"];

/// A token and what it must get on each of [`PATHS`].
struct Probe {
    name: &'static str,
    token: Option<String>,
    pet: Option<&'static str>,
}

impl Probe {
    fn new(name: &'static str, token: Option<&str>, pet: Option<&'static str>) -> Self {
        Self {
            name,
            token: token.map(str::to_owned),
            pet,
        }
    }

    fn want(&self, path: &str) -> StatusCode {
        match self.pet {
            None => StatusCode::UNAUTHORIZED,
            Some(pet) if path == "/me/claims" || path == format!("/{pet}") => StatusCode::OK,
            Some(_) => StatusCode::FORBIDDEN,
        }
    }
}

/// Sends every probe on every path, twice, and asserts each answer.
async fn check(s: &TestStack, phase: &str, probes: &[&Probe]) {
    for round in 0..2 {
        for probe in probes {
            for path in PATHS {
                let got = status(s, path, probe.token.as_deref()).await;
                assert!(
                    !got.is_server_error(),
                    "{phase}: {} on {path}: {got}",
                    probe.name
                );
                assert_eq!(
                    got,
                    probe.want(path),
                    "{phase} (round {round}): {} on {path}",
                    probe.name
                );
            }
        }
    }
}

/// Waits until the stand-in has counted `want` JWKS requests, then makes sure no more come.
async fn assert_fetches(s: &TestStack, phase: &str, want: u64) {
    let reached = eventually(|| async { jwks_requests(s).await >= want }).await;
    assert!(reached, "{phase}: expected {want} JWKS requests in all");
    assert_eq!(
        jwks_requests(s).await,
        want,
        "{phase}: JWKS fetched too often"
    );
}

/// The dogs token's claims signed under a kid the pool never publishes (the
/// key is the one it rotates to later, published under its own kid).
fn unknown_kid_token(dogs: &str) -> String {
    test_key(1, "never-published")
        .sign(&claims_of(dogs))
        .unwrap()
}

/// The token with one byte of its signature changed.
fn forged(token: &str) -> String {
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let mut raw = URL_SAFE_NO_PAD.decode(signature).unwrap();
    raw[10] ^= 0x55;
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(raw))
}

/// The fault sequence; returns every token it minted.
///
/// The JWKS source fails in every way, one fault per [`TTL`] (so each
/// function's key set is due for a refresh in each), then recovers; then the
/// signing key rotates and, after its grace, the old key leaves the JWKS.
async fn fault_sequence(s: &TestStack) -> Vec<String> {
    let dogs = s.tokens_for(DOGS.0).await.unwrap();
    let cats = s.tokens_for(CATS.0).await.unwrap();
    let known = [
        Probe::new("dogs", Some(&dogs.id_token), Some("dogs")),
        Probe::new("dogs access", Some(&dogs.access_token), Some("dogs")),
        Probe::new("cats", Some(&cats.id_token), Some("cats")),
    ];
    let refused = [
        Probe::new(
            "unknown kid",
            Some(&unknown_kid_token(&dogs.id_token)),
            None,
        ),
        Probe::new("forged", Some(&forged(&dogs.id_token)), None),
        Probe::new("no token", None, None),
    ];
    let all: Vec<&Probe> = known.iter().chain(&refused).collect();

    // Both functions fetched once at start; an unknown kid now is within JWKS_MIN_REFRESH_SECS of that.
    let mut fetches = set_fault(s, "ok").await;
    assert_eq!(fetches, 2, "one hydrate per function");
    check(s, "start", &all).await;
    assert_fetches(s, "start", fetches).await;

    for mode in FAULTS.into_iter().chain(["ok"]) {
        set_fault(s, mode).await;
        // Past the TTL: each function refreshes once in the background (and
        // fails), serving its last good set meanwhile; the unknown kid waits
        // for that refresh and is refused without another fetch.
        s.clock.advance(Duration::from_secs(TTL + 1));
        check(s, mode, &all).await;
        fetches += 2;
        assert_fetches(s, mode, fetches).await;
    }

    // Rotation: the new key signs at once; the old one stays published for 600 s.
    s.clock.advance(Duration::from_secs(MIN_REFRESH + 1));
    let r = http()
        .post(format!("{}/admin/rotate-key", s.cognito_url))
        .json(&json!({"grace_secs": 600, "private_key_pem": test_key(1, "").to_pkcs8_pem()}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let new_dogs = s.tokens_for(DOGS.0).await.unwrap();
    let new_cats = s.tokens_for(CATS.0).await.unwrap();
    assert_ne!(
        token_kid(&new_dogs.id_token),
        token_kid(&dogs.id_token),
        "signed by the new key"
    );
    let fresh = [
        Probe::new("new dogs", Some(&new_dogs.id_token), Some("dogs")),
        Probe::new("new cats", Some(&new_cats.id_token), Some("cats")),
    ];
    // The new kid is unknown to both functions: each refetches once and knows it.
    let both: Vec<&Probe> = fresh.iter().chain(all.iter().copied()).collect();
    check(s, "both keys published", &both).await;
    fetches += 2;
    assert_fetches(s, "both keys published", fetches).await;

    // The grace ends: the old key leaves the JWKS; the functions drop it at their next refresh.
    s.clock.advance(Duration::from_secs(601));
    assert_eq!(
        status(s, "/me/claims", Some(&new_dogs.id_token)).await,
        StatusCode::OK
    );
    let dropped = eventually(|| async {
        status(s, "/dogs", Some(&dogs.id_token)).await == StatusCode::UNAUTHORIZED
    })
    .await;
    assert!(dropped, "the old key's tokens passed after the refresh");
    let retired = [
        Probe::new("old dogs", Some(&dogs.id_token), None),
        Probe::new("old cats", Some(&cats.id_token), None),
    ];
    let after: Vec<&Probe> = fresh.iter().chain(&retired).chain(&refused).collect();
    check(s, "old key removed", &after).await;
    fetches += 2;
    assert_fetches(s, "old key removed", fetches).await;

    [dogs, cats, new_dogs, new_cats]
        .into_iter()
        .flat_map(|t| {
            [
                t.id_token,
                t.access_token,
                t.refresh_token.unwrap_or_default(),
            ]
        })
        .collect()
}

fn token_kid(jwt: &str) -> String {
    let header = jwt.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn known_keys_keep_their_answers_while_the_key_source_fails_and_rotates() {
    let (logs, _guard) = capture();
    let s = fault_stack().await;
    fault_sequence(&s).await;
    // Operators see each failed fetch, with its cause: one per function and fault.
    let logs = logs.text();
    let failed: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("JWKS fetch failed"))
        .collect();
    assert_eq!(failed.len(), 2 * FAULTS.len(), "{failed:#?}");
    for cause in [
        "request failed",
        "unexpected http status 500",
        "not a jwks document",
        "no usable rs256 signing key",
    ] {
        assert!(
            failed.iter().any(|l| l.to_lowercase().contains(cause)),
            "no failed fetch says `{cause}`: {failed:#?}"
        );
    }
}

/// CloudWatch's units, as the EMF specification lists them.
const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// What keeps `doc` from being an EMF document CloudWatch turns into metrics:
/// `_aws.Timestamp` (ms since the epoch), `_aws.CloudWatchMetrics` directives
/// each with a `Namespace`, `Dimensions` (sets of at most 30 names, each a
/// string at the root) and `Metrics` (at most 100, each `Name` a number or
/// numbers at the root, `Unit` a CloudWatch unit). Empty when it conforms.
fn emf_problems(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut problem = |text: String| problems.push(text);
    let Some(root) = doc.as_object() else {
        return vec!["not a JSON object".into()];
    };
    let aws = &doc["_aws"];
    match aws["Timestamp"].as_u64() {
        Some(ms) if (1_000_000_000_000..10_000_000_000_000).contains(&ms) => {}
        _ => problem(format!(
            "_aws.Timestamp is not epoch milliseconds: {}",
            aws["Timestamp"]
        )),
    }
    let directives = aws["CloudWatchMetrics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if directives.is_empty() {
        problem("_aws.CloudWatchMetrics is not a non-empty array".into());
    }
    for directive in &directives {
        match directive["Namespace"].as_str() {
            Some(ns) if (1..=255).contains(&ns.len()) => {}
            _ => problem(format!("bad Namespace in {directive}")),
        }
        let Some(sets) = directive["Dimensions"].as_array() else {
            problem(format!("Dimensions is not an array in {directive}"));
            continue;
        };
        for set in sets {
            let names = set.as_array().cloned().unwrap_or_default();
            if !set.is_array() || names.len() > 30 {
                problem(format!("bad dimension set {set}"));
            }
            for name in &names {
                let value = name.as_str().and_then(|n| root.get(n));
                if !value.is_some_and(Value::is_string) {
                    problem(format!("dimension {name} has no string value at the root"));
                }
            }
        }
        let metrics = directive["Metrics"].as_array().cloned().unwrap_or_default();
        if metrics.is_empty() || metrics.len() > 100 {
            problem(format!(
                "Metrics is not 1 to 100 definitions in {directive}"
            ));
        }
        for metric in &metrics {
            let Some(name) = metric["Name"]
                .as_str()
                .filter(|n| (1..=1024).contains(&n.len()))
            else {
                problem(format!("metric without a Name: {metric}"));
                continue;
            };
            let numeric = match root.get(name) {
                Some(Value::Number(_)) => true,
                Some(Value::Array(values)) => {
                    !values.is_empty() && values.len() <= 100 && values.iter().all(Value::is_number)
                }
                _ => false,
            };
            if !numeric {
                problem(format!("metric {name} has no numeric value at the root"));
            }
            if let Some(unit) = metric.get("Unit")
                && !unit.as_str().is_some_and(|u| UNITS.contains(&u))
            {
                problem(format!("metric {name} has unit {unit}"));
            }
        }
    }
    problems
}

#[test]
fn the_emf_check_refuses_what_cloudwatch_would_not_read() {
    let good = json!({
        "_aws": {"Timestamp": 1_767_225_600_000u64, "CloudWatchMetrics": [
            {"Namespace": "claimsgate", "Dimensions": [["FunctionName", "Code"]],
             "Metrics": [{"Name": "Denied", "Unit": "Count"}]}]},
        "FunctionName": "authorizer", "Code": "token_expired", "Denied": 1.0,
    });
    assert_eq!(emf_problems(&good), Vec::<String>::new());
    type Breakage = fn(&mut Value);
    let broken: [(&str, Breakage); 6] = [
        ("seconds, not ms", |d| {
            d["_aws"]["Timestamp"] = json!(1_767_225_600)
        }),
        ("no directives", |d| {
            d["_aws"]["CloudWatchMetrics"] = json!([])
        }),
        ("dimension missing", |d| {
            d.as_object_mut().unwrap().remove("Code");
        }),
        ("value missing", |d| {
            d.as_object_mut().unwrap().remove("Denied");
        }),
        ("value not a number", |d| d["Denied"] = json!("1")),
        ("unknown unit", |d| {
            d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = json!("Dogs");
        }),
    ];
    for (why, edit) in broken {
        let mut doc = good.clone();
        edit(&mut doc);
        assert!(!emf_problems(&doc).is_empty(), "{why} passed");
    }
}

/// True when `line` holds something shaped like an email address.
fn has_email(line: &str) -> bool {
    let local = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    line.match_indices('@').any(|(at, _)| {
        let before = line[..at].chars().next_back().is_some_and(local);
        let domain: String = line[at + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
            .collect();
        let tld = domain.rsplit('.').next().unwrap_or("");
        before
            && domain.contains('.')
            && tld.len() >= 2
            && tld.chars().all(|c| c.is_ascii_alphabetic())
    })
}

/// Requests an attacker (or a careless client) sends, through every door of the
/// stack; returns the secrets they carried or obtained.
async fn attack_like_requests(s: &TestStack) -> Vec<String> {
    let dogs = s.tokens_for(DOGS.0).await.unwrap();
    let key = test_key(0, "");
    let kid = token_kid(&dogs.id_token);
    let claims = claims_of(&dogs.id_token);
    let mut cats_claims = claims.clone();
    cats_claims["pet_preference"] = json!("cats");
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "kid": kid}).to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    // Key confusion: HS256 keyed with the pool's public key.
    let hs_signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(json!({"alg": "HS256", "kid": kid}).to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mac = aws_lc_rs::hmac::sign(
        &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key.modulus()),
        hs_signed.as_bytes(),
    );
    let confused = format!("{hs_signed}.{}", URL_SAFE_NO_PAD.encode(mac.as_ref()));
    let jku = test_key(1, "")
        .sign_raw(
            &json!({"alg": "RS256", "kid": "attacker", "jku": "https://evil.example/jwks.json"}),
            &claims,
        )
        .unwrap();
    // The dogs payload with the claim swapped, under the real signature.
    let (head, _) = dogs.id_token.split_once('.').unwrap();
    let swapped = format!(
        "{head}.{}.{}",
        URL_SAFE_NO_PAD.encode(cats_claims.to_string()),
        dogs.id_token.rsplit('.').next().unwrap()
    );
    let huge = format!("{0}.{0}.{0}", "A".repeat(40_000));
    let tampered = [none, confused, jku, swapped, huge, forged(&dogs.id_token)];
    for token in &tampered {
        for path in PATHS {
            assert_eq!(status(s, path, Some(token)).await, StatusCode::UNAUTHORIZED);
        }
    }
    // A token in the query string, a password in Basic credentials.
    let r = http()
        .get(format!("{}/dogs?access_token={}", s.api_url, dogs.id_token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = http()
        .get(format!("{}/dogs", s.api_url))
        .basic_auth(DOGS.0, Some(DOGS.1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // The token endpoint: a wrong client secret, a password grant, a made-up code.
    let wrong_secret = "not-the-client-secret-4711";
    let r = token_request(s)
        .basic_auth(CLIENT_ID, Some(wrong_secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let r = token_request(s)
        .form(&[
            ("grant_type", "password"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("username", DOGS.0),
            ("password", DOGS.1),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let r = exchange_basic(
        s,
        &[
            ("grant_type", "authorization_code"),
            ("code", "made-up-code-0123456789"),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await;
    assert!(r.status().is_client_error());
    // The login form: a wrong password, without and with the form's own fields.
    let wrong_password = "Guessed-password-0815";
    let r = http()
        .post(format!("{}/login", s.cognito_url))
        .form(&[("username", DOGS.0), ("password", wrong_password)])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());

    // A real sign-in, refresh, userInfo and revoke; and a machine token.
    let code = sign_in(s, CATS, &[]).await;
    let r = exchange_basic(
        s,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let signed_in: Value = r.json().await.unwrap();
    let text = |v: &Value, k: &str| v[k].as_str().unwrap().to_owned();
    let refresh = text(&signed_in, "refresh_token");
    let r = exchange_basic(
        s,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let refreshed: Value = r.json().await.unwrap();
    for (token, want) in [
        (text(&refreshed, "access_token"), StatusCode::OK),
        (text(&refreshed, "id_token"), StatusCode::UNAUTHORIZED),
        ("garbage".to_owned(), StatusCode::UNAUTHORIZED),
    ] {
        let r = http()
            .get(format!("{}/oauth2/userInfo", s.cognito_url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), want);
    }
    let r = http()
        .post(format!("{}/oauth2/revoke", s.cognito_url))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[("token", refresh.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let machine: Value = machine_token(s, &[("grant_type", "client_credentials")])
        .await
        .json()
        .await
        .unwrap();

    // The admin endpoint asked from a foreign host, with a private key in the body.
    let pem = test_key(1, "").to_pkcs8_pem();
    let r = http()
        .post(format!("{}/admin/rotate-key", s.cognito_url))
        .header("host", "evil.example")
        .json(&json!({ "private_key_pem": pem }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let mut secrets: Vec<String> = tampered.into_iter().collect();
    secrets.extend([
        dogs.id_token,
        dogs.access_token,
        dogs.refresh_token.unwrap(),
    ]);
    for doc in [&signed_in, &refreshed, &machine] {
        for field in ["id_token", "access_token", "refresh_token"] {
            if let Some(token) = doc[field].as_str() {
                secrets.push(token.to_owned());
            }
        }
    }
    secrets.extend([code, refresh, wrong_secret.into(), wrong_password.into()]);
    // Every line of the key material (also the key the fault sequence rotates to) but the armour.
    secrets.extend(
        pem.lines()
            .filter(|l| !l.starts_with("-----"))
            .map(str::to_owned),
    );
    secrets
}

#[tokio::test]
async fn metric_lines_follow_emf_and_no_line_holds_a_secret() {
    let (logs, _guard) = capture();
    let s = fault_stack().await;
    let mut secrets = attack_like_requests(&s).await;
    secrets.extend(fault_sequence(&s).await);
    for user in &s.cognito.users {
        secrets.push(user.password.clone());
    }
    secrets.extend([
        CLIENT_SECRET.to_owned(),
        MACHINE_SECRET.to_owned(),
        s.cognito.client_secret.clone(),
    ]);
    // A token is also found by any one of its segments (a logged payload or signature).
    let pieces: Vec<String> = secrets
        .iter()
        .flat_map(|s| {
            let mut all = vec![s.clone()];
            if s.matches('.').count() == 2 {
                all.extend(s.split('.').filter(|p| p.len() >= 20).map(str::to_owned));
            }
            all
        })
        .filter(|s| !s.is_empty())
        .collect();

    let logs = logs.text();
    let lines: Vec<&str> = logs.lines().collect();
    assert!(lines.len() > 100, "too few lines captured: {}", lines.len());
    for line in &lines {
        assert!(!has_email(line), "an email in: {line}");
        if let Some(secret) = pieces.iter().find(|p| line.contains(p.as_str())) {
            panic!(
                "a secret ({}...) in: {line}",
                &secret[..secret.len().min(12)]
            );
        }
    }

    let mut names = std::collections::BTreeSet::new();
    let mut denied_codes = std::collections::BTreeSet::new();
    for line in &lines {
        let event: Value = serde_json::from_str(line).unwrap();
        let Some(emf) = event["fields"]["emf"].as_str() else {
            continue;
        };
        let doc: Value = serde_json::from_str(emf).unwrap();
        assert_eq!(emf_problems(&doc), Vec::<String>::new(), "{emf}");
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "claimsgate"
        );
        for directive in doc["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
            assert_eq!(directive["Dimensions"][0][0], "FunctionName", "{emf}");
            for metric in directive["Metrics"].as_array().unwrap() {
                names.insert(metric["Name"].as_str().unwrap().to_owned());
            }
        }
        if let Some(code) = doc["Code"].as_str() {
            denied_codes.insert(code.to_owned());
        }
    }
    let expected = [
        "Allowed",
        "Denied",
        "JwksFetch",
        "JwksFetchFailed",
        "PetAssigned",
        "TokenCacheHit",
        "VerifyMicros",
    ];
    assert_eq!(names, expected.map(str::to_owned).into(), "metrics seen");
    for code in [
        "route_not_allowed",
        "invalid_signature",
        "alg_not_allowed",
        "unknown_kid",
        "jwks_unavailable",
        "token_too_large",
    ] {
        assert!(
            denied_codes.contains(code),
            "no Denied for {code}: {denied_codes:?}"
        );
    }
}

#[tokio::test]
async fn a_key_source_that_never_answered_fails_closed() {
    let (_logs, _guard) = capture();
    // JWKS_URI points the functions at a port where nothing listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}/jwks.json", closed.local_addr().unwrap());
    drop(closed);
    let s = stack_with(AuthorizerKind::Token, |s| {
        s.function_env.insert("JWKS_URI".into(), uri);
    })
    .await;
    let dogs = s.tokens_for(DOGS.0).await.unwrap();
    for path in PATHS {
        assert_eq!(
            status(&s, path, Some(&dogs.id_token)).await,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
    assert_eq!(
        jwks_requests(&s).await,
        0,
        "the stand-in's JWKS was never asked"
    );
}
