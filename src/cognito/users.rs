//! The users of the local pool: two seeded ones, or a users file read strictly.
//!
//! A users file is a JSON list of `{"email", "password", "email_verified",
//! "attributes", "groups", "sub"}` (the last three optional). Unknown keys,
//! a missing `email_verified`, duplicate emails and attributes Cognito would
//! refuse are errors that name the line or the entry, never silent defaults:
//! a misspelled `emailVerified` must not yield a verified user.
//!
//! It uses `support::files`, `support::random`; it is used by `app::page`, `cognito::issuer`,
//! `cognito::pool`, `stack`.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Cognito's standard attributes a user may hold besides `email` and `email_verified`.
const STANDARD_ATTRIBUTES: &[&str] = &[
    "address",
    "birthdate",
    "family_name",
    "gender",
    "given_name",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "phone_number_verified",
    "picture",
    "preferred_username",
    "profile",
    "updated_at",
    "website",
    "zoneinfo",
];

/// A user of the local pool.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// Sign-in name and `email` attribute.
    pub email: String,
    /// Password for the hosted login page.
    pub password: String,
    /// The `email_verified` attribute (required: an unverified email never earns a domain rule).
    pub email_verified: bool,
    /// Other attributes, e.g. `{"custom:pet_preference": "cats"}` (string values).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub attributes: Map<String, Value>,
    /// Group names (`cognito:groups`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// The user's `sub`; derived from the email when the file gives none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
}

impl User {
    /// A new user, verified or not, without attributes or groups.
    #[must_use]
    pub fn new(email: &str, password: &str, email_verified: bool) -> Self {
        Self {
            email: email.trim().to_owned(),
            password: password.to_owned(),
            email_verified,
            attributes: Map::new(),
            groups: Vec::new(),
            sub: None,
        }
    }

    /// The stable `sub`: the file's, else a UUID-shaped digest of the email (the same across restarts).
    #[must_use]
    pub fn sub(&self) -> String {
        self.sub.clone().unwrap_or_else(|| {
            let d = aws_lc_rs::digest::digest(
                &aws_lc_rs::digest::SHA256,
                self.email.to_ascii_lowercase().as_bytes(),
            );
            crate::support::random::uuid_from(d.as_ref())
        })
    }

    /// The Cognito user attributes as the trigger sees them (all strings).
    #[must_use]
    pub fn attributes(&self) -> Map<String, Value> {
        let mut attrs = self.attributes.clone();
        attrs.insert("sub".into(), Value::String(self.sub()));
        attrs.insert("email".into(), Value::String(self.email.clone()));
        attrs.insert("email_verified".into(), Value::String(self.email_verified.to_string()));
        attrs.insert("cognito:user_status".into(), Value::String("CONFIRMED".into()));
        attrs
    }

    /// Sets one attribute as `claimsgate users set-attribute` does: `email_verified`
    /// (`true`/`false`), a standard attribute, or a `custom:` one.
    ///
    /// # Errors
    /// When Cognito would refuse the name or the value.
    pub fn set_attribute(&mut self, name: &str, value: &str) -> Result<(), String> {
        if name == "email_verified" {
            self.email_verified = match value {
                "true" => true,
                "false" => false,
                _ => return Err(format!("email_verified is true or false, not `{value}`")),
            };
            return Ok(());
        }
        check_attribute(name)?;
        self.attributes.insert(name.to_owned(), Value::String(value.to_owned()));
        Ok(())
    }

    /// What is wrong with this user, if anything.
    fn problem(&self) -> Option<String> {
        let email = self.email.trim();
        let Some((local, domain)) = email.split_once('@') else {
            return Some(format!("`{email}` is not an email address"));
        };
        if local.is_empty() || domain.is_empty() || domain.contains('@') {
            return Some(format!("`{email}` is not an email address"));
        }
        if self.password.is_empty() {
            return Some("the password is empty".into());
        }
        for (name, value) in &self.attributes {
            if let Err(why) = check_attribute(name) {
                return Some(why);
            }
            if !value.is_string() {
                return Some(format!(
                    "attribute `{name}` must be a string (Cognito keeps attributes as strings)"
                ));
            }
        }
        if self.groups.iter().any(|g| g.trim().is_empty()) {
            return Some("a group name is empty".into());
        }
        None
    }
}

/// Checks an attribute name a user may hold in `attributes`.
fn check_attribute(name: &str) -> Result<(), String> {
    if matches!(name, "sub" | "email" | "email_verified") || name.starts_with("cognito:") {
        return Err(format!(
            "attribute `{name}` is Cognito's own; set `email`, `email_verified` and `sub` as user fields"
        ));
    }
    if let Some(custom) = name.strip_prefix("custom:") {
        let ok = !custom.is_empty()
            && custom.len() <= 20
            && custom.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        return if ok {
            Ok(())
        } else {
            Err(format!(
                "attribute `{name}`: a custom attribute is custom: and 1 to 20 letters, digits, _ or -"
            ))
        };
    }
    if STANDARD_ATTRIBUTES.contains(&name) {
        Ok(())
    } else {
        Err(format!("attribute `{name}` is neither a standard attribute nor custom:NAME"))
    }
}

/// The seeded users: one that gets `dogs`, one that gets `cats`.
#[must_use]
pub fn seeded() -> Vec<User> {
    vec![
        User::new("test-user@amazon.com", "Dogs-rule-1", true),
        User::new("test-user@example.com", "Cats-rule-1", true),
    ]
}

/// Reads users-file text (`origin` names it in messages).
///
/// # Errors
/// A message naming the line (for JSON and unknown or missing keys) or the
/// entry (for duplicate emails and refused values), and the reason.
pub fn parse(text: &str, origin: &str) -> Result<Vec<User>, String> {
    let users: Vec<User> = serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        let hint = if message.contains("unknown field") {
            ""
        } else if message.contains("missing field `email_verified`") {
            "; state \"email_verified\": true or false for every user"
        } else {
            ""
        };
        format!(
            "{origin}: line {}, column {}: {}{hint}",
            e.line(),
            e.column(),
            strip_position(&message)
        )
    })?;
    for (index, user) in users.iter().enumerate() {
        let entry = index + 1;
        if let Some(problem) = user.problem() {
            return Err(format!("{origin}: entry {entry} ({}): {problem}", user.email));
        }
        if let Some(first) = users[..index]
            .iter()
            .position(|u| u.email.trim().eq_ignore_ascii_case(user.email.trim()))
        {
            return Err(format!(
                "{origin}: entry {entry} ({}): the email is already used by entry {}; emails are sign-in names and must be unique",
                user.email,
                first + 1
            ));
        }
    }
    Ok(users)
}

/// serde_json ends its messages with " at line L column C", which [`parse`] states first.
fn strip_position(message: &str) -> &str {
    message.rfind(" at line ").map_or(message, |at| &message[..at])
}

/// Reads a users file.
///
/// # Errors
/// A message naming `--users-file`, the line or entry, and what is wrong.
pub fn load(path: &Path) -> Result<Vec<User>, String> {
    let origin = format!("--users-file {}", path.display());
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("{origin}: cannot read it: {e}"))?;
    let users = parse(&text, &origin)?;
    if users.is_empty() {
        return Err(format!("{origin}: lists no user"));
    }
    Ok(users)
}

/// Writes `users` to `path` as `load` reads them (owner-only: the file holds passwords).
///
/// # Errors
/// When the file cannot be written.
pub fn save(path: &Path, users: &[User]) -> Result<(), String> {
    let origin = format!("--users-file {}", path.display());
    let mut text = serde_json::to_string_pretty(users).map_err(|e| format!("{origin}: {e}"))?;
    text.push('\n');
    crate::support::files::replace_private(path, &text)
        .map_err(|e| format!("{origin}: cannot write it: {e}"))
}

/// Adds `user` to the file (created with the seeded users when missing, so none disappears).
///
/// # Errors
/// When the file cannot be read or written, the user is refused, or the email is taken.
pub fn add(path: &Path, user: User) -> Result<(), String> {
    let mut users = if path.exists() { load(path)? } else { seeded() };
    users.push(user);
    // The same checks as reading: what `add` writes, `load` accepts.
    let checked = parse(
        &serde_json::to_string(&users).map_err(|e| e.to_string())?,
        &format!("--users-file {}", path.display()),
    )?;
    save(path, &checked)
}

/// Sets attributes of the user `email` in the file.
///
/// # Errors
/// When the file cannot be used, there is no such user, or an attribute is refused.
pub fn set_attributes(path: &Path, email: &str, pairs: &[(String, String)]) -> Result<(), String> {
    let mut users = load(path)?;
    let user = users
        .iter_mut()
        .find(|u| u.email.eq_ignore_ascii_case(email.trim()))
        .ok_or_else(|| format!("--email: no user {email} in --users-file {}", path.display()))?;
    for (name, value) in pairs {
        user.set_attribute(name, value)?;
    }
    save(path, &users)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn the_users_file_is_read_strictly() {
        let cases = [
            (
                r#"[{"email":"x@amazon.com","password":"P-1","emailVerified":false}]"#,
                "line 1, column 57: unknown field `emailVerified`, expected one of `email`",
            ),
            (
                "[\n  {\"email\":\"x@amazon.com\",\"password\":\"P-1\"}\n]",
                "line 2, column 43: missing field `email_verified`; state \"email_verified\": true or false",
            ),
            (
                r#"[{"email":"a@b.c","password":"p","email_verified":true},
                   {"email":"A@B.C","password":"q","email_verified":false}]"#,
                "entry 2 (A@B.C): the email is already used by entry 1",
            ),
            (r#"[{"email":"a@b.c","password":"p","email_verified":"yes"}]"#, "invalid type"),
            (
                r#"[{"email":"ab.c","password":"p","email_verified":true}]"#,
                "entry 1 (ab.c): `ab.c` is not an email address",
            ),
            (
                r#"[{"email":"a@b.c","password":"p","email_verified":true,"attributes":{"custom:pet_preference":1}}]"#,
                "must be a string",
            ),
            (
                r#"[{"email":"a@b.c","password":"p","email_verified":true,"attributes":{"pet":"dogs"}}]"#,
                "neither a standard attribute nor custom:NAME",
            ),
            (
                r#"[{"email":"a@b.c","password":"p","email_verified":true,"attributes":{"email_verified":"true"}}]"#,
                "Cognito's own",
            ),
        ];
        for (text, want) in cases {
            let err = parse(text, "users.json").unwrap_err();
            assert!(err.starts_with("users.json: "), "{err}");
            assert!(err.contains(want), "{text}\n-> {err}");
        }
        let users = parse(
            r#"[{"email":"a@b.c","password":"p","email_verified":false,"attributes":{"custom:pet_preference":"dogs","name":"A"},"groups":["g"]}]"#,
            "users.json",
        )
        .unwrap();
        assert!(!users[0].email_verified);
        assert_eq!(users[0].attributes()["custom:pet_preference"], "dogs");
    }

    #[test]
    fn set_attribute_follows_cognito_rules() {
        let mut user = User::new("a@b.c", "p", true);
        user.set_attribute("custom:pet_preference", "cats").unwrap();
        user.set_attribute("email_verified", "false").unwrap();
        assert!(!user.email_verified);
        assert_eq!(user.attributes["custom:pet_preference"], "cats");
        for (name, value) in [
            ("email_verified", "yes"),
            ("sub", "x"),
            ("cognito:groups", "x"),
            ("custom:", "x"),
            ("custom:this_name_is_far_too_long", "x"),
            ("pet_preference", "dogs"),
        ] {
            assert!(user.set_attribute(name, value).is_err(), "{name}");
        }
    }
}
