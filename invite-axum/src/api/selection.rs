//! Resend or cancel a selection of rows, with a dry run for the confirmation dialog
//! (stand-in: [`crate::standin::selection`]).

use super::{Errors, JsonBody, PathOf};
use crate::auth::CurrentActor;
use crate::dto::{InvitationJson, OutcomeJson};
use crate::error::ApiResult;
use crate::standin::selection::{self, SelectionAction};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use invite_core::InvitationId;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A selection of invitations of one organization.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Selection {
    /// `resend` or `cancel`.
    pub action: SelectionAction,
    /// The invitation ids (at most 500).
    pub ids: Vec<Uuid>,
    /// Answer what would happen, change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Resends or cancels each selected invitation; an answer per id (admins). With `dry_run`,
/// answers per id whether its status allows the action, changing nothing.
#[utoipa::path(post, path = "/api/orgs/{org}/invitations/selection", params(("org" = Uuid, Path, description = "organization id")),
    request_body = Selection, responses((status = 200, body = Vec<OutcomeJson>), Errors), tag = "actions")]
pub async fn selection(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
    JsonBody(body): JsonBody<Selection>,
) -> ApiResult<Json<Vec<OutcomeJson>>> {
    let ids: Vec<InvitationId> = body.ids.iter().copied().map(InvitationId).collect();
    let service = &state.service;
    let org = invite_core::OrgId(org);
    let items = if body.dry_run {
        selection::dry_run(service, &actor, org, body.action, &ids).await?
    } else {
        selection::run(service, &actor, org, body.action, &ids).await?
    };
    Ok(Json(
        items
            .into_iter()
            .map(|item| {
                let result = item
                    .result
                    .map(|v| InvitationJson::of(&v.invitation, v.status));
                OutcomeJson::of(item.id.to_string(), result)
            })
            .collect(),
    ))
}
