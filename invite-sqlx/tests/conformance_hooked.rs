//! The store conformance suite of invite-core run against PostgreSQL through a
//! [`HookedStore`](invite_sqlx::HookedStore) whose hook writes nothing. With a hook every
//! commit goes `BEGIN`, the one-statement call (or the step-by-step commit), the core's
//! `SeatCheck::verdict` on the counts the call read under the seat lock, the hook, `COMMIT`;
//! a seat refusal there is final, with no step-by-step fallback to correct it. So the seat
//! cases here check the counts the call answers: one too many would refuse the invite that
//! takes the last seat, one too few would admit one past the limit.

use async_trait::async_trait;
use invite_core::notifier::BoxError;
use invite_core::store::Commit;
use invite_sqlx::{CommitHook, HookedStore, PgStore};
use sqlx::PgConnection;

/// A hook that writes nothing: the commit goes the hooked way and nothing else changes.
struct NoStatements;

#[async_trait]
impl CommitHook for NoStatements {
    async fn before_commit(
        &self,
        _tx: &mut PgConnection,
        _commit: &Commit,
    ) -> Result<(), BoxError> {
        Ok(())
    }
}

/// The hooked view of a migrated store on `pool`.
async fn hooked(pool: sqlx::PgPool) -> HookedStore<NoStatements> {
    let store = PgStore::new(pool);
    store.migrate().await.expect("the migrations apply");
    store.with_commit_hook(NoStatements)
}

invite_core::store_conformance_tests! {
    attr: #[sqlx::test(migrations = false)],
    args: (pool: sqlx::PgPool),
    store: hooked(pool).await,
}
