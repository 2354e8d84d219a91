//! The event feed (R10.2): ordered, durable, read with a cursor by many consumers at their
//! own pace, never skipping or repeating an event under concurrent writers.

use super::fixtures::Harness;
use crate::actor::Actor;
use crate::feed::{FeedEvent, FeedPosition, FeedQuery};
use crate::ids::AuditId;
use crate::store::Store;
use std::collections::HashSet;
use std::sync::Arc;

/// Reads every event `query` selects after `query.after`, `page` at a time, as a consumer
/// does, until at least `expected` have come: a store may hold events back while an older
/// transaction (of anyone sharing the database server) is still running, but never hands
/// them out of order. Bounded: a minute at most.
async fn read_at_least<S: Store + 'static>(
    h: &Harness<S>,
    query: &FeedQuery,
    page: u32,
    expected: usize,
) -> Vec<FeedEvent> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut query = query.clone();
    let mut out: Vec<FeedEvent> = Vec::new();
    loop {
        let got = read_all(h, &query, page).await;
        if let Some(last) = got.last() {
            query.after = Some(last.position);
        }
        out.extend(got);
        if out.len() >= expected || std::time::Instant::now() > deadline {
            return out;
        }
        tokio::task::yield_now().await;
    }
}

/// Reads every event `query` selects after `query.after`, `page` at a time, as a consumer
/// does: continue after the last position seen.
async fn read_all<S: Store + 'static>(
    h: &Harness<S>,
    query: &FeedQuery,
    page: u32,
) -> Vec<FeedEvent> {
    let mut query = FeedQuery {
        limit: page,
        ..query.clone()
    };
    let mut out = Vec::new();
    loop {
        let got = h
            .service
            .events(&Actor::Application, &query)
            .await
            .expect("the feed answers");
        if got.events.is_empty() {
            return out;
        }
        query.after = got.next;
        out.extend(got.events);
    }
}

/// R10.2: the feed holds every audit event once, in one order: positions strictly grow, an
/// organization's events come in the order of its audit trail, a filter by organization or
/// invitation selects exactly those, each event is named (`invitation.created`, ...), and two
/// consumers reading at different paces see the same sequence.
pub async fn r10_2_the_event_feed_holds_every_change_once_in_one_order<S: Store + 'static>(
    store: S,
) {
    let h = Harness::new(store);
    let acme = h.standalone(5).await;
    let other = h.standalone(5).await;
    let (bob, token) = h.invite_delivered(&acme, "bob@example.com").await;
    h.invite(&other, "eve@example.com").await;
    h.sign_up(&token).await;
    h.invite(&acme, "carl@example.com").await;

    let expected = h.audit(acme.id(), None).await.len() + h.audit(other.id(), None).await.len();
    let all = read_at_least(&h, &FeedQuery::all(), 2, expected).await;
    let positions: Vec<FeedPosition> = all.iter().map(|e| e.position).collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "positions strictly grow"
    );
    let ids: HashSet<AuditId> = all.iter().map(|e| e.event.id).collect();
    assert_eq!(ids.len(), all.len(), "no event twice");

    let trail = h.audit(acme.id(), None).await;
    let of_acme = read_at_least(&h, &FeedQuery::of_org(acme.id()), 3, trail.len()).await;
    let feed_ids: Vec<AuditId> = of_acme.iter().map(|e| e.event.id).collect();
    let trail_ids: Vec<AuditId> = trail.iter().map(|e| e.id).collect();
    assert_eq!(
        feed_ids, trail_ids,
        "one organization's feed is its audit trail, in order"
    );
    assert!(of_acme.iter().all(|e| e.event.org == acme.id()));
    assert_eq!(
        all.iter().filter(|e| e.event.org == acme.id()).count(),
        of_acme.len()
    );
    let names: Vec<&str> = of_acme.iter().map(|e| e.name.as_str()).collect();
    assert!(names.contains(&"invitation.created"));
    assert!(names.contains(&"invitation.delivered"));
    assert!(names.contains(&"invitation.accepted"));

    let query = FeedQuery {
        invitation: Some(bob.id),
        ..FeedQuery::of_org(acme.id())
    };
    let bob_trail = h.audit(acme.id(), Some(bob.id)).await.len();
    let of_bob = read_at_least(&h, &query, 1, bob_trail).await;
    assert!(of_bob.iter().all(|e| e.event.invitation == Some(bob.id)));
    assert_eq!(of_bob.len(), h.audit(acme.id(), Some(bob.id)).await.len());

    // Another consumer, another pace, the same sequence; and continuing after the end
    // answers nothing until something happens.
    let again = read_at_least(&h, &FeedQuery::all(), 7, all.len()).await;
    assert_eq!(again, all);
    let after_end = FeedQuery {
        after: all.last().map(|e| e.position),
        ..FeedQuery::all()
    };
    assert!(read_all(&h, &after_end, 5).await.is_empty());
    h.invite(&other, "late@example.com").await;
    let late = read_at_least(&h, &after_end, 5, 1).await;
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].name, "invitation.created");
}

/// R10.2: while eight writers commit at once, a consumer polling the feed after the last
/// position it saw ends up with every event exactly once: none skipped because a later one
/// became visible first, none repeated.
pub async fn r10_2_a_feed_reader_never_skips_or_repeats_under_concurrent_writers<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Arc::new(Harness::new(store));
    let mut orgs = Vec::new();
    for _ in 0..4 {
        orgs.push(h.standalone(100).await);
    }
    let mut before_writers = 0;
    for org in &orgs {
        before_writers += h.audit(org.id(), None).await.len();
    }
    let start = read_at_least(&h, &FeedQuery::all(), 100, before_writers).await;
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let h = h.clone();
            let org = orgs[w % orgs.len()].clone();
            tokio::spawn(async move {
                for i in 0..10 {
                    h.invite(&org, &format!("w{w}-{i}@example.com")).await;
                }
            })
        })
        .collect();
    let mut seen = Vec::new();
    let mut query = FeedQuery {
        after: start.last().map(|e| e.position),
        limit: 7,
        ..FeedQuery::all()
    };
    let mut done = false;
    while !done {
        done = writers.iter().all(|w| w.is_finished());
        // Once the writers are done, one more full read takes whatever is left.
        loop {
            let page = h.service.events(&Actor::Application, &query).await.unwrap();
            if page.events.is_empty() {
                break;
            }
            query.after = page.next;
            seen.extend(page.events);
        }
        tokio::task::yield_now().await;
    }
    for w in writers {
        w.await.expect("a writer finished");
    }
    // Whatever a store still held back (an older transaction running on the server) comes
    // now, in order, after the last position seen.
    let missing = (8 * 10usize).saturating_sub(seen.len());
    seen.extend(read_at_least(&h, &query, 7, missing).await);
    let ids: Vec<AuditId> = seen.iter().map(|e| e.event.id).collect();
    let unique: HashSet<AuditId> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no event twice");
    let mut expected = HashSet::new();
    for org in &orgs {
        expected.extend(h.audit(org.id(), None).await.iter().map(|e| e.id));
    }
    let before: HashSet<AuditId> = start.iter().map(|e| e.event.id).collect();
    let expected: HashSet<AuditId> = expected.difference(&before).copied().collect();
    assert_eq!(unique, expected, "every event of the writers, none skipped");
    assert_eq!(unique.len(), 8 * 10, "one event per invite");
    assert!(seen.windows(2).all(|w| w[0].position < w[1].position));
}
