//! The JSON shapes of the reads: counts, seats, dashboard, series, organizations, members,
//! audit events.

use super::{AccessJson, InvitationJson, status_code};
use invite_core::{
    AuditEvent, Dashboard, DayActivity, Member, OrgKind, Organization, SeatPolicy, Seats, Series,
    TabCounts,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Counts per tab and channel.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CountsJson {
    /// Everything but cancelled.
    pub all: u64,
    /// Queued and Pending.
    pub pending: u64,
    /// Never Used.
    pub never_used: u64,
    /// Expired or Failed.
    pub expired_or_failed: u64,
    /// Completed.
    pub completed: u64,
    /// Invited by e-mail.
    pub invited_by_email: u64,
    /// Invited by SMS.
    pub invited_by_sms: u64,
}

impl From<TabCounts> for CountsJson {
    fn from(c: TabCounts) -> Self {
        Self {
            all: c.all,
            pending: c.pending,
            never_used: c.never_used,
            expired_or_failed: c.expired_or_failed,
            completed: c.completed,
            invited_by_email: c.invited_by_email,
            invited_by_sms: c.invited_by_sms,
        }
    }
}

/// Seats: used + available = limit (available is 0 when the limit was lowered below use).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SeatsJson {
    /// The limit.
    pub limit: u32,
    /// Seats used.
    pub used: u32,
    /// Seats free.
    pub available: u32,
}

impl From<Seats> for SeatsJson {
    fn from(s: Seats) -> Self {
        Self {
            limit: s.limit,
            used: s.used,
            available: s.available,
        }
    }
}

/// The dashboard header, in one call.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DashboardJson {
    /// The organization.
    pub org: Uuid,
    /// Counts per tab and channel.
    pub counts: CountsJson,
    /// Seats.
    pub seats: SeatsJson,
    /// Whether daily reminders are on.
    pub reminders_enabled: bool,
}

impl From<Dashboard> for DashboardJson {
    fn from(d: Dashboard) -> Self {
        Self {
            org: d.org.0,
            counts: d.counts.into(),
            seats: d.seats.into(),
            reminders_enabled: d.reminders_enabled,
        }
    }
}

/// One local day of activity.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DayJson {
    /// The day, `YYYY-MM-DD`.
    pub day: chrono::NaiveDate,
    /// Invitation and resend messages delivered.
    pub invitations_sent: u64,
    /// Signups.
    pub signups: u64,
    /// First logins.
    pub first_logins: u64,
}

impl From<&DayActivity> for DayJson {
    fn from(d: &DayActivity) -> Self {
        Self {
            day: d.day,
            invitations_sent: d.invitations_sent,
            signups: d.signups,
            first_logins: d.first_logins,
        }
    }
}

/// The daily series of the graphs.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SeriesJson {
    /// One entry per day, oldest first.
    pub days: Vec<DayJson>,
    /// Completed over all listed invitations, 0.0 to 1.0.
    pub completion_share: f64,
}

impl From<&Series> for SeriesJson {
    fn from(s: &Series) -> Self {
        Self {
            days: s.days.iter().map(DayJson::from).collect(),
            completion_share: s.completion_share,
        }
    }
}

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

/// A member with the invitation they came by.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MemberDetailsJson {
    /// The member.
    pub member: MemberJson,
    /// The invitation, with its status.
    pub invitation: Option<InvitationJson>,
}

impl From<&crate::standin::members::MemberEntry> for MemberDetailsJson {
    fn from(e: &crate::standin::members::MemberEntry) -> Self {
        Self {
            member: (&e.member).into(),
            invitation: e
                .invitation
                .as_ref()
                .map(|v| InvitationJson::of(&v.invitation, v.status)),
        }
    }
}

/// One audit event.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditJson {
    /// Its id.
    pub id: Uuid,
    /// The invitation, if the event is about one.
    pub invitation: Option<Uuid>,
    /// Who.
    pub actor: String,
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
    /// What, in words.
    pub action: String,
    /// Status before.
    pub before: Option<&'static str>,
    /// Status after.
    pub after: Option<&'static str>,
}

impl From<&AuditEvent> for AuditJson {
    fn from(e: &AuditEvent) -> Self {
        Self {
            id: e.id.0,
            invitation: e.invitation.map(|i| i.0),
            actor: e.actor.to_string(),
            at: e.at,
            action: format!("{:?}", e.action),
            before: e.before.map(status_code),
            after: e.after.map(status_code),
        }
    }
}
