//! Whether an invitation's access fits the organization sending it (R2.4, R2.5).

use crate::access::{Access, AccessError, AccessScope, InvitationType, PermissionLevel};
use crate::ids::OrgId;
use crate::notifier::GrantSummary;
use crate::org::{OrgKind, Organization};
use crate::refusal::Refusal;
use std::collections::HashSet;

/// The client organizations `access` grants roles on: what a decision about it must load.
pub fn granted_clients(access: &Access) -> Vec<OrgId> {
    match &access.scope {
        AccessScope::Role(_) => Vec::new(),
        AccessScope::Clients(grants) => grants.iter().map(|g| g.client).collect(),
    }
}

/// R2.4, R2.5: an admin has a valid permission level; an MSP grants one or more roles (at
/// most [`crate::bounds::MAX_GRANTS`]), each on one of its own clients, none twice; every
/// other organization grants one role.
/// `clients` are the organizations [`granted_clients`] names, as loaded (missing ones absent).
pub fn check_access(
    org: &Organization,
    access: &Access,
    clients: &[Organization],
) -> Result<(), Refusal> {
    crate::bounds::check_grants(access)?;
    if let InvitationType::Admin(level) = &access.invitation_type {
        PermissionLevel::new(level.as_str())?;
    }
    match (&access.scope, org.is_msp()) {
        (AccessScope::Role(_), true) => Err(AccessError::MspNeedsClientGrants.into()),
        (AccessScope::Clients(_), false) => Err(AccessError::GrantsOnlyFromMsp.into()),
        (AccessScope::Role(_), false) => Ok(()),
        (AccessScope::Clients(grants), true) => {
            if grants.is_empty() {
                return Err(AccessError::MspNeedsClientGrants.into());
            }
            let mut seen = HashSet::new();
            for grant in grants {
                if !seen.insert(grant.client) {
                    return Err(AccessError::DuplicateGrant(grant.client).into());
                }
                let is_own_client = clients
                    .iter()
                    .any(|c| c.id == grant.client && c.kind == (OrgKind::Client { msp: org.id }));
                if !is_own_client {
                    return Err(AccessError::NotAClient(grant.client).into());
                }
            }
            Ok(())
        }
    }
}

/// What `access` grants, organization by organization, by name: the sending organization's
/// role, or one grant per client, named from `clients` as loaded (a client that is gone is
/// shown by its id rather than failing the message or the page).
pub fn grant_summaries(
    access: &Access,
    org: &Organization,
    client: impl Fn(OrgId) -> Option<String>,
) -> Vec<GrantSummary> {
    match &access.scope {
        AccessScope::Role(role) => vec![GrantSummary {
            org_name: org.name.clone(),
            role: *role,
        }],
        AccessScope::Clients(grants) => grants
            .iter()
            .map(|g| GrantSummary {
                org_name: client(g.client).unwrap_or_else(|| g.client.to_string()),
                role: g.role,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{ClientGrant, Role};
    use crate::org::OrgSettings;

    fn org(name: &str, kind: OrgKind) -> Organization {
        Organization::new(name, kind, OrgSettings::with_seats(5))
    }

    #[test]
    fn r2_5_an_msp_grants_roles_on_its_own_clients_only() {
        let msp = org("Provider", OrgKind::Msp);
        let client = org("Bank", OrgKind::Client { msp: msp.id });
        let stranger = org("Other", OrgKind::Client { msp: OrgId::new() });
        let grant = |c: &Organization| ClientGrant {
            client: c.id,
            role: Role::ReadOnly,
        };
        let ok = Access::msp_user(vec![grant(&client)]);
        assert_eq!(
            check_access(&msp, &ok, std::slice::from_ref(&client)),
            Ok(())
        );
        let foreign = Access::msp_user(vec![grant(&stranger)]);
        assert_eq!(
            check_access(&msp, &foreign, std::slice::from_ref(&stranger)),
            Err(AccessError::NotAClient(stranger.id).into())
        );
        let twice = Access::msp_user(vec![grant(&client), grant(&client)]);
        assert_eq!(
            check_access(&msp, &twice, std::slice::from_ref(&client)),
            Err(AccessError::DuplicateGrant(client.id).into())
        );
        assert_eq!(
            check_access(&msp, &Access::user(Role::Admin), &[]),
            Err(AccessError::MspNeedsClientGrants.into())
        );
        assert_eq!(
            check_access(&client, &ok, std::slice::from_ref(&client)),
            Err(AccessError::GrantsOnlyFromMsp.into())
        );
    }
}
