//! R4 Status: each status of an invitation, when it holds, and the tabs.

use crate::support::harness;
use chrono::TimeDelta;
use invite_core::testkit::*;
use invite_core::*;

#[tokio::test]
async fn r4_1_an_accepted_invitation_is_queued_until_delivered() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    h.notifier.script("bob@example.com", &[Scripted::Transient]);
    let inv = h.invite_as(&admin, org.id, "bob@example.com").await;
    // Accepted, not delivered
    assert_eq!(inv.status_at(h.now()), Status::Queued);
    assert_eq!(h.status(inv.id).await, Status::Queued);
    assert_eq!(Status::Queued.tab(), Some(Tab::Pending));
    // A failed attempt that will be retried keeps it Queued
    let r = h.deliver().await;
    assert_eq!((r.sent, r.retried), (0, 1));
    assert_eq!(h.status(inv.id).await, Status::Queued);
    // Queued does not expire: it has no link yet (code's choice; validity runs from delivery)
    h.advance(TimeDelta::hours(24 * 10));
    assert_eq!(h.status(inv.id).await, Status::Queued);
    // Delivered: no longer Queued
    h.deliver().await;
    assert_eq!(h.status(inv.id).await, Status::Pending);
}

#[tokio::test]
async fn r4_2_a_delivered_invitation_is_pending_while_its_link_is_valid() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let inv = h.invite_as(&admin, org.id, "bob@example.com").await;
    h.deliver().await;
    assert_eq!(h.status(inv.id).await, Status::Pending);
    h.advance(TimeDelta::hours(71));
    assert_eq!(h.status(inv.id).await, Status::Pending);
    let view = h.service.invitation(&admin, inv.id).await.unwrap();
    assert_eq!(view.status, Status::Pending);
    assert_eq!(Status::Pending.tab(), Some(Tab::Pending));
    // The link works while Pending
    h.sign_up_as("bob@example.com").await;
}

#[tokio::test]
async fn r4_3_expiry_is_exactly_the_validity_after_delivery_without_any_sweeper() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let t0 = h.now();
    let inv = h.invite_as(&admin, org.id, "bob@example.com").await;
    // Delivered an hour after the invite
    h.advance(TimeDelta::hours(1));
    h.deliver().await;
    let delivered = h.now();
    assert_eq!(
        h.invitation(inv.id).await.expires_at(),
        Some(delivered + TimeDelta::hours(72))
    );
    // 72 h after the invite (71 h after delivery): still Pending
    h.set_time(t0 + TimeDelta::hours(72));
    assert_eq!(h.status(inv.id).await, Status::Pending);
    // One second before the validity after delivery: Pending
    h.set_time(delivered + TimeDelta::hours(72) - TimeDelta::seconds(1));
    assert_eq!(h.status(inv.id).await, Status::Pending);
    // At exactly the validity after delivery: Expired, nothing having run in between
    h.set_time(delivered + TimeDelta::hours(72));
    assert_eq!(h.status(inv.id).await, Status::Expired);
    let view = h.service.invitation(&admin, inv.id).await.unwrap();
    assert_eq!(view.status, Status::Expired);
    let d = h.service.dashboard(&admin, org.id).await.unwrap();
    assert_eq!((d.counts.pending, d.counts.expired_or_failed), (0, 1));
    // and the link is refused as expired
    let token = h.token_sent_to("bob@example.com");
    assert_eq!(
        refusal(h.service.sign_up(&token, None).await),
        Refusal::LinkExpired
    );
}

#[tokio::test]
async fn r4_4_failed_keeps_the_reason_rejected_address_retries_exhausted_or_seats() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(1).await;
    h.notifier
        .script("rejected@example.com", &[Scripted::Permanent]);
    h.notifier
        .script("flaky@example.com", &[Scripted::Transient; 8]);
    let rejected = h.invite_as(&admin, org.id, "rejected@example.com").await;
    let flaky = h.invite_as(&admin, org.id, "flaky@example.com").await;
    let late = h.invite_as(&admin, org.id, "late@example.com").await;
    h.invite_as(&admin, org.id, "early@example.com").await;
    // Retries run over hours of back-off
    for _ in 0..12 {
        h.deliver().await;
        h.advance(TimeDelta::hours(1));
    }
    h.sign_up_as("early@example.com").await;
    let token = h.token_sent_to("late@example.com");
    assert_eq!(
        refusal(h.service.sign_up(&token, None).await),
        Refusal::SeatsExhausted
    );

    let failure = |id| {
        let h = &h;
        async move {
            let inv = h.invitation(id).await;
            assert_eq!(inv.status_at(h.now()), Status::Failed);
            inv.failure().cloned().unwrap()
        }
    };
    assert_eq!(
        failure(rejected.id).await,
        FailureReason::DeliveryRejected("550 no such user (scripted)".into())
    );
    assert_eq!(
        failure(flaky.id).await,
        FailureReason::RetriesExhausted("451 mailbox busy (scripted)".into())
    );
    assert_eq!(failure(late.id).await, FailureReason::SeatsExhausted);
    // The reason is shown to admins in the list, under Expired or Failed
    let page = h
        .service
        .list(&admin, org.id, &ListQuery::tab(Tab::ExpiredOrFailed))
        .await
        .unwrap();
    assert_eq!(page.rows.len(), 3);
    assert!(
        page.rows
            .iter()
            .all(|r| r.status == Status::Failed && r.invitation.failure().cloned().is_some())
    );
}

#[tokio::test]
async fn r4_5_never_used_is_signed_up_holding_a_seat_and_never_logged_in() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let inv = h.invite_as(&admin, org.id, "bob@example.com").await;
    h.deliver().await;
    let signup = h.sign_up_as("bob@example.com").await;
    assert_eq!(signup.invitation.status_at(h.now()), Status::NeverUsed);
    assert_eq!(h.status(inv.id).await, Status::NeverUsed);
    // holds a seat
    assert_eq!(h.seats(org.id).await, Seats::new(5, 1));
    let member = h.store.member(signup.member.id).await.unwrap().unwrap();
    assert!(member.is_active());
    assert_eq!(member.invitation, Some(inv.id));
    let rec = h.invitation(inv.id).await;
    assert_eq!(rec.member(), Some(member.id));
    assert_eq!(rec.first_login_at(), None);
    // and stays Never Used however long it waits (no expiry after signup)
    h.advance(TimeDelta::days(30));
    assert_eq!(h.status(inv.id).await, Status::NeverUsed);
    assert_eq!(Status::NeverUsed.tab(), Some(Tab::NeverUsed));
}

#[tokio::test]
async fn r4_6_completed_after_first_login_or_marked_by_an_admin() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let by_login = h.invite_as(&admin, org.id, "login@example.com").await;
    let by_admin = h.invite_as(&admin, org.id, "admin@example.com").await;
    h.deliver().await;
    let s1 = h.sign_up_as("login@example.com").await;
    h.sign_up_as("admin@example.com").await;
    h.advance(TimeDelta::hours(2));
    // Logged in
    h.service
        .record_first_login(&Actor::Application, s1.member.id)
        .await
        .unwrap();
    let rec = h.invitation(by_login.id).await;
    assert_eq!(rec.status_at(h.now()), Status::Completed);
    assert_eq!(rec.completed(), Some((h.now(), CompletedBy::FirstLogin)));
    // Marked
    h.service.mark_completed(&admin, by_admin.id).await.unwrap();
    let rec = h.invitation(by_admin.id).await;
    assert_eq!(rec.status_at(h.now()), Status::Completed);
    assert_eq!(rec.completed(), Some((h.now(), CompletedBy::Admin)));
    // Both still hold their seat
    assert_eq!(h.seats(org.id).await, Seats::new(5, 2));
    let d = h.service.dashboard(&admin, org.id).await.unwrap();
    assert_eq!((d.counts.completed, d.counts.never_used), (2, 0));
}

#[tokio::test]
async fn r4_7_a_cancelled_invitation_has_a_dead_link_and_leaves_every_list_but_the_audit() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    let pending = h.invite_as(&admin, org.id, "pending@example.com").await;
    h.deliver().await;
    let token = h.token_sent_to("pending@example.com");
    let queued = h.invite_as(&admin, org.id, "queued@example.com").await;
    // When both are cancelled, one delivered and one still queued
    h.service.cancel(&admin, pending.id).await.unwrap();
    h.service.cancel(&admin, queued.id).await.unwrap();
    assert_eq!(h.status(pending.id).await, Status::Cancelled);
    assert_eq!(h.status(queued.id).await, Status::Cancelled);
    // Then the delivered link is dead
    assert_eq!(
        refusal(h.service.sign_up(&token, None).await),
        Refusal::LinkCancelled
    );
    // the queued message is never sent
    let r = h.deliver().await;
    assert_eq!((r.sent, r.dropped), (0, 1));
    assert!(h.notifier.delivered_to("queued@example.com").is_empty());
    // no tab lists them and no count includes them
    for tab in Tab::ALL {
        let page = h
            .service
            .list(&admin, org.id, &ListQuery::tab(tab))
            .await
            .unwrap();
        assert!(page.rows.is_empty(), "{tab}");
    }
    let d = h.service.dashboard(&admin, org.id).await.unwrap();
    assert_eq!(d.counts, TabCounts::default());
    assert_eq!(Status::Cancelled.tab(), None);
    // but the audit trail keeps them
    let trail = h
        .service
        .audit_trail(&admin, org.id, Some(pending.id))
        .await
        .unwrap();
    let cancel = trail
        .iter()
        .find(|e| e.action == AuditAction::Cancelled)
        .unwrap();
    assert_eq!(
        (cancel.before, cancel.after),
        (Some(Status::Pending), Some(Status::Cancelled))
    );
    // and a direct read still finds it, with no action left
    let view = h.service.invitation(&admin, pending.id).await.unwrap();
    assert_eq!(view.status, Status::Cancelled);
    assert!(view.actions.is_empty());
}

#[tokio::test]
async fn r4_8_tabs_and_their_counts() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(20).await;
    // One expired (made first: it needs the clock to move)
    h.invite_as(&admin, org.id, "expired@example.com").await;
    h.deliver().await;
    h.advance(TimeDelta::hours(72));
    // One failed, one pending, one never used, two completed, one cancelled
    h.notifier
        .script("failed@example.com", &[Scripted::Permanent]);
    for a in ["failed", "pending", "never", "login", "marked", "cancelled"] {
        h.invite_as(&admin, org.id, &format!("{a}@example.com"))
            .await;
    }
    h.deliver().await;
    h.sign_up_as("never@example.com").await;
    let login = h.sign_up_as("login@example.com").await;
    h.service
        .record_first_login(&Actor::Application, login.member.id)
        .await
        .unwrap();
    let marked = h.sign_up_as("marked@example.com").await;
    h.service
        .mark_completed(&admin, marked.invitation.id)
        .await
        .unwrap();
    let cancelled = h
        .service
        .list(
            &admin,
            org.id,
            &ListQuery {
                search: Some("cancelled".into()),
                ..ListQuery::tab(Tab::All)
            },
        )
        .await
        .unwrap()
        .rows[0]
        .invitation
        .id;
    h.service.cancel(&admin, cancelled).await.unwrap();
    // and two queued
    h.invite_as(&admin, org.id, "queued1@example.com").await;
    h.invite_as(&admin, org.id, "queued2@example.com").await;

    // Then the counts are: All = everything but Cancelled, Pending = Queued + Pending, ...
    let counts = h.service.dashboard(&admin, org.id).await.unwrap().counts;
    assert_eq!(counts.of(Tab::All), 8);
    assert_eq!(counts.of(Tab::Pending), 3);
    assert_eq!(counts.of(Tab::NeverUsed), 1);
    assert_eq!(counts.of(Tab::ExpiredOrFailed), 2);
    assert_eq!(counts.of(Tab::Completed), 2);
    // and each tab lists exactly its count, of the statuses it holds
    for tab in Tab::ALL {
        let page = h
            .service
            .list(&admin, org.id, &ListQuery::tab(tab))
            .await
            .unwrap();
        assert_eq!(page.rows.len() as u64, counts.of(tab), "{tab}");
        assert!(page.rows.iter().all(|r| tab.contains(r.status)), "{tab}");
    }
    let pending_tab = h
        .service
        .list(&admin, org.id, &ListQuery::tab(Tab::Pending))
        .await
        .unwrap();
    let mut statuses: Vec<Status> = pending_tab.rows.iter().map(|r| r.status).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        vec![Status::Queued, Status::Queued, Status::Pending]
    );
    // The tab membership of each status
    assert!(Tab::ExpiredOrFailed.contains(Status::Expired));
    assert!(Tab::ExpiredOrFailed.contains(Status::Failed));
    assert!(!Tab::All.contains(Status::Cancelled));
    for s in Status::ALL.into_iter().filter(|s| *s != Status::Cancelled) {
        assert!(Tab::All.contains(s));
        assert_eq!(
            Tab::ALL[1..].iter().filter(|t| t.contains(s)).count(),
            1,
            "{s:?}"
        );
    }
}
