//! Fixtures shared by the cases: a harness wiring a store to a service, a manual clock and a
//! recording notifier, organizations with admins, and raw records for store-level commits.

use crate::access::{Access, Role};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::{Clock, ManualClock};
use crate::contact::{Channel, Contact};
use crate::decide::signup::Signup;
use crate::dispatcher::{DispatchReport, Dispatcher, DispatcherConfig};
use crate::error::{Error, Refusal};
use crate::ids::{InvitationId, MemberId, MessageId, OrgId, UserRef};
use crate::invitation::{Invitation, InvitationRecord, NewInvitation, Sender, Status};
use crate::member::{Member, Seats};
use crate::notifier::{Delivered, Notification, Notifier, NotifyError, RecordingNotifier};
use crate::org::{OrgKind, OrgSettings, Organization};
use crate::outbox::{MessageKind, OutboxMessage};
use crate::service::InvitationService;
use crate::store::{Commit, CommitOutcome, Conflict, RecordStore, Store, StoreError};
use crate::token::{LinkRecord, TokenHash};
use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use std::fmt::Debug;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// A service whose first commits wait for each other (see [`RaceGate`]).
pub type RacingService<S> = InvitationService<Arc<RaceGate<S>>, Arc<ManualClock>>;

/// A store wrapper that holds back the first `n` commits until all `n` have arrived, so `n`
/// racing commands have all read the state and decided before any of them commits. The race
/// the store must settle then happens on every run, on any runtime, instead of being left to
/// the scheduler. Later commits (retries after a conflict) pass straight through.
pub struct RaceGate<S> {
    inner: Arc<S>,
    held: AtomicUsize,
    barrier: tokio::sync::Barrier,
}

impl<S> RaceGate<S> {
    /// A gate in front of `inner` for the next `n` commits.
    pub fn new(inner: Arc<S>, n: usize) -> Self {
        Self {
            inner,
            held: AtomicUsize::new(n),
            barrier: tokio::sync::Barrier::new(n),
        }
    }
}

#[async_trait]
impl<S: Store + 'static> RecordStore for RaceGate<S> {
    async fn commit(&self, commit: Commit) -> Result<CommitOutcome, StoreError> {
        let gated = self
            .held
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if gated {
            // A watchdog, not a delay: a case whose racers do not all commit fails instead of
            // hanging.
            let all = tokio::time::timeout(std::time::Duration::from_secs(60), self.barrier.wait());
            all.await.expect("every racing command reached its commit");
        }
        self.inner.commit(commit).await
    }
    async fn organization(&self, id: OrgId) -> Result<Option<Organization>, StoreError> {
        self.inner.organization(id).await
    }
    async fn organizations(&self, ids: &[OrgId]) -> Result<Vec<Organization>, StoreError> {
        self.inner.organizations(ids).await
    }
    async fn invitation(&self, id: InvitationId) -> Result<Option<Invitation>, StoreError> {
        self.inner.invitation(id).await
    }
    async fn invitations(&self, ids: &[InvitationId]) -> Result<Vec<Invitation>, StoreError> {
        self.inner.invitations(ids).await
    }
    async fn open_invitations(
        &self,
        org: OrgId,
        address_keys: &[String],
    ) -> Result<Vec<Invitation>, StoreError> {
        self.inner.open_invitations(org, address_keys).await
    }
    async fn invitations_for_users(
        &self,
        org: OrgId,
        users: &[UserRef],
    ) -> Result<Vec<Invitation>, StoreError> {
        self.inner.invitations_for_users(org, users).await
    }
    async fn link(&self, hash: &TokenHash) -> Result<Option<LinkRecord>, StoreError> {
        self.inner.link(hash).await
    }
    async fn member(&self, id: MemberId) -> Result<Option<Member>, StoreError> {
        self.inner.member(id).await
    }
    async fn active_members(
        &self,
        org: OrgId,
        contact_keys: &[String],
    ) -> Result<Vec<Member>, StoreError> {
        self.inner.active_members(org, contact_keys).await
    }
    async fn seats(&self, org: OrgId, now: DateTime<Utc>) -> Result<Seats, StoreError> {
        self.inner.seats(org, now).await
    }
}

crate::forward_outbox_and_views!(for RaceGate<S> where S: [Store + 'static] => |this| this.inner);

/// A dispatcher over the harness's store, notifier and clock.
pub type TestDispatcher<S> = Dispatcher<Arc<S>, Arc<AttemptLog>, Arc<ManualClock>>;

/// One delivery attempt, as the notifier saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The outbox message.
    pub message_id: MessageId,
    /// Its invitation.
    pub invitation: InvitationId,
    /// Its kind.
    pub kind: MessageKind,
    /// Which attempt, from 1.
    pub attempt: u32,
    /// Whether the notifier accepted it.
    pub accepted: bool,
}

/// The harness's notifier: logs every attempt, failed ones included, and hands the message to
/// a [`RecordingNotifier`], which accepts it or fails as scripted.
#[derive(Debug, Default)]
pub struct AttemptLog {
    inner: Arc<RecordingNotifier>,
    log: Mutex<Vec<Attempt>>,
}

impl AttemptLog {
    /// Every attempt so far, oldest first.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[async_trait]
impl Notifier for AttemptLog {
    async fn deliver(&self, notification: &Notification) -> Result<Delivered, NotifyError> {
        let result = self.inner.deliver(notification).await;
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Attempt {
                message_id: notification.message_id,
                invitation: notification.invitation,
                kind: notification.kind,
                attempt: notification.attempt,
                accepted: result.is_ok(),
            });
        result
    }
}

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
    /// Every delivery attempt, failed ones included; delivers through `notifier`.
    pub attempts: Arc<AttemptLog>,
    /// The service over the store; in an `Arc` so concurrent tasks can share it.
    pub service: Arc<TestService<S>>,
    /// The vendor's operator, who creates organizations and sets seats.
    pub operator: Actor,
}

impl<S: Store + 'static> Harness<S> {
    /// A harness around `store`, with the clock at [`start`].
    pub fn new(store: S) -> Self {
        let store = Arc::new(store);
        let clock = Arc::new(ManualClock::new(start()));
        let service = Arc::new(InvitationService::new(store.clone(), clock.clone()));
        let notifier = Arc::new(RecordingNotifier::new());
        let attempts = Arc::new(AttemptLog {
            inner: notifier.clone(),
            log: Mutex::new(Vec::new()),
        });
        Self {
            store,
            clock,
            notifier,
            attempts,
            service,
            operator: Actor::Operator {
                id: "vendor-ops".into(),
            },
        }
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

    /// The default dispatcher configuration of the harness.
    pub fn dispatcher_config(&self) -> DispatcherConfig {
        DispatcherConfig::new(SIGNUP_URL_BASE)
    }

    /// A new dispatcher with the default configuration.
    pub fn dispatcher(&self) -> TestDispatcher<S> {
        self.dispatcher_with(self.dispatcher_config())
    }

    /// A new dispatcher with `config`.
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

    /// Invites `email` as a read-only user; panics if refused.
    pub async fn invite(&self, org: &TestOrg, email: &str) -> Invitation {
        let contact = Contact::parse_email(email).expect("a valid e-mail address");
        self.service
            .invite(
                &org.admin,
                org.id(),
                contact,
                Channel::Email,
                Access::user(Role::ReadOnly),
            )
            .await
            .expect("the invite is accepted")
    }

    /// Invites `phone` by SMS as a read-only user; panics if refused.
    pub async fn invite_sms(&self, org: &TestOrg, phone: &str) -> Invitation {
        let contact = Contact::parse_phone(phone).expect("a valid E.164 number");
        self.service
            .invite(
                &org.admin,
                org.id(),
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

    /// The token of the latest link delivered for `invitation`, taken from the notifier (the
    /// only place a plain token ever exists).
    pub fn token_of(&self, invitation: InvitationId) -> String {
        self.notifier
            .delivered()
            .iter()
            .rev()
            .filter(|n| n.invitation == invitation)
            .find_map(|n| n.signup_url.as_ref())
            .expect("a link was delivered for this invitation")
            .expose()
            .strip_prefix(SIGNUP_URL_BASE)
            .expect("the signup URL starts with the harness's base")
            .to_owned()
    }

    /// Signs up with `token`; panics if refused.
    pub async fn sign_up(&self, token: &str) -> Signup {
        self.service
            .sign_up(token, None)
            .await
            .expect("the signup is accepted")
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

/// The refusal of a command that must have been refused.
pub fn refusal<T: Debug>(result: Result<T, Error>) -> Refusal {
    match result {
        Err(Error::Refused(r)) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The conflict of a store call that must have been refused with one.
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
