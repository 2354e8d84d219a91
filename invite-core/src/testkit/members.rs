//! Members after signup and accepted notices, on every store: the member list's states
//! against the core on every combination of facts (the SQL twin of `MemberState::of`), its
//! keyset paging and search, the lookups by user id and address, an edited access, and an
//! accepted notice committed with its signup and delivered to the sender.

use super::fixtures::{Harness, TestOrg, refusal};
use super::truth_table::every_combination;
use crate::access::{Access, Role};
use crate::actor::Actor;
use crate::audit::AuditAction;
use crate::contact::{Channel, Contact};
use crate::dashboard::SortOrder;
use crate::ids::{InvitationId, UserRef};
use crate::invitation::Invitation;
use crate::member::Member;
use crate::member_list::{MemberQuery, MemberState, MemberTab};
use crate::org::OrgSettings;
use crate::outbox::{MessageKind, OutboxState};
use crate::refusal::Refusal;
use crate::store::{Commit, Store, Write};
use chrono::TimeDelta;
use std::collections::HashMap;

const TABS: [MemberTab; 3] = [MemberTab::All, MemberTab::NeverUsed, MemberTab::Completed];
const ORDERS: [SortOrder; 2] = [SortOrder::NewestFirst, SortOrder::OldestFirst];

/// Every row of `query`'s pages, following the cursors.
async fn every_page<S: Store>(
    store: &S,
    org: &TestOrg,
    mut query: MemberQuery,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<crate::member_list::MemberRow> {
    let mut rows = Vec::new();
    loop {
        let page = store
            .members(org.id(), &query, now)
            .await
            .expect("the member list");
        assert!(page.rows.len() <= query.limit as usize);
        rows.extend(page.rows);
        match page.next {
            Some(next) => query.after = Some(next),
            None => return rows,
        }
    }
}

/// The user id the harness's admin of `org` acts with.
fn admin_user(org: &TestOrg) -> UserRef {
    match &org.admin {
        Actor::OrgUser { user, .. } => user.clone(),
        other => panic!("the harness's admin is an organization user, not {other}"),
    }
}

/// R4.5, R4.6: on one active member per combination of the facts of the invitation they
/// came by (closed, signed up, completed, failed, awaiting delivery, delivered, four
/// positions of the expiry), plus members added without an invitation and a removed one,
/// every tab of the member list, in both orders and paged, lists exactly the members whose
/// [`MemberState::of`] the tab contains, in the query's order, each with the core's state and
/// its invitation as stored.
pub async fn r4_5_r4_6_member_states_agree_with_the_core_on_every_combination_of_facts<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::new(store);
    let now = h.now();
    let org = h.org_with("Members", OrgSettings::with_seats(1_000)).await;
    let records = every_combination(&org, now);
    let access = Access::user(Role::ReadOnly);
    let mut members: Vec<Member> = records
        .iter()
        .enumerate()
        .map(|(n, inv)| {
            // Two members per instant, so that ties are broken by id.
            let joined = now - TimeDelta::seconds((n / 2) as i64);
            let user = Some(UserRef::new(format!("user-{n}")));
            Member::joined(
                org.id(),
                inv.contact.clone(),
                user,
                access.clone(),
                Some(inv.id),
                joined,
            )
        })
        .collect();
    for n in 0..3 {
        let contact = Contact::parse_email(&format!("direct{n}@members.example")).unwrap();
        let joined = now - TimeDelta::minutes(n);
        members.push(Member::joined(
            org.id(),
            contact,
            None,
            access.clone(),
            None,
            joined,
        ));
    }
    let contact = Contact::parse_email("gone@members.example").unwrap();
    let gone = Member::joined(org.id(), contact, None, access.clone(), None, now);
    members.push(gone.removed(now).expect("an active member is removed"));
    let mut commit = Commit::new(org.id(), now);
    commit.invitations = records.iter().cloned().map(Write::Insert).collect();
    commit.members = members.iter().cloned().map(Write::Insert).collect();
    h.store.commit(commit).await.expect("the table is stored");

    let by_id: HashMap<InvitationId, &Invitation> = records.iter().map(|i| (i.id, i)).collect();
    let invitation_of = |m: &Member| m.invitation.and_then(|id| by_id.get(&id).copied());
    for tab in TABS {
        for order in ORDERS {
            let query = MemberQuery {
                order,
                limit: 37,
                ..MemberQuery::tab(tab)
            };
            let listed = every_page(&*h.store, &org, query.clone(), now).await;
            let mut expected: Vec<&Member> = members
                .iter()
                .filter(|m| query.selects(m, invitation_of(m), now))
                .collect();
            expected.sort_by(|a, b| query.compare(a, b));
            let ids: Vec<_> = listed.iter().map(|r| r.member.id).collect();
            let want: Vec<_> = expected.iter().map(|m| m.id).collect();
            assert_eq!(ids, want, "{tab:?} {order:?}: the rows and their order");
            for row in &listed {
                let inv = invitation_of(&row.member);
                let state = MemberState::of(&row.member, inv, now);
                assert_eq!(
                    row.state, state,
                    "{tab:?}: the state of {}",
                    row.member.contact
                );
                assert_eq!(
                    row.invitation.as_ref(),
                    inv,
                    "the row's invitation as stored"
                );
            }
        }
    }
    // Every state is represented, so the table proves something of each.
    let states: std::collections::HashSet<_> = members
        .iter()
        .map(|m| MemberState::of(m, invitation_of(m), now))
        .collect();
    assert_eq!(states.len(), 3, "never used, completed and removed members");
}

/// R9.2 for members: keyset pages visit every member once, newest or oldest first, while
/// others join between pages (a newer member does not shift a newest-first listing; an
/// oldest-first listing reaches it at the end); the search finds part of an address,
/// case-insensitively, or of the application's user id; the first admin, added without an
/// invitation, is listed with those who came by one.
pub async fn r9_2_member_lists_page_once_while_members_join_and_search_addresses_and_user_ids<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::new(store);
    let org = h.standalone(50).await;
    let add = |n: usize| {
        let contact = Contact::parse_email(&format!("Member{n}@Example.com")).unwrap();
        let user = Some(UserRef::new(format!("CRM-{n}")));
        let (service, operator, org) = (h.service.clone(), h.operator.clone(), org.id());
        async move {
            service
                .add_member(&operator, org, contact, user, Access::user(Role::ReadOnly))
                .await
                .expect("the operator adds members")
        }
    };
    let mut first = Vec::new();
    for n in 0..7 {
        first.push(add(n).await.id);
        h.advance(TimeDelta::seconds(1));
    }
    let (_, token) = h.invite_delivered(&org, "invited@example.com").await;
    let invited = h.sign_up(&token).await.member.id;
    first.push(invited);
    h.advance(TimeDelta::seconds(1));

    let mut joined = 0;
    for order in ORDERS {
        let mut query = MemberQuery {
            order,
            limit: 3,
            ..MemberQuery::tab(MemberTab::All)
        };
        let mut seen = Vec::new();
        loop {
            let page = h
                .service
                .members(&org.admin, org.id(), &query)
                .await
                .unwrap();
            seen.extend(page.rows.iter().map(|r| r.member.id));
            // Someone joins between every two pages.
            add(100 + joined).await;
            joined += 1;
            h.advance(TimeDelta::seconds(1));
            match page.next {
                Some(next) => query.after = Some(next),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "{order:?}: no member twice");
        for id in &first {
            assert!(seen.contains(id), "{order:?}: every member once");
        }
        if order == SortOrder::NewestFirst {
            let mut expected = first.clone();
            expected.reverse();
            assert_eq!(
                seen, expected,
                "newest first: joiners after the start are not shown"
            );
        }
    }

    let search = |text: &str| MemberQuery {
        search: Some(text.into()),
        ..MemberQuery::tab(MemberTab::All)
    };
    let found = |text: &str| {
        let (service, admin, org, q) =
            (h.service.clone(), org.admin.clone(), org.id(), search(text));
        async move {
            let page = service.members(&admin, org, &q).await.unwrap();
            page.rows
                .into_iter()
                .map(|r| r.member.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(found(" MEMBER3@example ").await, vec![first[3]]);
    assert_eq!(found("CRM-5").await, vec![first[5]]);
    assert!(found("crm-5").await.is_empty(), "user ids as stored");
    assert_eq!(found("invited@").await, vec![invited]);
    let never_used = h
        .service
        .members(
            &org.admin,
            org.id(),
            &MemberQuery::tab(MemberTab::NeverUsed),
        )
        .await
        .unwrap();
    let ids: Vec<_> = never_used.rows.iter().map(|r| r.member.id).collect();
    assert_eq!(
        ids,
        vec![invited],
        "members added directly have no login to wait for"
    );
}

/// R2.11 for members: the application finds a member by its own user id (trimmed, active
/// members only, the newest of several) and by address (case-insensitively), with details
/// naming the invitation, its sender, the signup and the first login.
pub async fn r2_11_members_are_found_by_user_id_and_address_with_their_details<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::new(store);
    let org = h.standalone(10).await;
    let (inv, token) = h.invite_delivered(&org, "bob@example.com").await;
    let signup = h
        .service
        .sign_up(&token, Some(" app-bob ".into()))
        .await
        .unwrap();
    h.advance(TimeDelta::minutes(5));
    h.service
        .record_first_login(&Actor::Application, signup.member.id)
        .await
        .unwrap();
    let login = h.now();

    let by_user = h
        .service
        .member_by_user(&org.admin, org.id(), &UserRef::new("app-bob "))
        .await
        .unwrap()
        .expect("found by user id");
    assert_eq!(by_user.member.id, signup.member.id);
    assert_eq!(by_user.state, MemberState::Completed);
    assert_eq!(
        by_user.invitation.as_ref().map(|v| v.invitation.id),
        Some(inv.id)
    );
    assert_eq!(by_user.invited_by.as_ref(), Some(&inv.sender));
    assert_eq!(by_user.signed_up_at, signup.member.joined_at);
    assert_eq!(by_user.first_login_at, Some(login));
    let by_address = h
        .service
        .member_by_address(&org.admin, org.id(), "BOB@example.com")
        .await
        .unwrap()
        .expect("found by address");
    assert_eq!(by_address, by_user);
    let details = h
        .service
        .member_details(&org.admin, signup.member.id)
        .await
        .unwrap();
    assert_eq!(details, by_user);

    // Two members the application tied to one id: the newest answers; a removed one never.
    h.advance(TimeDelta::seconds(1));
    let phone = Contact::parse_phone("+79051111111").unwrap();
    let twin = h
        .service
        .add_member(
            &h.operator,
            org.id(),
            phone,
            Some("app-bob".into()),
            Access::user(Role::Admin),
        )
        .await
        .unwrap();
    let newest = h
        .service
        .member_by_user(&org.admin, org.id(), &UserRef::new("app-bob"))
        .await
        .unwrap()
        .expect("found");
    assert_eq!(newest.member.id, twin.id);
    assert_eq!(newest.invitation, None);
    assert_eq!(newest.state, MemberState::Completed);
    h.service.remove_member(&org.admin, twin.id).await.unwrap();
    h.service
        .remove_member(&org.admin, signup.member.id)
        .await
        .unwrap();
    let none = h
        .service
        .member_by_user(&org.admin, org.id(), &UserRef::new("app-bob"))
        .await
        .unwrap();
    assert_eq!(none, None);
    let none = h
        .service
        .member_by_address(&org.admin, org.id(), "+7 905 111-11-11")
        .await
        .unwrap();
    assert_eq!(none, None);
    let removed = h.service.member_details(&org.admin, twin.id).await.unwrap();
    assert_eq!(removed.state, MemberState::Removed);
}

/// R2.4, R2.5, R10.2: a member's access edited after signup is stored (read back by id, in
/// the list and by user id) and audited with what it was and became; the same edit again
/// changes nothing.
pub async fn r2_4_an_edited_member_access_is_stored_and_audited<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let org = h.standalone(10).await;
    let (_, token) = h.invite_delivered(&org, "bob@example.com").await;
    let member = h
        .service
        .sign_up(&token, Some("app-bob".into()))
        .await
        .unwrap()
        .member;
    let admin_access = Access::user(Role::Admin);
    let edited = h
        .service
        .edit_member_access(&org.admin, member.id, admin_access.clone())
        .await
        .unwrap();
    assert_eq!(edited.access, admin_access);
    assert!(
        edited.version > member.version,
        "the stored version is answered"
    );
    let stored = h.store.member(member.id).await.unwrap().expect("stored");
    assert_eq!(stored, edited);
    let page = h
        .store
        .members(org.id(), &MemberQuery::tab(MemberTab::All), h.now())
        .await
        .unwrap();
    assert_eq!(page.rows[0].member.access, admin_access);
    let again = h
        .service
        .edit_member_access(&org.admin, member.id, admin_access.clone())
        .await
        .unwrap();
    assert_eq!(again.version, edited.version, "nothing changed twice");
    let edits: Vec<_> = h
        .audit(org.id(), None)
        .await
        .into_iter()
        .filter_map(|e| match e.action {
            AuditAction::MemberAccessEdited {
                member: m,
                from,
                to,
            } => Some((m, from, to, e.actor)),
            _ => None,
        })
        .collect();
    assert_eq!(
        edits,
        vec![(
            member.id,
            Access::user(Role::ReadOnly),
            admin_access,
            org.admin.clone()
        )]
    );
    let reader = Actor::read_only(org.id(), "u-rita", "Rita");
    let refused = h
        .service
        .edit_member_access(&reader, member.id, Access::user(Role::ReadOnly))
        .await;
    assert!(matches!(refusal(refused), Refusal::Forbidden(_)));
}

/// R7.1 for accepted notices: with the organization's setting on, a signup commits one
/// notice to the sender in its own commit, and the dispatcher delivers it to the sender's
/// member address, without a link, naming the invitee; with the setting off, none.
pub async fn r7_1_an_accepted_notice_is_committed_with_the_signup_and_delivered_to_the_sender<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::new(store);
    for on in [true, false] {
        let org = h.standalone(10).await;
        let sender = Contact::parse_email(&format!("ann-{on}@example.com")).unwrap();
        h.service
            .add_member(
                &h.operator,
                org.id(),
                sender,
                Some(admin_user(&org)),
                Access::user(Role::Admin),
            )
            .await
            .unwrap();
        h.service
            .set_accepted_notices(&org.admin, org.id(), on)
            .await
            .unwrap();
        let bob = format!("bob-{on}@example.com");
        let (inv, token) = h.invite_delivered(&org, &bob).await;
        h.sign_up(&token).await;
        let report = h.deliver().await;
        let notices: Vec<_> = h
            .notifier
            .delivered()
            .into_iter()
            .filter(|n| n.kind == MessageKind::AcceptedNotice && n.invitation == inv.id)
            .collect();
        if !on {
            assert_eq!(report.claimed, 0, "no notice when the setting is off");
            assert!(notices.is_empty());
            continue;
        }
        assert_eq!(report.sent, 1);
        let [notice] = &notices[..] else {
            panic!("one notice, not {notices:?}");
        };
        assert_eq!(notice.to, format!("ann-{on}@example.com"));
        assert_eq!(notice.channel, Channel::Email);
        assert_eq!(notice.invitee, bob);
        assert_eq!(notice.signup_url, None, "a notice carries no link");
        let stored = h.last_attempted_message(inv.id).await;
        assert_eq!(stored.kind, MessageKind::AcceptedNotice);
        assert!(matches!(stored.state, OutboxState::Sent { .. }));
        // Its delivery is not an invitation's: the invitation stays signed up, its sends
        // uncounted.
        let after = h.invitation(inv.id).await;
        assert_eq!(after.send_count(), 1);
        assert!(after.signed_up_at().is_some());
    }
}
