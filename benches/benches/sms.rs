//! SMS delivery, against a bare loop of the same SMPP client crate (rusmppc) sending the same
//! segments, built beforehand, with the same window, to the same loopback SMPP server, in the
//! same run:
//!
//! - **notifier**: 1,000 SMS through `invite_sms::SmsNotifier` (template rendering,
//!   segmentation, `submit_sm` over its one session, concurrent `deliver` calls keeping the
//!   window full);
//! - **dispatcher**: 1,000 SMS invitations, committed beforehand, drained by the core's
//!   `Dispatcher` through `SmsNotifier` (claim under a lease, link minting and its commit,
//!   rendering, `submit_sm`, the outcome commit with the SMSC's message id), as an
//!   application sends them; the bare loop sends the segments the dispatcher sent.
//!
//! Prints SMS per second for each side and the throughput ratios (target: 0.8 or better).
//!
//! ```sh
//! cargo bench -p invite-benches --bench sms
//! ```
//!
//! Uses the server of `scripts/smpp-server` when `SMPP_TEST_URL` is set, otherwise starts
//! `scripts/smpp_server.js` itself (needs `node` and `npm ci` in `scripts/`), its records in
//! /dev/shm where there is one.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use invite_core::{
    Access, Actor, Channel, Contact, Delivered, Dispatcher, DispatcherConfig, InvitationId,
    InvitationService, InvitationType, Language, ManualClock, MemoryStore, MessageId, MessageKind,
    Notification, Notifier, NotifyError, OrgKind, OrgSettings, Role, SignupUrl,
};
use invite_sms::SmsNotifier;
use rusmpp::pdus::{BindTransceiver, SubmitSm};
use rusmpp::types::{COctetString, OctetString};
use rusmpp::values::{DataCoding, EsmClass, InterfaceVersion, Npi, RegisteredDelivery, Ton};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const MESSAGES: usize = 1_000;
const ROUNDS: usize = 5;
const WINDOW: usize = 10;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), BoxError> {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs us too: do one small round.
    let quick = !std::env::args().any(|a| a == "--bench");
    let (port, _server) = server()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(port, if quick { 20 } else { MESSAGES }, quick))
}

async fn run(port: u16, messages: usize, quick: bool) -> Result<(), BoxError> {
    // Receipts off on both sides: this measures submitting.
    let url = format!(
        "smpp://invite:secret@127.0.0.1:{port}?source=Bench&window={WINDOW}&receipts=false"
    );
    let mut notifier_rates = Vec::new();
    let mut bare_rates = Vec::new();
    let mut ratios = Vec::new();
    let mut dispatcher_rates = Vec::new();
    let mut dispatcher_bare_rates = Vec::new();
    let mut dispatcher_ratios = Vec::new();
    // Three digits of each number tell the rounds apart (11-digit Russian numbers, valid in
    // the numbering plan, as invitations need).
    let base = uuid::Uuid::new_v4().as_u128() % 1_000;
    for round in 0..if quick { 1 } else { ROUNDS } {
        // Fresh destinations for each side: the server writes one file per destination, and
        // creating a file costs more than appending to one.
        let run_id = uuid::Uuid::new_v4().as_u128() % 100_000;
        let batch = |prefix: &str| -> Vec<Notification> {
            (0..messages)
                .map(|i| notification(&format!("+{prefix}{run_id:05}{i:04}"), i))
                .collect()
        };
        let notifier = SmsNotifier::from_url(&url)?.build()?;
        notifier.connect().await?; // both sides start bound
        // Same text segments, built beforehand (not timed), to other numbers.
        let pdus: Vec<SubmitSm> = batch("7907")
            .iter()
            .map(|n| bare_pdu(&notifier, n))
            .collect::<Result<_, _>>()?;
        let client = bare_client(port).await?;
        // Alternate which side goes first, so warm-up favours neither.
        let (notified, bared) = if round % 2 == 0 {
            let n = through_notifier(&notifier, batch("7906")).await?;
            (n, through_bare_client(&client, pdus).await?)
        } else {
            let b = through_bare_client(&client, pdus).await?;
            (through_notifier(&notifier, batch("7906")).await?, b)
        };
        notifier.close().await;
        let _ = client.unbind().await;
        let _ = client.close().await;

        let n = messages as f64 / notified.as_secs_f64();
        let b = messages as f64 / bared.as_secs_f64();
        println!(
            "round {}: SmsNotifier {messages} in {:.3}s = {n:.0} SMS/s; bare rusmppc {messages} in {:.3}s = {b:.0} SMS/s; ratio {:.2}",
            round + 1,
            notified.as_secs_f64(),
            bared.as_secs_f64(),
            n / b
        );
        notifier_rates.push(n);
        bare_rates.push(b);
        ratios.push(n / b);

        let run = (base + round as u128) % 1_000;
        let (d, b) = dispatcher_round(&url, port, messages, run).await?;
        println!(
            "round {}: Dispatcher + SmsNotifier {d:.0} SMS/s; bare rusmppc (its segments) {b:.0} SMS/s; ratio {:.2}",
            round + 1,
            d / b
        );
        dispatcher_rates.push(d);
        dispatcher_bare_rates.push(b);
        dispatcher_ratios.push(d / b);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (n, b) = (median(&mut notifier_rates), median(&mut bare_rates));
    // The ratio of each round pairs runs seconds apart on the same server; rates alone drift
    // with the machine's other load, so the median of those ratios is the measure.
    println!(
        "sms/{messages} SMS, window {WINDOW} (median of {} rounds): SmsNotifier {n:.0} SMS/s, bare rusmppc {b:.0} SMS/s, throughput ratio {:.2} (median of round ratios; target >= 0.80)",
        notifier_rates.len(),
        median(&mut ratios)
    );
    let (d, b) = (
        median(&mut dispatcher_rates),
        median(&mut dispatcher_bare_rates),
    );
    println!(
        "sms-dispatcher/{messages} SMS, window {WINDOW} (median of {} rounds): Dispatcher + SmsNotifier {d:.0} SMS/s, bare rusmppc {b:.0} SMS/s, throughput ratio {:.2} (median of round ratios; target >= 0.80)",
        dispatcher_rates.len(),
        median(&mut dispatcher_ratios)
    );
    Ok(())
}

/// Records what the dispatcher delivered, so the bare loop sends the very same segments.
struct Recording<N> {
    inner: N,
    seen: Mutex<Vec<(Notification, Delivered)>>,
}

#[async_trait]
impl<N: Notifier> Notifier for Recording<N> {
    async fn deliver(&self, n: &Notification) -> Result<Delivered, NotifyError> {
        let delivered = self.inner.deliver(n).await?;
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((n.clone(), delivered.clone()));
        Ok(delivered)
    }
}

type BenchDispatcher = Dispatcher<Arc<MemoryStore>, Arc<Recording<SmsNotifier>>, Arc<ManualClock>>;

/// `messages` SMS invitations to `+7{code}{run}{i}`, committed (not timed), and a dispatcher
/// over a bound `SmsNotifier` with `WINDOW` deliveries in flight, ready to drain them.
async fn prepared_dispatcher(
    url: &str,
    messages: usize,
    code: u16,
    run: u128,
) -> Result<(Arc<BenchDispatcher>, Arc<Recording<SmsNotifier>>), BoxError> {
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
    for i in 0..messages {
        let to = Contact::parse_phone(&format!("+7{code}{run:03}{i:04}"))?;
        let access = Access::user(Role::ReadOnly);
        service
            .invite(&admin, org.id, to, Channel::Sms, access)
            .await?;
    }
    let notifier = SmsNotifier::from_url(url)?.build()?;
    notifier.connect().await?; // bound before the clock starts, as the bare client is
    let recording = Arc::new(Recording {
        inner: notifier,
        seen: Mutex::new(Vec::new()),
    });
    let config = DispatcherConfig {
        concurrency: WINDOW, // as many in flight as the session's window
        ..DispatcherConfig::new("https://app.example.com/signup?token=")
    };
    let dispatcher = Dispatcher::new(store, recording.clone(), clock, config);
    Ok((Arc::new(dispatcher), recording))
}

/// Drains a prepared dispatcher; its time, and what it delivered.
///
/// The drain runs in a task of its own on the runtime's workers, as an application's
/// dispatcher loop does (the guide's `tokio::spawn(supervise(...))`), and as the notifier's
/// and the bare loop's sends do: driven from `block_on`'s thread instead, every answer the
/// connection task reads would have to wake that other thread.
async fn through_dispatcher(
    dispatcher: &Arc<BenchDispatcher>,
    recording: &Recording<SmsNotifier>,
    messages: usize,
) -> Result<(Duration, Vec<Notification>), BoxError> {
    let dispatcher = dispatcher.clone();
    let t = Instant::now();
    let report = tokio::spawn(async move { dispatcher.drain().await }).await??;
    let elapsed = t.elapsed();
    assert_eq!(report.sent as usize, messages, "every message delivered");
    let seen = std::mem::take(&mut *recording.seen.lock().unwrap_or_else(|e| e.into_inner()));
    let parts: u32 = seen.iter().map(|(_, d)| d.parts).sum();
    assert_eq!(parts as usize, messages, "one segment each");
    Ok((elapsed, seen.into_iter().map(|(n, _)| n).collect()))
}

/// Dispatcher, bare, bare, dispatcher: on a shared machine the load drifts, and this order
/// gives both sides the same share of it (and of the server's warm-up). The bare loops send
/// the first dispatcher's segments to fresh numbers. Returns both rates, SMS/s.
async fn dispatcher_round(
    url: &str,
    port: u16,
    messages: usize,
    run: u128,
) -> Result<(f64, f64), BoxError> {
    let first = prepared_dispatcher(url, messages, 908, run).await?;
    let second = prepared_dispatcher(url, messages, 909, run).await?;
    let client = bare_client(port).await?;
    let (d1, seen) = through_dispatcher(&first.0, &first.1, messages).await?;
    let pdus = |code: u16| -> Result<Vec<SubmitSm>, BoxError> {
        seen.iter()
            .enumerate()
            .map(|(i, n)| {
                let mut n = n.clone();
                n.to = format!("+7{code}{run:03}{i:04}");
                bare_pdu(&first.1.inner, &n)
            })
            .collect()
    };
    let (bare_1, bare_2) = (pdus(910)?, pdus(911)?);
    let b1 = through_bare_client(&client, bare_1).await?;
    let b2 = through_bare_client(&client, bare_2).await?;
    let (d2, _) = through_dispatcher(&second.0, &second.1, messages).await?;
    first.1.inner.close().await;
    second.1.inner.close().await;
    let _ = client.unbind().await;
    let _ = client.close().await;
    let rate = |a: Duration, b: Duration| 2.0 * messages as f64 / (a + b).as_secs_f64();
    Ok((rate(d1, d2), rate(b1, b2)))
}

/// The notifier: every message a concurrent `deliver`, the window full.
async fn through_notifier(
    notifier: &SmsNotifier,
    batch: Vec<Notification>,
) -> Result<Duration, BoxError> {
    let messages = batch.len();
    let t = Instant::now();
    let mut tasks = JoinSet::new();
    for n in batch {
        let notifier = notifier.clone();
        tasks.spawn(async move { notifier.deliver(&n).await });
    }
    let mut parts = 0u32;
    while let Some(result) = tasks.join_next().await {
        parts += result??.parts;
    }
    let elapsed = t.elapsed();
    assert_eq!(parts as usize, messages, "one segment each");
    Ok(elapsed)
}

/// A bare rusmppc client, bound like the notifier.
async fn bare_client(port: u16) -> Result<rusmppc::Client, BoxError> {
    let (client, _events) = rusmppc::ConnectionBuilder::new()
        .disable_interface_version_check()
        .connect(format!("smpp://127.0.0.1:{port}"))
        .await?;
    client
        .bind_transceiver(
            BindTransceiver::builder()
                .system_id(COctetString::from_str("invite")?)
                .password(COctetString::from_str("secret")?)
                .system_type(COctetString::empty())
                .interface_version(InterfaceVersion::Smpp3_4)
                .addr_ton(Ton::Unknown)
                .addr_npi(Npi::Unknown)
                .address_range(COctetString::empty())
                .build(),
        )
        .await?;
    Ok(client)
}

/// The bare loop: the same number of `submit_sm` outstanding at once.
async fn through_bare_client(
    client: &rusmppc::Client,
    pdus: Vec<SubmitSm>,
) -> Result<Duration, BoxError> {
    let window = Arc::new(Semaphore::new(WINDOW));
    let t = Instant::now();
    let mut tasks = JoinSet::new();
    for pdu in pdus {
        let (client, window) = (client.clone(), window.clone());
        tasks.spawn(async move {
            let _permit = window.acquire_owned().await;
            client.submit_sm(pdu).await.map(drop)
        });
    }
    while let Some(result) = tasks.join_next().await {
        result??;
    }
    Ok(t.elapsed())
}

/// The `submit_sm` the notifier sends for `n`, built by hand from its segments.
fn bare_pdu(notifier: &SmsNotifier, n: &Notification) -> Result<SubmitSm, BoxError> {
    let encoded = notifier.encode(n)?;
    let source = notifier.source();
    Ok(SubmitSm::builder()
        .source_addr_ton(Ton::from(source.ton()))
        .source_addr_npi(Npi::from(source.npi()))
        .source_addr(COctetString::from_str(source.address())?)
        .dest_addr_ton(Ton::International)
        .dest_addr_npi(Npi::Isdn)
        .destination_addr(COctetString::from_str(n.to.trim_start_matches('+'))?)
        .esm_class(EsmClass::default())
        .registered_delivery(RegisteredDelivery::default())
        .data_coding(DataCoding::from(encoded.coding.data_coding()))
        .short_message(OctetString::from_vec(encoded.short_message(0, 0))?)
        .build())
}

fn notification(to: &str, i: usize) -> Notification {
    Notification {
        message_id: MessageId::new(),
        invitation: InvitationId::new(),
        kind: MessageKind::Invitation,
        channel: Channel::Sms,
        to: to.to_owned(),
        invitee: to.to_owned(),
        language: Language::En,
        org_name: "Bench Org".into(),
        sender_name: "Bench Admin".into(),
        invitation_type: InvitationType::User,
        grants: Vec::new(),
        signup_url: Some(SignupUrl::new(format!(
            "https://app.example.com/signup?token=bench-{i:06}-0123456789abcdefghijklmnopqrstu"
        ))),
        expires_at: Some(start()),
        time_zone: chrono_tz::Europe::Moscow,
        attempt: 1,
    }
}

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_772_442_000, 0).expect("a valid timestamp") // 2026-03-02 09:00 UTC
}

/// The server: the port of `SMPP_TEST_URL` if set, otherwise our own
/// `scripts/smpp_server.js` process, killed when the returned guard drops.
fn server() -> Result<(u16, Option<ServerGuard>), BoxError> {
    if let Ok(url) = std::env::var("SMPP_TEST_URL") {
        let port = url::Url::parse(&url)?
            .port()
            .ok_or("SMPP_TEST_URL has no port")?;
        return Ok((port, None));
    }
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts");
    if !scripts.join("node_modules/smpp").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--silent"])
            .current_dir(&scripts)
            .status()?;
        if !status.success() {
            return Err("npm ci in scripts/ failed".into());
        }
    }
    // The server writes a file per destination: on a RAM disk where there is one, so the
    // disk's write-back does not swing the server's rate (1,100 to 20,000 SMS/s between
    // rounds on /tmp here) and drown the ratio.
    let shm = Path::new("/dev/shm");
    let base = match shm.is_dir() {
        true => shm.to_path_buf(),
        false => std::env::temp_dir(),
    };
    let dir = base.join(format!("invite-bench-smpp-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = Command::new("node")
        .arg(scripts.join("smpp_server.js"))
        .args(["--port", &port.to_string(), "--exit-with-parent", "--dir"])
        .arg(&dir)
        .stdout(Stdio::null())
        .spawn()?;
    let guard = ServerGuard { child, dir };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("the SMPP server did not start".into());
        }
        std::thread::sleep(Duration::from_millis(50)); // waiting for a process to listen
    }
    Ok((port, Some(guard)))
}

struct ServerGuard {
    child: Child,
    dir: std::path::PathBuf,
}

impl Drop for ServerGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
