//! Accepted notices: the sender of an invitation is told when the invitee signs up, if the
//! organization asks for it (`OrgSettings::accepted_notices`, off by default). The notice is
//! an outbox message of its own kind ([`MessageKind::AcceptedNotice`]) written in the
//! signup's commit (R7.1), in the organization's language, without a link or a token.
//!
//! Who receives it is decided at delivery, from the sender as they are then: the active
//! member of the invitation's organization tied to the sender's application user id, at
//! their e-mail address if they have one and the organization allows e-mail, otherwise at
//! their phone by SMS if allowed. A sender who is not (or no longer) such a member, or has no
//! address the organization allows, gets no notice: the message is dropped with the reason,
//! and the signup is not affected ([`recipient`]).

use super::{Decision, authorize};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::contact::Channel;
use crate::invitation::Invitation;
use crate::member::Member;
use crate::org::Organization;
use crate::outbox::{MessageKind, OutboxMessage};
use crate::store::{Commit, Write};
use chrono::{DateTime, Utc};

/// An admin switches accepted notices on or off for their organization; audited as a
/// settings change (R10.2). The same value again changes nothing.
pub fn set_accepted_notices(
    actor: &Actor,
    org: &Organization,
    enabled: bool,
    now: DateTime<Utc>,
) -> Decision<Organization> {
    Decision::or_refuse(authorize::admin_of(actor, org.id).map(|()| {
        if org.settings.accepted_notices == enabled {
            return Decision::nothing(org.clone());
        }
        let next = org.accepted_notices_switched(enabled);
        let mut commit = Commit::new(org.id, now);
        commit.organization = Some(Write::Update(next.clone()));
        commit.audit.push(AuditEvent::organization(
            org.id,
            actor,
            now,
            AuditAction::SettingsChanged,
        ));
        Decision::commit(commit, next)
    }))
}

/// The accepted notice a signup of `signed_up` (the invitation as the signup leaves it) in
/// `org` queues at `now`: one message to the sender when the organization's setting is on,
/// none when it is off.
pub fn accepted_notice(
    org: &Organization,
    signed_up: &Invitation,
    now: DateTime<Utc>,
) -> Option<OutboxMessage> {
    org.settings.accepted_notices.then(|| {
        OutboxMessage::new(
            org.id,
            signed_up.id,
            MessageKind::AcceptedNotice,
            signed_up.link_generation(),
            now,
        )
    })
}

/// Where an accepted notice about `inv` goes: the sender's address and channel, from
/// `senders`, the active members of the invitation's organization tied to the sender's
/// application user id, newest first (the newest is taken). E-mail first, then SMS, each only
/// if `org` allows it. `Err` says why there is no one to tell; the notice is dropped with it.
pub fn recipient(
    inv: &Invitation,
    org: &Organization,
    senders: &[Member],
) -> Result<(Channel, String), String> {
    let Some(sender) = senders.iter().find(|m| {
        m.is_active() && m.org == inv.org && m.user_ref.as_ref() == Some(&inv.sender.user)
    }) else {
        return Err("the sender is not a member of the organization".into());
    };
    let allows = |c| org.settings.channels.allows(c);
    let contact = &sender.contact;
    if let Some(email) = contact.email_address().filter(|_| allows(Channel::Email)) {
        return Ok((Channel::Email, email.to_string()));
    }
    if let Some(phone) = contact.phone_number().filter(|_| allows(Channel::Sms)) {
        return Ok((Channel::Sms, phone.to_string()));
    }
    Err("the sender has no address the organization allows".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::Contact;
    use crate::decide::given::*;

    #[test]
    fn a_notice_goes_to_the_senders_member_address_by_a_channel_the_org_allows() {
        let mut org = standalone(5);
        let inv = pending(&org, "bob@example.com");
        let contact = Contact::parse_email("ann@example.com").unwrap();
        let sender = Member::joined(
            org.id,
            contact,
            Some(inv.sender.user.clone()),
            read_only(),
            None,
            now(),
        );
        let senders = std::slice::from_ref(&sender);
        assert_eq!(
            recipient(&inv, &org, senders),
            Ok((Channel::Email, "ann@example.com".into()))
        );
        org.settings.channels.email = false;
        assert!(recipient(&inv, &org, senders).is_err());
        let removed = sender.removed(now()).unwrap();
        assert!(recipient(&inv, &standalone(5), &[removed]).is_err());
        assert!(recipient(&inv, &org, &[]).is_err());
    }

    #[test]
    fn the_setting_decides_whether_a_signup_queues_a_notice() {
        let mut org = standalone(5);
        let inv = pending(&org, "bob@example.com");
        assert_eq!(accepted_notice(&org, &inv, now()), None);
        org.settings.accepted_notices = true;
        let notice = accepted_notice(&org, &inv, now()).expect("a notice");
        assert_eq!(notice.kind, MessageKind::AcceptedNotice);
        assert_eq!(notice.invitation, inv.id);
    }
}
