//! SMTP delivery, four measurements against the same loopback SMTP server in the same run,
//! with the same messages:
//!
//! - **bare**: the baseline, the least a client can do: `C` tasks, each on one lettre
//!   `AsyncSmtpConnection` over a `TCP_NODELAY` socket of its own, sending already built
//!   messages in a loop (no pool, no `NOOP`, no composing);
//! - **notifier**: `invite_lettre::SmtpNotifier` with a pool of `C`, driven by `C` concurrent
//!   `deliver` calls (composing from the `Notification` included). The ratio notifier / bare is
//!   what this crate costs (target 0.8 or better);
//! - **dispatcher**: the core's dispatcher draining 1,000 invitations through `SmtpNotifier`
//!   (store claim, link minting, rendering, outcome commit), as the dispatcher sends today;
//! - **ceiling**: the bare client at a high concurrency, to tell whether the server itself
//!   (aiosmtpd, one Python process) is the limit.
//!
//! ```sh
//! cargo bench -p invite-benches --bench smtp
//! ```
//!
//! Uses the server of `scripts/smtp-server` when `SMTP_TEST_URL` is set, otherwise starts
//! `scripts/smtp_server.py` itself (needs `python3` with `aiosmtpd`).

#[path = "support/smtp_server.rs"]
mod smtp_server;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use invite_core::{
    Access, Actor, Channel, Contact, Delivered, Dispatcher, DispatcherConfig, InvitationService,
    ManualClock, MemoryStore, Notification, Notifier, NotifyError, OrgKind, OrgSettings, Role,
};
use invite_lettre::SmtpNotifier;
use lettre::Address;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MESSAGES: usize = 1_000;
const ROUNDS: usize = 3;
/// The pool size of the notifier, and the concurrency of the bare client beside it
/// (`SMTP_BENCH_CONCURRENCY` overrides it).
const CONCURRENCY: usize = 8;
/// The bare client's concurrency when looking for the server's ceiling.
const CEILING_CONCURRENCY: usize = 32;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Records what the dispatcher delivered, so the other sides send the very same messages.
struct Recording<N> {
    inner: N,
    seen: Mutex<Vec<Notification>>,
}

#[async_trait]
impl<N: Notifier> Notifier for Recording<N> {
    async fn deliver(&self, n: &Notification) -> Result<Delivered, NotifyError> {
        let delivered = self.inner.deliver(n).await?;
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(n.clone());
        Ok(delivered)
    }
}

/// One message ready for the wire.
struct Built {
    from: Option<Address>,
    to: Vec<Address>,
    bytes: Vec<u8>,
}

fn main() -> Result<(), BoxError> {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs us too: do one small round.
    let quick = !std::env::args().any(|a| a == "--bench");
    let (url, _server) = smtp_server::server()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(&url, if quick { 40 } else { MESSAGES }, quick))
}

async fn run(url: &str, messages: usize, quick: bool) -> Result<(), BoxError> {
    let from: invite_lettre::Mailbox = "Bench <bench@invite.example>".parse()?;
    let (host, port) = host_port(url)?;
    let c: usize = std::env::var("SMTP_BENCH_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CONCURRENCY);
    let mut rates: [Vec<f64>; 4] = Default::default();
    for round in 0..if quick { 1 } else { ROUNDS } {
        let (dispatched, seen) = dispatcher_side(url, &from, messages).await?;
        let composer = invite_lettre::Composer::new(from.clone());
        let built: Vec<Built> = seen
            .iter()
            .map(|n| {
                let m = composer.compose(n)?;
                Ok(Built {
                    from: m.envelope().from().cloned(),
                    to: m.envelope().to().to_vec(),
                    bytes: m.formatted(),
                })
            })
            .collect::<Result<_, NotifyError>>()?;
        let built = Arc::new(built);
        // Bare, notifier, notifier, bare: on a shared machine the load drifts, and this order
        // gives both sides the same share of it.
        let bare_1 = bare_side(&host, port, &built, c).await?;
        let notifier_1 = notifier_side(url, &from, &seen, c).await?;
        let notifier_2 = notifier_side(url, &from, &seen, c).await?;
        let bare_2 = bare_side(&host, port, &built, c).await?;
        let ceiling = bare_side(&host, port, &built, CEILING_CONCURRENCY).await?;
        let rate = |t: Duration| messages as f64 / t.as_secs_f64();
        let round_rates = [
            2.0 * messages as f64 / (bare_1 + bare_2).as_secs_f64(),
            2.0 * messages as f64 / (notifier_1 + notifier_2).as_secs_f64(),
            rate(dispatched),
            rate(ceiling),
        ];
        println!(
            "round {}: bare nodelay x{c} {:.0} msg/s; SmtpNotifier x{c} {:.0} msg/s (ratio \
             {:.2}); dispatcher {:.0} msg/s; bare x{CEILING_CONCURRENCY} {:.0} msg/s",
            round + 1,
            round_rates[0],
            round_rates[1],
            round_rates[1] / round_rates[0],
            round_rates[2],
            round_rates[3],
        );
        for (all, r) in rates.iter_mut().zip(round_rates) {
            all.push(r);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let rounds = rates[0].len();
    let [bare, notifier, dispatcher, ceiling] = rates.each_mut().map(median);
    println!(
        "smtp/{messages} messages (median of {rounds} rounds): bare nodelay client x{c} \
         {bare:.0} msg/s, SmtpNotifier x{c} {notifier:.0} msg/s, throughput ratio {:.2} \
         (target >= 0.80); dispatcher + SmtpNotifier {dispatcher:.0} msg/s; server ceiling \
         (bare x{CEILING_CONCURRENCY}) {ceiling:.0} msg/s",
        notifier / bare,
    );
    Ok(())
}

/// Invitations committed beforehand (not timed), then drained by the dispatcher. Returns the
/// time and the notifications it delivered.
async fn dispatcher_side(
    url: &str,
    from: &invite_lettre::Mailbox,
    messages: usize,
) -> Result<(Duration, Vec<Notification>), BoxError> {
    let clock = Arc::new(ManualClock::new(start()));
    let store = Arc::new(MemoryStore::new());
    let service = InvitationService::new(store.clone(), clock.clone());
    let operator = Actor::Operator { id: "bench".into() };
    let org = service
        .create_organization(
            &operator,
            "Bench Org",
            OrgKind::Standalone,
            OrgSettings::with_seats(messages as u32 + 10),
        )
        .await?;
    let admin = Actor::admin(org.id, "u1", "Bench Admin");
    let run_id = uuid::Uuid::new_v4().simple().to_string();
    for i in 0..messages {
        let to = Contact::parse_email(&format!("bench-{run_id}-{i}@example.com"))?;
        let access = Access::user(Role::ReadOnly);
        service
            .invite(&admin, org.id, to, Channel::Email, access)
            .await?;
    }
    let notifier = SmtpNotifier::from_url(url, from.clone())?.build()?;
    notifier.test_connection().await?; // every side starts with warm connections
    let recording = Arc::new(Recording {
        inner: notifier,
        seen: Mutex::new(Vec::new()),
    });
    let dispatcher = Dispatcher::new(
        store,
        recording.clone(),
        clock,
        DispatcherConfig::new("https://app.example.com/signup?token="),
    );
    let t = Instant::now();
    let report = dispatcher.drain().await?;
    let elapsed = t.elapsed();
    assert_eq!(report.sent as usize, messages, "every message delivered");
    let seen = std::mem::take(&mut *recording.seen.lock().unwrap_or_else(|e| e.into_inner()));
    Ok((elapsed, seen))
}

/// `concurrency` tasks, each on its own connection, sending the built messages in turn.
async fn bare_side(
    host: &str,
    port: u16,
    built: &Arc<Vec<Built>>,
    concurrency: usize,
) -> Result<Duration, BoxError> {
    let mut connections = Vec::new();
    for _ in 0..concurrency {
        let tcp = tokio::net::TcpStream::connect((host, port)).await?;
        tcp.set_nodelay(true)?;
        let hello = ClientId::default();
        connections.push(AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &hello).await?);
    }
    let next = Arc::new(AtomicUsize::new(0));
    let t = Instant::now();
    let tasks: Vec<_> = connections
        .into_iter()
        .map(|mut conn| {
            let (built, next) = (Arc::clone(built), Arc::clone(&next));
            tokio::spawn(async move {
                while let Some(m) = built.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let envelope = lettre::address::Envelope::new(m.from.clone(), m.to.clone())?;
                    conn.send(&envelope, &m.bytes).await?;
                }
                let _ = conn.quit().await;
                Ok::<(), BoxError>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok(t.elapsed())
}

/// `SmtpNotifier` with a pool of `concurrency`, `concurrency` tasks calling `deliver`.
async fn notifier_side(
    url: &str,
    from: &invite_lettre::Mailbox,
    seen: &[Notification],
    concurrency: usize,
) -> Result<Duration, BoxError> {
    let notifier = SmtpNotifier::from_url(url, from.clone())?
        .pool_max_size(concurrency as u32)
        .build()?;
    // Warm connections, as the bare side has.
    let warm: Vec<_> = (0..concurrency)
        .map(|_| {
            let notifier = notifier.clone();
            tokio::spawn(async move { notifier.test_connection().await })
        })
        .collect();
    for w in warm {
        w.await??;
    }
    let seen = Arc::new(seen.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let t = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (notifier, seen, next) = (notifier.clone(), Arc::clone(&seen), Arc::clone(&next));
            tokio::spawn(async move {
                while let Some(n) = seen.get(next.fetch_add(1, Ordering::Relaxed)) {
                    notifier.deliver(n).await?;
                }
                Ok::<(), NotifyError>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let elapsed = t.elapsed();
    notifier.shutdown().await;
    Ok(elapsed)
}

fn host_port(url: &str) -> Result<(String, u16), BoxError> {
    let host_port = url
        .trim_start_matches("smtp://")
        .split('?')
        .next()
        .unwrap_or_default();
    let (host, port) = host_port.rsplit_once(':').ok_or("URL without port")?;
    Ok((host.to_owned(), port.parse()?))
}

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_772_442_000, 0).expect("a valid timestamp") // 2026-03-02 09:00 UTC
}
