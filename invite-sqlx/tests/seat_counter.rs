//! The seat counts stay exact (issue 8.5): `organizations.active_members`, the counter the
//! member triggers keep, equals `count(*)` of active members after random sequences of
//! invites, deliveries (some bouncing), signups, direct additions, removals, resends,
//! cancellations, limit and policy switches and time jumps (onto expiry instants too), all
//! through the public service API; and the live reservations the store counts from
//! `invitations_reserving` equal the core's rule, `Invitation::reserves_seat_at(now)`,
//! applied to every invitation. Then the same under concurrency. Each test has its own
//! database; time moves only on the manual clock.

use chrono::TimeDelta;
use invite_core::store::{RecordStore, ViewStore};
use invite_core::testkit::{Harness, TestOrg};
use invite_core::{
    Access, Contact, Error, InvitationId, MemberId, OrgId, Role, Scripted, SeatPolicy, Seats,
};
use invite_sqlx::PgStore;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::sync::Arc;
use tokio::sync::Barrier;
use uuid::Uuid;

/// SplitMix64: a seeded, dependency-free source of the random steps, so a failing seed
/// replays exactly.
struct Steps(u64);

impl Steps {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

async fn migrated(pool: &PgPool) -> PgStore {
    let store = PgStore::new(pool.clone());
    store.migrate().await.expect("the migrations apply");
    store
}

/// A refusal is a legitimate answer to a random step; anything else is a failure.
fn refused_or_done<T>(step: &str, result: Result<T, Error>) {
    if let Err(e) = result {
        assert!(matches!(e, Error::Refused(_)), "{step}: {e:?}");
    }
}

async fn ids_of(pool: &PgPool, sql: &'static str, org: OrgId) -> Vec<Uuid> {
    sqlx::query_scalar(sql)
        .bind(org.0)
        .fetch_all(pool)
        .await
        .expect("the ids are readable")
}

/// The counter against `count(*)`, the store's reservation count against the core's rule,
/// and `Store::seats` against both.
async fn assert_seat_counts_exact(h: &Harness<PgStore>, pool: &PgPool, org: OrgId, at: &str) {
    let now = h.now();
    let counter: i64 =
        sqlx::query_scalar("SELECT active_members FROM invite.organizations WHERE id = $1")
            .bind(org.0)
            .fetch_one(pool)
            .await
            .unwrap();
    let counted: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM invite.members WHERE org_id = $1 AND removed_at IS NULL",
    )
    .bind(org.0)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(counter, counted, "{at}: the member counter drifted");

    let mut live = 0i64;
    for id in ids_of(
        pool,
        "SELECT id FROM invite.invitations WHERE org_id = $1",
        org,
    )
    .await
    {
        if h.invitation(InvitationId(id)).await.reserves_seat_at(now) {
            live += 1;
        }
    }
    let reserved_sql = h
        .store
        .statements()
        .into_iter()
        .find(|(name, _)| *name == "RESERVED_SEATS")
        .map(|(_, sql)| sql.to_owned())
        .expect("the statement exists");
    let reserved: i64 = sqlx::query_scalar(&reserved_sql)
        .bind(org.0)
        .bind(now)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(
        reserved, live,
        "{at}: reservations differ from reserves_seat_at"
    );

    let organization = h.organization(org).await;
    let used = match organization.settings.seat_policy {
        SeatPolicy::ClaimOnSignup => counted,
        SeatPolicy::ReserveOnInvite => counted + live,
    };
    let expected = Seats::new(organization.settings.seat_limit, used as u32);
    assert_eq!(h.store.seats(org, now).await.unwrap(), expected, "{at}");
    let dashboard = h.store.dashboard(org, now).await.unwrap().unwrap();
    assert_eq!(dashboard.seats, expected, "{at}: dashboard");
}

/// The link tokens delivered so far for `invitation`, newest first.
fn tokens_of(h: &Harness<PgStore>, invitation: InvitationId) -> Vec<String> {
    h.notifier
        .delivered()
        .iter()
        .rev()
        .filter(|n| n.invitation == invitation)
        .filter_map(|n| n.signup_url.as_ref())
        .filter_map(|u| u.expose().rsplit_once("token=").map(|(_, t)| t.to_owned()))
        .collect()
}

const ADDRESSES: usize = 10;

fn address(n: usize) -> String {
    format!("person{n}@example.com")
}

/// One random step in `org` (of `orgs`, for cross-organization effects).
async fn step(h: &Harness<PgStore>, pool: &PgPool, org: &TestOrg, steps: &mut Steps) -> String {
    let access = Access::user(Role::ReadOnly);
    match steps.below(11) {
        0 | 1 => {
            let a = address(steps.below(ADDRESSES));
            let contact = Contact::parse_email(&a).unwrap();
            let r = h
                .service
                .invite(
                    &org.admin,
                    org.id(),
                    contact,
                    invite_core::Channel::Email,
                    access,
                )
                .await;
            refused_or_done("invite", r);
            format!("invite {a}")
        }
        2 => {
            if steps.below(3) == 0 {
                let a = address(steps.below(ADDRESSES));
                h.notifier.script(&a, &[Scripted::Permanent]);
            }
            h.deliver().await;
            "deliver".into()
        }
        3 | 4 => {
            let sql = "SELECT id FROM invite.invitations WHERE org_id = $1 ORDER BY id";
            let ids = ids_of(pool, sql, org.id()).await;
            if ids.is_empty() {
                return "signup (none)".into();
            }
            let id = InvitationId(ids[steps.below(ids.len())]);
            match tokens_of(h, id).first() {
                Some(token) => {
                    refused_or_done("signup", h.service.sign_up(token, None).await);
                    format!("signup {id}")
                }
                None => "signup (no link)".into(),
            }
        }
        5 => {
            let sql = "SELECT id FROM invite.members WHERE org_id = $1 ORDER BY id";
            let ids = ids_of(pool, sql, org.id()).await;
            if ids.is_empty() {
                return "remove (none)".into();
            }
            let id = MemberId(ids[steps.below(ids.len())]);
            refused_or_done("remove", h.service.remove_member(&org.admin, id).await);
            format!("remove {id}")
        }
        6 => {
            let a = format!("direct{}@example.com", steps.below(4));
            let contact = Contact::parse_email(&a).unwrap();
            let r = h
                .service
                .add_member(&h.operator, org.id(), contact, None, access)
                .await;
            refused_or_done("add member", r);
            format!("add member {a}")
        }
        7 => {
            let sql = "SELECT id FROM invite.invitations WHERE org_id = $1 ORDER BY id";
            let ids = ids_of(pool, sql, org.id()).await;
            if ids.is_empty() {
                return "resend or cancel (none)".into();
            }
            let id = InvitationId(ids[steps.below(ids.len())]);
            match steps.below(2) {
                0 => refused_or_done("resend", h.service.resend(&org.admin, id).await),
                _ => refused_or_done("cancel", h.service.cancel(&org.admin, id).await),
            }
            format!("resend or cancel {id}")
        }
        8 => {
            let policy = match steps.below(2) {
                0 => SeatPolicy::ClaimOnSignup,
                _ => SeatPolicy::ReserveOnInvite,
            };
            let limit = steps.below(9) as u32;
            let r = h.service.change_seat_policy(&h.operator, org.id(), policy);
            refused_or_done("policy", r.await);
            let r = h.service.change_seat_limit(&h.operator, org.id(), limit);
            refused_or_done("limit", r.await);
            format!("policy {policy:?}, limit {limit}")
        }
        9 => {
            let hours = [1, 24, 71, 72, 73, 200][steps.below(6)];
            h.advance(TimeDelta::hours(hours));
            format!("advance {hours} h")
        }
        _ => {
            // Onto an expiry instant exactly, where `reserves_seat_at` turns false.
            let expiries: Vec<chrono::DateTime<chrono::Utc>> = sqlx::query_scalar(
                "SELECT expires_at FROM invite.invitations \
                 WHERE org_id = $1 AND expires_at > $2 ORDER BY expires_at",
            )
            .bind(org.id().0)
            .bind(h.now())
            .fetch_all(pool)
            .await
            .unwrap();
            match expiries.first() {
                Some(at) => {
                    h.set_time(*at);
                    format!("to the expiry {at}")
                }
                None => "to an expiry (none)".into(),
            }
        }
    }
}

/// R3.1, R3.5: after every step of random sequences, in two organizations at once, the
/// counter equals `count(*)` and the reservations equal the core's rule.
#[sqlx::test(migrations = false)]
async fn r3_1_r3_5_seat_counts_stay_exact_through_random_sequences(pool: PgPool) {
    let h = Harness::new(migrated(&pool).await);
    for seed in [1u64, 7, 42, 2026] {
        let mut steps = Steps(seed);
        let orgs = [h.standalone(5).await, h.standalone(3).await];
        for n in 0..70 {
            let org = &orgs[steps.below(2)];
            let what = step(&h, &pool, org, &mut steps).await;
            for o in &orgs {
                let at = format!("seed {seed}, step {n} ({what}), org {}", o.id());
                assert_seat_counts_exact(&h, &pool, o.id(), &at).await;
            }
        }
    }
}

/// R3.4, R3.6: signups and removals racing in one organization leave the counter equal to
/// `count(*)`, and never more members than the limit.
#[sqlx::test(migrations = false)]
async fn r3_4_the_counter_stays_exact_under_concurrent_signups_and_removals(
    _opts: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .connect_with(connect)
        .await
        .unwrap();
    let h = Harness::new(migrated(&pool).await);
    let org = h.standalone(12).await;
    let mut members = Vec::new();
    for n in 0..8 {
        let contact = Contact::parse_email(&format!("early{n}@example.com")).unwrap();
        let access = Access::user(Role::ReadOnly);
        let m = h
            .service
            .add_member(&h.operator, org.id(), contact, None, access);
        members.push(m.await.unwrap().id);
    }
    let mut tokens = Vec::new();
    for n in 0..12 {
        let (inv, token) = h
            .invite_delivered(&org, &format!("late{n}@example.com"))
            .await;
        tokens.push((inv.id, token));
    }
    let barrier = Arc::new(Barrier::new(members.len() + tokens.len()));
    let mut tasks = Vec::new();
    for id in members {
        let (service, barrier, admin) = (h.service.clone(), barrier.clone(), org.admin.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            service.remove_member(&admin, id).await.map(|_| ())
        }));
    }
    for (_, token) in tokens {
        let (service, barrier) = (h.service.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            service.sign_up(&token, None).await.map(|_| ())
        }));
    }
    for t in tasks {
        refused_or_done("race", t.await.unwrap());
    }
    assert_seat_counts_exact(&h, &pool, org.id(), "after the race").await;
    let seats = h.store.seats(org.id(), h.now()).await.unwrap();
    assert!(seats.used <= 12, "{seats:?}");
}
