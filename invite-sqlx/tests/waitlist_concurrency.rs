//! The seat waitlist under concurrency on a real PostgreSQL server (issue 11): many seats free
//! at once while many movers race, and signups race the movers, and the members never exceed
//! the limit, each waiting invitee is moved at most once, and the waitlist moves exactly as
//! far as the seats allow. Tasks start together at a barrier; time moves only on the manual
//! clock; each test has its own database, migrated by `PgStore::migrate`.

#[path = "support/pools.rs"]
mod pools;

use invite_core::store::{RecordStore, ViewStore};
use invite_core::testkit::{Harness, TestOrg};
use invite_core::{
    Access, Contact, InviteOptions, Member, OrgSettings, Role, SeatPolicy, WaitlistMove,
};
use invite_sqlx::PgStore;
use pools::{migrated, wide_pool};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::Barrier;

const LIMIT: u32 = 20;
const WAITING: usize = 60;
const FREED: usize = 12;
const MOVERS: usize = 16;

async fn active_members(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM invite.members WHERE removed_at IS NULL")
        .fetch_one(pool)
        .await
        .expect("the count runs")
}

/// An organization of `LIMIT` seats, all taken by members, with `WAITING` invitees on its
/// waitlist (their invites refused for want of a seat).
async fn full_with_waitlist(h: &Harness<PgStore>, policy: SeatPolicy) -> (TestOrg, Vec<Member>) {
    let settings = OrgSettings {
        seat_policy: policy,
        ..OrgSettings::with_seats(LIMIT)
    };
    let org = h.org_with("Full", settings).await;
    let mut members = Vec::new();
    for i in 0..LIMIT {
        let contact = Contact::parse_email(&format!("member{i:03}@example.com")).unwrap();
        let m = h
            .service
            .add_member(
                &org.admin,
                org.id(),
                contact,
                None,
                Access::user(Role::ReadOnly),
            )
            .await
            .expect("a member is added");
        members.push(m);
    }
    let addresses: Vec<String> = (0..WAITING)
        .map(|i| format!("waiting{i:03}@example.com"))
        .collect();
    let refs: Vec<&str> = addresses.iter().map(String::as_str).collect();
    let options = InviteOptions {
        waitlist: true,
        ..InviteOptions::default()
    };
    let answer = h
        .service
        .invite_many_with(
            &org.admin,
            org.id(),
            &refs,
            Access::user(Role::ReadOnly),
            &options,
        )
        .await
        .expect("the invite runs");
    assert_eq!(answer.waitlisted.len(), WAITING);
    (org, members)
}

/// Removes `FREED` members and runs `MOVERS` moves of the waitlist, all at once; answers the
/// moves made.
async fn free_and_move_at_once(
    h: &Harness<PgStore>,
    org: &TestOrg,
    freed: &[Member],
) -> Vec<WaitlistMove> {
    let barrier = Arc::new(Barrier::new(freed.len() + MOVERS));
    let mut removals = Vec::new();
    for m in freed {
        let (service, barrier, admin, id) =
            (h.service.clone(), barrier.clone(), org.admin.clone(), m.id);
        removals.push(tokio::spawn(async move {
            barrier.wait().await;
            service.remove_member(&admin, id).await
        }));
    }
    let mut movers = Vec::new();
    for _ in 0..MOVERS {
        let (service, barrier, id) = (h.service.clone(), barrier.clone(), org.id());
        movers.push(tokio::spawn(async move {
            barrier.wait().await;
            service.advance_waitlist(id).await
        }));
    }
    for r in removals {
        r.await
            .expect("the task ran")
            .expect("the member is removed");
    }
    let mut moves = Vec::new();
    for m in movers {
        moves.extend(m.await.expect("the task ran").expect("the move commits"));
    }
    moves
}

/// Issue 11 with R3.4 and R3.5: 12 of 20 seats free while 16 movers race for a waitlist of
/// 60, then the 12 invitees moved sign up while 16 more movers race them. Under both seat
/// policies: no entry moves twice, the waitlist moves exactly the 12 freed seats' worth, and
/// the members never exceed the limit.
#[sqlx::test(migrations = false)]
async fn many_movers_and_signups_racing_for_freed_seats_never_overfill(
    _opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = wide_pool(connect).await;
    let h = Harness::new(migrated(&pool).await);
    for policy in [SeatPolicy::ClaimOnSignup, SeatPolicy::ReserveOnInvite] {
        let (org, members) = full_with_waitlist(&h, policy).await;
        let mut moves = free_and_move_at_once(&h, &org, &members[..FREED]).await;
        // The movers that decided before a seat was free moved less: one more catches up.
        moves.extend(h.service.advance_waitlist(org.id()).await.unwrap());
        let entries: Vec<_> = moves
            .iter()
            .filter_map(|m| match m {
                WaitlistMove::Invited { entry, .. }
                | WaitlistMove::Resent { entry, .. }
                | WaitlistMove::Dropped { entry, .. } => Some(*entry),
                // `WaitlistMove` is non-exhaustive: a kind added later is not one this test
                // made.
                _ => None,
            })
            .collect();
        let unique: HashSet<_> = entries.iter().collect();
        assert_eq!(unique.len(), entries.len(), "no entry moves twice");
        assert_eq!(moves.iter().filter(|m| m.takes_seat()).count(), FREED);
        let left = h.store.waitlist(org.id(), None, 500).await.unwrap();
        assert_eq!(left.len(), WAITING - FREED);

        // The moved invitees sign up while movers race them: the waitlist moves no further.
        h.deliver().await;
        let tokens: Vec<String> = moves
            .iter()
            .filter_map(|m| match m {
                WaitlistMove::Invited { invitation, .. } => Some(h.token_of(*invitation)),
                _ => None,
            })
            .collect();
        let barrier = Arc::new(Barrier::new(tokens.len() + MOVERS));
        let mut tasks = Vec::new();
        for token in tokens {
            let (service, barrier) = (h.service.clone(), barrier.clone());
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                service.sign_up(&token, None).await.map(|_| Vec::new())
            }));
        }
        for _ in 0..MOVERS {
            let (service, barrier, id) = (h.service.clone(), barrier.clone(), org.id());
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                service.advance_waitlist(id).await
            }));
        }
        let mut late = Vec::new();
        for t in tasks {
            late.extend(
                t.await
                    .expect("the task ran")
                    .expect("signups and moves commit"),
            );
        }
        assert!(late.is_empty(), "no seat was free for the waitlist");
        let seats = h.store.seats(org.id(), h.now()).await.unwrap();
        assert_eq!((seats.used, seats.available), (LIMIT, 0));
        let dashboard = h.store.dashboard(org.id(), h.now()).await.unwrap().unwrap();
        assert_eq!(dashboard.waitlist, (WAITING - FREED) as u64);
        assert!(h.store.organization(org.id()).await.unwrap().is_some());
    }
    assert_eq!(active_members(&pool).await, 2 * i64::from(LIMIT));
}
