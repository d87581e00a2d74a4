//! The hosted UI's HTML: a plain login form and an error page. Everything echoed is escaped.
//! It uses nothing of the crate; the login, logout and app pages use it.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Escapes text for HTML element content and quoted attribute values.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// The stand-in's pages: no script, no fetch, no frames, inline style only.
/// No `form-action`: browsers apply it to the redirect after the post, which goes to the app's callback.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/// The local app's page: [`CSP`] plus its own script file and calls to its own server.
pub const APP_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

/// An HTML page under the content security policy `csp`, never cached, never framed.
#[must_use]
pub fn html_with(status: StatusCode, csp: &'static str, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::CONTENT_SECURITY_POLICY, csp),
        ],
        body,
    )
        .into_response()
}

fn html(status: StatusCode, body: String) -> Response {
    html_with(status, CSP, body)
}

const STYLE: &str = "body{font-family:sans-serif;max-width:22rem;margin:4rem auto}\
label,input,button{display:block;width:100%;margin:.4rem 0}.error{color:#b00020}";

/// An error page (never a redirect).
#[must_use]
pub fn error(status: StatusCode, message: &str) -> Response {
    html(
        status,
        format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>Error</title><style>{STYLE}</style></head>\
             <body><h1>Something went wrong</h1><p class=\"error\" id=\"error\">{}</p></body></html>",
            escape(message)
        ),
    )
}

/// The sign-in form for app client `client_id` of pool `pool_id`, carrying the
/// authorization request (its `fields`) and the CSRF token in hidden fields.
#[must_use]
pub fn login(
    (client_id, pool_id): (&str, &str),
    fields: &[(&str, &str)],
    csrf: &str,
    username: &str,
    error: Option<&str>,
) -> Response {
    let hidden: String = fields
        .iter()
        .copied()
        .chain(std::iter::once(("_csrf", csrf)))
        .map(|(name, value)| {
            format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape(value))
        })
        .collect();
    let error = error
        .map(|e| format!("<p class=\"error\" id=\"error\">{}</p>", escape(e)))
        .unwrap_or_default();
    html(
        StatusCode::OK,
        format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>Sign in</title><style>{STYLE}</style></head>\
             <body><h1>Sign in</h1><p id=\"signing-in-to\">to app client <code id=\"client-id\">{}</code> \
             of user pool <code id=\"pool-id\">{}</code></p>{error}<form method=\"post\" action=\"/login\" id=\"login\">{hidden}\
             <label for=\"username\">Email</label><input id=\"username\" name=\"username\" type=\"email\" autocomplete=\"username\" value=\"{}\" required>\
             <label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
             <button type=\"submit\" id=\"signin\">Sign in</button></form></body></html>",
            escape(client_id),
            escape(pool_id),
            escape(username)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x")</script>&'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#x27;"
        );
    }
}
