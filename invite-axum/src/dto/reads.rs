//! The JSON shapes of organizations and members (see the module above for why they are the
//! API's own).

use super::{AccessJson, InvitationJson};
use chrono::{DateTime, Utc};
use invite_core::{Member, OrgKind, Organization, SeatPolicy};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// An organization and its settings.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OrganizationJson {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// `standalone`, `msp` or `client`.
    pub kind: &'static str,
    /// For a client: its MSP.
    pub msp: Option<Uuid>,
    /// Seat limit.
    pub seat_limit: u32,
    /// `claim_on_signup` or `reserve_on_invite`.
    pub seat_policy: &'static str,
    /// Link validity in hours.
    pub validity_hours: i64,
    /// Daily reminders on.
    pub reminders_enabled: bool,
    /// Local reminder time, `HH:MM`.
    pub reminder_time: String,
    /// IANA time zone.
    pub time_zone: String,
    /// E-mail allowed.
    pub email_allowed: bool,
    /// SMS allowed.
    pub sms_allowed: bool,
    /// `en` or `ru`.
    pub language: &'static str,
    /// Resend cool-down in seconds.
    pub resend_cooldown_seconds: i64,
}

impl From<&Organization> for OrganizationJson {
    fn from(o: &Organization) -> Self {
        let (kind, msp) = match o.kind {
            OrgKind::Standalone => ("standalone", None),
            OrgKind::Msp => ("msp", None),
            OrgKind::Client { msp } => ("client", Some(msp.0)),
        };
        let s = &o.settings;
        Self {
            id: o.id.0,
            name: o.name.clone(),
            kind,
            msp,
            seat_limit: s.seat_limit,
            seat_policy: match s.seat_policy {
                SeatPolicy::ClaimOnSignup => "claim_on_signup",
                SeatPolicy::ReserveOnInvite => "reserve_on_invite",
            },
            validity_hours: s.validity.num_hours(),
            reminders_enabled: s.reminders_enabled,
            reminder_time: s.reminder_time.format("%H:%M").to_string(),
            time_zone: s.time_zone.name().to_owned(),
            email_allowed: s.channels.email,
            sms_allowed: s.channels.sms,
            language: crate::i18n::Lang::of(s.language).code(),
            resend_cooldown_seconds: s.resend_cooldown.num_seconds(),
        }
    }
}

/// A member.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MemberJson {
    /// Its id.
    pub id: Uuid,
    /// Its organization.
    pub org: Uuid,
    /// E-mail or phone.
    pub address: String,
    /// The application's user id.
    pub user_ref: Option<String>,
    /// Access.
    pub access: AccessJson,
    /// The invitation it came by.
    pub invitation: Option<Uuid>,
    /// When it joined.
    pub joined_at: chrono::DateTime<chrono::Utc>,
    /// When it was removed.
    pub removed_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<&Member> for MemberJson {
    fn from(m: &Member) -> Self {
        Self {
            id: m.id.0,
            org: m.org.0,
            address: m.contact.to_string(),
            user_ref: m.user_ref.as_ref().map(|u| u.as_str().to_owned()),
            access: AccessJson::of(&m.access),
            invitation: m.invitation.map(|i| i.0),
            joined_at: m.joined_at,
            removed_at: m.removed_at,
        }
    }
}

/// A member with the invitation they came by, who invited them, when they signed up and first
/// logged in (the core's `MemberDetails`).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MemberDetailsJson {
    /// The member.
    pub member: MemberJson,
    /// `never_used`, `completed` or `removed`.
    pub state: String,
    /// The invitation, with its status; `null` for a member added without one.
    pub invitation: Option<InvitationJson>,
    /// Who invited them.
    pub invited_by: Option<String>,
    /// When they signed up (or were added).
    pub signed_up_at: DateTime<Utc>,
    /// When they first logged in, if reported.
    pub first_login_at: Option<DateTime<Utc>>,
}

/// snake_case code of a member's state.
pub fn member_state_code(s: invite_core::MemberState) -> &'static str {
    match s {
        invite_core::MemberState::NeverUsed => "never_used",
        invite_core::MemberState::Completed => "completed",
        invite_core::MemberState::Removed => "removed",
    }
}

impl From<&invite_core::MemberDetails> for MemberDetailsJson {
    fn from(d: &invite_core::MemberDetails) -> Self {
        Self {
            member: (&d.member).into(),
            state: member_state_code(d.state).to_owned(),
            invitation: d
                .invitation
                .as_ref()
                .map(|v| InvitationJson::of(&v.invitation, v.status)),
            invited_by: d.invited_by.as_ref().map(|s| s.name.clone()),
            signed_up_at: d.signed_up_at,
            first_login_at: d.first_login_at,
        }
    }
}
