//! Shared fixtures for the domain rule tests (`rules_*.rs`): one in-memory world per test with
//! a store, a manual clock, the service, a recording notifier and a dispatcher.
#![allow(dead_code)] // each test file uses a different part of the fixture

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use invite_core::*;
use std::sync::{Arc, Mutex};

/// The signup URL base every dispatcher of these tests uses.
pub(crate) const SIGNUP_BASE: &str = "https://app.example/signup?token=";

/// The service as the tests build it.
pub(crate) type Svc = InvitationService<Arc<MemoryStore>, Arc<ManualClock>>;

/// The dispatcher as the tests build it.
pub(crate) type Disp = Dispatcher<Arc<MemoryStore>, Arc<Tap>, Arc<ManualClock>>;

/// One delivery attempt, successful or not, as the notifier saw it.
#[derive(Clone, Debug)]
pub(crate) struct Attempt {
    pub(crate) message_id: MessageId,
    pub(crate) kind: MessageKind,
    pub(crate) to: String,
    pub(crate) attempt: u32,
    pub(crate) at: DateTime<Utc>,
    pub(crate) ok: bool,
}

/// A notifier in front of a [`RecordingNotifier`] that also logs every attempt, failed ones
/// included (the recorder keeps accepted messages only).
pub(crate) struct Tap {
    pub(crate) recorder: Arc<RecordingNotifier>,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) attempts: Mutex<Vec<Attempt>>,
}

#[async_trait]
impl Notifier for Tap {
    async fn deliver(&self, n: &Notification) -> Result<Delivered, NotifyError> {
        let result = self.recorder.deliver(n).await;
        self.attempts.lock().unwrap().push(Attempt {
            message_id: n.message_id,
            kind: n.kind,
            to: n.to.clone(),
            attempt: n.attempt,
            at: self.clock.now(),
            ok: result.is_ok(),
        });
        result
    }
}

/// A Monday morning, 09:00 UTC.
pub(crate) fn start() -> DateTime<Utc> {
    at("2026-03-02T09:00:00Z")
}

/// Parses an RFC 3339 instant.
pub(crate) fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("valid RFC 3339")
        .with_timezone(&Utc)
}

/// The vendor's operator.
pub(crate) fn operator() -> Actor {
    Actor::Operator {
        id: "vendor".into(),
    }
}

/// A general user with a read-only role (client or standalone organization).
pub(crate) fn user_access() -> Access {
    Access::user(Role::ReadOnly)
}

/// The refusal in `r`; panics on success or on an infrastructure error.
#[track_caller]
pub(crate) fn refused<T: std::fmt::Debug>(r: Result<T, Error>) -> Refusal {
    match r {
        Err(Error::Refused(refusal)) => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Everything a test needs, on one clock.
pub(crate) struct World {
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) store: Arc<MemoryStore>,
    pub(crate) service: Svc,
    pub(crate) notifier: Arc<RecordingNotifier>,
    pub(crate) tap: Arc<Tap>,
    pub(crate) dispatcher: Disp,
}

impl World {
    /// A fresh world at [`start`].
    pub(crate) fn new() -> Self {
        Self::at(start())
    }

    /// A fresh world with the clock at `t`.
    pub(crate) fn at(t: DateTime<Utc>) -> Self {
        let clock = Arc::new(ManualClock::new(t));
        let store = Arc::new(MemoryStore::new());
        let service = InvitationService::new(store.clone(), clock.clone());
        let notifier = Arc::new(RecordingNotifier::new());
        let tap = Arc::new(Tap {
            recorder: notifier.clone(),
            clock: clock.clone(),
            attempts: Mutex::new(Vec::new()),
        });
        // No jitter: these tests check the back-off's exact instants (the jitter has tests of
        // its own).
        let mut config = DispatcherConfig::new(SIGNUP_BASE);
        config.retry.jitter_percent = 0;
        let dispatcher = Dispatcher::new(store.clone(), tap.clone(), clock.clone(), config);
        Self {
            clock,
            store,
            service,
            notifier,
            tap,
            dispatcher,
        }
    }

    /// Another dispatcher on the same store, notifier and clock (a second worker process).
    pub(crate) fn second_dispatcher(&self, config: DispatcherConfig) -> Disp {
        Dispatcher::new(
            self.store.clone(),
            self.tap.clone(),
            self.clock.clone(),
            config,
        )
    }

    /// The current time.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Moves the clock forward.
    pub(crate) fn advance(&self, by: TimeDelta) {
        self.clock.advance(by);
    }

    /// Sets the clock.
    pub(crate) fn set(&self, to: DateTime<Utc>) {
        self.clock.set(to);
    }

    /// Registers an organization as the operator.
    pub(crate) async fn org(
        &self,
        name: &str,
        kind: OrgKind,
        settings: OrgSettings,
    ) -> Organization {
        self.service
            .create_organization(&operator(), name, kind, settings)
            .await
            .expect("operator creates the organization")
    }

    /// A standalone organization with `seats` seats and its admin "Ann" (user "u1").
    pub(crate) async fn standalone(&self, seats: u32) -> (Organization, Actor) {
        self.standalone_with(OrgSettings::with_seats(seats)).await
    }

    /// A standalone organization with these settings and its admin "Ann".
    pub(crate) async fn standalone_with(&self, settings: OrgSettings) -> (Organization, Actor) {
        let org = self.org("Acme", OrgKind::Standalone, settings).await;
        let admin = Actor::admin(org.id, "u1", "Ann");
        (org, admin)
    }

    /// Invites an e-mail address as a general read-only user.
    pub(crate) async fn invite(&self, admin: &Actor, org: OrgId, email: &str) -> Invitation {
        self.service
            .invite(
                admin,
                org,
                Contact::parse_email(email).expect("valid e-mail"),
                Channel::Email,
                user_access(),
            )
            .await
            .expect("invite accepted")
    }

    /// Invites a phone number by SMS as a general read-only user.
    pub(crate) async fn invite_sms(&self, admin: &Actor, org: OrgId, phone: &str) -> Invitation {
        self.service
            .invite(
                admin,
                org,
                Contact::parse_phone(phone).expect("valid phone"),
                Channel::Sms,
                user_access(),
            )
            .await
            .expect("invite accepted")
    }

    /// Delivers everything due now.
    pub(crate) async fn deliver(&self) -> DispatchReport {
        self.dispatcher.drain().await.expect("dispatch")
    }

    /// Messages accepted by the notifier so far, to `to`.
    pub(crate) fn delivered_to(&self, to: &str) -> Vec<Notification> {
        self.notifier.delivered_to(to)
    }

    /// The token of the last signup link delivered to `to`.
    #[track_caller]
    pub(crate) fn link_for(&self, to: &str) -> String {
        let last = self
            .delivered_to(to)
            .into_iter()
            .rev()
            .find(|n| n.signup_url.is_some())
            .unwrap_or_else(|| panic!("no link delivered to {to}"));
        token_of(&last)
    }

    /// Signs up with the last link delivered to `to`.
    pub(crate) async fn sign_up(&self, to: &str) -> Signup {
        let token = self.link_for(to);
        self.service
            .sign_up(&token, None)
            .await
            .expect("signup accepted")
    }

    /// The stored invitation.
    pub(crate) async fn inv(&self, id: InvitationId) -> Invitation {
        self.store
            .invitation(id)
            .await
            .expect("store")
            .expect("invitation exists")
    }

    /// The status of an invitation now.
    pub(crate) async fn status(&self, id: InvitationId) -> Status {
        self.inv(id).await.status_at(self.now())
    }

    /// The seats of `org` now, as the store counts them.
    pub(crate) async fn seats(&self, org: OrgId) -> Seats {
        self.store.seats(org, self.now()).await.expect("store")
    }

    /// Builds, in this world, an invitation to `email` that is in `status` now. `Expired`
    /// moves the clock past the validity period, so use a fresh world for it.
    pub(crate) async fn in_status(
        &self,
        admin: &Actor,
        org: OrgId,
        email: &str,
        status: Status,
    ) -> InvitationId {
        if status == Status::Failed {
            self.notifier.script(email, &[Scripted::Permanent]);
        }
        let inv = self.invite(admin, org, email).await;
        match status {
            Status::Queued => {}
            Status::Cancelled => {
                self.service.cancel(admin, inv.id).await.expect("cancel");
            }
            _ => {
                self.deliver().await;
            }
        }
        match status {
            Status::Expired => self.advance(TimeDelta::hours(72)),
            Status::NeverUsed => {
                self.sign_up(email).await;
            }
            Status::Completed => {
                let signup = self.sign_up(email).await;
                self.service
                    .record_first_login(&Actor::Application, signup.member.id)
                    .await
                    .expect("first login");
            }
            _ => {}
        }
        assert_eq!(self.status(inv.id).await, status, "fixture built {email}");
        inv.id
    }
}

/// The plain token carried by a delivered notification's signup link.
#[track_caller]
pub(crate) fn token_of(n: &Notification) -> String {
    n.signup_url
        .as_ref()
        .expect("the message carries a link")
        .expose()
        .strip_prefix(SIGNUP_BASE)
        .expect("the link starts with the configured base")
        .to_owned()
}
