//! The hosted login page in a real browser: headless Chromium, driven over
//! WebDriver, fills the form, submits, and the code comes back on the callback.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them).
//! Outside CI the test says so and passes when they are missing; in CI
//! (`CI=true`) a missing browser is a failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use claimsgate::AuthorizerKind;
use fantoccini::{ClientBuilder, Locator};
use serde_json::{Value, json};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

struct Driver {
    child: Child,
    url: String,
    profile: std::path::PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

async fn start_driver() -> Option<Driver> {
    if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must install chromium and chromium-driver for the browser test"
        );
        eprintln!(
            "skipping: {CHROMEDRIVER} or {CHROMIUM} not installed (apt-get install chromium chromium-driver)"
        );
        return None;
    }
    // Port 0: chromedriver binds a free port itself and says which.
    let mut child = Command::new(CHROMEDRIVER)
        .arg("--port=0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = common::read_until(&mut child, Duration::from_secs(20), |line| {
        line.contains("started successfully on port")
    });
    let port = started
        .last()
        .and_then(|l| l.rsplit(' ').next())
        .map(|p| p.trim_end_matches('.').to_owned())
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let profile = std::env::temp_dir().join(format!("claimsgate-chromium-{port}"));
    let driver = Driver {
        child,
        url,
        profile,
    };
    for _ in 0..100 {
        if reqwest::get(format!("{}/status", driver.url)).await.is_ok() {
            return Some(driver);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start");
}

async fn browser(driver: &Driver) -> fantoccini::Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                format!("--user-data-dir={}", driver.profile.display()),
            ],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap()
}

/// Types the credentials into the login form (replacing what is there) and submits it.
async fn submit_login(b: &fantoccini::Client, email: &str, password: &str) {
    let username = b.wait().for_element(Locator::Id("username")).await.unwrap();
    username.clear().await.unwrap();
    username.send_keys(email).await.unwrap();
    let field = b.find(Locator::Id("password")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(password).await.unwrap();
    b.find(Locator::Id("signin"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_page_signs_in_from_a_real_browser() {
    let Some(driver) = start_driver().await else {
        return;
    };

    // The app's callback: a page on loopback the browser lands on.
    let callback_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let callback = format!(
        "http://{}/callback",
        callback_listener.local_addr().unwrap()
    );
    let app = Router::new().route("/callback", get(|| async { "signed in" }));
    tokio::spawn(async move { axum::serve(callback_listener, app).await });

    let stack = common::stack_with(AuthorizerKind::Token, |settings| {
        settings.callback_urls = vec![callback.clone()];
    })
    .await;

    let b = browser(&driver).await;
    let authorize = format!(
        "{}/oauth2/authorize?response_type=code&client_id=claimsgate-local-client&redirect_uri={}&scope=openid+email&state=from-browser",
        stack.cognito_url,
        url::form_urlencoded::byte_serialize(callback.as_bytes()).collect::<String>()
    );

    // A wrong password first: the page says so and stays.
    b.goto(&authorize).await.unwrap();
    submit_login(&b, "test-user@amazon.com", "wrong").await;
    let error = b
        .wait()
        .for_element(Locator::Id("error"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(error, "Incorrect username or password.");

    // Then the right one: the browser lands on the callback with a code.
    submit_login(&b, "test-user@amazon.com", "Dogs-rule-1").await;
    let mut landed = None;
    for _ in 0..100 {
        let url = b.current_url().await.unwrap();
        if url.as_str().starts_with(&callback) {
            landed = Some(url);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let landed = landed.expect("the browser never reached the callback");
    let param = |name: &str| {
        landed
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(param("state").as_deref(), Some("from-browser"));
    let code = param("code").expect("no code on the callback");
    let body = b
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "signed in");
    b.close().await.unwrap();

    // The code the browser carried buys tokens with the trigger's claim.
    let tokens: Value = reqwest::Client::new()
        .post(format!("{}/oauth2/token", stack.cognito_url))
        .basic_auth("claimsgate-local-client", Some("claimsgate-local-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", callback.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = tokens["id_token"].as_str().expect("no id_token");
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(id.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["pet_preference"], "dogs");
}
