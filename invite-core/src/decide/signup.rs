//! Signing up with a link, and the first login (R6, R3.2).

use super::{Decision, authorize};
use crate::access::InvitationType;
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::bounds;
use crate::contact::Channel;
use crate::ids::{InvitationId, OrgId, UserRef};
use crate::invitation::{Invitation, ReturnPath};
use crate::member::{Member, Seats};
use crate::notifier::GrantSummary;
use crate::org::Language;
use crate::org::{Organization, SeatPolicy};
use crate::refusal::Refusal;
use crate::store::{Commit, SeatCheck, Write};
use crate::token::LinkRecord;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A successful signup.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Signup {
    /// The new member: create the account with `member.access`.
    pub member: Member,
    /// The invitation, now Never Used.
    pub invitation: Invitation,
}

impl Signup {
    /// The application's metadata the invitation carried for the new member (issue 11).
    pub fn metadata(&self) -> Option<&serde_json::Value> {
        self.invitation.options().metadata.as_ref()
    }

    /// Where the application sends the new member now, if the invitation said (issue 11).
    pub fn return_path(&self) -> Option<&ReturnPath> {
        self.invitation.options().return_path.as_ref()
    }
}

/// What a signup is decided from.
#[derive(Clone, Copy, Debug)]
pub struct SignupFacts<'a> {
    /// The link the token hashes to.
    pub link: &'a LinkRecord,
    /// Its invitation.
    pub invitation: &'a Invitation,
    /// The invitation's organization.
    pub org: &'a Organization,
    /// Active members of the organization reachable at the invitation's contact keys.
    pub members: &'a [Member],
    /// The organization's seats now.
    pub seats: Seats,
    /// The store refused the previous attempt's commit for want of a seat (R3.4): this time
    /// the signup fails for seats whatever the count said.
    pub lost_seat_race: bool,
}

/// What a signup page shows about a link, read without using it ([`preview`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkPreview {
    /// The invitation.
    pub invitation: InvitationId,
    /// The organization inviting.
    pub organization: OrgId,
    /// Its name.
    pub organization_name: String,
    /// Who invited ("Ann Lee invited you").
    pub invited_by: String,
    /// The address the invitation went to (to pre-fill the form).
    pub address: String,
    /// The channel it went by.
    pub channel: Channel,
    /// User or admin, with the permission level.
    pub invitation_type: InvitationType,
    /// What it grants, organization by organization, by name.
    pub grants: Vec<GrantSummary>,
    /// Until when the link works.
    pub expires_at: Option<DateTime<Utc>>,
    /// The language to write the page in: the invitee's if the invitation names one, else
    /// the organization's.
    pub language: Language,
    /// Where the application sends the new member after signup, if the invitation said
    /// (issue 11). The application's metadata is not shown: it is for the member's account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_path: Option<ReturnPath>,
    /// The organization's time zone, to show dates in.
    pub time_zone: Tz,
}

/// Why a link cannot sign up now, exactly as [`sign_up`] would refuse it (R6.2): the link's
/// own refusal, [`Refusal::LinkAlreadyUsed`] for the member this very link made (however the
/// race between two submissions went), [`Refusal::AlreadyMember`] for a contact that is a
/// member already.
fn link_refusal(facts: &SignupFacts<'_>, now: DateTime<Utc>) -> Option<Refusal> {
    let inv = facts.invitation;
    if facts.members.iter().any(|m| m.invitation == Some(inv.id)) {
        return Some(Refusal::LinkAlreadyUsed);
    }
    if let Some(refusal) = inv.link_refusal(facts.link.generation, now) {
        return Some(refusal);
    }
    if !facts.members.is_empty() {
        return Some(Refusal::AlreadyMember {
            address: inv.contact.to_string(),
        });
    }
    None
}

/// R6.2: what a signup page shows about a link, with exactly the refusals [`sign_up`] would
/// give at `now` (unknown links are the caller's: no facts), consuming nothing. Seats are not
/// predicted: whether one is free is decided when the invitee submits (R3.2). `clients` names
/// the clients the access grants roles on.
pub fn preview(
    facts: SignupFacts<'_>,
    clients: &[Organization],
    now: DateTime<Utc>,
) -> Result<LinkPreview, Refusal> {
    if let Some(refusal) = link_refusal(&facts, now) {
        return Err(refusal);
    }
    let inv = facts.invitation;
    let org = facts.org;
    let client_name = |id| clients.iter().find(|c| c.id == id).map(|c| c.name.clone());
    Ok(LinkPreview {
        invitation: inv.id,
        organization: org.id,
        organization_name: org.name.clone(),
        invited_by: inv.sender.name.clone(),
        address: inv.address(),
        channel: inv.channel,
        invitation_type: inv.access().invitation_type.clone(),
        grants: super::access::grant_summaries(inv.access(), org, client_name),
        expires_at: inv.expires_at(),
        language: inv.language_or(org.settings.language),
        return_path: inv.options().return_path.clone(),
        time_zone: org.settings.time_zone,
    })
}

/// R6.3: a signup submitted again with the same link and the same application user id (a
/// retry after a timeout, a double submit) answers the signup it made instead of a refusal;
/// with another user id, or none, it stays [`Refusal::LinkAlreadyUsed`].
fn repeated_signup(facts: &SignupFacts<'_>, user_ref: Option<&UserRef>) -> Option<Signup> {
    let inv = facts.invitation;
    inv.signed_up_at()?;
    let member = facts
        .members
        .iter()
        .find(|m| m.invitation == Some(inv.id) && Some(m.id) == inv.member())?;
    let user_ref = user_ref.or(inv.user_ref())?;
    (member.user_ref.as_ref() == Some(user_ref)).then(|| Signup {
        member: member.clone(),
        invitation: inv.clone(),
    })
}

/// R6.2, R6.3, R3.2: a signup with a link. The same submission again (same link, same
/// application user id) answers the same signup. Refused with the link's own refusal (used,
/// cancelled, superseded, failed, expired; the record's [`Invitation::link_refusal`]); a
/// contact that is a member already is [`Refusal::AlreadyMember`], except the member this very
/// link made, which is [`Refusal::LinkAlreadyUsed`] however the race between two submissions
/// of the link went. Without a free seat under `ClaimOnSignup` (or after losing the race for
/// the last one) the invitation becomes Failed and the answer is [`Refusal::SeatsExhausted`];
/// otherwise a member is created, claiming a seat (or converting the reservation under
/// `ReserveOnInvite`, R3.5). `user_ref` is the application's id for the new account; without
/// it, the invitation's own (R2.11). With the organization's accepted notices on, the same
/// commit queues the notice to the sender ([`super::notices::accepted_notice`]).
pub fn sign_up(
    facts: SignupFacts<'_>,
    user_ref: Option<UserRef>,
    now: DateTime<Utc>,
) -> Decision<Signup> {
    Decision::or_refuse((|| {
        let inv = facts.invitation;
        let generation = facts.link.generation;
        if let Some(signup) = repeated_signup(&facts, user_ref.as_ref()) {
            return Ok(Decision::nothing(signup));
        }
        if let Some(refusal) = link_refusal(&facts, now) {
            return Err(refusal);
        }
        let user_ref = match user_ref {
            Some(u) => Some(UserRef(bounds::check_id("user_ref", u.as_str())?)),
            None => inv.user_ref().cloned(),
        };
        let actor = &Actor::Invitee;
        let before = Some(inv.status_at(now));
        let mut commit = Commit::new(inv.org, now);
        let claims_seat = facts.org.settings.seat_policy == SeatPolicy::ClaimOnSignup;
        if facts.lost_seat_race || (claims_seat && facts.seats.available == 0) {
            // R3.2: the failed signup is itself a recorded outcome.
            let failed = inv.signup_refused_for_seats(generation, now)?;
            commit.audit.push(AuditEvent::invitation(
                inv.org,
                inv.id,
                actor,
                now,
                AuditAction::SignupFailedSeatsExhausted,
                before,
                Some(failed.status_at(now)),
            ));
            commit.invitations.push(Write::Update(failed));
            return Ok(Decision::recorded_refusal(commit, Refusal::SeatsExhausted));
        }
        let member = Member::joined(
            inv.org,
            inv.contact.clone(),
            user_ref.clone(),
            inv.access().clone(),
            Some(inv.id),
            now,
        );
        let signed_up = inv.signed_up(generation, member.id, user_ref, now)?;
        commit.seat_check = Some(match claims_seat {
            true => SeatCheck::claim_member(),
            false => SeatCheck::reserved_member(),
        });
        commit.members.push(Write::Insert(member.clone()));
        commit.audit.push(AuditEvent::invitation(
            inv.org,
            inv.id,
            actor,
            now,
            AuditAction::SignedUp { member: member.id },
            before,
            Some(signed_up.status_at(now)),
        ));
        // The sender is told, if the organization asks for it, in the same commit (R7.1).
        commit
            .outbox
            .extend(super::notices::accepted_notice(facts.org, &signed_up, now));
        commit.invitations.push(Write::Update(signed_up.clone()));
        Ok(Decision::commit(
            commit,
            Signup {
                member,
                invitation: signed_up,
            },
        ))
    })())
}

/// R6.4: the first login, reported by the application (or, on their behalf, by the member
/// themself or an admin of their organization; R10.1: a read-only user reads only), moves
/// Never Used to Completed. Later reports, and members who came without an invitation
/// (`invitation` is `None`), change nothing.
pub fn record_first_login(
    actor: &Actor,
    member: &Member,
    invitation: Option<&Invitation>,
    now: DateTime<Utc>,
) -> Decision<()> {
    Decision::or_refuse((|| {
        match actor {
            Actor::Application | Actor::System => {}
            Actor::OrgUser { org, user, .. } if *org == member.org => {
                let is_self = member.user_ref.as_ref() == Some(user);
                match is_self {
                    true => bounds::check_actor(actor)?,
                    false => authorize::admin_of(actor, member.org)?,
                }
            }
            Actor::OrgUser { .. } => return Err(Refusal::MemberNotFound(member.id)),
            _ => {
                return Err(Refusal::Forbidden(
                    "only the application, an admin or the member themself reports a login".into(),
                ));
            }
        }
        let Some(inv) = invitation.filter(|i| i.first_login_at().is_none()) else {
            return Ok(Decision::nothing(()));
        };
        let logged_in = inv.first_login(now)?;
        let mut commit = Commit::new(inv.org, now);
        commit.audit.push(AuditEvent::invitation(
            inv.org,
            inv.id,
            actor,
            now,
            AuditAction::FirstLogin,
            Some(inv.status_at(now)),
            Some(logged_in.status_at(now)),
        ));
        commit.invitations.push(Write::Update(logged_in));
        Ok(Decision::commit(commit, ()))
    })())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::given::*;
    use crate::invitation::Status;

    fn link_of(inv: &Invitation) -> LinkRecord {
        LinkRecord {
            hash: crate::token::TokenHash([7; 32]),
            invitation: inv.id,
            generation: inv.link_generation(),
            issued_at: now(),
        }
    }

    #[test]
    fn r3_2_without_a_free_seat_the_signup_fails_the_invitation() {
        let org = standalone(1);
        let inv = pending(&org, "bob@example.com");
        let link = link_of(&inv);
        let facts = SignupFacts {
            link: &link,
            invitation: &inv,
            org: &org,
            members: &[],
            seats: seats(1, 1),
            lost_seat_race: false,
        };
        let d = sign_up(facts, None, now());
        assert_eq!(d.answer, Err(Refusal::SeatsExhausted));
        let commit = d.commit.expect("the failure is recorded");
        assert_eq!(
            commit.invitations[0].record().status_at(now()),
            Status::Failed
        );
        assert_eq!(commit.seat_check, None);
    }

    #[test]
    fn r6_3_the_loser_of_two_submissions_of_one_link_is_told_the_link_is_used() {
        // given the winner's member, seen before its invitation's update (a stale read)
        let org = standalone(5);
        let inv = pending(&org, "bob@example.com");
        let link = link_of(&inv);
        let winner = Member::joined(
            org.id,
            inv.contact.clone(),
            None,
            read_only(),
            Some(inv.id),
            now(),
        );
        let facts = SignupFacts {
            link: &link,
            invitation: &inv,
            org: &org,
            members: std::slice::from_ref(&winner),
            seats: seats(5, 1),
            lost_seat_race: false,
        };
        // then the answer is LinkAlreadyUsed, never AlreadyMember
        assert_eq!(
            sign_up(facts, None, now()).answer,
            Err(Refusal::LinkAlreadyUsed)
        );
    }

    #[test]
    fn r6_2_r3_5_a_reserved_signup_converts_its_seat() {
        let mut org = standalone(1);
        org.settings.seat_policy = SeatPolicy::ReserveOnInvite;
        let inv = pending(&org, "bob@example.com");
        let link = link_of(&inv);
        let facts = SignupFacts {
            link: &link,
            invitation: &inv,
            org: &org,
            members: &[],
            seats: seats(1, 1),
            lost_seat_race: false,
        };
        let d = sign_up(facts, Some("app-7".into()), now());
        let commit = d.commit.unwrap();
        assert_eq!(commit.seat_check, Some(SeatCheck::reserved_member()));
        let signup = d.answer.unwrap();
        assert_eq!(signup.invitation.status_at(now()), Status::NeverUsed);
        assert_eq!(signup.member.user_ref, Some("app-7".into()));
    }

    #[test]
    fn r6_4_a_read_only_user_reports_only_their_own_login() {
        let org = standalone(5);
        let member = Member::joined(
            org.id,
            email("bob@example.com"),
            Some("u-bob".into()),
            read_only(),
            None,
            now(),
        );
        let other = Actor::read_only(org.id, "u-rita", "Rita");
        assert!(matches!(
            record_first_login(&other, &member, None, now()).answer,
            Err(Refusal::Forbidden(_))
        ));
        let own = Actor::read_only(org.id, "u-bob", "Bob");
        assert_eq!(
            record_first_login(&own, &member, None, now()),
            Decision::nothing(())
        );
    }
}
