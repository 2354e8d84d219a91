//! What an invitation grants: its type (R2.4) and its access (R2.5).

use crate::ids::OrgId;
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// Access level on one organization: read only or admin (R2.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// Full read-only access, unable to make changes.
    ReadOnly,
    /// Full access, can make changes.
    Admin,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::ReadOnly => "read only",
            Role::Admin => "admin",
        })
    }
}

/// An admin's permission level (R2.4). The levels are the application's own (for example
/// `"owner"`, `"billing"`); the library only requires that one is chosen.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PermissionLevel(String);

impl PermissionLevel {
    /// A level of 1 to 64 characters after trimming, without control characters (see
    /// [`crate::bounds`]), trimmed.
    ///
    /// ```
    /// use invite_core::PermissionLevel;
    /// assert_eq!(PermissionLevel::new(" owner ").unwrap().as_str(), "owner");
    /// assert!(PermissionLevel::new("").is_err());
    /// assert!(PermissionLevel::new("own\ner").is_err());
    /// assert!(PermissionLevel::new(&"x".repeat(65)).is_err());
    /// ```
    pub fn new(level: &str) -> Result<Self, AccessError> {
        let level = level.trim();
        if level.is_empty() || level.chars().count() > 64 || level.chars().any(char::is_control) {
            return Err(AccessError::InvalidPermissionLevel);
        }
        Ok(Self(level.to_owned()))
    }

    /// The level.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Invitation type (R2.4): a general user or an admin with a permission level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationType {
    /// A general user.
    User,
    /// An admin, who must have a permission level.
    Admin(PermissionLevel),
}

impl fmt::Display for InvitationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvitationType::User => f.write_str("user"),
            InvitationType::Admin(level) => write!(f, "admin ({})", level.as_str()),
        }
    }
}

/// One client of an MSP and the role on it (R2.5).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClientGrant {
    /// The client organization.
    pub client: OrgId,
    /// The role on it.
    pub role: Role,
}

/// Where the access of an invitation applies (R2.5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessScope {
    /// One role on the sending organization (from a client or standalone organization).
    Role(Role),
    /// One or more grants on clients of the sending MSP.
    Clients(Vec<ClientGrant>),
}

/// Everything an invitation grants; editable until signup (R2.8).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    /// General user or admin.
    pub invitation_type: InvitationType,
    /// Role or client grants.
    pub scope: AccessScope,
}

impl Access {
    /// A general user with one role (client or standalone organization).
    pub fn user(role: Role) -> Self {
        Self {
            invitation_type: InvitationType::User,
            scope: AccessScope::Role(role),
        }
    }

    /// A general user of an MSP with grants on its clients.
    pub fn msp_user(grants: Vec<ClientGrant>) -> Self {
        Self {
            invitation_type: InvitationType::User,
            scope: AccessScope::Clients(grants),
        }
    }

    /// The same scope, as an admin with `level`.
    pub fn as_admin(mut self, level: PermissionLevel) -> Self {
        self.invitation_type = InvitationType::Admin(level);
        self
    }
}

/// Why an [`Access`] does not fit the organization sending it.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
#[non_exhaustive]
pub enum AccessError {
    /// An admin needs a permission level of 1 to 64 characters, without control characters.
    #[error(
        "an admin invitation needs a permission level of 1 to 64 characters, without control characters"
    )]
    InvalidPermissionLevel,
    /// An MSP must grant access per client, not one role.
    #[error("an invitation from an MSP must grant access to one or more of its clients")]
    MspNeedsClientGrants,
    /// Only an MSP grants access to clients.
    #[error("only an MSP can grant access to client organizations")]
    GrantsOnlyFromMsp,
    /// A grant names an organization that is not a client of this MSP.
    #[error("organization {0} is not a client of this MSP")]
    NotAClient(OrgId),
    /// The same client appears twice.
    #[error("client {0} is granted twice")]
    DuplicateGrant(OrgId),
}
