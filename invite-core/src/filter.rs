//! List filters (issue 11, point 4; seed 000's columns): by invitation type, permission level,
//! role, client (an MSP's grants), sender and channel, combined with a list's tab, search and
//! keyset paging ([`crate::ListQuery::filter`]). The one definition of what each filter
//! selects: `MemoryStore` calls [`ListFilter::matches`], PostgreSQL restates it in its list
//! statements, and the conformance case
//! `issue_11_4_list_filters_agree_with_the_core_on_every_combination` compares them.

use crate::access::{AccessScope, InvitationType, Role};
use crate::contact::Channel;
use crate::ids::{OrgId, UserRef};
use crate::invitation::Invitation;
use serde::{Deserialize, Serialize};

/// The kind of an invitation, for filtering (R2.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TypeFilter {
    /// General users.
    User,
    /// Admins, of any permission level.
    Admin,
}

/// Which invitations a list shows besides its tab and search; every filter set must hold
/// (they combine with AND). The default filters nothing.
///
/// ```
/// use invite_core::{ListQuery, Tab, Channel, Role};
/// use invite_core::filter::{ListFilter, TypeFilter};
/// // Pending admin invitations sent by SMS.
/// let query = ListQuery {
///     filter: ListFilter {
///         invitation_type: Some(TypeFilter::Admin),
///         channel: Some(Channel::Sms),
///         ..ListFilter::default()
///     },
///     ..ListQuery::tab(Tab::Pending)
/// };
/// assert!(query.filter.invitation_type.is_some());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListFilter {
    /// General users or admins (R2.4).
    pub invitation_type: Option<TypeFilter>,
    /// Admins with exactly this permission level (R2.4), as stored (trimmed).
    pub permission_level: Option<String>,
    /// This role (R2.5): the role of a role scope, or of any client grant.
    pub role: Option<Role>,
    /// Invitations granting a role on this client organization (an MSP's, R2.5).
    pub client: Option<OrgId>,
    /// Sent by this application user (R2.10), as stored.
    pub sender: Option<UserRef>,
    /// Delivered by this channel.
    pub channel: Option<Channel>,
}

impl ListFilter {
    /// Whether no filter is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Whether `inv` passes every filter set.
    pub fn matches(&self, inv: &Invitation) -> bool {
        let access = inv.access();
        let grants = match &access.scope {
            AccessScope::Clients(grants) => grants.as_slice(),
            AccessScope::Role(_) => &[],
        };
        let type_ok = matches!(
            (self.invitation_type, &access.invitation_type),
            (None, _)
                | (Some(TypeFilter::User), InvitationType::User)
                | (Some(TypeFilter::Admin), InvitationType::Admin(_))
        );
        let level_ok = match (&self.permission_level, &access.invitation_type) {
            (None, _) => true,
            (Some(wanted), InvitationType::Admin(level)) => level.as_str() == wanted,
            (Some(_), InvitationType::User) => false,
        };
        let role_ok = match (self.role, &access.scope) {
            (None, _) => true,
            (Some(wanted), AccessScope::Role(role)) => *role == wanted,
            (Some(wanted), AccessScope::Clients(_)) => grants.iter().any(|g| g.role == wanted),
        };
        let client_ok = self
            .client
            .is_none_or(|c| grants.iter().any(|g| g.client == c));
        let sender_ok = self.sender.as_ref().is_none_or(|s| inv.sender.user == *s);
        let channel_ok = self.channel.is_none_or(|c| inv.channel == c);
        type_ok && level_ok && role_ok && client_ok && sender_ok && channel_ok
    }
}
