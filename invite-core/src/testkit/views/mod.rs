//! What the store answers about an organization (R2.6, R2.11, R9, R10.2): dashboard counts,
//! lists with search, sorting and keyset paging, daily activity, the audit trail.

use super::fixtures::{Harness, TestOrg, refusal};
use crate::access::{Access, ClientGrant, Role};
use crate::actor::Actor;
use crate::contact::Channel;
use crate::dashboard::{Cursor, Dashboard, ListQuery, TabCounts};
use crate::error::Refusal;
use crate::ids::InvitationId;
use crate::invitation::{Invitation, Tab};
use crate::member::Seats;
use crate::notifier::Scripted;
use crate::org::OrgSettings;
use crate::store::Store;
use chrono::{DateTime, TimeDelta, Utc};

// The conformance cases by what they read: lists (R9.2) and activity and trail (R9.3, R10.2,
// R2.11); the dashboard's and the MSP's are here, with the helpers all of them use.
mod activity;
mod lists;

pub use activity::*;
pub use lists::*;

/// Loads invitations by id.
pub(super) async fn load<S: Store + 'static>(
    h: &Harness<S>,
    ids: &[InvitationId],
) -> Vec<Invitation> {
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
pub(super) async fn walk<S: Store + 'static>(
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
