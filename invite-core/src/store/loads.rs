//! The reads one decision needs, asked of the store at once: [`InviteReads`] for an invite
//! and [`SignupReads`] for a signup. A store that can answer them in one statement (the
//! PostgreSQL store does, issue 8.4) overrides [`RecordStore::invite_reads`] and
//! [`RecordStore::signup_reads`]; the others inherit the defaults here, which make the single
//! reads one after the other, exactly as the service did before.

use super::{RecordStore, StoreError};
use crate::ids::OrgId;
use crate::invitation::Invitation;
use crate::member::{Member, Seats};
use crate::org::Organization;
use crate::token::{LinkRecord, TokenHash};
use chrono::{DateTime, Utc};

/// What an invite (one, bulk or directory users) is decided from.
#[derive(Clone, Debug, PartialEq)]
pub struct InviteReads {
    /// The inviting organization; `None` if it does not exist (nothing else is read then).
    pub org: Option<Organization>,
    /// The client organizations the access grants roles on, those that exist.
    pub clients: Vec<Organization>,
    /// Open invitations of the organization to the address keys, as
    /// [`RecordStore::open_invitations`] answers them.
    pub open: Vec<Invitation>,
    /// Active members of the organization at the contact keys, as
    /// [`RecordStore::active_members`] answers them.
    pub members: Vec<Member>,
    /// The organization's seats at the instant given, as [`RecordStore::seats`].
    pub seats: Seats,
}

/// What a signup (or a look at its link) is decided from.
#[derive(Clone, Debug, PartialEq)]
pub struct SignupReads {
    /// The link.
    pub link: LinkRecord,
    /// Its invitation; `None` if it does not exist (nothing else is read then).
    pub invitation: Option<Invitation>,
    /// The invitation's organization; `None` if it does not exist.
    pub org: Option<Organization>,
    /// Active members of that organization at any of the invitation's contact keys.
    pub members: Vec<Member>,
    /// The organization's seats at the instant given.
    pub seats: Seats,
}

/// [`RecordStore::invite_reads`] by the single reads.
pub(super) async fn invite_reads_one_by_one<S: RecordStore + ?Sized>(
    store: &S,
    org: OrgId,
    clients: &[OrgId],
    address_keys: &[String],
    contact_keys: &[String],
    now: DateTime<Utc>,
) -> Result<InviteReads, StoreError> {
    let Some(organization) = store.organization(org).await? else {
        return Ok(InviteReads {
            org: None,
            clients: Vec::new(),
            open: Vec::new(),
            members: Vec::new(),
            seats: Seats::new(0, 0),
        });
    };
    let clients = match clients.is_empty() {
        true => Vec::new(),
        false => store.organizations(clients).await?,
    };
    Ok(InviteReads {
        org: Some(organization),
        clients,
        open: store.open_invitations(org, address_keys).await?,
        members: store.active_members(org, contact_keys).await?,
        seats: store.seats(org, now).await?,
    })
}

/// [`RecordStore::signup_reads`] by the single reads.
pub(super) async fn signup_reads_one_by_one<S: RecordStore + ?Sized>(
    store: &S,
    hash: &TokenHash,
    now: DateTime<Utc>,
) -> Result<Option<SignupReads>, StoreError> {
    let Some(link) = store.link(hash).await? else {
        return Ok(None);
    };
    let nothing = |link, invitation| SignupReads {
        link,
        invitation,
        org: None,
        members: Vec::new(),
        seats: Seats::new(0, 0),
    };
    let Some(mut invitation) = store.invitation(link.invitation).await? else {
        return Ok(Some(nothing(link, None)));
    };
    let Some(org) = store.organization(invitation.org).await? else {
        return Ok(Some(nothing(link, Some(invitation))));
    };
    let members = store
        .active_members(invitation.org, &invitation.contact.keys())
        .await?;
    // A member made by this link, read after an invitation that did not show the signup
    // yet: the two were committed together, so read the invitation again to see it.
    let stale = members.iter().any(|m| m.invitation == Some(invitation.id))
        && invitation.signed_up_at().is_none();
    if stale {
        if let Some(again) = store.invitation(link.invitation).await? {
            invitation = again;
        }
    }
    let seats = store.seats(invitation.org, now).await?;
    Ok(Some(SignupReads {
        link,
        invitation: Some(invitation),
        org: Some(org),
        members,
        seats,
    }))
}
