//! `claimsgate users`: adds a user to the users file, sets a user's
//! attributes, or lists the users (without passwords).
//!
//! It uses `cli::output`; it is used by `cli::banner`, `cli`.

use std::process::ExitCode;

use claimsgate::StackSettings;
use claimsgate::cognito::users::{self, User};
use clap::Subcommand;

use super::output::emit;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Add a user (the file is created with the two seeded users when missing).
    Add {
        /// Sign-in name and `email` attribute.
        #[arg(long)]
        email: String,
        /// Password for the hosted login page.
        #[arg(long)]
        password: String,
        /// Whether the email is verified (only a verified email earns a `PET_RULES` domain).
        #[arg(long, required = true, action = clap::ArgAction::Set)]
        email_verified: bool,
        /// An attribute, `NAME=VALUE` (e.g. `custom:pet_preference=dogs`); repeatable.
        #[arg(long = "attribute", value_name = "NAME=VALUE")]
        attributes: Vec<String>,
        /// A group; repeatable.
        #[arg(long = "group")]
        groups: Vec<String>,
    },
    /// Set attributes of a user, as an administrator does (`custom:pet_preference` is set only this way).
    SetAttribute {
        /// The user's email.
        #[arg(long)]
        email: String,
        /// `NAME=VALUE` pairs (e.g. `custom:pet_preference=cats`, `email_verified=false`).
        #[arg(required = true, value_name = "NAME=VALUE")]
        attributes: Vec<String>,
    },
    /// List the users of the file (or the seeded ones), without passwords.
    List,
}

/// `claimsgate users ...`: edits or lists the users file.
pub fn run(settings: &StackSettings, args: Args) -> Result<ExitCode, String> {
    let file = || {
        settings.users_file.as_deref().ok_or_else(|| {
            "name the users file with --users-file FILE (the stack loads it with the same flag)"
                .to_owned()
        })
    };
    let pairs = |items: &[String]| -> Result<Vec<(String, String)>, String> {
        items
            .iter()
            .map(|item| {
                item.split_once('=')
                    .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
                    .ok_or_else(|| format!("`{item}` is not NAME=VALUE"))
            })
            .collect()
    };
    match args.action {
        Action::Add { email, password, email_verified, attributes, groups } => {
            let path = file()?;
            let mut user = User::new(&email, &password, email_verified);
            for (name, value) in pairs(&attributes).map_err(|e| format!("--attribute: {e}"))? {
                user.set_attribute(&name, &value).map_err(|e| format!("--attribute: {e}"))?;
            }
            user.groups = groups;
            users::add(path, user)?;
            emit(&format!("added {email} to {}\n", path.display()))?;
        }
        Action::SetAttribute { email, attributes } => {
            let path = file()?;
            users::set_attributes(path, &email, &pairs(&attributes)?)?;
            emit(&format!("updated {email} in {}\n", path.display()))?;
        }
        Action::List => {
            let list = claimsgate::users_of(settings)?;
            let mut out = String::new();
            for user in &list {
                out.push_str(&format!("{:<28} sub: {}{}\n", user.email, user.sub(), details(user)));
            }
            emit(&out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `  email_verified=false, custom:pet_preference=cats, groups: a b` for the banner and `users list`.
pub fn details(user: &User) -> String {
    let mut parts = Vec::new();
    if !user.email_verified {
        parts.push("email_verified=false".to_owned());
    }
    for (name, value) in &user.attributes {
        parts.push(format!("{name}={}", value.as_str().unwrap_or_default()));
    }
    if !user.groups.is_empty() {
        parts.push(format!("groups: {}", user.groups.join(" ")));
    }
    if parts.is_empty() { String::new() } else { format!("  ({})", parts.join(", ")) }
}
