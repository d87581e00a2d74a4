//! Logging for the Lambdas, set up once by each `main`.
//!
//! Like `lambda_runtime`'s default subscriber (level from `AWS_LAMBDA_LOG_LEVEL`,
//! else `RUST_LOG`, else INFO; JSON lines when `AWS_LAMBDA_LOG_FORMAT=JSON`),
//! with two differences. The runtime and HTTP crates never log below INFO,
//! whatever the level: at TRACE, `lambda_runtime` writes every raw event, and
//! an event carries the caller's token. And metric events
//! ([`crate::metrics`]) are written as raw EMF lines, at any level.

use std::fmt;
use std::io::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::{Directive, EnvFilter, LevelFilter, filter_fn};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::metrics;

/// Crates whose DEBUG and TRACE output can hold events, headers or bodies.
#[rustfmt::skip]
const CAPPED: &[&str] = &[
    "lambda_runtime", "lambda_runtime_api_client", "lambda_http", "hyper", "hyper_util", "reqwest",
    "rustls",
];

/// The level and directives [`init`] uses, given the environment's value of a variable.
fn filter(var: impl Fn(&str) -> Option<String>) -> EnvFilter {
    let level = var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|| var("RUST_LOG"))
        .and_then(|v| v.trim().parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let capped = level.min(LevelFilter::INFO);
    let directives = CAPPED.iter().map(|target| format!("{target}={capped}"));
    directives
        .chain([format!("{}=off", metrics::TARGET)])
        .filter_map(|d| d.parse::<Directive>().ok())
        .fold(EnvFilter::default().add_directive(level.into()), EnvFilter::add_directive)
}

/// Installs the process-wide subscriber, writing to standard output as Lambda expects.
pub fn init() {
    let var = |name: &str| std::env::var(name).ok();
    let json = var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"));
    let logs = tracing_subscriber::fmt::layer()
        .with_target(false)
        .without_time()
        .with_writer(std::io::stdout);
    let logs = if json { logs.json().boxed() } else { logs.boxed() };
    let metric_lines = EmfLines.with_filter(filter_fn(|m| m.target() == metrics::TARGET));
    tracing_subscriber::registry().with(logs.with_filter(filter(var))).with(metric_lines).init();
}

/// Writes the `emf` field of metric events, alone on its line.
struct EmfLines;

impl<S: Subscriber> Layer<S> for EmfLines {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        struct Emf(String);
        impl Visit for Emf {
            fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
                if field.name() == "emf" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut line = Emf(String::new());
        event.record(&mut line);
        // A closed standard output leaves nothing to tell.
        let _ = writeln!(std::io::stdout().lock(), "{}", line.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directives(vars: &[(&str, &str)]) -> String {
        filter(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned()))
            .to_string()
    }

    #[test]
    fn trace_never_reaches_the_runtime_crates() {
        let f = directives(&[("AWS_LAMBDA_LOG_LEVEL", "TRACE")]);
        assert!(f.contains("lambda_runtime=info"), "{f}");
        assert!(f.contains("trace"), "{f}");
        let f = directives(&[("RUST_LOG", "lambda_runtime=trace")]);
        assert!(!f.contains("lambda_runtime=trace"), "{f}");
        let f = directives(&[("RUST_LOG", "warn")]);
        assert!(f.contains("lambda_runtime=warn"), "{f}");
        assert!(f.contains("claimsgate::metrics=off"), "{f}");
        assert!(directives(&[]).contains("info"));
    }
}
