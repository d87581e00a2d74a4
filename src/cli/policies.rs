//! `claimsgate policies validate DIR`: the check the authorizer runs at init
//! (parse, strict validation against the schema, actions as routes), on a
//! folder, before it is deployed.
//!
//! It uses `cli::output`; it is used by `cli`.

use std::path::PathBuf;
use std::process::ExitCode;

use authorizer::policies::{Source, Store};
use clap::Subcommand;

use super::output::emit;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Parse and validate a policy store (schema.cedarschema and *.cedar) as the authorizer does at init.
    Validate {
        /// The store's folder.
        dir: PathBuf,
    },
}

/// Validates and prints what the store holds; an invalid store is an error naming the file and line.
pub fn run(args: Args) -> Result<ExitCode, String> {
    let Action::Validate { dir } = args.action;
    let store = Source::read(&dir).and_then(Store::load).map_err(|e| e.to_string())?;
    let mut out = format!(
        "{}: valid ({} policies, {} routes)\n",
        dir.display(),
        store.rules.len(),
        store.routes.all().len()
    );
    for route in store.routes.all() {
        out.push_str(&format!("  route {route}\n"));
    }
    for warning in &store.warnings {
        out.push_str(&format!("  warning: {warning}\n"));
    }
    emit(&out)?;
    Ok(ExitCode::SUCCESS)
}
