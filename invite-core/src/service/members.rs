//! Members after signup: the member list, one member's details, lookups by the application's
//! user id and by address, and editing a member's access (seed 000's "All Users", seed 002's
//! "User panel"). Reads decide nothing and check who may read and the query's bounds; the
//! edit is a decision like every command.

use super::{InvitationService, InvitationView};
use crate::access::Access;
use crate::actor::Actor;
use crate::bounds;
use crate::clock::Clock;
use crate::contact::parse_address;
use crate::decide::{self, authorize};
use crate::error::Error;
use crate::ids::{MemberId, OrgId, UserRef};
use crate::invitation::{Invitation, Sender};
use crate::member::Member;
use crate::member_list::{MemberPage, MemberQuery, MemberState};
use crate::refusal::Refusal;
use crate::store::Store;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One member as an admin's details panel shows them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemberDetails {
    /// The member, with their access as it is now.
    pub member: Member,
    /// Where they stand now.
    pub state: MemberState,
    /// The invitation they came by, with its status and actions; `None` for a member added
    /// without one.
    pub invitation: Option<InvitationView>,
    /// Who invited them (R2.10), from the invitation.
    pub invited_by: Option<Sender>,
    /// When they signed up (or were added).
    pub signed_up_at: DateTime<Utc>,
    /// When they first logged in, if the application reported it (R6.4).
    pub first_login_at: Option<DateTime<Utc>>,
}

impl MemberDetails {
    /// The details of `member`, who came by `invitation` (as loaded), at `now`.
    pub fn of(member: Member, invitation: Option<Invitation>, now: DateTime<Utc>) -> Self {
        let state = MemberState::of(&member, invitation.as_ref(), now);
        let invited_by = invitation.as_ref().map(|i| i.sender.clone());
        let first_login_at = invitation.as_ref().and_then(Invitation::first_login_at);
        let invitation = invitation.map(|invitation| {
            let status = invitation.status_at(now);
            InvitationView {
                invitation,
                status,
                actions: status.actions(),
            }
        });
        Self {
            signed_up_at: member.joined_at,
            member,
            state,
            invitation,
            invited_by,
            first_login_at,
        }
    }
}

impl<S: Store, C: Clock> InvitationService<S, C> {
    /// One page of an organization's member list (any user of the organization and the
    /// operator): active members, those added without an invitation included, in the tab
    /// (Never Used, Completed, all), searched by address or application user id, newest first
    /// unless asked otherwise, with keyset paging that never skips or repeats a row while
    /// members join. Page size 1 to 500; search text and cursor within [`crate::bounds`].
    ///
    /// ```
    /// use invite_core::*;
    /// # async fn panel<S: Store, C: Clock>(service: &InvitationService<S, C>, admin: &Actor,
    /// #     org: OrgId, cursor: Option<&str>) -> Result<(), Error> {
    /// let query = MemberQuery {
    ///     search: Some("example.com".into()),
    ///     after: cursor.and_then(MemberCursor::decode), // the previous page's `next`
    ///     ..MemberQuery::tab(MemberTab::NeverUsed)
    /// };
    /// let page = service.members(admin, org, &query).await?;
    /// for row in &page.rows {
    ///     println!("{} {} joined {}", row.member.contact, row.state, row.member.joined_at);
    /// }
    /// let next: Option<String> = page.next.map(|c| c.encode());
    /// # Ok(()) }
    /// ```
    pub async fn members(
        &self,
        actor: &Actor,
        org: OrgId,
        query: &MemberQuery,
    ) -> Result<MemberPage, Error> {
        authorize::reader_of(actor, org)?;
        bounds::check_page_size(query.limit)?;
        bounds::check_search(query.search.as_deref())?;
        if query
            .after
            .is_some_and(|c| !bounds::in_dashboard_years(c.joined_at))
        {
            return Err(Refusal::OutOfRange {
                field: "after".into(),
                allowed: "a cursor whose instant is within years 1900 to 9999".into(),
            }
            .into());
        }
        Ok(self.store.members(org, query, self.clock.now()).await?)
    }

    /// One member with the invitation they came by, who invited them, when they signed up
    /// and first logged in (any user of the member's organization; anyone else is told the
    /// member does not exist, as for a random id, R10.1). Removed members are answered too,
    /// as `Removed`.
    pub async fn member_details(
        &self,
        actor: &Actor,
        id: MemberId,
    ) -> Result<MemberDetails, Error> {
        let member = self.load_member(id).await?;
        if !actor.reads(member.org) {
            return Err(Refusal::MemberNotFound(id).into());
        }
        self.details_of(member).await
    }

    /// The active member of `org` the application knows by `user` (its user id, looked up
    /// trimmed as the library stores it), with their details; `None` if there is none. Should
    /// the application have tied one id to several members, the newest.
    pub async fn member_by_user(
        &self,
        actor: &Actor,
        org: OrgId,
        user: &UserRef,
    ) -> Result<Option<MemberDetails>, Error> {
        authorize::reader_of(actor, org)?;
        let user = UserRef(bounds::check_id("user", user.as_str())?);
        match self
            .store
            .members_by_user(org, &user)
            .await?
            .into_iter()
            .next()
        {
            Some(member) => Ok(Some(self.details_of(member).await?)),
            None => Ok(None),
        }
    }

    /// The active member of `org` reachable at `address` (an e-mail address, compared
    /// case-insensitively, or an E.164 number, R2.2), with their details; `None` if there is
    /// none. An address that cannot be one is [`Refusal::InvalidContact`].
    pub async fn member_by_address(
        &self,
        actor: &Actor,
        org: OrgId,
        address: &str,
    ) -> Result<Option<MemberDetails>, Error> {
        authorize::reader_of(actor, org)?;
        let contact = parse_address(address).map_err(Refusal::from)?;
        let found = self.store.active_members(org, &contact.keys()).await?;
        match found.into_iter().next() {
            Some(member) => Ok(Some(self.details_of(member).await?)),
            None => Ok(None),
        }
    }

    /// Changes a member's access after signup (admins of the member's organization, R10.1),
    /// within R2.4 and R2.5, audited (R10.2). Answers the member as stored; the same access
    /// again changes nothing. See [`decide::members::edit_member_access`].
    pub async fn edit_member_access(
        &self,
        actor: &Actor,
        member_id: MemberId,
        access: Access,
    ) -> Result<Member, Error> {
        self.run(|_| async {
            let member = self.load_member(member_id).await?;
            let org = self.load_org(member.org).await?;
            // Who asks is checked before the grants are loaded: an outsider learns nothing.
            authorize::admin_of_member(actor, &member)?;
            let clients = self.load_clients(&access).await?;
            let facts = decide::members::EditMemberFacts {
                member: &member,
                org: &org,
                clients: &clients,
            };
            Ok(decide::members::edit_member_access(
                actor,
                facts,
                access.clone(),
                self.clock.now(),
            ))
        })
        .await
    }

    async fn details_of(&self, member: Member) -> Result<MemberDetails, Error> {
        let invitation = match member.invitation {
            Some(id) => self.store.invitation(id).await?,
            None => None,
        };
        Ok(MemberDetails::of(member, invitation, self.clock.now()))
    }
}
