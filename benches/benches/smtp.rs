//! SMTP delivery: 1,000 messages through the dispatcher (store claim, link minting, template
//! rendering, `invite_lettre::SmtpNotifier`, outcome commit) against a bare pooled lettre loop
//! sending the same 1,000 already-built messages to the same loopback SMTP server, in the same
//! run. Prints messages per second for both and the throughput ratio (target: 0.8 or better).
//!
//! ```sh
//! cargo bench -p invite-benches --bench smtp
//! ```
//!
//! Uses the server of `scripts/smtp-server` when `SMTP_TEST_URL` is set, otherwise starts
//! `scripts/smtp_server.py` itself (needs `python3` with `aiosmtpd`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use invite_core::{
    Access, Actor, Channel, Contact, Delivered, Dispatcher, DispatcherConfig, InvitationService,
    ManualClock, MemoryStore, Notification, Notifier, NotifyError, OrgKind, OrgSettings, Role,
};
use invite_lettre::SmtpNotifier;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MESSAGES: usize = 1_000;
const ROUNDS: usize = 3;

/// Records what the dispatcher delivered, so the baseline sends the very same messages.
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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs us too: do one small round.
    let quick = !std::env::args().any(|a| a == "--bench");
    let (url, _server) = server()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(&url, if quick { 20 } else { MESSAGES }, quick))
}

async fn run(url: &str, messages: usize, quick: bool) -> Result<(), Box<dyn std::error::Error>> {
    let from: invite_lettre::Mailbox = "Bench <bench@invite.example>".parse()?;
    let host_port = url
        .trim_start_matches("smtp://")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let (host, port) = host_port.rsplit_once(':').ok_or("URL without port")?;
    let port: u16 = port.parse()?;
    let pool = || PoolConfig::new().max_size(10);
    let bare = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .timeout(Some(Duration::from_secs(30)))
        .pool_config(pool())
        .build();

    let mut dispatcher_rates = Vec::new();
    let mut bare_rates = Vec::new();
    for round in 0..if quick { 1 } else { ROUNDS } {
        // Dispatcher: invitations committed beforehand (not timed), then drained.
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
            service
                .invite(
                    &admin,
                    org.id,
                    to,
                    Channel::Email,
                    Access::user(Role::ReadOnly),
                )
                .await?;
        }
        let notifier = SmtpNotifier::from_url(url, from.clone())?.build()?;
        notifier.test_connection().await?; // both sides start with a warm connection
        let recording = Arc::new(Recording {
            inner: notifier,
            seen: Mutex::new(Vec::new()),
        });
        let dispatcher = Dispatcher::new(
            store.clone(),
            recording.clone(),
            clock.clone(),
            DispatcherConfig::new("https://app.example.com/signup?token="),
        );
        let t = Instant::now();
        let report = dispatcher.drain().await?;
        let dispatched = t.elapsed();
        assert_eq!(report.sent as usize, messages, "every message delivered");

        // Bare lettre: the same messages, built beforehand (not timed), sent in a loop.
        let seen = recording
            .seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let composer = invite_lettre::Composer::new(from.clone());
        let built: Vec<Message> = seen
            .iter()
            .map(|n| composer.compose(n))
            .collect::<Result<_, _>>()?;
        bare.test_connection().await?;
        let t = Instant::now();
        for m in built {
            bare.send(m).await?;
        }
        let bared = t.elapsed();

        let d = messages as f64 / dispatched.as_secs_f64();
        let b = messages as f64 / bared.as_secs_f64();
        println!(
            "round {}: dispatcher {messages} in {:.3}s = {d:.0} msg/s; bare lettre {messages} in {:.3}s = {b:.0} msg/s; ratio {:.2}",
            round + 1,
            dispatched.as_secs_f64(),
            bared.as_secs_f64(),
            d / b
        );
        dispatcher_rates.push(d);
        bare_rates.push(b);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (d, b) = (median(&mut dispatcher_rates), median(&mut bare_rates));
    println!(
        "smtp/{messages} messages (median of {} rounds): dispatcher {d:.0} msg/s, bare pooled lettre {b:.0} msg/s, throughput ratio {:.2} (target >= 0.80)",
        dispatcher_rates.len(),
        d / b
    );
    Ok(())
}

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_772_442_000, 0).expect("a valid timestamp") // 2026-03-02 09:00 UTC
}

/// The server: `SMTP_TEST_URL` if set, otherwise our own `scripts/smtp_server.py` process,
/// killed when the returned guard drops.
fn server() -> Result<(String, Option<ServerGuard>), Box<dyn std::error::Error>> {
    if let Ok(url) = std::env::var("SMTP_TEST_URL") {
        return Ok((url, None));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mailbox = std::env::temp_dir().join(format!("invite-bench-smtp-{}", std::process::id()));
    std::fs::create_dir_all(&mailbox)?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = Command::new("python3")
        .arg(root.join("scripts/smtp_server.py"))
        .args([
            "--port",
            &port.to_string(),
            "--exit-with-parent",
            "--mailbox",
        ])
        .arg(&mailbox)
        .stdout(Stdio::null())
        .spawn()?;
    let guard = ServerGuard { child, mailbox };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("the SMTP server did not start (pip install aiosmtpd)".into());
        }
        std::thread::sleep(Duration::from_millis(50)); // waiting for a process to listen
    }
    Ok((format!("smtp://127.0.0.1:{port}?tls=none"), Some(guard)))
}

struct ServerGuard {
    child: Child,
    mailbox: std::path::PathBuf,
}

impl Drop for ServerGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.mailbox);
    }
}
