//! The JSON shapes of the API that must differ from the core's own JSON, each with its
//! OpenAPI schema. Where the core's JSON is what the API answers (the dashboard, seats, the
//! series, the audit trail, the event feed, the link preview), the handlers serialize the
//! core's values and [`crate::schema`] only documents them. A shape of its own is kept here
//! where HTTP needs one:
//!
//! - [`InvitationJson`]: the invitation with its status and allowed actions at now (the
//!   buttons a row shows), the address as one string, snake_case codes; without the record's
//!   bookkeeping (`link_generation`, `awaiting_delivery`, the contact's matching keys), which
//!   the core's JSON carries for stores and fixtures.
//! - [`AccessJson`]: what a form posts (`type`, `permission_level`, `role`, `grants`), where
//!   the core's `Access` nests an enum per field.
//! - [`OrganizationJson`]: the settings in the units a form edits (hours, `HH:MM`).
//! - [`MemberJson`], [`OutcomeJson`], [`PageJson`]: built of the shapes above (an outcome's
//!   error is the API's [`ErrorDetail`](crate::ErrorDetail), the core's error JSON).

use invite_core::{
    Access, AccessScope, Action, Channel, ClientGrant, Cursor, Invitation, InvitationType,
    PermissionLevel, Refusal, Role, Status,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

mod reads;
pub use reads::*;

/// snake_case code of a status.
pub fn status_code(s: Status) -> &'static str {
    match s {
        Status::Queued => "queued",
        Status::Pending => "pending",
        Status::Expired => "expired",
        Status::Failed => "failed",
        Status::NeverUsed => "never_used",
        Status::Completed => "completed",
        Status::Cancelled => "cancelled",
    }
}

/// snake_case code of an action.
pub fn action_code(a: Action) -> &'static str {
    match a {
        Action::Resend => "resend",
        Action::Cancel => "cancel",
        Action::EditAccess => "edit_access",
        Action::Details => "details",
        Action::SendFollowUp => "send_follow_up",
        Action::MarkCompleted => "mark_completed",
    }
}

/// snake_case code of a role.
pub fn role_code(r: Role) -> &'static str {
    match r {
        Role::ReadOnly => "read_only",
        Role::Admin => "admin",
    }
}

pub(crate) fn channel_code(c: Channel) -> &'static str {
    match c {
        Channel::Email => "email",
        Channel::Sms => "sms",
    }
}

/// Role on an organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleJson {
    /// Reads everything, changes nothing.
    ReadOnly,
    /// Full access.
    Admin,
}

impl From<RoleJson> for Role {
    fn from(r: RoleJson) -> Self {
        match r {
            RoleJson::ReadOnly => Role::ReadOnly,
            RoleJson::Admin => Role::Admin,
        }
    }
}

/// A role on one client, from an MSP.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GrantJson {
    /// The client organization.
    pub client: Uuid,
    /// The role on it.
    pub role: RoleJson,
}

/// What an invitation grants: its type and either one role or, from an MSP, a role per client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccessJson {
    /// `user` or `admin`.
    #[serde(rename = "type", default = "user_type")]
    pub invitation_type: String,
    /// Required for `admin`: the permission level (1 to 64 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_level: Option<String>,
    /// The role, for a standalone organization or a client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<RoleJson>,
    /// From an MSP: the clients and the role on each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<GrantJson>,
}

fn user_type() -> String {
    "user".into()
}

impl AccessJson {
    /// The core's access, or the refusal the input earns.
    pub fn to_access(&self) -> Result<Access, Refusal> {
        let base = if self.grants.is_empty() {
            Access::user(self.role.unwrap_or(RoleJson::ReadOnly).into())
        } else {
            Access::msp_user(
                self.grants
                    .iter()
                    .map(|g| ClientGrant {
                        client: invite_core::OrgId(g.client),
                        role: g.role.into(),
                    })
                    .collect(),
            )
        };
        match self.invitation_type.as_str() {
            "user" => Ok(base),
            "admin" => {
                let level = PermissionLevel::new(self.permission_level.as_deref().unwrap_or(""))?;
                Ok(base.as_admin(level))
            }
            other => Err(Refusal::InvalidSetting(format!(
                "type must be user or admin, not {other:?}"
            ))),
        }
    }

    /// The JSON of a core access.
    pub fn of(access: &Access) -> Self {
        let (invitation_type, permission_level) = match &access.invitation_type {
            InvitationType::User => ("user".to_owned(), None),
            InvitationType::Admin(l) => ("admin".to_owned(), Some(l.as_str().to_owned())),
        };
        let (role, grants) = match &access.scope {
            AccessScope::Role(r) => (Some(role_json(*r)), Vec::new()),
            AccessScope::Clients(gs) => (
                None,
                gs.iter()
                    .map(|g| GrantJson {
                        client: g.client.0,
                        role: role_json(g.role),
                    })
                    .collect(),
            ),
        };
        Self {
            invitation_type,
            permission_level,
            role,
            grants,
        }
    }
}

fn role_json(r: Role) -> RoleJson {
    match r {
        Role::ReadOnly => RoleJson::ReadOnly,
        Role::Admin => RoleJson::Admin,
    }
}

/// An invitation with its status and the actions its status allows.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InvitationJson {
    /// Its id.
    pub id: Uuid,
    /// The organization that sent it.
    pub org: Uuid,
    /// The address it is delivered to.
    pub address: String,
    /// `email` or `sms`.
    pub channel: &'static str,
    /// What it grants.
    pub access: AccessJson,
    /// The application's user id it is tied to.
    pub user_ref: Option<String>,
    /// Who sent it.
    pub sender_name: String,
    /// When it was created.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it was last invited or resent.
    pub last_invited_at: chrono::DateTime<chrono::Utc>,
    /// Messages sent for it.
    pub send_count: u32,
    /// Until when the last link is valid.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When the invitee signed up.
    pub signed_up_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The member the signup made.
    pub member: Option<Uuid>,
    /// The member's first login.
    pub first_login_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why it failed, for a person.
    pub failure: Option<String>,
    /// `queued`, `pending`, `expired`, `failed`, `never_used`, `completed` or `cancelled`.
    pub status: &'static str,
    /// The buttons to show: `resend`, `cancel`, `edit_access`, `details`, `send_follow_up`,
    /// `mark_completed`.
    pub actions: Vec<&'static str>,
}

impl InvitationJson {
    /// The JSON of an invitation in `status`.
    pub fn of(inv: &Invitation, status: Status) -> Self {
        Self {
            id: inv.id.0,
            org: inv.org.0,
            address: inv.address(),
            channel: channel_code(inv.channel),
            access: AccessJson::of(inv.access()),
            user_ref: inv.user_ref().map(|u| u.as_str().to_owned()),
            sender_name: inv.sender.name.clone(),
            created_at: inv.created_at,
            last_invited_at: inv.last_invited_at(),
            send_count: inv.send_count(),
            expires_at: inv.expires_at(),
            signed_up_at: inv.signed_up_at(),
            member: inv.member().map(|m| m.0),
            first_login_at: inv.first_login_at(),
            failure: inv.failure().map(ToString::to_string),
            status: status_code(status),
            actions: status.actions().iter().map(|a| action_code(*a)).collect(),
        }
    }
}

/// One page of a list.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PageJson {
    /// The rows.
    pub rows: Vec<InvitationJson>,
    /// The cursor of the next page (pass it as `after`), if there is one.
    pub next: Option<String>,
}

impl PageJson {
    /// The JSON of a page.
    pub fn of(page: &invite_core::Page) -> Self {
        Self {
            rows: page
                .rows
                .iter()
                .map(|r| InvitationJson::of(&r.invitation, r.status))
                .collect(),
            next: page.next.as_ref().map(Cursor::encode),
        }
    }
}

/// The answer for one address of a bulk invite, or one id of a selection.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OutcomeJson {
    /// The address, user id or invitation id as given.
    pub input: String,
    /// Whether it was done (or, in a dry run, would be).
    pub ok: bool,
    /// The invitation, when done.
    pub invitation: Option<InvitationJson>,
    /// The refusal, when not.
    pub error: Option<crate::error::ErrorDetail>,
}

impl OutcomeJson {
    /// An outcome from a result.
    pub fn of(input: String, result: Result<InvitationJson, invite_core::Error>) -> Self {
        match result {
            Ok(inv) => Self {
                input,
                ok: true,
                invitation: Some(inv),
                error: None,
            },
            Err(e) => Self {
                input,
                ok: false,
                invitation: None,
                error: Some(crate::error::ErrorDetail::of(&e)),
            },
        }
    }
}
