//! `GET /me/claims` on any Lambda HTTP event (REST v1, HTTP API v2, function URL, ALB).
//!
//! Beyond "no panic": a 200 needs a token this process signed and carries the
//! whole verified claim set, never an empty one; nothing is a 500.
#![no_main]

use std::cell::RefCell;

use claimsgate_fuzz::world;
use lambda_http::{Body, Request};
use libfuzzer_sys::fuzz_target;
use me_claims::App;
use serde_json::Value;

/// The event as lambda_http turns it into a request, before any claimsgate code
/// runs. lambda_http 1.3 panics there on one kind of event: one whose path,
/// `Host` and `X-Forwarded-Proto` do not form a URL. It unwraps the parse of
/// the URL it builds from them (a path without its leading `/`, which the host
/// then swallows; a host that cannot start a URL), and expects the request
/// builder to take that URL as a URI (a `"` in the host passes the first and
/// not the second). API Gateway and function URLs do not send those, and
/// lambda_runtime turns such a panic into one failed invocation (SECURITY.md,
/// "Out of scope"). Those panics alone are skipped here: the handler never
/// sees the event. Any other panic of the conversion is a finding.
fn request(event: &str) -> Option<Request> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        let place = info.location().map(|l| l.file().to_owned()).unwrap_or_default();
        let message = info.payload_as_str().unwrap_or_default().to_owned();
        PANIC.with(|p| p.replace(Some((place, message))));
    }));
    let converted = std::panic::catch_unwind(|| lambda_http::request::from_str(event));
    std::panic::set_hook(hook);
    match converted {
        Ok(parsed) => parsed.ok(),
        Err(_) => {
            let (place, message) = PANIC.with(RefCell::take).unwrap_or_default();
            assert!(
                is_the_url_panic(&place, &message),
                "lambda_http panicked, not over the event's URL: {message} at {place}"
            );
            None
        }
    }
}

thread_local! {
    /// Where the last panic of [`request`] happened, and its message.
    static PANIC: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

/// True for the two panics of lambda_http's `src/request.rs` over the URL it
/// built: `Url::parse(..).unwrap()` (an unwrapped `url::ParseError`), and the
/// builder's `expect("failed to build request")` on an invalid URI.
fn is_the_url_panic(place: &str, message: &str) -> bool {
    const URL_ERRORS: [url::ParseError; 10] = [
        url::ParseError::EmptyHost,
        url::ParseError::IdnaError,
        url::ParseError::InvalidPort,
        url::ParseError::InvalidIpv4Address,
        url::ParseError::InvalidIpv6Address,
        url::ParseError::InvalidDomainCharacter,
        url::ParseError::RelativeUrlWithoutBase,
        url::ParseError::RelativeUrlWithCannotBeABaseBase,
        url::ParseError::SetHostOnCannotBeABaseUrl,
        url::ParseError::Overflow,
    ];
    let in_lambda_http = place.contains("lambda_http") && place.ends_with("src/request.rs");
    let unwrapped = message.strip_prefix("called `Result::unwrap()` on an `Err` value: ");
    let url_parse = unwrapped.is_some_and(|e| URL_ERRORS.iter().any(|u| e == format!("{u:?}")));
    let uri = message.starts_with("failed to build request: http::Error(InvalidUri(");
    in_lambda_http && (url_parse || uri)
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
