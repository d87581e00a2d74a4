//! `claimsgate authorize --token JWT --route "GET /pets/7"`: the test bench of
//! a policy store, as Verified Permissions' console has one. It verifies the
//! token as `verify` does, finds the route API Gateway would send the request
//! to, and prints Cedar's decision with the ids of the policies that decided.
//! The store is `--policies DIR` (the shipped one by default); errors in it are
//! reported as the authorizer reports them at init.
//!
//! It uses `cli::output`, `cli::verify`; it is used by `cli`.

use std::process::ExitCode;

use claimsgate::StackSettings;
use serde_json::json;

use super::output::emit;
use super::verify::{Against, verified};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The JWT.
    #[arg(long)]
    token: String,
    /// The request: a method and a path, e.g. "GET /pets/7".
    #[arg(long, value_name = "METHOD PATH")]
    route: String,
    #[command(flatten)]
    against: Against,
}

/// Prints the decision as JSON; exit status 0 for allow, 1 for deny or a refused token.
pub async fn run(settings: &StackSettings, args: Args) -> Result<ExitCode, String> {
    let store = claimsgate::stack::policy_store(settings)?;
    let (method, path) = args
        .route
        .trim()
        .split_once(' ')
        .map(|(m, p)| (m.to_ascii_uppercase(), p.trim().to_owned()))
        .filter(|(_, p)| p.starts_with('/'))
        .ok_or_else(|| {
            format!("--route `{}`: write a method and a path, e.g. \"GET /pets/7\"", args.route)
        })?;
    let token = match verified(settings, &args.token, &args.against).await? {
        Ok(token) => token,
        Err(refused) => {
            emit(&format!("{}\n", json!({"decision": "deny", "token": refused})))?;
            return Ok(ExitCode::from(1));
        }
    };
    let decisions = store.decide(&token);
    let route = store.routes.select(&method, &path);
    let allowed = route.is_some_and(|r| decisions.allowed(r));
    let out = json!({
        "decision": if allowed { "allow" } else { "deny" },
        "request": format!("{method} {path}"),
        "route": route.map(|r| store.routes.all()[r].id()),
        "pathParameters": route.and_then(|r| store.routes.all()[r].parameters(&path)).map(|p| {
            p.into_iter().map(|(k, v)| (k.to_owned(), json!(v))).collect::<serde_json::Map<_, _>>()
        }),
        "principal": decisions.principal(),
        "groups": decisions.groups,
        "policies": route.map(|r| decisions.deciding(r).iter().map(ToString::to_string).collect::<Vec<_>>()).unwrap_or_default(),
        "reason": match (route, decisions.refused()) {
            (None, _) => Some("no route of the store matches the request".to_owned()),
            (Some(_), Some(why)) => Some(why.to_owned()),
            (Some(_), None) if !allowed => Some("no permit holds, or a forbid does".to_owned()),
            _ => None,
        },
    });
    let text = serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?;
    emit(&format!("{text}\n"))?;
    Ok(if allowed { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
