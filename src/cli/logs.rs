//! Where the log lines go: standard error, as text (coloured on a terminal) or
//! JSON, filtered by `RUST_LOG`, with the functions' metric lines off unless asked for.
//!
//! It uses nothing else of the crate; it is used by `cli`.

use std::io::IsTerminal;

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Installs the subscriber: level `info` for a running stack, `warn` for one-shot commands.
pub fn init(format: LogFormat, serving: bool) {
    // The running stack shows each request and decision; one-shot commands only their problems.
    let default_level = if serving { "info" } else { "warn" };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                // Metric lines are for CloudWatch; the stack's own log already says what they count.
                .unwrap_or_else(|_| {
                    tracing_subscriber::EnvFilter::new(format!(
                        "{default_level},{}=off",
                        claimsgate_core::metrics::TARGET
                    ))
                }),
        )
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
}
