//! The store conformance suite of invite-core, the same cases `MemoryStore` passes, run
//! against PostgreSQL: each case gets its own freshly migrated database (`#[sqlx::test]`,
//! which reads `DATABASE_URL` at run time).

invite_core::store_conformance_tests! {
    attr: #[sqlx::test(migrator = "invite_sqlx::MIGRATOR")],
    args: (pool: sqlx::PgPool),
    store: invite_sqlx::PgStore::new(pool),
}
