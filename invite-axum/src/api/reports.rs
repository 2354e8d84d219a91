//! Late delivery reports (an SMS receipt `UNDELIV`, a bounce) a transport posts back over
//! HTTP. The application authenticates the transport in its [`crate::ActorSource`] and answers
//! `Actor::Application` for it; no person may post one.

use super::{Errors, JsonBody};
use crate::auth::CurrentActor;
use crate::error::ApiResult;
use crate::schema::{DeliveryReportSchema, ReportOutcomeSchema};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use invite_core::{Actor, DeliveryReport, Refusal, ReportOutcome};

/// Records what became of a message the transport had accepted: a failure fails its
/// invitation with the reason, unless the invitation moved on (the application, the
/// operator).
#[utoipa::path(post, path = "/api/delivery-reports", request_body = DeliveryReportSchema,
    responses((status = 200, body = ReportOutcomeSchema), Errors), tag = "actions")]
pub async fn delivery_report(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    JsonBody(report): JsonBody<DeliveryReport>,
) -> ApiResult<Json<ReportOutcome>> {
    // The core's call takes no actor (its workers call it); the route is the application's.
    if !matches!(
        actor,
        Actor::Application | Actor::System | Actor::Operator { .. }
    ) {
        return Err(Refusal::Forbidden(
            "only the application or the operator reports deliveries".into(),
        )
        .into());
    }
    Ok(Json(state.service.record_delivery_report(&report).await?))
}
