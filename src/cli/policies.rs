//! `claimsgate policies validate DIR`: the check the authorizer runs at init
//! (parse, strict validation against the schema, actions as routes), on a
//! folder, before it is deployed. `claimsgate policies schema-json DIR`: the
//! store's schema in Cedar's JSON format, which Verified Permissions'
//! `put-schema` takes; `claimsgate policies definitions DIR`: each policy as
//! a `create-policy` definition.
//!
//! It uses `cli::output`; it is used by `cli`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;

use authorizer::policies::{Source, Store};
use cedar_policy::{Policy, PolicySet};
use clap::Subcommand;
use serde_json::json;

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
        /// Refuse the store on any of the validator's warnings too (a policy that can never
        /// apply, say: often a misspelt attribute behind `has`). The authorizer, as Cedar and
        /// Verified Permissions do, only logs them; `scripts/check-store` refuses them before a deploy.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Print a valid store's schema in Cedar's JSON format (for Verified Permissions' put-schema).
    SchemaJson {
        /// The store's folder.
        dir: PathBuf,
    },
    /// Print each policy of a valid store as a Verified Permissions create-policy definition, one JSON line each.
    Definitions {
        /// The store's folder.
        dir: PathBuf,
    },
}

/// Runs the subcommand; an invalid store is an error naming the file and line.
pub fn run(args: Args) -> Result<ExitCode, String> {
    match args.action {
        Action::Validate { dir, deny_warnings } => validate(&dir, deny_warnings),
        Action::SchemaJson { dir } => schema_json(&dir),
        Action::Definitions { dir } => definitions(&dir),
    }
}

fn load(dir: &Path) -> Result<Store, String> {
    Source::read(dir).and_then(Store::load).map_err(|e| e.to_string())
}

/// Validates and prints what the store holds; with `deny_warnings`, a validator warning fails it.
fn validate(dir: &Path, deny_warnings: bool) -> Result<ExitCode, String> {
    let store = load(dir)?;
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
    for (a, b) in store.entangled_routes() {
        out.push_str(&format!(
            "  warning: \"{a}\" and \"{b}\" catch each other's requests: a principal allowed one and denied the other is denied both\n"
        ));
    }
    emit(&out)?;
    if deny_warnings && !store.warnings.is_empty() {
        return Err(format!(
            "{}: {} validator warning(s), refused with --deny-warnings",
            dir.display(),
            store.warnings.len()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints the schema as JSON: the file itself when it is `schema.cedarschema.json`,
/// else the Cedar-format file converted (common types resolved), after the
/// store validates as at init, so nothing invalid reaches a policy store.
fn schema_json(dir: &Path) -> Result<ExitCode, String> {
    let store = load(dir)?;
    let (file, json_format) = &store.source.schema;
    let json = if *json_format {
        file.text.clone()
    } else {
        let (mut json, _) = cedar_policy::schema_str_to_json_with_resolved_types(&file.text)
            .map_err(|e| format!("{}: {e}", file.name))?;
        boolean_by_its_json_name(&mut json);
        serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?
    };
    emit(&format!("{}\n", json.trim_end()))?;
    Ok(ExitCode::SUCCESS)
}

/// Prints `{"static": {"description": "<@id>", "statement": "<policy>"}}` per
/// policy, in file order: `create-policy` takes one policy per call. The
/// statement leaves the annotations out (the `@id` is the description).
fn definitions(dir: &Path) -> Result<ExitCode, String> {
    let store = load(dir)?;
    let mut out = String::new();
    for file in &store.source.policies {
        let parsed = PolicySet::from_str(&file.text).map_err(|e| format!("{}: {e}", file.name))?;
        let mut policies: Vec<(usize, &Policy)> = parsed
            .policies()
            .map(|p| (file.text.find(p.to_string().trim()).unwrap_or(usize::MAX), p))
            .collect();
        policies.sort_by_key(|(at, _)| *at);
        for (_, policy) in policies {
            let mut est = policy.to_json().map_err(|e| format!("{}: {e}", file.name))?;
            if let Some(fields) = est.as_object_mut() {
                fields.remove("annotations");
            }
            let statement =
                Policy::from_json(None, est).map_err(|e| format!("{}: {e}", file.name))?;
            let definition = match policy.annotation("id") {
                Some(id) => json!({"description": id, "statement": statement.to_string()}),
                None => json!({"statement": statement.to_string()}),
            };
            out.push_str(&format!("{}\n", json!({"static": definition})));
        }
    }
    emit(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// The converter writes `Bool` (Cedar's alias, a reserved name that nothing else
/// can take); the JSON format's own name for the type is `Boolean`, which every
/// Cedar parser reads.
fn boolean_by_its_json_name(json: &mut serde_json::Value) {
    match json {
        serde_json::Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key == "type" && value == "Bool" {
                    *value = serde_json::Value::from("Boolean");
                } else {
                    boolean_by_its_json_name(value);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(boolean_by_its_json_name),
        _ => {}
    }
}
