//! The wide pool and migrated store the concurrency tests share.

use invite_sqlx::PgStore;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// Connections per test: enough for real overlap of transactions, few enough that the two
/// tests cargo runs at once stay under the server's default limit of 100.
const CONNECTIONS: u32 = 24;

/// A pool of its own (the `#[sqlx::test]` default caps a test at 5 connections) on the
/// test's database.
pub(crate) async fn wide_pool(connect: PgConnectOptions) -> PgPool {
    PgPoolOptions::new()
        .max_connections(CONNECTIONS)
        .connect_with(connect)
        .await
        .expect("the test database accepts connections")
}

/// The store on `pool`, its schema migrated.
pub(crate) async fn migrated(pool: &PgPool) -> PgStore {
    let store = PgStore::new(pool.clone());
    store.migrate().await.expect("the migrations apply");
    store
}
