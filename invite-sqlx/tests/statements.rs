//! Every statement of the store is prepared against the migrated schema, so a typo or a
//! schema change that breaks one fails here, without a case having to reach it. This is the
//! check sqlx's compile-time macros would give, run at test time instead.

use sqlx::{Executor, PgPool};

#[sqlx::test(migrator = "invite_sqlx::MIGRATOR")]
async fn every_statement_prepares_against_the_schema(pool: PgPool) {
    let mut conn = pool.acquire().await.expect("a connection");
    let mut failures = Vec::new();
    for (name, sql) in invite_sqlx::STATEMENTS {
        if let Err(e) = conn.prepare(sql).await {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "statements that do not prepare:\n{}",
        failures.join("\n")
    );
}
