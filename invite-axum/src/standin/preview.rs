//! [`LinkPreview`]: what the signup page shows before anything is used ("Ann Lee invited you
//! to Acme, as read only"). Issue 10 adds this read to the core with exactly `sign_up`'s
//! refusals; until then [`StorePreview`] reads the link, its invitation and its organization
//! from the store and asks the record for its refusal (`Invitation::link_refusal`), the check
//! `sign_up` makes first. [`NoPreview`] shows the plain form.

use invite_core::{
    AccessScope, Clock, Error, InvitationType, Language, LinkToken, Refusal, Role, Store,
};
use serde::Serialize;
use std::sync::Arc;

/// What a link is for.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Preview {
    /// The organization that invites.
    pub org_name: String,
    /// Who sent the invitation.
    pub sender_name: String,
    /// The invitee's address.
    pub address: String,
    /// `user`, or `admin` with `permission_level`.
    #[serde(rename = "type")]
    pub invitation_type: String,
    /// The admin permission level.
    pub permission_level: Option<String>,
    /// The role in the organization (standalone or client).
    pub role: Option<String>,
    /// From an MSP: the clients and the role on each.
    pub grants: Vec<PreviewGrant>,
    /// Until when the link is valid.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The organization's language, `en` or `ru`.
    pub language: String,
}

/// One client an MSP invitation grants access to.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PreviewGrant {
    /// The client's name.
    pub client: String,
    /// `read_only` or `admin`.
    pub role: String,
}

/// Reads a link without using it.
#[async_trait::async_trait]
pub trait LinkPreview: Send + Sync + 'static {
    /// `Ok(Some)` for a link that can sign up, `Ok(None)` when nothing can be shown (the page
    /// then shows the plain form), `Err` with the refusal `sign_up` would give.
    async fn preview(&self, token: &str) -> Result<Option<Preview>, Error>;
}

/// No preview: the signup page shows a plain form.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoPreview;

#[async_trait::async_trait]
impl LinkPreview for NoPreview {
    async fn preview(&self, _token: &str) -> Result<Option<Preview>, Error> {
        Ok(None)
    }
}

/// The preview read from the store (the stand-in for the core's, issue 10).
pub struct StorePreview {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl StorePreview {
    /// Over a store and a clock.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }
}

/// snake_case name of a role, as the JSON uses it.
pub(crate) fn role_code(role: Role) -> &'static str {
    match role {
        Role::ReadOnly => "read_only",
        Role::Admin => "admin",
    }
}

#[async_trait::async_trait]
impl LinkPreview for StorePreview {
    async fn preview(&self, token: &str) -> Result<Option<Preview>, Error> {
        let hash = LinkToken::from_link(token).hash();
        let Some(link) = self.store.link(&hash).await? else {
            return Err(Refusal::UnknownLink.into());
        };
        let Some(inv) = self.store.invitation(link.invitation).await? else {
            return Err(Refusal::UnknownLink.into());
        };
        if let Some(refusal) = inv.link_refusal(link.generation, self.clock.now()) {
            return Err(refusal.into());
        }
        let Some(org) = self.store.organization(inv.org).await? else {
            return Ok(None);
        };
        let access = inv.access();
        let (invitation_type, permission_level) = match &access.invitation_type {
            InvitationType::User => ("user", None),
            InvitationType::Admin(level) => ("admin", Some(level.as_str().to_owned())),
        };
        let (role, grants) = match &access.scope {
            AccessScope::Role(r) => (Some(role_code(*r).to_owned()), Vec::new()),
            AccessScope::Clients(grants) => {
                let ids: Vec<_> = grants.iter().map(|g| g.client).collect();
                let clients = self.store.organizations(&ids).await?;
                let grants = grants
                    .iter()
                    .map(|g| PreviewGrant {
                        client: clients
                            .iter()
                            .find(|c| c.id == g.client)
                            .map_or_else(|| g.client.to_string(), |c| c.name.clone()),
                        role: role_code(g.role).to_owned(),
                    })
                    .collect();
                (None, grants)
            }
        };
        Ok(Some(Preview {
            org_name: org.name,
            sender_name: inv.sender.name.clone(),
            address: inv.address(),
            invitation_type: invitation_type.to_owned(),
            permission_level,
            role,
            grants,
            expires_at: inv.expires_at(),
            language: match org.settings.language {
                Language::Ru => "ru",
                _ => "en",
            }
            .to_owned(),
        }))
    }
}
