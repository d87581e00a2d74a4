//! The client of a running stack's admin actions (`POST /admin/{action}` on
//! loopback, at `--cognito-port`), which `rotate-key` and `jwks-fault` call.
//!
//! It uses `cli::output`; it is used by `cli::jwks_fault`, `cli::rotate_key`.

use std::process::ExitCode;

use claimsgate::StackSettings;

use super::output::emit;

/// Posts `body` to the running stack's admin action `action` and prints its answer.
pub async fn post(
    settings: &StackSettings,
    action: &str,
    body: &serde_json::Value,
) -> Result<ExitCode, String> {
    let host = if settings.host.is_unspecified() {
        std::net::IpAddr::from([127, 0, 0, 1])
    } else {
        settings.host
    };
    let url =
        format!("http://{}/admin/{action}", std::net::SocketAddr::new(host, settings.cognito_port));
    let response = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| {
            format!(
                "cannot reach the stack at {url}: {e}; start it first, and pass the same --host and --cognito-port"
            )
        })?;
    let status = response.status();
    let text = response.text().await.map_err(|e| format!("{url}: cannot read the answer: {e}"))?;
    if !status.is_success() {
        return Err(format!("{url} answered {status}: {text}"));
    }
    emit(&format!("{text}\n"))?;
    Ok(ExitCode::SUCCESS)
}
