//! How a store refuses: conflicts (decide again), invariant violations (a bug), backend
//! failures (infrastructure).

use crate::ids::MessageId;
use crate::notifier::BoxError;
use thiserror::Error;

/// A commit refused because the world changed since the decision was made. The service reloads
/// and decides again; a caller that sees one (after the service's retries) should retry the
/// request, as for an HTTP 409.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Conflict {
    /// A record changed since it was read, or an insert found it existing.
    #[error("{entity} {id} was changed concurrently")]
    Version {
        /// What kind of record.
        entity: &'static str,
        /// Its id.
        id: String,
    },
    /// A record to update does not exist.
    #[error("{entity} {id} does not exist")]
    Missing {
        /// What kind of record.
        entity: &'static str,
        /// Its id.
        id: String,
    },
    /// Another open invitation exists for this organization and address (R2.7).
    #[error("an open invitation to {address_key} exists")]
    OpenInvitationExists {
        /// The address key.
        address_key: String,
    },
    /// Fewer seats are free than the commit needs (R3.4).
    #[error("{required} seat(s) needed, {available} available")]
    SeatsExhausted {
        /// Needed.
        required: u32,
        /// Free at commit time.
        available: u32,
    },
    /// The claim on an outbox message was taken over by another dispatcher (R7.3).
    #[error("lease on message {0} was lost")]
    LeaseLost(MessageId),
    /// A link hash is already stored (a 256-bit collision: in practice, a bug).
    #[error("link hash already exists")]
    DuplicateLink,
    /// The database aborted the commit's transaction to resolve a clash with another one (a
    /// deadlock or a serialization failure). Nothing was written; deciding again is safe.
    #[error("transaction aborted by the database to resolve a concurrent clash ({code})")]
    TransactionAborted {
        /// The database's error code, e.g. SQLSTATE `40P01` (deadlock) or `40001`.
        code: String,
    },
}

impl Conflict {
    /// Whether deciding again can get past it. A lost lease cannot: another dispatcher owns
    /// the message now.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, Conflict::LeaseLost(_))
    }
}

/// A commit that breaks an invariant the store guards whatever the caller: a bug in the code
/// that built it, refused as a whole.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum InvariantViolation {
    /// An update changes what never changes: an invitation's contact, channel or organization
    /// (R2.8, R2.6), a member's organization.
    #[error("{entity} {id}: {field} never changes")]
    ImmutableChanged {
        /// What kind of record.
        entity: &'static str,
        /// Its id.
        id: String,
        /// The field the update changes.
        field: &'static str,
    },
}

/// A store failure.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The commit was refused; nothing was written.
    #[error(transparent)]
    Conflict(#[from] Conflict),
    /// The commit breaks an invariant the store guards; nothing was written.
    #[error(transparent)]
    Invariant(#[from] InvariantViolation),
    /// The backend failed (connection, I/O, ...); whether anything was written is the
    /// backend's transaction guarantee: nothing, for the stores of this project.
    #[error("store backend failure")]
    Backend(#[source] BoxError),
}
