//! The SMPP session: connect (TLS if asked), bind, share one bound session between concurrent
//! deliveries up to a window of outstanding `submit_sm`, answer the SMSC's requests, and open
//! a new session when the link drops.
//!
//! rusmppc does the protocol work: framing, sequence numbers, matching responses to requests
//! (so many may be outstanding at once), `enquire_link` on an idle link and its answers,
//! response timeouts. This module adds what it leaves to its users: TLS with our own timeout
//! and error classes, the bind, the window, receipts, and reconnecting.

use crate::classify::{Request, SmppError};
use crate::config::{BindMode, Secret, SmsNotifierBuilder};
use crate::receipts::{Parts, ReportSink, parse_receipt};
use crate::redact::WithoutPdus;
use futures_util::StreamExt;
use futures_util::task::AtomicWaker;
use rusmpp::pdus::{BindTransceiver, BindTransmitter, DeliverSm, DeliverSmResp};
use rusmpp::tlvs::TlvValue;
use rusmpp::types::COctetString;
use rusmpp::values::{InterfaceVersion, Npi, Ton};
use rusmpp::{Command, CommandStatus, Pdu};
use rusmppc::{Client, ConnectionBuilder, Event};
use std::str::FromStr;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{Mutex, Semaphore, watch};
use tracing::instrument::WithSubscriber;

/// The longest PDU accepted from the SMSC: a deliver_sm with a long message_payload.
const MAX_COMMAND_LENGTH: usize = 64 * 1024;
/// Back-off between reconnection attempts after the link dropped.
const RECONNECT_FIRST: Duration = Duration::from_millis(200);
const RECONNECT_MAX: Duration = Duration::from_secs(30);

trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// What a session needs to open.
pub(crate) struct Settings {
    pub(crate) host: String,
    pub(crate) port: u16,
    tls: Option<(
        tokio_rustls::TlsConnector,
        rustls::pki_types::ServerName<'static>,
    )>,
    system_id: String,
    password: Secret,
    system_type: String,
    bind: BindMode,
    pub(crate) connect_timeout: Duration,
    pub(crate) response_timeout: Duration,
    enquire_link_interval: Duration,
    window: usize,
}

impl Settings {
    pub(crate) fn of(b: &SmsNotifierBuilder) -> Result<Self, crate::ConfigError> {
        let tls = if b.tls {
            let config = match &b.tls_config {
                Some(config) => config.clone(),
                None => Arc::new(default_tls_config()?),
            };
            let name = rustls::pki_types::ServerName::try_from(b.host.clone())
                .map_err(|e| crate::ConfigError::Tls(format!("{}: {e}", b.host)))?;
            Some((tokio_rustls::TlsConnector::from(config), name))
        } else {
            None
        };
        Ok(Self {
            host: b.host.clone(),
            port: b.default_port(),
            tls,
            system_id: b.system_id.clone(),
            password: b.password.clone(),
            system_type: b.system_type.clone(),
            bind: b.bind,
            connect_timeout: b.connect_timeout,
            response_timeout: b.response_timeout,
            enquire_link_interval: b.enquire_link_interval,
            window: b.window,
        })
    }
}

/// rustls with ring and the Mozilla roots; the provider is named, so no process-wide default
/// is needed.
fn default_tls_config() -> Result<rustls::ClientConfig, crate::ConfigError> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| crate::ConfigError::Tls(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

/// A bound session: the client handle and the window of outstanding `submit_sm`.
#[derive(Clone)]
pub(crate) struct Session {
    pub(crate) client: Client,
    window: Arc<Window>,
}

impl Session {
    /// A place in the window, for one `submit_sm` until the permit drops.
    pub(crate) async fn permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.window.permit().await
    }
}

/// The outstanding `submit_sm` of one session, shared with its connection ([`Nudged`]).
struct Window {
    permits: Semaphore,
    size: usize,
    /// Wakes the connection's task.
    nudge: AtomicWaker,
}

impl Window {
    fn new(size: usize) -> Self {
        Self {
            permits: Semaphore::new(size),
            size,
            nudge: AtomicWaker::new(),
        }
    }

    /// A permit. The first one taken on an idle session wakes the connection, so it reads the
    /// request even if its last poll left it unwoken; while permits are out, [`Nudged`]'s
    /// timer does.
    async fn permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        let permit = self.permits.acquire().await.ok();
        if self.permits.available_permits() + 1 == self.size {
            self.nudge.wake();
        }
        permit
    }

    fn busy(&self) -> bool {
        self.permits.available_permits() < self.size
    }
}

/// The session, if one is bound, and how the last attempt to open one failed.
#[derive(Default)]
struct Current {
    session: Option<Session>,
    failed: Option<(Instant, String)>,
}

/// The link to one SMSC, shared by every clone of the notifier.
pub(crate) struct Link {
    pub(crate) settings: Settings,
    current: Mutex<Current>,
    pub(crate) reports: ReportSink,
    pub(crate) parts: Parts,
    /// The application's subscriber without PDU dumps, for the connection tasks.
    dispatch: tracing::Dispatch,
    /// Dropped with the link: tells event readers to close their session.
    alive: watch::Sender<()>,
}

impl Link {
    pub(crate) fn new(settings: Settings, report_capacity: usize) -> Self {
        Self {
            settings,
            current: Mutex::new(Current::default()),
            reports: ReportSink::new(report_capacity),
            parts: Parts::new(),
            dispatch: WithoutPdus::current(),
            alive: watch::Sender::new(()),
        }
    }

    /// The bound session, opening one if there is none or the last one dropped. Concurrent
    /// callers wait for the one connection attempt under way and share its failure, rather
    /// than each trying again in turn.
    pub(crate) async fn session(self: &Arc<Self>) -> Result<Session, SmppError> {
        let asked = Instant::now();
        let mut current = self.current.lock().await;
        // `is_closed`, not `is_active`: the latter queues a ping on the connection's action
        // channel, and rusmppc 0.4 stops reading that channel (until the next PDU or timer
        // wakes it) after five actions in one poll, so a burst of pings stalls submits.
        if let Some(session) = current.session.as_ref().filter(|s| !s.client.is_closed()) {
            return Ok(session.clone());
        }
        if let Some((at, reason)) = &current.failed {
            if *at >= asked {
                return Err(SmppError::LinkLost(reason.clone()));
            }
        }
        current.session = None;
        match self.open().await {
            Ok(session) => {
                *current = Current {
                    session: Some(session.clone()),
                    failed: None,
                };
                Ok(session)
            }
            Err(e) => {
                current.failed = Some((Instant::now(), e.to_string()));
                Err(e)
            }
        }
    }

    /// Unbinds and closes the session, if any. The next delivery opens a new one.
    pub(crate) async fn close(&self) {
        let session = self.current.lock().await.session.take();
        if let Some(s) = session {
            let timeout = self.settings.response_timeout;
            let _ = tokio::time::timeout(timeout, s.client.unbind()).await;
            let _ = s.client.close().await;
        }
    }

    async fn open(self: &Arc<Self>) -> Result<Session, SmppError> {
        let s = &self.settings;
        let limit = s.connect_timeout;
        let within = |what: SmppError| move |_| what;
        let tcp = tokio::time::timeout(limit, TcpStream::connect((s.host.as_str(), s.port)))
            .await
            .map_err(within(SmppError::Timeout(limit)))?
            .map_err(|source| SmppError::Connect {
                addr: format!("{}:{}", s.host, s.port),
                source,
            })?;
        // Small PDUs, one request after another: do not wait for delayed ACKs.
        let _ = tcp.set_nodelay(true);
        let io: Box<dyn Io> = match &s.tls {
            None => Box::new(tcp),
            Some((connector, name)) => Box::new(
                tokio::time::timeout(limit, connector.connect(name.clone(), tcp))
                    .await
                    .map_err(within(SmppError::Timeout(limit)))?
                    .map_err(SmppError::Tls)?,
            ),
        };
        let (client, events, connection) = ConnectionBuilder::new()
            .max_command_length(MAX_COMMAND_LENGTH)
            .enquire_link_interval(s.enquire_link_interval)
            .enquire_link_response_timeout(s.response_timeout)
            .response_timeout(s.response_timeout)
            // rusmppc speaks SMPP 5.0 and refuses other binds unless told; 3.4 PDUs are the
            // same bytes for everything this crate sends and reads.
            .disable_interface_version_check()
            .no_spawn()
            .connected(io);
        let window = Arc::new(Window::new(s.window));
        let connection = Nudged::new(connection, window.clone());
        tokio::spawn(connection.with_subscriber(self.dispatch.clone()));
        let bound = tokio::time::timeout(limit, self.bind(&client))
            .await
            .map_err(within(SmppError::Timeout(limit)))
            .and_then(|r| r);
        if let Err(e) = bound {
            let _ = client.close().await;
            return Err(e);
        }
        tracing::info!(host = %s.host, port = s.port, system_id = %s.system_id, bind = ?s.bind, "SMPP session bound");
        let session = Session {
            client: client.clone(),
            window,
        };
        let reader = EventReader {
            link: Arc::downgrade(self),
            client,
            alive: self.alive.subscribe(),
        };
        tokio::spawn(reader.run(events));
        Ok(session)
    }

    async fn bind(&self, client: &Client) -> Result<(), SmppError> {
        let s = &self.settings;
        fn text<const MIN: usize, const MAX: usize>(
            value: &str,
        ) -> Result<COctetString<MIN, MAX>, SmppError> {
            // Validated when built; an error here would be a bug, reported, not a panic.
            COctetString::from_str(value)
                .map_err(|_| SmppError::Protocol("a bind field does not fit SMPP".into()))
        }
        let system_id: COctetString<1, 16> = text(&s.system_id)?;
        let password: COctetString<1, 9> = text(&s.password.0)?;
        let system_type: COctetString<1, 13> = text(&s.system_type)?;
        let result = match s.bind {
            BindMode::Transmitter => client
                .bind_transmitter(
                    BindTransmitter::builder()
                        .system_id(system_id.clone())
                        .password(password.clone())
                        .system_type(system_type.clone())
                        .interface_version(InterfaceVersion::Smpp3_4)
                        .addr_ton(Ton::Unknown)
                        .addr_npi(Npi::Unknown)
                        .address_range(COctetString::empty())
                        .build(),
                )
                .await
                .map(drop),
            BindMode::Transceiver => client
                .bind_transceiver(
                    BindTransceiver::builder()
                        .system_id(system_id.clone())
                        .password(password.clone())
                        .system_type(system_type.clone())
                        .interface_version(InterfaceVersion::Smpp3_4)
                        .addr_ton(Ton::Unknown)
                        .addr_npi(Npi::Unknown)
                        .address_range(COctetString::empty())
                        .build(),
                )
                .await
                .map(drop),
        };
        result.map_err(|e| SmppError::from_client(e, Request::Bind))
    }

    /// Opens a new session in the background after the link dropped, backing off while the
    /// SMSC stays away, so receipts keep coming and the next delivery finds a bound session.
    fn reconnect_later(link: Weak<Link>) {
        tokio::spawn(async move {
            let mut delay = RECONNECT_FIRST;
            loop {
                tokio::time::sleep(delay).await;
                let Some(link) = link.upgrade() else { return };
                match link.session().await {
                    Ok(_) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, retry_in = ?delay, "SMPP reconnect failed")
                    }
                }
                delay = (delay * 2).min(RECONNECT_MAX);
            }
        });
    }
}

/// How often the connection is polled again while a `submit_sm` is outstanding.
const NUDGE: Duration = Duration::from_millis(5);

/// rusmppc 0.4's connection future, polled again when a `submit_sm` takes a window permit and
/// every [`NUDGE`] while any permit is out. Its poll reads at most five client actions and
/// writes at most five frames per call and then returns `Pending` without waking itself; now
/// and then nothing else wakes it, and a request sits unsent until the next `enquire_link`
/// timer, 30 seconds on (seen in the SMS bench, in our notifier and in a bare rusmppc loop).
/// The nudges bound that stall to a few milliseconds, and cost nothing on an idle session.
/// Drop this when rusmppc wakes itself after its poll limits.
struct Nudged<F> {
    connection: std::pin::Pin<Box<F>>,
    window: Arc<Window>,
    tick: std::pin::Pin<Box<tokio::time::Sleep>>,
}

impl<F> Nudged<F> {
    fn new(connection: F, window: Arc<Window>) -> Self {
        Self {
            connection: Box::pin(connection),
            window,
            tick: Box::pin(tokio::time::sleep(NUDGE)),
        }
    }
}

impl<F: std::future::Future<Output = ()>> std::future::Future for Nudged<F> {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        self.window.nudge.register(cx.waker());
        if self.connection.as_mut().poll(cx).is_ready() {
            return std::task::Poll::Ready(());
        }
        if self.window.busy() && self.tick.as_mut().poll(cx).is_ready() {
            let next = tokio::time::Instant::now() + NUDGE;
            self.tick.as_mut().reset(next);
            cx.waker().wake_by_ref();
        }
        std::task::Poll::Pending
    }
}

/// Reads what the SMSC sends on one session until it ends.
struct EventReader {
    link: Weak<Link>,
    client: Client,
    alive: watch::Receiver<()>,
}

impl EventReader {
    async fn run(mut self, mut events: impl futures_util::Stream<Item = Event> + Unpin) {
        loop {
            let event = tokio::select! {
                event = events.next() => event,
                // The notifier is gone: close the session it left.
                _ = self.alive.changed() => {
                    let _ = self.client.close().await;
                    return;
                }
            };
            match event {
                None => break,
                Some(Event::Incoming(command)) => self.incoming(command).await,
                Some(Event::Error(e)) => tracing::warn!(error = %e, "SMPP link error"),
            }
        }
        tracing::warn!("SMPP link down; reconnecting");
        Link::reconnect_later(self.link);
    }

    async fn incoming(&self, command: Command) {
        let sequence = command.sequence_number();
        match command.pdu() {
            Some(Pdu::DeliverSm(deliver_sm)) => {
                if let Some(link) = self.link.upgrade() {
                    receipt(&link, deliver_sm).await;
                }
                let _ = self
                    .client
                    .deliver_sm_resp(sequence, DeliverSmResp::default())
                    .await;
            }
            Some(Pdu::Unbind) => {
                tracing::info!("the SMSC unbinds; closing the session");
                let _ = self.client.unbind_resp(sequence).await;
                let _ = self.client.close().await;
            }
            // A response whose request timed out: nothing waits for it any more.
            _ if command.id().is_response() => {}
            _ => {
                tracing::debug!(id = ?command.id(), "unsupported SMPP request; answering generic_nack");
                let _ = self
                    .client
                    .status(CommandStatus::EsmeRinvcmdid)
                    .generic_nack(sequence)
                    .await;
            }
        }
    }
}

/// Hands a delivery receipt on as a report, once its message is known.
async fn receipt(link: &Arc<Link>, deliver_sm: &DeliverSm) {
    let mut receipted_id = None;
    let mut state = None;
    for tlv in deliver_sm.tlvs() {
        match tlv.value() {
            Some(TlvValue::ReceiptedMessageId(id)) => receipted_id = Some(id.as_str().to_owned()),
            Some(TlvValue::MessageState(s)) => state = Some(u8::from(*s)),
            _ => {}
        }
    }
    let Some(report) = parse_receipt(
        u8::from(deliver_sm.esm_class),
        deliver_sm.short_message().as_ref(),
        receipted_id.as_deref(),
        state,
    ) else {
        tracing::debug!("deliver_sm that is no final delivery receipt; acknowledged");
        return;
    };
    if link.parts.ready(&report.provider_id) {
        if let Some(report) = link.parts.resolve(report) {
            link.reports.send(report).await;
        }
        return;
    }
    // Perhaps a part of a text still being submitted: wait for it off the read loop.
    let patience = link.settings.response_timeout * 2;
    let link = link.clone();
    tokio::spawn(async move {
        if let Some(report) = link.parts.settle(report, patience).await {
            link.reports.send(report).await;
        }
    });
}
