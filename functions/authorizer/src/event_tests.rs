//! Unit tests of event reading and bearer parsing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use serde_json::{Value, json};

type Read = Result<(EventKind, Result<String, &'static str>, String), &'static str>;

/// Reads an event both ways the authorizer does (from a JSON value and from bytes) and checks they agree.
fn read(event: &Value) -> Read {
    let from_value = AuthorizerEvent::deserialize(event).map_err(|_| "not a JSON object")?;
    let from_bytes: AuthorizerEvent = serde_json::from_slice(event.to_string().as_bytes()).unwrap();
    let own = |c: Call<'_>| (c.kind, c.token.map(str::to_owned), c.arn.to_owned());
    let got = from_value.call().map(own);
    assert_eq!(got, from_bytes.call().map(own), "{event}");
    got
}

fn token(event: &Value) -> Result<String, &'static str> {
    read(event).unwrap().1
}

#[test]
fn bearer_table() {
    // The grammar is claimsgate-core's, its table shared; this checks the authorizer reads its answers.
    for (value, want) in claimsgate_core::testing::bearer_cases("aaa.bbb.ccc") {
        match (bearer(&value), want) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{value:?}"),
            (Err(got), Err(want)) => assert!(got.contains(want), "{value:?}: {got}"),
            (got, want) => panic!("{value:?}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn tells_the_event_kinds_apart() {
    let token_event =
        json!({"type": "TOKEN", "authorizationToken": "Bearer t1", "methodArn": "a1"});
    let request =
        json!({"type": "REQUEST", "methodArn": "a2", "headers": {"authorization": "Bearer t2"}});
    let v2 = json!({"version": "2.0", "type": "REQUEST", "routeArn": "a3",
                    "identitySource": ["Bearer t3"], "headers": {}});
    for (event, kind, tok, arn) in [
        (&token_event, EventKind::RestToken, "t1", "a1"),
        (&request, EventKind::RestRequest, "t2", "a2"),
        (&v2, EventKind::HttpV2, "t3", "a3"),
    ] {
        assert_eq!(read(event), Ok((kind, Ok(tok.to_owned()), arn.to_owned())), "{event}");
    }
    for bad in [
        json!({}),
        json!({"type": "token", "authorizationToken": "Bearer t"}),
        json!({"type": 7, "authorizationToken": "Bearer t"}),
        json!({"version": "1.0", "type": "OTHER"}),
    ] {
        assert!(read(&bad).is_err(), "{bad}");
    }
    for not_object in [json!(null), json!([]), json!("TOKEN"), json!(42)] {
        // serde reads a struct from an empty array too; either way it is no event.
        let event = AuthorizerEvent::deserialize(&not_object);
        assert!(event.is_err() || event.is_ok_and(|e| e.call().is_err()), "{not_object}");
    }
}

#[test]
fn odd_field_types_read_as_absent() {
    let ev = json!({"type": "TOKEN", "authorizationToken": {"a": [1, 2]}, "methodArn": 5});
    assert_eq!(read(&ev), Ok((EventKind::RestToken, Err("no authorizationToken"), String::new())));
    let ev = json!({"type": "REQUEST", "methodArn": ["x"], "headers": "Bearer t",
                    "multiValueHeaders": 3});
    assert_eq!(token(&ev), Err("no Authorization header"));
}

#[test]
fn request_headers_must_name_one_token() {
    let req = |headers: Value, multi: Value| {
        json!({"type": "REQUEST", "methodArn": "x", "headers": headers, "multiValueHeaders": multi,
               "queryStringParameters": {"authorization": "Bearer q"}})
    };
    let ok = |t: &str| Ok(t.to_owned());
    assert_eq!(token(&req(json!({"AUTHORIZATION": "Bearer t"}), json!(null))), ok("t"));
    assert_eq!(
        token(&req(json!({"Authorization": "Bearer t"}), json!({"Authorization": ["Bearer t"]}))),
        ok("t")
    );
    assert_eq!(
        token(&req(json!({"Authorization": "Bearer t", "authorization": "Bearer t"}), json!(null))),
        ok("t")
    );
    assert_eq!(
        token(&req(json!({"Authorization": "Bearer a", "authorization": "Bearer b"}), json!(null))),
        Err("more than one Authorization header")
    );
    assert_eq!(
        token(&req(
            json!({"Authorization": "Bearer b"}),
            json!({"Authorization": ["Bearer a", "Bearer b"]})
        )),
        Err("more than one Authorization header")
    );
    assert_eq!(token(&req(json!({"Host": "x"}), json!(null))), Err("no Authorization header"));
    assert_eq!(token(&req(json!(null), json!(null))), Err("no Authorization header"));
    for not_text in [json!(7), json!(null), json!(["Bearer t"]), json!({"v": "Bearer t"})] {
        assert_eq!(
            token(&req(json!({"Authorization": not_text}), json!(null))),
            Err("the Authorization header is not a string"),
            "{not_text}"
        );
    }
}

#[test]
fn http_v2_prefers_the_header_then_a_single_identity_source() {
    let v2 = |headers: Value, ids: Value| json!({"version": "2.0", "routeArn": "x", "headers": headers, "identitySource": ids});
    assert_eq!(
        token(&v2(json!({"authorization": "Bearer h"}), json!(["Bearer h", "GET /dogs"]))),
        Ok("h".to_owned())
    );
    assert_eq!(token(&v2(json!({}), json!(["Bearer i"]))), Ok("i".to_owned()));
    assert_eq!(
        token(&v2(json!({}), json!(["Bearer i", "x"]))),
        Err("several identity sources and no Authorization header")
    );
    assert_eq!(token(&v2(json!(null), json!(null))), Err("no Authorization header"));
    assert_eq!(token(&v2(json!(null), json!([]))), Err("no Authorization header"));
    assert_eq!(token(&v2(json!(null), json!("Bearer s"))), Err("no Authorization header"));
    assert_eq!(token(&v2(json!(null), json!([5]))), Err("identitySource is not a string"));
}

#[test]
fn escaped_json_strings_are_unescaped() {
    let bytes = br#"{"type":"TOKEN","authorizationToken":"Bearer a\u002eb","methodArn":"m\/n"}"#;
    let ev: AuthorizerEvent = serde_json::from_slice(bytes).unwrap();
    let call = ev.call().unwrap();
    assert_eq!((call.token, call.arn), (Ok("a.b"), "m/n"));
}
