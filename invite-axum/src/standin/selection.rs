//! Actions on a selection of rows (seed 002: tick rows, Resend or Delete, confirm). The core
//! takes one id per call today; issue 11 adds selection commands in one commit and their dry
//! run. Until then [`run`] calls the core once per id, and [`dry_run`] answers, per id, what
//! the row's allowed actions say would happen (it cannot foresee a cool-down or a seat the
//! core would refuse; the real run answers those per id).

use crate::state::Service;
use invite_core::{Action, Actor, Error, InvitationId, InvitationView, OrgId, Refusal};

/// What a selection does to each row.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SelectionAction {
    /// Resend each invitation (a new link; older ones die).
    Resend,
    /// Cancel ("delete") each invitation.
    Cancel,
}

impl SelectionAction {
    fn action(self) -> Action {
        match self {
            SelectionAction::Resend => Action::Resend,
            SelectionAction::Cancel => Action::Cancel,
        }
    }
}

/// The answer for one id: the invitation as it is after (or, in a dry run, before) the action,
/// or the refusal.
#[derive(Debug)]
pub struct ItemOutcome {
    /// The id.
    pub id: InvitationId,
    /// The result.
    pub result: Result<InvitationView, Error>,
}

/// Most ids one selection takes.
pub const MAX_SELECTION: usize = 500;

fn check_size(ids: &[InvitationId]) -> Result<(), Error> {
    if ids.len() > MAX_SELECTION {
        return Err(Refusal::OutOfRange {
            field: "ids".into(),
            allowed: format!("at most {MAX_SELECTION} per call"),
        }
        .into());
    }
    Ok(())
}

/// Per id, whether the action is allowed by the row's status (nothing is changed).
pub async fn dry_run(
    service: &Service,
    actor: &Actor,
    org: OrgId,
    action: SelectionAction,
    ids: &[InvitationId],
) -> Result<Vec<ItemOutcome>, Error> {
    check_size(ids)?;
    let mut out = Vec::with_capacity(ids.len());
    for &id in dedup(ids).iter() {
        let result = match of_org(service, actor, org, id).await {
            Ok(view) if view.status.allows(action.action()) => Ok(view),
            Ok(view) => Err(Refusal::ActionNotAllowed {
                action: action.action(),
                status: view.status,
            }
            .into()),
            Err(e) => Err(e),
        };
        out.push(ItemOutcome { id, result });
    }
    Ok(out)
}

/// Runs the action on each id, one core call each; an answer per id.
pub async fn run(
    service: &Service,
    actor: &Actor,
    org: OrgId,
    action: SelectionAction,
    ids: &[InvitationId],
) -> Result<Vec<ItemOutcome>, Error> {
    check_size(ids)?;
    let mut out = Vec::with_capacity(ids.len());
    for &id in dedup(ids).iter() {
        let done = match of_org(service, actor, org, id).await {
            Err(e) => Err(e),
            Ok(_) => match action {
                SelectionAction::Resend => service.resend(actor, id).await,
                SelectionAction::Cancel => service.cancel(actor, id).await,
            },
        };
        let result = match done {
            Ok(_) => service.invitation(actor, id).await,
            Err(e) => Err(e),
        };
        out.push(ItemOutcome { id, result });
    }
    Ok(out)
}

/// The invitation, if the actor may read it and it belongs to `org` (otherwise it does not
/// exist, as for the core's reads, R10.1): a selection acts on one organization's rows.
async fn of_org(
    service: &Service,
    actor: &Actor,
    org: OrgId,
    id: InvitationId,
) -> Result<InvitationView, Error> {
    let view = service.invitation(actor, id).await?;
    if view.invitation.org != org {
        return Err(Refusal::InvitationNotFound(id).into());
    }
    Ok(view)
}

/// The ids in their first order, each once: a double submission of one id acts once.
fn dedup(ids: &[InvitationId]) -> Vec<InvitationId> {
    let mut seen = std::collections::HashSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}
