//! # The command line
//!
//! `claimsgate` with no command (or `serve`) runs the local stack; the other
//! commands mint tokens, verify any token, drive a running stack's admin
//! actions, edit the users file, snapshot key sets, and check and try
//! policy stores. One file per command,
//! its arguments beside it; `main.rs` parses and dispatches.
//!
//! It uses the library (the stack, the stand-ins, their settings) and
//! `claimsgate-core`; nothing uses it but `main.rs`.

pub mod admin;
pub mod authorize;
pub mod banner;
pub mod jwks_fault;
pub mod jwks_snapshot;
pub mod logs;
pub mod output;
pub mod policies;
pub mod rotate_key;
pub mod serve;
pub mod token;
pub mod users;
pub mod verify;

use claimsgate::StackSettings;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "claimsgate",
    version,
    about = "Local Cognito + API Gateway stack for claimsgate, and token tools"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub stack: StackSettings,
    /// Log lines on standard error as readable text or as JSON (level: RUST_LOG, default info).
    #[arg(long, global = true, value_enum, env = "CLAIMSGATE_LOG_FORMAT", default_value = "text")]
    pub log_format: logs::LogFormat,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the Cognito and API Gateway stand-ins (the default).
    Serve(serve::Args),
    /// Rotate the running stack's signing key: the new key signs from now on,
    /// the old one stays in the JWKS for the grace period.
    RotateKey(rotate_key::Args),
    /// Make the running stack's JWKS endpoint fail (or recover), to see how the
    /// functions ride it out; prints the mode in force and the JWKS requests counted so far.
    JwksFault(jwks_fault::Args),
    /// Manage the users file (`--users-file`) the stack loads at start.
    Users(users::Args),
    /// Print ID, access and refresh tokens (JSON) for a user of the local pool.
    Token(token::Args),
    /// Fetch the issuers' key sets now and write them to a snapshot file that
    /// the functions load at cold start (`JWKS_SNAPSHOT`), so they need no fetch then.
    JwksSnapshot(jwks_snapshot::Args),
    /// Verify a token (also a real Cognito one) and print its header and claims, or the error code.
    /// The allowed app client is `--client-id` (the local client by default).
    Verify(verify::Args),
    /// Check a Cedar policy store as the authorizer does at init.
    Policies(policies::Args),
    /// Verify a token and print Cedar's decision for one request (`--route "GET /pets/7"`)
    /// on the policy store of `--policies` (the shipped one by default), with the policies that decided.
    Authorize(authorize::Args),
}

impl Command {
    /// True for the commands that run the stack (they log each request; the others only their problems).
    pub fn serves(command: Option<&Self>) -> bool {
        matches!(command, None | Some(Self::Serve(_)))
    }
}
