//! Reading the raw authorizer event: which kind it is, the bearer token, the called route's ARN.

use serde_json::{Map, Value};

/// The three event shapes API Gateway sends a Lambda authorizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// REST API, `TOKEN` authorizer: `authorizationToken` and `methodArn`.
    RestToken,
    /// REST API (or HTTP API payload 1.0), `REQUEST` authorizer: `headers` and `methodArn`.
    RestRequest,
    /// HTTP API payload 2.0: `identitySource`, `headers` and `routeArn`; simple response.
    HttpV2,
}

impl EventKind {
    /// A short name for logs.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RestToken => "rest_token",
            Self::RestRequest => "rest_request",
            Self::HttpV2 => "http_v2",
        }
    }
}

/// What the handler needs from an event.
#[derive(Debug)]
pub struct Call<'e> {
    /// The event shape.
    pub kind: EventKind,
    /// The bearer token, or why there is none.
    pub token: Result<&'e str, &'static str>,
    /// The ARN of the called route (`methodArn` or `routeArn`); empty when absent.
    pub arn: &'e str,
}

/// Tells the event kind apart and extracts token and ARN.
///
/// # Errors
/// When the event is none of the three shapes (a deployment mistake, not a client one).
pub fn read(event: &Value) -> Result<Call<'_>, &'static str> {
    let obj = event.as_object().ok_or("the event is not a JSON object")?;
    let text = |name: &str| obj.get(name).and_then(Value::as_str);
    if text("version") == Some("2.0") {
        return Ok(Call {
            kind: EventKind::HttpV2,
            token: http_v2_header(obj).and_then(bearer),
            arn: text("routeArn").unwrap_or(""),
        });
    }
    let arn = text("methodArn").unwrap_or("");
    match text("type") {
        Some("TOKEN") => Ok(Call {
            kind: EventKind::RestToken,
            token: text("authorizationToken")
                .ok_or("no authorizationToken")
                .and_then(bearer),
            arn,
        }),
        Some("REQUEST") => Ok(Call {
            kind: EventKind::RestRequest,
            token: rest_request_header(obj).and_then(bearer),
            arn,
        }),
        _ => Err("not a TOKEN, REQUEST or payload 2.0 authorizer event"),
    }
}

/// The one `Authorization` header of a REST `REQUEST` event, in any case.
///
/// Two differing values (two spellings in `headers`, or several entries in
/// `multiValueHeaders`) are refused: which one would API Gateway have cached?
fn rest_request_header(event: &Map<String, Value>) -> Result<&str, &'static str> {
    if let Some(Value::Object(multi)) = event.get("multiValueHeaders") {
        let mut values = authorization_entries(multi).flat_map(|v| match v {
            Value::Array(items) => items.iter().collect::<Vec<_>>(),
            other => vec![other],
        });
        if let (Some(_), Some(_)) = (values.next(), values.next()) {
            return Err("more than one Authorization header");
        }
    }
    single_header(event.get("headers"))
}

/// The `Authorization` header of a payload 2.0 event, else its only identity source.
fn http_v2_header(event: &Map<String, Value>) -> Result<&str, &'static str> {
    match single_header(event.get("headers")) {
        Err("no Authorization header") => match event.get("identitySource") {
            Some(Value::Array(items)) if items.len() == 1 => items
                .first()
                .and_then(Value::as_str)
                .ok_or("identitySource is not a string"),
            Some(Value::Array(items)) if items.len() > 1 => {
                Err("several identity sources and no Authorization header")
            }
            _ => Err("no Authorization header"),
        },
        other => other,
    }
}

fn single_header(headers: Option<&Value>) -> Result<&str, &'static str> {
    let Some(Value::Object(headers)) = headers else {
        return Err("no Authorization header");
    };
    let mut found: Option<&str> = None;
    for value in authorization_entries(headers) {
        let value = value
            .as_str()
            .ok_or("the Authorization header is not a string")?;
        match found {
            Some(seen) if seen != value => return Err("more than one Authorization header"),
            _ => found = Some(value),
        }
    }
    found.ok_or("no Authorization header")
}

fn authorization_entries(headers: &Map<String, Value>) -> impl Iterator<Item = &Value> {
    headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .map(|(_, value)| value)
}

/// The token of an `Authorization: Bearer <token>` value.
///
/// The scheme is case-insensitive and blanks around the parts are tolerated;
/// anything but exactly the scheme and one token is refused.
///
/// # Errors
/// Why the value is not a single bearer token.
pub fn bearer(value: &str) -> Result<&str, &'static str> {
    let value = value.trim_ascii();
    let (scheme, token) = match value.find(|c: char| c.is_ascii_whitespace()) {
        Some(i) => (&value[..i], value[i..].trim_ascii_start()),
        None => (value, ""),
    };
    if scheme.is_empty() {
        return Err("the Authorization value is empty");
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err("the scheme is not Bearer");
    }
    if token.is_empty() {
        return Err("Bearer without a token");
    }
    // A fold, not `any`: no early exit, so the scan over a 1 KiB token vectorizes.
    let blanks = token
        .bytes()
        .fold(false, |seen, b| seen | b.is_ascii_whitespace());
    if blanks {
        return Err("more than one token after Bearer");
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bearer_table() {
        let cases = [
            ("Bearer abc", Ok("abc")),
            ("bearer abc", Ok("abc")),
            ("BEARER abc", Ok("abc")),
            ("  Bearer   abc \t", Ok("abc")),
            ("Bearer a.b.c", Ok("a.b.c")),
            ("", Err("the Authorization value is empty")),
            ("   ", Err("the Authorization value is empty")),
            ("abc", Err("the scheme is not Bearer")),
            ("a.b.c", Err("the scheme is not Bearer")),
            ("Basic dXNlcjpwYXNz", Err("the scheme is not Bearer")),
            ("Bearerabc", Err("the scheme is not Bearer")),
            ("Token abc", Err("the scheme is not Bearer")),
            ("Bearer", Err("Bearer without a token")),
            ("Bearer   ", Err("Bearer without a token")),
            ("Bearer a b", Err("more than one token after Bearer")),
            (
                "Bearer a, Bearer b",
                Err("more than one token after Bearer"),
            ),
            ("Bearer Bearer a", Err("more than one token after Bearer")),
        ];
        for (value, want) in cases {
            assert_eq!(bearer(value), want, "{value:?}");
        }
    }

    #[test]
    fn tells_the_event_kinds_apart() {
        let token = json!({"type": "TOKEN", "authorizationToken": "Bearer t1", "methodArn": "a1"});
        let request = json!({"type": "REQUEST", "methodArn": "a2", "headers": {"authorization": "Bearer t2"}});
        let v2 = json!({"version": "2.0", "type": "REQUEST", "routeArn": "a3",
                        "identitySource": ["Bearer t3"], "headers": {}});
        for (event, kind, tok, arn) in [
            (&token, EventKind::RestToken, "t1", "a1"),
            (&request, EventKind::RestRequest, "t2", "a2"),
            (&v2, EventKind::HttpV2, "t3", "a3"),
        ] {
            let call = read(event).map_err(|e| e.to_owned());
            let call = call.as_ref().map(|c| (c.kind, c.token, c.arn));
            assert_eq!(call, Ok((kind, Ok(tok), arn)), "{event}");
        }
        for bad in [
            json!(null),
            json!([]),
            json!("TOKEN"),
            json!({}),
            json!({"type": "token", "authorizationToken": "Bearer t"}),
            json!({"version": "1.0", "type": "OTHER"}),
        ] {
            assert!(read(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn request_headers_must_name_one_token() {
        let token = |event: Value| read(&event).map(|c| c.token.map(str::to_owned));
        let ok = |t: &str| Ok(Ok(t.to_owned()));
        let err = |e: &'static str| Ok(Err(e));
        let req = |headers: Value, multi: Value| json!({"type": "REQUEST", "methodArn": "x", "headers": headers, "multiValueHeaders": multi});
        assert_eq!(
            token(req(json!({"AUTHORIZATION": "Bearer t"}), json!(null))),
            ok("t")
        );
        assert_eq!(
            token(req(
                json!({"Authorization": "Bearer t"}),
                json!({"Authorization": ["Bearer t"]})
            )),
            ok("t")
        );
        assert_eq!(
            token(req(
                json!({"Authorization": "Bearer t", "authorization": "Bearer t"}),
                json!(null)
            )),
            ok("t")
        );
        assert_eq!(
            token(req(
                json!({"Authorization": "Bearer a", "authorization": "Bearer b"}),
                json!(null)
            )),
            err("more than one Authorization header")
        );
        assert_eq!(
            token(req(
                json!({"Authorization": "Bearer b"}),
                json!({"Authorization": ["Bearer a", "Bearer b"]})
            )),
            err("more than one Authorization header")
        );
        assert_eq!(
            token(req(json!({"Host": "x"}), json!(null))),
            err("no Authorization header")
        );
        assert_eq!(
            token(req(json!(null), json!(null))),
            err("no Authorization header")
        );
        assert_eq!(
            token(req(json!({"Authorization": 7}), json!(null))),
            err("the Authorization header is not a string")
        );
    }

    #[test]
    fn http_v2_prefers_the_header_then_a_single_identity_source() {
        let token = |event: Value| read(&event).map(|c| c.token.map(str::to_owned));
        let v2 = |headers: Value, ids: Value| json!({"version": "2.0", "routeArn": "x", "headers": headers, "identitySource": ids});
        assert_eq!(
            token(v2(
                json!({"authorization": "Bearer h"}),
                json!(["Bearer h", "GET /dogs"])
            )),
            Ok(Ok("h".to_owned()))
        );
        assert_eq!(
            token(v2(json!({}), json!(["Bearer i"]))),
            Ok(Ok("i".to_owned()))
        );
        assert_eq!(
            token(v2(json!({}), json!(["Bearer i", "x"]))),
            Ok(Err("several identity sources and no Authorization header"))
        );
        assert_eq!(
            token(v2(json!(null), json!(null))),
            Ok(Err("no Authorization header"))
        );
        assert_eq!(
            token(v2(json!(null), json!([5]))),
            Ok(Err("identitySource is not a string"))
        );
    }
}
