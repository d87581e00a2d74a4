//! Configuration read at cold start: a bad value names its variable.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use me_claims::App;

fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> =
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    move |name| map.get(name).cloned()
}

const POOL: (&str, &str) = ("COGNITO_USER_POOL_ID", "us-east-1_AbC123");
const CLIENTS: (&str, &str) = ("COGNITO_CLIENT_IDS", "client-a,client-b");

#[test]
fn builds_from_the_documented_variables() {
    assert!(App::from_lookup(lookup(&[POOL, CLIENTS])).is_ok());
    assert!(
        App::from_lookup(lookup(&[
            ("TOKEN_ISSUERS", "http://127.0.0.1:9229/local_pool"),
            CLIENTS,
            ("CORS_ALLOW_ORIGINS", "http://localhost:5173, https://app.example.com"),
        ]))
        .is_ok()
    );
}

#[test]
fn a_bad_value_names_its_variable() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[CLIENTS], "COGNITO_USER_POOL_ID"),
        (&[POOL], "COGNITO_CLIENT_IDS"),
        (&[POOL, CLIENTS, ("TOKEN_USE", "refresh")], "TOKEN_USE"),
        (&[POOL, CLIENTS, ("CORS_ALLOW_ORIGINS", "app.example.com")], "CORS_ALLOW_ORIGINS"),
        (
            &[POOL, CLIENTS, ("CORS_ALLOW_ORIGINS", "https://app.example.com/login")],
            "CORS_ALLOW_ORIGINS",
        ),
    ];
    for (pairs, var) in cases {
        let error = App::from_lookup(lookup(pairs)).unwrap_err();
        assert_eq!(error.var, *var);
        assert!(error.to_string().starts_with(&format!("{var}: ")), "{error}");
    }
}
