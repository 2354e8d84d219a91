//! Resend or cancel a selection of rows in one commit (the core's `act_on_selection`), with
//! the core's dry run for the confirmation dialog.

use super::{Errors, JsonBody, PathOf};
use crate::auth::CurrentActor;
use crate::dto::{InvitationJson, OutcomeJson};
use crate::error::ApiResult;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use invite_core::{DryRun, InvitationId, MessageKind, PlannedMessage, SelectionOutcome};
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

/// One message a selection would queue (the core's `PlannedMessage`). Its own shape because
/// the core serializes the kind and channel as Rust names; the API's codes are snake_case.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PlannedMessageJson {
    /// The invitation it is about.
    pub invitation: Uuid,
    /// `invitation`, `resend`, `reminder`, `follow_up` or `accepted_notice`.
    pub kind: &'static str,
    /// `email` or `sms`.
    pub channel: &'static str,
    /// The address it would go to.
    pub to: String,
}

impl PlannedMessageJson {
    /// The JSON of one planned message.
    pub fn of(m: &PlannedMessage) -> Self {
        Self {
            invitation: m.invitation.0,
            kind: match m.kind {
                MessageKind::Invitation => "invitation",
                MessageKind::Resend => "resend",
                MessageKind::Reminder => "reminder",
                MessageKind::FollowUp => "follow_up",
                MessageKind::AcceptedNotice => "accepted_notice",
            },
            channel: crate::dto::channel_code(m.channel),
            to: m.to.clone(),
        }
    }
}

/// What a selection would do now (the core's `DryRun`): what the confirmation dialog shows
/// before the admin confirms.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SelectionDryRunJson {
    /// The answer per distinct id the real run would give now.
    pub answers: Vec<OutcomeJson>,
    /// Seats that must be free when the real run commits (R3.3, R3.5); 0 if none.
    pub seats_needed: u32,
    /// The messages the real run would queue, in its order.
    pub messages: Vec<PlannedMessageJson>,
}

impl SelectionDryRunJson {
    /// The JSON of the core's dry run.
    pub fn of(run: DryRun<Vec<SelectionOutcome>>) -> Self {
        Self {
            messages: run.messages.iter().map(PlannedMessageJson::of).collect(),
            seats_needed: run.seats_needed,
            answers: outcomes_json(run.answers),
        }
    }
}

/// A selection's answer: the per-id answers of the run, or, with `dry_run`, the dry run.
/// Untagged: a run answers a JSON array, a dry run an object.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum SelectionAnswer {
    /// The answer per distinct id, in the order given.
    Done(Vec<OutcomeJson>),
    /// What the run would do, nothing changed.
    DryRun(SelectionDryRunJson),
}

/// Resends or cancels each selected invitation in one commit; an answer per distinct id
/// (admins). With `dry_run`, the core's dry run instead, changing nothing: the answers the
/// real run would give now, the seats it needs free and the messages it would queue.
#[utoipa::path(post, path = "/api/orgs/{org}/invitations/selection", params(("org" = Uuid, Path, description = "organization id")),
    request_body = Selection, responses((status = 200, body = SelectionAnswer,
        description = "without `dry_run` an array of per-id answers; with it, the dry run object"), Errors), tag = "actions")]
pub async fn selection(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
    JsonBody(body): JsonBody<Selection>,
) -> ApiResult<Json<SelectionAnswer>> {
    let ids: Vec<InvitationId> = body.ids.iter().copied().map(InvitationId).collect();
    let service = &state.service;
    let org = invite_core::OrgId(org);
    let action = body.action.to_core();
    Ok(Json(if body.dry_run {
        let run = service
            .dry_run_selection(&actor, org, &action, &ids)
            .await?;
        SelectionAnswer::DryRun(SelectionDryRunJson::of(run))
    } else {
        SelectionAnswer::Done(outcomes_json(
            service.act_on_selection(&actor, org, &action, &ids).await?,
        ))
    }))
}
