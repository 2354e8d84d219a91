//! Building what the notifier is given for one message: everything a template needs.

use crate::decide::access::grant_summaries;
use crate::ids::OrgId;
use crate::invitation::Invitation;
use crate::notifier::{Notification, SignupUrl};
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
    let grants = grant_summaries(inv.access(), org, |id| {
        clients.get(&id).map(|c| c.name.clone())
    });
    Notification {
        message_id: msg.id,
        invitation: inv.id,
        kind: msg.kind,
        channel: inv.channel,
        to: inv.address(),
        language: inv.language_or(org.settings.language),
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
