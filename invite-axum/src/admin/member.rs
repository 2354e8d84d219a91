//! One member's details page (issue 13): the core's `MemberDetails`, that is the access they
//! hold now, where they stand, the invitation they came by, who invited them, when they signed
//! up and first logged in. Reached from the member list by a link per row.

use super::dashboard::access_text;
use super::details::client_names;
use super::{PageActor, error_page};
use crate::api::PathOf;
use crate::api::orgs::load_org;
use crate::dto::status_code;
use crate::error::ApiError;
use crate::pages::{Page, render};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use invite_core::{MemberId, MemberState};
use minijinja::context;
use uuid::Uuid;

/// The string key of a member's state.
fn state_key(s: MemberState) -> &'static str {
    match s {
        MemberState::NeverUsed => "member_never_used",
        MemberState::Completed => "member_completed",
        MemberState::Removed => "member_removed",
    }
}

/// `GET /admin/members/{id}`: any reader of the member's organization; to anyone else the
/// page a random id gets (`member_not_found`, 404), as the core answers.
pub(crate) async fn page(
    State(state): State<AppState>,
    PageActor(actor, lang): PageActor,
    PathOf(id): PathOf<Uuid>,
) -> Response {
    let result = async {
        let details = state.service.member_details(&actor, MemberId(id)).await?;
        let org = load_org(&state, &actor, details.member.org).await?;
        let names = client_names(&state, &org).await?;
        Ok::<_, ApiError>((details, org, names))
    }
    .await;
    let (d, org, names) = match result {
        Ok(x) => x,
        Err(e) => return error_page(&state, lang, e),
    };
    let t = lang.strings();
    let text = |key: &str| t.get(key).copied().unwrap_or("");
    let tz = org.settings.time_zone;
    let fmt = |at: chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
    };
    let (kind, access) = access_text(&t, &d.member.access, &names);
    let invitation = d.invitation.as_ref().map(|v| {
        context! {
            id => v.invitation.id.to_string(),
            status_label => text(&format!("status_{}", status_code(v.status))),
        }
    });
    let ctx = context! {
        org => context! { id => org.id.to_string(), name => &org.name },
        actor_name => actor.display_name().unwrap_or("operator"),
        member => context! {
            id => d.member.id.to_string(),
            address => d.member.contact.to_string(),
            user_id => d.member.user_ref.as_ref().map(|u| u.as_str().to_owned()),
            kind => kind,
            access => access,
            state => state_key(d.state),
            state_label => text(state_key(d.state)),
            invitation => invitation,
            invited_by => d.invited_by.as_ref().map(|s| s.name.clone()),
            invited_by_user => d.invited_by.as_ref().map(|s| s.user.as_str().to_owned()),
            signed_up => fmt(d.signed_up_at),
            first_login => d.first_login_at.map(fmt),
        },
    };
    render(&state, Page::new("member.html", lang), ctx, StatusCode::OK)
}
