//! The JSON API: every command and read of the service, one handler each, grouped by area.
//! The OpenAPI document is generated from the handlers' annotations ([`openapi`]) and served
//! at `/openapi.json`.

pub mod events;
pub mod invitations;
pub mod members;
pub mod orgs;
pub mod reports;
pub mod selection;
pub mod signup;

use crate::error::{ApiError, ErrorBody, ErrorDetail};
use crate::state::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use std::collections::BTreeMap;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A JSON body; a malformed one is `400 bad_request` in the API's error shape.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct JsonBody<T>(pub T);

/// Path parameters; a malformed one is `400 bad_request`.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct PathOf<T>(pub T);

/// Query parameters; a malformed one is `400 bad_request`.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct QueryOf<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        ApiError::BadRequest(r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::BadRequest(r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::BadRequest(r.body_text())
    }
}

/// The error responses every route may give, documented once.
pub struct Errors;

impl utoipa::IntoResponses for Errors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let r = |d: &str| {
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build();
            RefOr::T(
                ResponseBuilder::new()
                    .description(d)
                    .content("application/json", content)
                    .build(),
            )
        };
        BTreeMap::from([
            (
                "400".into(),
                r("a body, path or query the API cannot read (`bad_request`)"),
            ),
            (
                "401".into(),
                r("no actor: the application's authentication said so (`unauthenticated`)"),
            ),
            (
                "403".into(),
                r("`forbidden`, or `csrf` for a cross-site write"),
            ),
            (
                "404".into(),
                r(
                    "not found, or not visible to this actor (`invitation_not_found`, `unknown_link`, ...)",
                ),
            ),
            (
                "410".into(),
                r("a dead link (`link_expired`, `link_superseded`, ...)"),
            ),
            (
                "422".into(),
                r("invalid input (`invalid_contact`, `out_of_range`, `invalid_access`, ...)"),
            ),
            (
                "429".into(),
                r("cool-down (`resend_cooldown`, `follow_up_too_soon`); see `retry_after`"),
            ),
            (
                "409".into(),
                r(
                    "refused by the current state (`already_invited`, `no_seats_available`, `action_not_allowed`, `link_already_used`, ...), or `conflict`: concurrent changes won every retry, try again",
                ),
            ),
            ("500".into(), r("`internal`: a bug")),
            (
                "503".into(),
                r("`unavailable`: the store or the random source failed; try later"),
            ),
        ])
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "invite",
        description = "Invitations: organizations, invites, actions, members, dashboard, event feed, signup. Errors are `{\"error\": {\"code\", \"status\", \"message\", \"details\"}}` with the library's stable codes."
    ),
    components(schemas(ErrorBody, ErrorDetail, members::MemberTabJson))
)]
struct ApiDoc;

/// The API routes, with their OpenAPI document.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    use utoipa::OpenApi;
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(orgs::create_organization))
        .routes(routes!(orgs::organization))
        .routes(routes!(orgs::update_settings))
        .routes(routes!(orgs::set_seat_limit))
        .routes(routes!(orgs::set_seat_policy))
        .routes(routes!(orgs::set_reminders))
        .routes(routes!(orgs::clients))
        .routes(routes!(orgs::dashboard))
        .routes(routes!(orgs::seats))
        .routes(routes!(orgs::series))
        .routes(routes!(orgs::audit))
        .routes(routes!(events::org_events))
        .routes(routes!(events::all_events))
        .routes(routes!(orgs::user_statuses))
        .routes(routes!(invitations::list, invitations::invite))
        .routes(routes!(invitations::invite_many))
        .routes(routes!(invitations::invite_directory))
        .routes(routes!(invitations::invitation))
        .routes(routes!(invitations::resend))
        .routes(routes!(invitations::cancel))
        .routes(routes!(invitations::edit_access))
        .routes(routes!(invitations::mark_completed))
        .routes(routes!(invitations::follow_up))
        .routes(routes!(selection::selection))
        .routes(routes!(selection::user_selection))
        .routes(routes!(members::members, members::add_member))
        .routes(routes!(members::lookup))
        .routes(routes!(
            members::member,
            members::edit_member,
            members::remove_member
        ))
        .routes(routes!(members::first_login))
        .routes(routes!(reports::delivery_report))
        .routes(routes!(signup::preview))
        .routes(routes!(signup::sign_up))
}

/// The OpenAPI document of the API (paths relative to where the router is mounted).
///
/// ```
/// let doc = invite_axum::openapi();
/// assert!(doc.paths.paths.contains_key("/api/orgs/{org}/dashboard"));
/// ```
pub fn openapi() -> utoipa::openapi::OpenApi {
    router().split_for_parts().1
}
