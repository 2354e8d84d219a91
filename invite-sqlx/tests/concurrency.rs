//! Concurrency on a real PostgreSQL server, beyond the conformance suite's cases: many
//! application instances (tasks, each with its own connections from a shared pool) racing
//! for seats, for outbox messages and for reminders. Each test gets its own database
//! (`#[sqlx::test]`, `DATABASE_URL` read at run time), migrated by `PgStore::migrate`. No test waits on a timer:
//! tasks start together at a barrier, and time moves only on the harness's manual clock.

#[path = "support/invited.rs"]
mod invited;
#[path = "support/pools.rs"]
mod pools;

use chrono::TimeDelta;
use invite_core::store::{OutboxStore, RecordStore, ViewStore};
use invite_core::testkit::{Harness, refusal};
use invite_core::{
    Access, Channel, Contact, Error, FailureReason, MessageId, OrgSettings, Refusal, Role,
    SeatPolicy, Seats, Status,
};
use invited::invite_delivered;
use pools::{migrated, wide_pool};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::Barrier;

fn addresses(prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("{prefix}{i:03}@example.com"))
        .collect()
}

async fn count(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .expect("the count runs")
}

// ------------------------------------------------------------------ seats (R3.4, R3.5)

/// R3.4: 64 signups fired at once at an organization with 10 free seats give exactly 10
/// members; the other 54 are refused with `SeatsExhausted` and their invitations are Failed
/// with the reason "seats exhausted".
#[sqlx::test(migrations = false)]
async fn r3_4_sixty_four_concurrent_signups_for_ten_seats_make_ten_members(
    _opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = wide_pool(connect).await;
    let h = Harness::new(migrated(&pool).await);
    let acme = h.standalone(10).await;
    let invited = invite_delivered(&h, &acme, &addresses("signup", 64)).await;

    let barrier = Arc::new(Barrier::new(invited.len()));
    let tasks: Vec<_> = invited
        .iter()
        .map(|(id, token)| {
            let (service, barrier, token, id) =
                (h.service.clone(), barrier.clone(), token.clone(), *id);
            tokio::spawn(async move {
                barrier.wait().await;
                (id, service.sign_up(&token, None).await)
            })
        })
        .collect();
    let mut members = HashSet::new();
    let mut failed = Vec::new();
    for t in tasks {
        match t.await.expect("the task ran") {
            (_, Ok(signup)) => assert!(members.insert(signup.member.id)),
            (id, Err(e)) => {
                assert_eq!(refusal::<()>(Err(e)), Refusal::SeatsExhausted);
                failed.push(id);
            }
        }
    }
    assert_eq!(members.len(), 10, "exactly the seats' worth of members");
    assert_eq!(failed.len(), 54);
    for id in &failed {
        let inv = h.invitation(*id).await;
        assert_eq!(inv.status_at(h.now()), Status::Failed);
        assert_eq!(inv.failure(), Some(&FailureReason::SeatsExhausted));
    }
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM invite.members WHERE removed_at IS NULL"
        )
        .await,
        10
    );
    assert_eq!(
        h.store.seats(acme.id(), h.now()).await.unwrap(),
        Seats::new(10, 10)
    );
    let dashboard = h
        .store
        .dashboard(acme.id(), h.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            dashboard.counts.never_used,
            dashboard.counts.expired_or_failed
        ),
        (10, 54)
    );
}

/// R3.4, R3.5, R3.6: the same 64 signups for 10 seats under `ReserveOnInvite`. The 64
/// invitations went out under `ClaimOnSignup`; the operator then switched the policy, so
/// they reserve more seats than there are. A reserved signup needs no free seat but never
/// pushes the members past the limit: exactly 10 members, 54 Failed for seat exhaustion.
#[sqlx::test(migrations = false)]
async fn r3_4_sixty_four_concurrent_reserved_signups_for_ten_seats_make_ten_members(
    _opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = wide_pool(connect).await;
    let h = Harness::new(migrated(&pool).await);
    let acme = h.standalone(10).await;
    let invited = invite_delivered(&h, &acme, &addresses("reserved", 64)).await;
    h.service
        .change_seat_policy(&h.operator, acme.id(), SeatPolicy::ReserveOnInvite)
        .await
        .expect("the operator switches the policy");

    let barrier = Arc::new(Barrier::new(invited.len()));
    let tasks: Vec<_> = invited
        .iter()
        .map(|(id, token)| {
            let (service, barrier, token, id) =
                (h.service.clone(), barrier.clone(), token.clone(), *id);
            tokio::spawn(async move {
                barrier.wait().await;
                (id, service.sign_up(&token, None).await)
            })
        })
        .collect();
    let (mut members, mut failed) = (0, 0);
    for t in tasks {
        match t.await.expect("the task ran") {
            (_, Ok(_)) => members += 1,
            (id, Err(e)) => {
                assert_eq!(refusal::<()>(Err(e)), Refusal::SeatsExhausted);
                let inv = h.invitation(id).await;
                assert_eq!(inv.failure(), Some(&FailureReason::SeatsExhausted));
                failed += 1;
            }
        }
    }
    assert_eq!((members, failed), (10, 54));
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM invite.members WHERE removed_at IS NULL"
        )
        .await,
        10
    );
    let dashboard = h
        .store
        .dashboard(acme.id(), h.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            dashboard.counts.never_used,
            dashboard.counts.expired_or_failed
        ),
        (10, 54)
    );
    assert_eq!(dashboard.seats, Seats::new(10, 10));
}

/// R3.4, R3.5: under `ReserveOnInvite` the seat is taken by the invitation. 64 invites fired
/// at once at 10 seats give exactly 10 invitations (the rest `NoSeatsAvailable`); then the
/// 10 invitees sign up while 54 more invites race them: every signup succeeds (a reserved
/// signup cannot fail for seats), every new invite is refused, and used seats stay at 10.
#[sqlx::test(migrations = false)]
async fn r3_5_sixty_four_concurrent_invites_for_ten_reserved_seats(
    _opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = wide_pool(connect).await;
    let h = Harness::new(migrated(&pool).await);
    let settings = OrgSettings {
        seat_policy: SeatPolicy::ReserveOnInvite,
        ..OrgSettings::with_seats(10)
    };
    let acme = h.org_with("Reserved", settings).await;

    let invite_all = |addresses: Vec<String>, barrier: Arc<Barrier>| {
        addresses
            .into_iter()
            .map(|a| {
                let (service, admin, org, barrier) = (
                    h.service.clone(),
                    acme.admin.clone(),
                    acme.id(),
                    barrier.clone(),
                );
                tokio::spawn(async move {
                    let contact = Contact::parse_email(&a).expect("a valid address");
                    barrier.wait().await;
                    service
                        .invite(
                            &admin,
                            org,
                            contact,
                            Channel::Email,
                            Access::user(Role::ReadOnly),
                        )
                        .await
                })
            })
            .collect::<Vec<_>>()
    };

    let tasks = invite_all(addresses("reserve", 64), Arc::new(Barrier::new(64)));
    let mut invited = Vec::new();
    for t in tasks {
        match t.await.expect("the task ran") {
            Ok(inv) => invited.push(inv.id),
            Err(e) => assert_eq!(refusal::<()>(Err(e)), Refusal::NoSeatsAvailable),
        }
    }
    assert_eq!(invited.len(), 10, "exactly the seats' worth of invitations");
    assert_eq!(
        h.store.seats(acme.id(), h.now()).await.unwrap(),
        Seats::new(10, 10)
    );

    assert_eq!(h.deliver().await.sent, 10);
    let tokens: Vec<String> = invited.iter().map(|id| h.token_of(*id)).collect();
    let barrier = Arc::new(Barrier::new(10 + 54));
    let signups: Vec<_> = tokens
        .into_iter()
        .map(|token| {
            let (service, barrier) = (h.service.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                service.sign_up(&token, None).await
            })
        })
        .collect();
    let invites = invite_all(addresses("late", 54), barrier);
    for t in signups {
        let signed = t.await.expect("the task ran");
        assert!(
            signed.is_ok(),
            "a reserved signup cannot fail for seats: {signed:?}"
        );
    }
    for t in invites {
        let result = t.await.expect("the task ran");
        assert!(
            matches!(result, Err(Error::Refused(Refusal::NoSeatsAvailable))),
            "no seat is free for a new invite: {result:?}"
        );
    }
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM invite.members WHERE removed_at IS NULL"
        )
        .await,
        10
    );
    assert_eq!(
        h.store.seats(acme.id(), h.now()).await.unwrap(),
        Seats::new(10, 10)
    );
}

// ------------------------------------------------------------------ outbox (R7.1, R7.3)

/// R7.3: eight workers claiming at once never hold one message at the same time: the
/// claimed sets are disjoint, and together they are every due message.
#[sqlx::test(migrations = false)]
async fn r7_3_concurrent_claims_are_disjoint(_opts: PgPoolOptions, connect: PgConnectOptions) {
    let pool = wide_pool(connect).await;
    let h = Harness::new(migrated(&pool).await);
    let acme = h.standalone(1000).await;
    let refs = addresses("claim", 400);
    let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
    h.service
        .invite_many(&acme.admin, acme.id(), &refs, Access::user(Role::ReadOnly))
        .await
        .expect("the bulk invite runs");

    let barrier = Arc::new(Barrier::new(8));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (store, barrier, now) = (h.store.clone(), barrier.clone(), h.now());
            tokio::spawn(async move {
                barrier.wait().await;
                let mut mine = Vec::new();
                loop {
                    let batch = store
                        .claim_due(now, TimeDelta::minutes(5), 7)
                        .await
                        .expect("claims run");
                    if batch.is_empty() {
                        return mine;
                    }
                    mine.extend(batch.into_iter().map(|c| c.message.id));
                }
            })
        })
        .collect();
    let mut seen: HashSet<MessageId> = HashSet::new();
    for t in tasks {
        for id in t.await.expect("the task ran") {
            assert!(seen.insert(id), "message {id} was claimed twice");
        }
    }
    assert_eq!(seen.len(), 400, "every due message was claimed once");
}

/// R7.1, R7.3: four dispatchers drain 300 messages at once and each message is delivered
/// exactly once. A fifth worker claimed a batch and died before finishing it: nothing of
/// its batch is lost. While its lease lasts no one else delivers those messages; once it
/// runs out, the other workers deliver them, and the dead worker's late outcome is refused
/// (lease lost).
#[sqlx::test(migrations = false)]
async fn r7_3_workers_deliver_each_message_once_and_a_dead_workers_batch_is_not_lost(
    _opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = wide_pool(connect).await;
    let h = Harness::new(migrated(&pool).await);
    let acme = h.standalone(1000).await;
    let all = addresses("deliver", 300);
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    h.service
        .invite_many(&acme.admin, acme.id(), &refs, Access::user(Role::ReadOnly))
        .await
        .expect("the bulk invite runs");

    // The worker that dies: it claims 25 messages and never finishes them.
    let lease = h.dispatcher_config().lease;
    let dead_batch = h
        .store
        .claim_due(h.now(), lease, 25)
        .await
        .expect("the claim runs");
    assert_eq!(dead_batch.len(), 25);

    let drain_concurrently = |workers: usize| {
        let barrier = Arc::new(Barrier::new(workers));
        (0..workers)
            .map(|_| {
                let (dispatcher, barrier) = (h.dispatcher(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    dispatcher.drain().await.expect("dispatching works")
                })
            })
            .collect::<Vec<_>>()
    };

    let mut sent = 0;
    for t in drain_concurrently(4) {
        sent += t.await.expect("the task ran").sent;
    }
    assert_eq!(sent, 275, "everything but the dead worker's batch");
    let delivered: HashSet<MessageId> = h
        .notifier
        .delivered()
        .iter()
        .map(|n| n.message_id)
        .collect();
    for claim in &dead_batch {
        assert!(
            !delivered.contains(&claim.message.id),
            "a live lease is exclusive"
        );
    }

    // The lease runs out; the other workers take the batch over.
    h.advance(lease + TimeDelta::seconds(1));
    let mut sent = 0;
    for t in drain_concurrently(4) {
        sent += t.await.expect("the task ran").sent;
    }
    assert_eq!(
        sent, 25,
        "the dead worker's batch is delivered after its lease"
    );

    let mut per_message: HashMap<MessageId, usize> = HashMap::new();
    for n in h.notifier.delivered() {
        *per_message.entry(n.message_id).or_default() += 1;
    }
    assert_eq!(per_message.len(), 300, "every message was delivered");
    assert!(
        per_message.values().all(|n| *n == 1),
        "no message was delivered twice"
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM invite.outbox WHERE state = 'sent'"
        )
        .await,
        300
    );
    for claim in &dead_batch {
        let stored = h.store.message(claim.message.id).await.unwrap().unwrap();
        assert_eq!(
            stored.attempts, 2,
            "claimed by the dead worker, then by another"
        );
    }

    // The dead worker comes back and tries to finish with its old lease: refused.
    let late = &dead_batch[0];
    let mut commit = invite_core::Commit::new(acme.id(), h.now());
    commit
        .outbox_updates
        .push(invite_core::outbox::OutboxUpdate {
            id: late.message.id,
            lease: late.lease.token,
            outcome: invite_core::outbox::OutboxOutcome::Dropped {
                reason: "late".into(),
            },
        });
    match h.store.commit(commit).await {
        Err(invite_core::StoreError::Conflict(invite_core::Conflict::LeaseLost(id))) => {
            assert_eq!(id, late.message.id)
        }
        other => panic!("expected a lost lease, got {other:?}"),
    }
}

// ------------------------------------------------------------------ reminders (R8.2)

/// R8.2: eight sweeps running at once on the same day queue one reminder per eligible
/// invitation, not eight; later sweeps that day queue none; the next day each gets one
/// more.
#[sqlx::test(migrations = false)]
async fn r8_2_eight_concurrent_sweeps_queue_one_reminder_per_invitation_per_day(
    _opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = wide_pool(connect).await;
    let h = Harness::new(migrated(&pool).await);
    let acme = h.standalone(1000).await;
    h.service
        .set_reminders(&acme.admin, acme.id(), true)
        .await
        .expect("admins switch reminders on");
    // Delivered at 09:00 UTC; the reminder time is 10:00 UTC.
    invite_delivered(&h, &acme, &addresses("remind", 300)).await;
    h.advance(TimeDelta::minutes(90));

    let sweep_concurrently = |n: usize| {
        let barrier = Arc::new(Barrier::new(n));
        (0..n)
            .map(|_| {
                let (service, barrier) = (h.service.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    service.sweep_reminders().await.expect("sweeps run")
                })
            })
            .collect::<Vec<_>>()
    };
    let reminders = "SELECT count(*) FROM invite.outbox WHERE kind = 'reminder'";

    let (mut queued, mut skipped) = (0, 0);
    for t in sweep_concurrently(8) {
        let r = t.await.expect("the task ran");
        queued += r.queued;
        skipped += r.already_reminded;
    }
    assert_eq!(queued, 300, "one reminder per invitation");
    assert_eq!(count(&pool, reminders).await, 300);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM invite.audit_events WHERE kind = 'ReminderQueued'"
        )
        .await,
        300,
        "an audit event only with each reminder queued"
    );
    assert!(skipped <= 7 * 300);

    // Again the same day: nothing new.
    h.advance(TimeDelta::hours(3));
    for t in sweep_concurrently(4) {
        assert_eq!(t.await.expect("the task ran").queued, 0);
    }
    assert_eq!(count(&pool, reminders).await, 300);

    // The next day, one more each.
    h.advance(TimeDelta::hours(21));
    let mut queued = 0;
    for t in sweep_concurrently(8) {
        queued += t.await.expect("the task ran").queued;
    }
    assert_eq!(queued, 300);
    assert_eq!(count(&pool, reminders).await, 600);
    let per_day: Vec<i64> = sqlx::query_scalar(
        "SELECT count(*) FROM invite.outbox WHERE kind = 'reminder' GROUP BY invitation_id, reminder_day",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(per_day.iter().all(|n| *n == 1), "never two on one day");
}

/// A seat-checked commit (a signup: organization lock, then the invitation) racing a commit
/// without seat check on the same invitation (an access edit: the invitation, then an audit
/// event whose foreign key points at the organization) never deadlocks: each pair ends with
/// one winner and the other re-deciding, and no call fails with a backend error.
#[sqlx::test(migrations = false)]
async fn r3_4_seat_locks_and_foreign_key_checks_never_deadlock(
    _opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = wide_pool(connect).await;
    let h = Harness::new(migrated(&pool).await);
    let acme = h.standalone(100).await;
    let invited = invite_delivered(&h, &acme, &addresses("race", 32)).await;

    let barrier = Arc::new(Barrier::new(2 * invited.len()));
    let mut tasks = Vec::new();
    for (id, token) in &invited {
        let (service, start, token) = (h.service.clone(), barrier.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            service.sign_up(&token, None).await.map(|_| ())
        }));
        let (service, start, admin, id) =
            (h.service.clone(), barrier.clone(), acme.admin.clone(), *id);
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            service
                .edit_access(&admin, id, Access::user(Role::Admin))
                .await
                .map(|_| ())
        }));
    }
    for t in tasks {
        match t.await.expect("the task ran") {
            // An edit that lost to the signup finds the invitation signed up.
            Ok(()) | Err(Error::Refused(Refusal::ActionNotAllowed { .. })) => {}
            Err(e) => panic!("a race ended in {e:?}"),
        }
    }
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM invite.members WHERE removed_at IS NULL"
        )
        .await,
        32
    );
}
