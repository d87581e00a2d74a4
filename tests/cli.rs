//! The `claimsgate` binary as a user runs it: the banner's curl lines work,
//! `token` and `verify` agree, bad flags exit with 2.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{KeyDir, read_until};
use serde_json::{Value, json};

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
    serve_with(key, &[])
}

/// [`serve`] with more arguments.
fn serve_with(key: &PathBuf, args: &[&str]) -> (Server, Vec<String>) {
    let mut child = Command::new(BIN)
        .args(["--cognito-port", "0", "--api-port", "0", "--key-file"])
        .arg(key)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines =
        read_until(&mut child, Duration::from_secs(60), |line| line.starts_with("Ctrl-C stops"));
    (Server(child), lines)
}

/// Splits `curl -s -H 'Authorization: Bearer T' URL` into (token, url).
fn curl_parts(line: &str) -> (String, String) {
    let token = line.split("Bearer ").nth(1).unwrap().split('\'').next().unwrap().to_owned();
    let url = line.rsplit(' ').next().unwrap().to_owned();
    (token, url)
}

#[tokio::test]
async fn the_printed_curl_lines_answer_as_documented() {
    let key = KeyDir::new();
    let (_server, banner) = serve(&key.path());
    assert!(banner.iter().any(|l| l.contains("test-user@amazon.com") && l.contains("password:")));
    assert!(banner.iter().any(|l| l.contains("/oauth2/authorize?response_type=code")));

    let curls: Vec<&String> =
        banner.iter().filter(|l| l.trim_start().starts_with("curl -s -H")).collect();
    assert_eq!(curls.len(), 6, "three routes for each of the two users:\n{}", banner.join("\n"));
    // First three lines are the dogs user's, then the cats user's: /me/claims, /dogs, /cats.
    let expected = [200, 200, 403, 200, 403, 200];
    let client = reqwest::Client::new();
    for (line, want) in curls.iter().zip(expected) {
        let (token, url) = curl_parts(line);
        let status = client.get(&url).bearer_auth(&token).send().await.unwrap().status();
        assert_eq!(status.as_u16(), want, "{url}");
    }

    // The machine client, and a curl line that gets its token.
    let machine = banner_value(&banner, "machine client:");
    assert!(
        machine.starts_with("claimsgate-local-machine (secret: claimsgate-local-machine-secret; scopes: claimsgate/pets.read claimsgate/pets.write)"),
        "{machine}"
    );
    let m2m = banner.iter().find(|l| l.contains("grant_type=client_credentials")).unwrap();
    let credentials = m2m.split('\'').nth(1).unwrap();
    let (id, secret) = credentials.split_once(':').unwrap();
    let scope = m2m.split("scope=").nth(1).unwrap().split(' ').next().unwrap();
    let url = m2m.rsplit(' ').next().unwrap();
    let r = client
        .post(url)
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let token: Value = r.json().await.unwrap();
    assert!(token["access_token"].is_string());
    assert_eq!(banner_value(&banner, "trigger:"), "pre-token-gen, event version 2");
    assert_eq!(banner_value(&banner, "as:"), "REST API, TOKEN authorizer");

    // The URL to open in a browser: the app page, on the Cognito stand-in.
    let open = banner.iter().position(|l| l.starts_with("Open in a browser")).unwrap();
    let app = banner[open + 1].trim();
    let cognito = banner_value(&banner, "Cognito stand-in:");
    assert_eq!(app, format!("{cognito}/app"));
    let page = client.get(app).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.unwrap().contains("id=\"sign-in\""));
}

/// The value after `label` on the banner line that starts with it.
fn banner_value(banner: &[String], label: &str) -> String {
    banner.iter().find_map(|l| l.trim().strip_prefix(label).map(|s| s.trim().to_owned())).unwrap()
}

#[tokio::test]
async fn token_and_verify_commands_agree_with_the_running_stack() {
    let dir = KeyDir::new();
    let key = dir.path();
    let (_server, banner) = serve(&key);
    let issuer = banner_value(&banner, "issuer:");

    // `token` signs offline; it needs the port only to name the same issuer.
    let port = issuer.rsplit(':').next().unwrap().split('/').next().unwrap().to_owned();
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
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
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
        .args(["token", "--email", "test-user@example.com", "--password", "wrong", "--key-file"])
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Incorrect username or password."));
}

/// Runs `claimsgate verify TOKEN` against `issuer` for the local app client.
fn verify(token: &str, issuer: &str) -> std::process::Output {
    Command::new(BIN)
        .args(["verify", token, "--issuer", issuer, "--client-id", "claimsgate-local-client"])
        .output()
        .unwrap()
}

#[test]
fn verify_against_a_stopped_local_stack_says_how_to_start_it() {
    let key = KeyDir::new();
    // A loopback port nothing listens on: the stack is not running there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let out = Command::new(BIN)
        .args(["token", "--email", "test-user@amazon.com", "--cognito-port", &port, "--key-file"])
        .arg(key.path())
        .output()
        .unwrap();
    let tokens: Value = serde_json::from_slice(&out.stdout).unwrap();
    let issuer = format!("http://127.0.0.1:{port}/local_claimsgate");

    let out = verify(tokens["id_token"].as_str().unwrap(), &issuer);
    assert_eq!(out.status.code(), Some(1));
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["code"], "jwks_unavailable");
    let message = answer["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "the local stack does not seem to be running: nothing listens at 127.0.0.1:{port}"
        )),
        "{message}"
    );
    let said = stderr_of(&out);
    assert!(said.contains("does not seem to be running"), "{said}");
    assert!(said.contains("start it in another terminal with `cargo run --release`"), "{said}");
}

/// Shell variables a piece of code uses: `$NAME` or `${NAME}` (upper case, as the
/// README writes them; not positional parameters such as `$1`).
fn shell_uses(code: &str) -> Vec<String> {
    code.split('$')
        .skip(1)
        .filter_map(|rest| {
            let rest = rest.strip_prefix('{').unwrap_or(rest);
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            name.starts_with(|c: char| !c.is_ascii_digit()).then_some(name)
        })
        .collect()
}

/// Shell variables a piece of code sets: `NAME=` at the start of a word.
fn shell_sets(code: &str) -> Vec<String> {
    code.split(|c: char| c.is_whitespace() || c == ';' || c == '(')
        .filter_map(|word| word.split_once('='))
        .map(|(name, _)| name)
        .filter(|name| {
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_readme_sets_every_shell_variable_before_using_it() {
    let readme = include_str!("../README.md");
    // Code in reading order: fenced blocks line by line, and inline `spans`.
    let mut code = Vec::new();
    let mut fenced = false;
    for line in readme.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if fenced {
            code.push(line);
        } else {
            code.extend(line.split('`').skip(1).step_by(2));
        }
    }
    let mut set = std::collections::HashSet::new();
    let mut unset = Vec::new();
    for piece in code {
        for name in shell_uses(piece) {
            if !set.contains(&name) {
                unset.push(format!("${name} in `{piece}`"));
            }
        }
        set.extend(shell_sets(piece));
    }
    assert!(unset.is_empty(), "used before a command sets them:\n{}", unset.join("\n"));
    for walked in ["CODE", "ID_TOKEN", "REFRESH_TOKEN"] {
        assert!(set.contains(walked), "the walk sets {walked}");
    }
    assert_eq!(shell_uses("curl -H \"Bearer ${ID_TOKEN}\" $default '$1'"), ["ID_TOKEN"]);
    assert_eq!(shell_sets("X=1 TOKEN=$(curl -d a=b)"), ["X", "TOKEN"]);
}

#[test]
fn bad_flags_exit_with_2_and_say_why() {
    for args in [
        &["--api-port", "seventy"][..],
        &["--no-such-flag"],
        &["verify"],
        &["verify", "x", "--token-use", "refresh"],
        &["--token-ttl", "0"],
        &["--trigger-version", "4"],
        &["serve", "--api", "websocket"],
        &["users", "add", "--email", "a@b.c", "--password", "p"],
        &["users", "set-attribute", "--email", "a@b.c"],
    ] {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("error:"), "{args:?}: {stderr}");
    }
}

/// Runs `claimsgate ARGS` to completion.
fn run(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn errors_name_the_flag_the_user_typed() {
    let dir = KeyDir::new();
    let key = dir.path();
    let key = key.to_str().unwrap();
    let garbage = dir.0.join("garbage.pem");
    std::fs::write(&garbage, "not a key").unwrap();
    let cases: [(&[&str], &str); 7] = [
        (&["verify", "x", "--user-pool-id", "not-a-pool"], "--user-pool-id: `not-a-pool`"),
        (&["verify", "x", "--issuer", "http://example.com/p"], "--issuer: "),
        (
            &["token", "--email", "test-user@amazon.com", "--pool-id", "a b", "--key-file", key],
            "--pool-id: `a b`",
        ),
        (
            &["token", "--email", "test-user@amazon.com", "--key-file", garbage.to_str().unwrap()],
            "--key-file ",
        ),
        (
            &[
                "token",
                "--email",
                "test-user@amazon.com",
                "--resource-scope",
                "pets",
                "--key-file",
                key,
            ],
            "--resource-scope: `pets`",
        ),
        (
            &["users", "add", "--email", "a@b.c", "--password", "p", "--email-verified", "true"],
            "--users-file",
        ),
        (
            &["serve", "--api", "http", "--authorizer-event", "request", "--key-file", key],
            "--authorizer-event is for --api rest",
        ),
    ];
    for (args, want) in cases {
        let out = run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = stderr_of(&out);
        assert!(stderr.contains(want), "{args:?}: {stderr}");
        for variable in ["COGNITO_USER_POOL_ID", "TOKEN_ISSUERS", "CLAIMSGATE_"] {
            assert!(!stderr.contains(variable), "{args:?}: {stderr}");
        }
    }
    // Nothing listens on port 1: rotate-key says which flag points at the stack.
    let out = run(&["rotate-key", "--cognito-port", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("--cognito-port"), "{}", stderr_of(&out));
}

#[test]
fn a_users_file_is_read_strictly_and_errors_name_the_line() {
    let dir = KeyDir::new();
    let file = dir.0.join("users.json");
    let cases = [
        (
            r#"[{"email":"x@amazon.com","password":"P-1","emailVerified":false}]"#,
            "line 1, column 57: unknown field `emailVerified`",
        ),
        (
            "[\n  {\"email\":\"x@amazon.com\",\"password\":\"P-1\"}\n]",
            "line 2, column 43: missing field `email_verified`",
        ),
        (
            r#"[{"email":"x@amazon.com","password":"P-1","email_verified":true},{"email":"X@amazon.com","password":"P-2","email_verified":false}]"#,
            "entry 2 (X@amazon.com): the email is already used by entry 1",
        ),
    ];
    for (text, want) in cases {
        std::fs::write(&file, text).unwrap();
        for args in [&["users", "list"][..], &["serve", "--cognito-port", "0", "--api-port", "0"]] {
            let out = Command::new(BIN)
                .args(args)
                .arg("--users-file")
                .arg(&file)
                .arg("--key-file")
                .arg(dir.path())
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{args:?} {text}");
            let stderr = stderr_of(&out);
            assert!(stderr.contains("--users-file"), "{stderr}");
            assert!(stderr.contains(want), "{args:?}: {stderr}");
        }
    }
}

#[tokio::test]
async fn users_commands_and_rotate_key_work_beside_a_running_stack() {
    let dir = KeyDir::new();
    let file = dir.0.join("users.json");
    let file_arg = file.to_str().unwrap();
    let users = |args: &[&str]| {
        Command::new(BIN).arg("users").args(args).args(["--users-file", file_arg]).output().unwrap()
    };
    let out = users(&[
        "add",
        "--email",
        "new-user@amazon.com",
        "--password",
        "New-user-1",
        "--email-verified",
        "false",
        "--attribute",
        "given_name=Ada",
        "--group",
        "readers",
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let out =
        users(&["set-attribute", "--email", "test-user@example.com", "custom:pet_preference=dogs"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    // Cognito's rules hold for the CLI too.
    let again = users(&[
        "add",
        "--email",
        "NEW-user@amazon.com",
        "--password",
        "x",
        "--email-verified",
        "true",
    ]);
    assert!(stderr_of(&again).contains("already used"), "{}", stderr_of(&again));
    let bad = users(&["set-attribute", "--email", "test-user@example.com", "sub=x"]);
    assert_eq!(bad.status.code(), Some(1));
    let nobody = users(&["set-attribute", "--email", "nobody@example.com", "name=x"]);
    assert!(stderr_of(&nobody).contains("no user nobody@example.com"));

    let out = users(&["list"]);
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 3, "{listed}");
    assert!(
        lines[1].starts_with("test-user@example.com")
            && lines[1].contains("custom:pet_preference=dogs"),
        "{listed}"
    );
    assert!(
        lines[2].contains("email_verified=false")
            && lines[2].contains("given_name=Ada")
            && lines[2].contains("groups: readers"),
        "{listed}"
    );
    assert!(!listed.contains("New-user-1"), "no passwords");

    let key = dir.path();
    let (_server, banner) = serve_with(&key, &["--users-file", file_arg, "--trigger-version", "1"]);
    assert!(banner.iter().any(|l| l == &format!("Users (from {file_arg}):")), "{banner:?}");
    assert!(banner.iter().any(|l| l.contains("new-user@amazon.com")
        && l.contains("password: New-user-1")
        && l.contains("email_verified=false")));
    assert_eq!(banner_value(&banner, "trigger:"), "pre-token-gen, event version 1");
    let issuer = banner_value(&banner, "issuer:");
    let port = issuer.rsplit(':').next().unwrap().split('/').next().unwrap().to_owned();

    // The set attribute wins over the email domain: the cats user now gets dogs.
    let token = |email: &str| {
        let out = Command::new(BIN)
            .args([
                "token",
                "--email",
                email,
                "--users-file",
                file_arg,
                "--cognito-port",
                &port,
                "--key-file",
            ])
            .arg(&key)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
        let tokens: Value = serde_json::from_slice(&out.stdout).unwrap();
        tokens["id_token"].as_str().unwrap().to_owned()
    };
    let before = token("test-user@example.com");
    let verified: Value = serde_json::from_slice(&verify(&before, &issuer).stdout).unwrap();
    assert_eq!(verified["claims"]["pet_preference"], "dogs");
    let old_kid = verified["header"]["kid"].as_str().unwrap().to_owned();

    // rotate-key reaches the running stack with the same flags.
    let replacement = dir.0.join("next.pem");
    std::fs::write(&replacement, claimsgate_core::testing::test_key(2, "").to_pkcs8_pem()).unwrap();
    let out = Command::new(BIN)
        .args(["rotate-key", "--grace", "120", "--cognito-port", &port, "--new-key-file"])
        .arg(&replacement)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let rotation: Value = serde_json::from_slice(&out.stdout).unwrap();
    let new_kid = rotation["kid"].as_str().unwrap().to_owned();
    assert_ne!(new_kid, old_kid);
    assert_eq!(rotation["retiring"][0]["kid"], old_kid.as_str());
    let jwks: Value = reqwest::get(format!("{issuer}/.well-known/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> =
        jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids, [new_kid.as_str(), old_kid.as_str()]);

    // The key file now holds the new key: `token` signs with it, and both tokens verify.
    let after = token("test-user@example.com");
    let verified: Value = serde_json::from_slice(&verify(&after, &issuer).stdout).unwrap();
    assert_eq!(verified["header"]["kid"], new_kid.as_str());
    assert_eq!(verify(&before, &issuer).status.code(), Some(0));
}

#[test]
fn jwks_snapshot_writes_the_running_issuers_key_set() {
    let key = KeyDir::new();
    let (_server, banner) = serve(&key.path());
    let issuer = banner_value(&banner, "issuer:");
    let out = key.0.join("snapshot.json");
    let result = run(&["jwks-snapshot", "--issuer", &issuer, "--out", out.to_str().unwrap()]);
    assert!(result.status.success(), "{}", stderr_of(&result));
    let snapshot: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let jwks = &snapshot["jwks"][format!("{issuer}/.well-known/jwks.json")];
    assert_eq!(jwks["keys"][0]["kty"], "RSA", "{snapshot}");
    assert!(snapshot["taken_at"].as_u64().is_some_and(|t| t > 1_700_000_000));

    // An issuer that is not https (nor loopback) is refused before any fetch; a stopped one says so.
    let refused = run(&["jwks-snapshot", "--issuer", "http://issuer.example"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr_of(&refused).contains("--issuer"), "{}", stderr_of(&refused));
    let stopped = run(&[
        "jwks-snapshot",
        "--issuer",
        "http://127.0.0.1:9/pool",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(stopped.status.code(), Some(1));
}

#[test]
fn policies_validate_checks_a_store_as_the_authorizer_does_at_init() {
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/policies");
    let out = run(&["policies", "validate", shipped]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with(&format!("{shipped}: valid (4 policies, 3 routes)")), "{text}");
    for route in ["GET /dogs", "GET /cats", "GET /me/claims"] {
        assert!(text.contains(&format!("  route {route}\n")), "{route}: {text}");
    }
    let broken = common::PolicyDir::shipped_plus(&[(
        "typo.cedar",
        "// a typo\npermit (principal, action, resource)\nwhen { principal.pet_preferance == \"dogs\" };",
    )]);
    let out = run(&["policies", "validate", broken.0.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.contains("typo.cedar:3: policy typo.cedar:2: ") && err.contains("pet_preferance"),
        "{err}"
    );
    let out = run(&["policies", "validate", "/no/such/store"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("policy store /no/such/store: cannot read it"));
}

#[test]
fn a_policy_that_can_never_apply_is_a_warning_and_refused_with_deny_warnings() {
    // The misspelt attribute sits behind `has`: valid Cedar, but the permit never holds.
    let guarded = common::PolicyDir::shipped_plus(&[(
        "typo.cedar",
        "@id(\"typo\")\npermit (principal, action, resource)\nwhen { principal has pet_preferance && principal.pet_preferance == \"dogs\" };",
    )]);
    let dir = guarded.0.to_str().unwrap();
    let out = run(&["policies", "validate", dir]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("warning: for policy `typo`, policy is impossible"), "{text}");

    let out = run(&["policies", "validate", "--deny-warnings", dir]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("policy is impossible"));
    assert!(stderr_of(&out).contains("1 validator warning(s), refused with --deny-warnings"));
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/policies");
    assert!(run(&["policies", "validate", "--deny-warnings", shipped]).status.success());
}

/// The shipped store's policy files, (name, text).
fn shipped_policies() -> Vec<(String, String)> {
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut files: Vec<(String, String)> = std::fs::read_dir(shipped)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "cedar"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.file_name().unwrap().to_string_lossy().into_owned(), text)
        })
        .collect();
    files.sort();
    files
}

/// What `policies validate` says of a store, without the folder's name.
fn routes_and_counts(dir: &str) -> String {
    let out = run(&["policies", "validate", dir]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split_once(": valid").unwrap().1.to_owned()
}

#[test]
fn every_store_in_the_repository_validates_without_warnings() {
    for (dir, summary) in [
        ("policies", "(4 policies, 3 routes)"),
        ("examples/policies/pets-api", "(8 policies, 8 routes)"),
        ("bench/store20", "(14 policies, 20 routes)"),
    ] {
        let text = routes_and_counts(&format!("{}/{dir}", env!("CARGO_MANIFEST_DIR")));
        assert!(text.starts_with(&format!(" {summary}")), "{dir}: {text}");
        assert!(!text.contains("warning"), "{dir}: {text}");
    }
}

#[test]
fn policies_schema_json_and_definitions_give_the_store_as_verified_permissions_takes_it() {
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/policies");
    let out = run(&["policies", "schema-json", shipped]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let schema = String::from_utf8(out.stdout).unwrap();
    let json: Value = serde_json::from_str(&schema).unwrap();
    let user = &json["Claimsgate"]["entityTypes"]["User"];
    assert_eq!(user["memberOfTypes"], json!(["Claimsgate::UserGroup"]));
    assert_eq!(user["shape"]["attributes"]["email_verified"]["type"], "Boolean");
    assert_eq!(user["shape"]["attributes"]["custom:pet_preference"]["required"], false);
    let actions: Vec<&String> = json["Claimsgate"]["actions"].as_object().unwrap().keys().collect();
    assert_eq!(actions, ["get /cats", "get /dogs", "get /me/claims"]);

    // The JSON as the store's schema is the same store; a JSON schema is printed as it is.
    let policies = shipped_policies();
    let mut files: Vec<(&str, &str)> = vec![("schema.cedarschema.json", &schema)];
    files.extend(policies.iter().map(|(n, t)| (n.as_str(), t.as_str())));
    let from_json = common::PolicyDir::of(&files);
    let from_json_dir = from_json.0.to_str().unwrap();
    assert_eq!(routes_and_counts(from_json_dir), routes_and_counts(shipped));
    let again = run(&["policies", "schema-json", from_json_dir]);
    assert_eq!(String::from_utf8_lossy(&again.stdout), schema);

    // One create-policy definition per policy, its @id as the description, no annotation left.
    let out = run(&["policies", "definitions", shipped]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let definitions: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let descriptions: Vec<&str> =
        definitions.iter().map(|d| d["static"]["description"].as_str().unwrap()).collect();
    assert_eq!(
        descriptions,
        ["admins-call-everything", "anyone-sees-own-claims", "dogs-see-dogs", "cats-see-cats"]
    );
    let statements: Vec<String> =
        definitions.iter().map(|d| d["static"]["statement"].as_str().unwrap().to_owned()).collect();
    assert!(statements.iter().all(|s| !s.contains('@')), "{statements:?}");
    // The statements, one file each, are the same store.
    let names: Vec<String> = (0..statements.len()).map(|i| format!("p{i}.cedar")).collect();
    let schema_text = std::fs::read_to_string(format!("{shipped}/schema.cedarschema")).unwrap();
    let mut files: Vec<(&str, &str)> = vec![("schema.cedarschema", &schema_text)];
    files.extend(names.iter().map(String::as_str).zip(statements.iter().map(String::as_str)));
    let one_each = common::PolicyDir::of(&files);
    assert_eq!(routes_and_counts(one_each.0.to_str().unwrap()), routes_and_counts(shipped));

    // An invalid store is refused as at init.
    let broken = common::PolicyDir::shipped_plus(&[(
        "typo.cedar",
        "permit (principal, action, resource) when { principal.pet_preferance == \"dogs\" };",
    )]);
    for command in ["schema-json", "definitions"] {
        let out = run(&["policies", command, broken.0.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{command}");
        assert!(stderr_of(&out).contains("pet_preferance"), "{command}");
        assert!(out.stdout.is_empty(), "{command}");
    }
}

#[tokio::test]
async fn authorize_prints_cedars_decision_and_the_policies_that_decided() {
    let dir = KeyDir::new();
    let key = dir.path();
    let (_server, banner) = serve(&key);
    let issuer = banner_value(&banner, "issuer:");
    let port = issuer.rsplit(':').next().unwrap().split('/').next().unwrap().to_owned();
    let token = |email: &str| {
        let out = Command::new(BIN)
            .args(["token", "--email", email, "--cognito-port", &port, "--key-file"])
            .arg(&key)
            .output()
            .unwrap();
        let tokens: Value = serde_json::from_slice(&out.stdout).unwrap();
        tokens["id_token"].as_str().unwrap().to_owned()
    };
    let dogs = token("test-user@amazon.com");
    let pets_api = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/policies/pets-api");
    let authorize = |token: &str, route: &str, store: Option<&str>| {
        let mut command = Command::new(BIN);
        command.args(["authorize", "--token", token, "--route", route, "--issuer", &issuer]);
        if let Some(store) = store {
            command.args(["--policies", store]);
        }
        let out = command.output().unwrap();
        let answer: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (out.status.code(), answer, stderr_of(&out))
    };
    let (code, answer, _) = authorize(&dogs, "GET /pets/7", Some(pets_api));
    assert_eq!(code, Some(0), "{answer}");
    assert_eq!(answer["decision"], "allow");
    assert_eq!(answer["route"], "get /pets/{petId}");
    assert_eq!(answer["pathParameters"], json!({"petId": "7"}));
    assert_eq!(answer["policies"], json!(["anyone-browses"]));
    assert!(
        answer["principal"].as_str().unwrap().starts_with("PetStore::User::\"local_claimsgate|")
    );

    let (code, answer, _) = authorize(&dogs, "post /pets", Some(pets_api));
    assert_eq!((code, answer["decision"].as_str()), (Some(1), Some("deny")));
    assert_eq!(answer["policies"], json!([]));
    let (_, answer, _) = authorize(&dogs, "GET /nowhere", Some(pets_api));
    assert_eq!((answer["decision"].as_str(), answer["route"].as_str()), (Some("deny"), None));
    // The shipped store by default.
    let (code, answer, _) = authorize(&dogs, "GET /dogs", None);
    assert_eq!((code, answer["policies"].clone()), (Some(0), json!(["dogs-see-dogs"])));
    let (_, answer, _) = authorize(&dogs, "GET /cats", None);
    assert_eq!(answer["decision"], "deny");
    // A refused token is a deny with the verifier's code; a broken store an error as at init.
    let (code, answer, _) = authorize("not.a.jwt", "GET /dogs", None);
    assert_eq!((code, answer["token"]["code"].as_str()), (Some(1), Some("malformed_token")));
    let broken = common::PolicyDir::of(&[
        ("schema.cedarschema", "namespace X {"),
        ("p.cedar", "permit (principal, action, resource);"),
    ]);
    let (code, _, err) = authorize(&dogs, "GET /dogs", broken.0.to_str());
    assert_eq!(code, Some(1));
    assert!(
        err.starts_with("error: --policies: ") && err.contains("schema.cedarschema:1"),
        "{err}"
    );
    let (code, _, err) = authorize(&dogs, "dogs", None);
    assert_eq!(code, Some(1));
    assert!(err.contains("--route `dogs`: write a method and a path"), "{err}");
}
