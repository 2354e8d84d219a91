//! The member list (seed 000's "All Users", seed 002's "User panel"). Issue 11 adds a paged
//! member list and member details to the core; until then [`list`] gathers the members who
//! came by invitation from the Never Used and Completed tabs (their rows name the member) and
//! those added directly from the [`OrgCatalog`].

use crate::standin::catalog::OrgCatalog;
use crate::state::Service;
use invite_core::{
    Actor, Error, InvitationView, ListQuery, Member, MemberId, OrgId, Refusal, Tab,
    decide::authorize,
};

/// A member, with the invitation they came by.
#[derive(Debug, Clone)]
pub struct MemberEntry {
    /// The member.
    pub member: Member,
    /// The invitation, if they came by one.
    pub invitation: Option<InvitationView>,
}

/// At most this many members are gathered (the stand-in pages through the tabs).
pub const MAX_MEMBERS: usize = 2000;

/// Every active member of `org` the stand-in can find, newest first.
pub async fn list(
    service: &Service,
    catalog: &dyn OrgCatalog,
    actor: &Actor,
    org: OrgId,
) -> Result<Vec<MemberEntry>, Error> {
    authorize::reader_of(actor, org)?;
    let store = service.store();
    let mut out = Vec::new();
    for tab in [Tab::NeverUsed, Tab::Completed] {
        let mut query = ListQuery::tab(tab);
        query.limit = 500;
        loop {
            let page = service.list(actor, org, &query).await?;
            for row in page.rows {
                let Some(id) = row.invitation.member() else {
                    continue;
                };
                if let Some(member) = store.member(id).await? {
                    if member.is_active() {
                        out.push(MemberEntry {
                            member,
                            invitation: Some(InvitationView {
                                invitation: row.invitation,
                                status: row.status,
                                actions: row.actions,
                            }),
                        });
                    }
                }
            }
            match page.next {
                Some(next) if out.len() < MAX_MEMBERS => query.after = Some(next),
                _ => break,
            }
        }
    }
    for member in catalog.direct_members(&**store, org).await? {
        out.push(MemberEntry {
            member,
            invitation: None,
        });
    }
    out.sort_by_key(|e| std::cmp::Reverse(e.member.joined_at));
    Ok(out)
}

/// One member with their invitation (any reader of the member's organization; others are
/// told it does not exist, R10.1).
pub async fn details(service: &Service, actor: &Actor, id: MemberId) -> Result<MemberEntry, Error> {
    let Some(member) = service.store().member(id).await? else {
        return Err(Refusal::MemberNotFound(id).into());
    };
    if !actor.reads(member.org) {
        return Err(Refusal::MemberNotFound(id).into());
    }
    let invitation = match member.invitation {
        Some(inv) => Some(service.invitation(actor, inv).await?),
        None => None,
    };
    Ok(MemberEntry { member, invitation })
}
