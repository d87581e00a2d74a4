//! A token's claims and a request, through a policy store of every kind of
//! route and policy (examples/policies/pets-api): no input panics; the
//! decisions are what Cedar decides with the policies as written, asked route
//! by route; and the IAM patterns allow exactly the allowed routes' patterns.
//!
//! Input: the request line (`GET /pets/7`), a newline, then the token's
//! payload (JSON, read by the verifier's strict parser). The signature is not
//! what is fuzzed here: the payload is taken as verified.
#![no_main]

use std::collections::HashSet;
use std::str::FromStr;
use std::sync::OnceLock;

use authorizer::policies::principal::inputs;
use authorizer::policies::{Source, Store};
use cedar_policy::{Authorizer, Decision, Entities, PolicySet, Request};
use claimsgate_core::{Claims, TokenHeader, TokenUse, VerifiedToken};
use libfuzzer_sys::fuzz_target;

/// The store, and its policies as written (each file as one set).
fn store() -> &'static (Store, PolicySet) {
    static STORE: OnceLock<(Store, PolicySet)> = OnceLock::new();
    STORE.get_or_init(|| {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/policies/pets-api");
        let source = Source::read(&dir).expect("the example store reads");
        let text: Vec<String> = source.policies.iter().map(|f| f.text.clone()).collect();
        let written = PolicySet::from_str(&text.join("\n")).expect("the example policies parse");
        (Store::load(source).expect("the example store loads"), written)
    })
}

fuzz_target!(|data: &[u8]| {
    let (store, written) = store();
    let text = String::from_utf8_lossy(data);
    let (request, payload) = text.split_once('\n').unwrap_or((&text, "{}"));
    let Ok(claims) = Claims::from_json(payload.as_bytes()) else {
        return;
    };
    let token_use = claims.token_use().unwrap_or(TokenUse::Id);
    let token =
        VerifiedToken { header: TokenHeader { alg: "RS256", kid: "k".into() }, token_use, claims };
    let decisions = store.decide(&token);
    let allowed = decisions.all();
    if let Some((method, path)) = request.split_once(' ') {
        let route = store.routes.select(method, path);
        if let Some(r) = route {
            assert_eq!(decisions.allowed(r), allowed[r]);
            let _ = store.routes.all()[r].parameters(path);
        }
    }

    // Cedar itself, route by route, on the same principal and context.
    if decisions.refused().is_none() {
        let mapped = inputs(&store.shape, &store.names, &store.uses, &token)
            .expect("mapped once, maps again");
        let entities = Entities::from_entities([mapped.entity], None).expect("a valid entity");
        for (i, action) in store.actions.iter().enumerate() {
            let request = Request::new(
                mapped.principal.clone(),
                action.clone(),
                store.names.resource.clone(),
                mapped.context.clone(),
                None,
            )
            .expect("a request");
            let response = Authorizer::new().is_authorized(&request, written, &entities);
            // Stricter than Cedar: a forbid that fails to evaluate denies.
            let failed_forbid = response.diagnostics().errors().next().is_some();
            let cedar = response.decision() == Decision::Allow;
            assert!(
                allowed[i] == cedar || (!allowed[i] && failed_forbid),
                "route {}: authorizer {} but Cedar {cedar}",
                store.routes.all()[i].id(),
                allowed[i]
            );
        }
    } else {
        assert!(allowed.iter().all(|a| !a), "a refused request allows a route");
    }

    let patterns = store.patterns(&allowed);
    let allow: HashSet<&String> = patterns.allow.iter().collect();
    for (route, &yes) in store.routes.all().iter().zip(&allowed) {
        let glob = route.glob();
        assert_eq!(
            allow.contains(&glob),
            yes || store.routes.all().iter().zip(&allowed).any(|(r, &a)| a && r.glob() == glob)
        );
    }
});
