//! PostgreSQL store for [`invite_core`]: the same [`Store`](invite_core::store::Store) as
//! `MemoryStore`, shared by many application instances and correct under their concurrency.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use invite_core::{InvitationService, SystemClock};
//! use invite_sqlx::PgStore;
//!
//! let url = std::env::var("DATABASE_URL")?;
//! let pool = sqlx::postgres::PgPoolOptions::new().connect(&url).await?;
//! let store = PgStore::new(pool);
//! store.migrate().await?; // applies the embedded migrations, once per database
//! let service = InvitationService::new(store, SystemClock);
//! # let _ = service; Ok(()) }
//! ```
//!
//! How the rules hold on a shared database:
//! - **Atomic decisions.** Every [`Commit`] is one transaction; any conflict rolls it back.
//!   Updates carry the version they were read at (`UPDATE ... WHERE id = $1 AND version =
//!   $2`), so a stale decision is refused and the service decides again.
//! - **One open invitation per address** (R2.7) is a partial unique index; concurrent invites
//!   of one address give one invitation, whatever the timing.
//! - **Seats** (R3.4): a commit that needs seats locks its organization's row
//!   (`SELECT ... FOR NO KEY UPDATE`) and counts them in the next statement, so racing signups
//!   count one after the other and used seats never pass the limit.
//! - **Outbox** (R7.3): [`OutboxStore::claim_due`](invite_core::store::OutboxStore::claim_due)
//!   claims with `FOR UPDATE SKIP LOCKED` and a lease; finishing a message checks the lease
//!   token, so a worker whose lease ran out and was taken over cannot overwrite the new
//!   holder's outcome.
//! - **Reminders** (R8.2): one mark per invitation and local day, a primary key; marks are
//!   inserted with `ON CONFLICT DO NOTHING`, and a reminder's message and audit event are
//!   written only with a new mark.
//! - **Bulk writes** (R2.9): a commit writes each table with one statement over `UNNEST`ed
//!   arrays, so inviting N addresses costs a fixed number of round trips.
//!
//! All SQL is static: the schema in `migrations/`, the statements as constants. Queries are
//! checked against the migrated schema by this crate's tests, not at compile time, so the
//! crate builds with no database and no `.sqlx/` data.

#![forbid(unsafe_code)]

mod codec;
mod commit;
mod sql;
mod views;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use codec::backend;
use invite_core::store::{Commit, CommitOutcome, Conflict, RecordStore, StoreError};
use invite_core::token::{LinkRecord, TokenHash};
use invite_core::{
    Invitation, InvitationId, Member, MemberId, OrgId, Organization, Seats, UserRef,
};
use sqlx::{PgPool, Row as _};
use std::collections::{HashMap, HashSet};

/// The schema's migrations, embedded at compile time from `migrations/`. Apply them with
/// [`PgStore::migrate`], or run them with your own migration set-up; `#[sqlx::test]` takes
/// it as `migrator = "invite_sqlx::MIGRATOR"`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// Every statement the store runs, by name: for tools and tests that check them against a
/// database (prepare, `EXPLAIN`).
pub const STATEMENTS: &[(&str, &str)] = sql::ALL;

/// The PostgreSQL [`Store`](invite_core::store::Store). Cheap to clone: it holds a connection pool.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// A store on `pool`. The schema must have been migrated ([`PgStore::migrate`]).
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Applies the embedded migrations that have not been applied yet. Safe to call from
    /// several instances at start-up: sqlx serializes migrations with an advisory lock.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        MIGRATOR.run(&self.pool).await
    }

    pub(crate) async fn query_invitations(
        &self,
        query: sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> Result<Vec<Invitation>, StoreError> {
        let rows = query.fetch_all(&self.pool).await.map_err(backend)?;
        rows.iter().map(codec::invitation).collect()
    }
}

fn limit_of(n: u32) -> i64 {
    i64::from(n)
}

/// PostgreSQL aborts one of two transactions that deadlock (SQLSTATE `40P01`) or whose
/// serializable snapshots clash (`40001`), whichever statement hit it. Nothing of that
/// transaction was written, so it is a conflict the service decides again, not a backend
/// failure to report as an outage.
pub fn aborted_is_conflict(e: StoreError) -> StoreError {
    let StoreError::Backend(source) = e else {
        return e;
    };
    let code = source
        .downcast_ref::<sqlx::Error>()
        .and_then(|e| e.as_database_error())
        .and_then(|d| d.code())
        .map(|c| c.into_owned());
    match code {
        Some(code) if code == "40P01" || code == "40001" => {
            StoreError::Conflict(Conflict::TransactionAborted { code })
        }
        _ => StoreError::Backend(source),
    }
}

#[async_trait]
impl RecordStore for PgStore {
    async fn commit(&self, commit: Commit) -> Result<CommitOutcome, StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        match commit::apply(&mut tx, &commit).await {
            Ok(outcome) => {
                tx.commit()
                    .await
                    .map_err(|e| aborted_is_conflict(commit::db_error(e, &commit)))?;
                Ok(outcome)
            }
            Err(e) => {
                // Dropping the transaction would roll it back too, but only once the
                // connection is used again; roll back now and release the locks.
                let _ = tx.rollback().await;
                Err(aborted_is_conflict(e))
            }
        }
    }

    async fn organization(&self, id: OrgId) -> Result<Option<Organization>, StoreError> {
        let row = sqlx::query(sql::ORGANIZATION)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(codec::organization).transpose()
    }

    async fn invitation(&self, id: InvitationId) -> Result<Option<Invitation>, StoreError> {
        let row = sqlx::query(sql::INVITATION)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(codec::invitation).transpose()
    }

    async fn open_invitations(
        &self,
        org: OrgId,
        address_keys: &[String],
    ) -> Result<Vec<Invitation>, StoreError> {
        if address_keys.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(sql::OPEN_INVITATIONS)
            .bind(org.0)
            .bind(address_keys)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let mut by_key: HashMap<String, Invitation> = HashMap::with_capacity(rows.len());
        for row in &rows {
            by_key.insert(codec::text(row, "address_key")?, codec::invitation(row)?);
        }
        // In the order of the keys asked for, each invitation once, as MemoryStore answers.
        let mut seen = HashSet::new();
        Ok(address_keys
            .iter()
            .filter_map(|k| by_key.get(k))
            .filter(|i| seen.insert(i.id))
            .cloned()
            .collect())
    }

    async fn invitations_for_users(
        &self,
        org: OrgId,
        users: &[UserRef],
    ) -> Result<Vec<Invitation>, StoreError> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let refs: Vec<&str> = users.iter().map(UserRef::as_str).collect();
        self.query_invitations(
            sqlx::query(sql::INVITATIONS_FOR_USERS)
                .bind(org.0)
                .bind(refs),
        )
        .await
    }

    async fn link(&self, hash: &TokenHash) -> Result<Option<LinkRecord>, StoreError> {
        let row = sqlx::query(sql::LINK)
            .bind(hash.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(codec::link).transpose()
    }

    async fn member(&self, id: MemberId) -> Result<Option<Member>, StoreError> {
        let row = sqlx::query(sql::MEMBER)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(codec::member).transpose()
    }

    async fn active_members(
        &self,
        org: OrgId,
        contact_keys: &[String],
    ) -> Result<Vec<Member>, StoreError> {
        if contact_keys.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(sql::ACTIVE_MEMBERS)
            .bind(org.0)
            .bind(contact_keys)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let mut by_key: HashMap<String, usize> = HashMap::new();
        let mut members = Vec::with_capacity(rows.len());
        for (n, row) in rows.iter().enumerate() {
            let email: Option<String> = row.try_get("email_key").map_err(backend)?;
            let phone: Option<String> = row.try_get("phone").map_err(backend)?;
            for key in email.into_iter().chain(phone) {
                by_key.insert(key, n);
            }
            members.push(codec::member(row)?);
        }
        let mut seen = HashSet::new();
        Ok(contact_keys
            .iter()
            .filter_map(|k| by_key.get(k))
            .filter(|n| seen.insert(**n))
            .map(|n| members[*n].clone())
            .collect())
    }

    async fn seats(&self, org: OrgId, now: DateTime<Utc>) -> Result<Seats, StoreError> {
        let row = sqlx::query(sql::SEATS)
            .bind(org.0)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        match row {
            Some(row) => commit::seats_from_row(&row),
            None => Ok(Seats::new(0, 0)),
        }
    }

    async fn organizations(&self, ids: &[OrgId]) -> Result<Vec<Organization>, StoreError> {
        let ids: Vec<uuid::Uuid> = ids.iter().map(|id| id.0).collect();
        let rows = sqlx::query(sql::ORGANIZATIONS_BY_IDS)
            .bind(ids)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(codec::organization).collect()
    }

    async fn invitations(&self, ids: &[InvitationId]) -> Result<Vec<Invitation>, StoreError> {
        let ids: Vec<uuid::Uuid> = ids.iter().map(|id| id.0).collect();
        self.query_invitations(sqlx::query(sql::INVITATIONS_BY_IDS).bind(ids))
            .await
    }
}
