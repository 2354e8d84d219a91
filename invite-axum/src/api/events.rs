//! The event feed (what happened, in one durable order) read with a cursor: an organization's
//! for its readers, every organization's for the application and the operator. A consumer
//! keeps the `next` of the last page and asks for the events after it; it never sees an event
//! twice nor misses one (the store's guarantee, `InvitationService::events`).

use super::{Errors, PathOf, QueryOf};
use crate::auth::CurrentActor;
use crate::error::{ApiError, ApiResult};
use crate::schema::FeedPageSchema;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use invite_core::feed::{FeedPage, FeedPosition, FeedQuery};
use invite_core::{InvitationId, OrgId};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

/// Where to read from and how much.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// The `next` of the previous page (or an event's `position`); absent: from the first
    /// event.
    pub after: Option<String>,
    /// Most events to answer, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// Only this invitation's events.
    pub invitation: Option<Uuid>,
}

impl FeedParams {
    /// The core's query over `org` (every organization's when `None`), or what is wrong with
    /// the parameters. The limit's range is the core's to check (`out_of_range`).
    fn to_query(&self, org: Option<OrgId>) -> Result<FeedQuery, ApiError> {
        let after =
            match self.after.as_deref() {
                None | Some("") => None,
                Some(c) => Some(FeedPosition::decode(c).ok_or_else(|| {
                    ApiError::BadRequest("after is not a feed position".to_owned())
                })?),
            };
        let mut query = FeedQuery::all();
        query.org = org;
        query.invitation = self.invitation.map(InvitationId);
        query.after = after;
        if let Some(limit) = self.limit {
            query.limit = limit;
        }
        Ok(query)
    }
}

/// The events of an organization after a cursor, oldest first (any reader).
#[utoipa::path(get, path = "/api/orgs/{org}/events", params(("org" = Uuid, Path, description = "organization id"), FeedParams),
    responses((status = 200, body = FeedPageSchema), Errors), tag = "reads")]
pub async fn org_events(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
    QueryOf(params): QueryOf<FeedParams>,
) -> ApiResult<Json<FeedPage>> {
    let query = params.to_query(Some(OrgId(org)))?;
    Ok(Json(state.service.events(&actor, &query).await?))
}

/// The events of every organization after a cursor (the application or the operator: a
/// webhook relay, a search index).
#[utoipa::path(get, path = "/api/events", params(FeedParams),
    responses((status = 200, body = FeedPageSchema), Errors), tag = "reads")]
pub async fn all_events(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    QueryOf(params): QueryOf<FeedParams>,
) -> ApiResult<Json<FeedPage>> {
    let query = params.to_query(None)?;
    Ok(Json(state.service.events(&actor, &query).await?))
}
