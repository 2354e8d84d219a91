//! Storage. The core decides; a store only persists decisions atomically and answers
//! queries.
//!
//! Every change is one [`Commit`]: all of its writes, new links, outbox messages, reminder
//! marks and audit events land together or not at all, and the store refuses it with a
//! [`Conflict`] if another writer got there first (versions), if an address already has an open
//! invitation (R2.7), if the seats it needs are gone at commit time (R3.4), or if a dispatcher
//! lost its lease (R7.3). The service then reloads, decides again and retries.
//!
//! A store implements three ports, split by who uses them: [`RecordStore`] (commits and the
//! reads decisions are made from), [`OutboxStore`] (the dispatcher and the reminder sweep),
//! [`ViewStore`] (dashboards and lists). [`Store`] is the three together, and what the
//! service asks for; every type implementing the three is a `Store`.
//!
//! Implementations: [`MemoryStore`](crate::MemoryStore) and `invite-sqlx`'s `PgStore`; both pass
//! the same conformance suite (`invite_core::testkit`, feature `testkit`).
//!
//! ```
//! use invite_core::{MemoryStore, Store, RecordStore};
//! # async fn run() -> Result<(), invite_core::StoreError> {
//! fn takes_any_store(_: &impl Store) {}
//! let store = MemoryStore::new();
//! takes_any_store(&store);
//! assert_eq!(store.organization(invite_core::OrgId::new()).await?, None);
//! # Ok(()) }
//! ```

mod commit;
mod errors;
mod loads;
mod ports;

pub use commit::{Commit, CommitOutcome, ReminderMark, SeatCheck, StoredVersions, Write};
pub use errors::{Conflict, InvariantViolation, StoreError};
pub use loads::{InviteReads, SignupReads};
pub use ports::{OutboxStore, RecordStore, ViewStore};

use crate::ids::{InvitationId, OrgId};
use chrono::{DateTime, NaiveDate, Utc};

/// A complete store: records, outbox and views. Implemented for every type that implements
/// the three ports.
pub trait Store: RecordStore + OutboxStore + ViewStore {}

impl<S: RecordStore + OutboxStore + ViewStore + ?Sized> Store for S {}

/// Which invitations a reminder sweep looks at: one organization, one local day, in id order
/// after `after`, at most `limit`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReminderQuery {
    /// The organization.
    pub org: OrgId,
    /// Its local day.
    pub day: NaiveDate,
    /// The sweep's instant.
    pub now: DateTime<Utc>,
    /// Today's reminder instant: only invitations sent (or signed up) before it qualify.
    pub cutoff: DateTime<Utc>,
    /// Keyset position.
    pub after: Option<InvitationId>,
    /// Page size.
    pub limit: u32,
}
