//! `GET /me/claims` on any Lambda HTTP event (REST v1, HTTP API v2, function URL, ALB).
//!
//! Beyond "no panic": a 200 needs a token this process signed and carries the
//! whole verified claim set, never an empty one; nothing is a 500.
#![no_main]

use claimsgate_fuzz::world;
use lambda_http::{Body, Request};
use libfuzzer_sys::fuzz_target;
use me_claims::App;
use serde_json::Value;

/// The event as lambda_http turns it into a request, before any claimsgate code
/// runs. lambda_http 1.3 panics there (it unwraps a URL parse) on events whose
/// path lacks its leading `/` or whose Host or X-Forwarded-Proto cannot start a
/// URL, which API Gateway and function URLs do not send; lambda_runtime turns
/// such a panic into one failed invocation. Those events are skipped here: the
/// handler never sees them.
fn request(event: &str) -> Option<Request> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let converted = std::panic::catch_unwind(|| lambda_http::request::from_str(event));
    std::panic::set_hook(hook);
    converted.ok()?.ok()
}

fuzz_target!(|data: &[u8]| {
    let w = world();
    let input = String::from_utf8_lossy(data);
    let event = w.expand(&input);
    let Some(request) = request(&event.text) else {
        return;
    };
    let app = App::new(w.verifier(), vec!["https://app.example".to_owned()]);
    let Ok(response) = w.block_on(app.handle(request));
    let status = response.status().as_u16();
    assert!(status < 500 || status == 503, "status {status}");
    if status == 200 {
        assert!(event.ours, "200 without a token this process signed");
        let body: Value = match response.body() {
            Body::Text(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        assert!(
            body["claims"].as_object().is_some_and(|c| c.contains_key("exp")),
            "a 200 without the verified claims: {body}"
        );
    }
});
