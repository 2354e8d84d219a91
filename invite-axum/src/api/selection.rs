//! Resend or cancel a selection of rows in one commit (the core's `act_on_selection`), with
//! the core's dry run for the confirmation dialog.

use super::{Errors, JsonBody, PathOf};
use crate::auth::CurrentActor;
use crate::dto::{InvitationJson, OutcomeJson};
use crate::error::ApiResult;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use invite_core::{InvitationId, SelectionOutcome};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// What a selection does to each row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SelectionAction {
    /// Resend each invitation (a new link; older ones die).
    Resend,
    /// Cancel ("delete") each invitation.
    Cancel,
}

impl SelectionAction {
    /// The core's action.
    pub fn to_core(self) -> invite_core::SelectionAction {
        match self {
            SelectionAction::Resend => invite_core::SelectionAction::Resend,
            SelectionAction::Cancel => invite_core::SelectionAction::Cancel,
        }
    }
}

/// A selection of invitations of one organization.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Selection {
    /// `resend` or `cancel`.
    pub action: SelectionAction,
    /// The invitation ids (1 to 500).
    pub ids: Vec<Uuid>,
    /// Answer what would happen, change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// The JSON of the core's per-id answers.
pub fn outcomes_json(items: Vec<SelectionOutcome>) -> Vec<OutcomeJson> {
    items
        .into_iter()
        .map(|item| {
            let result = item
                .result
                .map(|v| InvitationJson::of(&v.invitation, v.status))
                .map_err(invite_core::Error::from);
            OutcomeJson::of(item.id.to_string(), result)
        })
        .collect()
}

/// Resends or cancels each selected invitation in one commit; an answer per distinct id
/// (admins). With `dry_run`, the core's dry run: the answers the real run would give now,
/// changing nothing.
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
    let action = body.action.to_core();
    let items = if body.dry_run {
        service
            .dry_run_selection(&actor, org, &action, &ids)
            .await?
            .answers
    } else {
        service.act_on_selection(&actor, org, &action, &ids).await?
    };
    Ok(Json(outcomes_json(items)))
}
