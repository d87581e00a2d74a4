//! What the stack's tests share: a stack on free ports with the test key and a manual clock.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

pub mod flow;
pub mod html;
pub mod triggers;

use std::sync::Arc;

use claimsgate::apigw::AuthorizerFunction;
use claimsgate::trigger::Trigger;
use claimsgate::{AuthorizerKind, Stack, StackSettings};
use claimsgate_core::Clock;
use claimsgate_core::testing::{ManualClock, test_key};

/// Where every test stack's clock starts.
pub const START: u64 = claimsgate_core::testing::TEST_NOW;

/// A running stack, the clock it tells time by, and its key file (a rotation writes there).
pub struct TestStack {
    pub stack: Stack,
    pub clock: Arc<ManualClock>,
    pub key: KeyDir,
}

impl std::ops::Deref for TestStack {
    type Target = Stack;
    fn deref(&self) -> &Stack {
        &self.stack
    }
}

/// Starts a stack on free ports, signing with the process's test key, at [`START`].
pub async fn stack_with(kind: AuthorizerKind, edit: impl FnOnce(&mut StackSettings)) -> TestStack {
    start(edit, |settings, clock| async move { claimsgate::start(&settings, kind, clock).await })
        .await
}

/// Like [`stack_with`], with `trigger` answering the Pre Token Generation events.
pub async fn stack_with_trigger(
    kind: AuthorizerKind,
    edit: impl FnOnce(&mut StackSettings),
    trigger: Arc<dyn Trigger>,
) -> TestStack {
    start(edit, |settings, clock| async move {
        claimsgate::start_with_trigger(&settings, kind, clock, trigger).await
    })
    .await
}

/// Like [`stack_with`], with `authorizer` behind the API instead of the real one.
pub async fn stack_with_authorizer(
    kind: AuthorizerKind,
    edit: impl FnOnce(&mut StackSettings),
    authorizer: Arc<dyn AuthorizerFunction>,
) -> TestStack {
    start(edit, |settings, clock| async move {
        claimsgate::start_with_authorizer(&settings, kind, clock, authorizer).await
    })
    .await
}

/// The settings (with `edit` applied) and the clock of a new stack, to `begin` it with.
async fn start<F: std::future::Future<Output = Result<Stack, String>>>(
    edit: impl FnOnce(&mut StackSettings),
    begin: impl FnOnce(StackSettings, Arc<dyn Clock>) -> F,
) -> TestStack {
    let key = KeyDir::new();
    let mut settings = StackSettings::ephemeral(key.path()).unwrap();
    edit(&mut settings);
    let clock = Arc::new(ManualClock::at_secs(START));
    let stack = begin(settings, clock.clone()).await.unwrap();
    TestStack { stack, clock, key }
}

/// A stack with the defaults (REST `TOKEN` authorizer events).
pub async fn stack() -> TestStack {
    stack_with(AuthorizerKind::Token, |_| {}).await
}

/// Reads `child`'s standard output line by line until `done` accepts a line,
/// for at most `limit`. A thread reads and a channel waits with a deadline,
/// so a child that prints nothing cannot hang the test.
///
/// # Panics
/// When no line is accepted in time (with what was read so far).
pub fn read_until(
    child: &mut std::process::Child,
    limit: std::time::Duration,
    done: impl Fn(&str) -> bool,
) -> Vec<String> {
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("the child's stdout is piped");
    let (lines_in, lines_out) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines_in.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + limit;
    let mut lines = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match lines_out.recv_timeout(left) {
            Ok(line) => {
                let stop = done(&line);
                lines.push(line);
                if stop {
                    return lines;
                }
            }
            Err(_) => panic!("no expected line within {limit:?}; read so far: {lines:?}"),
        }
    }
}

/// A directory holding the process's test key as `key.pem`, removed on drop.
pub struct KeyDir(pub std::path::PathBuf);

impl KeyDir {
    pub fn new() -> Self {
        let dir =
            std::env::temp_dir().join(format!("claimsgate-key-{}", claimsgate::random::uuid()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("key.pem"), test_key(0, "").to_pkcs8_pem()).unwrap();
        Self(dir)
    }

    pub fn path(&self) -> std::path::PathBuf {
        self.0.join("key.pem")
    }
}

impl Drop for KeyDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A policy store folder, removed on drop.
pub struct PolicyDir(pub std::path::PathBuf);

impl PolicyDir {
    /// A folder holding `files` (name, text).
    pub fn of(files: &[(&str, &str)]) -> Self {
        let dir = std::env::temp_dir()
            .join(format!("claimsgate-policies-{}", claimsgate::random::uuid()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        Self(dir)
    }

    /// The shipped store (`policies/`) with `extra` files beside its own.
    pub fn shipped_plus(extra: &[(&str, &str)]) -> Self {
        let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
        let dir = Self::of(extra);
        for entry in std::fs::read_dir(shipped).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, dir.0.join(path.file_name().unwrap())).unwrap();
        }
        dir
    }
}

impl Drop for PolicyDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `n`th fenced block of language `lang` under the README heading `heading`
/// (the README's examples are run as tests, so they cannot drift from the code).
pub fn readme_block(heading: &str, lang: &str, n: usize) -> String {
    let readme = include_str!("../../README.md");
    let section = readme.split_once(&format!("\n{heading}\n")).map_or("", |(_, rest)| rest);
    let section = section.split("\n## ").next().unwrap_or_default();
    let fence = format!("```{lang}\n");
    section
        .split(&fence)
        .skip(1)
        .nth(n)
        .and_then(|block| block.split_once("\n```").map(|(code, _)| code.to_owned()))
        .unwrap_or_else(|| panic!("README: no {lang} block #{n} under {heading}"))
}
