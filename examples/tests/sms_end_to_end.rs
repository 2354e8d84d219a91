//! End to end through the real loopback servers: an invitation by SMS goes from `invite`
//! through the outbox, the core's dispatcher and `SmsNotifier` to the SMPP server
//! (`scripts/smpp_server.js`), and the link read back from what the server recorded signs the
//! invitee up; a delivery receipt `UNDELIV` sent after the server accepted a message makes the
//! invitation Failed, on the dashboard's Expired or Failed tab; and one organization invites by
//! e-mail and by SMS in one call, delivered through one `ChannelRouter` to the SMTP server
//! (`scripts/smtp_server.py`) and the SMPP server. On `MemoryStore`, and on PostgreSQL
//! (feature `postgres`, `DATABASE_URL`).
//!
//! No test sleeps: the servers record a message before they answer it, so what a finished
//! `drain` delivered is already on disk; a receipt is awaited on its channel, bounded.

// The two notifier crates' test support: where the servers are (the variables
// `scripts/smpp-server` and `scripts/smtp-server` export, or a server process of the test's
// own) and how to read what they recorded. Included, not copied, so it cannot drift.
#[path = "../../invite-lettre/tests/support/mod.rs"]
mod mail;
#[path = "../../invite-sms/tests/support/mod.rs"]
mod sms;

use chrono::TimeDelta;
use invite_core::{
    Access, Actor, Channel, ChannelRouter, Clock, Contact, DeliveryReport, DeliveryReportOutcome,
    Dispatcher, DispatcherConfig, FailureReason, Invitation, InvitationService, Language,
    ListQuery, ManualClock, MemoryStore, Notifier, OrgKind, OrgSettings, Organization,
    ReportOutcome, Role, Status, Store, Tab,
};
use std::sync::Arc;
use std::time::Duration;

const BASE: &str = "https://app.example.com/signup?token=";

/// A service on `S`, its clock, and an organization with an admin.
struct World<S> {
    clock: Arc<ManualClock>,
    store: S,
    service: InvitationService<S, Arc<ManualClock>>,
    org: Organization,
    admin: Actor,
}

impl<S: Store + Clone + 'static> World<S> {
    async fn new(store: S, language: Language) -> Self {
        let clock = Arc::new(ManualClock::new(sms::instant("2026-03-02T09:00:00Z")));
        let service = InvitationService::new(store.clone(), clock.clone());
        let settings = OrgSettings {
            language,
            time_zone: chrono_tz::Europe::Moscow,
            ..OrgSettings::with_seats(5)
        };
        let operator = Actor::Operator { id: "ops".into() };
        let org = service
            .create_organization(&operator, "Acme", OrgKind::Standalone, settings)
            .await
            .expect("organization");
        let admin = Actor::admin(org.id, "u-ann", "Ann Admin");
        Self {
            clock,
            store,
            service,
            org,
            admin,
        }
    }

    fn dispatcher<N: Notifier>(&self, notifier: N) -> Dispatcher<S, N, Arc<ManualClock>> {
        Dispatcher::new(
            self.store.clone(),
            notifier,
            self.clock.clone(),
            DispatcherConfig::new(BASE),
        )
    }

    async fn invite_by_sms(&self, phone: &str) -> Invitation {
        let contact = Contact::parse_phone(phone).expect("a valid E.164 number");
        self.service
            .invite(
                &self.admin,
                self.org.id,
                contact,
                Channel::Sms,
                Access::user(Role::ReadOnly),
            )
            .await
            .expect("invited")
    }

    async fn status(&self, inv: &Invitation) -> Status {
        self.service
            .invitation(&self.admin, inv.id)
            .await
            .expect("readable")
            .status
    }
}

/// A Russian mobile number no other test uses, starting with `prefix` (digits, no `+`; the
/// SMPP server answers by prefix): `+7 9xx` and 11 digits in all, valid in the numbering plan
/// as the core's strict E.164 check wants.
fn phone(prefix: &str) -> String {
    let random = uuid::Uuid::new_v4().as_u128();
    let digits = format!("{:020}", random % 10u128.pow(20));
    format!("+{prefix}{}", &digits[..11 - prefix.len()])
}

/// The signup link in a message's text: from `https://` to the next white space.
fn link_in(text: &str) -> &str {
    let start = text.find("https://").expect("a link in the text");
    text[start..]
        .split_whitespace()
        .next()
        .expect("the link runs to a space or the end")
}

/// The token of a signup link, as the signup page reads it.
fn token_of(link: &str) -> &str {
    link.strip_prefix(BASE)
        .expect("the dispatcher's signup base")
}

/// The next delivery report of a notifier, waited for at most ten seconds.
async fn next_report(reports: &mut tokio::sync::mpsc::Receiver<DeliveryReport>) -> DeliveryReport {
    tokio::time::timeout(Duration::from_secs(10), reports.recv())
        .await
        .expect("a receipt within 10 s")
        .expect("the report channel is open")
}

/// Invite by SMS → dispatcher → `SmsNotifier` → the SMSC records the segments → the link
/// reassembled from them signs the invitee up. A Russian organization: UCS-2, concatenated.
async fn an_sms_invitation_arrives_and_its_link_signs_the_invitee_up<S>(store: S)
where
    S: Store + Clone + 'static,
{
    let w = World::new(store, Language::Ru).await;
    let to = phone(sms::NORMAL);
    let inv = w.invite_by_sms(&to).await;
    let notifier = sms::notifier("");
    let mut reports = notifier.delivery_reports().expect("taken once");
    let report = w.dispatcher(notifier.clone()).drain().await.expect("drain");
    assert_eq!((report.claimed, report.sent), (1, 1), "{report:?}");

    // What the SMS centre received.
    let records = sms::submitted(&to);
    assert!(records.len() > 1, "a Russian invitation is concatenated");
    for r in &records {
        assert_eq!(r.str("destination_addr"), to.trim_start_matches('+'));
        assert_eq!(r.str("source_addr"), "Acme");
        assert_eq!(r.u8("data_coding"), 0x08, "UCS-2");
    }
    let text = sms::reassembled(&records);
    assert!(
        text.starts_with("Ann Admin пригласил(а) вас в Acme: "),
        "{text}"
    );
    let link = link_in(&text);
    let token = token_of(link);
    assert_eq!(token.len(), 43, "256 bits in base64url, intact: {link}");

    // The outbox kept the SMSC's id for the message and the billable segments.
    let provider_id = records[0].str("message_id");
    let message = w
        .store
        .message_by_provider_id(provider_id)
        .await
        .expect("store")
        .expect("the message under the SMSC's id");
    assert_eq!(message.invitation, inv.id);
    let receipt = message.receipt.expect("the delivery recorded");
    assert_eq!(receipt.parts as usize, records.len());

    // The SMSC's DELIVRD receipt changes nothing.
    let delivered = next_report(&mut reports).await;
    assert_eq!(delivered.provider_id, provider_id);
    assert_eq!(delivered.outcome, DeliveryReportOutcome::Delivered);
    let outcome = w.service.record_delivery_report(&delivered).await;
    assert_eq!(outcome.expect("recorded"), ReportOutcome::Delivered);
    assert_eq!(w.status(&inv).await, Status::Pending);

    // The invitee opens the link.
    w.clock.advance(TimeDelta::minutes(5));
    let signup = w
        .service
        .sign_up(token, Some("u-sms".into()))
        .await
        .expect("the link from the SMS signs up");
    assert_eq!(signup.invitation.id, inv.id);
    let member = w
        .store
        .member(signup.member.id)
        .await
        .expect("store")
        .expect("the member exists");
    assert_eq!(member.org, w.org.id);
    assert_eq!(w.status(&inv).await, Status::NeverUsed);
    notifier.close().await;
}

/// The SMSC accepts the message, then reports `UNDELIV`: the report, fed to the core, makes
/// the invitation Failed with the reason, on the Expired or Failed tab; feeding it again
/// changes nothing.
async fn an_undelivered_receipt_fails_the_invitation_on_the_expired_or_failed_tab<S>(store: S)
where
    S: Store + Clone + 'static,
{
    let w = World::new(store, Language::En).await;
    let to = phone(sms::UNDELIVERED);
    let inv = w.invite_by_sms(&to).await;
    let notifier = sms::notifier("");
    let mut reports = notifier.delivery_reports().expect("taken once");
    let report = w.dispatcher(notifier.clone()).drain().await.expect("drain");
    assert_eq!((report.sent, report.failed), (1, 0), "accepted: {report:?}");
    assert_eq!(w.status(&inv).await, Status::Pending);

    let undelivered = next_report(&mut reports).await;
    let records = sms::submitted(&to);
    assert_eq!(undelivered.provider_id, records[0].str("message_id"));
    assert_eq!(
        undelivered.outcome,
        DeliveryReportOutcome::Failed {
            reason: "UNDELIV err:001".into()
        }
    );
    w.clock.advance(TimeDelta::minutes(1));
    let outcome = w.service.record_delivery_report(&undelivered).await;
    assert_eq!(outcome.expect("recorded"), ReportOutcome::InvitationFailed);

    let view = w
        .service
        .invitation(&w.admin, inv.id)
        .await
        .expect("readable");
    assert_eq!(view.status, Status::Failed);
    match view.invitation.failure() {
        Some(FailureReason::DeliveryRejected(why)) => {
            assert_eq!(why, "delivery report: UNDELIV err:001")
        }
        other => panic!("expected the receipt's reason, got {other:?}"),
    }
    let tab = w
        .service
        .list(&w.admin, w.org.id, &ListQuery::tab(Tab::ExpiredOrFailed))
        .await
        .expect("list");
    let rows: Vec<_> = tab
        .rows
        .iter()
        .map(|r| (r.invitation.id, r.status))
        .collect();
    assert_eq!(rows, [(inv.id, Status::Failed)]);
    let dashboard = w
        .service
        .dashboard(&w.admin, w.org.id)
        .await
        .expect("dashboard");
    assert_eq!(dashboard.counts.of(Tab::ExpiredOrFailed), 1);
    assert_eq!(dashboard.counts.of(Tab::Pending), 0);

    let again = w.service.record_delivery_report(&undelivered).await;
    assert_eq!(again.expect("recorded"), ReportOutcome::NoLongerApplies);
    notifier.close().await;
}

/// One organization, one bulk invite of an e-mail address and a phone number (one commit),
/// one dispatcher over one `ChannelRouter`: the e-mail arrives at the SMTP server, the SMS at
/// the SMPP server, and each link signs its invitee up.
async fn one_router_delivers_email_and_sms_to_the_real_servers<S>(store: S)
where
    S: Store + Clone + 'static,
{
    let w = World::new(store, Language::En).await;
    let email = mail::unique("bob");
    let to = phone(sms::NORMAL);
    let outcomes = w
        .service
        .invite_many(
            &w.admin,
            w.org.id,
            &[email.as_str(), to.as_str()],
            Access::user(Role::ReadOnly),
        )
        .await
        .expect("bulk invite");
    let channels: Vec<Channel> = outcomes
        .iter()
        .map(|o| o.result.as_ref().expect("invited").channel)
        .collect();
    assert_eq!(channels, [Channel::Email, Channel::Sms]);

    let sms_notifier = sms::notifier("&receipts=false");
    let router = ChannelRouter::builder()
        .channel(Channel::Email, mail::notifier())
        .channel(Channel::Sms, sms_notifier.clone())
        .build();
    let report = w.dispatcher(router).drain().await.expect("drain");
    assert_eq!((report.claimed, report.sent), (2, 2), "{report:?}");

    let arrived = mail::only_mail_for(&email);
    assert_eq!(arrived.header("To").as_deref(), Some(email.as_str()));
    let email_link = arrived.link().expect("a link in the e-mail");
    let records = sms::submitted(&to);
    assert_eq!(records.len(), 1, "an English invitation fits one SMS");
    assert_eq!(records[0].u8("data_coding"), 0x00, "GSM 7-bit");
    assert!(mail::mail_for(&to).is_empty(), "no e-mail to the number");
    let text = sms::reassembled(&records);
    let sms_link = link_in(&text);
    assert_ne!(email_link, sms_link, "a link of each invitation's own");

    w.clock.advance(TimeDelta::minutes(5));
    for (link, user) in [(email_link.as_str(), "u-bob"), (sms_link, "u-sms")] {
        let signup = w
            .service
            .sign_up(token_of(link), Some(user.into()))
            .await
            .expect("each link signs up");
        assert!(
            w.store
                .member(signup.member.id)
                .await
                .expect("store")
                .is_some()
        );
    }
    let dashboard = w
        .service
        .dashboard(&w.admin, w.org.id)
        .await
        .expect("dashboard");
    let counts = &dashboard.counts;
    assert_eq!((counts.invited_by_email, counts.invited_by_sms), (1, 1));
    assert_eq!(counts.of(Tab::NeverUsed), 2);
    assert_eq!(w.clock.now(), sms::instant("2026-03-02T09:05:00Z"));
    sms_notifier.close().await;
}

#[tokio::test]
async fn memory_an_sms_invitation_arrives_and_its_link_signs_the_invitee_up() {
    an_sms_invitation_arrives_and_its_link_signs_the_invitee_up(Arc::new(MemoryStore::new())).await;
}

#[tokio::test]
async fn memory_an_undelivered_receipt_fails_the_invitation_on_the_expired_or_failed_tab() {
    an_undelivered_receipt_fails_the_invitation_on_the_expired_or_failed_tab(Arc::new(
        MemoryStore::new(),
    ))
    .await;
}

#[tokio::test]
async fn memory_one_router_delivers_email_and_sms_to_the_real_servers() {
    one_router_delivers_email_and_sms_to_the_real_servers(Arc::new(MemoryStore::new())).await;
}

/// The same on PostgreSQL: each test in a database of its own (`#[sqlx::test]`), migrated by
/// `PgStore::migrate`.
#[cfg(feature = "postgres")]
mod postgres {
    use invite_sqlx::PgStore;
    use sqlx::PgPool;

    async fn store(pool: PgPool) -> PgStore {
        let store = PgStore::new(pool);
        store.migrate().await.expect("migrations");
        store
    }

    #[sqlx::test(migrations = false)]
    async fn postgres_an_sms_invitation_arrives_and_its_link_signs_the_invitee_up(pool: PgPool) {
        super::an_sms_invitation_arrives_and_its_link_signs_the_invitee_up(store(pool).await).await;
    }

    #[sqlx::test(migrations = false)]
    async fn postgres_an_undelivered_receipt_fails_the_invitation_on_the_expired_or_failed_tab(
        pool: PgPool,
    ) {
        super::an_undelivered_receipt_fails_the_invitation_on_the_expired_or_failed_tab(
            store(pool).await,
        )
        .await;
    }

    #[sqlx::test(migrations = false)]
    async fn postgres_one_router_delivers_email_and_sms_to_the_real_servers(pool: PgPool) {
        super::one_router_delivers_email_and_sms_to_the_real_servers(store(pool).await).await;
    }
}
