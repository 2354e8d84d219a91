//! R2.4–R2.6: what access an invitation grants (admin levels, one role, MSP grants on its
//! clients), and that MSPs and clients each see and act on only their own invitations.

use crate::support::{harness, user_access};
use invite_core::testkit::*;
use invite_core::*;

#[tokio::test]
async fn r2_4_an_admin_invitation_needs_a_permission_level() {
    let h = harness();
    let TestOrg { org, admin } = h.standalone(5).await;
    // No level, or an over-long one, cannot even be built
    assert_eq!(
        PermissionLevel::new("  "),
        Err(AccessError::InvalidPermissionLevel)
    );
    assert_eq!(
        PermissionLevel::new(&"x".repeat(65)),
        Err(AccessError::InvalidPermissionLevel)
    );
    // An admin with a level is invited as such; a general user has none
    let level = PermissionLevel::new(" billing ").unwrap();
    assert_eq!(level.as_str(), "billing");
    let access = Access::user(Role::Admin).as_admin(level.clone());
    let inv = h
        .service
        .invite(
            &admin,
            org.id,
            Contact::parse_email("boss@example.com").unwrap(),
            Channel::Email,
            access.clone(),
        )
        .await
        .unwrap();
    assert_eq!(
        inv.access().clone().invitation_type,
        InvitationType::Admin(level.clone())
    );
    let general = h.invite_as(&admin, org.id, "user@example.com").await;
    assert_eq!(
        general.access().clone().invitation_type,
        InvitationType::User
    );
    // and the message says so
    h.deliver().await;
    assert_eq!(
        h.notifier.delivered_to("boss@example.com")[0].invitation_type,
        InvitationType::Admin(level)
    );
}

#[tokio::test]
async fn r2_5_an_msp_invitation_carries_grants_on_its_clients() {
    let h = harness();
    let msp = h
        .org_of_kind("Provider", OrgKind::Msp, OrgSettings::with_seats(5))
        .await
        .org;
    let a = h
        .org_of_kind(
            "Client A",
            OrgKind::Client { msp: msp.id },
            OrgSettings::with_seats(5),
        )
        .await
        .org;
    let b = h
        .org_of_kind(
            "Client B",
            OrgKind::Client { msp: msp.id },
            OrgSettings::with_seats(5),
        )
        .await
        .org;
    let admin = Actor::admin(msp.id, "m1", "Max");
    let grants = vec![
        ClientGrant {
            client: a.id,
            role: Role::ReadOnly,
        },
        ClientGrant {
            client: b.id,
            role: Role::Admin,
        },
    ];
    // When the MSP invites with a read-only grant on A and an admin grant on B
    let inv = h
        .service
        .invite(
            &admin,
            msp.id,
            Contact::parse_email("tech@example.com").unwrap(),
            Channel::Email,
            Access::msp_user(grants.clone()),
        )
        .await
        .unwrap();
    // Then the invitation belongs to the MSP and carries both grants
    assert_eq!(inv.org, msp.id);
    assert_eq!(inv.access().clone().scope, AccessScope::Clients(grants));
    // and the message names each client with its role
    h.deliver().await;
    let n = &h.notifier.delivered_to("tech@example.com")[0];
    assert_eq!(
        n.grants,
        vec![
            GrantSummary {
                org_name: "Client A".into(),
                role: Role::ReadOnly
            },
            GrantSummary {
                org_name: "Client B".into(),
                role: Role::Admin
            },
        ]
    );
}

#[tokio::test]
async fn r2_5_msp_grants_must_name_clients_of_that_msp() {
    let h = harness();
    let msp = h
        .org_of_kind("Provider", OrgKind::Msp, OrgSettings::with_seats(5))
        .await
        .org;
    let other_msp = h
        .org_of_kind("Rival", OrgKind::Msp, OrgSettings::with_seats(5))
        .await
        .org;
    let mine = h
        .org_of_kind(
            "Client A",
            OrgKind::Client { msp: msp.id },
            OrgSettings::with_seats(5),
        )
        .await
        .org;
    let theirs = h
        .org_of_kind(
            "Client X",
            OrgKind::Client { msp: other_msp.id },
            OrgSettings::with_seats(5),
        )
        .await
        .org;
    let solo = h
        .org_of_kind("Solo", OrgKind::Standalone, OrgSettings::with_seats(5))
        .await
        .org;
    let admin = Actor::admin(msp.id, "m1", "Max");
    let grant = |client, role| ClientGrant { client, role };
    let try_invite = |access: Access| {
        let h = &h;
        let admin = admin.clone();
        async move {
            h.service
                .invite(
                    &admin,
                    msp.id,
                    Contact::parse_email("tech@example.com").unwrap(),
                    Channel::Email,
                    access,
                )
                .await
        }
    };
    let cases = [
        (Access::user(Role::Admin), AccessError::MspNeedsClientGrants),
        (Access::msp_user(vec![]), AccessError::MspNeedsClientGrants),
        (
            Access::msp_user(vec![grant(theirs.id, Role::Admin)]),
            AccessError::NotAClient(theirs.id),
        ),
        (
            Access::msp_user(vec![
                grant(mine.id, Role::Admin),
                grant(solo.id, Role::ReadOnly),
            ]),
            AccessError::NotAClient(solo.id),
        ),
        (
            Access::msp_user(vec![grant(msp.id, Role::Admin)]),
            AccessError::NotAClient(msp.id),
        ),
        (
            Access::msp_user(vec![
                grant(mine.id, Role::Admin),
                grant(mine.id, Role::ReadOnly),
            ]),
            AccessError::DuplicateGrant(mine.id),
        ),
    ];
    for (access, expected) in cases {
        assert_eq!(
            refusal(try_invite(access).await),
            Refusal::InvalidAccess(expected)
        );
    }
    assert_eq!(h.store.outbox_counts(), (0, 0, 0, 0));
    // A grant on its own client is fine
    assert!(
        try_invite(Access::msp_user(vec![grant(mine.id, Role::ReadOnly)]))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn r2_5_a_client_or_standalone_invitation_carries_one_role() {
    let h = harness();
    let msp = h
        .org_of_kind("Provider", OrgKind::Msp, OrgSettings::with_seats(5))
        .await
        .org;
    let client = h
        .org_of_kind(
            "Client A",
            OrgKind::Client { msp: msp.id },
            OrgSettings::with_seats(5),
        )
        .await
        .org;
    let TestOrg {
        org: solo,
        admin: solo_admin,
    } = h.standalone(5).await;
    let client_admin = Actor::admin(client.id, "c1", "Cid");
    for (org, admin) in [(client.id, &client_admin), (solo.id, &solo_admin)] {
        // Grants on clients are refused
        let r = h
            .service
            .invite(
                admin,
                org,
                Contact::parse_email("x@example.com").unwrap(),
                Channel::Email,
                Access::msp_user(vec![ClientGrant {
                    client: client.id,
                    role: Role::Admin,
                }]),
            )
            .await;
        assert_eq!(
            refusal(r),
            Refusal::InvalidAccess(AccessError::GrantsOnlyFromMsp)
        );
        // One role is accepted, read-only or admin
        for (addr, role) in [
            ("ro@example.com", Role::ReadOnly),
            ("ad@example.com", Role::Admin),
        ] {
            let inv = h
                .service
                .invite(
                    admin,
                    org,
                    Contact::parse_email(addr).unwrap(),
                    Channel::Email,
                    Access::user(role),
                )
                .await
                .unwrap();
            assert_eq!(inv.access().clone().scope, AccessScope::Role(role));
        }
    }
    // The message names the sending organization with the role
    h.deliver().await;
    let names: Vec<_> = h
        .notifier
        .delivered_to("ad@example.com")
        .iter()
        .map(|n| n.grants.clone())
        .collect();
    assert!(names.contains(&vec![GrantSummary {
        org_name: "Client A".into(),
        role: Role::Admin
    }]));
}

#[tokio::test]
async fn r2_6_msp_and_client_lists_and_dashboards_show_only_their_own_invitations() {
    let h = harness();
    let msp = h
        .org_of_kind("Provider", OrgKind::Msp, OrgSettings::with_seats(5))
        .await
        .org;
    let client = h
        .org_of_kind(
            "Client A",
            OrgKind::Client { msp: msp.id },
            OrgSettings::with_seats(5),
        )
        .await
        .org;
    let msp_admin = Actor::admin(msp.id, "m1", "Max");
    let client_admin = Actor::admin(client.id, "c1", "Cid");
    // Given one invitation from the MSP (granting access to the client) and two from the client
    let from_msp = h
        .service
        .invite(
            &msp_admin,
            msp.id,
            Contact::parse_email("m@example.com").unwrap(),
            Channel::Email,
            Access::msp_user(vec![ClientGrant {
                client: client.id,
                role: Role::Admin,
            }]),
        )
        .await
        .unwrap();
    let c1 = h
        .invite_as(&client_admin, client.id, "c1@example.com")
        .await;
    let c2 = h
        .invite_as(&client_admin, client.id, "c2@example.com")
        .await;
    // Then each list shows only its own organization's invitations
    let ids = |page: Page| {
        page.rows
            .into_iter()
            .map(|r| r.invitation.id)
            .collect::<Vec<_>>()
    };
    let msp_list = h
        .service
        .list(&msp_admin, msp.id, &ListQuery::tab(Tab::All))
        .await
        .unwrap();
    assert_eq!(ids(msp_list), vec![from_msp.id]);
    let mut client_list = ids(h
        .service
        .list(&client_admin, client.id, &ListQuery::tab(Tab::All))
        .await
        .unwrap());
    client_list.sort();
    let mut expected = vec![c1.id, c2.id];
    expected.sort();
    assert_eq!(client_list, expected);
    // and so do the dashboards
    assert_eq!(
        h.service
            .dashboard(&msp_admin, msp.id)
            .await
            .unwrap()
            .counts
            .all,
        1
    );
    assert_eq!(
        h.service
            .dashboard(&client_admin, client.id)
            .await
            .unwrap()
            .counts
            .all,
        2
    );
    // and neither may read the other's list
    let r = h
        .service
        .list(&msp_admin, client.id, &ListQuery::tab(Tab::All))
        .await;
    assert!(matches!(refusal(r), Refusal::Forbidden(_)));
    let r = h.service.dashboard(&client_admin, msp.id).await;
    assert!(matches!(refusal(r), Refusal::Forbidden(_)));
    let r = h.service.invitation(&client_admin, from_msp.id).await;
    assert_eq!(refusal(r), Refusal::InvitationNotFound(from_msp.id));
}

#[tokio::test]
async fn r2_6_an_msp_admin_cannot_act_on_client_invitations_nor_a_client_admin_on_the_msps() {
    let h = harness();
    let msp = h
        .org_of_kind("Provider", OrgKind::Msp, OrgSettings::with_seats(5))
        .await
        .org;
    let client = h
        .org_of_kind(
            "Client A",
            OrgKind::Client { msp: msp.id },
            OrgSettings::with_seats(5),
        )
        .await
        .org;
    let msp_admin = Actor::admin(msp.id, "m1", "Max");
    let client_admin = Actor::admin(client.id, "c1", "Cid");
    let grants = Access::msp_user(vec![ClientGrant {
        client: client.id,
        role: Role::ReadOnly,
    }]);
    let from_msp = h
        .service
        .invite(
            &msp_admin,
            msp.id,
            Contact::parse_email("m@example.com").unwrap(),
            Channel::Email,
            grants,
        )
        .await
        .unwrap();
    let from_client = h.invite_as(&client_admin, client.id, "c@example.com").await;
    // The MSP admin may not cancel, edit or invite on the client's behalf: to it the client's
    // invitations do not exist (R10.1, no probing which ids exist)
    let r = h.service.cancel(&msp_admin, from_client.id).await;
    assert_eq!(refusal(r), Refusal::InvitationNotFound(from_client.id));
    let r = h
        .service
        .edit_access(&msp_admin, from_client.id, Access::user(Role::Admin))
        .await;
    assert_eq!(refusal(r), Refusal::InvitationNotFound(from_client.id));
    let r = h
        .service
        .invite(
            &msp_admin,
            client.id,
            Contact::parse_email("z@example.com").unwrap(),
            Channel::Email,
            user_access(),
        )
        .await;
    assert!(matches!(refusal(r), Refusal::Forbidden(_)));
    // nor the client admin on the MSP's invitation, even though it grants access to the client
    let r = h.service.cancel(&client_admin, from_msp.id).await;
    assert_eq!(refusal(r), Refusal::InvitationNotFound(from_msp.id));
    // Both invitations are untouched
    assert_eq!(h.status(from_client.id).await, Status::Queued);
    assert_eq!(h.status(from_msp.id).await, Status::Queued);
    // The MSP admin acts on the MSP's own invitation
    h.service.cancel(&msp_admin, from_msp.id).await.unwrap();
    assert_eq!(h.status(from_msp.id).await, Status::Cancelled);
}
