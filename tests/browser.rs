//! The hosted login page and the local app page in a real browser: headless
//! Chromium, driven over WebDriver, signs in, reads the claim, presses the
//! API buttons, refreshes and signs out. Waits poll every 50 ms up to a deadline.
//!
//! Needs Debian's `chromium` and `chromium-driver`, and starting a browser
//! takes seconds, so it is not part of `cargo test --workspace`: `.ci/run`
//! installs the browser and runs it with `cargo test --test browser -- --ignored`.
//! There (`CI=true`) a missing browser is a failure; elsewhere it says so and passes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use claimsgate::AuthorizerKind;
use common::flow::{claims_of, exchange_basic};
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
    let driver = Driver { child, url, profile };
    for _ in 0..200 {
        if reqwest::get(format!("{}/status", driver.url)).await.is_ok() {
            return Some(driver);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
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
    ClientBuilder::new(connector).capabilities(caps).connect(&driver.url).await.unwrap()
}

/// fantoccini's wait, polling every 50 ms for at most 10 s.
fn wait(b: &fantoccini::Client) -> fantoccini::wait::Wait<'_> {
    b.wait().every(Duration::from_millis(50)).at_most(Duration::from_secs(10))
}

/// Types the credentials into the login form (replacing what is there) and submits it.
async fn submit_login(b: &fantoccini::Client, email: &str, password: &str) {
    let username = wait(b).for_element(Locator::Id("username")).await.unwrap();
    username.clear().await.unwrap();
    username.send_keys(email).await.unwrap();
    let field = b.find(Locator::Id("password")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(password).await.unwrap();
    b.find(Locator::Id("signin")).await.unwrap().click().await.unwrap();
}

/// One browser for both walks: starting Chromium is most of the time they take.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "starts Chromium; .ci/run runs it with --ignored"]
async fn a_real_browser_signs_in_and_walks_the_app_page() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let b = browser(&driver).await;
    the_login_page_signs_in(&b).await;
    the_app_page_walks_the_article_for_both_users(&b).await;
    b.close().await.unwrap();
}

/// The hosted login page, for an app's own callback.
async fn the_login_page_signs_in(b: &fantoccini::Client) {
    // The app's callback: a page on loopback the browser lands on.
    let callback_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let callback = format!("http://{}/callback", callback_listener.local_addr().unwrap());
    let app = Router::new().route("/callback", get(|| async { "signed in" }));
    tokio::spawn(async move { axum::serve(callback_listener, app).await });

    let stack = common::stack_with(AuthorizerKind::Token, |settings| {
        settings.callback_urls = vec![callback.clone()];
    })
    .await;

    let authorize = format!(
        "{}/oauth2/authorize?response_type=code&client_id=claimsgate-local-client&redirect_uri={}&scope=openid+email&state=from-browser",
        stack.cognito_url,
        url::form_urlencoded::byte_serialize(callback.as_bytes()).collect::<String>()
    );

    // A wrong password first: the page says so and stays.
    b.goto(&authorize).await.unwrap();
    submit_login(b, "test-user@amazon.com", "wrong").await;
    let error = wait(b).for_element(Locator::Id("error")).await.unwrap().text().await.unwrap();
    assert_eq!(error, "Incorrect username or password.");

    // Then the right one: the browser lands on the callback with a code.
    submit_login(b, "test-user@amazon.com", "Dogs-rule-1").await;
    let mut landed = None;
    for _ in 0..200 {
        let url = b.current_url().await.unwrap();
        if url.as_str().starts_with(&callback) {
            landed = Some(url);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let landed = landed.expect("the browser never reached the callback");
    let param =
        |name: &str| landed.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    assert_eq!(param("state").as_deref(), Some("from-browser"));
    let code = param("code").expect("no code on the callback");
    let body = b.find(Locator::Css("body")).await.unwrap().text().await.unwrap();
    assert_eq!(body, "signed in");

    // The code the browser carried buys tokens with the trigger's claim.
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", callback.as_str()),
    ];
    let tokens: Value = exchange_basic(&stack, &form).await.json().await.unwrap();
    let id = tokens["id_token"].as_str().expect("no id_token");
    assert_eq!(claims_of(id)["pet_preference"], "dogs");
}

/// Polls the text of element `id` every 50 ms until `accept` takes it (at most 10 s).
async fn wait_text(b: &fantoccini::Client, id: &str, accept: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = None;
    loop {
        if let Ok(element) = b.find(Locator::Id(id)).await
            && let Ok(text) = element.text().await
        {
            if accept(&text) {
                return text;
            }
            last = Some(text);
        }
        assert!(Instant::now() < deadline, "#{id} never showed what was expected; last: {last:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn click(b: &fantoccini::Client, id: &str) {
    b.find(Locator::Id(id)).await.unwrap().click().await.unwrap();
}

/// From the app page, through the hosted login page, back to the app signed in as `user`.
async fn sign_in_on_app(b: &fantoccini::Client, s: &common::TestStack, user: (&str, &str)) {
    b.goto(&s.app_url()).await.unwrap();
    click(b, "sign-in").await;
    let to = wait_text(b, "signing-in-to", |t| !t.is_empty()).await;
    assert_eq!(to, "to app client claimsgate-local-client of user pool local_claimsgate");
    submit_login(b, user.0, user.1).await;
    wait_text(b, "pet-value", |t| !t.is_empty()).await;
    assert_eq!(b.current_url().await.unwrap().as_str(), s.app_url());
}

/// Presses the button of route `name` (`dogs`, `cats`, `me`): the status line and body it shows.
async fn press(b: &fantoccini::Client, name: &str) -> (String, String) {
    click(b, &format!("call-{name}")).await;
    let status =
        wait_text(b, &format!("status-{name}"), |t| !t.is_empty() && t != "\u{2026}").await;
    let body = b.find(Locator::Id(&format!("body-{name}"))).await.unwrap().text().await.unwrap();
    (status, body)
}

async fn text_of(b: &fantoccini::Client, id: &str) -> String {
    b.find(Locator::Id(id)).await.unwrap().text().await.unwrap()
}

/// Signs out with the page's button and lands on the signed-out page.
async fn sign_out(b: &fantoccini::Client, s: &common::TestStack) {
    click(b, "sign-out").await;
    wait_text(b, "signed-out", |t| t.starts_with("You are not signed in")).await;
    assert_eq!(b.current_url().await.unwrap().as_str(), s.app_url());
}

/// The countdown of a token just issued for 300 s (a second may have passed).
fn full_life(text: &str) -> bool {
    text == "expires in 5:00" || text.starts_with("expires in 4:5")
}

const HOSTILE: &str = "<img src=x onerror=\"document.title='pwned'\">";

/// The app page from the banner: both seeded users, refresh, sign-out, a hostile attribute.
async fn the_app_page_walks_the_article_for_both_users(b: &fantoccini::Client) {
    // The seeded users, and one whose attribute is markup.
    let dir = common::KeyDir::new();
    let users = dir.0.join("users.json");
    let mut list = serde_json::to_value(claimsgate::users::seeded()).unwrap();
    list.as_array_mut().unwrap().push(json!({
        "email": "odd@example.com", "password": "Odd-rule-1", "email_verified": true,
        "attributes": {"custom:pet_preference": HOSTILE}
    }));
    std::fs::write(&users, list.to_string()).unwrap();
    let s = common::stack_with(AuthorizerKind::Token, |settings| {
        settings.users_file = Some(users.clone());
        settings.token_ttl = 300;
    })
    .await;

    // The dogs user: the claim, the rule that set it, /dogs 200 and /cats 403.
    sign_in_on_app(b, &s, common::flow::DOGS).await;
    assert_eq!(text_of(b, "pet-value").await, "dogs");
    assert_eq!(
        text_of(b, "rule").await,
        "rule: email_domain: the verified email's domain matches the PET_RULES entry amazon.com=dogs"
    );
    assert_eq!(text_of(b, "user").await, "test-user@amazon.com");
    assert_eq!(text_of(b, "id-pet").await, "pet_preference dogs", "highlighted in the ID token");
    assert_eq!(text_of(b, "access-pet").await, "pet_preference dogs");
    wait_text(b, "id-expiry", full_life).await;
    assert_eq!(press(b, "dogs").await.0, "200 OK");
    assert_eq!(press(b, "cats").await.0, "403 Forbidden");
    if let Ok(path) = std::env::var("CLAIMSGATE_SCREENSHOT") {
        b.set_window_size(1000, 1360).await.unwrap();
        std::fs::write(path, b.screenshot().await.unwrap()).unwrap();
    }
    let (status, body) = press(b, "me").await;
    assert_eq!(status, "200 OK");
    assert!(body.contains("\"pet_preference\": \"dogs\""), "{body}");

    // Nothing of the tokens in the browser's storage, its cookies, the URL or the
    // page (the pattern finds a real token: the last item).
    let token = s.tokens_for(common::flow::DOGS.0).await.unwrap().id_token;
    let seen = b
        .execute(
            "const jwt = /eyJ[\\w-]+\\.eyJ/; \
             return [localStorage.length, sessionStorage.length, document.cookie, location.href, \
             jwt.test(document.documentElement.outerHTML), jwt.test(arguments[0])]",
            vec![json!(token)],
        )
        .await
        .unwrap();
    assert_eq!(seen, json!([0, 0, "", s.app_url(), false, true]));

    // The tokens expire (the stack's clock moves on): /dogs is 401 until a refresh.
    s.clock.advance(Duration::from_secs(301));
    assert_eq!(press(b, "dogs").await.0, "401 Unauthorized");
    click(b, "refresh").await;
    wait_text(b, "id-expiry", full_life).await;
    assert_eq!(press(b, "dogs").await.0, "200 OK");
    sign_out(b, &s).await;

    // The cats user: the opposite, by the default rule.
    sign_in_on_app(b, &s, common::flow::CATS).await;
    assert_eq!(text_of(b, "pet-value").await, "cats");
    assert_eq!(
        text_of(b, "rule").await,
        "rule: default: DEFAULT_PET=cats: no PET_RULES domain matches the email"
    );
    assert_eq!(press(b, "dogs").await.0, "403 Forbidden");
    assert_eq!(press(b, "cats").await.0, "200 OK");
    sign_out(b, &s).await;

    // A hostile attribute value is shown as text: no element, no handler, no script ran.
    sign_in_on_app(b, &s, ("odd@example.com", "Odd-rule-1")).await;
    assert_eq!(text_of(b, "pet-value").await, "cats");
    let rule = text_of(b, "rule").await;
    assert!(
        rule.ends_with(&format!(
            "custom:pet_preference \"{HOSTILE}\" is not dogs or cats, so it was ignored"
        )),
        "{rule}"
    );
    assert!(b.find_all(Locator::Css("img")).await.unwrap().is_empty());
    let title = b.execute("return document.title", vec![]).await.unwrap();
    assert_eq!(title, "claimsgate: signed in");
}
