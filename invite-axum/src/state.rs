//! The state every handler takes: the service and the application's plug-ins.

use crate::auth::ActorSource;
use crate::catalog::OrgCatalog;
use crate::signup::AccountHook;
use invite_core::{Clock, InvitationService, Store};
use std::ops::Deref;
use std::sync::Arc;

/// The service as the router holds it: store and clock behind `Arc<dyn _>`, so the handlers
/// are not generic and the OpenAPI document is generated from them once.
pub type Service = InvitationService<Arc<dyn Store>, Arc<dyn Clock>>;

/// Shared state of the router (cheap to clone).
#[derive(Clone)]
pub struct AppState(pub(crate) Arc<Inner>);

/// What the state holds (its fields are the crate's own).
pub struct Inner {
    pub(crate) service: Service,
    pub(crate) actors: Arc<dyn ActorSource>,
    pub(crate) accounts: Arc<dyn AccountHook>,
    pub(crate) catalog: Arc<dyn OrgCatalog>,
    pub(crate) templates: minijinja::Environment<'static>,
    /// Where the router is mounted, without a trailing slash ("" at the root).
    pub(crate) base: String,
    pub(crate) secure_cookies: bool,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// The service the routes call.
    pub fn service(&self) -> &Service {
        &self.service
    }

    /// The store.
    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        self.service.store()
    }

    /// Now, by the injected clock.
    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.service.clock().now()
    }
}
