//! The `claimsgate` binary as a user runs it: the banner's curl lines work,
//! `token` and `verify` agree, bad flags exit with 2.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{KeyDir, read_until};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_claimsgate");

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `claimsgate` on free ports and reads its banner up to the Ctrl-C line.
fn serve(key: &PathBuf) -> (Server, Vec<String>) {
    let mut child = Command::new(BIN)
        .args(["--cognito-port", "0", "--api-port", "0", "--key-file"])
        .arg(key)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = read_until(&mut child, Duration::from_secs(60), |line| {
        line.starts_with("Ctrl-C stops")
    });
    (Server(child), lines)
}

/// Splits `curl -s -H 'Authorization: Bearer T' URL` into (token, url).
fn curl_parts(line: &str) -> (String, String) {
    let token = line
        .split("Bearer ")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_owned();
    let url = line.rsplit(' ').next().unwrap().to_owned();
    (token, url)
}

#[tokio::test]
async fn the_printed_curl_lines_answer_as_documented() {
    let key = KeyDir::new();
    let (_server, banner) = serve(&key.path());
    assert!(
        banner
            .iter()
            .any(|l| l.contains("test-user@amazon.com") && l.contains("password:"))
    );
    assert!(
        banner
            .iter()
            .any(|l| l.contains("/oauth2/authorize?response_type=code"))
    );

    let curls: Vec<&String> = banner
        .iter()
        .filter(|l| l.trim_start().starts_with("curl -s -H"))
        .collect();
    assert_eq!(
        curls.len(),
        6,
        "three routes for each of the two users:\n{}",
        banner.join("\n")
    );
    // First three lines are the dogs user's, then the cats user's: /me/claims, /dogs, /cats.
    let expected = [200, 200, 403, 200, 403, 200];
    let client = reqwest::Client::new();
    for (line, want) in curls.iter().zip(expected) {
        let (token, url) = curl_parts(line);
        let status = client
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status.as_u16(), want, "{url}");
    }
}

/// The value after `label` on the banner line that starts with it.
fn banner_value(banner: &[String], label: &str) -> String {
    banner
        .iter()
        .find_map(|l| l.trim().strip_prefix(label).map(|s| s.trim().to_owned()))
        .unwrap()
}

#[tokio::test]
async fn token_and_verify_commands_agree_with_the_running_stack() {
    let dir = KeyDir::new();
    let key = dir.path();
    let (_server, banner) = serve(&key);
    let issuer = banner_value(&banner, "issuer:");

    // `token` signs offline; it needs the port only to name the same issuer.
    let port = issuer
        .rsplit(':')
        .next()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let out = Command::new(BIN)
        .args([
            "token",
            "--email",
            "test-user@example.com",
            "--password",
            "Cats-rule-1",
            "--cognito-port",
            &port,
            "--key-file",
        ])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tokens: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(tokens["refresh_token"].is_string());
    let id = tokens["id_token"].as_str().unwrap();

    // `token` signs with the key file the server publishes, so the server's API accepts it.
    let api = banner_value(&banner, "API Gateway stand-in:");
    let status = reqwest::Client::new()
        .get(format!("{api}/cats"))
        .bearer_auth(id)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 200);

    let out = verify(id, &issuer);
    assert!(out.status.success());
    let verified: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verified["valid"], true);
    assert_eq!(verified["claims"]["pet_preference"], "cats");
    assert_eq!(verified["header"]["alg"], "RS256");

    let out = verify("not.a.jwt", &issuer);
    assert_eq!(out.status.code(), Some(1));
    let rejected: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rejected["code"], "malformed_token");

    let out = Command::new(BIN)
        .args([
            "token",
            "--email",
            "test-user@example.com",
            "--password",
            "wrong",
            "--key-file",
        ])
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Incorrect username or password."));
}

/// Runs `claimsgate verify TOKEN` against `issuer` for the local app client.
fn verify(token: &str, issuer: &str) -> std::process::Output {
    Command::new(BIN)
        .args([
            "verify",
            token,
            "--issuer",
            issuer,
            "--client-id",
            "claimsgate-local-client",
        ])
        .output()
        .unwrap()
}

#[test]
fn bad_flags_exit_with_2_and_say_why() {
    for args in [
        &["--api-port", "seventy"][..],
        &["--no-such-flag"],
        &["verify"],
        &["verify", "x", "--token-use", "refresh"],
        &["--token-ttl", "0"],
    ] {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("error:"), "{args:?}: {stderr}");
    }
}
