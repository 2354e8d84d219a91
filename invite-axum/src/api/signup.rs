//! Signup for applications with their own front end: preview a link, sign up with it. The
//! token travels in the body, never in a URL of the API (URLs end up in logs).

use super::{Errors, JsonBody};
use crate::dto::{InvitationJson, MemberJson};
use crate::error::ApiResult;
use crate::schema::LinkPreviewSchema;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use invite_core::{LinkPreview, UserRef};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A link token.
#[derive(Deserialize, ToSchema)]
pub struct TokenBody {
    /// The token from the signup link.
    pub token: String,
}

/// A signup.
#[derive(Deserialize, ToSchema)]
pub struct SignupBody {
    /// The token from the signup link.
    pub token: String,
    /// The application's id for the new account (default: the id the invitation was tied to).
    #[serde(default)]
    pub user_ref: Option<String>,
}

/// A successful signup.
#[derive(Serialize, ToSchema)]
pub struct SignupJson {
    /// The new member: create the account with its access.
    pub member: MemberJson,
    /// The invitation, now Never Used.
    pub invitation: InvitationJson,
}

/// What a link is for, consuming nothing (safe to ask any number of times). A link that
/// cannot sign up gets exactly the refusal a signup would give (`unknown_link`,
/// `link_expired`, `link_superseded`, `link_cancelled`, `link_already_used`, ...).
#[utoipa::path(post, path = "/api/signup/preview", request_body = TokenBody,
    responses((status = 200, body = LinkPreviewSchema), Errors), tag = "signup")]
pub async fn preview(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<TokenBody>,
) -> ApiResult<Json<LinkPreview>> {
    Ok(Json(state.service.preview_link(&body.token).await?))
}

/// Signs up with a link. No actor: the link is the credential. JSON only, so a cross-site
/// form cannot post it.
#[utoipa::path(post, path = "/api/signup", request_body = SignupBody,
    responses((status = 200, body = SignupJson), Errors), tag = "signup")]
pub async fn sign_up(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<SignupBody>,
) -> ApiResult<Json<SignupJson>> {
    let signup = state
        .service
        .sign_up(&body.token, body.user_ref.map(UserRef::new))
        .await?;
    let status = signup.invitation.status_at(state.now());
    Ok(Json(SignupJson {
        member: (&signup.member).into(),
        invitation: InvitationJson::of(&signup.invitation, status),
    }))
}
