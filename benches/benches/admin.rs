//! The admin page's cost: `GET /admin/orgs/{org}` rendered server-side for an organization
//! of 100,000 invitations, beside the two reads it cannot do without (the dashboard and the
//! first list page), in the same run. Target: the page under 3x the reads.
//!
//! ```sh
//! cargo bench -p invite-benches --bench admin
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p invite-benches --bench admin
//! ```
//!
//! On a `MemoryStore` (the fixture of `src/lib.rs`), and on PostgreSQL too when
//! `DATABASE_URL` is set (database `invite_bench_admin`, created and migrated; each run adds
//! a fresh organization of 100,000 rows). After criterion's report it prints the medians of
//! an interleaved run (reads, page, page, reads, ...) and their ratio.

use criterion::{Criterion, criterion_main};
use invite_axum::{ActorSource, InviteApp, InviteWeb, Rejection};
use invite_benches::{bench_now, invitations, organization, populate};
use invite_core::{Actor, Commit, ListQuery, ManualClock, OrgId, RecordStore, Store, Tab, Write};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

const ROWS: usize = 100_000;

/// No requests reach the router here; the page is rendered for a given actor.
struct Nobody;

#[async_trait::async_trait]
impl ActorSource for Nobody {
    async fn actor(&self, _: &axum::http::request::Parts) -> Result<Actor, Rejection> {
        Err(Rejection::Unauthenticated("bench".into()))
    }
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

struct Case {
    name: &'static str,
    app: InviteApp,
    org: OrgId,
    actor: Actor,
}

async fn reads(case: &Case) {
    let service = case.app.service();
    let dashboard = service
        .dashboard(&case.actor, case.org)
        .await
        .expect("dashboard");
    let page = service
        .list(&case.actor, case.org, &ListQuery::tab(Tab::All))
        .await
        .expect("first page");
    black_box((dashboard, page));
}

async fn page(case: &Case) -> usize {
    let html = case
        .app
        .render_dashboard(&case.actor, case.org)
        .await
        .expect("the page renders");
    black_box(html.len())
}

fn app(store: Arc<dyn Store>) -> InviteApp {
    InviteWeb::new(store, Arc::new(ManualClock::new(bench_now())), Nobody).build()
}

fn memory_case(rt: &Runtime) -> Case {
    let org = organization(200_000);
    let (invs, members) = invitations(org.id, ROWS);
    let store = rt.block_on(populate(&org, &invs, &members, 10_000));
    Case {
        name: "memory",
        app: app(Arc::new(store)),
        org: org.id,
        actor: Actor::admin(org.id, "u-bench", "Bench Admin"),
    }
}

fn pg_case(rt: &Runtime) -> Option<Case> {
    let url = std::env::var("DATABASE_URL").ok()?;
    rt.block_on(async {
        use sqlx::{ConnectOptions, Executor};
        use std::str::FromStr;
        let admin = sqlx::postgres::PgConnectOptions::from_str(&url).expect("a valid URL");
        let mut conn = admin
            .connect()
            .await
            .expect("the server accepts connections");
        let exists: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'invite_bench_admin')",
        )
        .fetch_one(&mut conn)
        .await
        .expect("the catalog answers");
        if !exists {
            conn.execute("CREATE DATABASE invite_bench_admin")
                .await
                .expect("created");
        }
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .connect_with(admin.database("invite_bench_admin"))
            .await
            .expect("connects");
        let store = invite_sqlx::PgStore::new(pool);
        store.migrate().await.expect("migrations apply");
        let org = organization(200_000);
        let (invs, members) = invitations(org.id, ROWS);
        let mut commit = Commit::new(org.id, bench_now());
        commit.organization = Some(Write::Insert(org.clone()));
        store.commit(commit).await.expect("the organization is new");
        let by_id: std::collections::HashMap<_, _> = members.iter().map(|m| (m.id, m)).collect();
        for chunk in invs.chunks(10_000) {
            let mut commit = Commit::new(org.id, bench_now());
            for inv in chunk {
                if let Some(id) = inv.member() {
                    commit.members.push(Write::Insert(by_id[&id].clone()));
                }
                commit.invitations.push(Write::Insert(inv.clone()));
            }
            store.commit(commit).await.expect("fresh records");
        }
        Some(Case {
            name: "postgres",
            app: app(Arc::new(store)),
            org: org.id,
            actor: Actor::admin(org.id, "u-bench", "Bench Admin"),
        })
    })
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Interleaved samples of both sides, so load drift hits them alike.
fn summary(rt: &Runtime, case: &Case, samples: usize) {
    let (mut r, mut p) = (Vec::new(), Vec::new());
    rt.block_on(async {
        for i in 0..samples {
            for side in if i % 2 == 0 { [0, 1] } else { [1, 0] } {
                let t = Instant::now();
                if side == 0 {
                    reads(case).await;
                    r.push(t.elapsed());
                } else {
                    page(case).await;
                    p.push(t.elapsed());
                }
            }
        }
    });
    let (r, p) = (median(r), median(p));
    println!(
        "admin page, {} rows, {}: reads (dashboard + first list page) {:.2} ms, page rendered {:.2} ms, ratio {:.2} (target < 3)",
        ROWS,
        case.name,
        r.as_secs_f64() * 1e3,
        p.as_secs_f64() * 1e3,
        p.as_secs_f64() / r.as_secs_f64()
    );
}

fn benches() {
    let rt = runtime();
    let mut cases = vec![memory_case(&rt)];
    cases.extend(pg_case(&rt));
    let mut c = Criterion::default().configure_from_args().sample_size(20);
    for case in &cases {
        let html = rt
            .block_on(case.app.render_dashboard(&case.actor, case.org))
            .expect("renders");
        assert!(
            html.contains("Bench") || html.contains("tile-pending"),
            "a real page"
        );
        let mut group = c.benchmark_group(format!("admin_page_100k_{}", case.name));
        group.bench_function("reads_dashboard_and_first_page", |b| {
            b.to_async(&rt).iter(|| reads(case))
        });
        group.bench_function("page_rendered", |b| b.to_async(&rt).iter(|| page(case)));
        group.finish();
    }
    for case in &cases {
        summary(&rt, case, 30);
    }
}

criterion_main!(benches);
