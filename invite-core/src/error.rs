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

/// Any failure of a service command, with the reaction each family calls for.
///
/// ```
/// use invite_core::{Error, Refusal};
/// fn respond(e: &Error) -> (u16, String) {
///     match e {
///         // A broken rule: show it (the code is stable; the message is English).
///         Error::Refused(r) => (r.http_status(), r.code().to_owned()),
///         // Concurrent changes kept winning: the client may simply retry.
///         Error::Conflict(_) => (409, "conflict".into()),
///         // Infrastructure or a bug: log `e`, answer without its cause.
///         other => (other.http_status(), other.code().to_owned()),
///     }
/// }
/// assert_eq!(respond(&Refusal::NoSeatsAvailable.into()), (409, "no_seats_available".into()));
/// ```
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

    /// A stable snake_case code: the refusal's ([`Refusal::code`]), or `conflict`,
    /// `unavailable` (store, random source) or `internal` (a broken invariant).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Refused(r) => r.code(),
            Error::Conflict(_) => "conflict",
            Error::Store(_) | Error::Entropy(_) => "unavailable",
            Error::Invariant(_) => "internal",
        }
    }

    /// The HTTP status to answer with: the refusal's 4xx ([`Refusal::http_status`]), 409 for
    /// a conflict (retry the request), 503 for infrastructure (retry later), 500 for a bug.
    ///
    /// ```
    /// use invite_core::{Error, Refusal};
    /// let e = Error::from(Refusal::LinkExpired);
    /// assert_eq!((e.code(), e.http_status()), ("link_expired", 410));
    /// ```
    pub fn http_status(&self) -> u16 {
        match self {
            Error::Refused(r) => r.http_status(),
            Error::Conflict(_) => 409,
            Error::Store(_) | Error::Entropy(_) => 503,
            Error::Invariant(_) => 500,
        }
    }
}

/// In JSON: `{"code", "status", "message"}` and, for a refusal, `"details"` (the refusal's
/// fields). Infrastructure errors say nothing of their cause: it stays in the logs.
impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("code", self.code())?;
        map.serialize_entry("status", &self.http_status())?;
        let message = match self {
            Error::Store(_) | Error::Entropy(_) => "service unavailable, retry later".to_owned(),
            Error::Invariant(_) => "internal error".to_owned(),
            other => other.to_string(),
        };
        map.serialize_entry("message", &message)?;
        if let Error::Refused(r) = self {
            let value = serde_json::to_value(r).map_err(serde::ser::Error::custom)?;
            if let Some(details) = value.get("details") {
                map.serialize_entry("details", details)?;
            }
        }
        map.end()
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
