//! Migrations into the store's own schema, with their bookkeeping in that schema (issue
//! 10.3), on sqlx 0.8's migrator.
//!
//! sqlx 0.8.6 (the version in `Cargo.lock`) names its bookkeeping table `_sqlx_migrations`
//! unqualified in every statement (`sqlx-postgres/src/migrate.rs`) and offers no setting for
//! its name or schema (0.9 adds `Migrator::dangerous_set_table_name` and `create_schema`).
//! Unqualified names resolve through `search_path`, so the migrator runs on a connection of
//! its own whose `search_path` is the store's schema alone: the bookkeeping table, and every
//! object the migration files create (they name none by schema), land in that schema. The
//! connection is closed afterwards, never handed back to the pool, so no connection of the
//! application ever sees that `search_path`. The migration files stay the same text, and so
//! keep the same checksums, whatever schema they are applied to.
//!
//! A database migrated by an earlier invite-sqlx, tables in `public` and the version in
//! `public._sqlx_migrations` beside the application's, is adopted first: its objects move
//! into the schema and its version rows with them, in one transaction ([`adopt_legacy`]).

use crate::schema::SchemaName;
use crate::sql::render;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::{Connection, PgConnection, PgPool};

/// The schema's migrations, embedded at compile time from `migrations/`. Not public: applied
/// by sqlx's own runner on an ordinary connection they would land in `public`; only
/// [`run`] points them at a schema.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!();

/// The version of the first migration, the only one an earlier invite-sqlx applied (in
/// `public`).
const LEGACY_INIT_VERSION: i64 = 20260301000000;

/// Serializes invite-sqlx's migrations in a database, whatever their schema, across
/// instances starting at once: schema creation and adoption happen before sqlx's migrator
/// takes its own lock, and two stores in two schemas must not both adopt the same old tables.
/// A session lock, released by the closing connection at the latest.
const LOCK: &str = "SELECT pg_advisory_lock(hashtext('invite_sqlx.migrate'))";
const UNLOCK: &str = "SELECT pg_advisory_unlock(hashtext('invite_sqlx.migrate'))";

const CREATE_SCHEMA: &str = "CREATE SCHEMA IF NOT EXISTS {schema}";
/// The schema alone (then `pg_temp`, last, so no temporary table can stand in for one of the
/// store's): where unqualified names resolve and new objects go.
const SET_SEARCH_PATH: &str = "SET search_path TO {schema}, pg_temp";

/// Whether the database has invite-sqlx's tables in `public`, migrated by an earlier
/// version, and the schema has none yet.
const LEGACY_LAYOUT: &str = "\
    SELECT to_regclass('public.invitations') IS NOT NULL \
       AND to_regclass('public._sqlx_migrations') IS NOT NULL \
       AND to_regclass('{schema}.invitations') IS NULL";

/// The checksum `public._sqlx_migrations` recorded for the first migration, if any.
const LEGACY_CHECKSUM: &str =
    "SELECT checksum FROM public._sqlx_migrations WHERE version = $1 AND success";

/// Moves every object of the first migration into the schema. Indexes, constraints,
/// triggers and the identity sequence follow their tables.
const ADOPT_OBJECTS: &[&str] = &[
    "ALTER TABLE public.organizations SET SCHEMA {schema}",
    "ALTER TABLE public.invitations SET SCHEMA {schema}",
    "ALTER TABLE public.members SET SCHEMA {schema}",
    "ALTER TABLE public.links SET SCHEMA {schema}",
    "ALTER TABLE public.outbox SET SCHEMA {schema}",
    "ALTER TABLE public.reminder_marks SET SCHEMA {schema}",
    "ALTER TABLE public.audit_events SET SCHEMA {schema}",
    "ALTER FUNCTION public.invitation_status(timestamptz, timestamptz, timestamptz, boolean, \
        boolean, timestamptz, timestamptz) SET SCHEMA {schema}",
    "ALTER FUNCTION public.invitation_in_tab(text, text) SET SCHEMA {schema}",
];

/// sqlx 0.8.6's bookkeeping table, as its `ensure_migrations_table` creates it.
const CREATE_BOOKKEEPING: &str = "\
    CREATE TABLE IF NOT EXISTS {schema}._sqlx_migrations ( \
        version BIGINT PRIMARY KEY, \
        description TEXT NOT NULL, \
        installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), \
        success BOOLEAN NOT NULL, \
        checksum BYTEA NOT NULL, \
        execution_time BIGINT NOT NULL)";

/// The store's version rows leave `public._sqlx_migrations` for the schema's table, so the
/// application's migrator no longer finds versions it does not know (`VersionMissing`).
const MOVE_VERSIONS: &str = "\
    WITH moved AS ( \
        DELETE FROM public._sqlx_migrations WHERE version = ANY($1) \
        RETURNING version, description, installed_on, success, checksum, execution_time) \
    INSERT INTO {schema}._sqlx_migrations \
    SELECT version, description, installed_on, success, checksum, execution_time FROM moved";

/// Applies the migrations not yet applied to `schema`, creating it first (see the module
/// documentation).
pub(crate) async fn run(pool: &PgPool, schema: &SchemaName) -> Result<(), MigrateError> {
    let mut conn = pool.acquire().await?;
    // Whatever happens below, this connection (its search_path changed) never goes back to
    // the pool.
    conn.close_on_drop();
    sqlx::query(LOCK).execute(&mut *conn).await?;
    let applied = migrate_locked(&mut conn, schema).await;
    let unlocked = sqlx::query(UNLOCK).execute(&mut *conn).await;
    conn.close().await?;
    applied?;
    unlocked?;
    Ok(())
}

async fn migrate_locked(conn: &mut PgConnection, schema: &SchemaName) -> Result<(), MigrateError> {
    sqlx::query(&render(CREATE_SCHEMA, schema))
        .execute(&mut *conn)
        .await?;
    sqlx::query(&render(SET_SEARCH_PATH, schema))
        .execute(&mut *conn)
        .await?;
    adopt_legacy(conn, schema).await?;
    // `run_direct`, not `run`: `run`'s `Acquire` bound makes the future not `Send` (the
    // "not general enough" error), so `migrate` could not be called from a spawned task.
    // sqlx keeps `run_direct` public for exactly this; it is what `run` calls.
    MIGRATOR.run_direct(conn).await
}

/// Adopts a database migrated by an earlier invite-sqlx: if `public` holds the store's
/// tables, recorded in `public._sqlx_migrations` with the first migration's checksum, and
/// `schema` holds none, moves the tables and functions into `schema` and the store's version
/// rows into `schema`'s bookkeeping table, all in one transaction. Data stays where it is
/// (`SET SCHEMA` changes the catalog only). Anything else, including a `public.invitations`
/// the store did not create, is left alone.
async fn adopt_legacy(conn: &mut PgConnection, schema: &SchemaName) -> Result<(), MigrateError> {
    let legacy: bool = sqlx::query_scalar(&render(LEGACY_LAYOUT, schema))
        .fetch_one(&mut *conn)
        .await?;
    if !legacy {
        return Ok(());
    }
    let checksum: Option<Vec<u8>> = sqlx::query_scalar(LEGACY_CHECKSUM)
        .bind(LEGACY_INIT_VERSION)
        .fetch_optional(&mut *conn)
        .await?;
    let init = MIGRATOR
        .iter()
        .find(|m| m.version == LEGACY_INIT_VERSION)
        .ok_or(MigrateError::VersionMissing(LEGACY_INIT_VERSION))?;
    if checksum.as_deref() != Some(&*init.checksum) {
        return Ok(());
    }
    let versions: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
    let mut tx = conn.begin().await?;
    for statement in ADOPT_OBJECTS {
        sqlx::query(&render(statement, schema))
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(&render(CREATE_BOOKKEEPING, schema))
        .execute(&mut *tx)
        .await?;
    sqlx::query(&render(MOVE_VERSIONS, schema))
        .bind(&versions)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
