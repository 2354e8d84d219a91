//! Organizations, their settings, and the reads of a dashboard: counts, seats, series, audit
//! trail, application users' statuses.

use super::{Errors, JsonBody, PathOf, QueryOf};
use crate::auth::CurrentActor;
use crate::dto::{OrganizationJson, status_code};
use crate::error::{ApiError, ApiResult};
use crate::schema::{AuditEventSchema, DashboardSchema, SeatsSchema, SeriesSchema};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{NaiveDate, NaiveTime, TimeDelta};
use invite_core::decide::authorize;
use invite_core::{
    AllowedChannels, AuditEvent, Dashboard, InvitationId, Language, OrgId, OrgKind, OrgSettings,
    Organization, Refusal, SeatPolicy, Seats, Series, SettingsUpdate, UserRef, UserStatus,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A new organization (the vendor's operator only).
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateOrganization {
    /// Its name.
    pub name: String,
    /// `standalone`, `msp` or `client`.
    pub kind: String,
    /// For a client: its MSP.
    #[serde(default)]
    pub msp: Option<Uuid>,
    /// Seat limit.
    pub seat_limit: u32,
    /// `en` (default) or `ru`.
    #[serde(default)]
    pub language: Option<String>,
    /// IANA time zone (default UTC).
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Daily reminders on (default off).
    #[serde(default)]
    pub reminders_enabled: bool,
    /// Only e-mail invitations (default: e-mail and SMS).
    #[serde(default)]
    pub email_only: bool,
}

/// Settings to change; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct UpdateSettings {
    /// Link validity in hours.
    pub validity_hours: Option<i64>,
    /// Local reminder time, `HH:MM`.
    pub reminder_time: Option<String>,
    /// IANA time zone.
    pub time_zone: Option<String>,
    /// E-mail allowed: the operator's setting; an admin who sends it is refused with
    /// `operator_setting`.
    pub email_allowed: Option<bool>,
    /// SMS allowed: the operator's, like `email_allowed` ("e-mail only", issue 11).
    pub sms_allowed: Option<bool>,
    /// `en` or `ru`.
    pub language: Option<String>,
    /// Resend cool-down in seconds.
    pub resend_cooldown_seconds: Option<i64>,
}

/// A seat limit.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SeatLimit {
    /// The new limit.
    pub limit: u32,
}

/// A seat policy.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SeatPolicyBody {
    /// `claim_on_signup` or `reserve_on_invite`.
    pub policy: String,
}

/// The reminder switch.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Reminders {
    /// On or off.
    pub enabled: bool,
}

/// A range of local days.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesRange {
    /// First day (default: 13 days before `to`).
    pub from: Option<NaiveDate>,
    /// Last day (default: today in the organization's time zone).
    pub to: Option<NaiveDate>,
}

/// Audit trail filter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Only this invitation's events.
    pub invitation: Option<Uuid>,
}

/// Application users to look up.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UserStatusQuery {
    /// The application's user ids.
    pub users: Vec<String>,
}

/// Where one application user stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserStatusJson {
    /// The user id.
    pub user: String,
    /// `not_invited`, or the status of the user's latest invitation.
    pub status: &'static str,
}

fn language(code: Option<&str>) -> Result<Option<Language>, Refusal> {
    match code {
        None => Ok(None),
        Some("en") => Ok(Some(Language::En)),
        Some("ru") => Ok(Some(Language::Ru)),
        Some(other) => Err(Refusal::InvalidSetting(format!(
            "unknown language {other:?}"
        ))),
    }
}

fn time_zone(name: Option<&str>) -> Result<Option<chrono_tz::Tz>, Refusal> {
    name.map(|n| {
        n.parse()
            .map_err(|_| Refusal::InvalidSetting(format!("unknown time zone {n:?}")))
    })
    .transpose()
}

/// Creates an organization (operator only).
#[utoipa::path(post, path = "/api/orgs", request_body = CreateOrganization,
    responses((status = 201, body = OrganizationJson), Errors), tag = "organizations")]
pub async fn create_organization(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    JsonBody(body): JsonBody<CreateOrganization>,
) -> ApiResult<(StatusCode, Json<OrganizationJson>)> {
    let kind = match (body.kind.as_str(), body.msp) {
        ("standalone", _) => OrgKind::Standalone,
        ("msp", _) => OrgKind::Msp,
        ("client", Some(msp)) => OrgKind::Client { msp: OrgId(msp) },
        ("client", None) => {
            return Err(Refusal::InvalidSetting("a client names its msp".into()).into());
        }
        (other, _) => {
            return Err(Refusal::InvalidSetting(format!("unknown kind {other:?}")).into());
        }
    };
    let mut settings = OrgSettings::with_seats(body.seat_limit);
    settings.language = language(body.language.as_deref())?.unwrap_or_default();
    settings.time_zone = time_zone(body.time_zone.as_deref())?.unwrap_or(chrono_tz::UTC);
    settings.reminders_enabled = body.reminders_enabled;
    if body.email_only {
        settings.channels = AllowedChannels::EMAIL_ONLY;
    }
    let org = state
        .service
        .create_organization(&actor, &body.name, kind, settings)
        .await?;
    state.catalog.organization_created(&org).await;
    Ok((StatusCode::CREATED, Json((&org).into())))
}

/// Loads an organization the actor may read.
pub(crate) async fn load_org(
    state: &AppState,
    actor: &invite_core::Actor,
    org: OrgId,
) -> Result<Organization, ApiError> {
    authorize::reader_of(actor, org)?;
    state
        .store()
        .organization(org)
        .await
        .map_err(invite_core::Error::from)?
        .ok_or_else(|| Refusal::OrganizationNotFound(org).into())
}

/// An organization and its settings (any reader).
#[utoipa::path(get, path = "/api/orgs/{org}", params(("org" = Uuid, Path, description = "organization id")),
    responses((status = 200, body = OrganizationJson), Errors), tag = "organizations")]
pub async fn organization(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
) -> ApiResult<Json<OrganizationJson>> {
    Ok(Json((&load_org(&state, &actor, OrgId(org)).await?).into()))
}

/// Changes settings (admins); the allowed channels are the operator's.
#[utoipa::path(patch, path = "/api/orgs/{org}/settings", params(("org" = Uuid, Path, description = "organization id")),
    request_body = UpdateSettings, responses((status = 200, body = OrganizationJson), Errors), tag = "organizations")]
pub async fn update_settings(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
    JsonBody(body): JsonBody<UpdateSettings>,
) -> ApiResult<Json<OrganizationJson>> {
    let current = load_org(&state, &actor, OrgId(org)).await?;
    let reminder_time = body
        .reminder_time
        .as_deref()
        .map(|t| {
            NaiveTime::parse_from_str(t, "%H:%M")
                .map_err(|_| Refusal::InvalidSetting(format!("reminder_time {t:?} is not HH:MM")))
        })
        .transpose()?;
    let channels = match (body.email_allowed, body.sms_allowed) {
        (None, None) => None,
        (e, s) => Some(AllowedChannels {
            email: e.unwrap_or(current.settings.channels.email),
            sms: s.unwrap_or(current.settings.channels.sms),
        }),
    };
    let rest = SettingsUpdate {
        validity: body.validity_hours.map(TimeDelta::hours),
        reminder_time,
        time_zone: time_zone(body.time_zone.as_deref())?,
        channels: None,
        language: language(body.language.as_deref())?,
        resend_cooldown: body.resend_cooldown_seconds.map(TimeDelta::seconds),
        // The per-invitation validity bounds (issue 11) are not on this form yet.
        ..SettingsUpdate::default()
    };
    // The channels ("e-mail only") are the operator's setting (issue 11, point 6): from the
    // operator, asking for the channels alone, they go through the core's own command; any
    // other update stays one call of `update_settings`, where the core refuses what the
    // actor may not change (an admin's channels with `operator_setting`, the operator's
    // other settings as an admin's), so a refused request changes nothing.
    if let (invite_core::Actor::Operator { .. }, Some(c)) = (&actor, channels) {
        if rest == SettingsUpdate::default() {
            let org = state.service.change_channels(&actor, OrgId(org), c).await?;
            return Ok(Json((&org).into()));
        }
    }
    let update = SettingsUpdate { channels, ..rest };
    let org = state
        .service
        .update_settings(&actor, OrgId(org), update)
        .await?;
    Ok(Json((&org).into()))
}

/// Sets the seat limit (operator only).
#[utoipa::path(put, path = "/api/orgs/{org}/seat-limit", params(("org" = Uuid, Path, description = "organization id")),
    request_body = SeatLimit, responses((status = 200, body = OrganizationJson), Errors), tag = "organizations")]
pub async fn set_seat_limit(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
    JsonBody(body): JsonBody<SeatLimit>,
) -> ApiResult<Json<OrganizationJson>> {
    let org = state
        .service
        .change_seat_limit(&actor, OrgId(org), body.limit)
        .await?;
    Ok(Json((&org).into()))
}

/// Sets the seat policy (operator only).
#[utoipa::path(put, path = "/api/orgs/{org}/seat-policy", params(("org" = Uuid, Path, description = "organization id")),
    request_body = SeatPolicyBody, responses((status = 200, body = OrganizationJson), Errors), tag = "organizations")]
pub async fn set_seat_policy(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
    JsonBody(body): JsonBody<SeatPolicyBody>,
) -> ApiResult<Json<OrganizationJson>> {
    let policy = match body.policy.as_str() {
        "claim_on_signup" => SeatPolicy::ClaimOnSignup,
        "reserve_on_invite" => SeatPolicy::ReserveOnInvite,
        other => return Err(Refusal::InvalidSetting(format!("unknown policy {other:?}")).into()),
    };
    let org = state
        .service
        .change_seat_policy(&actor, OrgId(org), policy)
        .await?;
    Ok(Json((&org).into()))
}

/// Switches daily reminders on or off (admins).
#[utoipa::path(put, path = "/api/orgs/{org}/reminders", params(("org" = Uuid, Path, description = "organization id")),
    request_body = Reminders, responses((status = 200, body = OrganizationJson), Errors), tag = "organizations")]
pub async fn set_reminders(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
    JsonBody(body): JsonBody<Reminders>,
) -> ApiResult<Json<OrganizationJson>> {
    let org = state
        .service
        .set_reminders(&actor, OrgId(org), body.enabled)
        .await?;
    Ok(Json((&org).into()))
}

/// The clients of an MSP (any reader of the MSP).
#[utoipa::path(get, path = "/api/orgs/{org}/clients", params(("org" = Uuid, Path, description = "MSP id")),
    responses((status = 200, body = Vec<OrganizationJson>), Errors), tag = "organizations")]
pub async fn clients(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
) -> ApiResult<Json<Vec<OrganizationJson>>> {
    load_org(&state, &actor, OrgId(org)).await?;
    let clients = state
        .catalog
        .clients_of(&**state.store(), OrgId(org))
        .await?;
    Ok(Json(clients.iter().map(OrganizationJson::from).collect()))
}

/// Counts per tab, seats, invited by channel, reminder switch (any reader).
#[utoipa::path(get, path = "/api/orgs/{org}/dashboard", params(("org" = Uuid, Path, description = "organization id")),
    responses((status = 200, body = DashboardSchema), Errors), tag = "reads")]
pub async fn dashboard(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
) -> ApiResult<Json<Dashboard>> {
    Ok(Json(state.service.dashboard(&actor, OrgId(org)).await?))
}

/// Seats: limit, used, available (any reader).
#[utoipa::path(get, path = "/api/orgs/{org}/seats", params(("org" = Uuid, Path, description = "organization id")),
    responses((status = 200, body = SeatsSchema), Errors), tag = "reads")]
pub async fn seats(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
) -> ApiResult<Json<Seats>> {
    Ok(Json(state.service.seats(&actor, OrgId(org)).await?))
}

/// The default range of the graphs: the 14 local days ending today.
pub(crate) fn default_range(state: &AppState, org: &Organization) -> (NaiveDate, NaiveDate) {
    let today = state
        .now()
        .with_timezone(&org.settings.time_zone)
        .date_naive();
    (today - TimeDelta::days(13), today)
}

/// Daily sent, signups, first logins, and the completion share (any reader).
#[utoipa::path(get, path = "/api/orgs/{org}/series", params(("org" = Uuid, Path, description = "organization id"), SeriesRange),
    responses((status = 200, body = SeriesSchema), Errors), tag = "reads")]
pub async fn series(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
    QueryOf(range): QueryOf<SeriesRange>,
) -> ApiResult<Json<Series>> {
    let o = load_org(&state, &actor, OrgId(org)).await?;
    let to = range.to.unwrap_or(default_range(&state, &o).1);
    let from = range.from.unwrap_or(to - TimeDelta::days(13));
    let series = state.service.series(&actor, OrgId(org), from, to).await?;
    Ok(Json(series))
}

/// The audit trail of an organization or one invitation, whole, oldest first (any reader);
/// page it with `/events`.
#[utoipa::path(get, path = "/api/orgs/{org}/audit", params(("org" = Uuid, Path, description = "organization id"), AuditFilter),
    responses((status = 200, body = Vec<AuditEventSchema>), Errors), tag = "reads")]
pub async fn audit(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
    QueryOf(filter): QueryOf<AuditFilter>,
) -> ApiResult<Json<Vec<AuditEvent>>> {
    let events = state
        .service
        .audit_trail(&actor, OrgId(org), filter.invitation.map(InvitationId))
        .await?;
    Ok(Json(events))
}

/// Where each application user stands: `not_invited` or their latest invitation's status.
#[utoipa::path(post, path = "/api/orgs/{org}/user-statuses", params(("org" = Uuid, Path, description = "organization id")),
    request_body = UserStatusQuery, responses((status = 200, body = Vec<UserStatusJson>), Errors), tag = "reads")]
pub async fn user_statuses(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
    JsonBody(body): JsonBody<UserStatusQuery>,
) -> ApiResult<Json<Vec<UserStatusJson>>> {
    let users: Vec<UserRef> = body.users.into_iter().map(UserRef::new).collect();
    let statuses = state
        .service
        .status_of_users(&actor, OrgId(org), &users)
        .await?;
    Ok(Json(
        statuses
            .into_iter()
            .map(|(u, s)| UserStatusJson {
                user: u.as_str().to_owned(),
                status: match s {
                    UserStatus::NotInvited => "not_invited",
                    UserStatus::Invited(s) => status_code(s),
                },
            })
            .collect(),
    ))
}
