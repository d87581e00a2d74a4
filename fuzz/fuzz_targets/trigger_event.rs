//! The Pre Token Generation trigger on any event JSON, under two configurations.
//!
//! Beyond "no panic": every JSON object gets an answer with a `response`
//! object, and everything else is the one clear refusal.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pre_token_gen::{Config, respond};
use serde_json::Value;

fn configs() -> &'static [Config; 2] {
    static CONFIGS: OnceLock<[Config; 2]> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        let other = Config::from_lookup(|name| {
            let value = match name {
                "PET_RULES" => "example.com=cats,amazon.com=dogs",
                "DEFAULT_PET" => "none",
                "CLIENT_CREDENTIALS_PET" => "dogs",
                "SUPPRESS_CLAIMS" => "email,phone_number",
                _ => return None,
            };
            Some(value.to_owned())
        })
        .unwrap_or_else(|e| panic!("{e}"));
        [Config::default(), other]
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(event) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    for config in configs() {
        match respond(config, event.clone()) {
            Ok(answered) => {
                assert!(event.is_object(), "answered a non-object");
                assert!(answered["response"].is_object(), "no response object");
            }
            Err(error) => {
                assert!(!event.is_object(), "refused an object: {error}");
            }
        }
    }
});
