//! Links and the outbox (R5.2, R6, R7): hashes only, exclusive leases, retries, several
//! dispatchers at once.

use super::fixtures::{Harness, conflict, invited_event, refusal};
use crate::audit::AuditAction;
use crate::error::Refusal;
use crate::ids::MessageId;
use crate::invitation::{FailureReason, Status};
use crate::member::Seats;
use crate::notifier::Scripted;
use crate::outbox::{MessageKind, OutboxOutcome, OutboxState, OutboxUpdate, RetryPolicy};
use crate::store::{Commit, Conflict, Store};
use crate::token::LinkToken;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::TimeDelta;
use std::collections::HashSet;
use std::sync::Arc;

/// R6.1 and R7.4: a delivered link is found in the store by the hash of its token; the token
/// has 256 random bits and appears nowhere in storage: not in the outbox message, the audit
/// trail, the invitation or the link record.
pub async fn r6_1_r7_4_links_are_found_by_hash_and_no_token_is_stored<S: Store + 'static>(
    store: S,
) {
    let h = Harness::new(store);
    let acme = h.standalone(5).await;
    let by_email = h.invite(&acme, "erin@example.com").await;
    let by_sms = h.invite_sms(&acme, "+79051111111").await;
    h.deliver().await;

    let delivered = h.notifier.delivered();
    assert_eq!(delivered.len(), 2);
    for inv in [&by_email, &by_sms] {
        let token = h.token_of(inv.id);
        let bytes = URL_SAFE_NO_PAD.decode(&token).expect("base64url token");
        assert!(bytes.len() >= 32, "at least 256 bits");

        let link = h
            .store
            .link(&LinkToken::from_link(token.as_str()).hash())
            .await
            .unwrap()
            .expect("the link is found by the hash of its token");
        assert_eq!((link.invitation, link.generation), (inv.id, 1));
        assert!(!format!("{link:?}").contains(&token));

        let note = delivered.iter().find(|n| n.invitation == inv.id).unwrap();
        let message = h
            .store
            .message(note.message_id)
            .await
            .unwrap()
            .expect("stored message");
        assert!(matches!(message.state, OutboxState::Sent { .. }));
        assert!(
            !format!("{message:?}").contains(&token),
            "no token in the outbox"
        );
        let stored = h.invitation(inv.id).await;
        assert!(
            !format!("{stored:?}").contains(&token),
            "no token in the invitation"
        );
        for event in h.audit(acme.id(), None).await {
            assert!(
                !format!("{event:?}").contains(&token),
                "no token in the audit trail"
            );
        }
    }
    let stranger = LinkToken::mint().unwrap();
    assert_eq!(h.store.link(&stranger.hash()).await.unwrap(), None);
    assert_eq!(
        refusal(h.service.sign_up(stranger.expose(), None).await),
        Refusal::UnknownLink
    );
}

/// R6.3: a link signs up once. A second use is [`Refusal::LinkAlreadyUsed`]; two concurrent
/// uses (a retried request) still make one member.
pub async fn r6_3_a_link_signs_up_once<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let acme = h.standalone(5).await;
    let (inv, token) = h.invite_delivered(&acme, "fay@example.com").await;
    let signup = h.sign_up(&token).await;
    assert_eq!(signup.invitation.id, inv.id);
    assert_eq!(h.status(inv.id).await, Status::NeverUsed);
    assert_eq!(
        refusal(h.service.sign_up(&token, None).await),
        Refusal::LinkAlreadyUsed
    );
    assert_eq!(
        h.store.seats(acme.id(), h.now()).await.unwrap(),
        Seats::new(5, 1)
    );

    let (_, twice) = h.invite_delivered(&acme, "gus@example.com").await;
    let racing = h.racing(2);
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let service = racing.clone();
            let token = twice.clone();
            tokio::spawn(async move { service.sign_up(&token, None).await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.expect("the task ran") {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(refusal::<()>(Err(e)), Refusal::LinkAlreadyUsed),
        }
    }
    assert_eq!(ok, 1, "one member from two uses of one link");
    assert_eq!(
        h.store.seats(acme.id(), h.now()).await.unwrap(),
        Seats::new(5, 2)
    );
    let members = h
        .store
        .active_members(acme.id(), &["gus@example.com".to_owned()])
        .await
        .unwrap();
    assert_eq!(members.len(), 1);
}

/// R5.2 and R6.2: a resend starts a new link generation; the store keeps each link's
/// generation so the old link is refused as superseded and the new one signs up.
pub async fn r5_2_a_resend_kills_the_previous_link<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let acme = h.standalone(5).await;
    let (inv, old_token) = h.invite_delivered(&acme, "hal@example.com").await;
    h.advance(TimeDelta::minutes(2)); // past the resend cool-down
    let resent = h.service.resend(&acme.admin, inv.id).await.expect("resend");
    assert_eq!(resent.link_generation(), 2);
    assert_eq!(h.status(inv.id).await, Status::Queued);
    h.deliver().await;
    let new_token = h.token_of(inv.id);
    assert_ne!(old_token, new_token);
    let stored = h.invitation(inv.id).await;
    assert_eq!((stored.send_count(), stored.link_generation()), (2, 2));

    let old = h
        .store
        .link(&LinkToken::from_link(old_token.as_str()).hash())
        .await
        .unwrap();
    let new = h
        .store
        .link(&LinkToken::from_link(new_token.as_str()).hash())
        .await
        .unwrap();
    assert_eq!(old.map(|l| l.generation), Some(1));
    assert_eq!(new.map(|l| l.generation), Some(2));
    assert_eq!(
        refusal(h.service.sign_up(&old_token, None).await),
        Refusal::LinkSuperseded
    );
    h.sign_up(&new_token).await;
}

/// R7.3: two dispatchers draining at once deliver every message exactly once and lose none.
pub async fn r7_3_two_dispatchers_deliver_every_message_exactly_once<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let acme = h.standalone(50).await;
    let mut ids = Vec::new();
    for i in 0..30 {
        ids.push(h.invite(&acme, &format!("d{i:02}@example.com")).await.id);
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let mut config = h.dispatcher_config();
            config.batch_size = 3;
            let dispatcher = h.dispatcher_with(config);
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                dispatcher.drain().await
            })
        })
        .collect();
    let (mut sent, mut lost) = (0, 0);
    for t in tasks {
        let report = t.await.expect("the task ran").expect("dispatching works");
        sent += report.sent;
        lost += report.lease_lost;
    }
    assert_eq!((sent, lost), (30, 0));

    let delivered = h.notifier.delivered();
    assert_eq!(delivered.len(), 30, "no message twice");
    let messages: HashSet<MessageId> = delivered.iter().map(|n| n.message_id).collect();
    assert_eq!(messages.len(), 30);
    for n in &delivered {
        let m = h.store.message(n.message_id).await.unwrap().unwrap();
        assert!(matches!(m.state, OutboxState::Sent { .. }));
        assert_eq!(m.attempts, 1);
    }
    for id in ids {
        let inv = h.invitation(id).await;
        assert_eq!(
            (inv.status_at(h.now()), inv.send_count()),
            (Status::Pending, 1)
        );
    }
    assert!(
        h.store
            .claim_due(h.now(), TimeDelta::minutes(5), 100)
            .await
            .unwrap()
            .is_empty()
    );
}

/// R7.3: concurrent claims never hand out one message twice, and together claim them all.
pub async fn r7_3_concurrent_claims_never_hand_out_a_message_twice<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let acme = h.standalone(50).await;
    for i in 0..24 {
        h.invite(&acme, &format!("c{i:02}@example.com")).await;
    }
    let now = h.now();
    let workers = 6;
    let barrier = Arc::new(tokio::sync::Barrier::new(workers));
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let store = h.store.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let mut mine = Vec::new();
                for _ in 0..100 {
                    let batch = store
                        .claim_due(now, TimeDelta::minutes(5), 2)
                        .await
                        .unwrap();
                    if batch.is_empty() {
                        return mine;
                    }
                    assert!(batch.len() <= 2, "a claim respects its limit");
                    mine.extend(batch);
                }
                panic!("claims never ran out: messages are handed out again")
            })
        })
        .collect();
    let mut claimed = Vec::new();
    for t in tasks {
        claimed.extend(t.await.expect("the task ran"));
    }
    let ids: HashSet<MessageId> = claimed.iter().map(|c| c.message.id).collect();
    assert_eq!(claimed.len(), 24);
    assert_eq!(ids.len(), 24, "no message claimed twice");
    let tokens: HashSet<_> = claimed.iter().map(|c| c.lease.token).collect();
    assert_eq!(tokens.len(), 24, "each claim has its own lease");
    for c in &claimed {
        assert_eq!(c.message.attempts, 1);
        assert_eq!(c.lease.until, now + TimeDelta::minutes(5));
        let stored = h.store.message(c.message.id).await.unwrap().unwrap();
        assert_eq!(stored.lease, Some(c.lease));
        assert_eq!(stored.attempts, 1);
    }
}

/// R7.3: a claim is exclusive while its lease lasts; once it ends another claim takes the
/// message (attempt 2) and the first holder can no longer finish it
/// ([`Conflict::LeaseLost`], nothing of its commit written); only the current holder can,
/// and only once.
pub async fn r7_3_a_lease_is_exclusive_and_only_its_holder_finishes<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let acme = h.standalone(5).await;
    let inv = h.invite(&acme, "ivy@example.com").await;
    let t0 = h.now();
    let lease = TimeDelta::minutes(5);

    let first = h.store.claim_due(t0, lease, 10).await.unwrap();
    assert_eq!(first.len(), 1);
    let first = first.into_iter().next().unwrap();
    assert_eq!(
        (first.message.invitation, first.message.kind),
        (inv.id, MessageKind::Invitation)
    );
    assert_eq!(first.message.attempts, 1);
    assert!(h.store.claim_due(t0, lease, 10).await.unwrap().is_empty());
    let just_before = t0 + lease - TimeDelta::seconds(1);
    assert!(
        h.store
            .claim_due(just_before, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let t1 = t0 + lease + TimeDelta::seconds(1);
    let second = h.store.claim_due(t1, lease, 10).await.unwrap();
    assert_eq!(second.len(), 1);
    let second = second.into_iter().next().unwrap();
    assert_eq!(second.message.id, first.message.id);
    assert_eq!(second.message.attempts, 2);
    assert_ne!(second.lease.token, first.lease.token);

    // The first holder comes back: refused, and its audit event is not written.
    let event = invited_event(acme.id(), inv.id, t1);
    let mut late = Commit::new(acme.id(), t1);
    late.outbox_updates.push(OutboxUpdate {
        id: first.message.id,
        lease: first.lease.token,
        outcome: OutboxOutcome::Sent {
            at: t1,
            receipt: None,
        },
    });
    late.audit.push(event.clone());
    assert_eq!(
        conflict(h.store.commit(late).await),
        Conflict::LeaseLost(first.message.id)
    );
    let stored = h.store.message(first.message.id).await.unwrap().unwrap();
    assert_eq!(stored.state, OutboxState::Pending);
    assert_eq!(stored.lease, Some(second.lease));
    assert!(
        h.audit(acme.id(), None)
            .await
            .iter()
            .all(|e| e.id != event.id)
    );

    // The holder schedules a retry: the lease is released and the message waits until due.
    let retry_at = t1 + TimeDelta::minutes(10);
    let mut retry = Commit::new(acme.id(), t1);
    retry.outbox_updates.push(OutboxUpdate {
        id: second.message.id,
        lease: second.lease.token,
        outcome: OutboxOutcome::Retry {
            due_at: retry_at,
            error: "451 busy".into(),
        },
    });
    h.store
        .commit(retry)
        .await
        .expect("the holder finishes its attempt");
    let stored = h.store.message(first.message.id).await.unwrap().unwrap();
    assert_eq!(stored.state, OutboxState::Pending);
    assert_eq!(
        (stored.due_at, stored.lease, stored.attempts),
        (retry_at, None, 2)
    );
    assert_eq!(stored.last_error.as_deref(), Some("451 busy"));
    assert!(
        h.store
            .claim_due(retry_at - TimeDelta::seconds(1), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let third = h.store.claim_due(retry_at, lease, 10).await.unwrap();
    assert_eq!(third.len(), 1);
    let third = third.into_iter().next().unwrap();
    assert_eq!(third.message.attempts, 3);
    let finish = |token| {
        let mut c = Commit::new(acme.id(), retry_at);
        c.outbox_updates.push(OutboxUpdate {
            id: third.message.id,
            lease: token,
            outcome: OutboxOutcome::Sent {
                at: retry_at,
                receipt: None,
            },
        });
        c
    };
    h.store
        .commit(finish(third.lease.token))
        .await
        .expect("the holder finishes");
    let stored = h.store.message(third.message.id).await.unwrap().unwrap();
    assert_eq!(stored.state, OutboxState::Sent { at: retry_at });
    assert_eq!(stored.lease, None);
    // Finishing twice is refused, and a sent message is never claimed again.
    assert_eq!(
        conflict(h.store.commit(finish(third.lease.token)).await),
        Conflict::LeaseLost(third.message.id)
    );
    let much_later = retry_at + TimeDelta::days(30);
    assert!(
        h.store
            .claim_due(much_later, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// R7.1 and R7.3: a dispatcher that dies holding a claim loses nothing: when its lease ends,
/// another dispatcher delivers the message (attempt 2) and the dead one's late finish is
/// refused with [`Conflict::LeaseLost`].
pub async fn r7_1_a_dead_dispatchers_message_is_delivered_after_its_lease<S: Store + 'static>(
    store: S,
) {
    let h = Harness::new(store);
    let acme = h.standalone(5).await;
    let inv = h.invite(&acme, "jon@example.com").await;
    let config = h.dispatcher_config();
    let lease = config.lease;

    let dead = h.store.claim_due(h.now(), lease, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    let dead = dead.into_iter().next().unwrap();
    // Before the lease ends, a live dispatcher finds nothing to do.
    h.advance(lease - TimeDelta::seconds(1));
    let report = h.dispatcher().drain().await.unwrap();
    assert_eq!(report.claimed, 0);
    assert!(h.notifier.delivered().is_empty());
    assert_eq!(h.status(inv.id).await, Status::Queued);

    h.advance(TimeDelta::seconds(2));
    let report = h.dispatcher().drain().await.unwrap();
    assert_eq!((report.claimed, report.sent), (1, 1));
    let delivered = h.notifier.delivered();
    assert_eq!(delivered.len(), 1);
    assert_eq!(
        (delivered[0].message_id, delivered[0].attempt),
        (dead.message.id, 2)
    );
    let stored = h.store.message(dead.message.id).await.unwrap().unwrap();
    assert!(matches!(stored.state, OutboxState::Sent { .. }));
    assert_eq!(stored.attempts, 2);
    assert_eq!(h.status(inv.id).await, Status::Pending);

    let mut late = Commit::new(acme.id(), h.now());
    late.outbox_updates.push(OutboxUpdate {
        id: dead.message.id,
        lease: dead.lease.token,
        outcome: OutboxOutcome::Dead {
            reason: "worker gave up".into(),
        },
    });
    assert_eq!(
        conflict(h.store.commit(late).await),
        Conflict::LeaseLost(dead.message.id)
    );
    let stored = h.store.message(dead.message.id).await.unwrap().unwrap();
    assert!(matches!(stored.state, OutboxState::Sent { .. }));
    assert_eq!(h.status(inv.id).await, Status::Pending);
}

/// R7.2: transient failures are retried later with growing delays (the message's due time
/// moves out), then delivered; the invitation stays Queued meanwhile and each retry is
/// audited.
pub async fn r7_2_transient_failures_are_retried_with_growing_delay<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let acme = h.standalone(5).await;
    let inv = h.invite(&acme, "kim@example.com").await;
    h.notifier.script(
        "kim@example.com",
        &[Scripted::Transient, Scripted::Transient],
    );
    let policy = RetryPolicy::default();

    let t0 = h.now();
    let report = h.deliver().await;
    assert_eq!((report.claimed, report.retried), (1, 1));
    let early = h
        .store
        .claim_due(t0, TimeDelta::minutes(5), 10)
        .await
        .unwrap();
    assert!(early.is_empty(), "not due again yet");

    let after_first = h.last_attempted_message(inv.id).await;
    let first_delay = after_first.due_at - t0;
    let base = policy.delay_after(1);
    let most = policy.jittered_delay_after(1, 1.0);
    assert!(
        (base..=most).contains(&first_delay),
        "the first delay is {base} plus up to {}% jitter: {first_delay}",
        policy.jitter_percent
    );
    assert_eq!(after_first.attempts, 1);
    assert!(after_first.last_error.is_some());
    assert_eq!(h.status(inv.id).await, Status::Queued);

    h.set_time(after_first.due_at);
    let report = h.deliver().await;
    assert_eq!(report.retried, 1);
    let after_second = h.last_attempted_message(inv.id).await;
    let second_delay = after_second.due_at - after_first.due_at;
    assert!(
        second_delay > first_delay,
        "the delay grows: {first_delay} then {second_delay}"
    );
    assert_eq!(after_second.attempts, 2);

    h.set_time(after_second.due_at);
    let report = h.deliver().await;
    assert_eq!(report.sent, 1);
    let delivered = h.notifier.delivered_to("kim@example.com");
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].attempt, 3);
    let stored = h.invitation(inv.id).await;
    assert_eq!(
        (stored.status_at(h.now()), stored.send_count()),
        (Status::Pending, 1)
    );
    let retries = h
        .audit(acme.id(), Some(inv.id))
        .await
        .iter()
        .filter(|e| matches!(e.action, AuditAction::DeliveryRetried { .. }))
        .count();
    assert_eq!(retries, 2);
}

/// R7.2: a permanent failure marks the invitation Failed with the reason at once; the message
/// is dead and never tried again.
pub async fn r7_2_a_permanent_failure_marks_the_invitation_failed<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let acme = h.standalone(5).await;
    let inv = h.invite(&acme, "lou@example.com").await;
    h.notifier.script("lou@example.com", &[Scripted::Permanent]);
    let report = h.deliver().await;
    assert_eq!((report.claimed, report.failed), (1, 1));
    let stored = h.invitation(inv.id).await;
    assert_eq!(stored.status_at(h.now()), Status::Failed);
    assert!(
        matches!(&stored.failure(), Some(FailureReason::DeliveryRejected(why)) if why.contains("550")),
        "the reason is kept: {:?}",
        stored.failure()
    );
    let trail = h.audit(acme.id(), Some(inv.id)).await;
    let failed = trail
        .iter()
        .find(|e| matches!(e.action, AuditAction::DeliveryFailed { .. }))
        .expect("the failure is audited");
    assert_eq!(
        (failed.before, failed.after),
        (Some(Status::Queued), Some(Status::Failed))
    );
    h.advance(TimeDelta::days(1));
    assert_eq!(
        h.deliver().await.claimed,
        0,
        "a dead message is not retried"
    );
    assert!(h.notifier.delivered().is_empty());
}

/// R7.2: transient failures up to the attempt limit mark the invitation Failed with
/// [`FailureReason::RetriesExhausted`].
pub async fn r7_2_too_many_transient_failures_mark_the_invitation_failed<S: Store + 'static>(
    store: S,
) {
    let h = Harness::new(store);
    let acme = h.standalone(5).await;
    let inv = h.invite(&acme, "max@example.com").await;
    h.notifier
        .script("max@example.com", &[Scripted::Transient; 3]);
    let mut config = h.dispatcher_config();
    config.retry = RetryPolicy {
        first_delay: TimeDelta::seconds(10),
        max_delay: TimeDelta::minutes(10),
        max_attempts: 3,
        jitter_percent: 0,
    };
    let dispatcher = h.dispatcher_with(config);
    let (mut retried, mut failed) = (0, 0);
    for _ in 0..3 {
        let r = dispatcher.drain().await.unwrap();
        (retried, failed) = (retried + r.retried, failed + r.failed);
        h.advance(TimeDelta::minutes(10));
    }
    assert_eq!((retried, failed), (2, 1));
    let stored = h.invitation(inv.id).await;
    assert_eq!(stored.status_at(h.now()), Status::Failed);
    assert!(matches!(
        stored.failure(),
        Some(FailureReason::RetriesExhausted(_))
    ));
    assert_eq!(dispatcher.drain().await.unwrap().claimed, 0);
    assert!(h.notifier.delivered().is_empty());
    let numbers: Vec<u32> = h.attempts.attempts().iter().map(|a| a.attempt).collect();
    assert_eq!(numbers, vec![1, 2, 3]);
    let message = h.last_attempted_message(inv.id).await;
    assert!(matches!(message.state, OutboxState::Dead { .. }));
}

/// R7.3 (one worker): a drain overlaps its batches, the next claimed and its deliveries
/// started while the last one's tail is still out, yet never has more than `concurrency`
/// messages in flight, and delivers and records every message once.
pub async fn r7_3_a_drain_overlaps_batches_within_its_window_and_delivers_each_message_once<
    S: Store + 'static,
>(
    store: S,
) {
    use crate::notifier::{Delivered, Notification, Notifier, NotifyError};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts the deliveries in flight, and holds each over a few turns of the runtime so
    /// that batches have the chance to overlap.
    struct Window<N> {
        inner: N,
        now: AtomicUsize,
        most: AtomicUsize,
    }
    #[async_trait::async_trait]
    impl<N: Notifier> Notifier for Window<N> {
        async fn deliver(&self, n: &Notification) -> Result<Delivered, NotifyError> {
            let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            let delivered = self.inner.deliver(n).await;
            self.now.fetch_sub(1, Ordering::SeqCst);
            delivered
        }
    }

    let h = Harness::new(store);
    let acme = h.standalone(50).await;
    for i in 0..23 {
        h.invite(&acme, &format!("w{i:02}@example.com")).await;
    }
    let window = Arc::new(Window {
        inner: h.attempts.clone(),
        now: AtomicUsize::new(0),
        most: AtomicUsize::new(0),
    });
    let mut config = h.dispatcher_config();
    config.batch_size = 4;
    config.concurrency = 3;
    let dispatcher =
        crate::Dispatcher::new(h.store.clone(), window.clone(), h.clock.clone(), config);
    let report = dispatcher.drain().await.expect("dispatching works");
    assert_eq!(
        (report.claimed, report.sent, report.lease_lost),
        (23, 23, 0)
    );
    assert!(
        window.most.load(Ordering::SeqCst) <= 3,
        "never more than the window in flight"
    );
    let delivered = h.notifier.delivered();
    let messages: HashSet<MessageId> = delivered.iter().map(|n| n.message_id).collect();
    assert_eq!(
        (delivered.len(), messages.len()),
        (23, 23),
        "each message once"
    );
    for n in &delivered {
        let m = h.store.message(n.message_id).await.unwrap().unwrap();
        assert!(matches!(m.state, OutboxState::Sent { .. }));
        assert_eq!(m.attempts, 1);
    }
    assert_eq!(
        dispatcher.drain().await.expect("dispatching works").claimed,
        0
    );
}
