//! What `serve` prints once the stack is up: the URLs, the clients, the users
//! and their passwords, and ready-to-paste `curl` lines with fresh tokens.
//!
//! It uses `cli::users`; it is used by `cli::serve`.

use claimsgate::{AuthorizerKind, Stack, StackSettings};

use super::users::details;

/// The banner of a running `stack`.
pub async fn text(
    settings: &StackSettings,
    kind: AuthorizerKind,
    stack: &Stack,
) -> Result<String, String> {
    let pool = &stack.cognito;
    let callback = settings.callback_urls.first().cloned().unwrap_or_default();
    let login = format!(
        "{}/oauth2/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid+email&state=demo",
        stack.cognito_url,
        pool.client_id,
        url::form_urlencoded::byte_serialize(callback.as_bytes()).collect::<String>()
    );
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    let api = match kind {
        AuthorizerKind::Token => "REST API, TOKEN authorizer",
        AuthorizerKind::Request => "REST API, REQUEST authorizer",
        AuthorizerKind::Http => "HTTP API, $default stage, payload 2.0 simple responses",
    };
    line("claimsgate local stack".into());
    line(format!("  Cognito stand-in:     {}", stack.cognito_url));
    line(format!("    issuer:             {}", pool.issuer_url()));
    line(format!("    JWKS:               {}/.well-known/jwks.json", pool.issuer_url()));
    line(format!("    app client:         {} (secret: {})", pool.client_id, pool.client_secret));
    line(format!(
        "    machine client:     {} (secret: {}; scopes: {})",
        pool.machine.id,
        pool.machine.secret,
        pool.machine.scopes.join(" ")
    ));
    line(format!(
        "    trigger:            pre-token-gen, event version {}",
        settings.trigger_version.as_str()
    ));
    line(format!("  API Gateway stand-in: {}", stack.api_url));
    line(format!("    as:                 {api}"));
    line(String::new());
    match &pool.users_file {
        Some(file) => line(format!("Users (from {}):", file.display())),
        None => line("Users (seeded):".into()),
    }
    for user in &pool.users {
        line(format!("  {:<28} password: {}{}", user.email, user.password, details(user)));
    }
    line(String::new());
    line("Open in a browser (sign in, see the claim, call the routes):".into());
    line(format!("  {}", stack.app_url()));
    line("Or sign in with the hosted login page yourself:".into());
    line(format!("  {login}"));
    line("Exchange the code from the callback URL:".into());
    line(format!(
        "  curl -s -u '{}:{}' -d grant_type=authorization_code -d redirect_uri={callback} -d code=CODE {}/oauth2/token",
        pool.client_id, pool.client_secret, stack.cognito_url
    ));
    line("Machine-to-machine token (client_credentials):".into());
    line(format!(
        "  curl -s -u '{}:{}' -d grant_type=client_credentials -d scope={} {}/oauth2/token",
        pool.machine.id,
        pool.machine.secret,
        pool.machine.scopes.first().map_or("", String::as_str),
        stack.cognito_url
    ));
    line(String::new());
    for user in &pool.users {
        let tokens = stack.tokens_for(&user.email).await?;
        line(format!("As {} (ID token, valid {} s):", user.email, tokens.expires_in));
        for route in ["/me/claims", "/dogs", "/cats"] {
            line(format!(
                "  curl -s -H 'Authorization: Bearer {}' {}{route}",
                tokens.id_token, stack.api_url
            ));
        }
        line(String::new());
    }
    line("Ctrl-C stops the stack.".into());
    Ok(out)
}
