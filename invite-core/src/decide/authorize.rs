//! Who may do what (R10.1). [`Actor::administers`] and [`Actor::reads`] are the whole model;
//! these functions turn them into refusals, without letting an outsider probe which records
//! exist.

use crate::actor::Actor;
use crate::bounds;
use crate::ids::OrgId;
use crate::invitation::{Invitation, Sender};
use crate::member::Member;
use crate::refusal::Refusal;

fn forbid(what: &str) -> Refusal {
    Refusal::Forbidden(what.to_owned())
}

/// R10.1: only an admin of `org` changes its invitations; and what the change records of
/// them (R10.2) is within [`bounds::check_actor`].
pub fn admin_of(actor: &Actor, org: OrgId) -> Result<(), Refusal> {
    match actor.administers(org) {
        true => bounds::check_actor(actor),
        false => Err(forbid(
            "only an admin of the organization may change its invitations",
        )),
    }
}

/// R10.1: the users of `org` (and the vendor's operator) read its invitations.
pub fn reader_of(actor: &Actor, org: OrgId) -> Result<(), Refusal> {
    match actor.reads(org) {
        true => Ok(()),
        false => Err(forbid(
            "only users of the organization may read its invitations",
        )),
    }
}

/// R1.2: only the vendor's operator registers organizations and sets their seats; its id,
/// recorded with the change (R10.2), is within [`bounds::check_actor`].
pub fn operator(actor: &Actor) -> Result<(), Refusal> {
    match actor {
        Actor::Operator { .. } => bounds::check_actor(actor),
        _ => Err(forbid("only the vendor's operator may do this")),
    }
}

/// R1.2, R3.1: the operator, or an admin of `org` (adding a member directly).
pub fn operator_or_admin_of(actor: &Actor, org: OrgId) -> Result<(), Refusal> {
    match actor {
        Actor::Operator { .. } => operator(actor),
        _ => admin_of(actor, org),
    }
}

/// R10.1 for a command on one invitation: an admin of its organization. Someone who cannot
/// even read that organization gets [`Refusal::InvitationNotFound`], the answer a random id
/// gets, so ids cannot be probed; a read-only user of it gets [`Refusal::Forbidden`].
pub fn admin_of_invitation(actor: &Actor, inv: &Invitation) -> Result<(), Refusal> {
    reader_of_invitation(actor, inv)?;
    admin_of(actor, inv.org)
}

/// R10.1 for reading one invitation: a user of its organization; anyone else gets
/// [`Refusal::InvitationNotFound`], as for a random id.
pub fn reader_of_invitation(actor: &Actor, inv: &Invitation) -> Result<(), Refusal> {
    match actor.reads(inv.org) {
        true => Ok(()),
        false => Err(Refusal::InvitationNotFound(inv.id)),
    }
}

/// R10.1 for a command on one member: an admin of its organization; someone who cannot read
/// the organization gets [`Refusal::MemberNotFound`], as for a random id.
pub fn admin_of_member(actor: &Actor, member: &Member) -> Result<(), Refusal> {
    if !actor.reads(member.org) {
        return Err(Refusal::MemberNotFound(member.id));
    }
    admin_of(actor, member.org)
}

/// Who an admin's invitations are from (R2.10): only a person of an organization sends, and
/// their id and name are within [`bounds::check_actor`] (the name trimmed: it goes into every
/// message's sender line).
pub fn sender(actor: &Actor) -> Result<Sender, Refusal> {
    bounds::check_actor(actor)?;
    match actor {
        Actor::OrgUser { user, name, .. } => Ok(Sender {
            user: user.clone(),
            name: bounds::check_name("actor.name", name)?,
        }),
        _ => Err(forbid("only a user of the organization sends invitations")),
    }
}
