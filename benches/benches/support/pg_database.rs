//! A fresh PostgreSQL database for a bench, on the server of `DATABASE_URL`.

use invite_sqlx::PgStore;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Executor, PgPool};
use std::str::FromStr;

/// Drops and creates database `name` (a plain identifier of the bench's own), migrates it,
/// and answers a pool of `connections` on it, made with [`PgStore::pool_options`]; `None`
/// without `DATABASE_URL`.
pub(crate) async fn fresh(name: &str, connections: u32) -> Option<PgPool> {
    let url = std::env::var("DATABASE_URL").ok()?;
    let admin = PgConnectOptions::from_str(&url).expect("a valid DATABASE_URL");
    let mut conn = admin
        .connect()
        .await
        .expect("the server accepts connections");
    let quoted = format!("\"{name}\"");
    conn.execute(format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)").as_str())
        .await
        .expect("the old bench database is dropped");
    conn.execute(format!("CREATE DATABASE {quoted}").as_str())
        .await
        .expect("the bench database is created");
    let pool = PgStore::pool_options()
        .max_connections(connections)
        .connect_with(admin.database(name))
        .await
        .expect("the bench database accepts connections");
    PgStore::new(pool.clone())
        .migrate()
        .await
        .expect("the migrations apply");
    Some(pool)
}
