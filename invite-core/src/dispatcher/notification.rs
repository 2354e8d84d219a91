//! Building what the notifier is given for one message: everything a template needs.

use crate::access::AccessScope;
use crate::ids::OrgId;
use crate::invitation::Invitation;
use crate::notifier::{GrantSummary, Notification, SignupUrl};
use crate::org::Organization;
use crate::outbox::OutboxMessage;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// The notification for `msg` about `inv` of `org`. `clients` are the loaded client
/// organizations its grants name (a missing one is shown by id rather than failing the
/// message).
pub(crate) fn notification(
    msg: &OutboxMessage,
    inv: &Invitation,
    org: &Organization,
    clients: &HashMap<OrgId, Organization>,
    signup_url: Option<SignupUrl>,
    expires_at: Option<DateTime<Utc>>,
) -> Notification {
    let grants = match &inv.access().scope {
        AccessScope::Role(role) => vec![GrantSummary {
            org_name: org.name.clone(),
            role: *role,
        }],
        AccessScope::Clients(grants) => grants
            .iter()
            .map(|g| GrantSummary {
                org_name: clients
                    .get(&g.client)
                    .map_or_else(|| g.client.to_string(), |c| c.name.clone()),
                role: g.role,
            })
            .collect(),
    };
    Notification {
        message_id: msg.id,
        invitation: inv.id,
        kind: msg.kind,
        channel: inv.channel,
        to: inv.address(),
        language: org.settings.language,
        org_name: org.name.clone(),
        sender_name: inv.sender.name.clone(),
        invitation_type: inv.access().invitation_type.clone(),
        grants,
        signup_url,
        expires_at,
        time_zone: org.settings.time_zone,
        attempt: msg.attempts,
    }
}
