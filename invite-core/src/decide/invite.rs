//! Inviting: one address, many, or the application's directory users (R2, R3.3, R3.5).

use super::options::{HandedLink, InviteAnswer, InviteExtras, hand_out, wait_for_seat};
use super::{Decision, access, authorize};
use crate::access::Access;
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::contact::{Channel, Contact};
use crate::ids::UserRef;
use crate::invitation::{Invitation, InvitationOptions, NewInvitation, Status};
use crate::member::{Member, Seats};
use crate::org::{Organization, SeatPolicy};
use crate::outbox::{MessageKind, OutboxMessage};
use crate::refusal::Refusal;
use crate::store::{Commit, SeatCheck, Write};
use crate::waitlist::{WaitingFor, WaitingInvite};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// One address to invite, as parsed from the caller's input.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// The address (or directory user id) as given; answers are keyed by it.
    pub input: String,
    /// The contact, or why the input is not one.
    pub contact: Result<Contact, Refusal>,
    /// The channel to deliver by.
    pub channel: Channel,
    /// The application's user id to tie the invitation to (R2.11).
    pub user_ref: Option<UserRef>,
}

/// The result for one address of a bulk invite (R2.9). In JSON:
/// `{"input": ..., "result": {"invited": <invitation>}}` or
/// `{"input": ..., "result": {"refused": <refusal>}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InviteOutcome {
    /// The address (or directory user id) as given.
    pub input: String,
    /// The invitation, or why there is none.
    #[serde(with = "invited_or_refused")]
    pub result: Result<Invitation, Refusal>,
    /// Set when the invitation goes by another channel than the one asked for: the channel
    /// asked (a directory invite by SMS in an e-mail-only organization goes by e-mail to a
    /// user with an address, issue 11). Absent in JSON when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instead_of: Option<Channel>,
}

/// `Result<Invitation, Refusal>` as `{"invited": ...}` or `{"refused": ...}`.
mod invited_or_refused {
    use super::{Invitation, Refusal};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Shape<I, R> {
        Invited(I),
        Refused(R),
    }

    pub(super) fn serialize<S: Serializer>(
        r: &Result<Invitation, Refusal>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match r {
            Ok(inv) => Shape::<&Invitation, &Refusal>::Invited(inv).serialize(s),
            Err(refusal) => Shape::<&Invitation, &Refusal>::Refused(refusal).serialize(s),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Result<Invitation, Refusal>, D::Error> {
        Ok(match Shape::<Invitation, Refusal>::deserialize(d)? {
            Shape::Invited(inv) => Ok(inv),
            Shape::Refused(r) => Err(r),
        })
    }
}

/// What an invite is decided from.
#[derive(Clone, Copy, Debug)]
pub struct InviteFacts<'a> {
    /// The sending organization.
    pub org: &'a Organization,
    /// The client organizations the access grants roles on, as loaded.
    pub clients: &'a [Organization],
    /// Open invitations of the organization to the candidates' address keys (R2.7).
    pub open: &'a [Invitation],
    /// Active members reachable at any of the candidates' contact keys (R2.7).
    pub members: &'a [Member],
    /// The organization's seats now (R3.3).
    pub seats: Seats,
}

/// The address keys and contact keys a decision about `candidates` needs loaded: open
/// invitations by the first, members by the second.
pub fn keys_to_load(candidates: &[Candidate]) -> (Vec<String>, Vec<String>) {
    let mut address_keys = Vec::new();
    let mut contact_keys = Vec::new();
    for c in candidates {
        if let Ok(contact) = &c.contact {
            address_keys.extend(contact.key_for(c.channel));
            contact_keys.extend(contact.keys());
        }
    }
    (address_keys, contact_keys)
}

/// R2.9: invites every candidate with the same access, in one commit, answering each on its
/// own; one bad address never blocks the others. Per candidate, in order: the input is a
/// contact (R2.2); the organization allows its channel (R1.2); the contact has an address for
/// it (R2.3); it is no member (R2.7, `AlreadyMember`); it is not given twice in the call nor
/// live already (R2.7, `AlreadyInvited`); a seat is free (R3.3, R3.5). An open invitation to
/// the address that is Expired or Failed is replaced (R2.7). The call itself is refused only
/// for what concerns every candidate: the actor (R10.1) and the access (R2.4, R2.5).
pub fn invite(
    actor: &Actor,
    facts: InviteFacts<'_>,
    access: &Access,
    candidates: &[Candidate],
    now: DateTime<Utc>,
) -> Decision<Vec<InviteOutcome>> {
    let d = invite_with(actor, facts, access, InviteExtras::none(), candidates, now);
    Decision {
        commit: d.commit,
        answer: d.answer.map(|a| a.outcomes),
    }
}

/// [`invite`] with per-invitation options (issue 11): the options are checked against the
/// organization first (a bad one refuses the call, naming its field); each invitation keeps
/// them; with [`Sending::ByHand`](crate::Sending::ByHand) its link is handed out instead of
/// sent (`options::hand_out`); with [`InviteOptions::waitlist`](crate::InviteOptions) a
/// candidate refused with [`Refusal::NoSeatsAvailable`] joins the waitlist
/// (`options::wait_for_seat`); a by-hand invite that waits is sent by message when it
/// moves, as no admin is there to take its link then.
pub fn invite_with(
    actor: &Actor,
    facts: InviteFacts<'_>,
    access: &Access,
    extras: InviteExtras<'_>,
    candidates: &[Candidate],
    now: DateTime<Utc>,
) -> Decision<InviteAnswer> {
    Decision::or_refuse((|| {
        authorize::admin_of(actor, facts.org.id)?;
        let sender = authorize::sender(actor)?;
        access::check_access(facts.org, access, facts.clients)?;
        let options = extras.options.checked(&facts.org.settings)?;
        if options.by_hand && extras.tokens.len() < candidates.len() {
            return Err(Refusal::OutOfRange {
                field: "tokens".into(),
                allowed: "one minted link per address handed out by hand".into(),
            });
        }
        let each = Each {
            actor,
            access,
            sender: &sender,
            options: &options,
            extras,
        };
        Ok(invite_each(each, facts, candidates, now))
    })())
}

/// What every candidate of one call shares.
struct Each<'a> {
    actor: &'a Actor,
    access: &'a Access,
    sender: &'a crate::invitation::Sender,
    options: &'a InvitationOptions,
    extras: InviteExtras<'a>,
}

fn invite_each(
    each: Each<'_>,
    facts: InviteFacts<'_>,
    candidates: &[Candidate],
    now: DateTime<Utc>,
) -> Decision<InviteAnswer> {
    let Each {
        actor,
        access,
        sender,
        options,
        extras,
    } = each;
    let mut links = Vec::new();
    let mut waitlisted = Vec::new();
    let org = facts.org;
    let open: HashMap<String, &Invitation> = facts
        .open
        .iter()
        .map(|inv| (inv.address_key(), inv))
        .collect();
    let members: HashSet<String> = facts
        .members
        .iter()
        .flat_map(|m| m.contact.keys())
        .collect();
    let reserve = org.settings.seat_policy == SeatPolicy::ReserveOnInvite;
    let mut available = facts.seats.available;
    let mut seen = HashSet::new();
    let mut commit = Commit::new(org.id, now);
    let mut outcomes = Vec::with_capacity(candidates.len());
    for (i, c) in candidates.iter().enumerate() {
        let result = (|| {
            let contact = c.contact.clone()?;
            if !org.settings.channels.allows(c.channel) {
                return Err(Refusal::ChannelNotAllowed(c.channel));
            }
            if !contact.reachable_by(c.channel) {
                return Err(match &c.user_ref {
                    Some(user) => Refusal::MissingContact {
                        user: user.clone(),
                        channel: c.channel,
                    },
                    None => Refusal::Unreachable {
                        address: contact.to_string(),
                        channel: c.channel,
                    },
                });
            }
            let key = contact.key_for(c.channel).unwrap_or_default();
            let address = match c.channel {
                Channel::Email => contact.email_address().map(|e| e.to_string()),
                Channel::Sms => contact.phone_number().map(|p| p.to_string()),
            }
            .unwrap_or_else(|| key.clone());
            if contact.keys().iter().any(|k| members.contains(k)) {
                return Err(Refusal::AlreadyMember { address });
            }
            // The same address twice in one call: the first wins.
            if !seen.insert(key.clone()) {
                return Err(Refusal::AlreadyInvited { address });
            }
            let replaced = open.get(&key).copied();
            if replaced.is_some_and(|old| old.status_at(now).is_live()) {
                return Err(Refusal::AlreadyInvited { address });
            }
            if available == 0 {
                if options.waitlist {
                    let request = WaitingFor::Invite(Box::new(WaitingInvite {
                        contact,
                        channel: c.channel,
                        access: access.clone(),
                        user_ref: c.user_ref.clone(),
                        sender: sender.clone(),
                        options: InvitationOptions {
                            by_hand: false,
                            ..options.clone()
                        },
                    }));
                    let w = wait_for_seat(&mut commit, actor, extras.waiting, key, request, now);
                    waitlisted.push(w);
                }
                return Err(Refusal::NoSeatsAvailable);
            }
            if reserve {
                available -= 1;
            }
            let inv = Invitation::queued_with(
                NewInvitation {
                    org: org.id,
                    contact,
                    channel: c.channel,
                    access: access.clone(),
                    user_ref: match replaced {
                        Some(old) => old.user_ref_for_replacement(c.user_ref.clone()),
                        None => c.user_ref.clone(),
                    },
                    sender: sender.clone(),
                },
                options.clone(),
                now,
            )?;
            if let Some(old) = replaced {
                if let Ok(closed) = old.replaced(inv.id, now) {
                    commit.audit.push(AuditEvent::invitation(
                        org.id,
                        old.id,
                        actor,
                        now,
                        AuditAction::Replaced { by: inv.id },
                        Some(old.status_at(now)),
                        Some(closed.status_at(now)),
                    ));
                    commit.invitations.push(Write::Update(closed));
                }
            }
            match extras.tokens.get(i).filter(|_| options.by_hand) {
                Some(token) => {
                    let inv = hand_out(&mut commit, actor, org, &inv, token, now)?;
                    links.push(HandedLink {
                        invitation: inv.id,
                        input: c.input.clone(),
                        token: token.clone(),
                    });
                    Ok(inv)
                }
                None => {
                    queue_invitation(&mut commit, actor, &inv, now);
                    Ok(inv)
                }
            }
        })();
        outcomes.push(InviteOutcome {
            input: c.input.clone(),
            result,
            instead_of: None,
        });
    }
    let created = outcomes.iter().filter(|o| o.result.is_ok()).count() as u32;
    let answer = InviteAnswer {
        outcomes,
        links,
        waitlisted,
    };
    if created == 0 && commit.waitlist.is_empty() {
        return Decision::nothing(answer);
    }
    if created > 0 {
        commit.seat_check = Some(seats_needed(org.settings.seat_policy, created));
    }
    Decision::commit(commit, answer)
}

/// Adds a new invitation to `commit` with its first message (R7.1) and its audit event.
pub(crate) fn queue_invitation(
    commit: &mut Commit,
    actor: &Actor,
    inv: &Invitation,
    now: DateTime<Utc>,
) {
    commit.outbox.push(OutboxMessage::new(
        inv.org,
        inv.id,
        MessageKind::Invitation,
        inv.link_generation(),
        now,
    ));
    commit.audit.push(AuditEvent::invitation(
        inv.org,
        inv.id,
        actor,
        now,
        AuditAction::Invited,
        None,
        Some(Status::Queued),
    ));
    commit.invitations.push(Write::Insert(inv.clone()));
}

/// R3.3, R3.5: the seats an invite of `created` invitations needs free at commit time. Under
/// `ClaimOnSignup` an invite takes no seat but needs one free; under `ReserveOnInvite` each
/// new invitation holds one.
pub fn seats_needed(policy: SeatPolicy, created: u32) -> SeatCheck {
    match policy {
        SeatPolicy::ClaimOnSignup => SeatCheck::seats(1),
        SeatPolicy::ReserveOnInvite => SeatCheck::seats(created.max(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::given::*;
    use crate::org::AllowedChannels;

    fn candidate(address: &str) -> Candidate {
        let contact = crate::contact::parse_address(address).map_err(Refusal::from);
        let channel = match &contact {
            Ok(c) if c.email_address().is_none() => Channel::Sms,
            _ => Channel::Email,
        };
        Candidate {
            input: address.into(),
            contact,
            channel,
            user_ref: None,
        }
    }

    fn facts<'a>(org: &'a Organization, open: &'a [Invitation], seats: Seats) -> InviteFacts<'a> {
        InviteFacts {
            org,
            clients: &[],
            open,
            members: &[],
            seats,
        }
    }

    #[test]
    fn r2_9_one_bad_address_never_blocks_the_others_and_it_is_one_commit() {
        // given an organization with free seats that allows e-mail only
        let mut org = standalone(10);
        org.settings.channels = AllowedChannels::EMAIL_ONLY;
        let input = [
            "ann@example.com",
            "not an address",
            "+79051111111",
            "ann@EXAMPLE.com",
        ];
        let candidates: Vec<_> = input.iter().map(|a| candidate(a)).collect();
        // when the admin invites them all
        let d = invite(
            &admin_of(&org),
            facts(&org, &[], seats(10, 0)),
            &read_only(),
            &candidates,
            now(),
        );
        // then each address has its answer, and the one invitation is one commit
        let answers: Vec<_> = d
            .answer
            .unwrap()
            .into_iter()
            .map(|o| o.result.map(|i| i.address()))
            .collect();
        assert!(answers[0].is_ok());
        assert!(matches!(answers[1], Err(Refusal::InvalidContact(_))));
        assert_eq!(answers[2], Err(Refusal::ChannelNotAllowed(Channel::Sms)));
        assert!(matches!(answers[3], Err(Refusal::AlreadyInvited { .. })));
        let commit = d.commit.unwrap();
        assert_eq!((commit.invitations.len(), commit.outbox.len()), (1, 1));
    }

    #[test]
    fn r2_7_a_live_invitation_refuses_and_an_expired_one_is_replaced() {
        let org = standalone(10);
        let live = pending(&org, "bob@example.com");
        let d = invite(
            &admin_of(&org),
            facts(&org, std::slice::from_ref(&live), seats(10, 0)),
            &read_only(),
            &[candidate("bob@example.com")],
            now(),
        );
        assert!(matches!(
            d.answer.unwrap()[0].result,
            Err(Refusal::AlreadyInvited { .. })
        ));
        assert!(d.commit.is_none());
        let old = expired(&org, "bob@example.com");
        let d = invite(
            &admin_of(&org),
            facts(&org, std::slice::from_ref(&old), seats(10, 0)),
            &read_only(),
            &[candidate("bob@example.com")],
            now(),
        );
        let commit = d.commit.unwrap();
        let statuses: Vec<_> = commit
            .invitations
            .iter()
            .map(|w| w.record().status_at(now()))
            .collect();
        assert_eq!(statuses, [Status::Cancelled, Status::Queued]);
    }

    #[test]
    fn r3_3_r3_5_inviting_needs_a_seat_and_reserving_takes_one_each() {
        let mut org = standalone(2);
        let none = invite(
            &admin_of(&org),
            facts(&org, &[], seats(2, 2)),
            &read_only(),
            &[candidate("a@x.io")],
            now(),
        );
        assert_eq!(
            none.answer.unwrap()[0].result,
            Err(Refusal::NoSeatsAvailable)
        );
        org.settings.seat_policy = SeatPolicy::ReserveOnInvite;
        let three: Vec<_> = ["a@x.io", "b@x.io", "c@x.io"]
            .iter()
            .map(|a| candidate(a))
            .collect();
        let d = invite(
            &admin_of(&org),
            facts(&org, &[], seats(2, 0)),
            &read_only(),
            &three,
            now(),
        );
        let ok = d
            .answer
            .unwrap()
            .iter()
            .filter(|o| o.result.is_ok())
            .count();
        assert_eq!(ok, 2);
        assert_eq!(d.commit.unwrap().seat_check, Some(SeatCheck::seats(2)));
    }

    #[test]
    fn r10_1_a_read_only_user_cannot_invite() {
        let org = standalone(2);
        let reader = Actor::read_only(org.id, "u-2", "Rita");
        let d = invite(
            &reader,
            facts(&org, &[], seats(2, 0)),
            &read_only(),
            &[candidate("a@x.io")],
            now(),
        );
        assert!(matches!(d.answer, Err(Refusal::Forbidden(_))));
    }
}
