//! The bearer token from the `Authorization` header (RFC 6750 §2.1).
//!
//! Strict on shape, lenient on spacing: the scheme is case-insensitive and
//! surrounding or repeated spaces are tolerated, but the header must carry the
//! `Bearer` scheme and exactly one token made of `b64token` characters.

use lambda_http::http::HeaderMap;
use lambda_http::http::header::AUTHORIZATION;

/// Why the request gave no usable bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerError {
    /// No `Authorization` header: the client did not try to authenticate (401, no error code).
    Missing,
    /// The header is there but is not `Authorization: Bearer <token>` (400 `invalid_request`).
    Malformed(&'static str),
}

/// The token of the request's `Authorization: Bearer <token>` header.
///
/// # Errors
/// [`BearerError::Missing`] without the header, [`BearerError::Malformed`] for
/// anything other than one `Bearer` credential with one well-formed token.
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, BearerError> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(BearerError::Missing);
    };
    if values.next().is_some() {
        return Err(BearerError::Malformed(
            "the request has more than one Authorization header",
        ));
    }
    let value = value
        .to_str()
        .map_err(|_| BearerError::Malformed("the Authorization header is not printable ASCII"))?
        .trim_matches([' ', '\t']);
    if value.is_empty() {
        return Err(BearerError::Malformed("the Authorization header is empty"));
    }
    let (scheme, rest) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(BearerError::Malformed(
            "only the Bearer scheme is accepted: Authorization: Bearer <token>",
        ));
    }
    let token = rest.trim_start_matches([' ', '\t']);
    if token.is_empty() {
        return Err(BearerError::Malformed(
            "the Bearer scheme is given without a token",
        ));
    }
    if is_b64token(token) {
        Ok(token)
    } else if token.contains([' ', '\t']) {
        Err(BearerError::Malformed(
            "the Authorization header carries more than one token",
        ))
    } else {
        Err(BearerError::Malformed(
            "the token has characters a bearer token cannot have",
        ))
    }
}

/// The bytes of a `b64token` body, as a table: this runs over every byte of every token.
const B64TOKEN_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < table.len() {
        let b = i as u8;
        table[i] =
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
        i += 1;
    }
    table
};

/// RFC 6750 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty() && body.bytes().all(|b| B64TOKEN_BYTES[usize::from(b)])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use lambda_http::http::HeaderValue;

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(AUTHORIZATION, HeaderValue::from_bytes(v).unwrap());
        }
        map
    }

    #[test]
    fn reads_one_bearer_token() {
        let cases: &[(&[u8], &str)] = &[
            (b"Bearer a.b.c", "a.b.c"),
            (b"bearer a.b.c", "a.b.c"),
            (b"BEARER a.b.c", "a.b.c"),
            (b"  Bearer   a.b-c_d~e+f/g==  ", "a.b-c_d~e+f/g=="),
            (b"Bearer\ta.b.c", "a.b.c"),
        ];
        for (value, want) in cases {
            let map = headers(&[value]);
            assert_eq!(bearer_token(&map), Ok(*want), "{value:?}");
        }
    }

    #[test]
    fn no_header_is_missing_not_malformed() {
        assert_eq!(bearer_token(&HeaderMap::new()), Err(BearerError::Missing));
    }

    #[test]
    fn rejects_every_other_shape() {
        let cases: &[&[u8]] = &[
            b"",
            b"   ",
            b"Basic dXNlcjpwYXNz",
            b"Bearer",
            b"Bearer   ",
            b"Bearer a.b.c d.e.f",
            b"Bearer a.b.c,Bearer d.e.f",
            b"Bearer \"a.b.c\"",
            b"Bearer ===",
            b"Bearer a=b",
            b"Bearera.b.c",
            b"Token a.b.c",
            b"a.b.c",
            b"Bearer a.b.\xc3\xa9",
        ];
        for value in cases {
            let map = headers(&[value]);
            assert!(
                matches!(bearer_token(&map), Err(BearerError::Malformed(_))),
                "{value:?} was accepted"
            );
        }
    }

    #[test]
    fn the_table_is_exactly_the_b64token_alphabet() {
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";
        for b in 0..=u8::MAX {
            let expected = alphabet.as_bytes().contains(&b);
            assert_eq!(B64TOKEN_BYTES[usize::from(b)], expected, "byte {b}");
        }
    }

    #[test]
    fn rejects_two_authorization_headers() {
        let map = headers(&[b"Bearer a.b.c", b"Bearer a.b.c"]);
        assert!(matches!(
            bearer_token(&map),
            Err(BearerError::Malformed(why)) if why.contains("more than one")
        ));
    }
}
