//! A development login (feature `dev-login`): pick one of a list of users from a page, kept
//! in a cookie. For the admin example and the browser tests only; it checks no password.
//! Production applications implement [`crate::ActorSource`] over their own authentication.

use crate::auth::{ActorSource, Rejection};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use invite_core::Actor;
use std::sync::{Arc, RwLock};

/// The users one can log in as, and the cookie that says who is.
///
/// ```
/// use invite_axum::dev::DevLogin;
/// use invite_core::{Actor, OrgId};
/// let login = DevLogin::new("/invite");
/// login.add("ann", "Ann Lee, Acme admin", Actor::admin(OrgId::new(), "u-ann", "Ann Lee"));
/// let _routes: axum::Router = login.router();
/// ```
#[derive(Clone)]
pub struct DevLogin {
    base: String,
    users: Arc<RwLock<Vec<(String, String, Actor)>>>,
}

const COOKIE: &str = "invite_dev_user";

impl DevLogin {
    /// A login for a router mounted at `base`.
    pub fn new(base: impl Into<String>) -> Self {
        Self {
            base: base.into(),
            users: Arc::default(),
        }
    }

    /// Adds a user: a key for the cookie, a label for the page, the actor.
    pub fn add(&self, key: &str, label: &str, actor: Actor) {
        let mut users = self.users.write().unwrap_or_else(|e| e.into_inner());
        users.push((key.to_owned(), label.to_owned(), actor));
    }

    /// `/dev/login` (the list) and `/dev/login/{key}` (log in, go to `/admin`), to mount at
    /// the root of the application.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/dev/login", get(list))
            .route("/dev/login/{key}", get(pick))
            .with_state(self.clone())
    }

    fn find(&self, key: &str) -> Option<Actor> {
        let users = self.users.read().unwrap_or_else(|e| e.into_inner());
        users
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, _, a)| a.clone())
    }
}

#[async_trait::async_trait]
impl ActorSource for DevLogin {
    async fn actor(&self, parts: &Parts) -> Result<Actor, Rejection> {
        crate::cookies::get(&parts.headers, COOKIE)
            .and_then(|key| self.find(&key))
            .ok_or_else(|| Rejection::Login("/dev/login".into()))
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn list(State(login): State<DevLogin>) -> Html<String> {
    let users = login
        .users
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let items: String = users
        .iter()
        .map(|(k, label, _)| {
            format!(
                r#"<li><a id="login-{k}" href="/dev/login/{k}">{}</a></li>"#,
                escape(label),
                k = escape(k)
            )
        })
        .collect();
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Development login</title></head><body><main><h1>Development login</h1><p>Pick a seeded user (no password: development only).</p><ul>{items}</ul></main></body></html>"#
    ))
}

async fn pick(State(login): State<DevLogin>, Path(key): Path<String>) -> Response {
    if login.find(&key).is_none() {
        return Redirect::to("/dev/login").into_response();
    }
    let mut r = Redirect::to(&format!("{}/admin", login.base)).into_response();
    let cookie = crate::cookies::set(COOKIE, &key, "/", false);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}
