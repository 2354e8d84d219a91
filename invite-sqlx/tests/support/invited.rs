//! Invitees with their links, for the tests that race signups.

use invite_core::testkit::{Harness, TestOrg};
use invite_core::{Access, InvitationId, Role};
use invite_sqlx::PgStore;

/// Invites every address in one bulk call, delivers, and answers the invitations' ids with
/// their link tokens.
pub(crate) async fn invite_delivered(
    h: &Harness<PgStore>,
    org: &TestOrg,
    addresses: &[String],
) -> Vec<(InvitationId, String)> {
    let refs: Vec<&str> = addresses.iter().map(String::as_str).collect();
    let outcomes = h
        .service
        .invite_many(&org.admin, org.id(), &refs, Access::user(Role::ReadOnly))
        .await
        .expect("the bulk invite runs");
    let ids: Vec<InvitationId> = outcomes
        .into_iter()
        .map(|o| o.result.expect("every address is invited").id)
        .collect();
    let report = h.deliver().await;
    assert_eq!(report.sent as usize, ids.len());
    ids.into_iter().map(|id| (id, h.token_of(id))).collect()
}
