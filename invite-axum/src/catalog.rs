//! [`OrgCatalog`]: the application's catalog of organizations, which answers which clients an
//! MSP has (the MSP grid of the invite modal, client names in the tables). The library does
//! not own a list of tenants: its store loads organizations by id only, and the tenants are
//! the application's. The router records what is created through it in the default
//! [`MemoryCatalog`]; an application answers from its own tables.

use invite_core::{Error, OrgId, OrgKind, Organization, Store};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// Lists an MSP's clients (the application's catalog of organizations).
#[async_trait::async_trait]
pub trait OrgCatalog: Send + Sync + 'static {
    /// The clients of `msp`, by name.
    async fn clients_of(&self, store: &dyn Store, msp: OrgId) -> Result<Vec<Organization>, Error>;
    /// Called after the router created an organization.
    async fn organization_created(&self, _org: &Organization) {}
}

/// An in-memory [`OrgCatalog`], filled by the router's own routes and by the application
/// (`register`). Clones share one catalog.
///
/// ```
/// use invite_axum::MemoryCatalog;
/// use invite_core::{OrgId, OrgKind, OrgSettings, Organization};
/// let catalog = MemoryCatalog::default();
/// let msp = Organization::new("Northwind", OrgKind::Msp, OrgSettings::with_seats(5));
/// catalog.register(&msp);
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryCatalog {
    inner: Arc<RwLock<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    clients: BTreeMap<OrgId, Vec<OrgId>>,
}

impl MemoryCatalog {
    /// Records an organization (a client is filed under its MSP).
    pub fn register(&self, org: &Organization) {
        if let OrgKind::Client { msp } = org.kind {
            let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
            let clients = inner.clients.entry(msp).or_default();
            if !clients.contains(&org.id) {
                clients.push(org.id);
            }
        }
    }
}

#[async_trait::async_trait]
impl OrgCatalog for MemoryCatalog {
    async fn clients_of(&self, store: &dyn Store, msp: OrgId) -> Result<Vec<Organization>, Error> {
        let ids = {
            let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
            inner.clients.get(&msp).cloned().unwrap_or_default()
        };
        let mut orgs = store.organizations(&ids).await?;
        orgs.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(orgs)
    }

    async fn organization_created(&self, org: &Organization) {
        self.register(org);
    }
}
