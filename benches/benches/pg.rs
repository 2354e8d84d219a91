//! PostgreSQL benches of invite-sqlx, each beside a hand-written baseline on the same server
//! in the same run; the ratios are quoted in invite-sqlx's closing note of issue 3:
//!
//! - `pg_bulk_invite_10k`: `InvitationService::invite_many` of 10,000 new addresses on a
//!   `PgStore` (reads, organization lock, invitations, outbox messages and audit events in
//!   one commit), vs one hand-written multi-row `INSERT` of the same invitation rows, and vs
//!   hand-written `INSERT`s of every row the invite writes (invitations, messages, audit).
//! - `pg_dashboard_1m`: `Store::dashboard` of one organization (100,000 invitations) among
//!   1,000,000, vs a hand-written `GROUP BY` over the same rows.
//! - `pg_signups_200_for_50_seats`: 200 concurrent `InvitationService::sign_up`s for 50
//!   seats, vs 200 concurrent bare conditional `UPDATE`s of a seat counter.
//!
//! Needs `DATABASE_URL` (a server where it may create the databases `invite_bench` and
//! `invite_bench_bulk`); without it the benches print a note and do nothing. The
//! million-row fixture is built once and kept in `invite_bench` for later runs (about a
//! minute the first time); the bulk database is emptied (untimed) before every bulk insert,
//! library and baseline alike.

use chrono::{DateTime, Utc};
use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_main};
use invite_core::{
    Access, Actor, Channel, Contact, Dispatcher, DispatcherConfig, InvitationService, ManualClock,
    MemberId, OrgId, OrgKind, OrgSettings, RecordingNotifier, Refusal, Role, SeatPolicy,
    ServiceConfig, ViewStore,
};
use invite_sqlx::PgStore;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Executor, PgPool};
use std::hint::black_box;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use uuid::Uuid;

/// The million-row fixture and the signup races.
const BENCH_DATABASE: &str = "invite_bench";
/// The bulk invites, emptied before each one so every run inserts into the same state.
const BULK_DATABASE: &str = "invite_bench_bulk";
const SIGNUP_URL_BASE: &str = "https://bench.example.com/signup?token=";

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A pool on database `name` of the `DATABASE_URL` server, created and migrated on first
/// use; `None` without `DATABASE_URL`.
fn bench_pool(rt: &Runtime, name: &str) -> Option<PgPool> {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        eprintln!("DATABASE_URL is not set: skipping the PostgreSQL benches");
        return None;
    };
    rt.block_on(async {
        let admin = PgConnectOptions::from_str(&url).expect("a valid DATABASE_URL");
        let mut conn = admin
            .connect()
            .await
            .expect("the server accepts connections");
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(name)
                .fetch_one(&mut conn)
                .await
                .expect("the catalog answers");
        if !exists {
            let create = match name {
                BENCH_DATABASE => "CREATE DATABASE invite_bench",
                _ => "CREATE DATABASE invite_bench_bulk",
            };
            conn.execute(create)
                .await
                .expect("the bench database is created");
        }
        let pool = PgPoolOptions::new()
            .max_connections(32)
            .connect_with(admin.database(name))
            .await
            .expect("the bench database accepts connections");
        PgStore::new(pool.clone())
            .migrate()
            .await
            .expect("the migrations apply");
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS bench_seat_counter \
             (org uuid PRIMARY KEY, seat_limit int NOT NULL, used int NOT NULL)",
        )
        .execute(&pool)
        .await
        .expect("the baseline's table exists");
        Some(pool)
    })
}

fn bench_now() -> DateTime<Utc> {
    "2026-03-02T12:00:00Z".parse().expect("a valid instant")
}

fn operator() -> Actor {
    Actor::Operator { id: "bench".into() }
}

/// A service on `pool` at `now`, taking bulk invites of up to 10,000 addresses.
fn service(
    pool: &PgPool,
    clock: Arc<ManualClock>,
) -> Arc<InvitationService<PgStore, Arc<ManualClock>>> {
    let config = ServiceConfig {
        max_bulk: 10_000,
        ..ServiceConfig::default()
    };
    Arc::new(InvitationService::with_config(
        PgStore::new(pool.clone()),
        clock,
        config,
    ))
}

// ------------------------------------------------------------------ bulk invite

/// The hand-written insert of the invitation rows: one statement, one array per column.
const BASELINE_INSERT_INVITATIONS: &str = "\
    INSERT INTO invite.invitations (id, org_id, channel, address_key, email_key, contact, access, \
        sender, created_at, last_invited_at, send_count, awaiting_delivery, link_generation, \
        version) \
    SELECT id, $2, 'email', key, key, \
        jsonb_build_object('email', jsonb_build_object('display', key, 'key', key), \
            'phone', NULL), \
        '{\"invitation_type\":\"User\",\"scope\":{\"Role\":\"ReadOnly\"}}'::jsonb, \
        '{\"user\":\"bench\",\"name\":\"Bench Admin\"}'::jsonb, $3, $3, 0, true, 1, 0 \
    FROM UNNEST($1::uuid[], $4::text[]) AS u(id, key)";

const BASELINE_INSERT_MESSAGES: &str = "\
    INSERT INTO invite.outbox (id, org_id, invitation_id, kind, link_generation, created_at, due_at, \
        attempts, state) \
    SELECT gen_random_uuid(), $2, id, 'invitation', 1, $3, $3, 0, 'pending' \
    FROM UNNEST($1::uuid[]) AS u(id)";

const BASELINE_INSERT_AUDIT: &str = "\
    INSERT INTO invite.audit_events (id, org_id, invitation_id, at, kind, action, actor, after_status) \
    SELECT gen_random_uuid(), $2, id, $3, 'Invited', '\"Invited\"'::jsonb, \
        jsonb_build_object('OrgUser', jsonb_build_object('user', 'bench', 'org', $2, \
            'role', 'Admin', 'name', 'Bench')), \
        'queued' \
    FROM UNNEST($1::uuid[]) AS u(id)";

/// Empties the bulk database's tables but the organizations (not timed).
const BULK_RESET: &str = "TRUNCATE invite.invitations, invite.members, invite.links, invite.outbox, \
     invite.reminder_marks, invite.audit_events";

fn bulk_invite(c: &mut Criterion, rt: &Runtime, pool: &PgPool) {
    const N: usize = 10_000;
    let clock = Arc::new(ManualClock::new(bench_now()));
    let service = service(pool, clock.clone());
    let org = rt
        .block_on(service.create_organization(
            &operator(),
            "Bulk",
            OrgKind::Standalone,
            // As many seats as an organization may have (R1.2's bound): never the limit here.
            OrgSettings::with_seats(invite_core::bounds::MAX_SEAT_LIMIT),
        ))
        .expect("the organization is created");
    let admin = Actor::admin(org.id, "bench", "Bench Admin");
    let batch = Arc::new(AtomicUsize::new(0));
    let addresses = move || {
        let b = batch.fetch_add(1, Ordering::Relaxed);
        let run = Uuid::new_v4().simple().to_string();
        (0..N)
            .map(|i| format!("b{b}-{i}-{}@example.com", &run[..8]))
            .collect::<Vec<String>>()
    };

    let mut group = c.benchmark_group("pg_bulk_invite_10k");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    group.bench_function("invite_sqlx", |b| {
        b.to_async(rt).iter_custom(|iters| {
            let (service, admin, addresses) = (service.clone(), admin.clone(), addresses.clone());
            let pool = pool.clone();
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let batch = addresses();
                    let refs: Vec<&str> = batch.iter().map(String::as_str).collect();
                    reset(&pool).await;
                    let started = Instant::now();
                    let outcomes = service
                        .invite_many(&admin, org.id, &refs, Access::user(Role::ReadOnly))
                        .await
                        .expect("the bulk invite runs");
                    total += started.elapsed();
                    assert!(outcomes.iter().all(|o| o.result.is_ok()));
                    black_box(outcomes);
                }
                total
            }
        })
    });
    let hand_written = |all_rows: bool| {
        let (pool, addresses) = (pool.clone(), addresses.clone());
        move |iters: u64| {
            let (pool, addresses) = (pool.clone(), addresses.clone());
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let keys = addresses();
                    reset(&pool).await;
                    let started = Instant::now();
                    let ids: Vec<Uuid> = (0..keys.len()).map(|_| Uuid::new_v4()).collect();
                    let mut tx = pool.begin().await.expect("a transaction");
                    sqlx::query(BASELINE_INSERT_INVITATIONS)
                        .bind(&ids)
                        .bind(org.id.0)
                        .bind(bench_now())
                        .bind(&keys)
                        .execute(&mut *tx)
                        .await
                        .expect("the insert runs");
                    if all_rows {
                        for sql in [BASELINE_INSERT_MESSAGES, BASELINE_INSERT_AUDIT] {
                            sqlx::query(sql)
                                .bind(&ids)
                                .bind(org.id.0)
                                .bind(bench_now())
                                .execute(&mut *tx)
                                .await
                                .expect("the insert runs");
                        }
                    }
                    tx.commit().await.expect("the commit runs");
                    total += started.elapsed();
                }
                total
            }
        }
    };
    group.bench_function("baseline_insert_invitations", |b| {
        b.to_async(rt).iter_custom(hand_written(false))
    });
    group.bench_function("baseline_insert_all_rows", |b| {
        b.to_async(rt).iter_custom(hand_written(true))
    });
    group.finish();
}

async fn reset(pool: &PgPool) {
    pool.execute(BULK_RESET)
        .await
        .expect("the bulk tables empty");
}

// ------------------------------------------------------------------ dashboard

/// 100 organizations; organization 1 holds every tenth of the million invitations (as in
/// `invite-sqlx/tests/explain.rs`): 20% queued, 30% pending, 15% expired, 5% failed, 10%
/// never used, 15% completed, 5% cancelled.
const FIXTURE_ORGANIZATIONS: &str = "\
    INSERT INTO invite.organizations (id, name, kind, msp_id, seat_limit, seat_policy, \
        reminders_enabled, settings, version) \
    SELECT md5('org' || n)::uuid, 'Org ' || n, 'standalone', NULL, 1000000, \
        'claim_on_signup', false, $1::jsonb, 0 \
    FROM generate_series(1, 100) n \
    ON CONFLICT DO NOTHING";

const FIXTURE_INVITATIONS: &str = "\
    INSERT INTO invite.invitations (id, org_id, channel, address_key, email_key, contact, access, \
        sender, created_at, last_invited_at, send_count, last_sent_at, expires_at, \
        awaiting_delivery, link_generation, failure, signed_up_at, completed_at, completed_by, \
        closed_at, close_reason, version) \
    SELECT md5('inv' || n)::uuid, \
        md5('org' || CASE WHEN n % 10 = 0 THEN 1 ELSE 2 + n % 99 END)::uuid, \
        'email', 'user' || n || '@example.com', 'user' || n || '@example.com', \
        jsonb_build_object('email', jsonb_build_object('display', 'user' || n || '@example.com', \
            'key', 'user' || n || '@example.com'), 'phone', NULL), \
        '{\"invitation_type\":\"User\",\"scope\":{\"Role\":\"ReadOnly\"}}'::jsonb, \
        '{\"user\":\"admin\",\"name\":\"Ann Admin\"}'::jsonb, \
        s.invited, s.invited, \
        CASE WHEN s.b < 4 THEN 0 ELSE 1 END, \
        CASE WHEN s.b < 4 THEN NULL ELSE s.invited + interval '1 minute' END, \
        CASE WHEN s.b < 4 THEN NULL ELSE s.invited + interval '72 hours 1 minute' END, \
        s.b < 4, 1, \
        CASE WHEN s.b = 13 THEN '\"SeatsExhausted\"'::jsonb END, \
        CASE WHEN s.b BETWEEN 14 AND 18 THEN s.invited + interval '2 hours' END, \
        CASE WHEN s.b BETWEEN 16 AND 18 THEN s.invited + interval '3 hours' END, \
        CASE WHEN s.b BETWEEN 16 AND 18 THEN 'first_login' END, \
        CASE WHEN s.b = 19 THEN s.invited + interval '1 hour' END, \
        CASE WHEN s.b = 19 THEN '\"CancelledByAdmin\"'::jsonb END, \
        0 \
    FROM generate_series(1, 1000000) n \
    CROSS JOIN LATERAL (SELECT (n / 10) % 20 AS b, \
        $1::timestamptz - CASE \
            WHEN (n / 10) % 20 BETWEEN 4 AND 9 THEN ((n % 4000) || ' seconds')::interval \
            ELSE ((n % 5000000) || ' seconds')::interval + interval '100 hours' END AS invited) s";

/// The hand-written dashboard: one `GROUP BY` of the organization's listed invitations by
/// status and channel.
const BASELINE_DASHBOARD: &str = "\
    SELECT CASE \
            WHEN signed_up_at IS NOT NULL THEN \
                CASE WHEN completed_at IS NOT NULL THEN 'completed' ELSE 'never_used' END \
            WHEN failed THEN 'failed' \
            WHEN awaiting_delivery THEN 'queued' \
            WHEN expires_at <= $2 THEN 'expired' \
            ELSE 'pending' END AS status, \
        channel, count(*) \
    FROM invite.invitations WHERE org_id = $1 AND closed_at IS NULL \
    GROUP BY 1, 2";

async fn million_row_fixture(pool: &PgPool) -> OrgId {
    let org: Uuid = sqlx::query_scalar("SELECT md5('org1')::uuid")
        .fetch_one(pool)
        .await
        .expect("a constant");
    let filled: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM invite.invitations WHERE id = md5('inv1000000')::uuid)",
    )
    .fetch_one(pool)
    .await
    .expect("the check runs");
    if !filled {
        eprintln!("building the million-invitation fixture (once)...");
        let started = Instant::now();
        let settings =
            serde_json::to_value(OrgSettings::with_seats(1_000_000)).expect("settings serialize");
        let mut tx = pool.begin().await.expect("a transaction");
        sqlx::query(FIXTURE_ORGANIZATIONS)
            .bind(settings)
            .execute(&mut *tx)
            .await
            .expect("the organizations are inserted");
        sqlx::query(FIXTURE_INVITATIONS)
            .bind(bench_now())
            .execute(&mut *tx)
            .await
            .expect("the invitations are inserted");
        tx.commit().await.expect("the fixture commits");
        pool.execute("VACUUM ANALYZE").await.expect("vacuum runs");
        eprintln!("fixture built in {:?}", started.elapsed());
    }
    OrgId(org)
}

fn dashboard(c: &mut Criterion, rt: &Runtime, pool: &PgPool) {
    let org = rt.block_on(million_row_fixture(pool));
    let store = PgStore::new(pool.clone());
    let now = bench_now();

    // Both sides give the same figures.
    let d = rt
        .block_on(store.dashboard(org, now))
        .expect("the dashboard runs")
        .expect("the organization exists");
    let rows: Vec<(String, String, i64)> = rt
        .block_on(
            sqlx::query_as(BASELINE_DASHBOARD)
                .bind(org.0)
                .bind(now)
                .fetch_all(pool),
        )
        .expect("the baseline runs");
    let of = |status: &[&str]| -> u64 {
        rows.iter()
            .filter(|(s, _, _)| status.contains(&s.as_str()))
            .map(|(_, _, n)| *n as u64)
            .sum()
    };
    assert_eq!(d.counts.pending, of(&["queued", "pending"]));
    assert_eq!(d.counts.expired_or_failed, of(&["expired", "failed"]));
    assert_eq!(d.counts.never_used, of(&["never_used"]));
    assert_eq!(d.counts.completed, of(&["completed"]));

    let mut group = c.benchmark_group("pg_dashboard_1m");
    group.sample_size(30);
    group.bench_function("invite_sqlx", |b| {
        b.to_async(rt).iter(|| async {
            black_box(store.dashboard(org, now).await.expect("the dashboard runs"))
        })
    });
    group.bench_function("baseline_group_by", |b| {
        b.to_async(rt).iter(|| async {
            let rows: Vec<(String, String, i64)> = sqlx::query_as(BASELINE_DASHBOARD)
                .bind(org.0)
                .bind(now)
                .fetch_all(pool)
                .await
                .expect("the baseline runs");
            black_box(rows)
        })
    });
    group.finish();
}

// ------------------------------------------------------------------ concurrent signups

const BASELINE_NEW_COUNTER: &str =
    "INSERT INTO bench_seat_counter (org, seat_limit, used) VALUES ($1, $2, 0)";

/// The bare seat claim: a conditional increment, one statement.
const BASELINE_CLAIM_SEAT: &str =
    "UPDATE bench_seat_counter SET used = used + 1 WHERE org = $1 AND used < seat_limit";

/// An organization with `seats` seats and `n` delivered invitations; answers their tokens.
async fn delivered_invitations(
    pool: &PgPool,
    seats: u32,
    n: usize,
) -> (Vec<String>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(bench_now()));
    let service = service(pool, clock.clone());
    let org = service
        .create_organization(
            &operator(),
            "Signups",
            OrgKind::Standalone,
            OrgSettings::with_seats(seats),
        )
        .await
        .expect("the organization is created");
    let admin = Actor::admin(org.id, "bench", "Bench Admin");
    let run = Uuid::new_v4().simple().to_string();
    let addresses: Vec<String> = (0..n)
        .map(|i| format!("s{i}-{}@example.com", &run[..8]))
        .collect();
    let refs: Vec<&str> = addresses.iter().map(String::as_str).collect();
    service
        .invite_many(&admin, org.id, &refs, Access::user(Role::ReadOnly))
        .await
        .expect("the invites run");
    let notifier = Arc::new(RecordingNotifier::new());
    let dispatcher = Dispatcher::new(
        PgStore::new(pool.clone()),
        notifier.clone(),
        clock.clone(),
        DispatcherConfig::new(SIGNUP_URL_BASE),
    );
    dispatcher
        .drain()
        .await
        .expect("the invitations are delivered");
    let tokens = notifier
        .delivered()
        .iter()
        .filter_map(|n| n.signup_url.as_ref())
        .map(|u| {
            u.expose()
                .strip_prefix(SIGNUP_URL_BASE)
                .expect("the bench's base")
                .to_owned()
        })
        .collect();
    (tokens, clock)
}

fn signups(c: &mut Criterion, rt: &Runtime, pool: &PgPool) {
    const SEATS: u32 = 50;
    const SIGNUPS: usize = 200;
    let mut group = c.benchmark_group("pg_signups_200_for_50_seats");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    group.bench_function("invite_sqlx", |b| {
        b.to_async(rt).iter_custom(|iters| {
            let pool = pool.clone();
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let (tokens, clock) = delivered_invitations(&pool, SEATS, SIGNUPS).await;
                    assert_eq!(tokens.len(), SIGNUPS);
                    let service = service(&pool, clock);
                    let started = Instant::now();
                    let tasks: Vec<_> = tokens
                        .into_iter()
                        .map(|token| {
                            let service = service.clone();
                            tokio::spawn(async move { service.sign_up(&token, None).await })
                        })
                        .collect();
                    let mut members = 0;
                    for t in tasks {
                        match t.await.expect("the task ran") {
                            Ok(_) => members += 1,
                            Err(e) => assert_eq!(e.refusal(), Some(&Refusal::SeatsExhausted)),
                        }
                    }
                    total += started.elapsed();
                    assert_eq!(members, SEATS);
                }
                total
            }
        })
    });
    group.bench_function("baseline_conditional_update", |b| {
        b.to_async(rt).iter_custom(|iters| {
            let pool = pool.clone();
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let org = Uuid::new_v4();
                    sqlx::query(BASELINE_NEW_COUNTER)
                        .bind(org)
                        .bind(SEATS as i32)
                        .execute(&pool)
                        .await
                        .expect("the counter is created");
                    let started = Instant::now();
                    let tasks: Vec<_> = (0..SIGNUPS)
                        .map(|_| {
                            let pool = pool.clone();
                            tokio::spawn(async move {
                                sqlx::query(BASELINE_CLAIM_SEAT)
                                    .bind(org)
                                    .execute(&pool)
                                    .await
                                    .expect("the claim runs")
                                    .rows_affected()
                            })
                        })
                        .collect();
                    let mut claimed = 0;
                    for t in tasks {
                        claimed += t.await.expect("the task ran");
                    }
                    total += started.elapsed();
                    assert_eq!(claimed, u64::from(SEATS));
                }
                total
            }
        })
    });
    group.finish();
}

// ------------------------------------------------------------------ seats by organization size

/// Recreated at every run, so both organizations start from the same state.
const SEATS_DATABASE: &str = "invite_bench_seats";
/// The organization sizes compared (issue 8.5): the seat check must not grow with members.
const ORG_SIZES: [u32; 2] = [10, 100_000];

/// `$4` active members of organization `$1`, joined at `$2`, without invitations (the
/// fixture; not timed). Addresses carry `$3` so that no invitation of the benches matches.
const FIXTURE_MEMBERS: &str = "\
    INSERT INTO invite.members (id, org_id, email_key, phone, contact, user_ref, access, \
        invitation_id, joined_at, removed_at, version) \
    SELECT gen_random_uuid(), $1, k.key, NULL, \
        jsonb_build_object('email', jsonb_build_object('display', k.key, 'key', k.key), \
            'phone', NULL), \
        NULL, '{\"invitation_type\":\"User\",\"scope\":{\"Role\":\"ReadOnly\"}}'::jsonb, NULL, \
        $2, NULL, 0 \
    FROM (SELECT 'member' || n || '@' || $3 || '.example.com' AS key \
          FROM generate_series(1, $4::int) n) k";

/// A fresh, migrated `invite_bench_seats` database; `None` without `DATABASE_URL`.
fn fresh_pool(rt: &Runtime, name: &str) -> Option<PgPool> {
    let url = std::env::var("DATABASE_URL").ok()?;
    rt.block_on(async {
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
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect_with(admin.database(name))
            .await
            .expect("the bench database accepts connections");
        PgStore::new(pool.clone())
            .migrate()
            .await
            .expect("the migrations apply");
        Some(pool)
    })
}

/// One organization of the comparison: `members` active members, seats to spare.
struct SizedOrg {
    id: OrgId,
    admin: Actor,
    members: u32,
    policy: SeatPolicy,
}

async fn sized_org(
    pool: &PgPool,
    service: &InvitationService<PgStore, Arc<ManualClock>>,
    members: u32,
    policy: SeatPolicy,
) -> SizedOrg {
    let mut settings = OrgSettings::with_seats(10_000_000);
    settings.seat_policy = policy;
    let org = service
        .create_organization(&operator(), "Sized", OrgKind::Standalone, settings)
        .await
        .expect("the organization is created");
    let tag = Uuid::new_v4().simple().to_string();
    sqlx::query(FIXTURE_MEMBERS)
        .bind(org.id.0)
        .bind(bench_now())
        .bind(&tag[..12])
        .bind(members as i32)
        .execute(pool)
        .await
        .expect("the members are inserted");
    SizedOrg {
        id: org.id,
        admin: Actor::admin(org.id, "bench", "Bench Admin"),
        members,
        policy,
    }
}

fn policy_name(p: SeatPolicy) -> &'static str {
    match p {
        SeatPolicy::ClaimOnSignup => "claim_on_signup",
        SeatPolicy::ReserveOnInvite => "reserve_on_invite",
    }
}

/// What the seat benches share: the service, a dispatcher with its notifier, fresh
/// addresses.
struct SeatBench {
    service: Arc<InvitationService<PgStore, Arc<ManualClock>>>,
    dispatcher: Dispatcher<PgStore, Arc<RecordingNotifier>, Arc<ManualClock>>,
    notifier: Arc<RecordingNotifier>,
    next_address: AtomicUsize,
}

impl SeatBench {
    fn fresh_address(&self) -> String {
        let n = self.next_address.fetch_add(1, Ordering::Relaxed);
        format!("new{n}@example.com")
    }

    /// `n` delivered invitations in `org`, ready to sign up (not timed): their tokens.
    async fn delivered(&self, org: &SizedOrg, n: u64) -> Vec<String> {
        let addresses: Vec<String> = (0..n).map(|_| self.fresh_address()).collect();
        let refs: Vec<&str> = addresses.iter().map(String::as_str).collect();
        let invited = self
            .service
            .invite_many(&org.admin, org.id, &refs, Access::user(Role::ReadOnly))
            .await
            .expect("the invites run");
        self.dispatcher
            .drain()
            .await
            .expect("the invitations are delivered");
        let delivered = self.notifier.delivered();
        invited
            .into_iter()
            .map(|o| {
                let id = o.result.expect("invited").id;
                delivered
                    .iter()
                    .rev()
                    .find(|n| n.invitation == id)
                    .and_then(|n| n.signup_url.as_ref())
                    .expect("a link was delivered")
                    .expose()
                    .strip_prefix(SIGNUP_URL_BASE)
                    .expect("the bench's base")
                    .to_owned()
            })
            .collect()
    }

    /// One timed signup; answers its duration and the new member.
    async fn sign_up(&self, token: &str) -> (Duration, MemberId) {
        let started = Instant::now();
        let signup = self
            .service
            .sign_up(token, None)
            .await
            .expect("a free seat");
        (started.elapsed(), signup.member.id)
    }

    /// Removes the members the signups added (not timed), so the organization keeps its size.
    async fn remove(&self, org: &SizedOrg, members: Vec<MemberId>) {
        for member in members {
            self.service
                .remove_member(&org.admin, member)
                .await
                .expect("the member is removed");
        }
    }

    /// One timed invite of a new address.
    async fn invite(&self, org: &SizedOrg) -> Duration {
        let contact = Contact::parse_email(&self.fresh_address()).expect("valid");
        let started = Instant::now();
        let invitation = self
            .service
            .invite(
                &org.admin,
                org.id,
                contact,
                Channel::Email,
                Access::user(Role::ReadOnly),
            )
            .await
            .expect("the invite is accepted");
        let took = started.elapsed();
        black_box(invitation);
        took
    }
}

/// Invite and signup latency (one command each, sequential) in an organization of 10 members
/// vs one of 100,000, under both seat policies, in the same run (issue 8.5). Signups are
/// prepared (invited, delivered) before the timer starts, and the members they add are
/// removed after it stops, so each organization keeps its size. After criterion's groups,
/// [`paired_report`] measures the same commands alternating between the two sizes.
fn seats_by_org_size(c: &mut Criterion, rt: &Runtime) {
    let Some(pool) = fresh_pool(rt, SEATS_DATABASE) else {
        return;
    };
    let clock = Arc::new(ManualClock::new(bench_now()));
    let service = service(&pool, clock.clone());
    let orgs: Vec<Arc<SizedOrg>> = rt.block_on(async {
        let mut orgs = Vec::new();
        for policy in [SeatPolicy::ClaimOnSignup, SeatPolicy::ReserveOnInvite] {
            for members in ORG_SIZES {
                orgs.push(Arc::new(sized_org(&pool, &service, members, policy).await));
            }
        }
        pool.execute("VACUUM ANALYZE").await.expect("vacuum runs");
        orgs
    });
    let notifier = Arc::new(RecordingNotifier::new());
    let bench = Arc::new(SeatBench {
        service,
        dispatcher: Dispatcher::new(
            PgStore::new(pool.clone()),
            notifier.clone(),
            clock,
            DispatcherConfig::new(SIGNUP_URL_BASE),
        ),
        notifier,
        next_address: AtomicUsize::new(0),
    });

    let mut group = c.benchmark_group("pg_seats_by_org_size");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(6));
    // Signups first: their set-up drains the outbox, which the invites then fill.
    for org in &orgs {
        let id = BenchmarkId::new(format!("signup_{}", policy_name(org.policy)), org.members);
        group.bench_function(id, |b| {
            b.to_async(rt).iter_custom(|iters| {
                let (bench, org) = (bench.clone(), org.clone());
                async move {
                    let tokens = bench.delivered(&org, iters).await;
                    let mut total = Duration::ZERO;
                    let mut joined = Vec::with_capacity(tokens.len());
                    for token in &tokens {
                        let (took, member) = bench.sign_up(token).await;
                        total += took;
                        joined.push(member);
                    }
                    bench.remove(&org, joined).await;
                    total
                }
            })
        });
    }
    for org in &orgs {
        let id = BenchmarkId::new(format!("invite_{}", policy_name(org.policy)), org.members);
        group.bench_function(id, |b| {
            b.to_async(rt).iter_custom(|iters| {
                let (bench, org) = (bench.clone(), org.clone());
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        total += bench.invite(&org).await;
                    }
                    total
                }
            })
        });
    }
    group.finish();
    // `cargo test --benches` runs each bench once to see that it works (no `--bench`
    // argument); the paired rounds are measurement only.
    if std::env::args().any(|a| a == "--bench") {
        rt.block_on(paired_report(&bench, &orgs));
    }
}

/// Rounds per command and policy in [`paired_report`].
const PAIRED_ROUNDS: usize = 300;

/// The ratio criterion's separate groups cannot give on a shared machine, whose load drifts
/// between groups: each round runs the command once in the small organization and once in
/// the big one (which goes first alternates), so drift hits both alike; prints the median
/// and mean of each and the ratio of the medians.
async fn paired_report(bench: &SeatBench, orgs: &[Arc<SizedOrg>]) {
    fn median(mut v: Vec<Duration>) -> Duration {
        v.sort();
        v[v.len() / 2]
    }
    fn mean(v: &[Duration]) -> Duration {
        v.iter().sum::<Duration>() / v.len() as u32
    }
    eprintln!("\npaired rounds ({PAIRED_ROUNDS} per line), median (mean):");
    for policy in [SeatPolicy::ClaimOnSignup, SeatPolicy::ReserveOnInvite] {
        let of = |members: u32| {
            orgs.iter()
                .find(|o| o.policy == policy && o.members == members)
                .expect("the organization exists")
        };
        let (small, big) = (of(ORG_SIZES[0]), of(ORG_SIZES[1]));
        for command in ["signup", "invite"] {
            let mut times = [Vec::new(), Vec::new()];
            let mut tokens = [Vec::new().into_iter(), Vec::new().into_iter()];
            if command == "signup" {
                for (n, org) in [small, big].into_iter().enumerate() {
                    tokens[n] = bench.delivered(org, PAIRED_ROUNDS as u64).await.into_iter();
                }
            }
            let mut joined = [Vec::new(), Vec::new()];
            for round in 0..PAIRED_ROUNDS {
                let order = match round % 2 {
                    0 => [0, 1],
                    _ => [1, 0],
                };
                for n in order {
                    let org = [small, big][n];
                    let took = match command {
                        "signup" => {
                            let token = tokens[n].next().expect("a token per round");
                            let (took, member) = bench.sign_up(&token).await;
                            joined[n].push(member);
                            took
                        }
                        _ => bench.invite(org).await,
                    };
                    times[n].push(took);
                }
            }
            for (n, org) in [small, big].into_iter().enumerate() {
                bench.remove(org, std::mem::take(&mut joined[n])).await;
            }
            let [s, b] = times;
            let (ms, mb) = (mean(&s), mean(&b));
            let (s, b) = (median(s), median(b));
            eprintln!(
                "  {command} {}: {} members {s:.2?} ({ms:.2?}), {} members {b:.2?} ({mb:.2?}), \
                 ratio {:.2}",
                policy_name(policy),
                small.members,
                big.members,
                b.as_secs_f64() / s.as_secs_f64()
            );
        }
    }
}

fn pg_benches(c: &mut Criterion) {
    let rt = runtime();
    let Some(bulk) = bench_pool(&rt, BULK_DATABASE) else {
        return;
    };
    bulk_invite(c, &rt, &bulk);
    let Some(pool) = bench_pool(&rt, BENCH_DATABASE) else {
        return;
    };
    dashboard(c, &rt, &pool);
    signups(c, &rt, &pool);
    seats_by_org_size(c, &rt);
}

/// `criterion_group!` makes an undocumented `pub fn`; keep it out of the crate's public items.
mod group {
    use criterion::criterion_group;
    criterion_group!(benches, super::pg_benches);
}
criterion_main!(group::benches);
