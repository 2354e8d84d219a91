//! Building what the notifier is given for one message: everything a template needs.

use crate::contact::Channel;
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
/// message). `recipient` is where a message not to the invitee goes (an accepted notice's
/// sender, `decide::notices::recipient`); `None` is the invitee, by the invitation's channel.
pub(crate) fn notification(
    msg: &OutboxMessage,
    inv: &Invitation,
    org: &Organization,
    clients: &HashMap<OrgId, Organization>,
    link: (Option<SignupUrl>, Option<DateTime<Utc>>),
    recipient: Option<(Channel, String)>,
) -> Notification {
    let (signup_url, expires_at) = link;
    let invitee = inv.address();
    let recipient_is_invitee = recipient.is_none();
    let (channel, to) = recipient.unwrap_or_else(|| (inv.channel, invitee.clone()));
    let grants = grant_summaries(inv.access(), org, |id| {
        clients.get(&id).map(|c| c.name.clone())
    });
    Notification {
        message_id: msg.id,
        invitation: inv.id,
        kind: msg.kind,
        channel,
        to,
        invitee,
        // A message to the invitee speaks the invitee's language if the invitation set one;
        // an accepted notice goes to the sender, in the organization's.
        language: match recipient_is_invitee {
            true => inv.language_or(org.settings.language),
            false => org.settings.language,
        },
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
