//! Members after signup (issue 11, point 2): the member list with its tabs, details, lookups,
//! edited access (R2.4, R2.5, R4.5, R4.6, R9.2, R10.1, R10.2).

use crate::support::{harness, user_access};
use chrono::TimeDelta;
use invite_core::testkit::*;
use invite_core::*;

/// The ids on one page of `tab`, as `actor` reads it.
async fn ids_in(
    h: &Harness<MemoryStore>,
    actor: &Actor,
    org: OrgId,
    tab: MemberTab,
) -> Vec<MemberId> {
    let page = h
        .service
        .members(actor, org, &MemberQuery::tab(tab))
        .await
        .expect("the member list");
    page.rows.into_iter().map(|r| r.member.id).collect()
}

#[tokio::test]
async fn r4_5_r4_6_the_member_list_splits_never_used_and_completed_and_lists_direct_members() {
    // Given the first admin added directly, one invitee who never logged in, one who did,
    // and one removed
    let h = harness();
    let org = h.standalone(10).await;
    let first = h
        .service
        .add_member(
            &h.operator,
            org.id(),
            Contact::parse_email("ann@example.com").unwrap(),
            Some("u-ann".into()),
            Access::user(Role::Admin),
        )
        .await
        .unwrap();
    h.advance(TimeDelta::seconds(1));
    let (_, token) = h.invite_delivered(&org, "bob@example.com").await;
    let bob = h.sign_up(&token).await.member;
    h.advance(TimeDelta::seconds(1));
    let (_, token) = h.invite_delivered(&org, "carol@example.com").await;
    let carol = h.sign_up(&token).await.member;
    h.service
        .record_first_login(&Actor::Application, carol.id)
        .await
        .unwrap();
    h.advance(TimeDelta::seconds(1));
    let (_, token) = h.invite_delivered(&org, "dan@example.com").await;
    let dan = h.sign_up(&token).await.member;
    h.service.remove_member(&org.admin, dan.id).await.unwrap();

    // Then each tab lists its members, newest first, the removed one in none
    let reader = Actor::read_only(org.id(), "u-rita", "Rita");
    assert_eq!(
        ids_in(&h, &reader, org.id(), MemberTab::All).await,
        vec![carol.id, bob.id, first.id]
    );
    assert_eq!(
        ids_in(&h, &reader, org.id(), MemberTab::NeverUsed).await,
        vec![bob.id]
    );
    assert_eq!(
        ids_in(&h, &reader, org.id(), MemberTab::Completed).await,
        vec![carol.id, first.id]
    );
    // And a login moves a member from Never Used to Completed
    h.service
        .record_first_login(&Actor::Application, bob.id)
        .await
        .unwrap();
    assert!(
        ids_in(&h, &reader, org.id(), MemberTab::NeverUsed)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn r9_2_member_pages_follow_the_cursor_and_bounds_are_refused() {
    let h = harness();
    let org = h.standalone(20).await;
    let mut added = Vec::new();
    for n in 0..5 {
        let contact = Contact::parse_email(&format!("m{n}@example.com")).unwrap();
        let m = h
            .service
            .add_member(&h.operator, org.id(), contact, None, user_access())
            .await
            .unwrap();
        added.push(m.id);
        h.advance(TimeDelta::seconds(1));
    }
    let mut query = MemberQuery {
        order: SortOrder::OldestFirst,
        limit: 2,
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
        // The cursor survives a trip through a URL.
        let Some(next) = page.next.map(|c| c.encode()) else {
            break;
        };
        query.after = MemberCursor::decode(&next);
    }
    assert_eq!(seen, added);
    for bad in [
        MemberQuery {
            limit: 0,
            ..MemberQuery::tab(MemberTab::All)
        },
        MemberQuery {
            search: Some("a\u{7}".into()),
            ..MemberQuery::tab(MemberTab::All)
        },
        MemberQuery {
            after: Some(MemberCursor {
                joined_at: "1800-01-01T00:00:00Z".parse().unwrap(),
                id: MemberId::new(),
            }),
            ..MemberQuery::tab(MemberTab::All)
        },
    ] {
        let refused = refusal(h.service.members(&org.admin, org.id(), &bad).await);
        assert!(matches!(refused, Refusal::OutOfRange { .. }), "{refused:?}");
    }
}

#[tokio::test]
async fn r10_1_outsiders_neither_read_members_nor_probe_their_ids() {
    let h = harness();
    let org = h.standalone(10).await;
    let other = h.standalone(10).await;
    let (_, token) = h.invite_delivered(&org, "bob@example.com").await;
    let bob = h.sign_up(&token).await.member;
    let outsider = &other.admin;

    // The list and lookups of another organization are forbidden, as its invitations are
    let list = h
        .service
        .members(outsider, org.id(), &MemberQuery::tab(MemberTab::All))
        .await;
    assert!(matches!(refusal(list), Refusal::Forbidden(_)));
    let by_user = h
        .service
        .member_by_user(outsider, org.id(), &UserRef::new("x"))
        .await;
    assert!(matches!(refusal(by_user), Refusal::Forbidden(_)));
    let by_address = h
        .service
        .member_by_address(outsider, org.id(), "bob@example.com")
        .await;
    assert!(matches!(refusal(by_address), Refusal::Forbidden(_)));
    // A member's id answers as a random id would
    for id in [bob.id, MemberId::new()] {
        let details = h.service.member_details(outsider, id).await;
        assert_eq!(refusal(details), Refusal::MemberNotFound(id));
        let edit = h
            .service
            .edit_member_access(outsider, id, Access::user(Role::Admin))
            .await;
        assert_eq!(refusal(edit), Refusal::MemberNotFound(id));
    }
    // A reader of the organization reads the details but does not edit
    let reader = Actor::read_only(org.id(), "u-rita", "Rita");
    assert!(h.service.member_details(&reader, bob.id).await.is_ok());
    let edit = h
        .service
        .edit_member_access(&reader, bob.id, Access::user(Role::Admin))
        .await;
    assert!(matches!(refusal(edit), Refusal::Forbidden(_)));
    // An address that cannot be one is refused, not looked up
    let bad = h
        .service
        .member_by_address(&org.admin, org.id(), "not an address")
        .await;
    assert!(matches!(refusal(bad), Refusal::InvalidContact(_)));
}

#[tokio::test]
async fn r2_5_an_msp_members_access_is_edited_within_its_own_clients() {
    // Given an MSP member with a grant on one of its clients
    let h = harness();
    let (msp, clients) = h.msp_with_clients(10, 2).await;
    let rival = h
        .org_of_kind("Rival", OrgKind::Msp, OrgSettings::with_seats(5))
        .await;
    let theirs = h
        .org_of_kind(
            "Client X",
            OrgKind::Client { msp: rival.id() },
            OrgSettings::with_seats(5),
        )
        .await;
    let grant = |client: &TestOrg, role| ClientGrant {
        client: client.id(),
        role,
    };
    let member = h
        .service
        .add_member(
            &h.operator,
            msp.id(),
            Contact::parse_email("max@example.com").unwrap(),
            None,
            Access::msp_user(vec![grant(&clients[0], Role::ReadOnly)]),
        )
        .await
        .unwrap();

    // When the MSP's admin grants both of its clients, it is stored and audited
    let both = Access::msp_user(vec![
        grant(&clients[0], Role::Admin),
        grant(&clients[1], Role::ReadOnly),
    ]);
    let edited = h
        .service
        .edit_member_access(&msp.admin, member.id, both.clone())
        .await
        .unwrap();
    assert_eq!(edited.access, both);
    let trail = h.audit(msp.id(), None).await;
    assert!(trail.iter().any(|e| matches!(
        &e.action,
        AuditAction::MemberAccessEdited { member: m, to, .. } if *m == member.id && *to == both
    )));
    // Then a grant on another MSP's client, or a single role, is refused as for invitations
    for bad in [
        Access::msp_user(vec![grant(&theirs, Role::ReadOnly)]),
        Access::user(Role::ReadOnly),
    ] {
        let refused = refusal(
            h.service
                .edit_member_access(&msp.admin, member.id, bad)
                .await,
        );
        assert!(matches!(refused, Refusal::InvalidAccess(_)), "{refused:?}");
    }
    assert_eq!(
        h.store.member(member.id).await.unwrap().unwrap().access,
        both
    );
    // And a removed member's access is not edited
    h.service
        .remove_member(&msp.admin, member.id)
        .await
        .unwrap();
    let refused = h
        .service
        .edit_member_access(&msp.admin, member.id, both)
        .await;
    assert_eq!(refusal(refused), Refusal::MemberNotFound(member.id));
}
