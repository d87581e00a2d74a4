//! The app's HTML, rendered on the server. Every value shown is escaped; the
//! script (`app.js`) only counts down, formats times and writes API answers as text.
//!
//! It uses `app::rule`, `cognito::page`; it is used by `app::page`, `app::site`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use claimsgate_core::rules::PET_CLAIM;
use serde_json::{Map, Value};

use super::rule::Explanation;
use crate::cognito::page::escape;

/// One route of the policy store, as the page offers it: the request it sends
/// (a template's parameters filled with samples) and the id of its button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRoute {
    /// What the button says and the form sends: `GET /dogs`, `POST /pets`, `GET /pets/1`.
    pub request: String,
    /// The method, upper case (`GET` for `any`).
    pub method: String,
    /// The path, parameters filled.
    pub path: String,
    /// The store's route, e.g. `GET /pets/{petId}`.
    pub route: String,
    /// The id of its button and output: `dogs`, `cats`, `me` for the article's, else from the request.
    pub name: String,
}

/// The page's button for each route of the store.
#[must_use]
pub fn page_routes(routes: &authorizer::policies::Routes) -> Vec<PageRoute> {
    use authorizer::policies::route::Segment;
    routes
        .all()
        .iter()
        .map(|route| {
            let method = match route.method() {
                "any" => "GET".to_owned(),
                m => m.to_ascii_uppercase(),
            };
            let mut path: String = route
                .segments()
                .iter()
                .map(|s| match s {
                    Segment::Literal(text) => format!("/{text}"),
                    Segment::Param(_) => "/1".to_owned(),
                    Segment::Greedy(_) => "/a/b".to_owned(),
                })
                .collect();
            if path.is_empty() {
                path.push('/');
            }
            let request = format!("{method} {path}");
            let name = match request.as_str() {
                "GET /dogs" => "dogs".to_owned(),
                "GET /cats" => "cats".to_owned(),
                "GET /me/claims" => "me".to_owned(),
                _ => request
                    .to_ascii_lowercase()
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .collect::<Vec<_>>()
                    .join("-"),
            };
            PageRoute { request, method, path, route: route.to_string(), name }
        })
        .collect()
}

/// Claims that are times (seconds since the epoch): the script adds the date.
const TIMES: &[&str] = &["exp", "iat", "nbf", "auth_time"];

const STYLE: &str = "body{font-family:sans-serif;max-width:64rem;margin:1.5rem auto;padding:0 1rem;color:#222}\
.tokens{display:grid;grid-template-columns:1fr 1fr;gap:0 1rem}@media(max-width:50rem){.tokens{grid-template-columns:1fr}}\
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.5rem}code,pre,td{font-family:monospace}\
.box{border:1px solid #ccc;border-radius:6px;padding:.6rem 1rem;margin:.8rem 0}\
.pet{background:#fff3b0}#pet{font-size:1.3rem}.basis{font-weight:bold}\
table{border-collapse:collapse;margin:.3rem 0}td{border-bottom:1px solid #eee;padding:.15rem .6rem;vertical-align:top;word-break:break-all}\
td:first-child{color:#555;white-space:nowrap;word-break:normal}\
button{font-size:1rem;margin:.2rem .4rem .2rem 0;padding:.3rem .8rem}form{display:inline}\
.result{margin:.3rem 0}.status{font-weight:bold}.ok{color:#0a6b0a}.denied{color:#b00020}\
.expired{color:#b00020;font-weight:bold}pre{background:#f6f6f6;padding:.4rem;margin:.2rem 0;white-space:pre-wrap;word-break:break-all;max-height:9rem;overflow:auto}\
.error{color:#b00020}";

/// A token's header and claims, read without verification: the app received
/// it from the token endpoint itself (OpenID Connect Core 3.1.3.7).
#[derive(Debug, Clone, Default)]
pub struct Decoded {
    /// The JOSE header.
    pub header: Map<String, Value>,
    /// The claims.
    pub claims: Map<String, Value>,
}

impl Decoded {
    /// Decodes a JWT's first two segments; `None` when it is not one.
    #[must_use]
    pub fn of(jwt: &str) -> Option<Self> {
        let mut parts = jwt.split('.');
        let mut segment = || -> Option<Map<String, Value>> {
            let bytes = URL_SAFE_NO_PAD.decode(parts.next()?).ok()?;
            match serde_json::from_slice(&bytes).ok()? {
                Value::Object(map) => Some(map),
                _ => None,
            }
        };
        Some(Self { header: segment()?, claims: segment()? })
    }

    /// A string claim.
    #[must_use]
    pub fn str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// Seconds left before `exp` at `now` (0 once expired); `None` without `exp`.
    #[must_use]
    pub fn expires_in(&self, now: u64) -> Option<u64> {
        let exp = self.claims.get("exp").and_then(Value::as_u64)?;
        Some(exp.saturating_sub(now))
    }
}

/// Who the page signs in to.
#[derive(Debug, Clone, Copy)]
pub struct Client<'a> {
    /// App client id.
    pub client_id: &'a str,
    /// User pool id.
    pub pool_id: &'a str,
    /// The Cognito stand-in (the page's own server).
    pub base_url: &'a str,
    /// The API Gateway stand-in.
    pub api_url: &'a str,
}

/// What the signed-in page shows.
#[derive(Debug)]
pub struct SignedIn<'a> {
    /// Who it signs in to.
    pub client: Client<'a>,
    /// The decoded ID token.
    pub id: &'a Decoded,
    /// The decoded access token.
    pub access: &'a Decoded,
    /// Which rule gave `pet_preference`.
    pub rule: &'a Explanation,
    /// Now, by the stack's clock.
    pub now: u64,
    /// The anti-CSRF token of the session.
    pub csrf: &'a str,
    /// A button for each route of the store.
    pub routes: &'a [PageRoute],
}

fn document(title: &str, head: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{}</title>{head}\
         <style>{STYLE}</style></head><body>{body}</body></html>",
        escape(title)
    )
}

fn client_line(client: &Client<'_>) -> String {
    format!(
        "app client <code id=\"client-id\">{}</code> of user pool <code id=\"pool-id\">{}</code>",
        escape(client.client_id),
        escape(client.pool_id)
    )
}

/// The page of a visitor who is not signed in.
#[must_use]
pub fn signed_out(client: &Client<'_>) -> String {
    let body = format!(
        "<h1>claimsgate: the article's flow, locally</h1>\
         <p id=\"signed-out\">You are not signed in. This page is an app of the local stack: it signs you in to {} \
         through the hosted login page, exchanges the code on its server with the client secret, shows the tokens \
         and calls the API Gateway stand-in with them.</p>\
         <p><a id=\"sign-in\" href=\"{}/app/login\">Sign in</a></p>\
         <p>The seeded users and their passwords are in the stack's banner.</p>",
        client_line(client),
        escape(client.base_url)
    );
    document("claimsgate: sign in", "", &body)
}

/// The page of a signed-in user.
#[must_use]
pub fn signed_in(view: &SignedIn<'_>) -> String {
    let pet = view.id.str(PET_CLAIM);
    let who = view.id.str("email").or_else(|| view.id.str("sub")).unwrap_or("?");
    let buttons: String = view
        .routes
        .iter()
        .map(|r| {
            format!(
                "<button type=\"button\" id=\"call-{name}\" data-route=\"{request}\" data-out=\"{name}\" title=\"{route}\">{request}</button>",
                name = escape(&r.name),
                request = escape(&r.request),
                route = escape(&r.route),
            )
        })
        .collect();
    let results: String = view
        .routes
        .iter()
        .map(|r| {
            format!(
                "<div class=\"result\">{request} \u{2192} <span class=\"status\" id=\"status-{name}\"></span>\
                 <pre id=\"body-{name}\" hidden></pre></div>",
                name = escape(&r.name),
                request = escape(&r.request),
            )
        })
        .collect();
    let csrf = escape(view.csrf);
    let body = format!(
        "<h1>claimsgate: the article's flow, locally</h1>\
         <p>Signed in as <strong id=\"user\">{who}</strong> to {client}.</p><div>\
         <form method=\"post\" action=\"/app/refresh\"><input type=\"hidden\" name=\"_csrf\" value=\"{csrf}\">\
         <button type=\"submit\" id=\"refresh\">Refresh tokens</button></form>\
         <form method=\"post\" action=\"/app/logout\"><input type=\"hidden\" name=\"_csrf\" value=\"{csrf}\">\
         <button type=\"submit\" id=\"sign-out\">Sign out</button></form></div>\
         <div class=\"box pet\"><div id=\"pet\">{PET_CLAIM}: <strong id=\"pet-value\">{pet}</strong></div>\
         <div id=\"rule\" data-basis=\"{basis}\">rule: <span class=\"basis\">{basis}</span>: {rule}</div></div>\
         <h2>Call the API Gateway stand-in</h2>\
         <p>Through this page's server (the tokens stay there), at <code>{api}</code>, with the \
         <select id=\"token-use\"><option value=\"id\">ID token</option><option value=\"access\">access token</option></select>:</p>\
         <div>{buttons}</div><div id=\"results\">{results}</div>\
         <div class=\"tokens\"><div>{id}</div><div>{access}</div></div>",
        who = escape(who),
        client = client_line(&view.client),
        pet = escape(pet.unwrap_or("(no claim)")),
        basis = escape(view.rule.basis),
        rule = escape(&view.rule.text),
        api = escape(view.client.api_url),
        id = token_section("id", "ID token", view.id, view.now),
        access = token_section("access", "Access token", view.access, view.now),
    );
    let head = format!(
        "<meta name=\"csrf-token\" content=\"{csrf}\"><script src=\"/app/app.js\" defer></script>"
    );
    document("claimsgate: signed in", &head, &body)
}

fn token_section(name: &str, title: &str, token: &Decoded, now: u64) -> String {
    let expiry = match token.expires_in(now) {
        Some(left) => format!(
            "<span class=\"expiry\" id=\"{name}-expiry\" data-expires-in=\"{left}\">expires in {left} s</span>"
        ),
        None => "no exp".into(),
    };
    format!(
        "<h2>{title} ({expiry})</h2><div class=\"box\" id=\"{name}-token\">\
         <div>header</div>{}<div>claims</div>{}</div>",
        table(name, &token.header),
        table(name, &token.claims)
    )
}

fn table(token: &str, map: &Map<String, Value>) -> String {
    let rows: String = map
        .iter()
        .map(|(key, value)| {
            let text = match value {
                Value::String(s) => escape(s),
                other => escape(&other.to_string()),
            };
            let cell = match value.as_u64() {
                Some(secs) if TIMES.contains(&key.as_str()) => {
                    format!("<span data-epoch=\"{secs}\">{text}</span>")
                }
                _ => text,
            };
            let (class, id) = if key == PET_CLAIM {
                (" class=\"pet\"", format!(" id=\"{token}-pet\""))
            } else {
                ("", String::new())
            };
            format!("<tr{class}{id}><td>{}</td><td>{cell}</td></tr>", escape(key))
        })
        .collect();
    format!("<table>{rows}</table>")
}

/// A page saying what went wrong, with the way back.
#[must_use]
pub fn problem(message: &str) -> String {
    let body = format!(
        "<h1>claimsgate: the article's flow, locally</h1><p class=\"error\" id=\"error\">{}</p>\
         <p><a id=\"sign-in\" href=\"/app/login\">Sign in again</a> or <a href=\"/app\">go back</a>.</p>",
        escape(message)
    );
    document("claimsgate: error", "", &body)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    fn jwt(header: Value, claims: Value) -> String {
        format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    }

    #[test]
    fn decodes_header_and_claims_and_counts_down() {
        let token = Decoded::of(&jwt(
            json!({"alg": "RS256", "kid": "k"}),
            json!({"pet_preference": "dogs", "exp": 1000}),
        ))
        .unwrap();
        assert_eq!(token.header["kid"], "k");
        assert_eq!(token.str("pet_preference"), Some("dogs"));
        assert_eq!(token.expires_in(400), Some(600));
        assert_eq!(token.expires_in(2000), Some(0));
        for bad in ["", "a.b", "!!!.e30", "W10.W10.x"] {
            assert!(Decoded::of(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn hostile_values_are_rendered_as_text() {
        let hostile = "<img src=x onerror=alert(1)>\"'&";
        let id = Decoded::of(&jwt(
            json!({"alg": "RS256", "kid": hostile}),
            json!({"email": hostile, "pet_preference": hostile, hostile: hostile, "exp": 10}),
        ))
        .unwrap();
        let rule = Explanation { basis: "default", text: hostile.into() };
        let html = signed_in(&SignedIn {
            client: Client {
                client_id: hostile,
                pool_id: hostile,
                base_url: "http://127.0.0.1:9229",
                api_url: hostile,
            },
            id: &id,
            access: &id,
            rule: &rule,
            now: 0,
            csrf: hostile,
            routes: &[],
        });
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("onerror=alert(1)>\""));
        let escaped = "&lt;img src=x onerror=alert(1)&gt;&quot;&#x27;&amp;";
        // Client id, pool id, API URL, the user, the pet, the rule, the CSRF token in
        // two forms and a meta tag; per token: kid, email, pet, the hostile name and value.
        assert_eq!(html.matches(escaped).count(), 9 + 2 * 5, "{html}");
    }
}
