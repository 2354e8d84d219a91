//! A transaction PostgreSQL aborts to break a deadlock is a conflict the service decides
//! again, not a backend failure (R3.4, R7.3: many instances share one database).

use invite_core::{Conflict, StoreError};
use sqlx::{Connection, PgPool};

/// Two transactions lock two rows in opposite orders: PostgreSQL aborts one with SQLSTATE
/// 40P01, and the store reports that as `Conflict::TransactionAborted`.
#[sqlx::test(migrations = false)]
async fn a_deadlock_victim_is_a_conflict_to_retry(pool: PgPool) {
    sqlx::query("CREATE TABLE pair (id int PRIMARY KEY)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO pair VALUES (1), (2)")
        .execute(&pool)
        .await
        .unwrap();
    let mut a = pool.acquire().await.unwrap();
    let mut b = pool.acquire().await.unwrap();
    let mut ta = a.begin().await.unwrap();
    let mut tb = b.begin().await.unwrap();
    for tx in [&mut ta, &mut tb] {
        // Detect the deadlock quickly instead of after the default second.
        sqlx::query("SET LOCAL deadlock_timeout = '20ms'")
            .execute(&mut **tx)
            .await
            .unwrap();
    }
    let lock = "UPDATE pair SET id = id WHERE id = $1";
    sqlx::query(lock).bind(1).execute(&mut *ta).await.unwrap();
    sqlx::query(lock).bind(2).execute(&mut *tb).await.unwrap();
    // Each now waits for the row the other holds.
    let (ra, rb) = tokio::join!(
        sqlx::query(lock).bind(2).execute(&mut *ta),
        sqlx::query(lock).bind(1).execute(&mut *tb),
    );
    let victim = match (ra, rb) {
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => e,
        other => panic!("expected exactly one deadlock victim, got {other:?}"),
    };
    let mapped = invite_sqlx::aborted_is_conflict(StoreError::Backend(Box::new(victim)));
    assert!(
        matches!(
            mapped,
            StoreError::Conflict(Conflict::TransactionAborted { ref code }) if code == "40P01"
        ),
        "{mapped:?}"
    );

    // Any other database error stays a backend failure.
    let other = sqlx::query("SELECT * FROM no_such_table")
        .execute(&pool)
        .await
        .unwrap_err();
    let mapped = invite_sqlx::aborted_is_conflict(StoreError::Backend(Box::new(other)));
    assert!(matches!(mapped, StoreError::Backend(_)), "{mapped:?}");
}
