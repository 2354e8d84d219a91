//! PostgreSQL store for [`invite_core`]: the same [`Store`] as `MemoryStore`, shared by many
//! application instances and correct under their concurrency.
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
//! - **Outbox** (R7.3): [`Store::claim_due`] claims with `FOR UPDATE SKIP LOCKED` and a
//!   lease; finishing a message checks the lease token, so a worker whose lease ran out and
//!   was taken over cannot overwrite the new holder's outcome.
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

mod calendar;
mod codec;
mod commit;
mod migrate;
mod schema;
mod sql;

pub use schema::{DEFAULT_SCHEMA, InvalidSchemaName, SchemaName};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use codec::backend;
use invite_core::audit::AuditEvent;
use invite_core::dashboard::{
    Dashboard, DayActivity, ListQuery, Page, Row, SortKey, SortOrder, TabCounts,
};
use invite_core::outbox::{ClaimedMessage, OutboxMessage};
use invite_core::store::{Commit, CommitOutcome, Conflict, ReminderQuery, Store, StoreError};
use invite_core::token::{LinkRecord, TokenHash};
use invite_core::{
    Invitation, InvitationId, Member, MemberId, MessageId, OrgId, Organization, Seats, UserRef,
};
use sql::Statements;
use sqlx::{PgPool, Row as _};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock};

/// The PostgreSQL [`Store`]. Cheap to clone: it holds a connection pool and its statements.
///
/// Every table, index and function lives in one schema of the database, `invite` unless
/// [`PgStore::with_schema`] names another, with its own migrations bookkeeping there, so the
/// store shares a database with the application's own tables and sqlx migrations.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
    schema: SchemaName,
    sql: Arc<Statements>,
}

/// The statements of the default schema, rendered once per process.
static DEFAULT_STATEMENTS: LazyLock<Arc<Statements>> =
    LazyLock::new(|| Arc::new(Statements::render(&SchemaName::default())));

impl PgStore {
    /// A store on `pool`, in the schema `invite`. Migrate it once per database
    /// ([`PgStore::migrate`]) before use.
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            schema: SchemaName::default(),
            sql: DEFAULT_STATEMENTS.clone(),
        }
    }

    /// A store on `pool` in `schema` instead of `invite`: two stores in two schemas of one
    /// database share nothing. The name is checked here ([`SchemaName::new`]), and every
    /// statement is rendered with it now, once: reads and commits then cost exactly the
    /// round trips they cost in the default schema.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = sqlx::PgPool::connect(&std::env::var("DATABASE_URL")?).await?;
    /// let store = invite_sqlx::PgStore::with_schema(pool, "tenant_invites")?;
    /// store.migrate().await?; // creates the schema, then its tables
    /// # Ok(()) }
    /// ```
    pub fn with_schema(pool: PgPool, schema: &str) -> Result<Self, InvalidSchemaName> {
        let schema = SchemaName::new(schema)?;
        let sql = match schema == SchemaName::default() {
            true => DEFAULT_STATEMENTS.clone(),
            false => Arc::new(Statements::render(&schema)),
        };
        Ok(Self { pool, schema, sql })
    }

    /// The pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The schema holding the store's tables.
    pub fn schema(&self) -> &SchemaName {
        &self.schema
    }

    /// Every statement the store runs, by name, as rendered for its schema: for tools and
    /// tests that check them against a database (prepare, `EXPLAIN`).
    pub fn statements(&self) -> Vec<(&'static str, &str)> {
        self.sql.all()
    }

    /// Creates the schema if needed and applies the embedded migrations it lacks, recording
    /// them in the schema's own `_sqlx_migrations`, never in the application's. Idempotent,
    /// and safe to call from several instances at start-up (advisory locks serialize them).
    /// The application's own sqlx migrations may run before or after, on the same database.
    ///
    /// A database migrated by invite-sqlx before it had a schema of its own (tables in
    /// `public`, the version in `public._sqlx_migrations`) is adopted: the tables and
    /// functions move into the schema with their data, and the store's version rows move
    /// out of `public._sqlx_migrations`.
    ///
    /// In tests, `#[sqlx::test(migrations = false)]` gives each test its own database; call
    /// this on the pool it hands over.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        migrate::run(&self.pool, &self.schema).await
    }

    async fn invitations(
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

/// PostgreSQL's `text` holds no NUL character and refuses a parameter with one.
fn has_nul(s: &str) -> bool {
    s.contains('\0')
}

/// The lookup keys a text column could hold: a key with a NUL matches no stored row, so it
/// is left out rather than sent (PostgreSQL would refuse the whole statement).
fn storable_keys<'k>(keys: impl IntoIterator<Item = &'k str>) -> Vec<&'k str> {
    keys.into_iter().filter(|k| !has_nul(k)).collect()
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
impl Store for PgStore {
    async fn commit(&self, commit: Commit) -> Result<CommitOutcome, StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        match commit::apply(&mut tx, &self.sql, &commit).await {
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
        let row = sqlx::query(&self.sql.ORGANIZATION)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(codec::organization).transpose()
    }

    async fn organizations_with_reminders(
        &self,
        after: Option<OrgId>,
        limit: u32,
    ) -> Result<Vec<Organization>, StoreError> {
        let q = match after {
            None => sqlx::query(&self.sql.ORGANIZATIONS_WITH_REMINDERS_FIRST).bind(limit_of(limit)),
            Some(after) => sqlx::query(&self.sql.ORGANIZATIONS_WITH_REMINDERS_AFTER)
                .bind(after.0)
                .bind(limit_of(limit)),
        };
        let rows = q.fetch_all(&self.pool).await.map_err(backend)?;
        rows.iter().map(codec::organization).collect()
    }

    async fn invitation(&self, id: InvitationId) -> Result<Option<Invitation>, StoreError> {
        let row = sqlx::query(&self.sql.INVITATION)
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
        let keys = storable_keys(address_keys.iter().map(String::as_str));
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(&self.sql.OPEN_INVITATIONS)
            .bind(org.0)
            .bind(keys)
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
        let refs = storable_keys(users.iter().map(UserRef::as_str));
        if refs.is_empty() {
            return Ok(Vec::new());
        }
        self.invitations(
            sqlx::query(&self.sql.INVITATIONS_FOR_USERS)
                .bind(org.0)
                .bind(refs),
        )
        .await
    }

    async fn link(&self, hash: &TokenHash) -> Result<Option<LinkRecord>, StoreError> {
        let row = sqlx::query(&self.sql.LINK)
            .bind(hash.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(codec::link).transpose()
    }

    async fn member(&self, id: MemberId) -> Result<Option<Member>, StoreError> {
        let row = sqlx::query(&self.sql.MEMBER)
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
        let keys = storable_keys(contact_keys.iter().map(String::as_str));
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(&self.sql.ACTIVE_MEMBERS)
            .bind(org.0)
            .bind(keys)
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
        let row = sqlx::query(&self.sql.SEATS)
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

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: TimeDelta,
        limit: u32,
    ) -> Result<Vec<ClaimedMessage>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(&self.sql.CLAIM_DUE)
            .bind(now)
            .bind(now + lease)
            .bind(limit_of(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let mut claimed = rows
            .iter()
            .map(|row| {
                let message = codec::message(row)?;
                let lease = message
                    .lease
                    .ok_or_else(|| backend("a claimed message has no lease"))?;
                Ok(ClaimedMessage { message, lease })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        claimed.sort_by_key(|c| (c.message.due_at, c.message.id));
        Ok(claimed)
    }

    async fn message(&self, id: MessageId) -> Result<Option<OutboxMessage>, StoreError> {
        let row = sqlx::query(&self.sql.MESSAGE)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(codec::message).transpose()
    }

    async fn reminder_candidates(
        &self,
        query: &ReminderQuery,
    ) -> Result<Vec<Invitation>, StoreError> {
        let statement = match query.after {
            None => &self.sql.REMINDER_CANDIDATES_FIRST,
            Some(_) => &self.sql.REMINDER_CANDIDATES_AFTER,
        };
        let q = sqlx::query(statement)
            .bind(query.org.0)
            .bind(limit_of(query.limit))
            .bind(query.now)
            .bind(query.cutoff)
            .bind(query.day);
        let q = match query.after {
            Some(after) => q.bind(after.0),
            None => q,
        };
        self.invitations(q).await
    }

    async fn dashboard(
        &self,
        org: OrgId,
        now: DateTime<Utc>,
    ) -> Result<Option<Dashboard>, StoreError> {
        let row = sqlx::query(&self.sql.DASHBOARD)
            .bind(org.0)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let counts = TabCounts {
            all: codec::count(&row, "listed")?,
            pending: codec::count(&row, "pending")?,
            never_used: codec::count(&row, "never_used")?,
            expired_or_failed: codec::count(&row, "expired_or_failed")?,
            completed: codec::count(&row, "completed")?,
            invited_by_email: codec::count(&row, "by_email")?,
            invited_by_sms: codec::count(&row, "by_sms")?,
        };
        // Live invitations are exactly the Pending tab (Queued + Pending).
        let reserved = match codec::is_reserve_on_invite(&codec::text(&row, "seat_policy")?) {
            true => counts.pending,
            false => 0,
        };
        let used = codec::count(&row, "members")? + reserved;
        Ok(Some(Dashboard {
            org,
            counts,
            seats: Seats::new(
                codec::limit(&row, "seat_limit")?,
                u32::try_from(used).unwrap_or(u32::MAX),
            ),
            reminders_enabled: codec::flag(&row, "reminders_enabled")?,
        }))
    }

    async fn list(
        &self,
        org: OrgId,
        query: &ListQuery,
        now: DateTime<Utc>,
    ) -> Result<Page, StoreError> {
        let statement = match (query.sort, query.order, query.after.is_some()) {
            (SortKey::LastInvited, SortOrder::NewestFirst, false) => {
                &self.sql.LIST_INVITED_DESC_FIRST
            }
            (SortKey::LastInvited, SortOrder::NewestFirst, true) => {
                &self.sql.LIST_INVITED_DESC_AFTER
            }
            (SortKey::LastInvited, SortOrder::OldestFirst, false) => {
                &self.sql.LIST_INVITED_ASC_FIRST
            }
            (SortKey::LastInvited, SortOrder::OldestFirst, true) => {
                &self.sql.LIST_INVITED_ASC_AFTER
            }
            (SortKey::SignedUp, SortOrder::NewestFirst, false) => {
                &self.sql.LIST_SIGNED_UP_DESC_FIRST
            }
            (SortKey::SignedUp, SortOrder::NewestFirst, true) => {
                &self.sql.LIST_SIGNED_UP_DESC_AFTER
            }
            (SortKey::SignedUp, SortOrder::OldestFirst, false) => {
                &self.sql.LIST_SIGNED_UP_ASC_FIRST
            }
            (SortKey::SignedUp, SortOrder::OldestFirst, true) => &self.sql.LIST_SIGNED_UP_ASC_AFTER,
        };
        // The search as ListQuery::matches_search reads it: trimmed, lower-cased, and none
        // when empty.
        let search = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_lowercase);
        // No stored address holds a NUL (PostgreSQL's text cannot), so such a search matches
        // nothing, as in MemoryStore; PostgreSQL would refuse the parameter.
        if search.as_deref().is_some_and(has_nul) {
            return Ok(Page {
                rows: Vec::new(),
                next: None,
            });
        }
        // A position PostgreSQL can hold that selects the same rows (see `calendar`).
        let after = query
            .after
            .map(|c| calendar::cursor_position(query.order, &c));
        let limit = query.limit as usize;
        let mut rows = self
            .invitations(
                sqlx::query(statement)
                    .bind(org.0)
                    .bind(codec::tab_name(query.tab))
                    .bind(now)
                    .bind(search)
                    .bind(after.and_then(|(key, _)| key))
                    .bind(after.map(|(_, id)| id))
                    .bind(i64::from(query.limit) + 1),
            )
            .await?;
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        let next = match has_more {
            true => rows.last().map(|i| query.cursor_at(i)),
            false => None,
        };
        Ok(Page {
            rows: rows.into_iter().map(|i| Row::at(i, now)).collect(),
            next,
        })
    }

    async fn daily_activity(
        &self,
        org: OrgId,
        from: NaiveDate,
        to: NaiveDate,
        tz: Tz,
    ) -> Result<Vec<DayActivity>, StoreError> {
        if from > to {
            return Ok(Vec::new());
        }
        // Days before PostgreSQL's first one can have no activity: nothing is stored then.
        // (chrono's last day comes before PostgreSQL's.)
        let mut counted: HashMap<NaiveDate, DayActivity> = HashMap::new();
        let sql_from = from.max(calendar::first_day());
        if sql_from <= to {
            let (start, end) = calendar::utc_window(sql_from, to);
            let rows = sqlx::query(&self.sql.DAILY_ACTIVITY)
                .bind(org.0)
                .bind(sql_from)
                .bind(to)
                .bind(tz.name())
                .bind(start)
                .bind(end)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
            for row in &rows {
                let day = codec::day(row, "day")?;
                let activity = DayActivity {
                    day,
                    invitations_sent: codec::count(row, "sent")?,
                    signups: codec::count(row, "signups")?,
                    first_logins: codec::count(row, "first_logins")?,
                };
                counted.insert(day, activity);
            }
        }
        Ok(calendar::days(from, to)
            .map(|day| {
                counted
                    .remove(&day)
                    .unwrap_or_else(|| DayActivity::empty(day))
            })
            .collect())
    }

    async fn audit_trail(
        &self,
        org: OrgId,
        invitation: Option<InvitationId>,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let q = match invitation {
            None => sqlx::query(&self.sql.AUDIT_OF_ORG).bind(org.0),
            Some(inv) => sqlx::query(&self.sql.AUDIT_OF_INVITATION)
                .bind(org.0)
                .bind(inv.0),
        };
        let rows = q.fetch_all(&self.pool).await.map_err(backend)?;
        rows.iter().map(codec::audit_event).collect()
    }
}
