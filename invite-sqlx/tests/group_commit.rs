//! Group commit (`src/group.rs`): concurrent seat-checked commits of one organization go as
//! one call while another of its calls runs, and each is answered as if it had been alone.
//!
//! Each test makes the grouping certain rather than likely: a transaction of the test holds
//! the organization's row (the seat lock, R3.4), so the first signup's call waits on it in
//! the server; the signups started after it queue in the store, which the test sees in
//! `group_commit_stats().waiting`; then the test lets the lock go. Nothing waits on a timer:
//! every wait is for a state the test can see, bounded so that a bug fails instead of hanging.

#[path = "support/invited.rs"]
mod invited;
#[path = "support/pools.rs"]
mod pools;

use invite_core::testkit::{Harness, TestOrg, refusal};
use invite_core::{
    FailureReason, InvitationId, OrgSettings, Refusal, SeatPolicy, Seats, Signup, Status,
};
use invite_sqlx::{GroupCommitStats, PgStore};
use invited::invite_delivered;
use pools::{migrated, wide_pool};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};
use std::collections::HashSet;
use std::time::Duration;
use tokio::task::JoinHandle;

type SignupTask = JoinHandle<(InvitationId, Result<Signup, invite_core::Error>)>;

fn addresses(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("group{i:02}@example.com")).collect()
}

/// Waits (yielding, bounded) until `ready` says yes.
async fn until<F: AsyncFnMut() -> bool>(what: &str, mut ready: F) {
    let waited = tokio::time::timeout(Duration::from_secs(60), async {
        while !ready().await {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(waited.is_ok(), "never saw: {what}");
}

/// The test database's backends waiting on a lock: the calls blocked on the held row.
async fn lock_waiters(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity \
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    .fetch_one(pool)
    .await
    .expect("pg_stat_activity reads")
}

/// A transaction holding `org`'s row as a commit's seat lock does.
async fn hold_seat_lock(pool: &PgPool, org: &TestOrg) -> Transaction<'static, Postgres> {
    let mut tx = pool.begin().await.expect("a transaction begins");
    sqlx::query("SELECT 1 FROM invite.organizations WHERE id = $1 FOR NO KEY UPDATE")
        .bind(org.id().0)
        .execute(&mut *tx)
        .await
        .expect("the test takes the organization's row");
    tx
}

fn sign_up(h: &Harness<PgStore>, (id, token): &(InvitationId, String)) -> SignupTask {
    let (service, token, id) = (h.service.clone(), token.clone(), *id);
    tokio::spawn(async move { (id, service.sign_up(&token, None).await) })
}

/// Starts one signup per invitation so that the first one's call waits on the held lock and
/// every other queues behind it, then lets the lock go: answers the tasks.
async fn signups_queued_behind_one(
    h: &Harness<PgStore>,
    pool: &PgPool,
    org: &TestOrg,
    invited: &[(InvitationId, String)],
) -> Vec<SignupTask> {
    queued_then(h, pool, org, invited, |_| ()).await
}

/// [`signups_queued_behind_one`], doing `meanwhile` to the tasks while they are queued.
async fn queued_then(
    h: &Harness<PgStore>,
    pool: &PgPool,
    org: &TestOrg,
    invited: &[(InvitationId, String)],
    meanwhile: impl FnOnce(&mut Vec<SignupTask>),
) -> Vec<SignupTask> {
    let lock = hold_seat_lock(pool, org).await;
    let mut tasks = vec![sign_up(h, &invited[0])];
    until(
        "the first signup's call waiting on the seat lock",
        async || lock_waiters(pool).await == 1,
    )
    .await;
    tasks.extend(invited[1..].iter().map(|i| sign_up(h, i)));
    let queued = invited.len() - 1;
    until("the other signups queued behind it", async || {
        h.store.group_commit_stats().waiting == queued
    })
    .await;
    meanwhile(&mut tasks);
    lock.rollback().await.expect("the test lets the lock go");
    tasks
}

async fn members_of(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM invite.members WHERE removed_at IS NULL")
        .fetch_one(pool)
        .await
        .expect("the count runs")
}

/// R3.4, R3.5: eight signups of one organization with seats for all: the first goes alone,
/// the seven queued behind it go as one call, and all eight are members, under both seat
/// policies (claimed seats; reservations converted).
#[sqlx::test(migrations = false)]
async fn r3_4_signups_queued_behind_a_call_go_as_one_call_under_both_policies(
    _opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = wide_pool(connect).await;
    let h = Harness::new(migrated(&pool).await);
    for (n, policy) in [SeatPolicy::ClaimOnSignup, SeatPolicy::ReserveOnInvite]
        .into_iter()
        .enumerate()
    {
        let settings = OrgSettings {
            seat_policy: policy,
            ..OrgSettings::with_seats(10)
        };
        let org = h.org_with(&format!("Group {n}"), settings).await;
        let invited = invite_delivered(&h, &org, &addresses(8)).await;
        let before = h.store.group_commit_stats();
        let mut members = HashSet::new();
        for task in signups_queued_behind_one(&h, &pool, &org, &invited).await {
            let (id, signup) = task.await.expect("the task ran");
            let signup = signup.unwrap_or_else(|e| panic!("{policy:?}: {id} refused: {e:?}"));
            assert!(members.insert(signup.member.id));
            assert_eq!(h.status(id).await, Status::NeverUsed);
        }
        let after = h.store.group_commit_stats();
        assert_eq!(
            (
                after.group_calls - before.group_calls,
                after.grouped_commits - before.grouped_commits,
                after.refused_groups - before.refused_groups,
                after.waiting,
            ),
            (1, 7, 0, 0),
            "{policy:?}: one call for the seven queued signups"
        );
        assert_eq!(h.seats(org.id()).await, Seats::new(10, 8), "{policy:?}");
    }
    assert_eq!(members_of(&pool).await, 16);
}

/// R3.2, R3.4: six signups for three seats: the first takes one alone; the five queued ask
/// for five seats together where two are free, so the group is refused and each goes alone
/// with its own verdict: two more members, three Failed with "seats exhausted".
#[sqlx::test(migrations = false)]
async fn r3_4_a_group_refused_for_seats_is_decided_one_by_one(
    _opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = wide_pool(connect).await;
    let h = Harness::new(migrated(&pool).await);
    let org = h.standalone(3).await;
    let invited = invite_delivered(&h, &org, &addresses(6)).await;
    let (mut joined, mut failed) = (0, Vec::new());
    for task in signups_queued_behind_one(&h, &pool, &org, &invited).await {
        match task.await.expect("the task ran") {
            (_, Ok(_)) => joined += 1,
            (id, Err(e)) => {
                assert_eq!(refusal::<()>(Err(e)), Refusal::SeatsExhausted);
                failed.push(id);
            }
        }
    }
    assert_eq!((joined, failed.len()), (3, 3));
    for id in failed {
        let inv = h.invitation(id).await;
        assert_eq!(inv.status_at(h.now()), Status::Failed);
        assert_eq!(inv.failure(), Some(&FailureReason::SeatsExhausted));
    }
    let stats = h.store.group_commit_stats();
    assert_eq!((stats.group_calls, stats.refused_groups), (0, 1));
    assert_eq!(members_of(&pool).await, 3);
    assert_eq!(h.seats(org.id()).await, Seats::new(3, 3));
}

/// A caller that stops waiting while its commit is queued leaves nobody else waiting: the
/// others are answered, the organization's next signup goes at once, and the abandoned
/// commit is either wholly applied or not at all (here: applied, the call already had it).
#[sqlx::test(migrations = false)]
async fn a_queued_caller_that_stops_waiting_leaves_the_others_answered(
    _opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = wide_pool(connect).await;
    let h = Harness::new(migrated(&pool).await);
    let org = h.standalone(10).await;
    let invited = invite_delivered(&h, &org, &addresses(5)).await;
    let tasks = queued_then(&h, &pool, &org, &invited[..4], |tasks| {
        // The last one stops waiting while its commit is queued, the lock still held.
        if let Some(abandoned) = tasks.pop() {
            abandoned.abort();
        }
    })
    .await;
    assert_eq!(tasks.len(), 3);
    for task in tasks {
        let (id, signup) = task.await.expect("the task ran");
        assert!(signup.is_ok(), "{id}: {signup:?}");
    }
    // The next signup of the organization is not stuck behind the abandoned one.
    let (id, signup) = sign_up(&h, &invited[4]).await.expect("the task ran");
    assert!(signup.is_ok(), "{id}: {signup:?}");
    let status = h.status(invited[3].0).await;
    let stats = h.store.group_commit_stats();
    assert_eq!(stats.waiting, 0);
    // Stopped waiting once queued: its commit went with the group, as its caller had asked.
    assert_eq!(status, Status::NeverUsed);
    assert_eq!(members_of(&pool).await, 5);
}

/// With grouping off, the same queue behind one call gives eight calls: nothing is grouped.
#[sqlx::test(migrations = false)]
async fn with_group_commits_off_every_commit_is_its_own_call(
    _opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = wide_pool(connect).await;
    let store = migrated(&pool).await.group_commits(false);
    let h = Harness::new(store);
    let org = h.standalone(10).await;
    let invited = invite_delivered(&h, &org, &addresses(8)).await;
    let lock = hold_seat_lock(&pool, &org).await;
    let tasks: Vec<SignupTask> = invited.iter().map(|i| sign_up(&h, i)).collect();
    until("all eight calls waiting on the seat lock", async || {
        lock_waiters(&pool).await == 8
    })
    .await;
    lock.rollback().await.expect("the test lets the lock go");
    for task in tasks {
        assert!(task.await.expect("the task ran").1.is_ok());
    }
    assert_eq!(h.store.group_commit_stats(), GroupCommitStats::default());
    assert_eq!(members_of(&pool).await, 8);
}
