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

pub use breaker::{BreakerConfig, DispatcherHealth};

use crate::clock::Clock;
use crate::decide::Decision;
use crate::decide::delivery::{self as decide, Attempted, BatchRecord, Verdict};
use crate::error::Error;
use crate::ids::{InvitationId, OrgId, UserRef};
use crate::invitation::Invitation;
use crate::member::Member;
use crate::notifier::{Notification, Notifier, SignupUrl};
use crate::org::Organization;
use crate::outbox::{ClaimedMessage, RetryPolicy};
use crate::retry::commit_decided;
use crate::store::{Commit, Conflict, Store};
use crate::token::{LinkRecord, LinkToken};
use breaker::Breaker;
use chrono::{DateTime, TimeDelta, Utc};
use futures_util::stream::{self, FuturesUnordered, StreamExt};
use std::collections::{HashMap, HashSet};
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

    /// Loads, decides, and commits the links: what to deliver, and the outcomes already known.
    #[allow(clippy::type_complexity)]
    async fn prepare(
        &self,
        claims: &[ClaimedMessage],
        now: DateTime<Utc>,
    ) -> Result<(Loaded, Vec<Option<Attempted>>, Vec<(usize, Notification)>), Error> {
        let loaded = self.load(claims).await?;
        let mut attempted = vec![None; claims.len()];
        let mut deliveries = Vec::new();
        let mut links = Vec::new();
        for (i, claim) in claims.iter().enumerate() {
            let msg = &claim.message;
            let inv = loaded.invitations.get(&msg.invitation);
            let org = loaded.orgs.get(&msg.org);
            let with_link = match decide::judge(msg, inv, org, now) {
                Verdict::Drop(reason) => {
                    attempted[i] = Some(Attempted::Dropped(reason));
                    continue;
                }
                Verdict::Fail(failure) => {
                    attempted[i] = Some(Attempted::Failed(failure));
                    continue;
                }
                Verdict::Deliver { with_link } => with_link,
            };
            let (Some(inv), Some(org)) = (inv, org) else {
                continue;
            };
            let (url, expires_at) = match with_link {
                true => {
                    let token = match LinkToken::mint() {
                        Ok(token) => token,
                        Err(e) => {
                            // The random source is not the message's fault: it is given its
                            // attempt back and tries again after the back-off; the batch goes on.
                            let unit = jitter_unit();
                            let delay = self.config.retry.jittered_delay_after(msg.attempts, unit);
                            attempted[i] = Some(Attempted::Released {
                                due_at: crate::clock::saturating_add(now, delay),
                                error: format!("could not mint a link: {e}"),
                            });
                            continue;
                        }
                    };
                    links.push((
                        i,
                        LinkRecord {
                            hash: token.hash(),
                            invitation: inv.id,
                            generation: inv.link_generation(),
                            issued_at: now,
                        },
                    ));
                    let url = format!("{}{}", self.config.signup_url_base, token.expose());
                    let expires_at = decide::link_expiry(msg, inv, org.settings.validity, now);
                    (Some(SignupUrl::new(url)), expires_at)
                }
                false => (None, None),
            };
            // A message not to the invitee (an accepted notice) goes to its sender, if there
            // is one to tell; otherwise it no longer applies.
            let recipient = match msg.kind.is_to_invitee() {
                true => None,
                false => {
                    let senders = loaded.senders.get(&(inv.org, inv.sender.user.clone()));
                    let senders = senders.map_or(&[][..], |m| &m[..]);
                    match crate::decide::notices::recipient(inv, org, senders) {
                        Ok(to) => Some(to),
                        Err(reason) => {
                            attempted[i] = Some(Attempted::Dropped(reason));
                            continue;
                        }
                    }
                }
            };
            let link = (url, expires_at);
            let n = notification::notification(msg, inv, org, &loaded.clients, link, recipient);
            deliveries.push((i, n));
        }
        // The hashes are stored before any link can reach anyone. A message whose link the
        // store would not take is not delivered: it waits and tries again.
        for (i, why) in self.commit_links(claims, links, now).await? {
            attempted[i] = Some(self.postponed(&claims[i], why, now));
            deliveries.retain(|(j, _)| *j != i);
        }
        Ok((loaded, attempted, deliveries))
    }

    /// Commits `commit` on its own, deciding again (the same commit) after a conflict.
    async fn commit_alone(&self, commit: Commit) -> Result<(), Error> {
        let max = self.config.max_conflict_retries;
        commit_decided(&self.store, max, |_| {
            let commit = commit.clone();
            async move { Ok(Decision::commit(commit, ())) }
        })
        .await
        .map(drop)
    }

    /// What a message that could not go on this time comes to (`why`): retried after the
    /// retry policy's back-off, failed once its attempts are used up.
    fn postponed(&self, claim: &ClaimedMessage, why: String, now: DateTime<Utc>) -> Attempted {
        let attempts = claim.message.attempts;
        decide::after_own_failure(why, attempts, &self.config.retry, jitter_unit(), now)
    }

    async fn load(&self, claims: &[ClaimedMessage]) -> Result<Loaded, Error> {
        let mut inv_ids: Vec<InvitationId> = claims.iter().map(|c| c.message.invitation).collect();
        inv_ids.sort();
        inv_ids.dedup();
        let mut org_ids: Vec<OrgId> = claims.iter().map(|c| c.message.org).collect();
        org_ids.sort();
        org_ids.dedup();
        let invitations: HashMap<_, _> = self
            .store
            .invitations(&inv_ids)
            .await?
            .into_iter()
            .map(|i| (i.id, i))
            .collect();
        let orgs: HashMap<_, _> = self
            .store
            .organizations(&org_ids)
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect();
        let client_ids: HashSet<OrgId> = invitations
            .values()
            .flat_map(|i| crate::decide::access::granted_clients(i.access()))
            .collect();
        let clients = match client_ids.is_empty() {
            true => HashMap::new(),
            false => {
                let ids: Vec<OrgId> = client_ids.into_iter().collect();
                let found = self.store.organizations(&ids).await?;
                found.into_iter().map(|o| (o.id, o)).collect()
            }
        };
        let mut senders = HashMap::new();
        for claim in claims.iter().filter(|c| !c.message.kind.is_to_invitee()) {
            let Some(inv) = invitations.get(&claim.message.invitation) else {
                continue;
            };
            let key = (inv.org, inv.sender.user.clone());
            if let std::collections::hash_map::Entry::Vacant(slot) = senders.entry(key) {
                let (org, user) = slot.key();
                let found = self.store.members_by_user(*org, user).await?;
                slot.insert(found);
            }
        }
        Ok(Loaded {
            invitations,
            orgs,
            clients,
            senders,
        })
    }

    /// One delivery attempt; what it came to.
    async fn deliver(&self, claim: &ClaimedMessage, n: &Notification) -> Attempted {
        let started = self.clock.now();
        if let Some(until) = self.breaker().paused_until(started) {
            return Attempted::Released {
                due_at: until,
                error: "delivery paused: the notifier's transport keeps failing".into(),
            };
        }
        match self.notifier.deliver(n).await {
            Ok(receipt) => {
                self.breaker().succeeded();
                Attempted::Sent {
                    at: self.clock.now(),
                    receipt,
                }
            }
            Err(e) => {
                let now = self.clock.now();
                let pause = {
                    let mut breaker = self.breaker();
                    if e.is_transport() {
                        breaker.transport_failed(&self.config.breaker, e.reason(), now);
                    }
                    breaker.pause(&self.config.breaker)
                };
                let unit = jitter_unit();
                let attempts = claim.message.attempts;
                let attempted =
                    decide::after_failure(&e, attempts, &self.config.retry, pause, unit, now);
                match &attempted {
                    Attempted::Failed(_) => {
                        tracing::warn!(message = %claim.message.id, attempt = attempts, error = %e, "delivery failed for good")
                    }
                    _ => {
                        tracing::info!(message = %claim.message.id, attempt = attempts, error = %e, "delivery failed, will retry")
                    }
                }
                attempted
            }
        }
    }

    /// Records the attempts of the claims numbered `which` in one commit, deciding again after
    /// a conflict: a message whose lease was lost is left out; a changed invitation is
    /// reloaded.
    async fn record_messages(
        &self,
        claims: &[ClaimedMessage],
        attempted: &[Attempted],
        loaded: &Loaded,
        which: Vec<usize>,
        now: DateTime<Utc>,
    ) -> Result<DispatchReport, Error> {
        struct State {
            live: Vec<usize>,
            invitations: HashMap<InvitationId, Invitation>,
            lease_lost: u32,
        }
        let invitations = which
            .iter()
            .filter_map(|i| loaded.invitations.get(&claims[*i].message.invitation))
            .map(|inv| (inv.id, inv.clone()))
            .collect();
        let state = Mutex::new(State {
            live: which,
            invitations,
            lease_lost: 0,
        });
        let lock = || state.lock().unwrap_or_else(|e| e.into_inner());
        let max = self.config.max_conflict_retries + claims.len() as u32;
        commit_decided(&self.store, max, |conflict| {
            let reload = match &conflict {
                Some(Conflict::LeaseLost(id)) => {
                    tracing::warn!(message = %id, "lease lost: another dispatcher took the message over");
                    let mut s = lock();
                    s.live.retain(|i| claims[*i].message.id != *id);
                    s.lease_lost += 1;
                    false
                }
                Some(_) => true,
                None => false,
            };
            let (state, orgs) = (&state, &loaded.orgs);
            async move {
                if reload {
                    let ids: Vec<InvitationId> = {
                        let s = state.lock().unwrap_or_else(|e| e.into_inner());
                        s.live.iter().map(|i| claims[*i].message.invitation).collect()
                    };
                    let fresh = self.store.invitations(&ids).await?;
                    let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                    s.invitations = fresh.into_iter().map(|i| (i.id, i)).collect();
                }
                let s = state.lock().unwrap_or_else(|e| e.into_inner());
                let mut batch = BatchRecord::new(now);
                for &i in &s.live {
                    let msg = &claims[i].message;
                    let validity = orgs
                        .get(&msg.org)
                        .map_or(TimeDelta::hours(72), |o| o.settings.validity);
                    let inv = s.invitations.get(&msg.invitation);
                    batch.record(&claims[i], inv, validity, &attempted[i]);
                }
                Ok(match batch.into_commit() {
                    Some(commit) => Decision::commit(commit, ()),
                    None => Decision::nothing(()),
                })
            }
        })
        .await?;
        let s = lock();
        let mut report = DispatchReport {
            lease_lost: s.lease_lost,
            ..DispatchReport::default()
        };
        for &i in &s.live {
            report.count(&attempted[i]);
        }
        Ok(report)
    }

    /// Gives the claims back at once, attempts included, after `error` stopped the batch
    /// before delivery. Best effort: if the store fails again, the leases run out instead.
    async fn release(&self, claims: &[ClaimedMessage], error: &Error, now: DateTime<Utc>) {
        let mut batch = BatchRecord::new(now);
        let released = Attempted::Released {
            due_at: now,
            error: format!("batch stopped before delivery: {error}"),
        };
        for claim in claims {
            batch.record(claim, None, TimeDelta::zero(), &released);
        }
        if let Some(commit) = batch.into_commit() {
            if let Err(e) = self.store.commit(commit).await {
                tracing::warn!(error = %e, "could not release claims; their leases will run out");
            }
        }
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
