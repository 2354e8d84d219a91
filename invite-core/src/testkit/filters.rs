//! Issue 11, point 4 on every store: list filters and the dashboard's splits, compared with the
//! core ([`ListFilter::matches`], [`CountSplits::tally`]) over every combination of the filters
//! on invitations of every kind (user and admin of two levels, role scopes and client grants,
//! two senders, both channels, several statuses).

use super::{Harness, TestOrg};
use crate::access::{Access, ClientGrant, PermissionLevel, Role};
use crate::actor::Actor;
use crate::contact::{Channel, Contact};
use crate::dashboard::{CountSplits, ListQuery};
use crate::filter::{ListFilter, TypeFilter};
use crate::ids::{InvitationId, OrgId, UserRef};
use crate::invitation::{Invitation, Tab};
use crate::org::{OrgKind, OrgSettings};
use crate::store::Store;
use chrono::TimeDelta;

fn level(name: &str) -> PermissionLevel {
    PermissionLevel::new(name).expect("a valid level")
}

/// Invitations of every kind in `org`, sent by `senders` in turn, by both channels; some
/// delivered, one cancelled. Answers their ids.
async fn invite_every_kind<S: Store + 'static>(
    h: &Harness<S>,
    org: OrgId,
    senders: &[Actor],
    accesses: &[Access],
    tag: &str,
) -> Vec<InvitationId> {
    let mut ids = Vec::new();
    for i in 0..(accesses.len() * 6) {
        let access = accesses[i % accesses.len()].clone();
        let sender = &senders[(i / accesses.len()) % senders.len()];
        let (contact, channel) = match i % 3 {
            0 => (
                Contact::parse_phone(&format!("+7905{:07}", 1_000_000 + i)).unwrap(),
                Channel::Sms,
            ),
            _ => (
                Contact::parse_email(&format!("{tag}{i}@example.com")).unwrap(),
                Channel::Email,
            ),
        };
        let inv = h
            .service
            .invite(sender, org, contact, channel, access)
            .await
            .expect("the invite is accepted");
        ids.push(inv.id);
        if i % 4 == 0 {
            h.deliver().await;
        }
    }
    h.service
        .cancel(&senders[0], ids[1])
        .await
        .expect("cancelled");
    ids
}

async fn load<S: Store + 'static>(h: &Harness<S>, ids: &[InvitationId]) -> Vec<Invitation> {
    let mut out = Vec::new();
    for id in ids {
        out.push(h.invitation(*id).await);
    }
    out
}

/// Every combination of the filters' values, each dimension with `None` and every value the
/// invitations hold (and one they do not).
fn every_filter(clients: &[OrgId], senders: &[UserRef]) -> Vec<ListFilter> {
    let types = [None, Some(TypeFilter::User), Some(TypeFilter::Admin)];
    let levels = [None, Some("owner"), Some("billing"), Some("nobody")];
    let roles = [None, Some(Role::ReadOnly), Some(Role::Admin)];
    let mut client_values = vec![None];
    client_values.extend(clients.iter().copied().map(Some));
    let mut sender_values = vec![None];
    sender_values.extend(senders.iter().cloned().map(Some));
    let channels = [None, Some(Channel::Email), Some(Channel::Sms)];
    let mut out = Vec::new();
    for t in types {
        for l in levels {
            for r in roles {
                for c in &client_values {
                    for s in &sender_values {
                        for ch in channels {
                            out.push(ListFilter {
                                invitation_type: t,
                                permission_level: l.map(Into::into),
                                role: r,
                                client: *c,
                                sender: s.clone(),
                                channel: ch,
                            });
                        }
                    }
                }
            }
        }
    }
    out
}

/// Compares every filter's first page (all rows) on the All tab with the core, then pages a
/// sample of them two rows at a time on the Pending tab with a search.
async fn compare_lists<S: Store + 'static>(
    h: &Harness<S>,
    org: OrgId,
    all: &[Invitation],
    filters: &[ListFilter],
) {
    let now = h.now();
    for filter in filters {
        let query = ListQuery {
            filter: filter.clone(),
            limit: 500,
            ..ListQuery::tab(Tab::All)
        };
        let page = h.store.list(org, &query, now).await.expect("a page");
        let got: Vec<_> = page.rows.iter().map(|r| r.invitation.id).collect();
        let mut expected: Vec<_> = all.iter().filter(|i| query.selects(i, now)).collect();
        expected.sort_by(|a, b| query.compare(a, b));
        let expected: Vec<_> = expected.iter().map(|i| i.id).collect();
        assert_eq!(got, expected, "{filter:?}");
    }
    for filter in filters.iter().step_by(37) {
        let mut query = ListQuery {
            filter: filter.clone(),
            search: Some("EXAMPLE".into()),
            limit: 2,
            ..ListQuery::tab(Tab::Pending)
        };
        let mut got = Vec::new();
        loop {
            let page = h.store.list(org, &query, now).await.expect("a page");
            got.extend(page.rows.iter().map(|r| r.invitation.id));
            match page.next {
                Some(next) => query.after = Some(next),
                None => break,
            }
        }
        query.after = None;
        let mut expected: Vec<_> = all.iter().filter(|i| query.selects(i, now)).collect();
        expected.sort_by(|a, b| query.compare(a, b));
        let expected: Vec<_> = expected.iter().map(|i| i.id).collect();
        assert_eq!(got, expected, "paged {filter:?}");
    }
}

struct Setup {
    msp: TestOrg,
    standalone: TestOrg,
    clients: Vec<OrgId>,
    senders: Vec<UserRef>,
    msp_ids: Vec<InvitationId>,
    solo_ids: Vec<InvitationId>,
}

async fn setup<S: Store + 'static>(h: &Harness<S>) -> Setup {
    let (msp, clients) = h.msp_with_clients(500, 2).await;
    let client_ids: Vec<_> = clients.iter().map(|c| c.id()).collect();
    let grant = |i: usize, role| ClientGrant {
        client: client_ids[i],
        role,
    };
    let msp_accesses = [
        Access::msp_user(vec![grant(0, Role::ReadOnly)]),
        Access::msp_user(vec![grant(0, Role::Admin), grant(1, Role::ReadOnly)]),
        Access::msp_user(vec![grant(1, Role::Admin)]).as_admin(level("owner")),
        Access::msp_user(vec![grant(0, Role::ReadOnly)]).as_admin(level("billing")),
    ];
    let second = |org: OrgId| Actor::admin(org, "second-admin", "Second Admin");
    let msp_senders = [msp.admin.clone(), second(msp.id())];
    let msp_ids = invite_every_kind(h, msp.id(), &msp_senders, &msp_accesses, "m").await;
    let standalone = h
        .org_of_kind("Solo", OrgKind::Standalone, OrgSettings::with_seats(500))
        .await;
    let solo_accesses = [
        Access::user(Role::ReadOnly),
        Access::user(Role::Admin),
        Access::user(Role::Admin).as_admin(level("owner")),
        Access::user(Role::ReadOnly).as_admin(level("billing")),
    ];
    let solo_senders = [standalone.admin.clone(), second(standalone.id())];
    let solo_ids = invite_every_kind(h, standalone.id(), &solo_senders, &solo_accesses, "s").await;
    h.advance(TimeDelta::hours(1));
    let sender_of = |a: &Actor| match a {
        Actor::OrgUser { user, .. } => user.clone(),
        _ => unreachable!("an admin"),
    };
    let mut senders: Vec<_> = msp_senders.iter().map(sender_of).collect();
    senders.push(sender_of(&standalone.admin));
    Setup {
        msp,
        standalone,
        clients: client_ids,
        senders,
        msp_ids,
        solo_ids,
    }
}

/// Issue 11, point 4: every combination of the list filters (type, permission level, role,
/// client, sender, channel), with the tab, the search and keyset paging, selects on the store
/// exactly the rows the core's `ListQuery::selects` does, in the same order, for an MSP's
/// client grants and a standalone organization's roles alike.
pub async fn issue_11_4_list_filters_agree_with_the_core_on_every_combination<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::new(store);
    let s = setup(&h).await;
    let filters = every_filter(&s.clients, &s.senders);
    let msp_all = load(&h, &s.msp_ids).await;
    compare_lists(&h, s.msp.id(), &msp_all, &filters).await;
    let solo_all = load(&h, &s.solo_ids).await;
    compare_lists(&h, s.standalone.id(), &solo_all, &filters).await;
}

/// Issue 11, point 4: the dashboard's counts split by invitation type and by channel are the
/// core's tally of the organization's invitations, and each split adds up to the whole.
pub async fn issue_11_4_dashboard_splits_agree_with_the_core<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let s = setup(&h).await;
    let now = h.now();
    for (org, ids) in [(s.msp.id(), &s.msp_ids), (s.standalone.id(), &s.solo_ids)] {
        let all = load(&h, ids).await;
        let dashboard = h
            .store
            .dashboard(org, now)
            .await
            .unwrap()
            .expect("the organization exists");
        let splits = dashboard.splits;
        assert_eq!(splits, CountSplits::tally(&all, now));
        let t = splits.by_type;
        let c = splits.by_channel;
        assert_eq!(t.users.all + t.admins.all, dashboard.counts.all);
        assert_eq!(c.email.all, dashboard.counts.invited_by_email);
        assert_eq!(c.sms.all, dashboard.counts.invited_by_sms);
        assert_eq!(t.users.pending + t.admins.pending, dashboard.counts.pending);
        assert!(t.admins.all > 0 && t.users.all > 0 && c.sms.all > 0);
    }
}
