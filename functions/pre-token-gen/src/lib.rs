//! # pre-token-gen
//!
//! The Amazon Cognito Pre Token Generation trigger of claimsgate: it adds the
//! claim `pet_preference` (`dogs` or `cats`) to the tokens Cognito issues.
//!
//! The handler works on the raw event (`serde_json::Value`), so it answers
//! every event version (`V1_0`, `V2_0`, `V3_0`, and later ones by their shape)
//! and every trigger source, including ones it does not know. It never fails
//! a sign-in over odd input: only an event that is not a JSON object is refused.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), pre_token_gen::Error> {
//! use pre_token_gen::{Config, handle};
//! let event = serde_json::json!({
//!     "version": "1",
//!     "triggerSource": "TokenGeneration_HostedAuth",
//!     "request": {"userAttributes": {"email": "test-user@amazon.com", "email_verified": "true"}},
//!     "response": {"claimsOverrideDetails": null}
//! });
//! let answered = handle(&Config::default(), event).await?;
//! assert_eq!(
//!     answered["response"]["claimsOverrideDetails"]["claimsToAddOrOverride"]["pet_preference"],
//!     "dogs"
//! );
//! # Ok(()) }
//! ```

mod config;
mod event;
mod response;

use claimsgate_core::metrics::{COUNT, Metrics};
use claimsgate_core::rules::{EmailCheck, assign_pet};
use serde_json::{Map, Value};

pub use config::{Config, PROTECTED_CLAIMS, is_protected_claim};
pub use event::{CLIENT_CREDENTIALS, KNOWN_TRIGGER_SOURCES, Shape, View};

/// Why an event was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The event is valid JSON but not an object, so it cannot be a Pre Token Generation event.
    #[error("the event is not a JSON object (it is {found})")]
    NotAnObject {
        /// The JSON type received.
        found: &'static str,
    },
}

impl Error {
    /// A stable snake_case code for logs and the Lambda error type.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAnObject { .. } => "event_not_object",
        }
    }
}

impl From<Error> for lambda_runtime::Diagnostic {
    fn from(error: Error) -> Self {
        Self { error_type: error.code().to_owned(), error_message: error.to_string() }
    }
}

/// Answers one Pre Token Generation event: the same event with `response` filled in.
///
/// # Errors
/// [`Error::NotAnObject`] when `event` is not a JSON object; never otherwise.
pub async fn handle(config: &Config, event: Value) -> Result<Value, Error> {
    respond(config, event)
}

/// The synchronous core of [`handle`], for callers without a runtime.
///
/// # Errors
/// [`Error::NotAnObject`] when `event` is not a JSON object; never otherwise.
pub fn respond(config: &Config, event: Value) -> Result<Value, Error> {
    let mut event = match event {
        Value::Object(map) => map,
        other => {
            let error = Error::NotAnObject { found: json_type(&other) };
            tracing::error!(code = error.code(), "refused an event that is not a JSON object");
            return Err(error);
        }
    };
    let (shape, pet, machine) = decide(config, &event);
    let overrides =
        response::Overrides { pet, suppress: config.suppress_claims(), id_token: !machine };
    response::apply(&mut event, shape, &overrides);
    Ok(Value::Object(event))
}

/// Chooses the pet and logs the decision (never the email).
fn decide(
    config: &Config,
    event: &Map<String, Value>,
) -> (Shape, Option<claimsgate_core::Pet>, bool) {
    let view = View::read(event);
    if !view.is_known_trigger_source() {
        tracing::info!(
            trigger_source = view.trigger_source,
            "unknown trigger source; answering like a sign-in"
        );
    }
    if view.attributes_malformed {
        tracing::warn!(
            trigger_source = view.trigger_source,
            "userAttributes is not an object; treated as none"
        );
    }
    let machine = view.is_client_credentials();
    let (pet, basis, email, rule) = if machine {
        (config.client_credentials_pet(), "client_credentials", EmailCheck::Skipped, None)
    } else {
        let empty = Map::new();
        let assignment =
            assign_pet(config.pet_rules(), config.default_pet(), view.attributes.unwrap_or(&empty));
        if assignment.attribute_ignored {
            tracing::warn!(sub = view.sub(), "custom:pet_preference is not dogs or cats; ignored");
        }
        (
            assignment.pet,
            assignment.basis.as_str(),
            assignment.email,
            assignment.rule.map(|r| r.domain.as_str()),
        )
    };
    tracing::info!(
        sub = view.sub(),
        trigger_source = view.trigger_source,
        version = view.version,
        shape = ?view.shape,
        pet_preference = pet.map_or("none", claimsgate_core::Pet::as_str),
        basis,
        email_check = email.as_str(),
        rule,
        "pet_preference decided"
    );
    let mut metrics = Metrics::default();
    let pet_name = pet.map_or("none", claimsgate_core::Pet::as_str);
    metrics.put("PetAssigned", 1.0, COUNT, &[("Pet", pet_name), ("Rule", basis)]);
    metrics.emit();
    (view.shape, pet, machine)
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
