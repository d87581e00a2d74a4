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
    // Bytes, not `to_str()`: the token check below already admits only ASCII, in one pass.
    let value = value.as_bytes().trim_ascii();
    if value.is_empty() {
        return Err(BearerError::Malformed("the Authorization header is empty"));
    }
    let (scheme, rest) = match value.iter().position(|b| is_space(*b)) {
        Some(at) => value.split_at(at),
        None => (value, &[][..]),
    };
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Err(BearerError::Malformed(
            "only the Bearer scheme is accepted: Authorization: Bearer <token>",
        ));
    }
    let token = rest.trim_ascii_start();
    if token.is_empty() {
        return Err(BearerError::Malformed(
            "the Bearer scheme is given without a token",
        ));
    }
    if !is_b64token(token) {
        return Err(BearerError::Malformed(
            if token.iter().any(|b| is_space(*b)) {
                "the Authorization header carries more than one token"
            } else {
                "the token has characters a bearer token cannot have"
            },
        ));
    }
    std::str::from_utf8(token)
        .map_err(|_| BearerError::Malformed("the token has characters a bearer token cannot have"))
}

fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// One byte of a `b64token` body: `ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/"`.
/// Branch-free, so the check over a whole token compiles to vector code.
fn is_b64token_byte(b: u8) -> bool {
    let folded = b | 0x20; // ASCII upper case to lower case; no other byte lands in a..=z
    (folded.wrapping_sub(b'a') < 26)
        | (b.wrapping_sub(b'0') < 10)
        | (b == b'-')
        | (b == b'.')
        | (b == b'_')
        | (b == b'~')
        | (b == b'+')
        | (b == b'/')
}

/// RFC 6750 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(token: &[u8]) -> bool {
    let Some(last) = token.iter().rposition(|b| *b != b'=') else {
        return false;
    };
    token[..=last]
        .iter()
        .fold(true, |ok, b| ok & is_b64token_byte(*b))
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
    fn the_byte_check_is_exactly_the_b64token_alphabet() {
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";
        for b in 0..=u8::MAX {
            let expected = alphabet.as_bytes().contains(&b);
            assert_eq!(is_b64token_byte(b), expected, "byte {b}");
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
