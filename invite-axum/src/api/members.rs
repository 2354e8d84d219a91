//! Members: the core's paged member list (tabs, search, cursor), details, lookups by the
//! application's user id and by address, adding one directly, editing access after signup,
//! removing one, and the first login the application reports.

use super::{Errors, JsonBody, PathOf, QueryOf};
use crate::auth::CurrentActor;
use crate::dto::{AccessJson, MemberDetailsJson, MemberJson};
use crate::error::ApiResult;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use invite_core::{
    MemberCursor, MemberDetails, MemberId, MemberQuery, MemberTab, OrgId, Refusal, SortOrder,
    UserRef, parse_address,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
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

/// The member list's tab.
#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberTabJson {
    /// Every active member.
    #[default]
    All,
    /// Signed up, never logged in.
    NeverUsed,
    /// Logged in at least once (or added without an invitation).
    Completed,
}

/// Query parameters of the member list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberListParams {
    /// `all` (default), `never_used` or `completed`.
    #[serde(default)]
    pub tab: Option<MemberTabJson>,
    /// Part of the address or of the application's user id.
    pub search: Option<String>,
    /// `newest` (default) or `oldest`.
    pub order: Option<String>,
    /// The previous page's `next`.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
}

impl MemberListParams {
    fn to_query(&self) -> Result<MemberQuery, Refusal> {
        let tab = match self.tab.unwrap_or_default() {
            MemberTabJson::All => MemberTab::All,
            MemberTabJson::NeverUsed => MemberTab::NeverUsed,
            MemberTabJson::Completed => MemberTab::Completed,
        };
        let order = match self.order.as_deref() {
            None | Some("newest") => SortOrder::NewestFirst,
            Some("oldest") => SortOrder::OldestFirst,
            Some(_) => {
                return Err(Refusal::OutOfRange {
                    field: "order".into(),
                    allowed: "newest or oldest".into(),
                });
            }
        };
        let after = match self.after.as_deref() {
            None => None,
            Some(text) => Some(
                MemberCursor::decode(text).ok_or_else(|| Refusal::OutOfRange {
                    field: "after".into(),
                    allowed: "a cursor answered as `next`".into(),
                })?,
            ),
        };
        Ok(MemberQuery {
            search: self.search.clone(),
            order,
            after,
            limit: self.limit.unwrap_or(50),
            ..MemberQuery::tab(tab)
        })
    }
}

/// One page of the member list.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberPageJson {
    /// The members, each with the invitation they came by.
    pub rows: Vec<MemberDetailsJson>,
    /// The cursor of the next page (pass it as `after`), if there is one.
    pub next: Option<String>,
}

/// One page of an organization's active members, those added without an invitation included,
/// in a tab, searched, newest first (any reader).
#[utoipa::path(get, path = "/api/orgs/{org}/members", params(("org" = Uuid, Path, description = "organization id"), MemberListParams),
    responses((status = 200, body = MemberPageJson), Errors), tag = "members")]
pub async fn members(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
    QueryOf(params): QueryOf<MemberListParams>,
) -> ApiResult<Json<MemberPageJson>> {
    let query = params.to_query()?;
    let page = state.service.members(&actor, OrgId(org), &query).await?;
    let now = invite_core::Clock::now(state.service.clock());
    Ok(Json(MemberPageJson {
        rows: page
            .rows
            .into_iter()
            .map(|r| MemberDetailsJson::from(&MemberDetails::of(r.member, r.invitation, now)))
            .collect(),
        next: page.next.map(|c| c.encode()),
    }))
}

/// Lookup of a member by the application's user id or by address (exactly one of the two).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberLookup {
    /// The application's user id.
    pub user: Option<String>,
    /// An e-mail address or an E.164 number.
    pub address: Option<String>,
}

/// The active member of an organization known by the application's user id or reachable at
/// an address, with details; `null` if there is none, as the core answers (any reader).
#[utoipa::path(get, path = "/api/orgs/{org}/members/lookup", params(("org" = Uuid, Path, description = "organization id"), MemberLookup),
    responses((status = 200, body = Option<MemberDetailsJson>), Errors), tag = "members")]
pub async fn lookup(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
    QueryOf(q): QueryOf<MemberLookup>,
) -> ApiResult<Json<Option<MemberDetailsJson>>> {
    let org = OrgId(org);
    let found = match (q.user, q.address) {
        (Some(user), None) => {
            state
                .service
                .member_by_user(&actor, org, &UserRef::new(user))
                .await?
        }
        (None, Some(address)) => {
            state
                .service
                .member_by_address(&actor, org, &address)
                .await?
        }
        _ => {
            return Err(Refusal::OutOfRange {
                field: "user, address".into(),
                allowed: "exactly one of `user` and `address`".into(),
            }
            .into());
        }
    };
    Ok(Json(found.as_ref().map(MemberDetailsJson::from)))
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
    let details = state.service.member_details(&actor, MemberId(id)).await?;
    Ok(Json((&details).into()))
}

/// A member's new access.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EditMemberAccess {
    /// The access.
    pub access: AccessJson,
}

/// Changes a member's access after signup, audited (admins of the member's organization).
#[utoipa::path(patch, path = "/api/members/{id}", params(("id" = Uuid, Path, description = "member id")),
    request_body = EditMemberAccess, responses((status = 200, body = MemberJson), Errors), tag = "members")]
pub async fn edit_member(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(id): PathOf<Uuid>,
    JsonBody(body): JsonBody<EditMemberAccess>,
) -> ApiResult<Json<MemberJson>> {
    let access = body.access.to_access()?;
    let member = state
        .service
        .edit_member_access(&actor, MemberId(id), access)
        .await?;
    Ok(Json((&member).into()))
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
