//! The outbox dispatcher (R7): claims due messages under a lease, mints links, calls the
//! notifier, records the outcome.
//!
//! Per message:
//! 1. Check it still applies (invitation not cancelled or resent since, reminders still on,
//!    member still Never Used ...); if not, drop it.
//! 2. If it carries a signup link, mint the token and commit its hash first: the link works
//!    the moment the message can arrive, and the plain token never touches storage (R6.1,
//!    R7.4).
//! 3. Call the notifier. Success records the send, which starts the validity period (R4.3);
//!    a transient failure schedules a retry with growing back-off; a permanent failure, or
//!    the last allowed attempt failing, marks the invitation Failed with the reason (R7.2).
//!
//! Several dispatchers may run at once (R7.3): claims are exclusive while their lease lasts,
//! and a dispatcher that dies mid-message leaves it to be claimed again when the lease runs
//! out. Delivery is at least once; the stable [`crate::MessageId`] lets receivers spot the rare
//! duplicate.

use crate::access::AccessScope;
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Clock;
use crate::contact::Channel;
use crate::error::Error;
use crate::invitation::{FailureReason, Invitation, Status};
use crate::notifier::{GrantSummary, Notification, Notifier, SignupUrl};
use crate::org::Organization;
use crate::outbox::{ClaimedMessage, MessageKind, OutboxOutcome, OutboxUpdate, RetryPolicy};
use crate::store::{Commit, Conflict, Store, StoreError, Write};
use crate::token::{LinkRecord, LinkToken};
use chrono::{DateTime, TimeDelta, Utc};

/// Dispatcher settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DispatcherConfig {
    /// The signup URL without the token; the token is appended. For example
    /// `https://app.example.com/signup?token=`.
    pub signup_url_base: String,
    /// How long a claim lasts; longer than the slowest delivery.
    pub lease: TimeDelta,
    /// Messages claimed per batch.
    pub batch_size: u32,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
}

impl DispatcherConfig {
    /// Defaults with the given signup URL base: 5-minute lease, batches of 50.
    pub fn new(signup_url_base: impl Into<String>) -> Self {
        Self {
            signup_url_base: signup_url_base.into(),
            lease: TimeDelta::minutes(5),
            batch_size: 50,
            retry: RetryPolicy::default(),
        }
    }
}

/// What one [`Dispatcher::dispatch_due`] call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
    /// Taken over by another dispatcher before this one finished.
    pub lease_lost: u32,
}

/// Delivers the outbox.
pub struct Dispatcher<S, N, C> {
    store: S,
    notifier: N,
    clock: C,
    config: DispatcherConfig,
}

enum Verdict {
    Deliver(Box<Notification>, Option<LinkRecord>),
    Drop(String),
    Fail(FailureReason),
}

impl<S: Store, N: Notifier, C: Clock> Dispatcher<S, N, C> {
    /// A dispatcher.
    pub fn new(store: S, notifier: N, clock: C, config: DispatcherConfig) -> Self {
        Self {
            store,
            notifier,
            clock,
            config,
        }
    }

    /// Claims one batch of due messages and handles each. Call it in a loop (sleeping a
    /// little when `claimed` is 0); run it in as many processes as you like.
    pub async fn dispatch_due(&self) -> Result<DispatchReport, Error> {
        let now = self.clock.now();
        let claimed = self
            .store
            .claim_due(now, self.config.lease, self.config.batch_size)
            .await?;
        let mut report = DispatchReport {
            claimed: claimed.len() as u32,
            ..DispatchReport::default()
        };
        for claim in claimed {
            match self.handle(claim).await {
                Ok(Handled::Sent) => report.sent += 1,
                Ok(Handled::Retried) => report.retried += 1,
                Ok(Handled::Failed) => report.failed += 1,
                Ok(Handled::Dropped) => report.dropped += 1,
                Err(Error::Conflict(Conflict::LeaseLost(id))) => {
                    tracing::warn!(message = %id, "lease lost: another dispatcher took the message over");
                    report.lease_lost += 1;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }

    /// Dispatches until nothing is due at the clock's current time. Handy for tests and
    /// batch jobs; a long-running worker calls [`Dispatcher::dispatch_due`] on a timer.
    pub async fn drain(&self) -> Result<DispatchReport, Error> {
        let mut total = DispatchReport::default();
        loop {
            let r = self.dispatch_due().await?;
            if r.claimed == 0 {
                return Ok(total);
            }
            total.claimed += r.claimed;
            total.sent += r.sent;
            total.retried += r.retried;
            total.failed += r.failed;
            total.dropped += r.dropped;
            total.lease_lost += r.lease_lost;
        }
    }

    async fn handle(&self, claim: ClaimedMessage) -> Result<Handled, Error> {
        let msg = &claim.message;
        let now = self.clock.now();
        let inv = self.store.invitation(msg.invitation).await?;
        let org = self.store.organization(msg.org).await?;
        let verdict = match (inv, org) {
            (Some(inv), Some(org)) => self.judge(&claim, &inv, &org, now).await?,
            _ => Verdict::Drop("invitation or organization no longer exists".into()),
        };
        let (notification, link) = match verdict {
            Verdict::Drop(reason) => {
                self.finish(&claim, OutboxOutcome::Dropped { reason }, now, None)
                    .await?;
                return Ok(Handled::Dropped);
            }
            Verdict::Fail(failure) => {
                self.fail(&claim, failure, now).await?;
                return Ok(Handled::Failed);
            }
            Verdict::Deliver(n, link) => (n, link),
        };
        if let Some(link) = link {
            // The hash is stored before the link can reach anyone.
            let mut commit = Commit::new(msg.org, now);
            commit.links.push(link);
            self.store.commit(commit).await?;
        }
        match self.notifier.deliver(&notification).await {
            Ok(_) => {
                let sent_at = self.clock.now();
                self.finish(&claim, OutboxOutcome::Sent { at: sent_at }, sent_at, None)
                    .await?;
                Ok(Handled::Sent)
            }
            // A transport failure is never the recipient's: it is retried however often it
            // happens and never makes the invitation Failed.
            Err(e)
                if e.is_transport()
                    || (e.is_transient()
                        && claim.message.attempts < self.config.retry.max_attempts) =>
            {
                let due_at = now + self.config.retry.delay_after(claim.message.attempts);
                tracing::info!(message = %msg.id, attempt = msg.attempts, error = %e, "transient delivery failure, retrying");
                let error = e.reason().to_owned();
                let audit = AuditAction::DeliveryRetried {
                    reason: error.clone(),
                };
                self.finish(
                    &claim,
                    OutboxOutcome::Retry { due_at, error },
                    now,
                    Some(audit),
                )
                .await?;
                Ok(Handled::Retried)
            }
            Err(e) => {
                let reason = e.reason().to_owned();
                let failure = if e.is_transient() {
                    FailureReason::RetriesExhausted(reason.clone())
                } else {
                    FailureReason::DeliveryRejected(reason.clone())
                };
                tracing::warn!(message = %msg.id, attempt = msg.attempts, error = %e, "delivery failed for good");
                self.fail(&claim, failure, now).await?;
                Ok(Handled::Failed)
            }
        }
    }

    /// Decides whether a claimed message still applies and builds what the notifier needs.
    async fn judge(
        &self,
        claim: &ClaimedMessage,
        inv: &Invitation,
        org: &Organization,
        now: DateTime<Utc>,
    ) -> Result<Verdict, Error> {
        let msg = &claim.message;
        let status = inv.status_at(now);
        if status == Status::Cancelled {
            return Ok(Verdict::Drop("invitation cancelled".into()));
        }
        if !org.settings.channels.allows(inv.channel) {
            // The organization stopped allowing this channel after the message was queued.
            let reason = format!("the organization no longer allows {}", inv.channel);
            return Ok(match msg.kind.is_invitation() {
                true => Verdict::Fail(FailureReason::DeliveryRejected(reason)),
                false => Verdict::Drop(reason),
            });
        }
        let wants_link = match msg.kind {
            MessageKind::Invitation | MessageKind::Resend => {
                if msg.link_generation != inv.link_generation {
                    return Ok(Verdict::Drop("superseded by a resend".into()));
                }
                if status != Status::Queued {
                    return Ok(Verdict::Drop(format!("invitation is {status}")));
                }
                true
            }
            MessageKind::Reminder => {
                // R8.4: switching reminders off stops those not yet sent.
                let switched_off_since_queued = org
                    .settings
                    .reminders_on_since
                    .is_some_and(|on| msg.created_at < on);
                if !org.settings.reminders_enabled || switched_off_since_queued {
                    return Ok(Verdict::Drop("reminders switched off".into()));
                }
                // R8.2: a reminder is for its local day only. One still undelivered when the
                // day is over (dispatchers down, retries) is dropped, or it would arrive
                // together with the next day's and missed days would pile up.
                let today = now.with_timezone(&org.settings.time_zone).date_naive();
                if let Some(day) = msg.reminder_day.filter(|d| *d != today) {
                    return Ok(Verdict::Drop(format!(
                        "reminder for {day}, a day that is over"
                    )));
                }
                match status {
                    Status::Pending => true,
                    Status::NeverUsed => false,
                    other => return Ok(Verdict::Drop(format!("invitation is {other}"))),
                }
            }
            MessageKind::FollowUp => {
                if status != Status::NeverUsed {
                    return Ok(Verdict::Drop(format!("invitation is {status}")));
                }
                false
            }
        };
        let to = match inv.channel {
            Channel::Email => inv.contact.email_address().map(|e| e.to_string()),
            Channel::Sms => inv.contact.phone_number().map(|p| p.to_string()),
        }
        .expect("an invitation is reachable by its channel");
        let grants = match &inv.access.scope {
            AccessScope::Role(role) => vec![GrantSummary {
                org_name: org.name.clone(),
                role: *role,
            }],
            AccessScope::Clients(grants) => {
                let mut out = Vec::with_capacity(grants.len());
                for g in grants {
                    let name = self
                        .store
                        .organization(g.client)
                        .await?
                        .map_or_else(|| g.client.to_string(), |o| o.name);
                    out.push(GrantSummary {
                        org_name: name,
                        role: g.role,
                    });
                }
                out
            }
        };
        let (signup_url, link, expires_at) = if wants_link {
            let token = LinkToken::mint()?;
            let url = SignupUrl::new(format!("{}{}", self.config.signup_url_base, token.expose()));
            let record = LinkRecord {
                hash: token.hash(),
                invitation: inv.id,
                generation: inv.link_generation,
                issued_at: now,
            };
            let expires_at = match msg.kind {
                MessageKind::Reminder => inv.expires_at,
                _ => Some(now + org.settings.validity),
            };
            (Some(url), Some(record), expires_at)
        } else {
            (None, None, None)
        };
        Ok(Verdict::Deliver(
            Box::new(Notification {
                message_id: msg.id,
                invitation: inv.id,
                kind: msg.kind,
                channel: inv.channel,
                to,
                language: org.settings.language,
                org_name: org.name.clone(),
                sender_name: inv.sender.name.clone(),
                invitation_type: inv.access.invitation_type.clone(),
                grants,
                signup_url,
                expires_at,
                time_zone: org.settings.time_zone,
                attempt: msg.attempts,
            }),
            link,
        ))
    }

    /// Finishes a message; for a delivered invitation or resend, also records the send on the
    /// invitation. Re-reads the invitation if it changed meanwhile (an edit of its access, say).
    async fn finish(
        &self,
        claim: &ClaimedMessage,
        outcome: OutboxOutcome,
        now: DateTime<Utc>,
        audit: Option<AuditAction>,
    ) -> Result<(), Error> {
        let msg = &claim.message;
        for _ in 0..16 {
            let mut commit = Commit::new(msg.org, now);
            commit.outbox_updates.push(OutboxUpdate {
                id: msg.id,
                lease: claim.lease.token,
                outcome: outcome.clone(),
            });
            let records_send =
                matches!(outcome, OutboxOutcome::Sent { .. }) && msg.kind.is_invitation();
            if records_send || audit.is_some() {
                if let Some(mut inv) = self.store.invitation(msg.invitation).await? {
                    let before = inv.status_at(now);
                    if records_send && inv.link_generation == msg.link_generation && inv.is_open() {
                        let org = self.store.organization(msg.org).await?;
                        let validity = org.map_or(TimeDelta::hours(72), |o| o.settings.validity);
                        inv.send_count += 1;
                        inv.last_sent_at = Some(now);
                        inv.expires_at = Some(now + validity);
                        inv.awaiting_delivery = false;
                        commit.audit.push(AuditEvent::invitation(
                            msg.org,
                            inv.id,
                            &Actor::System,
                            now,
                            AuditAction::Delivered,
                            Some(before),
                            Some(inv.status_at(now)),
                        ));
                        commit.invitations.push(Write::Update(inv));
                    } else if let Some(action) = &audit {
                        commit.audit.push(AuditEvent::invitation(
                            msg.org,
                            inv.id,
                            &Actor::System,
                            now,
                            action.clone(),
                            Some(before),
                            Some(before),
                        ));
                    }
                }
            }
            match self.store.commit(commit).await {
                Ok(_) => return Ok(()),
                Err(StoreError::Conflict(
                    Conflict::Version { .. } | Conflict::TransactionAborted { .. },
                )) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Conflict(Conflict::Version {
            entity: "invitation",
            id: msg.invitation.to_string(),
        }))
    }

    /// Marks the message dead and, unless the invitee already signed up, the invitation Failed.
    async fn fail(
        &self,
        claim: &ClaimedMessage,
        failure: FailureReason,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let msg = &claim.message;
        let reason = failure.to_string();
        for _ in 0..16 {
            let mut commit = Commit::new(msg.org, now);
            commit.outbox_updates.push(OutboxUpdate {
                id: msg.id,
                lease: claim.lease.token,
                outcome: OutboxOutcome::Dead {
                    reason: reason.clone(),
                },
            });
            if let Some(mut inv) = self.store.invitation(msg.invitation).await? {
                let before = inv.status_at(now);
                let applies = inv.is_open()
                    && (!msg.kind.is_invitation() || inv.link_generation == msg.link_generation);
                if applies {
                    inv.failure = Some(failure.clone());
                    inv.awaiting_delivery = false;
                }
                commit.audit.push(AuditEvent::invitation(
                    msg.org,
                    inv.id,
                    &Actor::System,
                    now,
                    AuditAction::DeliveryFailed {
                        reason: reason.clone(),
                    },
                    Some(before),
                    Some(inv.status_at(now)),
                ));
                if applies {
                    commit.invitations.push(Write::Update(inv));
                }
            }
            match self.store.commit(commit).await {
                Ok(_) => return Ok(()),
                Err(StoreError::Conflict(
                    Conflict::Version { .. } | Conflict::TransactionAborted { .. },
                )) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Conflict(Conflict::Version {
            entity: "invitation",
            id: msg.invitation.to_string(),
        }))
    }
}

enum Handled {
    Sent,
    Retried,
    Failed,
    Dropped,
}
