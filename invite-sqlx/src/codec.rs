//! Between invite-core's types and the columns of the schema: the names of enum values in
//! text columns, JSONB for values read whole, and rows back into records.

use chrono::{DateTime, NaiveDate, Utc};
use invite_core::audit::{AuditAction, AuditEvent};
use invite_core::notifier::BoxError;
use invite_core::outbox::{Lease, OutboxMessage};
use invite_core::store::StoreError;
use invite_core::token::{LinkRecord, TokenHash};
use invite_core::{
    AuditId, Channel, CompletedBy, Delivered, Invitation, InvitationId, InvitationRecord, Member,
    MemberId, MessageId, MessageKind, OrgId, OrgKind, Organization, OutboxState, SeatPolicy,
    Status, Tab, UserRef,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;

/// A backend failure, with its cause kept as the source.
pub(crate) fn backend(e: impl Into<BoxError>) -> StoreError {
    StoreError::Backend(e.into())
}

/// A stored value that invite-core cannot take back: a bug or a hand-edited row.
#[derive(Debug, thiserror::Error)]
#[error("stored {what} is not valid: {value}")]
pub(crate) struct Corrupt {
    what: &'static str,
    value: String,
}

pub(crate) fn corrupt(what: &'static str, value: impl ToString) -> StoreError {
    backend(Corrupt {
        what,
        value: value.to_string(),
    })
}

/// A value as a JSON document, for a JSONB column.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(value).map_err(backend)
}

/// A value as JSON text, for the text arrays that batches cast to JSONB row by row.
pub(crate) fn to_json_text<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(backend)
}

fn from_json<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, StoreError> {
    serde_json::from_value(value).map_err(backend)
}

fn get<'r, T>(row: &'r PgRow, index: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(index).map_err(backend)
}

fn get_u32(row: &PgRow, index: &str) -> Result<u32, StoreError> {
    let v: i64 = get(row, index)?;
    u32::try_from(v).map_err(|_| corrupt("count", v))
}

fn get_u64(row: &PgRow, index: &str) -> Result<u64, StoreError> {
    let v: i64 = get(row, index)?;
    u64::try_from(v).map_err(|_| corrupt("version", v))
}

/// A count or version for a BIGINT column.
pub(crate) fn int(v: impl Into<u64>) -> Result<i64, StoreError> {
    let v = v.into();
    i64::try_from(v).map_err(|_| corrupt("number", v))
}

// ------------------------------------------------------------------ enum names

pub(crate) fn channel_name(c: Channel) -> &'static str {
    match c {
        Channel::Email => "email",
        Channel::Sms => "sms",
    }
}

pub(crate) fn channel(s: &str) -> Result<Channel, StoreError> {
    match s {
        "email" => Ok(Channel::Email),
        "sms" => Ok(Channel::Sms),
        other => Err(corrupt("channel", other)),
    }
}

pub(crate) fn seat_policy_name(p: SeatPolicy) -> &'static str {
    match p {
        SeatPolicy::ClaimOnSignup => "claim_on_signup",
        SeatPolicy::ReserveOnInvite => "reserve_on_invite",
    }
}

pub(crate) fn is_reserve_on_invite(s: &str) -> bool {
    s == "reserve_on_invite"
}

pub(crate) fn completed_by_name(c: CompletedBy) -> &'static str {
    match c {
        CompletedBy::FirstLogin => "first_login",
        CompletedBy::Admin => "admin",
    }
}

fn completed_by(s: &str) -> Result<CompletedBy, StoreError> {
    match s {
        "first_login" => Ok(CompletedBy::FirstLogin),
        "admin" => Ok(CompletedBy::Admin),
        other => Err(corrupt("completed_by", other)),
    }
}

pub(crate) fn kind_name(k: MessageKind) -> &'static str {
    match k {
        MessageKind::Invitation => "invitation",
        MessageKind::Resend => "resend",
        MessageKind::Reminder => "reminder",
        MessageKind::FollowUp => "follow_up",
        MessageKind::AcceptedNotice => "accepted_notice",
    }
}

fn message_kind(s: &str) -> Result<MessageKind, StoreError> {
    match s {
        "invitation" => Ok(MessageKind::Invitation),
        "resend" => Ok(MessageKind::Resend),
        "reminder" => Ok(MessageKind::Reminder),
        "follow_up" => Ok(MessageKind::FollowUp),
        "accepted_notice" => Ok(MessageKind::AcceptedNotice),
        other => Err(corrupt("message kind", other)),
    }
}

/// The name `invitation_status` uses for a status.
pub(crate) fn status_name(s: Status) -> &'static str {
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

pub(crate) fn status(s: &str) -> Result<Status, StoreError> {
    Status::ALL
        .into_iter()
        .find(|st| status_name(*st) == s)
        .ok_or_else(|| corrupt("status", s))
}

/// The name `invitation_in_tab` uses for a tab.
pub(crate) fn tab_name(t: Tab) -> &'static str {
    match t {
        Tab::All => "all",
        Tab::Pending => "pending",
        Tab::NeverUsed => "never_used",
        Tab::ExpiredOrFailed => "expired_or_failed",
        Tab::Completed => "completed",
    }
}

/// The kind column and the MSP of an organization kind.
pub(crate) fn org_kind(k: OrgKind) -> (&'static str, Option<Uuid>) {
    match k {
        OrgKind::Standalone => ("standalone", None),
        OrgKind::Msp => ("msp", None),
        OrgKind::Client { msp } => ("client", Some(msp.0)),
    }
}

/// The outbox state as `(state, sent_at, state_reason)`.
pub(crate) fn outbox_state(s: &OutboxState) -> (&'static str, Option<DateTime<Utc>>, Option<&str>) {
    match s {
        OutboxState::Pending => ("pending", None, None),
        OutboxState::Sent { at } => ("sent", Some(*at), None),
        OutboxState::Dead { reason } => ("dead", None, Some(reason)),
        OutboxState::Dropped { reason } => ("dropped", None, Some(reason)),
    }
}

/// The variant name of an audit action ('Delivered', 'SignedUp', ...) from its JSON text:
/// serde writes a unit variant as `"Name"` and a variant with data as `{"Name":...}`.
pub(crate) fn audit_kind(action_json: &str) -> Result<String, StoreError> {
    let name = action_json
        .strip_prefix('"')
        .or_else(|| action_json.strip_prefix("{\""))
        .and_then(|rest| rest.split('"').next())
        .filter(|name| !name.is_empty());
    name.map(str::to_owned)
        .ok_or_else(|| corrupt("audit action", action_json))
}

// ------------------------------------------------------------------ rows

/// The names of the organization columns in a row: `ORGANIZATION`'s, or prefixed.
pub(crate) struct OrganizationColumns {
    id: &'static str,
    name: &'static str,
    kind: &'static str,
    msp_id: &'static str,
    settings: &'static str,
    version: &'static str,
}

impl OrganizationColumns {
    /// As `organization_columns!` names them.
    pub(crate) const PLAIN: Self = Self {
        id: "id",
        name: "name",
        kind: "kind",
        msp_id: "msp_id",
        settings: "settings",
        version: "version",
    };
    /// Prefixed `o_`, beside an invitation's in one row (`SIGNUP_READS`).
    pub(crate) const PREFIXED: Self = Self {
        id: "o_id",
        name: "o_name",
        kind: "o_kind",
        msp_id: "o_msp_id",
        settings: "o_settings",
        version: "o_version",
    };
}

pub(crate) fn organization(row: &PgRow) -> Result<Organization, StoreError> {
    organization_in(row, &OrganizationColumns::PLAIN)
}

/// The organization in `row` under the column names `c`.
pub(crate) fn organization_in(
    row: &PgRow,
    c: &OrganizationColumns,
) -> Result<Organization, StoreError> {
    let kind: String = get(row, c.kind)?;
    let msp: Option<Uuid> = get(row, c.msp_id)?;
    let kind = match (kind.as_str(), msp) {
        ("standalone", None) => OrgKind::Standalone,
        ("msp", None) => OrgKind::Msp,
        ("client", Some(msp)) => OrgKind::Client { msp: OrgId(msp) },
        (other, _) => return Err(corrupt("organization kind", other)),
    };
    Ok(Organization {
        id: OrgId(get(row, c.id)?),
        name: get(row, c.name)?,
        kind,
        settings: from_json(get(row, c.settings)?)?,
        version: get_u64(row, c.version)?,
    })
}

pub(crate) fn invitation(row: &PgRow) -> Result<Invitation, StoreError> {
    let channel_s: String = get(row, "channel")?;
    let completed_at: Option<DateTime<Utc>> = get(row, "completed_at")?;
    let completed_by_s: Option<String> = get(row, "completed_by")?;
    let completed = match (completed_at, completed_by_s) {
        (Some(at), Some(by)) => Some((at, completed_by(&by)?)),
        (None, None) => None,
        _ => return Err(corrupt("completion", "half set")),
    };
    let closed_at: Option<DateTime<Utc>> = get(row, "closed_at")?;
    let close_reason: Option<serde_json::Value> = get(row, "close_reason")?;
    let closed = match (closed_at, close_reason) {
        (Some(at), Some(reason)) => Some((at, from_json(reason)?)),
        (None, None) => None,
        _ => return Err(corrupt("closing", "half set")),
    };
    let failure: Option<serde_json::Value> = get(row, "failure")?;
    Ok(Invitation::from_record(InvitationRecord {
        id: InvitationId(get(row, "id")?),
        org: OrgId(get(row, "org_id")?),
        contact: from_json(get(row, "contact")?)?,
        channel: channel(&channel_s)?,
        access: from_json(get(row, "access")?)?,
        user_ref: get::<Option<String>>(row, "user_ref")?.map(UserRef),
        sender: from_json(get(row, "sender")?)?,
        created_at: get(row, "created_at")?,
        last_invited_at: get(row, "last_invited_at")?,
        send_count: get_u32(row, "send_count")?,
        last_sent_at: get(row, "last_sent_at")?,
        expires_at: get(row, "expires_at")?,
        awaiting_delivery: get(row, "awaiting_delivery")?,
        link_generation: get_u32(row, "link_generation")?,
        failure: failure.map(from_json).transpose()?,
        signed_up_at: get(row, "signed_up_at")?,
        member: get::<Option<Uuid>>(row, "member_id")?.map(MemberId),
        first_login_at: get(row, "first_login_at")?,
        completed,
        last_follow_up_at: get(row, "last_follow_up_at")?,
        closed,
        options: from_json(get(row, "options")?)?,
        version: get_u64(row, "version")?,
    }))
}

pub(crate) fn member(row: &PgRow) -> Result<Member, StoreError> {
    Ok(Member {
        id: MemberId(get(row, "id")?),
        org: OrgId(get(row, "org_id")?),
        contact: from_json(get(row, "contact")?)?,
        user_ref: get::<Option<String>>(row, "user_ref")?.map(UserRef),
        access: from_json(get(row, "access")?)?,
        invitation: get::<Option<Uuid>>(row, "invitation_id")?.map(InvitationId),
        joined_at: get(row, "joined_at")?,
        removed_at: get(row, "removed_at")?,
        version: get_u64(row, "version")?,
    })
}

pub(crate) fn link(row: &PgRow) -> Result<LinkRecord, StoreError> {
    let hash: Vec<u8> = get(row, "hash")?;
    let hash: [u8; 32] = hash
        .try_into()
        .map_err(|h: Vec<u8>| corrupt("link hash length", h.len()))?;
    Ok(LinkRecord {
        hash: TokenHash(hash),
        invitation: InvitationId(get(row, "invitation_id")?),
        generation: get_u32(row, "generation")?,
        issued_at: get(row, "issued_at")?,
    })
}

pub(crate) fn message(row: &PgRow) -> Result<OutboxMessage, StoreError> {
    let state_s: String = get(row, "state")?;
    let sent_at: Option<DateTime<Utc>> = get(row, "sent_at")?;
    let reason: Option<String> = get(row, "state_reason")?;
    let state = match (state_s.as_str(), sent_at, reason) {
        ("pending", None, None) => OutboxState::Pending,
        ("sent", Some(at), None) => OutboxState::Sent { at },
        ("dead", None, Some(reason)) => OutboxState::Dead { reason },
        ("dropped", None, Some(reason)) => OutboxState::Dropped { reason },
        (other, ..) => return Err(corrupt("outbox state", other)),
    };
    let token: Option<Uuid> = get(row, "lease_token")?;
    let until: Option<DateTime<Utc>> = get(row, "lease_until")?;
    let lease = match (token, until) {
        (Some(token), Some(until)) => Some(Lease { token, until }),
        (None, None) => None,
        _ => return Err(corrupt("lease", "half set")),
    };
    let kind_s: String = get(row, "kind")?;
    let reminder_day: Option<NaiveDate> = get(row, "reminder_day")?;
    Ok(OutboxMessage {
        id: MessageId(get(row, "id")?),
        org: OrgId(get(row, "org_id")?),
        invitation: InvitationId(get(row, "invitation_id")?),
        kind: message_kind(&kind_s)?,
        link_generation: get_u32(row, "link_generation")?,
        reminder_day,
        created_at: get(row, "created_at")?,
        due_at: get(row, "due_at")?,
        attempts: get_u32(row, "attempts")?,
        last_error: get(row, "last_error")?,
        state,
        lease,
        receipt: receipt(row)?,
    })
}

/// The transport's receipt of a sent message, if it gave one.
fn receipt(row: &PgRow) -> Result<Option<Delivered>, StoreError> {
    let provider_id: Option<String> = get(row, "provider_id")?;
    let parts: Option<i64> = get(row, "parts")?;
    Ok(match (provider_id, parts) {
        (None, None) => None,
        (provider_id, parts) => Some(Delivered {
            provider_id,
            parts: parts
                .map(|p| u32::try_from(p).unwrap_or(u32::MAX))
                .unwrap_or(1),
        }),
    })
}

pub(crate) fn audit_event(row: &PgRow) -> Result<AuditEvent, StoreError> {
    let before: Option<String> = get(row, "before_status")?;
    let after: Option<String> = get(row, "after_status")?;
    let action: AuditAction = from_json(get(row, "action")?)?;
    Ok(AuditEvent {
        id: AuditId(get(row, "id")?),
        org: OrgId(get(row, "org_id")?),
        invitation: get::<Option<Uuid>>(row, "invitation_id")?.map(InvitationId),
        actor: from_json(get(row, "actor")?)?,
        at: get(row, "at")?,
        action,
        before: before.as_deref().map(status).transpose()?,
        after: after.as_deref().map(status).transpose()?,
    })
}

pub(crate) fn count(row: &PgRow, index: &str) -> Result<u64, StoreError> {
    let v: i64 = get(row, index)?;
    u64::try_from(v).map_err(|_| corrupt("count", v))
}

pub(crate) fn text(row: &PgRow, index: &str) -> Result<String, StoreError> {
    get(row, index)
}

pub(crate) fn flag(row: &PgRow, index: &str) -> Result<bool, StoreError> {
    get(row, index)
}

pub(crate) fn limit(row: &PgRow, index: &str) -> Result<u32, StoreError> {
    get_u32(row, index)
}

pub(crate) fn day(row: &PgRow, index: &str) -> Result<NaiveDate, StoreError> {
    get(row, index)
}

pub(crate) fn uuid(row: &PgRow, index: &str) -> Result<Uuid, StoreError> {
    get(row, index)
}
