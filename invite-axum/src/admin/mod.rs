//! The admin page: the dashboard of an organization (tiles, seats, reminder switch, graphs,
//! the table with its tabs, search, sort, paging, row buttons and selection actions, the
//! invite dialog), the member list, and an invitation's details. Server-rendered; the buttons
//! call the JSON API from `assets/admin.js`.

pub(crate) mod dashboard;
mod details;
mod filters;
mod member;
mod splits;
pub mod svg;

use crate::auth::Rejection;
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::pages::{ADMIN_CSS, ADMIN_JS, Page, render};
use crate::state::AppState;
use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use invite_core::Actor;
use minijinja::context;

pub(crate) use dashboard::DashboardParams;

/// The page routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(index))
        .route("/admin/orgs/{org}", get(dashboard::page))
        .route("/admin/orgs/{org}/members", get(details::members))
        .route("/admin/members/{id}", get(member::page))
        .route("/admin/invitations/{id}", get(details::invitation))
        .route("/assets/admin.js", get(js))
        .route("/assets/admin.css", get(css))
}

/// The actor of a page request; without one, the application's login or a message.
pub(crate) struct PageActor(pub Actor, pub Lang);

impl FromRequestParts<AppState> for PageActor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let lang_query = parts.uri.query().and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("lang="))
                .map(str::to_owned)
        });
        let lang = Lang::pick(lang_query.as_deref(), &parts.headers);
        match state.actors.actor(parts).await {
            Ok(actor) => Ok(PageActor(actor, lang)),
            Err(Rejection::Login(url)) => Err(Redirect::to(&url).into_response()),
            Err(Rejection::Unauthenticated(why)) => {
                Err(message(state, lang, StatusCode::UNAUTHORIZED, &why))
            }
        }
    }
}

/// A page with one message (errors, mostly).
pub(crate) fn message(state: &AppState, lang: Lang, status: StatusCode, text: &str) -> Response {
    render(
        state,
        Page::new("message.html", lang),
        context! { message => text },
        status,
    )
}

/// A page for a failed read: the status and the localized text of its code.
pub(crate) fn error_page(state: &AppState, lang: Lang, e: ApiError) -> Response {
    let (status, body) = e.parts();
    let text = lang
        .errors()
        .get(body.error.code)
        .map_or(body.error.message, |s| (*s).to_owned());
    message(state, lang, status, &text)
}

/// `/admin`: the dashboard of the actor's own organization.
async fn index(State(state): State<AppState>, PageActor(actor, lang): PageActor) -> Response {
    match &actor {
        Actor::OrgUser { org, .. } => {
            Redirect::to(&format!("{}/admin/orgs/{}", state.base, org)).into_response()
        }
        _ => message(&state, lang, StatusCode::NOT_FOUND, "no organization"),
    }
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

async fn js() -> Response {
    asset(ADMIN_JS, "text/javascript; charset=utf-8")
}

async fn css() -> Response {
    asset(ADMIN_CSS, "text/css; charset=utf-8")
}
