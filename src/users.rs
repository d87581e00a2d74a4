//! The users of the local pool: two seeded ones, or a users file.

use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

/// A user of the local pool.
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    /// Sign-in name and `email` attribute.
    pub email: String,
    /// Password for the hosted login page.
    pub password: String,
    /// The `email_verified` attribute.
    #[serde(default = "yes")]
    pub email_verified: bool,
    /// Other attributes, e.g. `{"custom:pet_preference": "cats"}`.
    #[serde(default)]
    pub attributes: Map<String, Value>,
    /// Group names (`cognito:groups`).
    #[serde(default)]
    pub groups: Vec<String>,
    /// The user's `sub`; derived from the email when the file gives none.
    #[serde(default)]
    sub: Option<String>,
}

fn yes() -> bool {
    true
}

impl User {
    fn seeded(email: &str, password: &str) -> Self {
        Self {
            email: email.into(),
            password: password.into(),
            email_verified: true,
            attributes: Map::new(),
            groups: Vec::new(),
            sub: None,
        }
        .with_sub()
    }

    /// Fills in a missing `sub` once, at load: a UUID-shaped digest of the email, stable across restarts.
    fn with_sub(mut self) -> Self {
        if self.sub.is_none() {
            let d = aws_lc_rs::digest::digest(
                &aws_lc_rs::digest::SHA256,
                self.email.to_ascii_lowercase().as_bytes(),
            );
            self.sub = Some(crate::random::uuid_from(d.as_ref()));
        }
        self
    }

    /// The stable `sub`.
    #[must_use]
    pub fn sub(&self) -> &str {
        self.sub.as_deref().unwrap_or_default()
    }

    /// The Cognito user attributes as the trigger sees them (all strings).
    #[must_use]
    pub fn attributes(&self) -> Map<String, Value> {
        let mut attrs = self.attributes.clone();
        attrs.insert("sub".into(), Value::String(self.sub().to_owned()));
        attrs.insert("email".into(), Value::String(self.email.clone()));
        attrs.insert(
            "email_verified".into(),
            Value::String(self.email_verified.to_string()),
        );
        attrs.insert(
            "cognito:user_status".into(),
            Value::String("CONFIRMED".into()),
        );
        attrs
    }
}

/// The seeded users: one that gets `dogs`, one that gets `cats`.
#[must_use]
pub fn seeded() -> Vec<User> {
    vec![
        User::seeded("test-user@amazon.com", "Dogs-rule-1"),
        User::seeded("test-user@example.com", "Cats-rule-1"),
    ]
}

/// Reads a users file.
///
/// # Errors
/// A message naming the file and what is wrong with it.
pub fn load(path: &Path) -> Result<Vec<User>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read users file {}: {e}", path.display()))?;
    let users: Vec<User> = serde_json::from_str(&text).map_err(|e| {
        format!(
            "users file {} is not a JSON list of users: {e}",
            path.display()
        )
    })?;
    if users.is_empty() {
        return Err(format!("users file {} lists no user", path.display()));
    }
    Ok(users.into_iter().map(User::with_sub).collect())
}
