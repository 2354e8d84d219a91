//! What the store answers about an organization (R2.6, R2.11, R9, R10.2): dashboard counts,
//! lists with search, sorting and keyset paging, daily activity, the audit trail.

use super::fixtures::{Harness, TestOrg, at, refusal};
use crate::access::{Access, ClientGrant, Role};
use crate::actor::Actor;
use crate::audit::AuditAction;
use crate::contact::Channel;
use crate::dashboard::{Cursor, Dashboard, DayActivity, ListQuery, SortKey, SortOrder, TabCounts};
use crate::error::Refusal;
use crate::ids::{InvitationId, UserRef};
use crate::invitation::{Invitation, Status, Tab};
use crate::member::Seats;
use crate::notifier::Scripted;
use crate::org::OrgSettings;
use crate::service::{DirectoryUser, UserStatus};
use crate::store::Store;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use std::collections::HashSet;

/// Loads invitations by id.
async fn load<S: Store + 'static>(h: &Harness<S>, ids: &[InvitationId]) -> Vec<Invitation> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(h.invitation(*id).await);
    }
    out
}

/// Checks the store's dashboard of `org` at `now` against a tally of `ids` (all of the
/// organization's invitations) at the same instant.
async fn assert_dashboard_is_the_tally<S: Store + 'static>(
    h: &Harness<S>,
    org: &TestOrg,
    ids: &[InvitationId],
    now: DateTime<Utc>,
) -> Dashboard {
    let invitations = load(h, ids).await;
    let dashboard = h
        .store
        .dashboard(org.id(), now)
        .await
        .unwrap()
        .expect("the organization exists");
    let stored = h.organization(org.id()).await;
    assert_eq!(
        dashboard,
        Dashboard {
            org: org.id(),
            counts: TabCounts::tally(&invitations, now),
            splits: crate::dashboard::CountSplits::tally(&invitations, now),
            seats: h.store.seats(org.id(), now).await.unwrap(),
            reminders_enabled: stored.settings.reminders_enabled,
            waitlist: 0,
        }
    );
    dashboard
}

/// Walks every page of `query`, answering the ids in the order visited.
async fn walk<S: Store + 'static>(
    h: &Harness<S>,
    org: &TestOrg,
    mut query: ListQuery,
) -> Vec<InvitationId> {
    let now = h.now();
    let mut ids = Vec::new();
    for _ in 0..1000 {
        let page = h.store.list(org.id(), &query, now).await.unwrap();
        assert!(
            page.rows.len() <= query.limit as usize,
            "a page holds at most its limit"
        );
        for row in &page.rows {
            assert_eq!(row.status, row.invitation.status_at(now));
            assert!(query.tab.contains(row.status));
            assert_eq!(row.actions, row.status.actions());
        }
        ids.extend(page.rows.iter().map(|r| r.invitation.id));
        match page.next {
            // As a web client would: through the URL form of the cursor.
            Some(c) => {
                query.after = Some(Cursor::decode(&c.encode()).expect("a cursor round-trips"))
            }
            None => return ids,
        }
    }
    panic!("paging did not end");
}

/// R9.1 (and R4.3, R2.6): the store's dashboard of an organization equals a tally of all its
/// invitations at the same instant, with its seats and reminder switch, in one call; counts
/// follow the clock with no sweeper (a Pending invitation counts as Expired once its link
/// expires); another organization's invitations are not counted.
pub async fn r9_1_dashboard_counts_equal_a_tally_of_the_organizations_invitations<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::new(store);
    let settings = OrgSettings {
        reminders_enabled: true,
        ..OrgSettings::with_seats(20)
    };
    let acme = h.org_with("Acme", settings).await;
    let other = h.standalone(20).await;
    let mut ids = Vec::new();

    let (expired, _) = h.invite_delivered(&acme, "expired@example.com").await;
    ids.push(expired.id);
    h.advance(TimeDelta::hours(73));
    ids.push(h.invite_sms(&acme, "+79051111111").await.id);
    h.notifier
        .script("failed@example.com", &[Scripted::Permanent]);
    ids.push(h.invite(&acme, "failed@example.com").await.id);
    let (never_used, token) = h.invite_delivered(&acme, "never@example.com").await;
    ids.push(never_used.id);
    h.sign_up(&token).await;
    let (completed, token) = h.invite_delivered(&acme, "done@example.com").await;
    ids.push(completed.id);
    let member = h.sign_up(&token).await.member;
    h.service
        .record_first_login(&Actor::Application, member.id)
        .await
        .unwrap();
    let (cancelled, _) = h.invite_delivered(&acme, "cancelled@example.com").await;
    ids.push(cancelled.id);
    h.service.cancel(&acme.admin, cancelled.id).await.unwrap();
    ids.push(h.invite(&acme, "queued@example.com").await.id);
    // Another organization's invitations, to the same addresses even.
    h.invite(&other, "queued@example.com").await;
    h.invite(&other, "someone@example.com").await;

    let now = h.now();
    let dashboard = assert_dashboard_is_the_tally(&h, &acme, &ids, now).await;
    assert_eq!(
        dashboard.counts,
        TabCounts {
            all: 6,
            pending: 2,
            never_used: 1,
            expired_or_failed: 2,
            completed: 1,
            invited_by_email: 5,
            invited_by_sms: 1,
        }
    );
    assert_eq!(dashboard.seats, Seats::new(20, 2));
    assert!(dashboard.reminders_enabled);
    // The service answers the same.
    assert_eq!(
        h.service.dashboard(&acme.admin, acme.id()).await.unwrap(),
        dashboard
    );

    // Three days on: the SMS invitation has expired, nothing ran in between.
    let later = now + TimeDelta::hours(73);
    let dashboard = assert_dashboard_is_the_tally(&h, &acme, &ids, later).await;
    assert_eq!(
        (dashboard.counts.pending, dashboard.counts.expired_or_failed),
        (1, 3)
    );

    h.service
        .set_reminders(&acme.admin, acme.id(), false)
        .await
        .unwrap();
    let dashboard = assert_dashboard_is_the_tally(&h, &acme, &ids, now).await;
    assert!(!dashboard.reminders_enabled);

    let theirs = h.store.dashboard(other.id(), now).await.unwrap().unwrap();
    assert_eq!((theirs.counts.all, theirs.counts.pending), (2, 2));
    assert_eq!(
        h.store
            .dashboard(crate::ids::OrgId::new(), now)
            .await
            .unwrap(),
        None
    );
}

/// R2.6 (and R10.1): an MSP and each of its clients see only their own invitations, in the
/// dashboard, the lists, open invitations and the audit trail, even for the same address;
/// an MSP's invitation grants access on its clients.
pub async fn r2_6_an_msp_and_its_clients_see_only_their_own_invitations<S: Store + 'static>(
    store: S,
) {
    let h = Harness::new(store);
    let (msp, clients) = h.msp_with_clients(10, 2).await;
    let grants = Access::msp_user(vec![
        ClientGrant {
            client: clients[0].id(),
            role: Role::Admin,
        },
        ClientGrant {
            client: clients[1].id(),
            role: Role::ReadOnly,
        },
    ]);
    let contact = crate::contact::Contact::parse_email("shared@example.com").unwrap();
    let from_msp = h
        .service
        .invite(
            &msp.admin,
            msp.id(),
            contact.clone(),
            Channel::Email,
            grants,
        )
        .await
        .expect("the MSP invites with client grants");
    let from_client = h.invite(&clients[0], "shared@example.com").await;
    let client_only = h.invite(&clients[0], "client.user@example.com").await;
    h.deliver().await;

    let now = h.now();
    let count = |d: Option<Dashboard>| d.expect("exists").counts.all;
    assert_eq!(count(h.store.dashboard(msp.id(), now).await.unwrap()), 1);
    assert_eq!(
        count(h.store.dashboard(clients[0].id(), now).await.unwrap()),
        2
    );
    assert_eq!(
        count(h.store.dashboard(clients[1].id(), now).await.unwrap()),
        0
    );

    let all = ListQuery::tab(Tab::All);
    assert_eq!(walk(&h, &msp, all.clone()).await, vec![from_msp.id]);
    let mut theirs = walk(&h, &clients[0], all.clone()).await;
    theirs.sort();
    let mut expected = vec![from_client.id, client_only.id];
    expected.sort();
    assert_eq!(theirs, expected);
    assert!(walk(&h, &clients[1], all.clone()).await.is_empty());

    let key = vec!["shared@example.com".to_owned()];
    let open = h.store.open_invitations(msp.id(), &key).await.unwrap();
    assert_eq!(
        open.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![from_msp.id]
    );
    let open = h
        .store
        .open_invitations(clients[0].id(), &key)
        .await
        .unwrap();
    assert_eq!(
        open.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![from_client.id]
    );

    let msp_trail = h.audit(msp.id(), None).await;
    assert!(msp_trail.iter().all(|e| e.org == msp.id()));
    assert!(msp_trail.iter().any(|e| e.invitation == Some(from_msp.id)));
    assert!(
        msp_trail
            .iter()
            .all(|e| e.invitation != Some(from_client.id))
    );
    let client_trail = h.audit(clients[0].id(), None).await;
    assert!(
        client_trail
            .iter()
            .all(|e| e.invitation != Some(from_msp.id))
    );

    // The MSP's admin does not act on or read its client's invitations; to it they do not
    // exist, the answer a random id gets (R10.1: no probing which ids exist).
    let refused = h.service.cancel(&msp.admin, from_client.id).await;
    assert_eq!(
        refusal(refused),
        Refusal::InvitationNotFound(from_client.id)
    );
    let refused = h.service.list(&msp.admin, clients[0].id(), &all).await;
    assert!(matches!(refusal(refused), Refusal::Forbidden(_)));
}

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

/// R9.3: daily activity buckets deliveries, signups and first logins by the organization's
/// local day (here Tokyo, UTC+9), includes days without activity as zeros, and counts only
/// the organization's own activity.
pub async fn r9_3_daily_activity_buckets_by_local_day_with_zero_days<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let settings = OrgSettings {
        time_zone: chrono_tz::Asia::Tokyo,
        ..OrgSettings::with_seats(10)
    };
    let acme = h.org_with("Tokyo", settings).await;
    let other = h.standalone(10).await;

    h.set_time(at("2026-03-02T14:00:00Z"));
    let x = h.invite(&acme, "x@example.com").await;
    h.invite(&other, "noise@example.com").await;
    h.set_time(at("2026-03-02T14:30:00Z")); // Mar 2 23:30 in Tokyo
    h.deliver().await;
    let y = h.invite(&acme, "y@example.com").await;
    h.set_time(at("2026-03-02T15:30:00Z")); // Mar 3 00:30 in Tokyo
    h.deliver().await;
    h.set_time(at("2026-03-03T16:00:00Z")); // Mar 4 01:00 in Tokyo
    let signup = h.sign_up(&h.token_of(x.id)).await;
    h.set_time(at("2026-03-04T20:00:00Z")); // Mar 5 05:00 in Tokyo
    h.service
        .record_first_login(&Actor::Application, signup.member.id)
        .await
        .unwrap();
    assert_eq!(h.status(y.id).await, Status::Pending);

    let d = |day: u32| NaiveDate::from_ymd_opt(2026, 3, day).unwrap();
    let activity = h
        .store
        .daily_activity(acme.id(), d(1), d(6), chrono_tz::Asia::Tokyo)
        .await
        .unwrap();
    let row = |day: u32, sent, signups, logins| DayActivity {
        day: d(day),
        invitations_sent: sent,
        signups,
        first_logins: logins,
    };
    assert_eq!(
        activity,
        vec![
            row(1, 0, 0, 0),
            row(2, 1, 0, 0),
            row(3, 1, 0, 0),
            row(4, 0, 1, 0),
            row(5, 0, 0, 1),
            row(6, 0, 0, 0)
        ]
    );
    // One day only, and a range with no activity at all.
    let one = h
        .store
        .daily_activity(acme.id(), d(3), d(3), chrono_tz::Asia::Tokyo)
        .await
        .unwrap();
    assert_eq!(one, vec![row(3, 1, 0, 0)]);
    let quiet = h
        .store
        .daily_activity(acme.id(), d(10), d(12), chrono_tz::Asia::Tokyo)
        .await
        .unwrap();
    assert_eq!(
        quiet,
        vec![row(10, 0, 0, 0), row(11, 0, 0, 0), row(12, 0, 0, 0)]
    );
    // In UTC the same events fall on other days.
    let utc = h
        .store
        .daily_activity(acme.id(), d(2), d(4), chrono_tz::UTC)
        .await
        .unwrap();
    assert_eq!(utc, vec![row(2, 2, 0, 0), row(3, 0, 1, 0), row(4, 0, 0, 1)]);
}

/// R10.2: every change leaves an audit event with its actor, time and the invitation's status
/// before and after, in order; a refused command leaves none.
pub async fn r10_2_every_change_is_audited_with_actor_time_and_statuses<S: Store + 'static>(
    store: S,
) {
    let h = Harness::new(store);
    let acme = h.standalone(5).await;
    let created_at = h.now();
    let t = |minutes: i64| created_at + TimeDelta::minutes(minutes);
    let inv = h.invite(&acme, "audit@example.com").await; // t(0)
    h.set_time(t(1));
    h.deliver().await;
    h.set_time(t(120));
    h.service.resend(&acme.admin, inv.id).await.unwrap();
    h.set_time(t(121));
    h.deliver().await;
    h.set_time(t(180));
    let signup = h.sign_up(&h.token_of(inv.id)).await;
    h.set_time(t(240));
    h.service
        .record_first_login(&Actor::Application, signup.member.id)
        .await
        .unwrap();
    h.set_time(t(300));
    h.service
        .remove_member(&acme.admin, signup.member.id)
        .await
        .unwrap();
    h.set_time(t(301));
    let refused = h.service.cancel(&acme.admin, inv.id).await;
    assert!(matches!(refusal(refused), Refusal::ActionNotAllowed { .. }));

    use Status::*;
    let admin = acme.admin.clone();
    let expected = [
        (admin.clone(), t(0), None, Some(Queued)),
        (Actor::System, t(1), Some(Queued), Some(Pending)),
        (admin.clone(), t(120), Some(Pending), Some(Queued)),
        (Actor::System, t(121), Some(Queued), Some(Pending)),
        (Actor::Invitee, t(180), Some(Pending), Some(NeverUsed)),
        (Actor::Application, t(240), Some(NeverUsed), Some(Completed)),
        (admin.clone(), t(300), Some(Completed), Some(Cancelled)),
    ];
    let trail = h.audit(acme.id(), Some(inv.id)).await;
    let got: Vec<_> = trail
        .iter()
        .map(|e| (e.actor.clone(), e.at, e.before, e.after))
        .collect();
    assert_eq!(got, expected);
    let actions: Vec<_> = trail
        .iter()
        .map(|e| std::mem::discriminant(&e.action))
        .collect();
    let want = [
        AuditAction::Invited,
        AuditAction::Delivered,
        AuditAction::Resent,
        AuditAction::Delivered,
        AuditAction::SignedUp {
            member: signup.member.id,
        },
        AuditAction::FirstLogin,
        AuditAction::MemberRemoved {
            member: signup.member.id,
        },
    ];
    assert_eq!(
        actions,
        want.iter().map(std::mem::discriminant).collect::<Vec<_>>()
    );
    assert!(
        trail
            .iter()
            .all(|e| e.org == acme.id() && e.invitation == Some(inv.id))
    );

    // Organization changes are audited too, and the whole trail is oldest first.
    h.set_time(t(400));
    h.service
        .change_seat_limit(&h.operator, acme.id(), 6)
        .await
        .unwrap();
    h.set_time(t(401));
    h.service
        .set_reminders(&acme.admin, acme.id(), true)
        .await
        .unwrap();
    let all = h.audit(acme.id(), None).await;
    assert!(all.windows(2).all(|w| w[0].at <= w[1].at), "oldest first");
    let org_events: Vec<_> = all
        .iter()
        .filter(|e| e.invitation.is_none())
        .map(|e| (e.actor.clone(), e.at, e.action.clone()))
        .collect();
    assert_eq!(
        org_events,
        vec![
            (
                h.operator.clone(),
                created_at,
                AuditAction::OrganizationCreated
            ),
            (
                h.operator.clone(),
                t(400),
                AuditAction::SeatLimitChanged { from: 5, to: 6 }
            ),
            (
                admin.clone(),
                t(401),
                AuditAction::RemindersSwitched { enabled: true }
            ),
        ]
    );
    assert_eq!(all.len(), trail.len() + 3);
    let other = h.standalone(5).await;
    assert!(
        h.audit(other.id(), None)
            .await
            .iter()
            .all(|e| e.org == other.id())
    );
}

/// R2.11: invitations tied to application user ids are found by those ids, closed ones
/// included; the status of users with no invitation is `NotInvited`, and another
/// organization's invitations to the same user ids do not count.
pub async fn r2_11_users_without_an_invitation_are_not_invited<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let acme = h.standalone(10).await;
    let other = h.standalone(10).await;
    let directory = [
        DirectoryUser {
            user: UserRef::new("app-1"),
            email: Some("one@example.com".into()),
            phone: None,
        },
        DirectoryUser {
            user: UserRef::new("app-2"),
            email: None,
            phone: Some("+79053333333".into()),
        },
    ];
    let access = Access::user(Role::ReadOnly);
    let outcomes = h
        .service
        .invite_directory_users(
            &acme.admin,
            acme.id(),
            &directory,
            Channel::Email,
            access.clone(),
        )
        .await
        .unwrap();
    let first = outcomes[0]
        .result
        .clone()
        .expect("app-1 has an e-mail address");
    assert_eq!(first.user_ref(), Some(&UserRef::new("app-1")));
    assert!(matches!(
        outcomes[1].result,
        Err(Refusal::MissingContact { ref user, channel: Channel::Email }) if *user == UserRef::new("app-2")
    ));
    h.service
        .invite_directory_users(
            &other.admin,
            other.id(),
            &directory[..1],
            Channel::Email,
            access.clone(),
        )
        .await
        .unwrap();

    let users = [
        UserRef::new("app-1"),
        UserRef::new("app-2"),
        UserRef::new("app-3"),
    ];
    let found = h
        .store
        .invitations_for_users(acme.id(), &users)
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![first.id]
    );
    let status = h
        .service
        .status_of_users(&acme.admin, acme.id(), &users)
        .await
        .unwrap();
    assert_eq!(
        status,
        vec![
            (users[0].clone(), UserStatus::Invited(Status::Queued)),
            (users[1].clone(), UserStatus::NotInvited),
            (users[2].clone(), UserStatus::NotInvited),
        ]
    );

    // Cancelled: still found, and its status is the user's.
    h.service.cancel(&acme.admin, first.id).await.unwrap();
    let found = h
        .store
        .invitations_for_users(acme.id(), &users[..1])
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![first.id]
    );
    let status = h
        .service
        .status_of_users(&acme.admin, acme.id(), &users[..1])
        .await
        .unwrap();
    assert_eq!(status[0].1, UserStatus::Invited(Status::Cancelled));

    // Invited again: both are found, and the latest one decides.
    h.advance(TimeDelta::minutes(1));
    let outcomes = h
        .service
        .invite_directory_users(
            &acme.admin,
            acme.id(),
            &directory[..1],
            Channel::Email,
            access,
        )
        .await
        .unwrap();
    let second = outcomes[0].result.clone().expect("invited again");
    let mut found: Vec<_> = h
        .store
        .invitations_for_users(acme.id(), &users)
        .await
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    found.sort();
    let mut want = vec![first.id, second.id];
    want.sort();
    assert_eq!(found, want);
    let status = h
        .service
        .status_of_users(&acme.admin, acme.id(), &users[..1])
        .await
        .unwrap();
    assert_eq!(status[0].1, UserStatus::Invited(Status::Queued));
    assert!(
        h.store
            .invitations_for_users(acme.id(), &[])
            .await
            .unwrap()
            .is_empty()
    );
}
