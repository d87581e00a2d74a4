//! Optional CORS for browser callers (`CORS_ALLOW_ORIGINS`).
//!
//! Credentials travel in the `Authorization` header, never in cookies, so the
//! response never sets `Access-Control-Allow-Credentials`, and `*` is safe to
//! configure. An origin that is not listed gets no CORS headers: the browser
//! then withholds the response from the calling page.
//!
//! It uses nothing else of the crate; it is used by the crate root (lib.rs).

use claimsgate_core::ConfigError;
use claimsgate_core::config::list;
use lambda_http::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_METHOD, ALLOW,
    ORIGIN, VARY,
};
use lambda_http::http::{HeaderMap, HeaderValue, StatusCode};
use lambda_http::{Body, Response};

/// The environment variable listing the allowed origins.
pub const CORS_ALLOW_ORIGINS: &str = "CORS_ALLOW_ORIGINS";

/// How long a browser may reuse a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE: &str = "600";

/// The origins allowed to call the endpoint from a browser. Empty means CORS is off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cors {
    origins: Vec<String>,
    any: bool,
}

impl Cors {
    /// Allows `origins` (`*` for any). Entries are trimmed and compared case-insensitively;
    /// a trailing `/` is dropped; empty entries are ignored.
    #[must_use]
    pub fn new(origins: Vec<String>) -> Self {
        let mut cors = Self::default();
        for origin in origins {
            let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
            if origin == "*" {
                cors.any = true;
            } else if !origin.is_empty() {
                cors.origins.push(origin);
            }
        }
        cors
    }

    /// Reads the comma-separated value of `CORS_ALLOW_ORIGINS` (unset or empty: CORS off).
    ///
    /// # Errors
    /// An entry that is neither `*` nor an origin such as `https://app.example.com:8443`.
    pub fn parse(value: Option<&str>) -> Result<Self, ConfigError> {
        let entries = list(value.unwrap_or_default());
        if let Some(bad) = entries.iter().find(|e| !is_origin_or_star(e)) {
            return Err(ConfigError::new(
                CORS_ALLOW_ORIGINS,
                format!(
                    "`{bad}` is not an origin; give `*` or origins like https://app.example.com, comma-separated, without a path"
                ),
            ));
        }
        Ok(Self::new(entries))
    }

    /// True when at least one origin (or `*`) is configured.
    #[must_use]
    pub fn is_enabled(&self) -> bool {
        self.any || !self.origins.is_empty()
    }

    /// The `Access-Control-Allow-Origin` value for this request, if its `Origin` is allowed.
    fn allow_origin(&self, request: &HeaderMap) -> Option<HeaderValue> {
        if self.any {
            return Some(HeaderValue::from_static("*"));
        }
        let origin = request.get(ORIGIN)?;
        let text = origin.to_str().ok()?;
        let listed =
            self.origins.iter().any(|o| o.eq_ignore_ascii_case(text.trim_end_matches('/')));
        listed.then(|| origin.clone())
    }

    /// Adds the CORS headers of an actual (non-preflight) response.
    pub fn decorate(&self, request: &HeaderMap, response: &mut Response<Body>) {
        if !self.is_enabled() {
            return;
        }
        let headers = response.headers_mut();
        if !self.any {
            headers.append(VARY, HeaderValue::from_static("Origin"));
        }
        if let Some(origin) = self.allow_origin(request) {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            // Lets a page read the bearer challenge of a 401.
            headers.insert(
                ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static("WWW-Authenticate"),
            );
        }
    }

    /// The answer to `OPTIONS`: 204, and the CORS grant when the origin is allowed and asks for `GET`.
    #[must_use]
    pub fn preflight(&self, request: &HeaderMap) -> Response<Body> {
        let mut response = Response::new(Body::Empty);
        *response.status_mut() = StatusCode::NO_CONTENT;
        let asks_for_get =
            request.get(ACCESS_CONTROL_REQUEST_METHOD).is_some_and(|m| m.as_bytes() == b"GET");
        let origin = self.allow_origin(request);
        let headers = response.headers_mut();
        headers.insert(ALLOW, HeaderValue::from_static("GET, OPTIONS"));
        headers.insert(
            VARY,
            HeaderValue::from_static(
                "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
            ),
        );
        if let (Some(origin), true) = (origin, asks_for_get) {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET"));
            headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("Authorization"));
            headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(PREFLIGHT_MAX_AGE));
        }
        response
    }
}

/// `*`, or `http(s)://host[:port]` with no path, query, fragment or user info.
fn is_origin_or_star(entry: &str) -> bool {
    if entry == "*" {
        return true;
    }
    let rest = entry.strip_prefix("https://").or_else(|| entry.strip_prefix("http://"));
    let Some(authority) = rest.map(|r| r.strip_suffix('/').unwrap_or(r)) else {
        return false;
    };
    !authority.is_empty()
        && authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn request(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn parses_origins_and_rejects_anything_else() {
        let cors = Cors::parse(Some(" https://App.example.com/ , http://localhost:5173")).unwrap();
        assert_eq!(cors.origins, ["https://app.example.com", "http://localhost:5173"]);
        assert!(Cors::parse(Some("*")).unwrap().any);
        assert!(!Cors::parse(None).unwrap().is_enabled());
        assert!(!Cors::parse(Some(" , ")).unwrap().is_enabled());
        for bad in [
            "example.com",
            "https://example.com/path",
            "https://user@example.com",
            "null",
            "https://",
            "ftp://example.com",
        ] {
            let err = Cors::parse(Some(bad)).unwrap_err();
            assert_eq!(err.var, CORS_ALLOW_ORIGINS, "{bad}");
        }
    }

    #[test]
    fn only_listed_origins_get_a_grant() {
        let cors = Cors::new(vec!["https://app.example.com".into()]);
        let listed = request(&[("origin", "https://APP.example.com")]);
        assert_eq!(
            cors.allow_origin(&listed),
            Some(HeaderValue::from_static("https://APP.example.com"))
        );
        let other = request(&[("origin", "https://app.example.com.evil.io")]);
        assert_eq!(cors.allow_origin(&other), None);
        assert_eq!(cors.allow_origin(&HeaderMap::new()), None);
    }

    #[test]
    fn preflight_grants_get_with_authorization_only_to_listed_origins() {
        let cors = Cors::new(vec!["https://app.example.com".into()]);
        let ok = cors.preflight(&request(&[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "GET"),
        ]));
        assert_eq!(ok.status(), StatusCode::NO_CONTENT);
        assert_eq!(ok.headers()[ACCESS_CONTROL_ALLOW_METHODS], "GET");
        assert_eq!(ok.headers()[ACCESS_CONTROL_ALLOW_HEADERS], "Authorization");

        let post = cors.preflight(&request(&[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "POST"),
        ]));
        assert!(!post.headers().contains_key(ACCESS_CONTROL_ALLOW_ORIGIN));

        let stranger = cors.preflight(&request(&[
            ("origin", "https://evil.example"),
            ("access-control-request-method", "GET"),
        ]));
        assert!(!stranger.headers().contains_key(ACCESS_CONTROL_ALLOW_ORIGIN));
    }
}
