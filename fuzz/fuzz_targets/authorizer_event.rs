//! The authorizer's handler on any event JSON: REST `TOKEN` and `REQUEST`, HTTP API 2.0.
//!
//! Beyond "no panic": an answer (Allow or not) needs a token this process
//! signed, and every Allow is a route of the (shipped) store on the called
//! API and stage, whose parts hold no IAM wildcard.
#![no_main]

use authorizer::Authorizer;
use authorizer::event::AuthorizerEvent;
use authorizer::policies::Store;
use authorizer::response::Answer;
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
    let authorizer = Authorizer::new(w.verifier(), Store::shipped().expect("the shipped store"));
    let Ok(answer) = w.block_on(authorizer.handle(parsed)) else {
        return;
    };
    assert!(event.ours, "an answer without a token this process signed");
    if let Answer::Policy(policy) = answer {
        for statement in &policy.policy_document.statement {
            if statement.effect == "Allow" {
                // The shipped store's routes are literal: no pattern, no wildcard.
                assert!(
                    statement.resource.iter().all(|r| !r.contains(['*', '?'])),
                    "a wildcard in an Allow: {statement:?}"
                );
                let routes = authorizer.store().routes.all();
                assert!(
                    statement.resource.iter().all(|r| routes
                        .iter()
                        .any(|route| r.ends_with(&format!("/{}", route.glob())))),
                    "an Allow of no route of the store: {statement:?}"
                );
            }
        }
    }
});
