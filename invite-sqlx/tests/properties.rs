//! The testkit's property tests (`invite_core::testkit::properties`), the same ones
//! `MemoryStore` runs with 128 cases each, run against PostgreSQL with fewer cases: every
//! SQL read and commit the invariants touch, on random command sequences with time jumps.
//!
//! Each property is one `#[sqlx::test]`, so it has a database of its own, migrated by
//! `PgStore::migrate` into the schema `invite`
//! (`DATABASE_URL` read at run time). Its cases run one after another on that database, and
//! each starts from an empty one: the store factory empties every table before handing out a
//! `PgStore` on the test's pool. Emptying is a few milliseconds; a database per case would
//! cost a migration each.

use invite_core::testkit::properties;
use invite_sqlx::PgStore;
use sqlx::PgPool;

/// Random cases per property (proptest replays the saved regression seeds first, six of
/// them today): each case is several hundred statements, and ten keep the file within about
/// half a minute on two busy cores; the in-memory run covers the generators with 128.
const CASES: u32 = 10;

/// Empties every table of the schema but sqlx's record of applied migrations, and restarts
/// their identity columns, leaving what a freshly migrated database holds. The tables come
/// from the catalog, so a table a later migration adds is emptied too. One statement, so no
/// table name is ever spliced into SQL on the Rust side.
const EMPTY_EVERY_TABLE: &str = "
DO $$
BEGIN
    EXECUTE (
        SELECT 'TRUNCATE ' || string_agg(format('%I.%I', schemaname, tablename), ', ')
            || ' RESTART IDENTITY CASCADE'
        FROM pg_tables
        WHERE schemaname = 'invite' AND tablename <> '_sqlx_migrations'
    );
END
$$";

/// A `PgStore` on `pool`, in the default schema, migrated, emptied for the next case.
async fn empty_store(pool: PgPool) -> PgStore {
    let store = PgStore::new(pool.clone());
    store.migrate().await.expect("the migrations apply");
    sqlx::query(EMPTY_EVERY_TABLE)
        .execute(&pool)
        .await
        .expect("the test database can be emptied");
    store
}

#[sqlx::test(migrations = false)]
async fn r3_4_r3_6_seats_never_exceed_the_limit(pool: PgPool) {
    properties::r3_4_r3_6_seats_never_exceed_the_limit(move || empty_store(pool.clone()), CASES)
        .await;
}

#[sqlx::test(migrations = false)]
async fn r8_2_at_most_one_reminder_per_invitation_and_local_day(pool: PgPool) {
    properties::r8_2_at_most_one_reminder_per_invitation_and_local_day(
        move || empty_store(pool.clone()),
        CASES,
    )
    .await;
}

#[sqlx::test(migrations = false)]
async fn r2_7_r5_1_r4_8_invariants_hold_after_every_command(pool: PgPool) {
    properties::r2_7_r5_1_r4_8_invariants_hold_after_every_command(
        move || empty_store(pool.clone()),
        CASES,
    )
    .await;
}
