//! Domain rule tests for links and signup (R6), delivery (R7) and reminders (R8) of SPEC.md.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;
use common::*;
use invite_core::outbox::{OutboxOutcome, OutboxUpdate};
use invite_core::reminders::reminder_instant;
use invite_core::*;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn with_reminders(seats: u32, tz: Tz, at: NaiveTime) -> OrgSettings {
    OrgSettings {
        reminders_enabled: true,
        time_zone: tz,
        reminder_time: at,
        ..OrgSettings::with_seats(seats)
    }
}

/// The reminders delivered to `to`.
fn reminders_to(w: &World, to: &str) -> Vec<Notification> {
    w.delivered_to(to)
        .into_iter()
        .filter(|n| n.kind == MessageKind::Reminder)
        .collect()
}

// ------------------------------------------------------------------------------------ R6

#[tokio::test]
async fn r6_1_a_link_token_has_256_random_bits_and_is_stored_only_as_its_hash() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let a = w.invite(&admin, org.id, "a@example.com").await;
    w.invite(&admin, org.id, "b@example.com").await;
    w.deliver().await;
    let token = w.link_for("a@example.com");
    // 256 bits
    let bytes = URL_SAFE_NO_PAD.decode(&token).expect("base64url");
    assert_eq!(bytes.len(), 32);
    // different for every link
    assert_ne!(token, w.link_for("b@example.com"));
    // The store knows the link by the SHA-256 of the token
    let hash = LinkToken::from_link(token.clone()).hash();
    assert_eq!(hash.0, <[u8; 32]>::from(Sha256::digest(token.as_bytes())));
    let link = w
        .store
        .link(&hash)
        .await
        .unwrap()
        .expect("link stored by hash");
    assert_eq!(link.invitation, a.id);
    // and nowhere in storage is the token, or the link, in plain text
    let dump = format!("{:?}", *w.store);
    assert!(!dump.contains(&token));
    assert!(!dump.contains(SIGNUP_BASE));
    // a token minted in memory does not show itself either
    let minted = LinkToken::mint().unwrap();
    assert_eq!(format!("{minted:?}"), "LinkToken(<redacted>)");
    assert_eq!(URL_SAFE_NO_PAD.decode(minted.expose()).unwrap().len(), 32);
}

#[tokio::test]
async fn r6_2_unknown_cancelled_expired_superseded_and_used_links_are_refused_distinctly() {
    let w = World::new();
    let (org, admin) = w.standalone(10).await;
    let cancelled = w.invite(&admin, org.id, "cancelled@example.com").await;
    w.invite(&admin, org.id, "expired@example.com").await;
    let superseded = w.invite(&admin, org.id, "superseded@example.com").await;
    w.invite(&admin, org.id, "used@example.com").await;
    w.deliver().await;
    let token = |a: &str| w.link_for(&format!("{a}@example.com"));
    let (t_cancelled, t_expired, t_superseded, t_used) = (
        token("cancelled"),
        token("expired"),
        token("superseded"),
        token("used"),
    );
    w.service.cancel(&admin, cancelled.id).await.unwrap();
    w.sign_up("used@example.com").await;
    w.advance(TimeDelta::minutes(2));
    w.service.resend(&admin, superseded.id).await.unwrap();
    w.advance(TimeDelta::hours(72));

    let unknown = LinkToken::mint().unwrap();
    let got = [
        refused(w.service.sign_up(unknown.expose(), None).await),
        refused(w.service.sign_up(&t_cancelled, None).await),
        refused(w.service.sign_up(&t_expired, None).await),
        refused(w.service.sign_up(&t_superseded, None).await),
        refused(w.service.sign_up(&t_used, None).await),
    ];
    assert_eq!(
        got,
        [
            Refusal::UnknownLink,
            Refusal::LinkCancelled,
            Refusal::LinkExpired,
            Refusal::LinkSuperseded,
            Refusal::LinkAlreadyUsed,
        ]
    );
    // each distinct, also in its message
    let texts: HashSet<String> = got.iter().map(ToString::to_string).collect();
    assert_eq!(texts.len(), 5);
    // A garbage token is unknown too
    assert_eq!(
        refused(w.service.sign_up("not a token", None).await),
        Refusal::UnknownLink
    );
}

#[tokio::test]
async fn r6_2_links_of_replaced_or_failed_invitations_are_refused() {
    // Code's choices for cases the SPEC does not list: the link of an invitation replaced by a
    // new one to the same address is superseded; the link of a Failed one says it failed.
    let w = World::new();
    let (org, admin) = w.standalone(1).await;
    w.invite(&admin, org.id, "old@example.com").await;
    w.invite(&admin, org.id, "late@example.com").await;
    w.invite(&admin, org.id, "first@example.com").await;
    w.deliver().await;
    let old = w.link_for("old@example.com");
    let late = w.link_for("late@example.com");
    let first = w.sign_up("first@example.com").await;
    assert_eq!(
        refused(w.service.sign_up(&late, None).await),
        Refusal::SeatsExhausted
    );
    assert_eq!(
        refused(w.service.sign_up(&late, None).await),
        Refusal::InvitationFailed
    );
    // "old" expires and is invited again (a seat freed for it)
    w.advance(TimeDelta::hours(72));
    w.service
        .remove_member(&admin, first.member.id)
        .await
        .unwrap();
    w.invite(&admin, org.id, "old@example.com").await;
    assert_eq!(
        refused(w.service.sign_up(&old, None).await),
        Refusal::LinkSuperseded
    );
}

#[tokio::test]
async fn r6_3_a_link_is_used_once_and_a_retried_signup_never_makes_two_members() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let inv = w.invite(&admin, org.id, "bob@example.com").await;
    w.deliver().await;
    let token = w.link_for("bob@example.com");
    let first = w
        .service
        .sign_up(&token, Some(UserRef::new("app-1")))
        .await
        .unwrap();
    assert_eq!(first.invitation.id, inv.id);
    // The same request again: refused, no second member
    assert_eq!(
        refused(w.service.sign_up(&token, Some(UserRef::new("app-1"))).await),
        Refusal::LinkAlreadyUsed
    );
    assert_eq!(w.seats(org.id).await.used, 1);
    assert_eq!(w.inv(inv.id).await.member(), Some(first.member.id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r6_3_concurrent_retries_of_one_signup_make_one_member() {
    let w = Arc::new(World::new());
    let (org, admin) = w.standalone(5).await;
    w.invite(&admin, org.id, "bob@example.com").await;
    w.deliver().await;
    let token = w.link_for("bob@example.com");
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let (w, token) = (w.clone(), token.clone());
            tokio::spawn(async move { w.service.sign_up(&token, None).await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(e.refusal(), Some(&Refusal::LinkAlreadyUsed)),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(w.seats(org.id).await.used, 1);
}

#[tokio::test]
async fn r6_4_the_first_login_reported_by_the_application_moves_never_used_to_completed() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let inv = w.invite(&admin, org.id, "bob@example.com").await;
    w.deliver().await;
    let signup = w.sign_up("bob@example.com").await;
    assert_eq!(w.status(inv.id).await, Status::NeverUsed);
    // Another organization's user cannot report it
    let stranger = Actor::admin(OrgId::new(), "x", "Xavier");
    assert!(matches!(
        refused(
            w.service
                .record_first_login(&stranger, signup.member.id)
                .await
        ),
        Refusal::MemberNotFound(_)
    ));
    assert_eq!(w.status(inv.id).await, Status::NeverUsed);
    // When the application reports the first login
    w.advance(TimeDelta::hours(3));
    let login_at = w.now();
    w.service
        .record_first_login(&Actor::Application, signup.member.id)
        .await
        .unwrap();
    // Then the invitation is Completed
    let rec = w.inv(inv.id).await;
    assert_eq!(rec.status_at(w.now()), Status::Completed);
    assert_eq!(rec.first_login_at(), Some(login_at));
    assert_eq!(rec.completed(), Some((login_at, CompletedBy::FirstLogin)));
    // and later reports change nothing
    w.advance(TimeDelta::hours(1));
    w.service
        .record_first_login(&Actor::Application, signup.member.id)
        .await
        .unwrap();
    assert_eq!(w.inv(inv.id).await.first_login_at(), Some(login_at));
    let logins = w
        .service
        .audit_trail(&admin, org.id, Some(inv.id))
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == AuditAction::FirstLogin)
        .count();
    assert_eq!(logins, 1);
}

// ------------------------------------------------------------------------------------ R7

#[tokio::test]
async fn r7_1_every_message_is_recorded_with_the_change_that_asks_for_it() {
    let w = World::new();
    let (org, admin) = w
        .standalone_with(with_reminders(5, Tz::UTC, hm(10, 0)))
        .await;
    // Invitation: queued by the invite itself, before any dispatcher runs
    let a = w.invite(&admin, org.id, "a@example.com").await;
    let b = w.invite(&admin, org.id, "b@example.com").await;
    assert_eq!(w.store.outbox_counts(), (2, 0, 0, 0));
    w.deliver().await;
    assert_eq!(w.store.outbox_counts(), (0, 2, 0, 0));
    let msg_id = w.delivered_to("a@example.com")[0].message_id;
    let msg = w.store.message(msg_id).await.unwrap().unwrap();
    assert_eq!(
        (msg.invitation, msg.kind, msg.created_at),
        (a.id, MessageKind::Invitation, a.created_at)
    );
    // Resend
    w.advance(TimeDelta::minutes(5));
    w.service.resend(&admin, a.id).await.unwrap();
    assert_eq!(w.store.outbox_counts(), (1, 2, 0, 0));
    w.deliver().await;
    // Follow-up
    w.sign_up("b@example.com").await;
    w.service.send_follow_up(&admin, b.id).await.unwrap();
    assert_eq!(w.store.outbox_counts(), (1, 3, 0, 0));
    w.deliver().await;
    // Reminder, at 10:00 the next day
    w.set(at("2026-03-03T10:00:00Z"));
    let report = w.service.sweep_reminders().await.unwrap();
    assert_eq!(report.queued, 2);
    assert_eq!(w.store.outbox_counts(), (2, 4, 0, 0));
    w.deliver().await;
    assert_eq!(w.store.outbox_counts(), (0, 6, 0, 0));
    // A refused command records no message
    assert!(w.service.resend(&admin, b.id).await.is_err());
    assert_eq!(w.store.outbox_counts(), (0, 6, 0, 0));
    let kinds: Vec<MessageKind> = w.notifier.delivered().iter().map(|n| n.kind).collect();
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
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let inv = w.invite(&admin, org.id, "bob@example.com").await;
    // Given a dispatcher that claimed the message and died before delivering it
    let claimed = w
        .store
        .claim_due(w.now(), TimeDelta::minutes(5), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let id = claimed[0].message.id;
    // Then no other dispatcher takes it while the lease lasts
    assert_eq!(w.deliver().await.claimed, 0);
    assert!(w.notifier.delivered().is_empty());
    // and once the lease has run out it is delivered, with the same message id
    w.advance(TimeDelta::minutes(5));
    let r = w.deliver().await;
    assert_eq!(r.sent, 1);
    let n = &w.delivered_to("bob@example.com")[0];
    assert_eq!(n.message_id, id);
    assert_eq!(n.attempt, 2);
    assert_eq!(w.status(inv.id).await, Status::Pending);
    // A transient failure keeps the id too
    w.notifier
        .script("carl@example.com", &[Scripted::Transient]);
    w.invite(&admin, org.id, "carl@example.com").await;
    w.deliver().await;
    w.advance(TimeDelta::minutes(1));
    w.deliver().await;
    let attempts: Vec<Attempt> = w
        .tap
        .attempts
        .lock()
        .unwrap()
        .iter()
        .filter(|a| a.to == "carl@example.com")
        .cloned()
        .collect();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0].message_id, attempts[1].message_id);
    assert_eq!((attempts[0].ok, attempts[1].ok), (false, true));
    assert_eq!((attempts[0].attempt, attempts[1].attempt), (1, 2));
}

#[tokio::test]
async fn r7_2_transient_failures_are_retried_with_growing_back_off() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    w.notifier.script(
        "bob@example.com",
        &[
            Scripted::Transient,
            Scripted::Transient,
            Scripted::Transient,
        ],
    );
    let inv = w.invite(&admin, org.id, "bob@example.com").await;
    let t0 = w.now();
    // First attempt fails: retry in 30 s
    assert_eq!(w.deliver().await.retried, 1);
    let id = w.tap.attempts.lock().unwrap()[0].message_id;
    let msg = w.store.message(id).await.unwrap().unwrap();
    assert_eq!(msg.due_at, t0 + TimeDelta::seconds(30));
    assert_eq!(msg.state, OutboxState::Pending);
    assert_eq!(
        msg.last_error.as_deref(),
        Some("451 mailbox busy (scripted)")
    );
    assert_eq!(w.status(inv.id).await, Status::Queued);
    // Not before
    w.advance(TimeDelta::seconds(29));
    assert_eq!(w.deliver().await.claimed, 0);
    // Second fails: retry in 60 s; third fails: retry in 120 s; fourth succeeds
    w.advance(TimeDelta::seconds(1));
    assert_eq!(w.deliver().await.retried, 1);
    w.advance(TimeDelta::seconds(60));
    assert_eq!(w.deliver().await.retried, 1);
    w.advance(TimeDelta::seconds(119));
    assert_eq!(w.deliver().await.claimed, 0);
    w.advance(TimeDelta::seconds(1));
    assert_eq!(w.deliver().await.sent, 1);
    let times: Vec<DateTime<Utc>> = w
        .tap
        .attempts
        .lock()
        .unwrap()
        .iter()
        .map(|a| a.at)
        .collect();
    let gaps: Vec<i64> = times
        .windows(2)
        .map(|p| (p[1] - p[0]).num_seconds())
        .collect();
    assert_eq!(gaps, vec![30, 60, 120]);
    assert_eq!(w.status(inv.id).await, Status::Pending);
    // each retry is in the audit trail
    let retries = w
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
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    w.notifier
        .script("nobody@example.com", &[Scripted::Permanent]);
    let inv = w.invite(&admin, org.id, "nobody@example.com").await;
    let r = w.deliver().await;
    assert_eq!((r.sent, r.failed, r.retried), (0, 1, 0));
    // One attempt, no retry
    assert_eq!(w.tap.attempts.lock().unwrap().len(), 1);
    let rec = w.inv(inv.id).await;
    assert_eq!(rec.status_at(w.now()), Status::Failed);
    assert_eq!(
        rec.failure().cloned(),
        Some(FailureReason::DeliveryRejected(
            "550 no such user (scripted)".into()
        ))
    );
    assert_eq!(w.store.outbox_counts(), (0, 0, 1, 0));
    let trail = w
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
    w.advance(TimeDelta::hours(5));
    assert_eq!(w.deliver().await.claimed, 0);
}

#[tokio::test]
async fn r7_2_too_many_transient_failures_make_the_invitation_failed() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    let mut config = DispatcherConfig::new(SIGNUP_BASE);
    config.retry = RetryPolicy {
        first_delay: TimeDelta::seconds(10),
        max_delay: TimeDelta::minutes(1),
        max_attempts: 3,
        jitter_percent: 0,
    };
    let dispatcher = w.second_dispatcher(config);
    w.notifier
        .script("busy@example.com", &[Scripted::Transient; 5]);
    let inv = w.invite(&admin, org.id, "busy@example.com").await;
    for _ in 0..6 {
        dispatcher.drain().await.unwrap();
        w.advance(TimeDelta::minutes(1));
    }
    assert_eq!(w.tap.attempts.lock().unwrap().len(), 3);
    let rec = w.inv(inv.id).await;
    assert_eq!(rec.status_at(w.now()), Status::Failed);
    assert_eq!(
        rec.failure().cloned(),
        Some(FailureReason::RetriesExhausted(
            "451 mailbox busy (scripted)".into()
        ))
    );
    assert_eq!(w.store.outbox_counts(), (0, 0, 1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r7_3_two_dispatchers_deliver_every_message_once() {
    let w = Arc::new(World::new());
    let (org, admin) = w.standalone(100).await;
    let addresses: Vec<String> = (0..40).map(|i| format!("u{i}@example.com")).collect();
    let refs: Vec<&str> = addresses.iter().map(String::as_str).collect();
    w.service
        .invite_many(&admin, org.id, &refs, user_access())
        .await
        .unwrap();
    let mut config = DispatcherConfig::new(SIGNUP_BASE);
    config.batch_size = 3;
    let second = Arc::new(w.second_dispatcher(config.clone()));
    let third = Arc::new(w.second_dispatcher(config));
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
    let sent = w.notifier.delivered();
    assert_eq!(sent.len(), 40);
    let ids: HashSet<MessageId> = sent.iter().map(|n| n.message_id).collect();
    assert_eq!(ids.len(), 40);
    let to: HashSet<String> = sent.iter().map(|n| n.to.clone()).collect();
    assert_eq!(to, addresses.into_iter().collect());
    assert_eq!(w.store.outbox_counts(), (0, 40, 0, 0));
}

#[tokio::test]
async fn r7_3_a_dispatcher_whose_lease_was_taken_over_cannot_finish_the_message() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await;
    w.invite(&admin, org.id, "bob@example.com").await;
    // A slow worker claims the message; its lease runs out; another worker delivers it
    let slow = w
        .store
        .claim_due(w.now(), TimeDelta::minutes(5), 1)
        .await
        .unwrap();
    w.advance(TimeDelta::minutes(6));
    assert_eq!(w.deliver().await.sent, 1);
    // The slow worker's late report is refused: the message is not finished twice
    let mut commit = Commit::new(org.id, w.now());
    commit.outbox_updates.push(OutboxUpdate {
        id: slow[0].message.id,
        lease: slow[0].lease.token,
        outcome: OutboxOutcome::Sent { at: w.now() },
    });
    let err = w.store.commit(commit).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(Conflict::LeaseLost(id)) if id == slow[0].message.id)
    );
    assert_eq!(w.notifier.delivered().len(), 1);
}

#[tokio::test]
async fn r7_4_no_plain_token_in_the_outbox_the_audit_trail_or_debug_output() {
    let w = World::new();
    let (org, admin) = w
        .standalone_with(with_reminders(5, Tz::UTC, hm(10, 0)))
        .await;
    let inv = w.invite(&admin, org.id, "bob@example.com").await;
    w.deliver().await;
    w.advance(TimeDelta::minutes(5));
    w.service.resend(&admin, inv.id).await.unwrap();
    w.deliver().await;
    w.set(at("2026-03-03T10:00:00Z"));
    w.service.sweep_reminders().await.unwrap();
    w.deliver().await;
    let sent = w.delivered_to("bob@example.com");
    assert_eq!(sent.len(), 3, "invitation, resend, reminder");
    let tokens: Vec<String> = sent.iter().map(token_of).collect();
    for n in &sent {
        // The outbox message
        let msg = w.store.message(n.message_id).await.unwrap().unwrap();
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
        w.service.audit_trail(&admin, org.id, None).await.unwrap()
    );
    let store = format!("{:?}", *w.store);
    for t in &tokens {
        assert!(!audit.contains(t.as_str()));
        assert!(!store.contains(t.as_str()));
    }
    assert!(!store.contains(SIGNUP_BASE));
}

#[tokio::test]
async fn r7_5_the_message_carries_language_kind_organization_sender_access_and_link() {
    let w = World::new();
    let settings = OrgSettings {
        language: Language::Ru,
        time_zone: chrono_tz::Europe::Moscow,
        ..OrgSettings::with_seats(5)
    };
    let (org, admin) = w.standalone_with(settings).await;
    let level = PermissionLevel::new("owner").unwrap();
    let access = Access::user(Role::Admin).as_admin(level.clone());
    w.service
        .invite(
            &admin,
            org.id,
            Contact::parse_email("boss@example.com").unwrap(),
            Channel::Email,
            access,
        )
        .await
        .unwrap();
    w.deliver().await;
    let n = &w.delivered_to("boss@example.com")[0];
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
            .starts_with(SIGNUP_BASE)
    );
    assert_eq!(n.expires_at, Some(w.now() + TimeDelta::hours(72)));
    assert_eq!(n.time_zone, chrono_tz::Europe::Moscow);
    assert_eq!(n.attempt, 1);
    // An English organization, and a language switched later, are followed too
    let (org_en, admin_en) = w.standalone(5).await;
    w.invite(&admin_en, org_en.id, "en@example.com").await;
    w.deliver().await;
    assert_eq!(w.delivered_to("en@example.com")[0].language, Language::En);
    let update = SettingsUpdate {
        language: Some(Language::Ru),
        ..SettingsUpdate::default()
    };
    w.service
        .update_settings(&admin_en, org_en.id, update)
        .await
        .unwrap();
    let signup = w.sign_up("en@example.com").await;
    w.service
        .send_follow_up(&admin_en, signup.invitation.id)
        .await
        .unwrap();
    w.deliver().await;
    let follow_up = &w.delivered_to("en@example.com")[1];
    assert_eq!(
        (follow_up.kind, follow_up.language),
        (MessageKind::FollowUp, Language::Ru)
    );
}

// ------------------------------------------------------------------------------------ R8

#[tokio::test]
async fn r8_1_a_reminder_goes_at_local_reminder_time_to_pending_and_never_used_only() {
    // 06:00 UTC is 08:00 in Berlin (summer time)
    let w = World::at(at("2026-06-01T06:00:00Z"));
    let settings = with_reminders(20, chrono_tz::Europe::Berlin, hm(10, 0));
    let (org, admin) = w.standalone_with(settings).await;
    // Expired by the reminder day
    w.invite(&admin, org.id, "expired@example.com").await;
    w.deliver().await;
    w.advance(TimeDelta::hours(72)); // 2026-06-04 08:00 local
    // Pending, Never Used, Completed, Failed, Cancelled
    w.notifier
        .script("failed@example.com", &[Scripted::Permanent]);
    for a in ["pending", "never", "completed", "failed", "cancelled"] {
        w.invite(&admin, org.id, &format!("{a}@example.com")).await;
    }
    w.deliver().await;
    w.sign_up("never@example.com").await;
    let done = w.sign_up("completed@example.com").await;
    w.service
        .record_first_login(&Actor::Application, done.member.id)
        .await
        .unwrap();
    let page = w
        .service
        .list(&admin, org.id, &ListQuery::tab(Tab::Pending))
        .await
        .unwrap();
    let cancelled = page
        .rows
        .iter()
        .find(|r| r.invitation.address_key() == "cancelled@example.com")
        .unwrap()
        .invitation
        .id;
    w.service.cancel(&admin, cancelled).await.unwrap();
    // and Queued (not yet delivered)
    w.invite(&admin, org.id, "queued@example.com").await;

    // At 09:59:59 local: nothing
    w.set(at("2026-06-04T07:59:59Z"));
    let r = w.service.sweep_reminders().await.unwrap();
    assert_eq!((r.organizations_due, r.queued), (0, 0));
    // At 10:00 local: the Pending invitee and the Never Used member
    w.set(at("2026-06-04T08:00:00Z"));
    let r = w.service.sweep_reminders().await.unwrap();
    assert_eq!((r.organizations_due, r.queued), (1, 2));
    w.deliver().await;
    let to_pending = reminders_to(&w, "pending@example.com");
    let to_never = reminders_to(&w, "never@example.com");
    assert_eq!((to_pending.len(), to_never.len()), (1, 1));
    // the invitee's reminder carries a working link, the member's none
    assert!(to_never[0].signup_url.is_none());
    let token = token_of(&to_pending[0]);
    w.service.sign_up(&token, None).await.unwrap();
    for a in ["expired", "completed", "failed", "cancelled", "queued"] {
        assert!(
            reminders_to(&w, &format!("{a}@example.com")).is_empty(),
            "{a}"
        );
    }
}

#[tokio::test]
async fn r8_1_no_reminders_while_the_switch_is_off() {
    let w = World::new();
    let (org, admin) = w.standalone(5).await; // reminders off by default
    w.invite(&admin, org.id, "bob@example.com").await;
    w.deliver().await;
    for h in 0..48 {
        w.advance(TimeDelta::hours(1));
        let r = w.service.sweep_reminders().await.unwrap();
        assert_eq!((r.organizations_due, r.queued), (0, 0), "hour {h}");
    }
    w.deliver().await;
    assert!(reminders_to(&w, "bob@example.com").is_empty());
}

#[tokio::test]
async fn r8_1_the_reminder_time_and_time_zone_are_the_organizations() {
    // 08:30 in New York (EDT, UTC-4) is 12:30 UTC
    let w = World::at(at("2026-06-01T06:00:00Z"));
    let settings = with_reminders(5, chrono_tz::America::New_York, hm(8, 30));
    let (org, admin) = w.standalone_with(settings).await;
    w.invite(&admin, org.id, "bob@example.com").await;
    w.deliver().await;
    w.set(at("2026-06-01T12:29:00Z"));
    assert_eq!(w.service.sweep_reminders().await.unwrap().queued, 0);
    w.set(at("2026-06-01T12:30:00Z"));
    assert_eq!(w.service.sweep_reminders().await.unwrap().queued, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r8_2_never_two_reminders_a_day_and_missed_days_do_not_pile_up() {
    let w = Arc::new(World::at(at("2026-06-01T06:00:00Z")));
    let settings = OrgSettings {
        validity: TimeDelta::days(30),
        ..with_reminders(5, Tz::UTC, hm(10, 0))
    };
    let (org, admin) = w.standalone_with(settings).await;
    w.invite(&admin, org.id, "pending@example.com").await;
    w.invite(&admin, org.id, "never@example.com").await;
    w.deliver().await;
    w.sign_up("never@example.com").await;
    // Day 1: the first sweep at 10:00 queues two; later sweeps, from another worker too, none
    w.set(at("2026-06-01T10:00:00Z"));
    assert_eq!(w.service.sweep_reminders().await.unwrap().queued, 2);
    let other_worker = InvitationService::new(w.store.clone(), w.clock.clone());
    for t in [
        "2026-06-01T10:00:00Z",
        "2026-06-01T10:30:00Z",
        "2026-06-01T23:59:59Z",
    ] {
        w.set(at(t));
        assert_eq!(w.service.sweep_reminders().await.unwrap().queued, 0, "{t}");
        assert_eq!(
            other_worker.sweep_reminders().await.unwrap().queued,
            0,
            "{t}"
        );
    }
    w.deliver().await;
    // Day 2, before 10:00: nothing yet; then many workers race: two in all
    w.set(at("2026-06-02T09:59:00Z"));
    assert_eq!(w.service.sweep_reminders().await.unwrap().queued, 0);
    w.set(at("2026-06-02T10:00:00Z"));
    let racers: Vec<_> = (0..4)
        .map(|_| {
            let w = w.clone();
            tokio::spawn(async move {
                let svc = InvitationService::new(w.store.clone(), w.clock.clone());
                svc.sweep_reminders().await.unwrap()
            })
        })
        .collect();
    let mut queued = 0;
    for r in racers {
        queued += r.await.unwrap().queued;
    }
    assert_eq!(queued, 2);
    w.deliver().await;
    // Days 3 to 5: nothing runs. Day 6 in the afternoon: one reminder each, not four
    w.set(at("2026-06-06T15:00:00Z"));
    assert_eq!(w.service.sweep_reminders().await.unwrap().queued, 2);
    assert_eq!(w.service.sweep_reminders().await.unwrap().queued, 0);
    w.deliver().await;
    assert_eq!(reminders_to(&w, "pending@example.com").len(), 3);
    assert_eq!(reminders_to(&w, "never@example.com").len(), 3);
    // one per local day
    let days: HashSet<NaiveDate> = reminders_to(&w, "never@example.com")
        .iter()
        .map(|n| {
            w.tap
                .attempts
                .lock()
                .unwrap()
                .iter()
                .find(|a| a.message_id == n.message_id)
                .unwrap()
                .at
                .date_naive()
        })
        .collect();
    assert_eq!(
        days,
        HashSet::from([day(2026, 6, 1), day(2026, 6, 2), day(2026, 6, 6)])
    );
}

#[test]
fn r8_3_reminder_instant_is_right_across_daylight_saving_changes() {
    let berlin = chrono_tz::Europe::Berlin;
    let ny = chrono_tz::America::New_York;
    let cases = [
        // Berlin, 10:00 either side of the spring change (CET +1, then CEST +2)
        (berlin, day(2026, 3, 28), hm(10, 0), "2026-03-28T09:00:00Z"),
        (berlin, day(2026, 3, 29), hm(10, 0), "2026-03-29T08:00:00Z"),
        // and of the autumn change
        (berlin, day(2026, 10, 24), hm(10, 0), "2026-10-24T08:00:00Z"),
        (berlin, day(2026, 10, 25), hm(10, 0), "2026-10-25T09:00:00Z"),
        // 02:30 does not exist on the spring day: the first minute after the gap, 03:00 CEST
        (berlin, day(2026, 3, 29), hm(2, 30), "2026-03-29T01:00:00Z"),
        // 02:30 happens twice on the autumn day: the first one, CEST
        (berlin, day(2026, 10, 25), hm(2, 30), "2026-10-25T00:30:00Z"),
        // New York: 02:30 missing on 8 March (03:00 EDT), 01:30 twice on 1 November (EDT first)
        (ny, day(2026, 3, 8), hm(2, 30), "2026-03-08T07:00:00Z"),
        (ny, day(2026, 3, 8), hm(10, 0), "2026-03-08T14:00:00Z"),
        (ny, day(2026, 11, 1), hm(1, 30), "2026-11-01T05:30:00Z"),
        (ny, day(2026, 11, 1), hm(10, 0), "2026-11-01T15:00:00Z"),
    ];
    for (tz, d, t, expected) in cases {
        assert_eq!(reminder_instant(d, t, tz), at(expected), "{tz} {d} {t}");
    }
}

/// Sweeps (and dispatches) every 15 minutes from `from` to `to` for an organization in `tz`
/// with reminders at `time` and one Never Used member; returns the instants reminders were
/// queued at, per local day.
async fn sweep_through(
    tz: Tz,
    time: NaiveTime,
    from: &str,
    to: &str,
) -> BTreeMap<NaiveDate, Vec<DateTime<Utc>>> {
    let w = World::at(at(from));
    let (org, admin) = w.standalone_with(with_reminders(5, tz, time)).await;
    let inv = w.invite(&admin, org.id, "bob@example.com").await;
    w.deliver().await;
    w.sign_up("bob@example.com").await;
    while w.now() < at(to) {
        w.advance(TimeDelta::minutes(15));
        w.service.sweep_reminders().await.unwrap();
        w.deliver().await;
    }
    let trail = w
        .service
        .audit_trail(&admin, org.id, Some(inv.id))
        .await
        .unwrap();
    let mut per_day: BTreeMap<NaiveDate, Vec<DateTime<Utc>>> = BTreeMap::new();
    for e in trail
        .iter()
        .filter(|e| e.action == AuditAction::ReminderQueued)
    {
        per_day
            .entry(e.at.with_timezone(&tz).date_naive())
            .or_default()
            .push(e.at);
    }
    // every queued reminder was delivered
    let delivered = reminders_to(&w, "bob@example.com").len();
    assert_eq!(delivered, per_day.values().map(Vec::len).sum::<usize>());
    per_day
}

#[tokio::test]
async fn r8_3_daylight_saving_changes_never_skip_or_double_a_days_reminder() {
    let berlin = chrono_tz::Europe::Berlin;
    let ny = chrono_tz::America::New_York;
    let runs = [
        (
            berlin,
            hm(10, 0),
            "2026-03-26T00:00:00Z",
            day(2026, 3, 26),
            day(2026, 4, 1),
        ),
        (
            berlin,
            hm(2, 30),
            "2026-03-26T00:00:00Z",
            day(2026, 3, 26),
            day(2026, 4, 1),
        ),
        (
            berlin,
            hm(10, 0),
            "2026-10-22T00:00:00Z",
            day(2026, 10, 22),
            day(2026, 10, 28),
        ),
        (
            berlin,
            hm(2, 30),
            "2026-10-22T00:00:00Z",
            day(2026, 10, 22),
            day(2026, 10, 28),
        ),
        (
            ny,
            hm(2, 30),
            "2026-03-05T06:00:00Z",
            day(2026, 3, 5),
            day(2026, 3, 11),
        ),
        (
            ny,
            hm(1, 30),
            "2026-10-29T04:00:00Z",
            day(2026, 10, 29),
            day(2026, 11, 4),
        ),
    ];
    for (tz, time, from, first_day, last_day) in runs {
        let end = reminder_instant(last_day, time, tz) + TimeDelta::minutes(30);
        let per_day = sweep_through(tz, time, from, &end.to_rfc3339()).await;
        let expected_days: Vec<NaiveDate> = first_day
            .iter_days()
            .take_while(|d| *d <= last_day)
            .collect();
        assert_eq!(
            per_day.keys().copied().collect::<Vec<_>>(),
            expected_days,
            "{tz} {time}: one reminder each local day"
        );
        for (d, times) in &per_day {
            assert_eq!(times.len(), 1, "{tz} {time} {d}: {times:?}");
            // queued at the first sweep at or after that day's reminder instant
            let instant = reminder_instant(*d, time, tz);
            assert!(
                times[0] >= instant && times[0] - instant < TimeDelta::minutes(15),
                "{tz} {time} {d}: queued {} for {instant}",
                times[0]
            );
        }
    }
}

#[tokio::test]
async fn r8_4_switching_reminders_off_stops_those_not_yet_sent() {
    let w = World::at(at("2026-06-01T06:00:00Z"));
    let settings = OrgSettings {
        validity: TimeDelta::days(30),
        ..with_reminders(5, Tz::UTC, hm(10, 0))
    };
    let (org, admin) = w.standalone_with(settings).await;
    w.invite(&admin, org.id, "pending@example.com").await;
    w.invite(&admin, org.id, "never@example.com").await;
    w.deliver().await;
    w.sign_up("never@example.com").await;
    // Given two reminders queued
    w.set(at("2026-06-01T10:00:00Z"));
    assert_eq!(w.service.sweep_reminders().await.unwrap().queued, 2);
    // When the admin switches reminders off before they are sent
    let org2 = w
        .service
        .set_reminders(&admin, org.id, false)
        .await
        .unwrap();
    assert!(!org2.settings.reminders_enabled);
    assert!(
        !w.service
            .dashboard(&admin, org.id)
            .await
            .unwrap()
            .reminders_enabled
    );
    // Then the dispatcher drops them
    let r = w.deliver().await;
    assert_eq!((r.sent, r.dropped), (0, 2));
    assert_eq!(w.store.outbox_counts().3, 2);
    assert!(reminders_to(&w, "pending@example.com").is_empty());
    assert!(reminders_to(&w, "never@example.com").is_empty());
    // and no more are queued on the next days
    w.set(at("2026-06-02T10:00:00Z"));
    assert_eq!(w.service.sweep_reminders().await.unwrap().queued, 0);
    // Switched on again, they resume the next reminder time
    w.service.set_reminders(&admin, org.id, true).await.unwrap();
    w.set(at("2026-06-03T10:00:00Z"));
    assert_eq!(w.service.sweep_reminders().await.unwrap().queued, 2);
    assert_eq!(w.deliver().await.sent, 2);
    let switched = w
        .service
        .audit_trail(&admin, org.id, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.action, AuditAction::RemindersSwitched { .. }))
        .count();
    assert_eq!(switched, 2);
}

#[tokio::test]
async fn r8_4_switching_off_and_on_again_still_stops_the_reminders_queued_before() {
    let w = World::at(at("2026-06-01T06:00:00Z"));
    let settings = OrgSettings {
        validity: TimeDelta::days(30),
        ..with_reminders(5, Tz::UTC, hm(10, 0))
    };
    let (org, admin) = w.standalone_with(settings).await;
    w.invite(&admin, org.id, "pending@example.com").await;
    w.deliver().await;
    // Given a reminder queued at 10:00
    w.set(at("2026-06-01T10:00:00Z"));
    assert_eq!(w.service.sweep_reminders().await.unwrap().queued, 1);
    // When the admin switches reminders off and on again before it is sent
    w.advance(TimeDelta::minutes(1));
    w.service
        .set_reminders(&admin, org.id, false)
        .await
        .unwrap();
    w.service.set_reminders(&admin, org.id, true).await.unwrap();
    // Then the reminder queued before the switch-off is dropped
    let r = w.deliver().await;
    assert_eq!((r.sent, r.dropped), (0, 1));
    assert!(reminders_to(&w, "pending@example.com").is_empty());
    // and switching on while already on drops nothing queued later
    w.set(at("2026-06-02T10:00:00Z"));
    assert_eq!(w.service.sweep_reminders().await.unwrap().queued, 1);
    w.service.set_reminders(&admin, org.id, true).await.unwrap();
    assert_eq!(w.deliver().await.sent, 1);
}
