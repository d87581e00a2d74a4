//! Logging for the Lambdas, set up once by each `main`.
//!
//! Like `lambda_runtime`'s default subscriber (level from `AWS_LAMBDA_LOG_LEVEL`,
//! else `RUST_LOG`, else INFO; JSON lines when `AWS_LAMBDA_LOG_FORMAT=JSON`),
//! with two differences. The runtime and HTTP crates never log below INFO,
//! whatever the level: at TRACE, `lambda_runtime` writes every raw event, and
//! an event carries the caller's token. And metric events
//! ([`crate::metrics`]) are written as raw EMF lines, at any level.
//!
//! It uses `metrics`; the functions and the
//! local stack use it.

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
    use std::sync::{Arc, Mutex, PoisonError};

    use tracing::Level;
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;

    /// Records the target and level of every event that reaches it.
    #[derive(Clone, Default)]
    struct Seen(Arc<Mutex<Vec<(String, Level)>>>);

    impl<S: Subscriber> Layer<S> for Seen {
        fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
            let meta = event.metadata();
            let mut seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            seen.push((meta.target().to_owned(), *meta.level()));
        }
    }

    /// One event at each level for each target, all with literal targets (a
    /// callsite's target is static); the targets, in order.
    macro_rules! events_for {
        ($($target:literal),*) => {{
            $(
                tracing::trace!(target: $target, "t");
                tracing::debug!(target: $target, "d");
                tracing::info!(target: $target, "i");
                tracing::warn!(target: $target, "w");
                tracing::error!(target: $target, "e");
            )*
            [$($target),*]
        }};
    }

    /// The events that pass the filter [`init`] would build from `vars`, as
    /// (target, level); and the targets that must be capped at INFO.
    fn passing(vars: &[(&str, &str)]) -> (Vec<&'static str>, Vec<(String, Level)>) {
        let seen = Seen::default();
        let var = |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned());
        let subscriber = tracing_subscriber::registry().with(seen.clone().with_filter(filter(var)));
        let must_be_capped = tracing::subscriber::with_default(subscriber, || {
            events_for!("authorizer", "claimsgate::metrics");
            // Directives match targets by prefix, so `hyper` and `lambda_runtime` alone would
            // also cap `hyper_util` and `lambda_runtime_api_client`; each is named anyway,
            // and a module of a capped crate is capped with it.
            events_for!(
                "lambda_runtime",
                "lambda_runtime_api_client",
                "lambda_http",
                "hyper",
                "hyper_util",
                "reqwest",
                "rustls",
                "hyper::proto::h1::conn"
            )
        });
        let seen = seen.0.lock().unwrap_or_else(PoisonError::into_inner).clone();
        (must_be_capped.to_vec(), seen)
    }

    /// The levels of `target` that passed.
    fn levels(seen: &[(String, Level)], target: &str) -> Vec<Level> {
        seen.iter().filter(|(t, _)| t == target).map(|(_, l)| *l).collect()
    }

    const INFO_UP: [Level; 3] = [Level::INFO, Level::WARN, Level::ERROR];
    const ALL: [Level; 5] = [Level::TRACE, Level::DEBUG, Level::INFO, Level::WARN, Level::ERROR];

    #[test]
    fn trace_never_reaches_the_runtime_crates() {
        let (must_be_capped, seen) = passing(&[("AWS_LAMBDA_LOG_LEVEL", "TRACE")]);
        // A crate added to the cap is checked here too.
        assert!(CAPPED.iter().all(|c| must_be_capped.contains(c)), "{CAPPED:?}");
        for target in &must_be_capped {
            assert_eq!(levels(&seen, target), INFO_UP, "{target} at TRACE");
        }
        assert_eq!(levels(&seen, "authorizer"), ALL, "the functions' own events at TRACE");
        assert!(levels(&seen, "claimsgate::metrics").is_empty(), "metric events are not log lines");
    }

    #[test]
    fn a_lower_level_lowers_the_cap_and_rust_log_directives_cannot_lift_it() {
        // A directive is not a level: RUST_LOG=lambda_runtime=trace gives INFO everywhere.
        let (must_be_capped, seen) = passing(&[("RUST_LOG", "lambda_runtime=trace")]);
        for target in must_be_capped.iter().chain(&["authorizer"]) {
            assert_eq!(levels(&seen, target), INFO_UP, "{target}");
        }
        let (_, seen) = passing(&[("RUST_LOG", "warn")]);
        for target in must_be_capped.iter().chain(&["authorizer"]) {
            assert_eq!(levels(&seen, target), [Level::WARN, Level::ERROR], "{target} at WARN");
        }
        // AWS_LAMBDA_LOG_LEVEL wins over RUST_LOG; without either, INFO.
        let (_, seen) = passing(&[("AWS_LAMBDA_LOG_LEVEL", "debug"), ("RUST_LOG", "error")]);
        assert_eq!(levels(&seen, "authorizer"), ALL[1..], "DEBUG");
        for target in &must_be_capped {
            assert_eq!(levels(&seen, target), INFO_UP, "{target} at DEBUG");
        }
        let (_, seen) = passing(&[]);
        assert_eq!(levels(&seen, "authorizer"), INFO_UP);
        assert!(levels(&seen, "claimsgate::metrics").is_empty());
    }
}
