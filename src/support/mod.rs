//! Small helpers every room of the local stack uses: files that hold secrets,
//! unguessable identifiers, and locking a mutex. It uses nothing else of the
//! crate; the Cognito stand-in, the API Gateway stand-in and the app use it.

pub mod files;
pub mod random;

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks a mutex; a poisoned one only means a panic elsewhere, and the maps it guards stay consistent.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
