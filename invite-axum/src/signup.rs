//! The signup page: `GET /signup?token=` shows what the link is for (the core's
//! [`InvitationService::preview_link`](invite_core::InvitationService::preview_link), with
//! exactly the refusals a signup would give) and consumes nothing;
//! `POST /signup` signs up (CSRF-protected, see [`crate::csrf`]) and, in the same request,
//! calls the application's [`AccountHook`] to create its own account.

use crate::csrf::{self, CSRF_COOKIE};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::pages::{Page, render};
use crate::state::AppState;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use invite_core::{Error, InvitationType, LinkPreview, Signup, UserRef};
use minijinja::context;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What the person typed on the signup page.
#[derive(Clone, Deserialize)]
pub struct SignupForm {
    /// The link token (a hidden field).
    pub token: String,
    /// The CSRF token (a hidden field).
    #[serde(default)]
    pub csrf: String,
    /// Their name.
    #[serde(default)]
    pub name: String,
    /// The password for the application's account; the library never stores it.
    #[serde(default)]
    pub password: String,
    /// The page language, `en` or `ru` (a hidden field).
    #[serde(default)]
    pub lang: Option<String>,
}

impl fmt::Debug for SignupForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignupForm")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The application's side of a signup: create its own account for the new member.
///
/// Called right after the library committed the member; an error here leaves the member
/// committed and is shown on the page. The core answers a signup submitted again with the
/// same link and user id with the same signup, so a person who retries after such an error
/// reaches `create_account` again: make it idempotent by member id. (On PostgreSQL an
/// application that needs the two atomic runs its insert in the library's transaction,
/// `invite_sqlx::SignupHook`, and calls the service itself.)
///
/// ```
/// use invite_axum::{AccountHook, SignupForm};
/// use invite_core::Signup;
///
/// struct Accounts;
///
/// #[async_trait::async_trait]
/// impl AccountHook for Accounts {
///     async fn create_account(&self, signup: &Signup, form: &SignupForm) -> Result<Option<String>, String> {
///         // INSERT INTO users (member_id, name, password_hash) ... using signup.member.access
///         let _ = (&signup.member.id, &form.name);
///         Ok(Some("/welcome".into()))
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait AccountHook: Send + Sync + 'static {
    /// The application's user id for the account about to be created, if it picks one
    /// before the signup (default: the id the invitation was tied to, if any).
    fn user_ref(&self, _form: &SignupForm) -> Option<UserRef> {
        None
    }

    /// Creates the application's account; answers where to send the browser next (`None`:
    /// a welcome page), or a message to show.
    async fn create_account(
        &self,
        signup: &Signup,
        form: &SignupForm,
    ) -> Result<Option<String>, String>;
}

/// Creates nothing: for applications that create the account elsewhere.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoAccounts;

#[async_trait::async_trait]
impl AccountHook for NoAccounts {
    async fn create_account(&self, _: &Signup, _: &SignupForm) -> Result<Option<String>, String> {
        Ok(None)
    }
}

/// `?token=` (and `?lang=`).
#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
    lang: Option<String>,
}

fn refusal_text(lang: Lang, e: &Error) -> String {
    let (_, body) = ApiError::Core(clone_error(e)).parts();
    lang.errors()
        .get(body.error.code)
        .map_or(body.error.message, |s| (*s).to_owned())
}

fn clone_error(e: &Error) -> Error {
    match e {
        Error::Refused(r) => Error::Refused(r.clone()),
        _ => Error::Store("unavailable".into()),
    }
}

/// What the page shows of a [`LinkPreview`]: its words for the template (role codes for
/// the translation table, the admin level apart).
#[derive(Serialize)]
struct PreviewPage<'a> {
    sender_name: &'a str,
    org_name: &'a str,
    address: &'a str,
    admin_level: Option<&'a str>,
    grants: Vec<GrantPage<'a>>,
    expires_at: Option<String>,
}

#[derive(Serialize)]
struct GrantPage<'a> {
    org_name: &'a str,
    role: &'static str,
}

impl<'a> PreviewPage<'a> {
    fn of(p: &'a LinkPreview) -> Self {
        Self {
            sender_name: &p.invited_by,
            org_name: &p.organization_name,
            address: &p.address,
            admin_level: match &p.invitation_type {
                InvitationType::Admin(level) => Some(level.as_str()),
                _ => None,
            },
            grants: p
                .grants
                .iter()
                .map(|g| GrantPage {
                    org_name: &g.org_name,
                    role: crate::dto::role_code(g.role),
                })
                .collect(),
            // In the organization's time zone, as the invitation message said it.
            expires_at: p.expires_at.map(|t| {
                t.with_timezone(&p.time_zone)
                    .format("%Y-%m-%d %H:%M %Z")
                    .to_string()
            }),
        }
    }
}

/// GET: the preview and the form; consumes nothing.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Response {
    let token = q.token.unwrap_or_default();
    let preview = state.service.preview_link(&token).await;
    let lang = match &preview {
        Ok(p) if q.lang.is_none() => Lang::of(p.language),
        _ => Lang::pick(q.lang.as_deref(), &headers),
    };
    let csrf_token = match csrf::new_token() {
        Ok(t) => t,
        Err(e) => return ApiError::Core(e).into_response(),
    };
    let (status, ctx) = match &preview {
        Ok(p) => (
            StatusCode::OK,
            context! { token => &token, csrf => &csrf_token, preview => PreviewPage::of(p) },
        ),
        Err(e) => (
            ApiError::Core(clone_error(e)).parts().0,
            context! { error => refusal_text(lang, e) },
        ),
    };
    let mut response = render(&state, Page::new("signup.html", lang), ctx, status);
    let cookie = crate::cookies::set(CSRF_COOKIE, &csrf_token, &state.base, state.secure_cookies);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// POST: signs up, then calls the application's hook.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignupForm>,
) -> Response {
    if csrf::is_cross_site(&headers) || !csrf::verify(&headers, &form.csrf) {
        return ApiError::Csrf.into_response();
    }
    let lang = Lang::pick(form.lang.as_deref(), &headers);
    let user_ref = state.accounts.user_ref(&form);
    let signup = match state.service.sign_up(&form.token, user_ref).await {
        Ok(s) => s,
        Err(e) => {
            let status = ApiError::Core(clone_error(&e)).parts().0;
            let ctx = context! { error => refusal_text(lang, &e) };
            return render(&state, Page::new("signup.html", lang), ctx, status);
        }
    };
    match state.accounts.create_account(&signup, &form).await {
        Ok(Some(url)) => Redirect::to(&url).into_response(),
        Ok(None) => render(
            &state,
            Page::new("signup.html", lang),
            context! { done => true, address => signup.member.contact.to_string() },
            StatusCode::OK,
        ),
        Err(message) => render(
            &state,
            Page::new("signup.html", lang),
            context! { error => message },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}
