#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod admin;
pub mod api;
pub mod auth;
pub mod catalog;
mod cookies;
pub mod csrf;
#[cfg(feature = "dev-login")]
pub mod dev;
pub mod dto;
pub mod error;
pub mod i18n;
mod pages;
pub mod schema;
pub mod signup;
pub mod state;

pub use api::openapi;
pub use auth::{ActorSource, CurrentActor, Rejection};
pub use catalog::{MemoryCatalog, OrgCatalog};
pub use error::{ApiError, ErrorBody, ErrorDetail};
pub use signup::{AccountHook, NoAccounts, SignupForm};
pub use state::{AppState, Service};

use axum::Router;
use axum::routing::get;
use invite_core::{Actor, Clock, InvitationService, OrgId, ServiceConfig, Store};
use state::Inner;
use std::sync::Arc;

/// Builds the router: the service's store and clock, the application's [`ActorSource`], and
/// optional plug-ins (account hook, organization catalog).
pub struct InviteWeb {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    config: ServiceConfig,
    actors: Arc<dyn ActorSource>,
    accounts: Arc<dyn AccountHook>,
    catalog: Arc<dyn OrgCatalog>,
    base: String,
    secure_cookies: bool,
}

impl InviteWeb {
    /// Over any store and clock, with the application's authentication.
    pub fn new<S, C, A>(store: S, clock: C, actors: A) -> Self
    where
        S: Store + 'static,
        C: Clock + 'static,
        A: ActorSource,
    {
        Self {
            store: Arc::new(store),
            clock: Arc::new(clock),
            config: ServiceConfig::default(),
            actors: Arc::new(actors),
            accounts: Arc::new(NoAccounts),
            catalog: Arc::new(MemoryCatalog::default()),
            base: String::new(),
            secure_cookies: true,
        }
    }

    /// The service's tunables.
    pub fn service_config(mut self, config: ServiceConfig) -> Self {
        self.config = config;
        self
    }

    /// Where the application mounts the router (`"/invite"`), for the links the pages draw.
    pub fn base_path(mut self, base: impl Into<String>) -> Self {
        self.base = base.into().trim_end_matches('/').to_owned();
        self
    }

    /// The application's account creation at signup (default: [`NoAccounts`]).
    pub fn accounts(mut self, hook: impl AccountHook) -> Self {
        self.accounts = Arc::new(hook);
        self
    }

    /// Where MSP clients and directly added members are listed (default: a fresh
    /// [`MemoryCatalog`]).
    pub fn catalog(mut self, catalog: impl OrgCatalog) -> Self {
        self.catalog = Arc::new(catalog);
        self
    }

    /// Whether cookies carry `Secure` (default true; false for plain-HTTP development).
    pub fn secure_cookies(mut self, secure: bool) -> Self {
        self.secure_cookies = secure;
        self
    }

    /// The app: its router, and the service it calls.
    pub fn build(self) -> InviteApp {
        let service = InvitationService::with_config(self.store, self.clock, self.config);
        InviteApp {
            state: AppState(Arc::new(Inner {
                service,
                actors: self.actors,
                accounts: self.accounts,
                catalog: self.catalog,
                templates: pages::environment(),
                base: self.base,
                secure_cookies: self.secure_cookies,
            })),
        }
    }
}

/// The built app.
///
/// ```
/// use invite_axum::{ActorSource, InviteWeb, Rejection};
/// use invite_core::{Actor, MemoryStore, SystemClock};
///
/// struct NoOne;
/// #[async_trait::async_trait]
/// impl ActorSource for NoOne {
///     async fn actor(&self, _: &axum::http::request::Parts) -> Result<Actor, Rejection> {
///         Err(Rejection::Login("/login".into()))
///     }
/// }
///
/// let app = InviteWeb::new(MemoryStore::new(), SystemClock, NoOne).base_path("/invite").build();
/// let router: axum::Router = axum::Router::new().nest("/invite", app.router());
/// # let _ = router;
/// ```
#[derive(Clone)]
pub struct InviteApp {
    state: AppState,
}

impl InviteApp {
    /// The router: `/api/...` (JSON), `/openapi.json`, `/signup`, `/admin/...`, `/assets/...`.
    /// Mount it with `Router::nest` under the base path given to [`InviteWeb::base_path`].
    pub fn router(&self) -> Router {
        let (api, doc) = api::router().split_for_parts();
        let doc = Arc::new(doc);
        api.merge(admin::router())
            .route("/signup", get(signup::page).post(signup::submit))
            .route(
                "/openapi.json",
                get(move || {
                    let doc = doc.clone();
                    async move { axum::Json((*doc).clone()) }
                }),
            )
            .layer(axum::middleware::from_fn(csrf::refuse_cross_site_writes))
            .with_state(self.state.clone())
    }

    /// The service the routes call.
    pub fn service(&self) -> &Service {
        &self.state.service
    }

    /// The dashboard page's HTML for `actor`, as `GET /admin/orgs/{org}` renders it (first
    /// page of the All tab, English): for benches and static exports.
    pub async fn render_dashboard(&self, actor: &Actor, org: OrgId) -> Result<String, ApiError> {
        let params = admin::DashboardParams::default();
        admin::dashboard::render_string(&self.state, actor, org, &params, i18n::Lang::En).await
    }
}
