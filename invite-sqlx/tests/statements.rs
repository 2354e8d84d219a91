//! Every statement of the store is prepared against the migrated schema, so a typo or a
//! schema change that breaks one fails here, without a case having to reach it. This is the
//! check sqlx's compile-time macros would give, run at test time instead: in the default
//! schema and in another one, so a statement that names a table without its schema (and so
//! would depend on the connection's `search_path`) fails too.

use invite_sqlx::PgStore;
use sqlx::{Executor, PgPool};

async fn assert_every_statement_prepares(store: &PgStore) {
    store.migrate().await.expect("the migrations apply");
    let mut conn = store.pool().acquire().await.expect("a connection");
    let mut failures = Vec::new();
    for (name, sql) in store.statements() {
        assert!(!sql.contains("{schema}"), "{name} is not fully rendered");
        if let Err(e) = conn.prepare(sql).await {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "statements that do not prepare in {}:\n{}",
        store.schema(),
        failures.join("\n")
    );
}

#[sqlx::test(migrations = false)]
async fn every_statement_prepares_against_the_default_schema(pool: PgPool) {
    assert_every_statement_prepares(&PgStore::new(pool)).await;
}

#[sqlx::test(migrations = false)]
async fn every_statement_prepares_against_another_schema(pool: PgPool) {
    let store = PgStore::with_schema(pool, "inv_other").expect("a valid name");
    assert_every_statement_prepares(&store).await;
}
