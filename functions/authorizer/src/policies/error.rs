//! Why a policy store cannot be used. Each error names the file and, where
//! there is one, the line, then says what is wrong in the words of Cedar's
//! parser or validator, so `principal.pet_preferance` is caught before any
//! request. Plain data; nothing of the crate is used here.
//!
//! It uses nothing else of the crate; it is used by `policies::source`, `policies::store`,
//! `policies`.

use thiserror::Error;

/// A store that does not load, parse or validate.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StoreError {
    /// The folder is missing, unreadable, or lacks a schema or policies.
    #[error("policy store {folder}: {problem}")]
    Folder {
        /// The folder named.
        folder: String,
        /// What is wrong.
        problem: String,
    },
    /// The schema does not parse.
    #[error("{file}{}: {message}", line_of(*line))]
    Schema {
        /// The schema file.
        file: String,
        /// 1-based, when known.
        line: Option<usize>,
        /// Cedar's words.
        message: String,
    },
    /// A policy file does not parse, or holds a template.
    #[error("{file}{}: {message}", line_of(*line))]
    Policy {
        /// The policy file.
        file: String,
        /// 1-based, when known.
        line: Option<usize>,
        /// Cedar's words.
        message: String,
    },
    /// A policy does not validate against the schema (Cedar's strict mode).
    #[error("{file}{}: policy {policy}: {message}", line_of(*line))]
    Invalid {
        /// The policy file.
        file: String,
        /// 1-based, when known.
        line: Option<usize>,
        /// The policy's id.
        policy: String,
        /// The validator's words, with its hint when it has one.
        message: String,
    },
    /// The schema cannot be an API's store: no `User` or `Application`, an action that is not a route, …
    #[error("{file}: {message}")]
    Model {
        /// The schema file.
        file: String,
        /// What is wrong and what to write instead.
        message: String,
    },
}

impl StoreError {
    /// A stable name for logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Folder { .. } => "policy_store_unreadable",
            Self::Schema { .. } => "schema_invalid",
            Self::Policy { .. } => "policy_unparsable",
            Self::Invalid { .. } => "policy_invalid",
            Self::Model { .. } => "store_model_invalid",
        }
    }
}

fn line_of(line: Option<usize>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}

/// The 1-based line of byte `offset` in `text`.
pub fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}
