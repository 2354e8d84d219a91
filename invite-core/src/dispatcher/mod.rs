//! The outbox dispatcher (R7): claims a batch of due messages under a lease, decides for each
//! whether it still applies, mints and commits the links, delivers with bounded concurrency,
//! and records every outcome.
//!
//! One batch, [`Dispatcher::dispatch_due`]:
//! 1. **Claim** up to `batch_size` due messages under a lease (R7.3).
//! 2. **Load** what they need in three reads: their invitations, their organizations, the
//!    clients their grants name (and, for accepted notices, the senders' members).
//! 3. **Decide** each ([`decide::delivery::judge`](crate::decide::delivery::judge)): deliver
//!    (with a new link or without), drop (no longer applies) or fail (a channel the
//!    organization stopped allowing).
//! 4. **Commit the links** of the batch in one commit, hashes only, before any message can
//!    arrive: the link works the moment it is read, and the plain token never touches
//!    storage (R6.1, R7.4).
//! 5. **Deliver** with at most `concurrency` messages in flight. A success records the send
//!    (the validity period starts, R4.3); a transient failure is retried with back-off and
//!    jitter; a permanent one, or the last attempt, fails the invitation with the reason
//!    (R7.2); a transport failure gives the attempt back and counts towards the circuit
//!    breaker, which pauses delivery after repeated ones and resumes by itself.
//! 6. **Record** the batch's outcomes in one commit; a message whose lease was lost meanwhile
//!    is left to its new holder, the rest is recorded.
//!
//! **A failing message never holds up the others.** A failure of one message (a link that
//! cannot be minted, a delivery that fails, a record the store will not take) is recorded
//! against that message, which is retried with back-off; the rest of the batch goes on. When
//! the links' or the outcomes' commit fails, each message is committed on its own, and a store
//! that still answers reads is taken to refuse that message only (`isolate.rs`). A failure
//! that stops the whole batch before delivery (the store is down) releases its claims at once
//! instead of leaving them to their lease.
//!
//! Several dispatchers may run at once: claims are exclusive while their lease lasts, and a
//! dispatcher that dies mid-batch leaves its messages to be claimed again when the lease runs
//! out. Delivery is at least once; the stable [`crate::MessageId`] lets receivers spot the rare
//! duplicate.

mod breaker;
mod isolate;
mod notification;
mod prepare;
mod record;

pub use breaker::{BreakerConfig, DispatcherHealth};

use crate::clock::Clock;
use crate::decide::delivery::Attempted;
use crate::error::Error;
use crate::ids::{InvitationId, OrgId, UserRef};
use crate::invitation::Invitation;
use crate::member::Member;
use crate::notifier::Notifier;
use crate::org::Organization;
use crate::outbox::{ClaimedMessage, RetryPolicy};
use crate::store::Store;
use breaker::Breaker;
use chrono::{DateTime, TimeDelta, Utc};
use futures_util::stream::{self, FuturesUnordered, StreamExt};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use tokio::sync::Semaphore;

/// Dispatcher settings.
#[derive(Clone, Debug, PartialEq)]
pub struct DispatcherConfig {
    /// The signup URL without the token; the token is appended. For example
    /// `https://app.example.com/signup?token=`.
    pub signup_url_base: String,
    /// How long a claim lasts; longer than the slowest batch takes to deliver.
    pub lease: TimeDelta,
    /// Messages claimed per batch (100 by default).
    pub batch_size: u32,
    /// Messages in flight at once (8 by default). Size the notifier's connection pool to
    /// match: `SmtpNotifier`'s `pool_max_size`, say.
    pub concurrency: usize,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
    /// When repeated transport failures pause delivery.
    pub breaker: BreakerConfig,
    /// How often recording a batch decides again after a conflict.
    pub max_conflict_retries: u32,
}

impl DispatcherConfig {
    /// Defaults with the given signup URL base: 5-minute lease, batches of 100, 8 in flight.
    pub fn new(signup_url_base: impl Into<String>) -> Self {
        Self {
            signup_url_base: signup_url_base.into(),
            lease: TimeDelta::minutes(5),
            batch_size: 100,
            concurrency: 8,
            retry: RetryPolicy::default(),
            breaker: BreakerConfig::default(),
            max_conflict_retries: 16,
        }
    }
}

/// What one [`Dispatcher::dispatch_due`] call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DispatchReport {
    /// Messages claimed.
    pub claimed: u32,
    /// Delivered.
    pub sent: u32,
    /// Failed transiently, retry scheduled.
    pub retried: u32,
    /// Failed for good.
    pub failed: u32,
    /// No longer applied.
    pub dropped: u32,
    /// Not attempted or failed by the transport: back in the outbox with their attempt.
    pub released: u32,
    /// Taken over by another dispatcher before this one finished.
    pub lease_lost: u32,
    /// Whether the circuit breaker paused delivery (nothing was claimed).
    pub paused: bool,
}

impl DispatchReport {
    fn add(&mut self, other: &DispatchReport) {
        self.claimed += other.claimed;
        self.sent += other.sent;
        self.retried += other.retried;
        self.failed += other.failed;
        self.dropped += other.dropped;
        self.released += other.released;
        self.lease_lost += other.lease_lost;
        self.paused |= other.paused;
    }

    fn count(&mut self, attempted: &Attempted) {
        match attempted {
            Attempted::Sent { .. } => self.sent += 1,
            Attempted::Retry { .. } => self.retried += 1,
            Attempted::Released { .. } => self.released += 1,
            Attempted::Failed(_) => self.failed += 1,
            Attempted::Dropped(_) => self.dropped += 1,
        }
    }
}

/// Delivers the outbox.
///
/// ```
/// use invite_core::*;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = std::sync::Arc::new(MemoryStore::new());
/// let notifier = std::sync::Arc::new(RecordingNotifier::new());
/// let config = DispatcherConfig::new("https://app.example.com/signup?token=");
/// let dispatcher = Dispatcher::new(store.clone(), notifier.clone(), SystemClock, config);
/// // A worker: one batch, then a short nap when nothing was due or delivery is paused.
/// let report = dispatcher.dispatch_due().await?;
/// assert_eq!(report.claimed, 0);
/// assert!(dispatcher.health().paused_until.is_none());
/// # Ok::<(), Error>(()) }).unwrap();
/// ```
pub struct Dispatcher<S, N, C> {
    store: S,
    notifier: N,
    clock: C,
    config: DispatcherConfig,
    breaker: Mutex<Breaker>,
}

/// What a batch's decisions need, loaded in three reads, and one per sender of the batch's
/// accepted notices.
struct Loaded {
    invitations: HashMap<InvitationId, Invitation>,
    orgs: HashMap<OrgId, Organization>,
    clients: HashMap<OrgId, Organization>,
    /// The active members tied to each notice's sender, by organization and user id.
    senders: HashMap<(OrgId, UserRef), Vec<Member>>,
}

impl<S: Store, N: Notifier, C: Clock> Dispatcher<S, N, C> {
    /// A dispatcher.
    pub fn new(store: S, notifier: N, clock: C, config: DispatcherConfig) -> Self {
        Self {
            store,
            notifier,
            clock,
            config,
            breaker: Mutex::new(Breaker::default()),
        }
    }

    fn breaker(&self) -> MutexGuard<'_, Breaker> {
        self.breaker.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether delivery is paused by the circuit breaker, and the transport's last failure.
    pub fn health(&self) -> DispatcherHealth {
        self.breaker().health(self.clock.now())
    }

    /// Claims one batch of due messages and handles it. Call it in a loop (sleeping a little
    /// when `claimed` is 0 or `paused` is set); run it in as many processes as you like.
    /// [`Dispatcher::drain`] does the same with the next batch prepared while this one is
    /// delivered, which is what a busy worker wants.
    pub async fn dispatch_due(&self) -> Result<DispatchReport, Error> {
        let in_flight = Semaphore::new(self.config.concurrency.max(1));
        self.dispatch_due_within(&in_flight).await
    }

    /// One batch, its deliveries holding a permit of `in_flight` each.
    async fn dispatch_due_within(&self, in_flight: &Semaphore) -> Result<DispatchReport, Error> {
        let now = self.clock.now();
        if self.breaker().is_open(now) {
            return Ok(DispatchReport {
                paused: true,
                ..DispatchReport::default()
            });
        }
        let claims = self
            .store
            .claim_due(now, self.config.lease, self.config.batch_size)
            .await?;
        if claims.is_empty() {
            return Ok(DispatchReport::default());
        }
        let mut report = self.dispatch(&claims, now, in_flight).await?;
        report.claimed = claims.len() as u32;
        Ok(report)
    }

    /// Dispatches until nothing is due at the clock's current time, or delivery is paused;
    /// for a worker's loop (sleeping a little when it returns), a batch job, or a test.
    ///
    /// Two batches overlap: while one is delivered, the next is claimed, loaded and its links
    /// committed, and its deliveries take the places the first one's tail frees; the first is
    /// recorded while the next is delivered. So the window of `concurrency` deliveries stays
    /// full across batch boundaries and the store's round trips hide behind delivery, while
    /// never more than `concurrency` messages are in flight. An error stops claiming; the batch
    /// still running is finished (and recorded) before the error is returned.
    ///
    /// Every delivery is polled by the task that awaits `drain`: run it in a task of the
    /// runtime (`tokio::spawn`, as the guide's worker loop does), not from `block_on`, whose
    /// thread every answer of the transport would have to wake (the SMS bench measured 0.7 of
    /// the bare client that way, 0.9 on a worker).
    pub async fn drain(&self) -> Result<DispatchReport, Error> {
        /// Batches under way at once: one delivering, one being prepared.
        const OVERLAP: usize = 2;
        let in_flight = Semaphore::new(self.config.concurrency.max(1));
        let mut running = FuturesUnordered::new();
        let mut total = DispatchReport::default();
        let mut claiming = true;
        let mut failure = None;
        loop {
            while claiming && running.len() < OVERLAP {
                running.push(self.dispatch_due_within(&in_flight));
            }
            match running.next().await {
                None => break,
                Some(Ok(r)) => {
                    total.add(&r);
                    if r.claimed == 0 || r.paused || r.claimed == r.released {
                        claiming = false;
                    }
                }
                Some(Err(e)) => {
                    claiming = false;
                    failure.get_or_insert(e);
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(total),
        }
    }

    async fn dispatch(
        &self,
        claims: &[ClaimedMessage],
        now: DateTime<Utc>,
        in_flight: &Semaphore,
    ) -> Result<DispatchReport, Error> {
        // Until delivery starts, a failure leaves nothing half done: release the claims at once
        // instead of leaving them to their lease.
        let prepared = match self.prepare(claims, now).await {
            Ok(p) => p,
            Err(e) => {
                self.release(claims, &e, now).await;
                return Err(e);
            }
        };
        let (loaded, mut attempted, deliveries) = prepared;
        let results: Vec<(usize, Attempted)> = stream::iter(deliveries)
            // `buffer_unordered` keeps this batch's futures to the window; the semaphore, shared
            // with the batch `drain` overlaps with this one, keeps both together to it.
            .map(|(i, n)| async move {
                // Never closed, so a permit always comes.
                let _permit = in_flight.acquire().await;
                (i, self.deliver(&claims[i], &n).await)
            })
            .buffer_unordered(self.config.concurrency.max(1))
            .collect()
            .await;
        for (i, a) in results {
            attempted[i] = Some(a);
        }
        let attempted: Vec<Attempted> = attempted
            .into_iter()
            .map(|a| a.unwrap_or_else(|| Attempted::Dropped("not decided".into())))
            .collect();
        self.record(claims, &attempted, &loaded, now).await
    }
}

/// A random number in `[0, 1)` for retry jitter, from the OS random source; 0.5 if it fails
/// (jitter is a courtesy to the server, not a security property).
fn jitter_unit() -> f64 {
    let mut bytes = [0u8; 4];
    match getrandom::fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}
