//! Members: the list (stand-in until the core's, issue 11), details, adding one directly,
//! removing one, and the first login the application reports.

use super::{Errors, JsonBody, PathOf};
use crate::auth::CurrentActor;
use crate::dto::{AccessJson, MemberDetailsJson, MemberJson};
use crate::error::ApiResult;
use crate::standin::members;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use invite_core::{MemberId, OrgId, Refusal, UserRef, parse_address};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A member added without an invitation.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AddMember {
    /// E-mail or phone.
    pub address: String,
    /// The application's user id.
    #[serde(default)]
    pub user_ref: Option<String>,
    /// Access.
    pub access: AccessJson,
}

/// The active members of an organization, with the invitation each came by (any reader).
#[utoipa::path(get, path = "/api/orgs/{org}/members", params(("org" = Uuid, Path, description = "organization id")),
    responses((status = 200, body = Vec<MemberDetailsJson>), Errors), tag = "members")]
pub async fn members(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
) -> ApiResult<Json<Vec<MemberDetailsJson>>> {
    let list = members::list(&state.service, &*state.catalog, &actor, OrgId(org)).await?;
    Ok(Json(list.iter().map(MemberDetailsJson::from).collect()))
}

/// Adds a member without an invitation (the first admin, say); takes a seat (operator or
/// admins).
#[utoipa::path(post, path = "/api/orgs/{org}/members", params(("org" = Uuid, Path, description = "organization id")),
    request_body = AddMember, responses((status = 201, body = MemberJson), Errors), tag = "members")]
pub async fn add_member(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
    JsonBody(body): JsonBody<AddMember>,
) -> ApiResult<(StatusCode, Json<MemberJson>)> {
    let contact = parse_address(&body.address).map_err(Refusal::from)?;
    let access = body.access.to_access()?;
    let member = state
        .service
        .add_member(
            &actor,
            OrgId(org),
            contact,
            body.user_ref.map(UserRef::new),
            access,
        )
        .await?;
    state.catalog.member_added(&member).await;
    Ok((StatusCode::CREATED, Json((&member).into())))
}

/// One member with the invitation they came by (any reader of its organization).
#[utoipa::path(get, path = "/api/members/{id}", params(("id" = Uuid, Path, description = "member id")),
    responses((status = 200, body = MemberDetailsJson), Errors), tag = "members")]
pub async fn member(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(id): PathOf<Uuid>,
) -> ApiResult<Json<MemberDetailsJson>> {
    let entry = members::details(&state.service, &actor, MemberId(id)).await?;
    Ok(Json((&entry).into()))
}

/// Removes a member and frees the seat (admins).
#[utoipa::path(delete, path = "/api/members/{id}", params(("id" = Uuid, Path, description = "member id")),
    responses((status = 200, body = MemberJson), Errors), tag = "members")]
pub async fn remove_member(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(id): PathOf<Uuid>,
) -> ApiResult<Json<MemberJson>> {
    let member = state.service.remove_member(&actor, MemberId(id)).await?;
    Ok(Json((&member).into()))
}

/// Records the member's first login: Never Used becomes Completed (the application, the
/// member, or an admin).
#[utoipa::path(post, path = "/api/members/{id}/first-login", params(("id" = Uuid, Path, description = "member id")),
    responses((status = 204, description = "recorded"), Errors), tag = "members")]
pub async fn first_login(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(id): PathOf<Uuid>,
) -> ApiResult<StatusCode> {
    state
        .service
        .record_first_login(&actor, MemberId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
