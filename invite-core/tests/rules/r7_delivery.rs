//! R7 Delivery: the outbox, retries and failures, leases, no plain token stored, what a message carries.

use crate::support::{harness, hm, user_access, with_reminders};
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use invite_core::outbox::{OutboxOutcome, OutboxUpdate};
use invite_core::testkit::*;
use invite_core::*;
use std::collections::HashSet;
use std::sync::Arc;

#[tokio::test]
async fn r7_1_every_message_is_recorded_with_the_change_that_asks_for_it() {
    let h = harness();
    let TestOrg { org, admin } = h
        .org_with("Acme", with_reminders(5, Tz::UTC, hm(10, 0)))
        .await;
    // Invitation: queued by the invite itself, before any dispatcher runs
    let a = h.invite_as(&admin, org.id, "a@example.com").await;
    let b = h.invite_as(&admin, org.id, "b@example.com").await;
    assert_eq!(h.store.outbox_counts(), (2, 0, 0, 0));
    h.deliver().await;
    assert_eq!(h.store.outbox_counts(), (0, 2, 0, 0));
    let msg_id = h.notifier.delivered_to("a@example.com")[0].message_id;
    let msg = h.store.message(msg_id).await.unwrap().unwrap();
    assert_eq!(
        (msg.invitation, msg.kind, msg.created_at),
        (a.id, MessageKind::Invitation, a.created_at)
    );
    // Resend
    h.advance(TimeDelta::minutes(5));
    h.service.resend(&admin, a.id).await.unwrap();
    assert_eq!(h.store.outbox_counts(), (1, 2, 0, 0));
    h.deliver().await;
    // Follow-up
    h.sign_up_as("b@example.com").await;
    h.service.send_follow_up(&admin, b.id).await.unwrap();
    assert_eq!(h.store.outbox_counts(), (1, 3, 0, 0));
    h.deliver().await;
    // Reminder, at 10:00 the next day
    h.set_time(at("2026-03-03T10:00:00Z"));
    let report = h.service.sweep_reminders().await.unwrap();
    assert_eq!(report.queued, 2);
    assert_eq!(h.store.outbox_counts(), (2, 4, 0, 0));
    h.deliver().await;
    assert_eq!(h.store.outbox_counts(), (0, 6, 0, 0));
    // A refused command records no message
    assert!(h.service.resend(&admin, b.id).await.is_err());
    assert_eq!(h.store.outbox_counts(), (0, 6, 0, 0));
    let kinds: Vec<MessageKind> = h.notifier.delivered().iter().map(|n| n.kind).collect();
    for k in [
        MessageKind::Invitation,
        MessageKind::Resend,
        MessageKind::FollowUp,
        MessageKind::Reminder,
    ] {
        assert!(kinds.contains(&k), "{k}");
    }
}

#[tokio::test]
async fn r7_1_a_dispatcher_crash_loses_nothing_and_the_message_id_is_stable() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let inv = h.invite_as(&admin, org.id, "bob@example.com").await;
    // Given a dispatcher that claimed the message and died before delivering it
    let claimed = h
        .store
        .claim_due(h.now(), TimeDelta::minutes(5), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let id = claimed[0].message.id;
    // Then no other dispatcher takes it while the lease lasts
    assert_eq!(h.deliver().await.claimed, 0);
    assert!(h.notifier.delivered().is_empty());
    // and once the lease has run out it is delivered, with the same message id
    h.advance(TimeDelta::minutes(5));
    let r = h.deliver().await;
    assert_eq!(r.sent, 1);
    let n = &h.notifier.delivered_to("bob@example.com")[0];
    assert_eq!(n.message_id, id);
    assert_eq!(n.attempt, 2);
    assert_eq!(h.status(inv.id).await, Status::Pending);
    // A transient failure keeps the id too
    h.notifier
        .script("carl@example.com", &[Scripted::Transient]);
    h.invite_as(&admin, org.id, "carl@example.com").await;
    h.deliver().await;
    h.advance(TimeDelta::minutes(1));
    h.deliver().await;
    let attempts: Vec<Attempt> = h.attempts.attempts_to("carl@example.com");
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0].message_id, attempts[1].message_id);
    assert_eq!((attempts[0].accepted, attempts[1].accepted), (false, true));
    assert_eq!((attempts[0].attempt, attempts[1].attempt), (1, 2));
}

#[tokio::test]
async fn r7_2_transient_failures_are_retried_with_growing_back_off() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    h.notifier.script(
        "bob@example.com",
        &[
            Scripted::Transient,
            Scripted::Transient,
            Scripted::Transient,
        ],
    );
    let inv = h.invite_as(&admin, org.id, "bob@example.com").await;
    let t0 = h.now();
    // First attempt fails: retry in 30 s
    assert_eq!(h.deliver().await.retried, 1);
    let id = h.attempts.attempts()[0].message_id;
    let msg = h.store.message(id).await.unwrap().unwrap();
    assert_eq!(msg.due_at, t0 + TimeDelta::seconds(30));
    assert_eq!(msg.state, OutboxState::Pending);
    assert_eq!(
        msg.last_error.as_deref(),
        Some("451 mailbox busy (scripted)")
    );
    assert_eq!(h.status(inv.id).await, Status::Queued);
    // Not before
    h.advance(TimeDelta::seconds(29));
    assert_eq!(h.deliver().await.claimed, 0);
    // Second fails: retry in 60 s; third fails: retry in 120 s; fourth succeeds
    h.advance(TimeDelta::seconds(1));
    assert_eq!(h.deliver().await.retried, 1);
    h.advance(TimeDelta::seconds(60));
    assert_eq!(h.deliver().await.retried, 1);
    h.advance(TimeDelta::seconds(119));
    assert_eq!(h.deliver().await.claimed, 0);
    h.advance(TimeDelta::seconds(1));
    assert_eq!(h.deliver().await.sent, 1);
    let times: Vec<DateTime<Utc>> = h.attempts.attempts().iter().map(|a| a.at).collect();
    let gaps: Vec<i64> = times
        .windows(2)
        .map(|p| (p[1] - p[0]).num_seconds())
        .collect();
    assert_eq!(gaps, vec![30, 60, 120]);
    assert_eq!(h.status(inv.id).await, Status::Pending);
    // each retry is in the audit trail
    let retries = h
        .service
        .audit_trail(&admin, org.id, Some(inv.id))
        .await
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.action, AuditAction::DeliveryRetried { .. }))
        .count();
    assert_eq!(retries, 3);
    // The policy doubles up to its cap
    let p = RetryPolicy::default();
    let delays: Vec<i64> = (1..=9).map(|n| p.delay_after(n).num_seconds()).collect();
    assert_eq!(delays, vec![30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
}

#[tokio::test]
async fn r7_2_a_permanent_failure_makes_the_invitation_failed_with_the_reason() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    h.notifier
        .script("nobody@example.com", &[Scripted::Permanent]);
    let inv = h.invite_as(&admin, org.id, "nobody@example.com").await;
    let r = h.deliver().await;
    assert_eq!((r.sent, r.failed, r.retried), (0, 1, 0));
    // One attempt, no retry
    assert_eq!(h.attempts.attempts().len(), 1);
    let rec = h.invitation(inv.id).await;
    assert_eq!(rec.status_at(h.now()), Status::Failed);
    assert_eq!(
        rec.failure().cloned(),
        Some(FailureReason::DeliveryRejected(
            "550 no such user (scripted)".into()
        ))
    );
    assert_eq!(h.store.outbox_counts(), (0, 0, 1, 0));
    let trail = h
        .service
        .audit_trail(&admin, org.id, Some(inv.id))
        .await
        .unwrap();
    let failed = trail.last().unwrap();
    assert_eq!(failed.actor, Actor::System);
    assert!(
        matches!(&failed.action, AuditAction::DeliveryFailed { reason } if reason.contains("550"))
    );
    assert_eq!(
        (failed.before, failed.after),
        (Some(Status::Queued), Some(Status::Failed))
    );
    // Nothing more is attempted
    h.advance(TimeDelta::hours(5));
    assert_eq!(h.deliver().await.claimed, 0);
}

#[tokio::test]
async fn r7_2_too_many_transient_failures_make_the_invitation_failed() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let mut config = DispatcherConfig::new(SIGNUP_URL_BASE);
    config.retry = RetryPolicy {
        first_delay: TimeDelta::seconds(10),
        max_delay: TimeDelta::minutes(1),
        max_attempts: 3,
        jitter_percent: 0,
    };
    let dispatcher = h.dispatcher_with(config);
    h.notifier
        .script("busy@example.com", &[Scripted::Transient; 5]);
    let inv = h.invite_as(&admin, org.id, "busy@example.com").await;
    for _ in 0..6 {
        dispatcher.drain().await.unwrap();
        h.advance(TimeDelta::minutes(1));
    }
    assert_eq!(h.attempts.attempts().len(), 3);
    let rec = h.invitation(inv.id).await;
    assert_eq!(rec.status_at(h.now()), Status::Failed);
    assert_eq!(
        rec.failure().cloned(),
        Some(FailureReason::RetriesExhausted(
            "451 mailbox busy (scripted)".into()
        ))
    );
    assert_eq!(h.store.outbox_counts(), (0, 0, 1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r7_3_two_dispatchers_deliver_every_message_once() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(100).await;
    let addresses: Vec<String> = (0..40).map(|i| format!("u{i}@example.com")).collect();
    let refs: Vec<&str> = addresses.iter().map(String::as_str).collect();
    h.service
        .invite_many(&admin, org.id, &refs, user_access())
        .await
        .unwrap();
    let mut config = DispatcherConfig::new(SIGNUP_URL_BASE);
    config.batch_size = 3;
    let second = Arc::new(h.dispatcher_with(config.clone()));
    let third = Arc::new(h.dispatcher_with(config));
    let (a, b) = tokio::join!(
        tokio::spawn({
            let d = second.clone();
            async move { d.drain().await.unwrap() }
        }),
        tokio::spawn({
            let d = third.clone();
            async move { d.drain().await.unwrap() }
        }),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.sent + b.sent, 40);
    assert_eq!(a.lease_lost + b.lease_lost, 0);
    // Every address got exactly one message, no message was sent twice
    let sent = h.notifier.delivered();
    assert_eq!(sent.len(), 40);
    let ids: HashSet<MessageId> = sent.iter().map(|n| n.message_id).collect();
    assert_eq!(ids.len(), 40);
    let to: HashSet<String> = sent.iter().map(|n| n.to.clone()).collect();
    assert_eq!(to, addresses.into_iter().collect());
    assert_eq!(h.store.outbox_counts(), (0, 40, 0, 0));
}

#[tokio::test]
async fn r7_3_a_dispatcher_whose_lease_was_taken_over_cannot_finish_the_message() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    h.invite_as(&admin, org.id, "bob@example.com").await;
    // A slow worker claims the message; its lease runs out; another worker delivers it
    let slow = h
        .store
        .claim_due(h.now(), TimeDelta::minutes(5), 1)
        .await
        .unwrap();
    h.advance(TimeDelta::minutes(6));
    assert_eq!(h.deliver().await.sent, 1);
    // The slow worker's late report is refused: the message is not finished twice
    let mut commit = Commit::new(org.id, h.now());
    commit.outbox_updates.push(OutboxUpdate {
        id: slow[0].message.id,
        lease: slow[0].lease.token,
        outcome: OutboxOutcome::Sent { at: h.now() },
    });
    let err = h.store.commit(commit).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(Conflict::LeaseLost(id)) if id == slow[0].message.id)
    );
    assert_eq!(h.notifier.delivered().len(), 1);
}

#[tokio::test]
async fn r7_4_no_plain_token_in_the_outbox_the_audit_trail_or_debug_output() {
    let h = harness();
    let TestOrg { org, admin } = h
        .org_with("Acme", with_reminders(5, Tz::UTC, hm(10, 0)))
        .await;
    let inv = h.invite_as(&admin, org.id, "bob@example.com").await;
    h.deliver().await;
    h.advance(TimeDelta::minutes(5));
    h.service.resend(&admin, inv.id).await.unwrap();
    h.deliver().await;
    h.set_time(at("2026-03-03T10:00:00Z"));
    h.service.sweep_reminders().await.unwrap();
    h.deliver().await;
    let sent = h.notifier.delivered_to("bob@example.com");
    assert_eq!(sent.len(), 3, "invitation, resend, reminder");
    let tokens: Vec<String> = sent.iter().map(link_token).collect();
    for n in &sent {
        // The outbox message
        let msg = h.store.message(n.message_id).await.unwrap().unwrap();
        let msg_dump = format!("{msg:?}");
        // The notification's Debug (what a log line would show) redacts the link
        let n_dump = format!("{n:?}");
        assert!(n_dump.contains("SignupUrl(<redacted>)"));
        for t in &tokens {
            assert!(!msg_dump.contains(t.as_str()));
            assert!(!n_dump.contains(t.as_str()));
        }
    }
    let audit = format!(
        "{:?}",
        h.service.audit_trail(&admin, org.id, None).await.unwrap()
    );
    let store = format!("{:?}", *h.store);
    for t in &tokens {
        assert!(!audit.contains(t.as_str()));
        assert!(!store.contains(t.as_str()));
    }
    assert!(!store.contains(SIGNUP_URL_BASE));
}

#[tokio::test]
async fn r7_5_the_message_carries_language_kind_organization_sender_access_and_link() {
    let h = harness();
    let settings = OrgSettings {
        language: Language::Ru,
        time_zone: chrono_tz::Europe::Moscow,
        ..OrgSettings::with_seats(5)
    };
    let TestOrg { org, .. } = h.org_with("Acme", settings).await;
    // An admin with a name, to check the sender's name by value
    let admin = Actor::admin(org.id, "u1", "Ann");
    let level = PermissionLevel::new("owner").unwrap();
    let access = Access::user(Role::Admin).as_admin(level.clone());
    h.service
        .invite(
            &admin,
            org.id,
            Contact::parse_email("boss@example.com").unwrap(),
            Channel::Email,
            access,
        )
        .await
        .unwrap();
    h.deliver().await;
    let n = &h.notifier.delivered_to("boss@example.com")[0];
    assert_eq!(n.language, Language::Ru);
    assert_eq!(n.kind, MessageKind::Invitation);
    assert_eq!(n.channel, Channel::Email);
    assert_eq!(n.to, "boss@example.com");
    assert_eq!(n.org_name, "Acme");
    assert_eq!(n.sender_name, "Ann");
    assert_eq!(n.invitation_type, InvitationType::Admin(level));
    assert_eq!(
        n.grants,
        vec![GrantSummary {
            org_name: "Acme".into(),
            role: Role::Admin
        }]
    );
    assert!(
        n.signup_url
            .as_ref()
            .unwrap()
            .expose()
            .starts_with(SIGNUP_URL_BASE)
    );
    assert_eq!(n.expires_at, Some(h.now() + TimeDelta::hours(72)));
    assert_eq!(n.time_zone, chrono_tz::Europe::Moscow);
    assert_eq!(n.attempt, 1);
    // An English organization, and a language switched later, are followed too
    let TestOrg {
        org: org_en,
        admin: admin_en,
    } = h.standalone(5).await;
    h.invite_as(&admin_en, org_en.id, "en@example.com").await;
    h.deliver().await;
    assert_eq!(
        h.notifier.delivered_to("en@example.com")[0].language,
        Language::En
    );
    let update = SettingsUpdate {
        language: Some(Language::Ru),
        ..SettingsUpdate::default()
    };
    h.service
        .update_settings(&admin_en, org_en.id, update)
        .await
        .unwrap();
    let signup = h.sign_up_as("en@example.com").await;
    h.service
        .send_follow_up(&admin_en, signup.invitation.id)
        .await
        .unwrap();
    h.deliver().await;
    let follow_up = &h.notifier.delivered_to("en@example.com")[1];
    assert_eq!(
        (follow_up.kind, follow_up.language),
        (MessageKind::FollowUp, Language::Ru)
    );
}
