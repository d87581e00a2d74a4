//! `claimsgate`: run the local stack, mint tokens, verify any token. The
//! commands live in `cli/`, one file each; this only parses and dispatches.

mod cli;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli::logs::init(cli.log_format, Command::serves(cli.command.as_ref()));
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stack = &cli.stack;
    let result = runtime.block_on(async {
        match cli.command {
            None => cli::serve::run(stack, cli::serve::Args::default()).await,
            Some(Command::Serve(args)) => cli::serve::run(stack, args).await,
            Some(Command::RotateKey(args)) => cli::rotate_key::run(stack, args).await,
            Some(Command::JwksFault(args)) => cli::jwks_fault::run(stack, args).await,
            Some(Command::Users(args)) => cli::users::run(stack, args),
            Some(Command::Token(args)) => cli::token::run(stack, args).await,
            Some(Command::JwksSnapshot(args)) => cli::jwks_snapshot::run(args).await,
            Some(Command::Verify(args)) => cli::verify::run(stack, args).await,
            Some(Command::Policies(args)) => cli::policies::run(args),
            Some(Command::Authorize(args)) => cli::authorize::run(stack, args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
