//! Invitations: lists, invite one / many / directory users, one invitation, and its actions.

use super::{Errors, JsonBody, PathOf, QueryOf};
use crate::auth::CurrentActor;
use crate::dto::{AccessJson, InvitationJson, OutcomeJson, PageJson};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use invite_core::{
    Channel, Cursor, DirectoryUser, InvitationId, InviteOutcome, ListQuery, OrgId, SortKey,
    SortOrder, Tab, UserRef, parse_address,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A list query: tab, search, sort, keyset cursor, page size.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `all` (default), `pending`, `never_used`, `expired_or_failed`, `completed`.
    pub tab: Option<String>,
    /// Case-insensitive part of the address.
    pub q: Option<String>,
    /// `last_invited` (default) or `signed_up`.
    pub sort: Option<String>,
    /// `newest` (default) or `oldest`.
    pub order: Option<String>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[serde(default, deserialize_with = "number_or_text")]
    pub limit: Option<u32>,
    /// Invitation type: `admin` or `user`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub invitation_type: Option<String>,
    /// An admin permission level, as the organization names it.
    pub permission_level: Option<String>,
    /// A role: `admin` or `read_only`.
    pub role: Option<String>,
    /// A client organization of an MSP grant (empty: any, as a form's "any" option sends).
    #[serde(default, deserialize_with = "empty_as_none")]
    pub client: Option<Uuid>,
    /// The sender's application user id.
    pub sender: Option<String>,
    /// `email` or `sms`.
    pub channel: Option<String>,
}

/// An optional id where an empty value means none: the admin page's filter form sends
/// `client=` for "any client".
fn empty_as_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Uuid>, D::Error> {
    let text: Option<String> = Option::deserialize(d)?;
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(id) => id.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// A number given as a number or as text. A query string's values are text, and serde
/// hands them to a number field as text once the parameters are flattened into another
/// struct (the admin page's `DashboardParams`), where a plain `u32` refuses them.
fn number_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        Number(u32),
        Text(String),
    }
    match Option::<Given>::deserialize(d)? {
        None => Ok(None),
        Some(Given::Number(n)) => Ok(Some(n)),
        Some(Given::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(Given::Text(t)) => t.trim().parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// The tab of a snake_case name.
pub fn tab_of(name: &str) -> Option<Tab> {
    Some(match name {
        "all" => Tab::All,
        "pending" => Tab::Pending,
        "never_used" => Tab::NeverUsed,
        "expired_or_failed" => Tab::ExpiredOrFailed,
        "completed" => Tab::Completed,
        _ => return None,
    })
}

impl ListParams {
    /// The core's query, or what is wrong with the parameters.
    pub fn to_query(&self) -> Result<ListQuery, ApiError> {
        let bad = |what: &str| ApiError::BadRequest(what.to_owned());
        let tab = match self.tab.as_deref() {
            None | Some("") => Tab::All,
            Some(t) => tab_of(t).ok_or_else(|| bad("unknown tab"))?,
        };
        let mut q = ListQuery::tab(tab);
        q.search = self.q.clone().filter(|s| !s.trim().is_empty());
        q.sort = match self.sort.as_deref() {
            None | Some("") | Some("last_invited") => SortKey::LastInvited,
            Some("signed_up") => SortKey::SignedUp,
            Some(_) => return Err(bad("sort is last_invited or signed_up")),
        };
        q.order = match self.order.as_deref() {
            None | Some("") | Some("newest") => SortOrder::NewestFirst,
            Some("oldest") => SortOrder::OldestFirst,
            Some(_) => return Err(bad("order is newest or oldest")),
        };
        q.after = match self.after.as_deref() {
            None | Some("") => None,
            Some(c) => Some(Cursor::decode(c).ok_or_else(|| bad("after is not a cursor"))?),
        };
        if let Some(limit) = self.limit {
            q.limit = limit;
        }
        let some = |o: &Option<String>| o.clone().filter(|s| !s.trim().is_empty());
        q.filter.invitation_type = match some(&self.invitation_type).as_deref() {
            None => None,
            Some("admin") => Some(invite_core::filter::TypeFilter::Admin),
            Some("user") => Some(invite_core::filter::TypeFilter::User),
            Some(_) => return Err(bad("type is admin or user")),
        };
        q.filter.permission_level = some(&self.permission_level);
        q.filter.role = match some(&self.role).as_deref() {
            None => None,
            Some("admin") => Some(invite_core::Role::Admin),
            Some("read_only") => Some(invite_core::Role::ReadOnly),
            Some(_) => return Err(bad("role is admin or read_only")),
        };
        q.filter.client = self.client.map(invite_core::OrgId);
        q.filter.sender = some(&self.sender).map(invite_core::UserRef::new);
        q.filter.channel = match some(&self.channel).as_deref() {
            None => None,
            Some(c) => Some(channel_of(c)?),
        };
        Ok(q)
    }
}

/// One invitation.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InviteOne {
    /// E-mail address or phone number (E.164).
    pub address: String,
    /// `email` or `sms` (default: from the address).
    #[serde(default)]
    pub channel: Option<String>,
    /// What it grants.
    pub access: AccessJson,
}

/// Several addresses with the same access.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InviteMany {
    /// E-mail addresses (sent by e-mail) and phone numbers (sent by SMS).
    pub addresses: Vec<String>,
    /// What they are granted.
    pub access: AccessJson,
}

/// A user of the application's directory.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DirectoryUserJson {
    /// The application's user id.
    pub user: String,
    /// E-mail from the profile.
    pub email: Option<String>,
    /// Phone from the profile.
    pub phone: Option<String>,
}

/// Directory users to invite by one channel.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InviteDirectory {
    /// The users.
    pub users: Vec<DirectoryUserJson>,
    /// `email` or `sms`.
    pub channel: String,
    /// What they are granted.
    pub access: AccessJson,
}

/// New access for an invitation not yet signed up.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EditAccess {
    /// The access.
    pub access: AccessJson,
}

fn channel_of(name: &str) -> Result<Channel, ApiError> {
    match name {
        "email" => Ok(Channel::Email),
        "sms" => Ok(Channel::Sms),
        _ => Err(ApiError::BadRequest("channel is email or sms".into())),
    }
}

fn outcomes(state: &AppState, list: Vec<InviteOutcome>) -> Vec<OutcomeJson> {
    let now = state.now();
    list.into_iter()
        .map(|o| {
            let result = o
                .result
                .map(|inv| InvitationJson::of(&inv, inv.status_at(now)))
                .map_err(invite_core::Error::from);
            OutcomeJson::of(o.input, result)
        })
        .collect()
}

/// One page of a tab, searched and sorted, with keyset paging (any reader).
#[utoipa::path(get, path = "/api/orgs/{org}/invitations", params(("org" = Uuid, Path, description = "organization id"), ListParams),
    responses((status = 200, body = PageJson), Errors), tag = "invitations")]
pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
    QueryOf(params): QueryOf<ListParams>,
) -> ApiResult<Json<PageJson>> {
    let query = params.to_query()?;
    let page = state.service.list(&actor, OrgId(org), &query).await?;
    Ok(Json(PageJson::of(&page)))
}

/// Invites one address (admins).
#[utoipa::path(post, path = "/api/orgs/{org}/invitations", params(("org" = Uuid, Path, description = "organization id")),
    request_body = InviteOne, responses((status = 201, body = InvitationJson), Errors), tag = "invitations")]
pub async fn invite(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
    JsonBody(body): JsonBody<InviteOne>,
) -> ApiResult<(StatusCode, Json<InvitationJson>)> {
    let contact = parse_address(&body.address).map_err(invite_core::Refusal::from)?;
    let channel = match body.channel.as_deref() {
        Some(c) => channel_of(c)?,
        None if contact.email_address().is_some() => Channel::Email,
        None => Channel::Sms,
    };
    let access = body.access.to_access()?;
    let inv = state
        .service
        .invite(&actor, OrgId(org), contact, channel, access)
        .await?;
    let status = inv.status_at(state.now());
    Ok((StatusCode::CREATED, Json(InvitationJson::of(&inv, status))))
}

/// Invites several addresses with one access; an answer per address (admins).
#[utoipa::path(post, path = "/api/orgs/{org}/invitations/bulk", params(("org" = Uuid, Path, description = "organization id")),
    request_body = InviteMany, responses((status = 200, body = Vec<OutcomeJson>), Errors), tag = "invitations")]
pub async fn invite_many(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
    JsonBody(body): JsonBody<InviteMany>,
) -> ApiResult<Json<Vec<OutcomeJson>>> {
    let access = body.access.to_access()?;
    let addresses: Vec<&str> = body
        .addresses
        .iter()
        .map(|a| a.trim())
        .filter(|a| !a.is_empty())
        .collect();
    let list = state
        .service
        .invite_many(&actor, OrgId(org), &addresses, access)
        .await?;
    Ok(Json(outcomes(&state, list)))
}

/// Invites users of the application's directory by one channel; an answer per user (admins).
#[utoipa::path(post, path = "/api/orgs/{org}/invitations/directory", params(("org" = Uuid, Path, description = "organization id")),
    request_body = InviteDirectory, responses((status = 200, body = Vec<OutcomeJson>), Errors), tag = "invitations")]
pub async fn invite_directory(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
    JsonBody(body): JsonBody<InviteDirectory>,
) -> ApiResult<Json<Vec<OutcomeJson>>> {
    let access = body.access.to_access()?;
    let channel = channel_of(&body.channel)?;
    let users: Vec<DirectoryUser> = body
        .users
        .into_iter()
        .map(|u| DirectoryUser {
            user: UserRef::new(u.user),
            email: u.email,
            phone: u.phone,
        })
        .collect();
    let list = state
        .service
        .invite_directory_users(&actor, OrgId(org), &users, channel, access)
        .await?;
    Ok(Json(outcomes(&state, list)))
}

/// Answers an invitation as JSON, at now.
async fn view(
    state: &AppState,
    actor: &invite_core::Actor,
    id: InvitationId,
) -> ApiResult<Json<InvitationJson>> {
    let v = state.service.invitation(actor, id).await?;
    Ok(Json(InvitationJson::of(&v.invitation, v.status)))
}

/// One invitation with its status and allowed actions (any reader of its organization).
#[utoipa::path(get, path = "/api/invitations/{id}", params(("id" = Uuid, Path, description = "invitation id")),
    responses((status = 200, body = InvitationJson), Errors), tag = "invitations")]
pub async fn invitation(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(id): PathOf<Uuid>,
) -> ApiResult<Json<InvitationJson>> {
    view(&state, &actor, InvitationId(id)).await
}

/// Resends: a new link, older ones die; 60 s cool-down (admins).
#[utoipa::path(post, path = "/api/invitations/{id}/resend", params(("id" = Uuid, Path, description = "invitation id")),
    responses((status = 200, body = InvitationJson), Errors), tag = "actions")]
pub async fn resend(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(id): PathOf<Uuid>,
) -> ApiResult<Json<InvitationJson>> {
    state.service.resend(&actor, InvitationId(id)).await?;
    view(&state, &actor, InvitationId(id)).await
}

/// Cancels ("deletes"): the invitation leaves the lists, its links die (admins).
#[utoipa::path(post, path = "/api/invitations/{id}/cancel", params(("id" = Uuid, Path, description = "invitation id")),
    responses((status = 200, body = InvitationJson), Errors), tag = "actions")]
pub async fn cancel(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(id): PathOf<Uuid>,
) -> ApiResult<Json<InvitationJson>> {
    state.service.cancel(&actor, InvitationId(id)).await?;
    view(&state, &actor, InvitationId(id)).await
}

/// Changes the access of an invitation not yet signed up (admins).
#[utoipa::path(put, path = "/api/invitations/{id}/access", params(("id" = Uuid, Path, description = "invitation id")),
    request_body = EditAccess, responses((status = 200, body = InvitationJson), Errors), tag = "actions")]
pub async fn edit_access(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(id): PathOf<Uuid>,
    JsonBody(body): JsonBody<EditAccess>,
) -> ApiResult<Json<InvitationJson>> {
    let access = body.access.to_access()?;
    state
        .service
        .edit_access(&actor, InvitationId(id), access)
        .await?;
    view(&state, &actor, InvitationId(id)).await
}

/// Marks a Never Used invitation completed, for a user who needs no agent (admins).
#[utoipa::path(post, path = "/api/invitations/{id}/mark-completed", params(("id" = Uuid, Path, description = "invitation id")),
    responses((status = 200, body = InvitationJson), Errors), tag = "actions")]
pub async fn mark_completed(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(id): PathOf<Uuid>,
) -> ApiResult<Json<InvitationJson>> {
    state
        .service
        .mark_completed(&actor, InvitationId(id))
        .await?;
    view(&state, &actor, InvitationId(id)).await
}

/// Sends a follow-up to a Never Used member, at most once a day (admins).
#[utoipa::path(post, path = "/api/invitations/{id}/follow-up", params(("id" = Uuid, Path, description = "invitation id")),
    responses((status = 200, body = InvitationJson), Errors), tag = "actions")]
pub async fn follow_up(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(id): PathOf<Uuid>,
) -> ApiResult<Json<InvitationJson>> {
    state
        .service
        .send_follow_up(&actor, InvitationId(id))
        .await?;
    view(&state, &actor, InvitationId(id)).await
}
