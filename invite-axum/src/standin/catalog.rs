//! [`OrgCatalog`]: which clients an MSP has, and who was added as a member without an
//! invitation. The core can load organizations by id but not list them; until it can, the
//! router records what is created through it, and an application can answer from its own
//! tables.

use invite_core::{Error, Member, MemberId, OrgId, OrgKind, Organization, Store};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// Lists an MSP's clients and the members added directly (the first admin, say).
#[async_trait::async_trait]
pub trait OrgCatalog: Send + Sync + 'static {
    /// The clients of `msp`, by name.
    async fn clients_of(&self, store: &dyn Store, msp: OrgId) -> Result<Vec<Organization>, Error>;
    /// Members of `org` added without an invitation.
    async fn direct_members(&self, store: &dyn Store, org: OrgId) -> Result<Vec<Member>, Error>;
    /// Called after the router created an organization.
    async fn organization_created(&self, _org: &Organization) {}
    /// Called after the router added a member directly.
    async fn member_added(&self, _member: &Member) {}
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
    members: BTreeMap<OrgId, Vec<MemberId>>,
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

    /// Records a member added without an invitation.
    pub fn register_member(&self, member: &Member) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let members = inner.members.entry(member.org).or_default();
        if !members.contains(&member.id) {
            members.push(member.id);
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

    async fn direct_members(&self, store: &dyn Store, org: OrgId) -> Result<Vec<Member>, Error> {
        let ids = {
            let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
            inner.members.get(&org).cloned().unwrap_or_default()
        };
        let mut members = Vec::new();
        for id in ids {
            if let Some(m) = store.member(id).await? {
                if m.is_active() {
                    members.push(m);
                }
            }
        }
        Ok(members)
    }

    async fn organization_created(&self, org: &Organization) {
        self.register(org);
    }

    async fn member_added(&self, member: &Member) {
        self.register_member(member);
    }
}
