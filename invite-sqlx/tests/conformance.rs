//! The store conformance suite of invite-core, the same cases `MemoryStore` passes, run
//! against PostgreSQL in the default schema (`invite`): each case gets its own database
//! (`#[sqlx::test]`, which reads `DATABASE_URL` at run time), migrated by
//! `PgStore::migrate` (not by `#[sqlx::test]`'s own runner, which would put the tables and
//! their bookkeeping in `public`).

invite_core::store_conformance_tests! {
    attr: #[sqlx::test(migrations = false)],
    args: (pool: sqlx::PgPool),
    store: {
        let store = invite_sqlx::PgStore::new(pool);
        store.migrate().await.expect("the migrations apply");
        store
    },
}
