//! The SMTP notifier behind the core's dispatcher, against a real SMTP server: a 451 is
//! retried, a 550 fails the invitation (R7.2), and an invitation goes end to end from `invite`
//! to an e-mail whose link signs the invitee up.

mod support;

use chrono::TimeDelta;
use invite_core::{
    Access, Actor, Channel, Clock, Contact, Dispatcher, DispatcherConfig, FailureReason,
    InvitationService, Language, ManualClock, MemoryStore, OrgKind, OrgSettings, RecordStore, Role,
    Status,
};
use invite_lettre::SmtpNotifier;
use std::sync::Arc;
use support::*;

const BASE: &str = "https://app.example.com/signup?token=";

struct World {
    clock: Arc<ManualClock>,
    store: Arc<MemoryStore>,
    service: InvitationService<Arc<MemoryStore>, Arc<ManualClock>>,
    dispatcher: Dispatcher<Arc<MemoryStore>, SmtpNotifier, Arc<ManualClock>>,
}

impl World {
    fn new() -> Self {
        let clock = Arc::new(ManualClock::new(instant("2026-03-02T09:00:00Z")));
        let store = Arc::new(MemoryStore::new());
        let service = InvitationService::new(store.clone(), clock.clone());
        let dispatcher = Dispatcher::new(
            store.clone(),
            notifier(),
            clock.clone(),
            DispatcherConfig::new(BASE),
        );
        Self {
            clock,
            store,
            service,
            dispatcher,
        }
    }

    async fn org(&self, language: Language) -> (invite_core::Organization, Actor) {
        let settings = OrgSettings {
            language,
            time_zone: chrono_tz::Europe::Moscow,
            ..OrgSettings::with_seats(5)
        };
        let operator = Actor::Operator { id: "ops".into() };
        let org = self
            .service
            .create_organization(&operator, "Acme <Ops>", OrgKind::Standalone, settings)
            .await
            .expect("organization");
        let admin = Actor::admin(org.id, "u1", "Ann Admin");
        (org, admin)
    }

    async fn invite(
        &self,
        admin: &Actor,
        org: &invite_core::Organization,
        to: &str,
    ) -> invite_core::Invitation {
        self.service
            .invite(
                admin,
                org.id,
                Contact::parse_email(to).expect("e-mail"),
                Channel::Email,
                Access::user(Role::ReadOnly),
            )
            .await
            .expect("invited")
    }

    async fn status(&self, id: invite_core::InvitationId) -> Status {
        let inv = self
            .store
            .invitation(id)
            .await
            .expect("store")
            .expect("exists");
        inv.status_at(self.clock.now())
    }
}

#[tokio::test]
async fn a_451_is_retried_later_and_a_550_fails_the_invitation() {
    let w = World::new();
    let (org, admin) = w.org(Language::En).await;
    let busy = unique("busy");
    let reject = unique("reject");
    let busy_inv = w.invite(&admin, &org, &busy).await;
    let reject_inv = w.invite(&admin, &org, &reject).await;

    let report = w.dispatcher.drain().await.expect("dispatch");
    assert_eq!((report.claimed, report.retried, report.failed), (2, 1, 1));

    // 550: the invitation is Failed, the reason says what the server said.
    let failed = w
        .store
        .invitation(reject_inv.id)
        .await
        .expect("store")
        .expect("exists");
    assert_eq!(failed.status_at(w.clock.now()), Status::Failed);
    match failed.failure() {
        Some(FailureReason::DeliveryRejected(why)) => assert!(why.contains("550"), "{why}"),
        other => panic!("expected DeliveryRejected, got {other:?}"),
    }

    // 451: still waiting for delivery, retried later and not before.
    assert_eq!(w.status(busy_inv.id).await, Status::Queued);
    let again = w.dispatcher.dispatch_due().await.expect("dispatch");
    assert_eq!(again.claimed, 0, "the retry is not due yet");
    w.clock.advance(TimeDelta::minutes(1));
    let retry = w.dispatcher.drain().await.expect("dispatch");
    assert_eq!(
        (retry.claimed, retry.retried),
        (1, 1),
        "retried, busy again"
    );
    assert_eq!(w.status(busy_inv.id).await, Status::Queued);
    assert!(mail_for(&busy).is_empty() && mail_for(&reject).is_empty());
}

#[tokio::test]
async fn invite_to_mailbox_to_signup_end_to_end() {
    let w = World::new();
    let (org, admin) = w.org(Language::Ru).await;
    let to = unique("newcomer");
    let inv = w.invite(&admin, &org, &to).await;
    let report = w.dispatcher.drain().await.expect("dispatch");
    assert_eq!(report.sent, 1);
    assert_eq!(w.status(inv.id).await, Status::Pending);

    let mail = only_mail_for(&to);
    let stored = w
        .store
        .invitation(inv.id)
        .await
        .expect("store")
        .expect("exists");
    let expires = stored.expires_at().expect("sent, so it expires");
    assert_eq!(mail.header("Content-Language").as_deref(), Some("ru"));
    let subject = mail.header("Subject").expect("subject");
    assert_eq!(subject, "Ann Admin приглашает вас в Acme <Ops>");
    let text = mail.text();
    assert!(text.contains(&invite_lettre::templates::format_instant(
        expires,
        chrono_tz::Europe::Moscow,
        Language::Ru
    )));
    assert!(mail.html().contains("Acme &lt;Ops&gt;"));
    let link = mail.link().expect("a link in the message");
    let token = link.strip_prefix(BASE).expect("the configured base");

    w.clock.advance(TimeDelta::minutes(5));
    let signup = w
        .service
        .sign_up(token, None)
        .await
        .expect("signup with the e-mailed link");
    assert_eq!(signup.invitation.id, inv.id);
    assert_eq!(w.status(inv.id).await, Status::NeverUsed);
}
