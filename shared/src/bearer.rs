//! The one reader of `Authorization: Bearer <token>` (RFC 6750 §2.1), used by
//! the authorizer, me-claims and the local stack alike, so a header one of
//! them refuses is refused by all.
//!
//! Grammar: `credentials = "Bearer" 1*( SP / HTAB ) b64token`, the scheme in any
//! case, blanks around the whole value ignored (HTTP strips them anyway), and
//! `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
//! A request carries one `Authorization` header.
//!
//! It uses nothing else of the crate; the functions and the
//! local stack use it.

/// Why a request gave no usable bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerError {
    /// No `Authorization` header: the client did not try to authenticate.
    Missing,
    /// A header is there but is not one `Bearer` credential (the reason says why).
    Malformed(&'static str),
}

/// The token of one `Authorization` header value.
///
/// # Errors
/// [`BearerError::Malformed`] for anything but the `Bearer` scheme and one `b64token`.
pub fn bearer_token(value: &str) -> Result<&str, BearerError> {
    let malformed = |why| Err(BearerError::Malformed(why));
    let value = value.trim_matches(is_blank);
    if value.is_empty() {
        return malformed("the Authorization header is empty");
    }
    let (scheme, token) = match value.find(is_blank) {
        Some(at) => (&value[..at], value[at..].trim_start_matches(is_blank)),
        None => (value, ""),
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return malformed("only the Bearer scheme is accepted: Authorization: Bearer <token>");
    }
    if token.is_empty() {
        return malformed("the Bearer scheme is given without a token");
    }
    if !is_b64token(token) {
        return malformed(if token.contains(is_blank) {
            "the Authorization header carries more than one token"
        } else {
            "the token has characters a bearer token cannot have"
        });
    }
    Ok(token)
}

/// The token of a request's `Authorization` headers, given as raw values.
///
/// # Errors
/// [`BearerError::Missing`] without a header; [`BearerError::Malformed`] for
/// two headers, a value that is not text, or one [`bearer_token`] refuses.
pub fn from_headers<'a>(
    values: impl IntoIterator<Item = &'a [u8]>,
) -> Result<&'a str, BearerError> {
    let mut values = values.into_iter();
    let Some(value) = values.next() else {
        return Err(BearerError::Missing);
    };
    if values.next().is_some() {
        return Err(BearerError::Malformed("the request has more than one Authorization header"));
    }
    let text = std::str::from_utf8(value).map_err(|_| {
        BearerError::Malformed("the token has characters a bearer token cannot have")
    })?;
    bearer_token(text)
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty() && body.bytes().all(|b| B64TOKEN[usize::from(b)])
}

/// The `b64token` alphabet, one flag per byte value: a table, so a 1 KiB token
/// is checked without a branch per character.
const B64TOKEN: [bool; 256] = {
    let mut table = [false; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";
    let mut i = 0;
    while i < alphabet.len() {
        table[alphabet[i] as usize] = true;
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_token_of_each_value_or_says_why_not() {
        // Every character class of b64token, then padding.
        let token = "a.b-c_d~e+f/g0Z9";
        for (value, want) in crate::testing::bearer_cases(token) {
            match (bearer_token(&value), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{value:?}"),
                (Err(BearerError::Malformed(reason)), Err(why)) => {
                    assert!(reason.contains(why), "{value:?}: {reason}, not {why}");
                }
                (got, want) => panic!("{value:?} gave {got:?}, not {want:?}"),
            }
        }
    }

    #[test]
    fn the_alphabet_is_exactly_b64token() {
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";
        for c in (0u8..=127).map(char::from) {
            let token = format!("Bearer x{c}");
            let accepted = bearer_token(&token).is_ok();
            // A trailing blank is trimmed, and `=` may end a token.
            let expected = alphabet.contains(c) || c == '=' || c == ' ' || c == '\t';
            assert_eq!(accepted, expected, "{c:?}");
        }
    }

    #[test]
    fn one_header_only_and_none_is_missing() {
        assert_eq!(from_headers([]), Err(BearerError::Missing));
        assert_eq!(from_headers([&b"Bearer t"[..]]), Ok("t"));
        assert!(matches!(
            from_headers([&b"Bearer t"[..], &b"Bearer t"[..]]),
            Err(BearerError::Malformed(why)) if why.contains("more than one Authorization header")
        ));
        assert!(matches!(from_headers([&b"Bearer \xff"[..]]), Err(BearerError::Malformed(_))));
    }
}
