//! The daily reminder burst (issue 8.6): every pending invitee of every organization in one
//! time zone is due at the same instant, 10:00 local (R8.1). 1,000 organizations with 100
//! delivered, pending invitations each, in Europe/Berlin; at 10:00:30 local the sweep queues
//! 100,000 reminders and dispatchers deliver them to the loopback SMTP server. Printed: the
//! time to queue, the time to deliver, messages per second, and memory: the resident set
//! sampled every 100 ms through both phases and the peak (`VmHWM`). Target: all delivered
//! within 10 minutes of 10:00, memory flat.
//!
//! ```sh
//! cargo bench -p invite-benches --bench burst              # both stores, full size
//! BURST_ORGS=100 cargo bench -p invite-benches --bench burst   # a tenth
//! ```
//!
//! Knobs (environment): `BURST_ORGS` (1,000), `BURST_INVITEES` per organization (100),
//! `BURST_WORKERS` dispatchers running at once (4), `BURST_CONCURRENCY` deliveries in flight
//! per dispatcher (8; the SMTP pool is workers x concurrency), `BURST_STORES` (`postgres,memory`;
//! PostgreSQL needs `DATABASE_URL` and uses a fresh database `invite_bench_burst`). Each store
//! runs in a process of its own, so each peak is its own. `cargo test --benches` runs a small
//! round (10 x 10). The SMTP server is `SMTP_TEST_URL` or one started from
//! `scripts/smtp_server.py`. The fixture (organizations, invitations, their first delivery
//! to a sink) is built through the library before anything is timed.

#[path = "support/memory.rs"]
mod memory;
#[path = "support/pg_database.rs"]
mod pg_database;
#[path = "support/smtp_server.rs"]
mod smtp_server;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use invite_core::{
    Access, Actor, Delivered, Dispatcher, DispatcherConfig, InvitationService, ManualClock,
    MemoryStore, Notification, Notifier, NotifyError, OrgKind, OrgSettings, Role, Store,
};
use invite_lettre::SmtpNotifier;
use invite_sqlx::PgStore;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const SIGNUP_URL_BASE: &str = "https://bench.example.com/signup?token=";
const STORES: &str = "postgres,memory";

/// Sampler phases.
const SWEEP: u8 = 1;
const DELIVERY: u8 = 2;

struct Scale {
    orgs: usize,
    invitees: usize,
    workers: usize,
    concurrency: usize,
}

impl Scale {
    fn from_env(quick: bool) -> Scale {
        let get = |name: &str, full: usize, small: usize| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(if quick { small } else { full })
        };
        Scale {
            orgs: get("BURST_ORGS", 1_000, 10),
            invitees: get("BURST_INVITEES", 100, 10),
            workers: get("BURST_WORKERS", 4, 2),
            concurrency: get("BURST_CONCURRENCY", 8, 4),
        }
    }
}

/// Accepts every message at once: the fixture's first deliveries, before the burst.
struct Sink;

#[async_trait]
impl Notifier for Sink {
    async fn deliver(&self, _: &Notification) -> Result<Delivered, NotifyError> {
        Ok(Delivered::one())
    }
}

fn main() -> Result<(), BoxError> {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs us too: do a small round.
    let quick = !std::env::args().any(|a| a == "--bench");
    let Ok(stores) = std::env::var("BURST_STORES") else {
        // One process per store, so each one's peak memory is its own.
        for store in STORES.split(',') {
            let status = Command::new(std::env::current_exe()?)
                .args(std::env::args().skip(1))
                .env("BURST_STORES", store)
                .status()?;
            if !status.success() {
                return Err(format!("the {store} burst failed: {status}").into());
            }
        }
        return Ok(());
    };
    let scale = Scale::from_env(quick);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    for store in stores.split(',').map(str::trim) {
        match store {
            "memory" => {
                runtime.block_on(burst("MemoryStore", Arc::new(MemoryStore::new()), &scale))?
            }
            "postgres" => {
                let connections = (scale.workers * 2 + 4) as u32;
                let Some(pool) =
                    runtime.block_on(pg_database::fresh("invite_bench_burst", connections))
                else {
                    eprintln!("DATABASE_URL is not set: skipping the PostgreSQL burst");
                    continue;
                };
                runtime.block_on(burst("PgStore", PgStore::new(pool), &scale))?;
            }
            other => return Err(format!("BURST_STORES: no store called {other:?}").into()),
        }
    }
    Ok(())
}

/// 2026-03-02 07:00 UTC, 08:00 in Berlin (CET): when the fixture is invited and delivered.
fn morning() -> DateTime<Utc> {
    "2026-03-02T07:00:00Z".parse().expect("a valid instant")
}

/// 10:00:30 in Berlin that day: the reminders are due.
fn reminder_time() -> DateTime<Utc> {
    morning() + TimeDelta::hours(2) + TimeDelta::seconds(30)
}

async fn burst<S: Store + Clone + 'static>(
    label: &str,
    store: S,
    scale: &Scale,
) -> Result<(), BoxError> {
    let total = scale.orgs * scale.invitees;
    let clock = Arc::new(ManualClock::new(morning()));
    let service = InvitationService::new(store.clone(), clock.clone());
    let built = Instant::now();
    fixture(&service, scale).await?;
    let first = Dispatcher::new(
        store.clone(),
        Arc::new(Sink),
        clock.clone(),
        DispatcherConfig {
            batch_size: 500,
            concurrency: 64,
            ..DispatcherConfig::new(SIGNUP_URL_BASE)
        },
    );
    let delivered = first.drain().await?;
    assert_eq!(delivered.sent as usize, total, "the fixture is delivered");
    println!(
        "{label}: fixture of {} organizations x {} pending invitees built in {:.1} s (not timed)",
        scale.orgs,
        scale.invitees,
        built.elapsed().as_secs_f64()
    );

    let (url, _server) = smtp_server::server()?;
    let from: invite_lettre::Mailbox = "Bench <bench@invite.example>".parse()?;
    let smtp = SmtpNotifier::from_url(&url, from)?
        .pool_max_size((scale.workers * scale.concurrency) as u32)
        .build()?;
    smtp.test_connection().await?;

    clock.set(reminder_time());
    let rss_before = memory::status_kb("VmRSS").unwrap_or(0);
    let sampler = memory::Sampler::start(Duration::from_millis(100));
    sampler.phase(SWEEP);
    let started = Instant::now();
    let swept = service.sweep_reminders().await?;
    let queued_in = started.elapsed();
    assert_eq!(
        swept.queued as usize, total,
        "every pending invitee is reminded"
    );

    sampler.phase(DELIVERY);
    let config = DispatcherConfig {
        concurrency: scale.concurrency,
        ..DispatcherConfig::new(SIGNUP_URL_BASE)
    };
    let delivering = Instant::now();
    let workers: Vec<_> = (0..scale.workers)
        .map(|_| {
            let d = Dispatcher::new(store.clone(), smtp.clone(), clock.clone(), config.clone());
            tokio::spawn(async move { d.drain().await })
        })
        .collect();
    let mut sent = 0;
    for w in workers {
        let report = w.await??;
        assert_eq!(
            report.sent, report.claimed,
            "every claimed reminder is delivered: {report:?}"
        );
        sent += report.sent as usize;
    }
    let delivered_in = delivering.elapsed();
    let all_done = started.elapsed();
    let samples = sampler.finish();
    assert_eq!(sent, total, "every reminder is delivered");
    smtp.shutdown().await;

    let mb = |kb: u64| kb as f64 / 1024.0;
    println!(
        "{label}: {total} reminders ({} organizations x {}, Europe/Berlin, due 10:00 local): \
         queued by the sweep in {:.2} s ({:.0}/s); delivered to the loopback SMTP server by {} \
         dispatchers x {} in flight in {:.2} s ({:.0} msg/s); all delivered {:.1} s after \
         the sweep began (target 600 s)",
        scale.orgs,
        scale.invitees,
        queued_in.as_secs_f64(),
        total as f64 / queued_in.as_secs_f64(),
        scale.workers,
        scale.concurrency,
        delivered_in.as_secs_f64(),
        total as f64 / delivered_in.as_secs_f64(),
        all_done.as_secs_f64(),
    );
    println!(
        "{label}: memory: RSS {:.0} MB before the sweep; sweep: {}; delivery: {}; RSS {:.0} MB \
         at the end; peak of the process (VmHWM, fixture included) {:.0} MB",
        mb(rss_before),
        memory::summary(&samples, SWEEP, 5),
        memory::summary(&samples, DELIVERY, 10),
        mb(memory::status_kb("VmRSS").unwrap_or(0)),
        mb(memory::status_kb("VmHWM").unwrap_or(0)),
    );
    Ok(())
}

/// The organizations (reminders on, Berlin time) and their invitations, one bulk invite per
/// organization.
async fn fixture<S: Store, C: invite_core::Clock>(
    service: &InvitationService<S, C>,
    scale: &Scale,
) -> Result<(), BoxError> {
    let operator = Actor::Operator { id: "bench".into() };
    let run = uuid::Uuid::new_v4().simple().to_string();
    for o in 0..scale.orgs {
        let mut settings = OrgSettings::with_seats(scale.invitees as u32 + 10);
        settings.reminders_enabled = true;
        settings.time_zone = chrono_tz::Europe::Berlin;
        let org = service
            .create_organization(
                &operator,
                &format!("Org {o}"),
                OrgKind::Standalone,
                settings,
            )
            .await?;
        let admin = Actor::admin(org.id, "bench", "Bench Admin");
        let addresses: Vec<String> = (0..scale.invitees)
            .map(|i| format!("r{o}-{i}-{}@example.com", &run[..8]))
            .collect();
        let refs: Vec<&str> = addresses.iter().map(String::as_str).collect();
        let outcomes = service
            .invite_many(&admin, org.id, &refs, Access::user(Role::ReadOnly))
            .await?;
        assert!(
            outcomes.iter().all(|o| o.result.is_ok()),
            "every address is invited"
        );
    }
    Ok(())
}
