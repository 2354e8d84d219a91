//! Fixtures shared by the cases: a harness wiring a store to a service, a manual clock and a
//! recording notifier, organizations with admins, and raw records for store-level commits.

use super::attempts::{AttemptLog, TestDispatcher};
use super::race_gate::{RaceGate, RacingService};
use crate::access::{Access, Role};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::{Clock, ManualClock};
use crate::contact::{Channel, Contact};
use crate::decide::signup::Signup;
use crate::dispatcher::{DispatchReport, Dispatcher, DispatcherConfig};
use crate::error::{Error, Refusal};
use crate::ids::{InvitationId, OrgId, UserRef};
use crate::invitation::{Invitation, InvitationRecord, NewInvitation, Sender, Status};
use crate::member::Seats;
use crate::notifier::{Notification, RecordingNotifier, Scripted};
use crate::org::{OrgKind, OrgSettings, Organization};
use crate::outbox::OutboxMessage;
use crate::service::InvitationService;
use crate::store::{Conflict, Store, StoreError};
use chrono::{DateTime, TimeDelta, Utc};
use std::fmt::Debug;
use std::sync::Arc;

/// The base of every signup URL the harness's dispatchers build; the token follows it.
pub const SIGNUP_URL_BASE: &str = "https://app.example.com/signup?token=";

/// The instant every case starts at: Monday 2026-03-02 09:00 UTC. Whole seconds, so stores
/// that keep microseconds (PostgreSQL) hold exactly the instants the cases compute.
pub fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
        .expect("a valid instant")
        .with_timezone(&Utc)
}

/// Parses an RFC 3339 instant; panics on a typo in a case.
pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("a valid RFC 3339 instant")
        .with_timezone(&Utc)
}

/// The service the harness drives.
pub type TestService<S> = InvitationService<Arc<S>, Arc<ManualClock>>;

/// An organization made by the harness, with an admin to act in it.
#[derive(Clone, Debug)]
pub struct TestOrg {
    /// The organization as created.
    pub org: Organization,
    /// An admin of it (not a member: holds no seat).
    pub admin: Actor,
}

impl TestOrg {
    /// Its id.
    pub fn id(&self) -> OrgId {
        self.org.id
    }
}

/// One store under test with everything around it: the service, a manual clock, a recording
/// notifier and the vendor's operator.
pub struct Harness<S> {
    /// The store under test.
    pub store: Arc<S>,
    /// The time, moved only by the case.
    pub clock: Arc<ManualClock>,
    /// Records every delivered message; scriptable failures per address.
    pub notifier: Arc<RecordingNotifier>,
    /// Every delivery attempt, failed ones included, with its time; delivers through
    /// `notifier`.
    pub attempts: Arc<AttemptLog>,
    /// The service over the store; in an `Arc` so concurrent tasks can share it.
    pub service: Arc<TestService<S>>,
    /// The vendor's operator, who creates organizations and sets seats.
    pub operator: Actor,
    /// What every dispatcher the harness builds is configured with.
    dispatcher_config: DispatcherConfig,
}

impl<S: Store + 'static> Harness<S> {
    /// A harness around `store`, with the clock at [`start`].
    pub fn new(store: S) -> Self {
        let store = Arc::new(store);
        let clock = Arc::new(ManualClock::new(start()));
        let service = Arc::new(InvitationService::new(store.clone(), clock.clone()));
        let notifier = Arc::new(RecordingNotifier::new());
        let attempts = Arc::new(AttemptLog::new(notifier.clone(), clock.clone()));
        Self {
            store,
            clock,
            notifier,
            attempts,
            service,
            operator: Actor::Operator {
                id: "vendor-ops".into(),
            },
            dispatcher_config: DispatcherConfig::new(SIGNUP_URL_BASE),
        }
    }

    /// The same harness with retries free of jitter: every dispatcher it builds (and so
    /// [`Harness::deliver`]) retries a transient failure exactly at the policy's back-off
    /// instants, for cases that check them to the second. The jitter itself has cases of its
    /// own, on the default configuration.
    pub fn without_jitter(mut self) -> Self {
        self.dispatcher_config.retry.jitter_percent = 0;
        self
    }

    /// A service over the same store and clock for `n` commands that race: their first
    /// commits wait until all `n` have decided (see [`RaceGate`]).
    pub fn racing(&self, n: usize) -> Arc<RacingService<S>> {
        let gate = Arc::new(RaceGate::new(self.store.clone(), n));
        Arc::new(InvitationService::new(gate, self.clock.clone()))
    }

    /// The clock's time.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: TimeDelta) {
        self.clock.advance(by);
    }

    /// Sets the clock.
    pub fn set_time(&self, to: DateTime<Utc>) {
        self.clock.set(to);
    }

    /// The configuration of the harness's dispatchers: the defaults with
    /// [`SIGNUP_URL_BASE`], jitter-free after [`Harness::without_jitter`].
    pub fn dispatcher_config(&self) -> DispatcherConfig {
        self.dispatcher_config.clone()
    }

    /// A new dispatcher with the harness's configuration.
    pub fn dispatcher(&self) -> TestDispatcher<S> {
        self.dispatcher_with(self.dispatcher_config())
    }

    /// A new dispatcher with `config`, on the same store, notifier and clock: another worker
    /// process, say.
    pub fn dispatcher_with(&self, config: DispatcherConfig) -> TestDispatcher<S> {
        Dispatcher::new(
            self.store.clone(),
            self.attempts.clone(),
            self.clock.clone(),
            config,
        )
    }

    /// Delivers everything due now.
    pub async fn deliver(&self) -> DispatchReport {
        self.dispatcher().drain().await.expect("dispatching works")
    }

    /// Creates a standalone organization with `settings`.
    pub async fn org_with(&self, name: &str, settings: OrgSettings) -> TestOrg {
        self.org_of_kind(name, OrgKind::Standalone, settings).await
    }

    /// Creates a standalone organization with `seats` seats and default settings.
    pub async fn standalone(&self, seats: u32) -> TestOrg {
        self.org_with("Acme", OrgSettings::with_seats(seats)).await
    }

    /// Creates an organization of `kind`.
    pub async fn org_of_kind(&self, name: &str, kind: OrgKind, settings: OrgSettings) -> TestOrg {
        let org = self
            .service
            .create_organization(&self.operator, name, kind, settings)
            .await
            .expect("the operator creates organizations");
        let admin = Actor::admin(
            org.id,
            format!("admin-of-{}", org.id),
            format!("{name} Admin"),
        );
        TestOrg { org, admin }
    }

    /// Creates an MSP with `seats` seats and `clients` client organizations of 10 seats each.
    pub async fn msp_with_clients(&self, seats: u32, clients: usize) -> (TestOrg, Vec<TestOrg>) {
        let msp = self
            .org_of_kind("Provider", OrgKind::Msp, OrgSettings::with_seats(seats))
            .await;
        let mut out = Vec::with_capacity(clients);
        for i in 0..clients {
            let kind = OrgKind::Client { msp: msp.id() };
            out.push(
                self.org_of_kind(&format!("Client {i}"), kind, OrgSettings::with_seats(10))
                    .await,
            );
        }
        (msp, out)
    }

    /// Invites `email` as a read-only user, as the organization's admin; panics if refused.
    pub async fn invite(&self, org: &TestOrg, email: &str) -> Invitation {
        self.invite_as(&org.admin, org.id(), email).await
    }

    /// Invites `email` to `org` as a read-only user, sent by `admin` (any actor: an admin of
    /// a client, one with a name a case checks); panics if refused.
    pub async fn invite_as(&self, admin: &Actor, org: OrgId, email: &str) -> Invitation {
        let contact = Contact::parse_email(email).expect("a valid e-mail address");
        self.service
            .invite(
                admin,
                org,
                contact,
                Channel::Email,
                Access::user(Role::ReadOnly),
            )
            .await
            .expect("the invite is accepted")
    }

    /// Invites `phone` by SMS as a read-only user, as the organization's admin; panics if
    /// refused.
    pub async fn invite_sms(&self, org: &TestOrg, phone: &str) -> Invitation {
        self.invite_sms_as(&org.admin, org.id(), phone).await
    }

    /// Invites `phone` to `org` by SMS as a read-only user, sent by `admin`; panics if
    /// refused.
    pub async fn invite_sms_as(&self, admin: &Actor, org: OrgId, phone: &str) -> Invitation {
        let contact = Contact::parse_phone(phone).expect("a valid E.164 number");
        self.service
            .invite(
                admin,
                org,
                contact,
                Channel::Sms,
                Access::user(Role::ReadOnly),
            )
            .await
            .expect("the invite is accepted")
    }

    /// Invites `email`, delivers everything due, and answers the invitation and its link token.
    pub async fn invite_delivered(&self, org: &TestOrg, email: &str) -> (Invitation, String) {
        let inv = self.invite(org, email).await;
        self.deliver().await;
        let token = self.token_of(inv.id);
        (self.invitation(inv.id).await, token)
    }

    /// Builds, as `admin` of `org`, an invitation to `email` that is in `status` now, through
    /// the commands that lead there: a permanent delivery failure (scripted for `email`) for
    /// `Failed`, a cancel, a delivery, a signup, a first login. `Expired` moves the clock past
    /// the default 72-hour validity, so build it in a harness of its own. Panics if the
    /// invitation does not end up in `status`.
    pub async fn invitation_in(
        &self,
        admin: &Actor,
        org: OrgId,
        email: &str,
        status: Status,
    ) -> InvitationId {
        if status == Status::Failed {
            self.notifier.script(email, &[Scripted::Permanent]);
        }
        let inv = self.invite_as(admin, org, email).await;
        match status {
            Status::Queued => {}
            Status::Cancelled => {
                self.service
                    .cancel(admin, inv.id)
                    .await
                    .expect("a queued invitation can be cancelled");
            }
            _ => {
                self.deliver().await;
            }
        }
        match status {
            Status::Expired => self.advance(TimeDelta::hours(72)),
            Status::NeverUsed => {
                self.sign_up_as(email).await;
            }
            Status::Completed => {
                let signup = self.sign_up_as(email).await;
                self.service
                    .record_first_login(&Actor::Application, signup.member.id)
                    .await
                    .expect("the application reports the first login");
            }
            _ => {}
        }
        assert_eq!(
            self.status(inv.id).await,
            status,
            "the fixture built {email}"
        );
        inv.id
    }

    /// The token of the latest link delivered for `invitation`, taken from the notifier (the
    /// only place a plain token ever exists).
    pub fn token_of(&self, invitation: InvitationId) -> String {
        let delivered = self.notifier.delivered();
        let latest = delivered
            .iter()
            .rev()
            .find(|n| n.invitation == invitation && n.signup_url.is_some())
            .expect("a link was delivered for this invitation");
        link_token(latest)
    }

    /// The token of the latest link delivered to `address` (a notification's `to`: the
    /// e-mail address as typed, trimmed, or the E.164 number).
    #[track_caller]
    pub fn token_sent_to(&self, address: &str) -> String {
        let latest = self
            .notifier
            .delivered_to(address)
            .into_iter()
            .rev()
            .find(|n| n.signup_url.is_some())
            .unwrap_or_else(|| panic!("no link was delivered to {address}"));
        link_token(&latest)
    }

    /// Signs up with `token`; panics if refused.
    pub async fn sign_up(&self, token: &str) -> Signup {
        self.service
            .sign_up(token, None)
            .await
            .expect("the signup is accepted")
    }

    /// Signs up with the latest link delivered to `address`, as its invitee would; panics if
    /// refused.
    pub async fn sign_up_as(&self, address: &str) -> Signup {
        let token = self.token_sent_to(address);
        self.sign_up(&token).await
    }

    /// The stored invitation; panics if missing.
    pub async fn invitation(&self, id: InvitationId) -> Invitation {
        self.store
            .invitation(id)
            .await
            .expect("the store answers")
            .expect("the invitation exists")
    }

    /// The stored outbox message of the latest delivery attempt for `invitation`.
    pub async fn last_attempted_message(&self, invitation: InvitationId) -> OutboxMessage {
        let id = self
            .attempts
            .attempts()
            .iter()
            .rev()
            .find(|a| a.invitation == invitation)
            .expect("a delivery was attempted for this invitation")
            .message_id;
        self.store
            .message(id)
            .await
            .expect("the store answers")
            .expect("the message is stored")
    }

    /// The stored invitation's status now.
    pub async fn status(&self, id: InvitationId) -> Status {
        self.invitation(id).await.status_at(self.now())
    }

    /// The seats of `org` now, as the store counts them.
    pub async fn seats(&self, org: OrgId) -> Seats {
        self.store
            .seats(org, self.now())
            .await
            .expect("the store answers")
    }

    /// The stored organization; panics if missing.
    pub async fn organization(&self, id: OrgId) -> Organization {
        self.store
            .organization(id)
            .await
            .expect("the store answers")
            .expect("the organization exists")
    }

    /// The audit trail of `org` (of one invitation if given).
    pub async fn audit(&self, org: OrgId, invitation: Option<InvitationId>) -> Vec<AuditEvent> {
        self.store
            .audit_trail(org, invitation)
            .await
            .expect("the store answers")
    }
}

/// The plain token of the signup link a delivered notification carries; panics if it carries
/// none, or a URL the harness's dispatchers did not build.
#[track_caller]
pub fn link_token(notification: &Notification) -> String {
    notification
        .signup_url
        .as_ref()
        .expect("the message carries a signup link")
        .expose()
        .strip_prefix(SIGNUP_URL_BASE)
        .expect("the signup URL starts with the harness's base")
        .to_owned()
}

/// The refusal of a command that must have been refused.
#[track_caller]
pub fn refusal<T: Debug>(result: Result<T, Error>) -> Refusal {
    match result {
        Err(Error::Refused(r)) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The conflict of a store call that must have been refused with one.
#[track_caller]
pub fn conflict<T: Debug>(result: Result<T, StoreError>) -> Conflict {
    match result {
        Err(StoreError::Conflict(c)) => c,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

/// A new, queued invitation record to `contact` by `channel`, for store-level commits.
pub fn invitation_record(
    org: OrgId,
    contact: Contact,
    channel: Channel,
    now: DateTime<Utc>,
) -> Invitation {
    let new = NewInvitation {
        org,
        contact,
        channel,
        access: Access::user(Role::ReadOnly),
        user_ref: None,
        sender: Sender {
            user: UserRef::new("admin-1"),
            name: "Ann Admin".into(),
        },
    };
    Invitation::queued(new, now).expect("the contact is reachable by the channel")
}

/// `inv` with its storage form changed by `change`: for store-level cases that need a record
/// in a state no transition leads to from here (a stale version, facts set by hand the way an
/// older version or a hand edit could).
pub fn with_facts(inv: &Invitation, change: impl FnOnce(&mut InvitationRecord)) -> Invitation {
    let mut record = inv.to_record();
    change(&mut record);
    Invitation::from_record(record)
}

/// A new, queued e-mail invitation record, for store-level commits.
pub fn email_invitation(org: OrgId, email: &str, now: DateTime<Utc>) -> Invitation {
    let contact = Contact::parse_email(email).expect("a valid e-mail address");
    invitation_record(org, contact, Channel::Email, now)
}

/// An audit event about `invitation` by the system, for store-level commits.
pub fn invited_event(org: OrgId, invitation: InvitationId, now: DateTime<Utc>) -> AuditEvent {
    AuditEvent::invitation(
        org,
        invitation,
        &Actor::System,
        now,
        AuditAction::Invited,
        None,
        Some(Status::Queued),
    )
}
