//! OpenAPI schemas of the core's own JSON, for the answers the API serializes straight from
//! the core (dashboard, seats, series, audit trail, event feed, link preview).
//!
//! invite-core derives `Serialize` but not `utoipa::ToSchema` (it stays free of web
//! crates), and the orphan rule forbids implementing `ToSchema` for its types here, so each
//! schema is written once as a type of the same shape, named as the core's type
//! (`#[schema(as = ...)]`). These types are never built: the handlers answer the core's
//! values. The handler tests check every answer against the document
//! (`tests/openapi.rs`), so a field the core adds or renames fails a test instead of drifting.

#![allow(dead_code)]

use chrono::{DateTime, NaiveDate, Utc};
use utoipa::ToSchema;
use uuid::Uuid;

/// Counts per tab and per channel (R9.1).
#[derive(ToSchema)]
#[schema(as = TabCounts)]
pub struct TabCountsSchema {
    /// Everything but Cancelled.
    pub all: u64,
    /// Queued and Pending.
    pub pending: u64,
    /// Never Used.
    pub never_used: u64,
    /// Expired or Failed.
    pub expired_or_failed: u64,
    /// Completed.
    pub completed: u64,
    /// Invited by e-mail (every invitation but cancelled ones).
    pub invited_by_email: u64,
    /// Invited by SMS.
    pub invited_by_sms: u64,
}

/// Seats: used + available = limit (available is 0 when the limit was lowered below use).
#[derive(ToSchema)]
#[schema(as = Seats)]
pub struct SeatsSchema {
    /// The limit set by the vendor.
    pub limit: u32,
    /// Active members, plus live invitations under `ReserveOnInvite`.
    pub used: u32,
    /// Free seats.
    pub available: u32,
}

/// The dashboard header, in one call.
#[derive(ToSchema)]
#[schema(as = Dashboard)]
pub struct DashboardSchema {
    /// The organization.
    pub org: Uuid,
    /// Counts per tab and channel.
    pub counts: TabCountsSchema,
    /// Seats.
    pub seats: SeatsSchema,
    /// Whether daily reminders are on.
    pub reminders_enabled: bool,
    /// The same counts split by invitation type and by channel (issue 11, point 4).
    pub splits: CountSplitsSchema,
    /// Entries waiting on the seat waitlist.
    pub waitlist: u64,
}

/// The tab counts split by invitation type and by channel.
#[derive(ToSchema)]
#[schema(as = CountSplits)]
pub struct CountSplitsSchema {
    /// Admin and general-user invitations.
    pub by_type: CountsByTypeSchema,
    /// E-mail and SMS invitations.
    pub by_channel: CountsByChannelSchema,
}

/// Counts of admin and of general-user invitations.
#[derive(ToSchema)]
#[schema(as = CountsByType)]
pub struct CountsByTypeSchema {
    /// Admin invitations.
    pub admins: TabCountsSchema,
    /// General-user invitations.
    pub users: TabCountsSchema,
}

/// Counts of e-mail and of SMS invitations.
#[derive(ToSchema)]
#[schema(as = CountsByChannel)]
pub struct CountsByChannelSchema {
    /// By e-mail.
    pub email: TabCountsSchema,
    /// By SMS.
    pub sms: TabCountsSchema,
}

/// One local day of activity (R9.3).
#[derive(ToSchema)]
#[schema(as = DayActivity)]
pub struct DayActivitySchema {
    /// The day, `YYYY-MM-DD`.
    pub day: NaiveDate,
    /// Invitation and resend messages delivered.
    pub invitations_sent: u64,
    /// Signups.
    pub signups: u64,
    /// First logins.
    pub first_logins: u64,
}

/// The daily series of the graphs.
#[derive(ToSchema)]
#[schema(as = Series)]
pub struct SeriesSchema {
    /// One entry per local day, oldest first.
    pub days: Vec<DayActivitySchema>,
    /// Completed over all listed invitations, 0.0 to 1.0.
    pub completion_share: f64,
}

/// One entry of the audit trail (R10.2).
#[derive(ToSchema)]
#[schema(as = AuditEvent)]
pub struct AuditEventSchema {
    /// Its id.
    pub id: Uuid,
    /// The organization concerned.
    pub org: Uuid,
    /// The invitation concerned, if any.
    pub invitation: Option<Uuid>,
    /// Who did it: `"System"`, `"Application"`, `{"Operator": {"id"}}` or
    /// `{"OrgUser": {"user", "org", "role", "name"}}`.
    pub actor: serde_json::Value,
    /// When.
    pub at: DateTime<Utc>,
    /// What: a name (`"Resent"`) or a name with its facts
    /// (`{"SeatLimitChanged": {"from", "to"}}`).
    pub action: serde_json::Value,
    /// The invitation's status before (`"Pending"`, ...), if an invitation is concerned.
    pub before: Option<String>,
    /// The invitation's status after.
    pub after: Option<String>,
}

/// One event of the feed.
#[derive(ToSchema)]
#[schema(as = FeedEvent)]
pub struct FeedEventSchema {
    /// Its position, an opaque cursor (`"<major>.<minor>"`): pass it as `after`.
    pub position: String,
    /// Its stable name (`invitation.created`, `invitation.accepted`, ...).
    pub name: String,
    /// What happened.
    pub event: AuditEventSchema,
}

/// One page of the event feed.
#[derive(ToSchema)]
#[schema(as = FeedPage)]
pub struct FeedPageSchema {
    /// The events, in feed order.
    pub events: Vec<FeedEventSchema>,
    /// The position of the last event answered: ask for the events after it next; `null`
    /// when the page is empty (ask again after the same position).
    pub next: Option<String>,
}

/// What a role on one organization is, by name, as a signup page shows it.
#[derive(ToSchema)]
#[schema(as = GrantSummary)]
pub struct GrantSummarySchema {
    /// The organization's name.
    pub org_name: String,
    /// `"ReadOnly"` or `"Admin"`.
    pub role: String,
}

/// What a signup page shows about a link, read without using it.
#[derive(ToSchema)]
#[schema(as = LinkPreview)]
pub struct LinkPreviewSchema {
    /// The invitation.
    pub invitation: Uuid,
    /// The organization inviting.
    pub organization: Uuid,
    /// Its name.
    pub organization_name: String,
    /// Who invited.
    pub invited_by: String,
    /// The address the invitation went to.
    pub address: String,
    /// `"Email"` or `"Sms"`.
    pub channel: String,
    /// `"User"`, or `{"Admin": "<permission level>"}`.
    pub invitation_type: serde_json::Value,
    /// What it grants, organization by organization.
    pub grants: Vec<GrantSummarySchema>,
    /// Until when the link works.
    pub expires_at: Option<DateTime<Utc>>,
    /// The organization's language, `"En"` or `"Ru"`.
    pub language: String,
    /// The organization's IANA time zone.
    pub time_zone: String,
}

/// A transport's late report on a message it had accepted.
#[derive(ToSchema)]
#[schema(as = DeliveryReport)]
pub struct DeliveryReportSchema {
    /// The id the transport gave the message when it accepted it.
    pub provider_id: String,
    /// `"Delivered"`, or `{"Failed": {"reason": "UNDELIV err:001"}}`.
    pub outcome: serde_json::Value,
}

/// What recording a delivery report came to.
#[derive(ToSchema)]
#[schema(as = ReportOutcome)]
pub enum ReportOutcomeSchema {
    /// No message has the report's provider id: nothing changed.
    UnknownMessage,
    /// It says the message arrived: nothing to change.
    Delivered,
    /// It says the message did not arrive: the invitation is Failed now, with the reason.
    InvitationFailed,
    /// It says the message did not arrive, but the invitation moved on: nothing changed.
    NoLongerApplies,
}
