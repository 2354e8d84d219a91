#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

/// The sqlx this crate is built on, so an application names the very version (`PgPool`,
/// transactions) the store takes.
pub use sqlx;

mod arrays;
mod calendar;
mod codec;
mod commit;
mod fast;
mod group;
mod hook;
mod members;
mod migrate;
mod reads;
mod rows;
mod schema;
mod seats;
mod sql;
mod views;
mod waitlist;

pub use group::{GroupCallFailed, GroupCommitStats};
pub use hook::{CommitHook, HookFailed, HookFuture, HookedStore, SignupHook};
pub use schema::{DEFAULT_SCHEMA, InvalidSchemaName, SchemaName};

use invite_core::store::{Conflict, StoreError};
use sql::Statements;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use std::sync::{Arc, LazyLock, OnceLock};

/// The PostgreSQL [`Store`](invite_core::Store). Cheap to clone: it holds a connection pool and its statements.
///
/// Every table, index and function lives in one schema of the database, `invite` unless
/// [`PgStore::with_schema`] names another, with its own migrations bookkeeping there, so the
/// store shares a database with the application's own tables and sqlx migrations.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
    schema: SchemaName,
    sql: Arc<Statements>,
    /// The one-statement commit's composite types in this database, looked up by the first
    /// commit that needs them (`rows.rs`): per store, since every database has its own OIDs.
    row_types: Arc<OnceLock<rows::RowTypes>>,
    /// Concurrent seat-checked commits of one organization applied together (`group.rs`);
    /// `None` when [`PgStore::group_commits`] turned it off.
    groups: Option<Arc<group::Groups>>,
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
            row_types: Arc::default(),
            groups: Some(Arc::default()),
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
        Ok(Self {
            pool,
            schema,
            sql,
            row_types: Arc::default(),
            groups: Some(Arc::default()),
        })
    }

    /// Connects to `url` with [`PgStore::pool_options`] and answers a store on that pool in
    /// the schema `invite`. It does not migrate: call [`PgStore::migrate`] once at start-up.
    /// TLS is what the URL says (`sslmode=disable` for a trusted local server, `verify-full`
    /// across a network; sqlx's default, `prefer`, tries TLS first).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let store = invite_sqlx::PgStore::connect(
    ///     "postgres://app@127.0.0.1:5432/app?sslmode=disable",
    /// )
    /// .await?;
    /// store.migrate().await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        Ok(Self::new(Self::pool_options().connect(url).await?))
    }

    /// The pool options this store recommends (see the crate README): sqlx's defaults but
    /// `test_before_acquire(false)`. By default sqlx pings every connection it hands out, one
    /// more round trip for every store call (a read is one statement, so it would cost two);
    /// without the ping, a connection the server dropped is found by the call that uses it,
    /// which fails as a backend error once, and the pool replaces it. Add your own limits
    /// (`max_connections`, `acquire_timeout`) before connecting.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = invite_sqlx::PgStore::pool_options()
    ///     .max_connections(32)
    ///     .connect(&std::env::var("DATABASE_URL")?)
    ///     .await?;
    /// let store = invite_sqlx::PgStore::with_schema(pool, "invite")?;
    /// # let _ = store; Ok(()) }
    /// ```
    pub fn pool_options() -> PgPoolOptions {
        PgPoolOptions::new().test_before_acquire(false)
    }

    /// Whether concurrent commits of one organization that check seats (signups, invites
    /// under `ReserveOnInvite`, members added) are applied together, on by default. They wait
    /// on the organization's row one after another anyway (R3.4); together, while one call
    /// runs the others queue and then go as one call, one lock and one flush, each still
    /// answered as if alone: a group the database refuses is applied commit by commit, and
    /// a commit arriving when none of its organization runs goes at once. Off, every commit
    /// is its own call. Commits with a [`CommitHook`] are never grouped.
    ///
    /// ```no_run
    /// # async fn run(pool: sqlx::PgPool) {
    /// let store = invite_sqlx::PgStore::new(pool).group_commits(false);
    /// assert_eq!(store.group_commit_stats().group_calls, 0);
    /// # }
    /// ```
    pub fn group_commits(mut self, on: bool) -> Self {
        self.groups = on.then(Arc::default);
        self
    }

    /// How many commits went in groups since the store was made (shared by its clones):
    /// all zero while signups come one at a time, or with [`PgStore::group_commits`] off.
    pub fn group_commit_stats(&self) -> GroupCommitStats {
        self.groups.as_ref().map(|g| g.stats()).unwrap_or_default()
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
