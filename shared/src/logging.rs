//! Logging for the Lambdas, set up once by each `main`.
//!
//! Like `lambda_runtime`'s default subscriber (level from `AWS_LAMBDA_LOG_LEVEL`,
//! else `RUST_LOG`, else INFO; JSON lines when `AWS_LAMBDA_LOG_FORMAT=JSON`),
//! with one difference: the runtime and HTTP crates never log below INFO,
//! whatever the level. At TRACE, `lambda_runtime` writes every raw event, and
//! an event carries the caller's token.

use tracing_subscriber::filter::{Directive, EnvFilter, LevelFilter};

/// Crates whose DEBUG and TRACE output can hold events, headers or bodies.
const CAPPED: &[&str] = &[
    "lambda_runtime",
    "lambda_runtime_api_client",
    "lambda_http",
    "hyper",
    "hyper_util",
    "reqwest",
    "rustls",
];

/// The level and directives [`init`] uses, given the environment's value of a variable.
fn filter(var: impl Fn(&str) -> Option<String>) -> EnvFilter {
    let level = var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|| var("RUST_LOG"))
        .and_then(|v| v.trim().parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let capped = level.min(LevelFilter::INFO);
    CAPPED
        .iter()
        .filter_map(|target| format!("{target}={capped}").parse::<Directive>().ok())
        .fold(EnvFilter::default().add_directive(level.into()), |f, d| {
            f.add_directive(d)
        })
}

/// Installs the process-wide subscriber, writing to standard output as Lambda expects.
pub fn init() {
    let var = |name: &str| std::env::var(name).ok();
    let json = var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(filter(var))
        .with_writer(std::io::stdout);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directives(vars: &[(&str, &str)]) -> String {
        filter(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
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
        assert!(directives(&[]).contains("info"));
    }
}
