//! The dashboard page of one organization (seed 000, and seed 002's MSP and client
//! dashboards): the reads it makes and the context its template gets.

use super::{PageActor, error_page, filters, splits, svg};
use crate::api::PathOf;
use crate::api::invitations::ListParams;
use crate::api::orgs::{default_range, load_org};
use crate::dto::{action_code, status_code};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::pages::{Page, render, render_html};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use invite_core::{AccessScope, Actor, Cursor, InvitationType, OrgId, OrgKind, Role, Row, Tab};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The page's query: the list's parameters and the language.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DashboardParams {
    /// The list.
    #[serde(flatten)]
    pub(crate) list: ListParams,
    /// `en` or `ru`.
    pub(crate) lang: Option<String>,
}

#[derive(Serialize)]
struct TabView {
    key: &'static str,
    label: &'static str,
    count: u64,
    active: bool,
}

#[derive(Serialize)]
struct ActionView {
    code: &'static str,
    label: &'static str,
}

#[derive(Serialize)]
struct RowView {
    id: String,
    address: String,
    status: &'static str,
    status_label: &'static str,
    kind: String,
    access: String,
    last_invited: String,
    signed_up: String,
    failure: Option<String>,
    actions: Vec<ActionView>,
}

#[derive(Serialize)]
struct ClientView {
    id: String,
    name: String,
}

const TABS: [(Tab, &str); 5] = [
    (Tab::All, "all"),
    (Tab::Pending, "pending"),
    (Tab::NeverUsed, "never_used"),
    (Tab::ExpiredOrFailed, "expired_or_failed"),
    (Tab::Completed, "completed"),
];

fn label(t: &std::collections::BTreeMap<&'static str, &'static str>, key: &str) -> &'static str {
    t.get(key).copied().unwrap_or("?")
}

pub(crate) fn access_text(
    t: &std::collections::BTreeMap<&'static str, &'static str>,
    access: &invite_core::Access,
    clients: &[(OrgId, String)],
) -> (String, String) {
    let kind = match &access.invitation_type {
        InvitationType::User => label(t, "type_user_short").to_owned(),
        InvitationType::Admin(l) => format!("{} ({})", label(t, "type_admin_short"), l.as_str()),
    };
    let role = |r: Role| match r {
        Role::ReadOnly => label(t, "read_only"),
        Role::Admin => label(t, "admin"),
    };
    let scope = match &access.scope {
        AccessScope::Role(r) => role(*r).to_owned(),
        AccessScope::Clients(grants) => grants
            .iter()
            .map(|g| {
                let name = clients
                    .iter()
                    .find(|(id, _)| *id == g.client)
                    .map_or_else(|| g.client.to_string(), |(_, n)| n.clone());
                format!("{name}: {}", role(g.role))
            })
            .collect::<Vec<_>>()
            .join(", "),
    };
    (kind, scope)
}

/// The dashboard page's HTML: the reads (dashboard, one list page, series, organization,
/// clients) and the render.
pub(crate) async fn dashboard_page(
    state: &AppState,
    actor: &Actor,
    org_id: OrgId,
    params: &DashboardParams,
    lang: Lang,
) -> Result<(Value, &'static str), ApiError> {
    let query = params.list.to_query()?;
    let service = &state.service;
    let org = load_org(state, actor, org_id).await?;
    let (from, to) = default_range(state, &org);
    // Concurrently: on a database store the three reads take three connections at once.
    let (dashboard, page, series) = futures_util::future::try_join3(
        service.dashboard(actor, org_id),
        service.list(actor, org_id, &query),
        service.series(actor, org_id, from, to),
    )
    .await?;
    let clients = match org.kind {
        OrgKind::Msp => state.catalog.clients_of(&**state.store(), org_id).await?,
        _ => Vec::new(),
    };
    let client_names: Vec<(OrgId, String)> =
        clients.iter().map(|c| (c.id, c.name.clone())).collect();
    let t = lang.strings();
    let tz = org.settings.time_zone;
    let fmt = |d: chrono::DateTime<chrono::Utc>| {
        d.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
    };
    let rows: Vec<RowView> = page
        .rows
        .iter()
        .map(|r: &Row| {
            let (kind, access) = access_text(&t, r.invitation.access(), &client_names);
            RowView {
                id: r.invitation.id.to_string(),
                address: r.invitation.address(),
                status: status_code(r.status),
                status_label: label(&t, &format!("status_{}", status_code(r.status))),
                kind,
                access,
                last_invited: fmt(r.invitation.last_invited_at()),
                signed_up: r.invitation.signed_up_at().map(fmt).unwrap_or_default(),
                failure: r.invitation.failure().map(ToString::to_string),
                actions: r
                    .actions
                    .iter()
                    .map(|a| ActionView {
                        code: action_code(*a),
                        label: label(&t, action_code(*a)),
                    })
                    .collect(),
            }
        })
        .collect();
    let tabs: Vec<TabView> = TABS
        .iter()
        .map(|(tab, key)| TabView {
            key,
            label: label(&t, key),
            count: dashboard.counts.of(*tab),
            active: *tab == query.tab,
        })
        .collect();
    let days = &series.days;
    let total = |f: fn(&invite_core::DayActivity) -> u64| days.iter().map(f).sum::<u64>();
    let graph = |key: &str, f: fn(&invite_core::DayActivity) -> u64| {
        let l = label(&t, key);
        context! { label => l, total => total(f).to_string(), svg => Value::from_safe_string(svg::bars(l, days, f)) }
    };
    let share = label(&t, "completion_share");
    let graphs = vec![
        graph("sent", |d| d.invitations_sent),
        graph("signups", |d| d.signups),
        graph("first_logins", |d| d.first_logins),
        context! {
            label => share,
            total => format!("{:.0}%", series.completion_share * 100.0),
            svg => Value::from_safe_string(svg::ring(share, series.completion_share)),
        },
    ];
    let seats = dashboard.seats;
    let gauge = if seats.limit == 0 {
        100
    } else {
        (u64::from(seats.used) * 100 / u64::from(seats.limit)).min(100)
    };
    let title_key = match org.kind {
        OrgKind::Msp => "msp_dashboard",
        OrgKind::Client { .. } => "client_dashboard",
        OrgKind::Standalone => "org_dashboard",
    };
    let list = &params.list;
    let filter_view = filters::FilterView::of(list);
    let keep = filters::keep(list, &filter_view);
    let keep_search = filters::keep(list, &filters::FilterView::default());
    let ctx = context! {
        org => context! { id => org.id.to_string(), name => &org.name, kind => title_key },
        actor_name => actor.display_name().unwrap_or("operator"),
        is_admin => actor.administers(org_id),
        is_msp => org.is_msp(),
        counts => dashboard.counts,
        splits => splits::rows(&t, &dashboard.splits),
        waitlist => dashboard.waitlist,
        seats => context! { limit => seats.limit, used => seats.used, available => seats.available, percent => gauge },
        reminders => dashboard.reminders_enabled,
        graphs => graphs,
        tabs => tabs,
        tab => TABS.iter().find(|(t, _)| *t == query.tab).map_or("all", |(_, k)| *k),
        q => list.q.clone().unwrap_or_default(),
        filters => filter_view,
        keep => keep,
        keep_search => keep_search,
        sort => list.sort.clone().unwrap_or_else(|| "last_invited".into()),
        order => list.order.clone().unwrap_or_else(|| "newest".into()),
        rows => rows,
        paged => query.after.is_some(),
        next => page.next.as_ref().map(Cursor::encode),
        clients => clients.iter().map(|c| ClientView { id: c.id.to_string(), name: c.name.clone() }).collect::<Vec<_>>(),
        i18n_json => serde_json::json!({
            "errors": lang.errors(),
            "will_resend": label(&t, "will_resend"),
            "will_delete": label(&t, "will_delete"),
            "will_skip": label(&t, "will_skip"),
            "invited_ok": label(&t, "invited_ok"),
            "done": label(&t, "done"),
        }).to_string(),
    };
    Ok((ctx, "dashboard.html"))
}

/// `GET /admin/orgs/{org}`.
pub(crate) async fn page(
    State(state): State<AppState>,
    PageActor(actor, lang): PageActor,
    PathOf(org): PathOf<Uuid>,
    Query(params): Query<DashboardParams>,
) -> Response {
    match dashboard_page(&state, &actor, OrgId(org), &params, lang).await {
        Ok((ctx, template)) => {
            let mut r = render(&state, Page::new(template, lang), ctx, StatusCode::OK);
            if let Some(code) = params.lang.as_deref().filter(|l| *l == "en" || *l == "ru") {
                let cookie =
                    crate::cookies::set("invite_lang", code, &state.base, state.secure_cookies);
                if let Ok(v) = axum::http::HeaderValue::from_str(&cookie) {
                    r.headers_mut().append(axum::http::header::SET_COOKIE, v);
                }
            }
            r
        }
        Err(e) => error_page(&state, lang, e),
    }
}

/// Renders to a string (the bench and [`crate::InviteApp::render_dashboard`]).
pub(crate) async fn render_string(
    state: &AppState,
    actor: &Actor,
    org: OrgId,
    params: &DashboardParams,
    lang: Lang,
) -> Result<String, ApiError> {
    let (ctx, template) = dashboard_page(state, actor, org, params, lang).await?;
    render_html(state, &Page::new(template, lang), ctx).map_err(|e| {
        tracing::error!(error = %e, "template failed");
        ApiError::Core(invite_core::Error::Store(Box::new(e)))
    })
}
