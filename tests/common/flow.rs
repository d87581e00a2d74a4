//! The OAuth and API flows the end-to-end tests drive over HTTP, as a client would.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use reqwest::redirect::Policy;
use serde_json::Value;

use super::TestStack;
use super::html::hidden_fields;

pub const CLIENT_ID: &str = "claimsgate-local-client";
pub const CLIENT_SECRET: &str = "claimsgate-local-secret";
pub const MACHINE_ID: &str = "claimsgate-local-machine";
pub const MACHINE_SECRET: &str = "claimsgate-local-machine-secret";

pub const DOGS: (&str, &str) = ("test-user@amazon.com", "Dogs-rule-1");
pub const CATS: (&str, &str) = ("test-user@example.com", "Cats-rule-1");
pub const CALLBACK: &str = "http://localhost";

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).build().unwrap()
}

/// A client that keeps cookies, as the browser of a hosted-login user does.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).cookie_store(true).build().unwrap()
}

/// The value of the hidden field `name` in a form.
pub fn hidden(html: &str, name: &str) -> String {
    let field = hidden_fields(html).into_iter().find(|(field, _)| field == name);
    field.unwrap_or_else(|| panic!("no hidden field {name} in {html}")).1
}

pub fn location(r: &reqwest::Response) -> Option<String> {
    r.headers().get("location").map(|v| v.to_str().unwrap().to_owned())
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(url).unwrap();
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// authorize → login page → form post → the code from the callback redirect.
pub async fn sign_in(s: &TestStack, user: (&str, &str), extra: &[(&str, &str)]) -> String {
    sign_in_with(&browser(), s, user, extra).await
}

/// [`sign_in`] in browser `c`, which keeps the hosted-login session cookie.
pub async fn sign_in_with(
    c: &reqwest::Client,
    s: &TestStack,
    user: (&str, &str),
    extra: &[(&str, &str)],
) -> String {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", "claimsgate-local-client"),
        ("redirect_uri", CALLBACK),
        ("scope", "openid email"),
        ("state", "xyz"),
    ];
    params.extend_from_slice(extra);
    let r =
        c.get(format!("{}/oauth2/authorize", s.cognito_url)).query(&params).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let login = location(&r).unwrap();
    let back = submit_login(c, s, &format!("{}{login}", s.cognito_url), user).await;
    assert_eq!(query_param(&back, "state").as_deref(), Some("xyz"));
    query_param(&back, "code").unwrap()
}

/// Opens the login page at `url` in browser `c`, posts its form (every hidden
/// field, the credentials) and returns the callback URL it redirects to.
pub async fn submit_login(
    c: &reqwest::Client,
    s: &TestStack,
    url: &str,
    user: (&str, &str),
) -> String {
    submit_login_for(c, s, url, user, CALLBACK).await
}

/// [`submit_login`] for an authorization request whose redirect URI is `callback`.
pub async fn submit_login_for(
    c: &reqwest::Client,
    s: &TestStack,
    url: &str,
    user: (&str, &str),
    callback: &str,
) -> String {
    let page = c.get(url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("<form method=\"post\" action=\"/login\""));
    let mut form = hidden_fields(&html);
    form.push(("username".into(), user.0.into()));
    form.push(("password".into(), user.1.into()));
    let r = c.post(format!("{}/login", s.cognito_url)).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "login should redirect to the callback");
    let back = location(&r).unwrap();
    assert!(back.starts_with(callback), "{back}");
    back
}

pub fn token_request(s: &TestStack) -> reqwest::RequestBuilder {
    client().post(format!("{}/oauth2/token", s.cognito_url))
}

pub async fn exchange_basic(s: &TestStack, form: &[(&str, &str)]) -> reqwest::Response {
    token_request(s)
        .basic_auth("claimsgate-local-client", Some("claimsgate-local-secret"))
        .form(form)
        .send()
        .await
        .unwrap()
}

pub fn claims_of(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

pub async fn api(s: &TestStack, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut req = client().get(format!("{}{path}", s.api_url));
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let body = r.text().await.unwrap();
    (status, serde_json::from_str(&body).unwrap_or(Value::String(body)))
}

/// Redeems `code` (issued for [`CALLBACK`]) with HTTP Basic.
pub async fn redeem(s: &TestStack, code: &str) -> reqwest::Response {
    exchange_basic(
        s,
        &[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", CALLBACK)],
    )
    .await
}

/// [`redeem`], expecting tokens.
pub async fn exchange(s: &TestStack, code: &str) -> Value {
    let r = redeem(s, code).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// The pool's OpenID Connect discovery document.
pub async fn discovery(s: &TestStack) -> Value {
    client()
        .get(format!("{}/.well-known/openid-configuration", s.cognito.issuer_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The kids of the pool's JWKS, in its order.
pub async fn published_kids(s: &TestStack) -> Vec<String> {
    let jwks: Value = client()
        .get(format!("{}/.well-known/jwks.json", s.cognito.issuer_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
}

/// A client-credentials request by the machine client with HTTP Basic.
pub async fn machine_token(s: &TestStack, form: &[(&str, &str)]) -> reqwest::Response {
    token_request(s).basic_auth(MACHINE_ID, Some(MACHINE_SECRET)).form(form).send().await.unwrap()
}

/// The value of `name` in a `Set-Cookie` header of `r` (with its attributes).
pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with(&format!("{name}=")))
}

pub fn header(headers: &HeaderMap, name: &str) -> String {
    headers.get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// Signs in through the app in browser `c`: `/app/login`, the hosted login
/// page, the callback. Returns the callback URL the login page sent the browser to.
pub async fn app_sign_in(c: &reqwest::Client, s: &TestStack, user: (&str, &str)) -> String {
    let r = c.get(format!("{}/login", s.app_url())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(r.headers(), "cache-control"), "no-store");
    let pending = set_cookie(&r, "app-session").unwrap();
    assert!(pending.contains("HttpOnly") && pending.contains("SameSite="), "{pending}");
    let authorize = location(&r).unwrap();
    assert!(authorize.starts_with(&format!("{}/oauth2/authorize?", s.cognito_url)));
    let callback = format!("{}/callback", s.app_url());
    assert_eq!(query_param(&authorize, "redirect_uri"), Some(callback.clone()));
    assert_eq!(query_param(&authorize, "code_challenge_method").as_deref(), Some("S256"));

    let r = c.get(&authorize).send().await.unwrap();
    let login = format!("{}{}", s.cognito_url, location(&r).unwrap());
    let html = c.get(&login).send().await.unwrap().text().await.unwrap();
    // The login page says which client of which pool the user signs in to.
    assert!(html.contains(&format!("app client <code id=\"client-id\">{CLIENT_ID}</code>")));
    assert!(html.contains("user pool <code id=\"pool-id\">local_claimsgate</code>"));
    let back = submit_login_for(c, s, &login, user, &format!("{callback}?")).await;

    let r = c.get(&back).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(r.headers(), "cache-control"), "no-store");
    assert_eq!(location(&r).as_deref(), Some("/app"));
    let session = set_cookie(&r, "app-session").unwrap();
    assert_ne!(
        session.split(';').next(),
        pending.split(';').next(),
        "the session id changes at sign-in"
    );
    back
}

/// The page: its headers, its HTML and the anti-CSRF token in it.
pub async fn app_page(c: &reqwest::Client, s: &TestStack) -> (HeaderMap, String, String) {
    let r = c.get(s.app_url()).send().await.unwrap();
    let headers = r.headers().clone();
    let html = r.text().await.unwrap();
    let csrf = html
        .split("<meta name=\"csrf-token\" content=\"")
        .nth(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .unwrap_or_default();
    (headers, html, csrf)
}
