//! The member list and an invitation's details page.

use super::dashboard::access_text;
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
use invite_core::{InvitationId, MemberDetails, MemberQuery, MemberTab, OrgId, OrgKind};
use minijinja::context;
use serde::Serialize;
use uuid::Uuid;

#[derive(Serialize)]
struct MemberView {
    id: String,
    address: String,
    kind: String,
    access: String,
    joined: String,
    first_login: String,
    invited_by: String,
    invitation: Option<String>,
    status_label: String,
}

pub(crate) async fn client_names(
    state: &AppState,
    org: &invite_core::Organization,
) -> Result<Vec<(OrgId, String)>, ApiError> {
    Ok(match org.kind {
        OrgKind::Msp => state
            .catalog
            .clients_of(&**state.store(), org.id)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect(),
        _ => Vec::new(),
    })
}

/// `GET /admin/orgs/{org}/members`.
pub(crate) async fn members(
    State(state): State<AppState>,
    PageActor(actor, lang): PageActor,
    PathOf(org): PathOf<Uuid>,
) -> Response {
    let result = async {
        let o = load_org(&state, &actor, OrgId(org)).await?;
        // The core's member list (direct members included), its first 500 rows.
        let query = MemberQuery {
            limit: 500,
            ..MemberQuery::tab(MemberTab::All)
        };
        let page = state.service.members(&actor, OrgId(org), &query).await?;
        let now = invite_core::Clock::now(state.service.clock());
        let list: Vec<MemberDetails> = page
            .rows
            .into_iter()
            .map(|r| MemberDetails::of(r.member, r.invitation, now))
            .collect();
        let names = client_names(&state, &o).await?;
        Ok::<_, ApiError>((o, list, names))
    }
    .await;
    let (o, list, names) = match result {
        Ok(x) => x,
        Err(e) => return error_page(&state, lang, e),
    };
    let t = lang.strings();
    let tz = o.settings.time_zone;
    let fmt = |d: chrono::DateTime<chrono::Utc>| {
        d.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
    };
    let rows: Vec<MemberView> = list
        .iter()
        .map(|e| {
            let (kind, access) = access_text(&t, &e.member.access, &names);
            let inv = e.invitation.as_ref();
            MemberView {
                id: e.member.id.to_string(),
                address: e.member.contact.to_string(),
                kind,
                access,
                joined: fmt(e.signed_up_at),
                first_login: e.first_login_at.map(fmt).unwrap_or_default(),
                invited_by: e.invited_by.as_ref().map_or_else(
                    || t.get("direct_member").copied().unwrap_or("").to_owned(),
                    |s| s.name.clone(),
                ),
                invitation: inv.map(|v| v.invitation.id.to_string()),
                status_label: inv
                    .map(|v| {
                        let key = format!("status_{}", status_code(v.status));
                        t.get(key.as_str()).copied().unwrap_or("").to_owned()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    let ctx = context! {
        org => context! { id => o.id.to_string(), name => &o.name },
        actor_name => actor.display_name().unwrap_or("operator"),
        members => rows,
    };
    render(&state, Page::new("members.html", lang), ctx, StatusCode::OK)
}

/// `GET /admin/invitations/{id}`: the record, its status, and its audit trail.
pub(crate) async fn invitation(
    State(state): State<AppState>,
    PageActor(actor, lang): PageActor,
    PathOf(id): PathOf<Uuid>,
) -> Response {
    let result = async {
        let view = state.service.invitation(&actor, InvitationId(id)).await?;
        let org = load_org(&state, &actor, view.invitation.org).await?;
        let trail = state
            .service
            .audit_trail(&actor, org.id, Some(InvitationId(id)))
            .await?;
        let names = client_names(&state, &org).await?;
        Ok::<_, ApiError>((view, org, trail, names))
    }
    .await;
    let (view, org, trail, names) = match result {
        Ok(x) => x,
        Err(e) => return error_page(&state, lang, e),
    };
    let t = lang.strings();
    let tz = org.settings.time_zone;
    let fmt = |d: chrono::DateTime<chrono::Utc>| {
        d.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
    };
    let inv = &view.invitation;
    let (kind, access) = access_text(&t, inv.access(), &names);
    let key = format!("status_{}", status_code(view.status));
    let ctx = context! {
        org => context! { id => org.id.to_string(), name => &org.name },
        actor_name => actor.display_name().unwrap_or("operator"),
        inv => context! {
            id => inv.id.to_string(),
            address => inv.address(),
            status_label => t.get(key.as_str()).copied().unwrap_or(""),
            kind => kind,
            access => access,
            sender => &inv.sender.name,
            last_invited => fmt(inv.last_invited_at()),
            expires => inv.expires_at().map(fmt),
            signed_up => inv.signed_up_at().map(fmt),
            first_login => inv.first_login_at().map(fmt),
            failure => inv.failure().map(ToString::to_string),
            member => inv.member().map(|m| m.to_string()),
        },
        trail => trail.iter().map(|e| context! {
            at => fmt(e.at),
            actor => e.actor.to_string(),
            action => format!("{:?}", e.action),
            after => e.after.map(|s| t.get(format!("status_{}", status_code(s)).as_str()).copied().unwrap_or("")),
        }).collect::<Vec<_>>(),
    };
    render(
        &state,
        Page::new("invitation.html", lang),
        ctx,
        StatusCode::OK,
    )
}
