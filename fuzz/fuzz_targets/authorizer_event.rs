//! The authorizer's handler on any event JSON: REST `TOKEN` and `REQUEST`, HTTP API 2.0.
//!
//! Beyond "no panic": an answer (Allow or not) needs a token this process
//! signed, and no Allow names an IAM wildcard.
#![no_main]

use authorizer::Authorizer;
use authorizer::event::AuthorizerEvent;
use authorizer::response::Answer;
use claimsgate_core::rules::routes::RouteTable;
use claimsgate_fuzz::world;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let w = world();
    let input = String::from_utf8_lossy(data);
    let event = w.expand(&input);
    // As the Lambda runtime does: the event is deserialized before the handler sees it.
    let Ok(parsed) = serde_json::from_str::<AuthorizerEvent>(&event.text) else {
        return;
    };
    let authorizer = Authorizer::new(w.verifier(), RouteTable::default());
    let Ok(answer) = w.block_on(authorizer.handle(parsed)) else {
        return;
    };
    assert!(event.ours, "an answer without a token this process signed");
    if let Answer::Policy(policy) = answer {
        for statement in &policy.policy_document.statement {
            if statement.effect == "Allow" {
                assert!(
                    statement.resource.iter().all(|r| !r.contains(['*', '?'])),
                    "a wildcard in an Allow: {statement:?}"
                );
            }
        }
    }
});
