//! The whole store conformance suite again, in a schema that is not the default one
//! (`inv_alt`), so that no statement, function call or migration assumes `invite`
//! (issue 10.3). It runs every case, about six seconds: a subset would leave untested the
//! statements only the left-out cases reach.

invite_core::store_conformance_tests! {
    attr: #[sqlx::test(migrations = false)],
    args: (pool: sqlx::PgPool),
    store: {
        let store = invite_sqlx::PgStore::with_schema(pool, "inv_alt").expect("a valid name");
        store.migrate().await.expect("the migrations apply");
        assert_eq!(store.schema().as_str(), "inv_alt");
        store
    },
}
