//! Errors. Three families, each with its own caller reaction (after cqrs-es):
//! - [`Refusal`]: the request breaks a rule; show the reason (HTTP 4xx). Nothing was changed,
//!   except where the refusal itself is a recorded outcome (a signup that hit seat exhaustion
//!   marks the invitation Failed, R3.2).
//! - [`Error::Conflict`]: concurrent changes kept winning over the service's retries; retry the
//!   request (HTTP 409).
//! - [`Error::Store`] and [`Error::Entropy`]: infrastructure; retry later (HTTP 503).
//! - [`Error::Invariant`]: a bug; the store refused a commit that breaks an invariant (500).

use crate::notifier::BoxError;
pub use crate::refusal::Refusal;
use crate::store::{Conflict, InvariantViolation, StoreError};
use thiserror::Error;

/// Any failure of a service command.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// Refused by a rule (4xx).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// Concurrent changes won every retry (409).
    #[error("concurrent change, retry: {0}")]
    Conflict(#[source] Conflict),
    /// The store failed (503).
    #[error("store failure")]
    Store(#[source] BoxError),
    /// The store refused a commit that breaks an invariant it guards (a changed address,
    /// R2.8): a bug in the code that built the commit, never the user's (500). Nothing was
    /// written.
    #[error("commit breaks a store invariant: {0}")]
    Invariant(#[source] InvariantViolation),
    /// The operating system's random source failed (503).
    #[error("random source failure: {0}")]
    Entropy(getrandom::Error),
}

impl Error {
    /// The refusal, if this is one.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            Error::Refused(r) => Some(r),
            _ => None,
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(c) => Error::Conflict(c),
            StoreError::Backend(b) => Error::Store(b),
            StoreError::Invariant(v) => Error::Invariant(v),
        }
    }
}

impl From<getrandom::Error> for Error {
    fn from(e: getrandom::Error) -> Self {
        Error::Entropy(e)
    }
}
