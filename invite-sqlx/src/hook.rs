//! The application's own statements in the library's transaction: a signup (or any
//! command) and the application's account row commit together or not at all.
//!
//! [`PgStore::with_commit_hook`] gives a view of the store whose every commit runs a
//! [`CommitHook`] inside the commit's transaction, after the library's writes and before
//! `COMMIT`. If the hook fails, the whole transaction rolls back: nothing of the command is
//! stored (no member, the link still works), and the command answers
//! [`invite_core::Error::Store`] with a [`HookFailed`] source carrying the hook's error. If
//! the library's commit conflicts and the service decides again, the hook runs again in the
//! new transaction (the first one rolled back with everything the hook wrote).

use crate::PgStore;
use async_trait::async_trait;
use invite_core::Member;
use invite_core::notifier::BoxError;
use invite_core::store::{Commit, CommitOutcome, StoreError, Write};
use sqlx::PgConnection;
use std::fmt;

/// Statements of the application's that run in the library's commit transaction.
#[async_trait]
pub trait CommitHook: Send + Sync {
    /// Runs after the library's writes of `commit`, before `COMMIT`, on its transaction. An
    /// error rolls everything back.
    async fn before_commit(&self, tx: &mut PgConnection, commit: &Commit) -> Result<(), BoxError>;
}

/// The hook of a signup: calls `create` with each member a commit adds by signing up (a
/// member with an invitation), so the application creates its own account row for them in
/// the same transaction.
///
/// ```no_run
/// use invite_sqlx::{PgStore, SignupHook};
/// use invite_core::{InvitationService, SystemClock, UserRef};
/// # async fn signup(store: PgStore, token: &str) -> Result<(), Box<dyn std::error::Error>> {
/// let hook = SignupHook::new(|tx, member| {
///     Box::pin(async move {
///         sqlx::query("INSERT INTO app_users (id, email) VALUES ($1, $2)")
///             .bind(member.user_ref.as_ref().map(|u| u.as_str().to_owned()))
///             .bind(member.contact.email_address().map(|e| e.to_string()))
///             .execute(tx)
///             .await?;
///         Ok(())
///     })
/// });
/// let atomic = store.with_commit_hook(hook);
/// let service = InvitationService::new(&atomic, SystemClock);
/// service.sign_up(token, Some(UserRef::new("app-42"))).await?;
/// # Ok(()) }
/// ```
pub struct SignupHook<F> {
    create: F,
}

/// What a [`SignupHook`]'s function answers: its statements, run on the transaction.
pub type HookFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), BoxError>> + Send + 'a>>;

impl<F> SignupHook<F>
where
    F: for<'a> Fn(&'a mut PgConnection, &'a Member) -> HookFuture<'a> + Send + Sync,
{
    /// A hook calling `create` for each member a signup adds.
    pub fn new(create: F) -> Self {
        Self { create }
    }
}

#[async_trait]
impl<F> CommitHook for SignupHook<F>
where
    F: for<'a> Fn(&'a mut PgConnection, &'a Member) -> HookFuture<'a> + Send + Sync,
{
    async fn before_commit(&self, tx: &mut PgConnection, commit: &Commit) -> Result<(), BoxError> {
        for w in &commit.members {
            if let Write::Insert(member) = w {
                if member.invitation.is_some() {
                    (self.create)(&mut *tx, member).await?;
                }
            }
        }
        Ok(())
    }
}

/// The error of a [`CommitHook`], as the source of the command's [`invite_core::Error::Store`]:
/// downcast it to tell the application's own failure from the database's.
#[derive(Debug)]
pub struct HookFailed(pub BoxError);

impl fmt::Display for HookFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the application's statements in the commit failed: {}",
            self.0
        )
    }
}

impl std::error::Error for HookFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// A [`PgStore`] whose commits run a [`CommitHook`] in their transaction: made by
/// [`PgStore::with_commit_hook`]. Reads, claims and views are the store's own. It holds its
/// own handle of the store (the same pool), so it can live as long as the application needs
/// it, in an `Arc` of a router's state or a worker's task.
pub struct HookedStore<H> {
    store: PgStore,
    hook: H,
}

impl PgStore {
    /// This store, with `hook` run in every commit's transaction (see [`CommitHook`]). The
    /// two share the pool; the plain store's commits stay without the hook.
    pub fn with_commit_hook<H: CommitHook>(&self, hook: H) -> HookedStore<H> {
        HookedStore {
            store: self.clone(),
            hook,
        }
    }
}

invite_core::forward_record_reads!(for HookedStore<H> where H: [CommitHook] => |this| this.store, {
    async fn commit(&self, commit: Commit) -> Result<CommitOutcome, StoreError> {
        self.store
            .commit_in_transaction(commit, Some(&self.hook))
            .await
    }
});

invite_core::forward_outbox_and_views!(for HookedStore<H> where H: [CommitHook] => |this| this.store);
