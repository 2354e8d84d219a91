//! The workers never stop for one stored value or one message: issue 9's findings 1, 2, 7
//! and 8 each have their regression test here, named in a comment. (The conformance suite
//! runs the same on every store:
//! `r7_1_r8_1_r9_1_extreme_stored_values_never_stop_a_worker_or_a_read` and
//! `r7_2_a_message_the_store_will_not_take_never_holds_up_the_others`.)

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use invite_core::*;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

const SIGNUP_BASE: &str = "https://app.example/signup?token=";

fn start() -> DateTime<Utc> {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

struct World<S> {
    store: Arc<S>,
    clock: Arc<ManualClock>,
    service: InvitationService<Arc<S>, Arc<ManualClock>>,
    notifier: Arc<RecordingNotifier>,
    operator: Actor,
}

impl<S: Store + 'static> World<S> {
    fn new(store: S) -> Self {
        let store = Arc::new(store);
        let clock = Arc::new(ManualClock::new(start()));
        Self {
            service: InvitationService::new(store.clone(), clock.clone()),
            store,
            clock,
            notifier: Arc::new(RecordingNotifier::new()),
            operator: Actor::Operator {
                id: "vendor".into(),
            },
        }
    }

    fn dispatcher(
        &self,
        f: impl FnOnce(&mut DispatcherConfig),
    ) -> Dispatcher<Arc<S>, Arc<RecordingNotifier>, Arc<ManualClock>> {
        let mut config = DispatcherConfig::new(SIGNUP_BASE);
        f(&mut config);
        let (store, notifier) = (self.store.clone(), self.notifier.clone());
        Dispatcher::new(store, notifier, self.clock.clone(), config)
    }

    /// An organization whose settings are then changed by `edit` straight in the store, past
    /// the bounds the service keeps (as an older version or a hand edit could).
    async fn org_stored_with(&self, name: &str, edit: fn(&mut OrgSettings)) -> (OrgId, Actor) {
        let settings = OrgSettings::with_seats(100);
        let kind = OrgKind::Standalone;
        let op = &self.operator;
        let created = self.service.create_organization(op, name, kind, settings);
        let mut org = created.await.unwrap();
        edit(&mut org.settings);
        let mut commit = Commit::new(org.id, start());
        commit.organization = Some(Write::Update(org.clone()));
        self.store.commit(commit).await.unwrap();
        (org.id, Actor::admin(org.id, "u-admin", "Ann Lee"))
    }

    async fn invite(&self, admin: &Actor, org: OrgId, email: &str) -> Invitation {
        let contact = Contact::parse_email(email).unwrap();
        let access = Access::user(Role::ReadOnly);
        let invite = self
            .service
            .invite(admin, org, contact, Channel::Email, access);
        invite.await.unwrap()
    }

    async fn stored(&self, id: InvitationId) -> Invitation {
        self.store.invitation(id).await.unwrap().unwrap()
    }
}

// Issue 9, finding 1: with a validity of 10^8 days, `now + validity` panicked in the
// dispatcher on every claim of that message, and the messages of other organizations queued
// after it were never delivered.
#[tokio::test]
async fn r4_3_a_stored_validity_of_10_8_days_never_ends_and_holds_up_no_one() {
    let w = World::new(MemoryStore::new());
    let edit = |s: &mut OrgSettings| s.validity = TimeDelta::days(100_000_000);
    let (century, admin) = w.org_stored_with("Century", edit).await;
    let (other, other_admin) = w.org_stored_with("Other", |_| {}).await;
    let long = w.invite(&admin, century, "long@example.com").await;
    let after = w.invite(&other_admin, other, "after@example.com").await;
    // One message a batch: the other organization's comes after the long one's.
    let report = w.dispatcher(|c| c.batch_size = 1).drain().await.unwrap();
    assert_eq!((report.claimed, report.sent), (2, 2));
    let long = w.stored(long.id).await;
    assert_eq!(long.expires_at(), Some(DateTime::<Utc>::MAX_UTC));
    assert_eq!(
        long.status_at(start() + TimeDelta::days(365 * 1000)),
        Status::Pending
    );
    assert_eq!(w.stored(after.id).await.status_at(start()), Status::Pending);
}

// Issue 9, finding 2: a resend cool-down of `TimeDelta::MAX` made `resend` panic (only
// negative values were refused).
#[tokio::test]
async fn r5_2_a_stored_cooldown_of_time_delta_max_refuses_the_resend_with_resend_cooldown() {
    let w = World::new(MemoryStore::new());
    let edit = |s: &mut OrgSettings| s.resend_cooldown = TimeDelta::MAX;
    let (org, admin) = w.org_stored_with("Patient", edit).await;
    let inv = w.invite(&admin, org, "bob@example.com").await;
    w.dispatcher(|_| {}).drain().await.unwrap();
    w.clock.advance(TimeDelta::days(30));
    let refused = w.service.resend(&admin, inv.id).await;
    assert!(
        matches!(
            refused,
            Err(Error::Refused(Refusal::ResendCooldown { retry_after }))
                if retry_after == DateTime::<Utc>::MAX_UTC
        ),
        "{refused:?}"
    );
}

/// A store whose next invitation load fails, as a dropped connection would, and which
/// refuses every commit about one organization, as for a record it cannot hold.
struct FlakyLoads<S> {
    inner: S,
    fail_next: AtomicBool,
    refuse_org: std::sync::Mutex<Option<OrgId>>,
}

#[async_trait]
impl<S: Store + 'static> RecordStore for FlakyLoads<S> {
    async fn commit(&self, commit: Commit) -> Result<CommitOutcome, StoreError> {
        if *self.refuse_org.lock().unwrap() == Some(commit.org) {
            return Err(StoreError::Backend("this record cannot be stored".into()));
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
        if self.fail_next.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Backend("connection reset".into()));
        }
        self.inner.invitations(ids).await
    }
    async fn open_invitations(
        &self,
        org: OrgId,
        keys: &[String],
    ) -> Result<Vec<Invitation>, StoreError> {
        self.inner.open_invitations(org, keys).await
    }
    async fn invitations_for_users(
        &self,
        org: OrgId,
        users: &[UserRef],
    ) -> Result<Vec<Invitation>, StoreError> {
        self.inner.invitations_for_users(org, users).await
    }
    async fn link(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<invite_core::token::LinkRecord>, StoreError> {
        self.inner.link(hash).await
    }
    async fn member(&self, id: MemberId) -> Result<Option<Member>, StoreError> {
        self.inner.member(id).await
    }
    async fn active_members(&self, org: OrgId, keys: &[String]) -> Result<Vec<Member>, StoreError> {
        self.inner.active_members(org, keys).await
    }
    async fn seats(&self, org: OrgId, now: DateTime<Utc>) -> Result<Seats, StoreError> {
        self.inner.seats(org, now).await
    }
}

invite_core::forward_outbox_and_views!(for FlakyLoads<S> where S: [Store + 'static] => |this| this.inner);

fn flaky() -> FlakyLoads<MemoryStore> {
    FlakyLoads {
        inner: MemoryStore::new(),
        fail_next: AtomicBool::new(false),
        refuse_org: std::sync::Mutex::new(None),
    }
}

// Issue 9, finding 7: `dispatch_due` dropped its whole claimed batch on the first store
// error, so the rest waited a full lease (5 minutes by default). A failure before delivery
// now gives the claims back at once; a failure of one message's own commit is that message's
// (the conformance case `r7_2_a_message_the_store_will_not_take_never_holds_up_the_others`).
#[tokio::test]
async fn r7_2_a_store_failure_before_delivery_gives_the_batch_back_at_once() {
    let w = World::new(flaky());
    let (org, admin) = w.org_stored_with("Acme", |_| {}).await;
    for n in 0..3 {
        w.invite(&admin, org, &format!("u{n}@example.com")).await;
    }
    let dispatcher = w.dispatcher(|_| {});
    w.store.fail_next.store(true, Ordering::SeqCst);
    assert!(matches!(
        dispatcher.dispatch_due().await,
        Err(Error::Store(_))
    ));
    // Not a lease later: at once, and the failed batch cost no attempt.
    let report = dispatcher.dispatch_due().await.unwrap();
    assert_eq!((report.claimed, report.sent), (3, 3));
    let attempts: Vec<u32> = w.notifier.delivered().iter().map(|n| n.attempt).collect();
    assert_eq!(attempts, vec![1, 1, 1]);
}

// Issue 9, finding 8: the retry back-off had no jitter, so after an outage every failed
// message retried in the same instant.
#[tokio::test]
async fn r7_2_retries_failed_in_one_instant_come_back_at_distinct_instants() {
    let w = World::new(MemoryStore::new());
    let (org, admin) = w.org_stored_with("Acme", |_| {}).await;
    for n in 0..100 {
        let email = format!("u{n}@example.com");
        w.notifier.script(&email, &[Scripted::Transient]);
        w.invite(&admin, org, &email).await;
    }
    let report = w.dispatcher(|c| c.batch_size = 100).drain().await.unwrap();
    assert_eq!(report.retried, 100);
    let later = start() + TimeDelta::hours(1);
    let claims = w.store.claim_due(later, TimeDelta::minutes(5), 1000).await;
    let due: BTreeSet<DateTime<Utc>> = claims.unwrap().iter().map(|c| c.message.due_at).collect();
    let policy = RetryPolicy::default();
    let (first, last) = (*due.first().unwrap(), *due.last().unwrap());
    assert!(first >= start() + policy.delay_after(1));
    assert!(last <= start() + policy.jittered_delay_after(1, 1.0));
    // 7.5 s of jitter in microseconds: a handful of collisions at the very most.
    assert!(due.len() >= 95, "{} distinct due times of 100", due.len());
    assert!(
        last - first > TimeDelta::seconds(5),
        "spread over {}",
        last - first
    );
}

// R8.1 (the sweep's side of finding 7): an organization whose reminders cannot be committed
// holds up no other; the sweep reminds the rest and then reports the failure.
#[tokio::test]
async fn r8_1_an_organization_whose_reminders_fail_holds_up_no_other() {
    let w = World::new(flaky());
    let mut orgs = Vec::new();
    for name in ["First", "Second"] {
        let on = |s: &mut OrgSettings| s.reminders_enabled = true;
        let (org, admin) = w.org_stored_with(name, on).await;
        let inv = w
            .invite(&admin, org, &format!("{}@example.com", name.to_lowercase()))
            .await;
        orgs.push((org, inv));
    }
    w.dispatcher(|_| {}).drain().await.unwrap();
    orgs.sort_by_key(|(org, _)| *org);
    // The organization swept first cannot be written; the one after it is reminded.
    *w.store.refuse_org.lock().unwrap() = Some(orgs[0].0);
    w.clock.advance(TimeDelta::days(1) + TimeDelta::hours(2)); // past 10:00 UTC next day
    assert!(matches!(
        w.service.sweep_reminders().await,
        Err(Error::Store(_))
    ));
    *w.store.refuse_org.lock().unwrap() = None;
    w.dispatcher(|_| {}).drain().await.unwrap();
    let reminded: Vec<InvitationId> = w
        .notifier
        .delivered()
        .iter()
        .filter(|n| n.kind == MessageKind::Reminder)
        .map(|n| n.invitation)
        .collect();
    assert_eq!(reminded, vec![orgs[1].1.id]);
}
