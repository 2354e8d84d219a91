//! Members added without an invitation, their access edited, and removed (R3.1, R2.4, R2.5,
//! R3.6).

use super::{Decision, access, authorize};
use crate::access::Access;
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::bounds;
use crate::contact::Contact;
use crate::ids::UserRef;
use crate::invitation::Invitation;
use crate::member::{Member, Seats};
use crate::org::Organization;
use crate::refusal::Refusal;
use crate::store::{Commit, SeatCheck, Write};
use chrono::{DateTime, Utc};

/// What adding a member is decided from.
#[derive(Clone, Copy, Debug)]
pub struct AddMemberFacts<'a> {
    /// The organization.
    pub org: &'a Organization,
    /// The client organizations the access grants roles on, as loaded.
    pub clients: &'a [Organization],
    /// Active members reachable at any of the new member's contact keys.
    pub same_contact: &'a [Member],
    /// The organization's seats now.
    pub seats: Seats,
}

/// R3.1: a member added without an invitation (the organization's first admin, say), by the
/// operator or an admin, takes a seat: refused with [`Refusal::NoSeatsAvailable`] when none
/// is free, [`Refusal::AlreadyMember`] for a contact that is one.
pub fn add_member(
    actor: &Actor,
    facts: AddMemberFacts<'_>,
    contact: Contact,
    user_ref: Option<UserRef>,
    access: Access,
    now: DateTime<Utc>,
) -> Decision<Member> {
    Decision::or_refuse((|| {
        authorize::operator_or_admin_of(actor, facts.org.id)?;
        access::check_access(facts.org, &access, facts.clients)?;
        let user_ref = match user_ref {
            Some(u) => Some(UserRef(bounds::check_id("user_ref", u.as_str())?)),
            None => None,
        };
        if !facts.same_contact.is_empty() {
            return Err(Refusal::AlreadyMember {
                address: contact.to_string(),
            });
        }
        if facts.seats.available == 0 {
            return Err(Refusal::NoSeatsAvailable);
        }
        let member = Member::joined(facts.org.id, contact, user_ref, access, None, now);
        let mut commit = Commit::new(facts.org.id, now);
        commit.seat_check = Some(SeatCheck::claim_member());
        commit.members.push(Write::Insert(member.clone()));
        commit.audit.push(AuditEvent::organization(
            facts.org.id,
            actor,
            now,
            AuditAction::MemberAdded { member: member.id },
        ));
        Ok(Decision::commit(commit, member))
    })())
}

/// R3.6: an admin removes a member, freeing the seat; the invitation they came with, if any
/// (`invitation`, as loaded), leaves the lists.
pub fn remove_member(
    actor: &Actor,
    member: &Member,
    invitation: Option<&Invitation>,
    now: DateTime<Utc>,
) -> Decision<Member> {
    Decision::or_refuse((|| {
        authorize::admin_of_member(actor, member)?;
        let removed = member.removed(now)?;
        let mut commit = Commit::new(member.org, now);
        commit.members.push(Write::Update(removed.clone()));
        let action = AuditAction::MemberRemoved { member: member.id };
        match invitation {
            Some(inv) => {
                let before = inv.status_at(now);
                let after = match inv.member_removed(now) {
                    Ok(closed) => {
                        let status = closed.status_at(now);
                        commit.invitations.push(Write::Update(closed));
                        status
                    }
                    // Closed already: nothing more to change on it.
                    Err(_) => before,
                };
                commit.audit.push(AuditEvent::invitation(
                    member.org,
                    inv.id,
                    actor,
                    now,
                    action,
                    Some(before),
                    Some(after),
                ));
            }
            None => commit
                .audit
                .push(AuditEvent::organization(member.org, actor, now, action)),
        }
        Ok(Decision::commit(commit, removed))
    })())
}

/// What editing a member's access is decided from.
#[derive(Clone, Copy, Debug)]
pub struct EditMemberFacts<'a> {
    /// The member, as loaded.
    pub member: &'a Member,
    /// Their organization.
    pub org: &'a Organization,
    /// The client organizations the new access grants roles on, as loaded.
    pub clients: &'a [Organization],
}

/// R2.4, R2.5, R10.1: an admin of the member's organization changes a member's access after
/// signup, within the same rules as an invitation's: an admin has a permission level, an
/// MSP's member holds grants on its own clients, anyone else one role. Someone who cannot read
/// the organization gets [`Refusal::MemberNotFound`], as for a random id; a read-only user
/// [`Refusal::Forbidden`]. An admin cannot change their own access (the member whose
/// application user id is theirs): that is how an organization loses its last admin by a
/// slip. The same access again changes nothing, so a double submission is harmless.
pub fn edit_member_access(
    actor: &Actor,
    facts: EditMemberFacts<'_>,
    access: Access,
    now: DateTime<Utc>,
) -> Decision<Member> {
    Decision::or_refuse((|| {
        let member = facts.member;
        authorize::admin_of_member(actor, member)?;
        if let Actor::OrgUser { user, .. } = actor {
            if member.user_ref.as_ref() == Some(user) {
                return Err(Refusal::Forbidden(
                    "an admin cannot change their own access".into(),
                ));
            }
        }
        access::check_access(facts.org, &access, facts.clients)?;
        let edited = member.access_edited(access)?;
        if edited.access == member.access {
            return Ok(Decision::nothing(edited));
        }
        let mut commit = Commit::new(member.org, now);
        commit.audit.push(AuditEvent::organization(
            member.org,
            actor,
            now,
            AuditAction::MemberAccessEdited {
                member: member.id,
                from: member.access.clone(),
                to: edited.access.clone(),
            },
        ));
        commit.members.push(Write::Update(edited.clone()));
        Ok(Decision::commit(commit, edited))
    })())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::given::*;
    use crate::invitation::Status;

    #[test]
    fn r3_1_adding_a_member_takes_a_seat_and_needs_one() {
        let org = standalone(1);
        let facts = |used| AddMemberFacts {
            org: &org,
            clients: &[],
            same_contact: &[],
            seats: seats(1, used),
        };
        let added = add_member(
            &operator(),
            facts(0),
            email("a@x.io"),
            None,
            read_only(),
            now(),
        );
        let commit = added.commit.expect("a commit");
        assert_eq!(commit.seat_check, Some(SeatCheck::claim_member()));
        let full = add_member(
            &operator(),
            facts(1),
            email("a@x.io"),
            None,
            read_only(),
            now(),
        );
        assert_eq!(full.answer, Err(Refusal::NoSeatsAvailable));
    }

    #[test]
    fn r2_4_editing_a_members_access_checks_the_rules_and_who_asks() {
        let org = standalone(3);
        let member = Member::joined(
            org.id,
            email("bob@example.com"),
            Some("u-bob".into()),
            read_only(),
            None,
            now(),
        );
        let facts = EditMemberFacts {
            member: &member,
            org: &org,
            clients: &[],
        };
        let admin = admin_of(&org);
        let promoted = Access::user(crate::access::Role::Admin);
        let d = edit_member_access(&admin, facts, promoted.clone(), now());
        let commit = d.commit.expect("a commit");
        assert!(matches!(&commit.members[..], [Write::Update(m)] if m.access == promoted));
        assert!(matches!(
            &commit.audit[0].action,
            AuditAction::MemberAccessEdited { from, to, .. } if *from == read_only() && *to == promoted
        ));
        // The same access again: nothing to commit.
        let same = edit_member_access(&admin, facts, read_only(), now());
        assert_eq!(same.commit, None);
        // Others: an outsider cannot tell the member exists; a reader may not; nor the member.
        let stranger = Actor::admin(crate::ids::OrgId::new(), "x", "X");
        assert_eq!(
            edit_member_access(&stranger, facts, promoted.clone(), now()).answer,
            Err(Refusal::MemberNotFound(member.id))
        );
        let reader = Actor::read_only(org.id, "u-rita", "Rita");
        assert!(matches!(
            edit_member_access(&reader, facts, promoted.clone(), now()).answer,
            Err(Refusal::Forbidden(_))
        ));
        let own = Actor::admin(org.id, "u-bob", "Bob");
        assert!(matches!(
            edit_member_access(&own, facts, promoted, now()).answer,
            Err(Refusal::Forbidden(_))
        ));
    }

    #[test]
    fn r3_6_removing_a_member_closes_their_invitation() {
        let org = standalone(3);
        let inv = pending(&org, "bob@example.com");
        let member = Member::joined(
            org.id,
            email("bob@example.com"),
            None,
            read_only(),
            Some(inv.id),
            now(),
        );
        let inv = inv.signed_up(1, member.id, None, now()).unwrap();
        let decision = remove_member(&admin_of(&org), &member, Some(&inv), now());
        let commit = decision.commit.expect("a commit");
        assert!(
            matches!(&commit.invitations[..], [Write::Update(i)] if i.status_at(now()) == Status::Cancelled)
        );
        assert_eq!(commit.audit[0].after, Some(Status::Cancelled));
        // Someone of another organization cannot tell the member exists.
        let stranger = Actor::admin(crate::ids::OrgId::new(), "x", "X");
        let refused = remove_member(&stranger, &member, Some(&inv), now());
        assert_eq!(refused.answer, Err(Refusal::MemberNotFound(member.id)));
    }
}
