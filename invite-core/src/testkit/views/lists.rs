//! Lists (R9.2): keyset paging while invitations arrive, search by address, both sort keys in
//! both orders.

use super::{load, walk};
use crate::access::{Access, Role};
use crate::dashboard::{Cursor, ListQuery, SortKey, SortOrder};
use crate::ids::InvitationId;
use crate::invitation::{Invitation, Tab};
use crate::store::Store;
use crate::testkit::fixtures::Harness;
use chrono::TimeDelta;
use std::collections::HashSet;

/// R9.2: walking every page of a tab with a small page size visits each row exactly once, in
/// order, even when invitations arrive between pages and when rows tie on the sort value.
pub async fn r9_2_paging_visits_every_row_once_while_invitations_arrive<S: Store + 'static>(
    store: S,
) {
    let h = Harness::new(store);
    let acme = h.standalone(100).await;
    // Six invited at one instant (ties on the sort key), then six a minute apart.
    let tied: Vec<String> = (0..6).map(|i| format!("tied{i}@example.com")).collect();
    let tied: Vec<&str> = tied.iter().map(String::as_str).collect();
    let mut existing = Vec::new();
    for outcome in h
        .service
        .invite_many(&acme.admin, acme.id(), &tied, Access::user(Role::ReadOnly))
        .await
        .unwrap()
    {
        existing.push(outcome.result.expect("invited").id);
    }
    for i in 0..6 {
        h.advance(TimeDelta::minutes(1));
        existing.push(h.invite(&acme, &format!("spaced{i}@example.com")).await.id);
    }

    for (round, order) in [SortOrder::NewestFirst, SortOrder::OldestFirst]
        .into_iter()
        .enumerate()
    {
        let mut query = ListQuery {
            order,
            limit: 5,
            ..ListQuery::tab(Tab::All)
        };
        let mut expected = load(&h, &existing).await;
        expected.sort_by(|a, b| query.compare(a, b));
        let expected: Vec<InvitationId> = expected.iter().map(|i| i.id).collect();

        let mut seen = Vec::new();
        let mut arrived = Vec::new();
        for page_no in 0.. {
            assert!(page_no < 100, "paging did not end");
            let page = h.store.list(acme.id(), &query, h.now()).await.unwrap();
            assert!(page.rows.len() <= 5);
            seen.extend(page.rows.iter().map(|r| r.invitation.id));
            // New invitations arrive between pages: newer than every row so far.
            h.advance(TimeDelta::minutes(1));
            let email = format!("arrived{round}-{page_no}@example.com");
            arrived.push(h.invite(&acme, &email).await.id);
            match page.next {
                Some(c) => query.after = Some(Cursor::decode(&c.encode()).unwrap()),
                None => break,
            }
        }
        let unique: HashSet<_> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "no row twice ({order:?})");
        match order {
            // Newer rows come before the cursor: the walk sees exactly the rows it started with.
            SortOrder::NewestFirst => assert_eq!(seen, expected),
            // Newer rows come after it: the walk sees them too, at the end.
            SortOrder::OldestFirst => {
                let mut want = expected.clone();
                want.extend(&arrived[..arrived.len() - 1]);
                assert_eq!(seen, want);
            }
        }
        existing.extend(arrived);
    }
}

/// R9.2: search by address is a case-insensitive substring of the e-mail or phone number,
/// combined with the tab, and pages like any list.
pub async fn r9_2_search_by_address_is_case_insensitive<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let acme = h.standalone(20).await;
    let other = h.standalone(20).await;
    let (search, token) = h.invite_delivered(&acme, "Zoe.Search@Example.com").await;
    let bob = h.invite(&acme, "bob@example.com").await;
    let sms = h.invite_sms(&acme, "+79051111111").await;
    h.deliver().await;
    h.sign_up(&token).await;
    let other_zoe = h.invite(&acme, "zoe.other@example.com").await;
    h.invite(&other, "zoe@example.com").await;

    let find = |tab: Tab, text: &str| ListQuery {
        search: Some(text.to_owned()),
        limit: 1,
        ..ListQuery::tab(tab)
    };
    let sorted = |mut v: Vec<InvitationId>| {
        v.sort();
        v
    };
    let cases = [
        (Tab::All, "SEARCH@EXAMPLE", vec![search.id]),
        (Tab::All, "zoe", vec![search.id, other_zoe.id]),
        (Tab::All, "ZOE.", vec![search.id, other_zoe.id]),
        (Tab::All, "905111", vec![sms.id]),
        (
            Tab::All,
            "  ",
            vec![search.id, bob.id, sms.id, other_zoe.id],
        ),
        (Tab::All, "nobody", vec![]),
        (Tab::Pending, "Zoe", vec![other_zoe.id]),
        (Tab::NeverUsed, "zOE", vec![search.id]),
    ];
    for (tab, text, want) in cases {
        let got = walk(&h, &acme, find(tab, text)).await;
        assert_eq!(sorted(got), sorted(want), "search {text:?} in {tab}");
    }
}

/// R9.2: lists sort by last invitation date or by signup date, newest or oldest first, in every
/// tab and across pages; rows never signed up come last when sorting by signup newest first.
pub async fn r9_2_lists_sort_by_signup_or_last_invitation_in_both_orders<S: Store + 'static>(
    store: S,
) {
    let h = Harness::new(store);
    let acme = h.standalone(20).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        h.advance(TimeDelta::minutes(1));
        ids.push(h.invite(&acme, &format!("s{i}@example.com")).await.id);
    }
    h.deliver().await;
    let tokens: Vec<String> = ids.iter().map(|id| h.token_of(*id)).collect();
    for i in [3, 0, 4] {
        h.advance(TimeDelta::hours(1));
        h.sign_up(&tokens[i]).await;
    }
    // Invitation 1 is resent, so its last invitation date is the latest.
    h.advance(TimeDelta::hours(1));
    h.service.resend(&acme.admin, ids[1]).await.unwrap();
    let now = h.now();

    let q = |tab, sort, order| ListQuery {
        sort,
        order,
        limit: 2,
        ..ListQuery::tab(tab)
    };
    use SortKey::{LastInvited, SignedUp};
    use SortOrder::{NewestFirst, OldestFirst};
    let pick = |idx: &[usize]| idx.iter().map(|i| ids[*i]).collect::<Vec<_>>();
    assert_eq!(
        walk(&h, &acme, q(Tab::All, LastInvited, NewestFirst)).await,
        pick(&[1, 4, 3, 2, 0])
    );
    assert_eq!(
        walk(&h, &acme, q(Tab::All, LastInvited, OldestFirst)).await,
        pick(&[0, 2, 3, 4, 1])
    );
    assert_eq!(
        walk(&h, &acme, q(Tab::NeverUsed, SignedUp, NewestFirst)).await,
        pick(&[4, 0, 3])
    );
    assert_eq!(
        walk(&h, &acme, q(Tab::NeverUsed, SignedUp, OldestFirst)).await,
        pick(&[3, 0, 4])
    );
    let all_by_signup = walk(&h, &acme, q(Tab::All, SignedUp, NewestFirst)).await;
    assert_eq!(all_by_signup[..3], pick(&[4, 0, 3])[..]);
    let mut unsigned = all_by_signup[3..].to_vec();
    unsigned.sort();
    let mut want = pick(&[1, 2]);
    want.sort();
    assert_eq!(unsigned, want, "rows never signed up come last");

    // Every tab, key and order agrees with the documented comparison.
    let invitations = load(&h, &ids).await;
    for tab in Tab::ALL {
        for sort in [LastInvited, SignedUp] {
            for order in [NewestFirst, OldestFirst] {
                let query = q(tab, sort, order);
                let mut expected: Vec<&Invitation> = invitations
                    .iter()
                    .filter(|i| tab.contains(i.status_at(now)))
                    .collect();
                expected.sort_by(|a, b| query.compare(a, b));
                let expected: Vec<InvitationId> = expected.iter().map(|i| i.id).collect();
                assert_eq!(
                    walk(&h, &acme, query).await,
                    expected,
                    "{tab} by {sort:?} {order:?}"
                );
            }
        }
    }
}
