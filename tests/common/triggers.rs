//! Stand-ins for a user's own Pre Token Generation Lambda.

use std::sync::{Arc, Mutex};

use claimsgate::trigger::Trigger;
use claimsgate_core::fetch::BoxFuture;
use serde_json::Value;

/// A trigger that answers with `answer(event)` and keeps every event it was sent.
pub struct Scripted {
    answer: Box<dyn Fn(Value) -> Result<Value, String> + Send + Sync>,
    pub events: Mutex<Vec<Value>>,
}

impl std::fmt::Debug for Scripted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scripted")
    }
}

impl Scripted {
    pub fn new(
        answer: impl Fn(Value) -> Result<Value, String> + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Self { answer: Box::new(answer), events: Mutex::new(Vec::new()) })
    }

    /// Answers every event by setting its `response` to `response`.
    pub fn responding(response: Value) -> Arc<Self> {
        Self::new(move |mut event| {
            event["response"] = response.clone();
            Ok(event)
        })
    }

    /// Passes every event to the real handler with its default configuration.
    pub fn real() -> Arc<Self> {
        let config = pre_token_gen::Config::default();
        Self::new(move |event| pre_token_gen::respond(&config, event).map_err(|e| e.to_string()))
    }

    pub fn events(&self) -> Vec<Value> {
        self.events.lock().unwrap().clone()
    }
}

impl Trigger for Scripted {
    fn invoke(&self, event: Value) -> BoxFuture<'_, Result<Value, String>> {
        self.events.lock().unwrap().push(event.clone());
        let answer = (self.answer)(event);
        Box::pin(async move { answer })
    }
}
