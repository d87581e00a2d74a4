//! The stand-in's cookies: reading one from a request, and setting one on
//! its own pages (HttpOnly, SameSite=Lax). It uses nothing of the crate; the
//! hosted login, logout and the app page use it.

use axum::http::{HeaderMap, HeaderValue, header};

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value for the stand-in's own pages (`max_age` 0 deletes it).
pub fn set_cookie(name: &str, value: &str, max_age: u64) -> HeaderValue {
    let text = format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}
