//! Resend, cancel or edit the access of a selection of rows in one commit (the core's
//! `act_on_selection`), with the core's dry run for the confirmation dialog; and the same
//! actions by the application's user ids (the core's `act_on_users`, seed 001).

use super::{Errors, JsonBody, PathOf};
use crate::auth::CurrentActor;
use crate::dto::{AccessJson, InvitationJson, OutcomeJson};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use invite_core::{
    DryRun, InvitationId, MessageKind, PlannedMessage, SelectionOutcome, UserOutcome, UserRef,
};
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
    /// Give each invitation not yet signed up the request's `access`.
    EditAccess,
}

impl SelectionAction {
    /// The core's action; `edit_access` takes the request's `access`, which the others must
    /// not carry (a 400 either way, before anything is read).
    pub fn to_core(
        self,
        access: Option<&AccessJson>,
    ) -> Result<invite_core::SelectionAction, ApiError> {
        match (self, access) {
            (SelectionAction::Resend, None) => Ok(invite_core::SelectionAction::Resend),
            (SelectionAction::Cancel, None) => Ok(invite_core::SelectionAction::Cancel),
            (SelectionAction::EditAccess, Some(a)) => {
                Ok(invite_core::SelectionAction::EditAccess(a.to_access()?))
            }
            (SelectionAction::EditAccess, None) => Err(ApiError::BadRequest(
                "edit_access needs the new access".into(),
            )),
            (_, Some(_)) => Err(ApiError::BadRequest(
                "access goes with edit_access only".into(),
            )),
        }
    }
}

/// A selection of invitations of one organization.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Selection {
    /// `resend`, `cancel` or `edit_access`.
    pub action: SelectionAction,
    /// The invitation ids (1 to 500).
    pub ids: Vec<Uuid>,
    /// The new access, with `edit_access` only.
    #[serde(default)]
    pub access: Option<AccessJson>,
    /// Answer what would happen, change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// A selection of the application's users of one organization: the action applies to each
/// user's latest invitation.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UserSelection {
    /// `resend`, `cancel` or `edit_access`.
    pub action: SelectionAction,
    /// The application's user ids (1 to 500).
    pub users: Vec<String>,
    /// The new access, with `edit_access` only.
    #[serde(default)]
    pub access: Option<AccessJson>,
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

/// Resends, cancels or edits the access of each selected invitation in one commit; an
/// answer per distinct id (admins). With `dry_run`, the core's dry run instead, changing nothing: the answers the
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
    let action = body.action.to_core(body.access.as_ref())?;
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

/// Resends, cancels or edits the access of each user's latest invitation (seed 001's ticked
/// users); an answer per user, its `input` the user id (admins). A user with no invitation
/// is answered `user_not_invited`.
#[utoipa::path(post, path = "/api/orgs/{org}/users/selection", params(("org" = Uuid, Path, description = "organization id")),
    request_body = UserSelection, responses((status = 200, body = Vec<OutcomeJson>), Errors), tag = "actions")]
pub async fn user_selection(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    PathOf(org): PathOf<Uuid>,
    JsonBody(body): JsonBody<UserSelection>,
) -> ApiResult<Json<Vec<OutcomeJson>>> {
    let action = body.action.to_core(body.access.as_ref())?;
    let users: Vec<UserRef> = body.users.into_iter().map(UserRef::new).collect();
    let outcomes = state
        .service
        .act_on_users(&actor, invite_core::OrgId(org), &action, &users)
        .await?;
    Ok(Json(user_outcomes_json(outcomes)))
}

/// The JSON of the core's per-user answers.
fn user_outcomes_json(items: Vec<UserOutcome>) -> Vec<OutcomeJson> {
    items
        .into_iter()
        .map(|item| {
            let result = item
                .result
                .map(|v| InvitationJson::of(&v.invitation, v.status))
                .map_err(invite_core::Error::from);
            OutcomeJson::of(item.user.0, result)
        })
        .collect()
}
