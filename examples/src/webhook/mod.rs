//! A webhook relay: the event feed, POSTed one event at a time to a URL of the application's
//! choosing, as Clerk and WorkOS send `invitation.created`, `invitation.accepted` and
//! `invitation.revoked` webhooks.
//!
//! Each event of [`InvitationService::events`] (read as [`Actor::Application`], every
//! organization's) is sent, in feed order, as its [`FeedEvent`] JSON with these headers:
//!
//! | header | value |
//! |---|---|
//! | `Invite-Event` | the event's name, e.g. `invitation.accepted` |
//! | `Invite-Delivery` | the audit event's id: the same on every retry, so receivers deduplicate by it |
//! | `Invite-Signature` | `t=<unix>,v1=<hex>`, HMAC-SHA256 of `<t>.<body>` with the shared secret ([`signature`]) |
//!
//! The answer decides what happens next ([`Verdict::of`]): a 2xx accepts the event; a 408,
//! a 429, a 5xx, a redirect or a network error is retried with exponential back-off and
//! jitter ([`Backoff`]); any other 4xx rejects it for good: it is logged, reported in
//! [`RelayReport::skipped`] and passed over. The [`CursorFile`] is written after each event
//! accepted or skipped, never before, so delivery is at least once and a crash re-sends at
//! most the event in flight. After [`Backoff::max_attempts`] the relay stops at the failing
//! event (it is never skipped for a server error) and starts again from it on the next call.
//!
//! [`Relay::relay_once`] handles one page of the feed and says what it did; [`Relay::run`]
//! is the worker loop around it: it survives failing iterations, waits when it is caught up,
//! and stops cleanly when the shutdown signal is raised, between two events or during a wait
//! (an attempt in flight finishes first, bounded by the request timeout).
//!
//! ```no_run
//! use invite_core::{InvitationService, MemoryStore, SystemClock};
//! use invite_examples::webhook::{Relay, RelayConfig};
//! use std::sync::Arc;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let service = Arc::new(InvitationService::new(MemoryStore::new(), SystemClock));
//! let config = RelayConfig::new(
//!     "https://hooks.example.com/invite",
//!     "whsec_shared_secret",
//!     "/var/lib/app/webhook.cursor",
//! )?;
//! let (stop, shutdown) = tokio::sync::watch::channel(false);
//! let relay = Relay::new(service, config)?.with_shutdown(shutdown);
//! tokio::spawn(async move {
//!     let _ = tokio::signal::ctrl_c().await;
//!     let _ = stop.send(true);
//! });
//! let summary = relay.run(|report| println!("{report:?}")).await;
//! println!("{} delivered, {} skipped", summary.delivered, summary.skipped);
//! # Ok(()) }
//! ```

pub mod backoff;
pub mod cursor;
pub mod report;
pub mod signature;

pub use backoff::{Backoff, Pause, TokioSleep};
pub use cursor::CursorFile;
pub use report::{Posted, RelayError, RelayReport, RunSummary, Stop, Verdict};

use invite_core::feed::{FeedEvent, FeedQuery};
use invite_core::{Actor, Clock, InvitationService, Store};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The header naming the event.
pub const EVENT_HEADER: &str = "Invite-Event";
/// The header with the delivery id (the audit event's id), stable across retries.
pub const DELIVERY_HEADER: &str = "Invite-Delivery";
/// The header with the signature ([`signature::sign`]).
pub const SIGNATURE_HEADER: &str = "Invite-Signature";

/// Where and how to relay.
#[derive(Clone)]
pub struct RelayConfig {
    /// The receiver's URL (http or https).
    pub url: reqwest::Url,
    /// The secret shared with the receiver, for the signatures.
    pub secret: Vec<u8>,
    /// Where the cursor is kept.
    pub cursor_file: PathBuf,
    /// Events read from the feed per [`Relay::relay_once`] (1 to 1,000; 100 by default).
    pub page_size: u32,
    /// Retries of a failing POST.
    pub backoff: Backoff,
    /// The longest one POST may take, connecting included (10 s by default).
    pub request_timeout: Duration,
    /// How long [`Relay::run`] waits when the feed has nothing new (1 s by default).
    pub idle: Duration,
}

impl RelayConfig {
    /// Defaults for `url`, `secret` and the cursor file; refuses a URL that is not http(s)
    /// and an empty secret.
    pub fn new(
        url: &str,
        secret: impl Into<Vec<u8>>,
        cursor_file: impl Into<PathBuf>,
    ) -> Result<Self, RelayError> {
        let url =
            reqwest::Url::parse(url).map_err(|e| RelayError::Config(format!("{url}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(RelayError::Config(format!("{url}: not an http(s) URL")));
        }
        let secret = secret.into();
        if secret.is_empty() {
            return Err(RelayError::Config("the signing secret is empty".into()));
        }
        Ok(Self {
            url,
            secret,
            cursor_file: cursor_file.into(),
            page_size: 100,
            backoff: Backoff::default(),
            request_timeout: Duration::from_secs(10),
            idle: Duration::from_secs(1),
        })
    }
}

/// The secret stays out of logs.
impl fmt::Debug for RelayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelayConfig")
            .field("url", &self.url.as_str())
            .field("secret", &"<redacted>")
            .field("cursor_file", &self.cursor_file)
            .field("page_size", &self.page_size)
            .field("backoff", &self.backoff)
            .field("request_timeout", &self.request_timeout)
            .field("idle", &self.idle)
            .finish()
    }
}

/// How one event went.
enum Delivery {
    /// Accepted, or rejected for good, with the start of the receiver's answer.
    Done {
        status: u16,
        attempts: u32,
        accepted: bool,
        answer: String,
    },
    Stopped(Stop),
}

/// The relay: reads the feed after its cursor and POSTs each event.
pub struct Relay<S, C> {
    service: Arc<InvitationService<S, C>>,
    config: RelayConfig,
    client: reqwest::Client,
    cursor: CursorFile,
    pause: Arc<dyn Pause>,
    shutdown: watch::Receiver<bool>,
}

impl<S: Store, C: Clock> Relay<S, C> {
    /// A relay of `service`'s feed, waiting on tokio's timer, with no shutdown signal.
    pub fn new(
        service: Arc<InvitationService<S, C>>,
        config: RelayConfig,
    ) -> Result<Self, RelayError> {
        if !(1..=1000).contains(&config.page_size) {
            return Err(RelayError::Config("page_size must be 1 to 1,000".into()));
        }
        let client = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout)
            // A redirect is answered as it is (retried, see `Verdict`): a POST that follows
            // one may turn into a GET, or carry the signature to another host.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("invite-webhook-relay/", env!("CARGO_PKG_VERSION")))
            .build()?;
        // No one holds the sender: the signal is never raised.
        let (_, shutdown) = watch::channel(false);
        Ok(Self {
            service,
            cursor: CursorFile::new(config.cursor_file.clone()),
            config,
            client,
            pause: Arc::new(TokioSleep),
            shutdown,
        })
    }

    /// Waits with `pause` instead of tokio's timer (tests: a pause that returns at once).
    pub fn with_pause(mut self, pause: impl Pause + 'static) -> Self {
        self.pause = Arc::new(pause);
        self
    }

    /// Stops when `shutdown` turns `true`.
    pub fn with_shutdown(mut self, shutdown: watch::Receiver<bool>) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// The cursor file.
    pub fn cursor(&self) -> &CursorFile {
        &self.cursor
    }

    /// Relays one page of the feed after the stored cursor: each event in order, retried as
    /// [`Backoff`] says, the cursor stored after each event accepted or skipped.
    pub async fn relay_once(&self) -> Result<RelayReport, RelayError> {
        let mut shutdown = self.shutdown.clone();
        let after = self.cursor.load()?;
        let query = FeedQuery {
            after,
            limit: self.config.page_size,
            ..FeedQuery::all()
        };
        let page = self.service.events(&Actor::Application, &query).await?;
        let mut report = RelayReport {
            after,
            cursor: after,
            ..RelayReport::default()
        };
        for event in &page.events {
            if *shutdown.borrow() {
                report.stopped = Some(Stop::Shutdown);
                break;
            }
            let done = self.deliver(event, &mut shutdown).await?;
            let (status, attempts, accepted, answer) = match done {
                Delivery::Done {
                    status,
                    attempts,
                    accepted,
                    answer,
                } => (status, attempts, accepted, answer),
                Delivery::Stopped(stop) => {
                    report.stopped = Some(stop);
                    break;
                }
            };
            self.cursor.store(event.position)?;
            report.cursor = Some(event.position);
            let posted = Posted {
                position: event.position,
                name: event.name.clone(),
                delivery: event.event.id,
                status,
                attempts,
            };
            if accepted {
                report.delivered.push(posted);
            } else {
                tracing::warn!(
                    event = %posted.name, delivery = %posted.delivery, status, %answer,
                    "webhook receiver rejected the event for good; skipped"
                );
                report.skipped.push(posted);
            }
        }
        Ok(report)
    }

    /// The worker loop: [`Relay::relay_once`] again and again, handing each result to
    /// `on_report`, until the shutdown signal. A page that relayed something is followed at
    /// once by the next; an empty one waits [`RelayConfig::idle`]; a failed iteration (an
    /// error, or an event that kept failing) waits with back-off, growing while failures
    /// follow one another, and the loop goes on.
    pub async fn run(
        &self,
        mut on_report: impl FnMut(Result<&RelayReport, &RelayError>),
    ) -> RunSummary {
        let mut shutdown = self.shutdown.clone();
        let mut summary = RunSummary::default();
        let mut failures = 0;
        while !*shutdown.borrow() {
            let result = self.relay_once().await;
            on_report(result.as_ref());
            let failed = match &result {
                Ok(report) => {
                    summary.delivered += report.delivered.len() as u64;
                    summary.skipped += report.skipped.len() as u64;
                    match &report.stopped {
                        Some(Stop::Shutdown) => break,
                        Some(Stop::GaveUp { .. }) => true,
                        None if report.is_idle() => false,
                        // Progress: the next page at once.
                        None => {
                            failures = 0;
                            continue;
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "webhook relay iteration failed; will retry");
                    true
                }
            };
            let delay = if failed {
                summary.failed_iterations += 1;
                failures += 1;
                self.config.backoff.jittered(failures)
            } else {
                failures = 0;
                self.config.idle
            };
            if !self.wait(delay, &mut shutdown).await {
                break;
            }
        }
        summary
    }

    /// POSTs one event until it is accepted, rejected, given up on, or shutdown.
    async fn deliver(
        &self,
        event: &FeedEvent,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<Delivery, RelayError> {
        let body = serde_json::to_vec(event)?;
        let backoff = self.config.backoff;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let last_error = match self.post(event, &body).await {
                Ok((status, answer)) => {
                    let verdict = Verdict::of(status);
                    if verdict != Verdict::Retry {
                        let accepted = verdict == Verdict::Accepted;
                        return Ok(Delivery::Done {
                            status,
                            attempts,
                            accepted,
                            answer,
                        });
                    }
                    match answer.as_str() {
                        "" => format!("HTTP {status}"),
                        answer => format!("HTTP {status}: {answer}"),
                    }
                }
                Err(e) => e,
            };
            if attempts >= backoff.max_attempts.max(1) {
                tracing::warn!(event = %event.name, attempts, %last_error, "webhook delivery failing; giving up for now");
                return Ok(Delivery::Stopped(Stop::GaveUp {
                    position: event.position,
                    name: event.name.clone(),
                    delivery: event.event.id,
                    attempts,
                    last_error,
                }));
            }
            let delay = backoff.jittered(attempts);
            tracing::info!(event = %event.name, attempts, %last_error, ?delay, "webhook delivery failed; retrying");
            if !self.wait(delay, shutdown).await {
                return Ok(Delivery::Stopped(Stop::Shutdown));
            }
        }
    }

    /// One signed POST: the receiver's status and the start of its answer, or why there is
    /// none.
    async fn post(&self, event: &FeedEvent, body: &[u8]) -> Result<(u16, String), String> {
        // Signed at each attempt, with the service's clock: a retry is not a stale replay.
        let timestamp = self.service.clock().now().timestamp();
        let signature = signature::sign(&self.config.secret, timestamp, body);
        let mut response = self
            .client
            .post(self.config.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(EVENT_HEADER, &event.name)
            .header(DELIVERY_HEADER, event.event.id.to_string())
            .header(SIGNATURE_HEADER, signature)
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| error_chain(&e))?;
        // Read a bounded part of the answer (within the request timeout): a connection goes
        // back to the pool once its body is read, and a refusal's first words go in the log.
        let mut answer = Vec::new();
        while answer.len() < 64 * 1024 {
            match response.chunk().await {
                Ok(Some(chunk)) => answer.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        let answer: String = String::from_utf8_lossy(&answer).chars().take(200).collect();
        Ok((response.status().as_u16(), answer.trim().to_owned()))
    }

    /// Waits `delay`; `false` if the shutdown signal came first.
    async fn wait(&self, delay: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
        tokio::select! {
            biased;
            () = raised(shutdown) => false,
            // Raised while the pause ended: stop all the same.
            () = self.pause.pause(delay) => !*shutdown.borrow(),
        }
    }
}

/// Returns once the signal is raised; never, if no one can raise it any more.
async fn raised(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// An error with its causes: reqwest's own message alone rarely says what went wrong.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_refused() {
        assert!(RelayConfig::new("ftp://x", "s", "c").is_err());
        assert!(RelayConfig::new("not a url", "s", "c").is_err());
        assert!(RelayConfig::new("http://127.0.0.1:1/", "", "c").is_err());
        let config = RelayConfig::new("http://127.0.0.1:1/", "s3cret", "c").unwrap();
        assert!(!format!("{config:?}").contains("s3cret"));
    }
}
