//! Who performs a command (R10).

use crate::access::Role;
use crate::ids::{OrgId, UserRef};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The one performing a command. Every command names its actor (R10.1) and every change
/// records it in the audit trail (R10.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actor {
    /// A user of an organization, with their role there.
    OrgUser {
        /// The application's id of this user.
        user: UserRef,
        /// The organization they act in.
        org: OrgId,
        /// Their role in it.
        role: Role,
        /// Name shown to invitees ("Ann Lee invited you").
        name: String,
    },
    /// The vendor's operator, who alone sets seat limits and seat policy (R1.2).
    Operator {
        /// Operator id.
        id: String,
    },
    /// The person holding a link, signing up (R6.2).
    Invitee,
    /// The embedding application reporting a fact (a first login, R6.4).
    Application,
    /// The library's own workers: the dispatcher and the reminder sweep.
    System,
}

impl Actor {
    /// An admin of `org`.
    pub fn admin(org: OrgId, user: impl Into<String>, name: impl Into<String>) -> Self {
        Actor::OrgUser {
            user: UserRef::new(user),
            org,
            role: Role::Admin,
            name: name.into(),
        }
    }

    /// A read-only user of `org`.
    pub fn read_only(org: OrgId, user: impl Into<String>, name: impl Into<String>) -> Self {
        Actor::OrgUser {
            user: UserRef::new(user),
            org,
            role: Role::ReadOnly,
            name: name.into(),
        }
    }

    /// Whether this actor may change invitations of `org` (R10.1): only its own admins. An MSP
    /// admin acts on the MSP's invitations (which grant access to clients), never on those a
    /// client sent, and a client admin never on the MSP's.
    pub fn administers(&self, org: OrgId) -> bool {
        matches!(self, Actor::OrgUser { org: o, role: Role::Admin, .. } if *o == org)
    }

    /// Whether this actor may read the invitations of `org`: its own users of any role.
    pub fn reads(&self, org: OrgId) -> bool {
        matches!(self, Actor::OrgUser { org: o, .. } if *o == org)
            || matches!(self, Actor::Operator { .. })
    }

    /// The display name used in messages, if this is a person of an organization.
    pub fn display_name(&self) -> Option<&str> {
        match self {
            Actor::OrgUser { name, .. } => Some(name),
            _ => None,
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::OrgUser { user, role, .. } => write!(f, "{user} ({role})"),
            Actor::Operator { id } => write!(f, "operator {id}"),
            Actor::Invitee => f.write_str("invitee"),
            Actor::Application => f.write_str("application"),
            Actor::System => f.write_str("system"),
        }
    }
}
