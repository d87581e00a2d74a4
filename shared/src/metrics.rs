//! CloudWatch metrics as Embedded Metric Format (EMF) lines: namespace
//! `claimsgate`, dimension `FunctionName`, plus a per-metric dimension where
//! the metric is split (`Denied` by `Code`, `PetAssigned` by `Pet` and `Rule`).
//!
//! A metric line is a `tracing` event of target [`TARGET`] whose field `emf`
//! holds the JSON; [`crate::logging::init`] writes it raw to standard output,
//! where CloudWatch Logs picks it up. Elsewhere it is one more event, which
//! tests capture and read.
//!
//! It uses `token`; it is used by `jwks`, `logging`.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::token::Report;

/// The `tracing` target of metric lines.
pub const TARGET: &str = "claimsgate::metrics";

/// The CloudWatch namespace.
pub const NAMESPACE: &str = "claimsgate";

/// The unit of a count.
pub const COUNT: &str = "Count";
/// The unit of a duration in microseconds.
pub const MICROSECONDS: &str = "Microseconds";

/// The metrics of one invocation (or one event), emitted as one line: the
/// values and dimensions at the root, one directive per metric. The JSON is
/// built only when the line is written.
#[derive(Debug, Default)]
pub struct Metrics<'a> {
    puts: Vec<Put<'a>>,
}

#[derive(Debug)]
struct Put<'a> {
    name: &'a str,
    value: f64,
    unit: &'a str,
    dimensions: Vec<(&'a str, &'a str)>,
}

impl<'a> Metrics<'a> {
    /// Adds `name` in `unit`, split by the dimensions `dims` beside `FunctionName`.
    pub fn put(&mut self, name: &'a str, value: f64, unit: &'a str, dims: &[(&'a str, &'a str)]) {
        self.puts.push(Put { name, value, unit, dimensions: dims.to_vec() });
    }

    /// The EMF document for `function` at `timestamp_ms`.
    #[must_use]
    pub fn document(&self, function: &str, timestamp_ms: u64) -> Value {
        let mut root = Map::new();
        let mut directives = Vec::new();
        for put in &self.puts {
            let mut set = vec!["FunctionName"];
            for (key, dimension) in &put.dimensions {
                set.push(key);
                root.insert((*key).to_owned(), json!(dimension));
            }
            root.insert(put.name.to_owned(), json!(put.value));
            directives.push(json!({
                "Namespace": NAMESPACE,
                "Dimensions": [set],
                "Metrics": [{"Name": put.name, "Unit": put.unit}],
            }));
        }
        root.insert("FunctionName".into(), json!(function));
        root.insert(
            "_aws".into(),
            json!({"Timestamp": timestamp_ms, "CloudWatchMetrics": directives}),
        );
        Value::Object(root)
    }

    /// Emits the line (nothing when no metric was put).
    pub fn emit(&self) {
        if self.puts.is_empty() {
            return;
        }
        // Evaluated only when the line is written.
        tracing::info!(target: TARGET, emf = %self.document(&function_name(), now_ms()));
    }
}

/// The Lambda function's name, `local` outside Lambda.
fn function_name() -> String {
    std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "local".into())
}

fn now_ms() -> u64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    u64::try_from(now.as_millis()).unwrap_or(u64::MAX)
}

/// Emits the metrics of one decision: `Allowed`, or `Denied` by `code`; and,
/// when a verification ran, `VerifyMicros` and `TokenCacheHit`.
pub fn decision(denied: Option<&str>, report: Option<&Report>) {
    let mut metrics = Metrics::default();
    match denied {
        None => metrics.put("Allowed", 1.0, COUNT, &[]),
        Some(code) => metrics.put("Denied", 1.0, COUNT, &[("Code", code)]),
    }
    if let Some(report) = report {
        // Microseconds as a float: exact up to 2^53, some 285 years.
        #[allow(clippy::cast_precision_loss)]
        let micros = report.elapsed.as_micros() as f64;
        metrics.put("VerifyMicros", micros, MICROSECONDS, &[]);
        metrics.put("TokenCacheHit", f64::from(u8::from(report.cache_hit)), COUNT, &[]);
    }
    metrics.emit();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_has_the_emf_structure() {
        let mut m = Metrics::default();
        m.put("VerifyMicros", 12.0, MICROSECONDS, &[]);
        m.put("Denied", 1.0, COUNT, &[("Code", "token_expired")]);
        let doc = m.document("authorizer", 1_767_225_600_000);
        assert_eq!(doc["_aws"]["Timestamp"], 1_767_225_600_000u64);
        assert_eq!(doc["FunctionName"], "authorizer");
        assert_eq!(doc["VerifyMicros"], 12.0);
        assert_eq!(doc["Denied"], 1.0);
        assert_eq!(doc["Code"], "token_expired");
        let directives = doc["_aws"]["CloudWatchMetrics"].as_array().cloned().unwrap_or_default();
        assert_eq!(directives.len(), 2);
        assert_eq!(directives[1]["Namespace"], "claimsgate");
        assert_eq!(directives[1]["Dimensions"], json!([["FunctionName", "Code"]]));
        assert_eq!(directives[1]["Metrics"], json!([{"Name": "Denied", "Unit": "Count"}]));
    }
}
