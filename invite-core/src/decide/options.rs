//! The per-invitation options of an invite (issue 11, point 5): what an invite with options
//! is given beyond [`InviteFacts`](super::invite::InviteFacts), what it answers, and the two
//! ways a candidate's invite differs from a plain one: its link handed out by an admin
//! instead of a message, or its invitee put on the seat waitlist instead of refused.

use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::decide::invite::InviteOutcome;
use crate::ids::{InvitationId, WaitlistId};
use crate::invitation::{Invitation, InviteOptions, Status};
use crate::org::Organization;
use crate::refusal::Refusal;
use crate::store::{Commit, Write};
use crate::token::{LinkRecord, LinkToken};
use crate::waitlist::{WaitingFor, WaitlistEntry, WaitlistWrite};
use chrono::{DateTime, Utc};

/// What an invite with options is given besides its facts.
#[derive(Clone, Copy, Debug)]
pub struct InviteExtras<'a> {
    /// The options asked for, for every invitation of the call.
    pub options: &'a InviteOptions,
    /// With [`Sending::ByHand`](crate::Sending::ByHand): one freshly minted token per
    /// candidate, in the candidates' order (the service mints them; a decision reads no random
    /// source for links).
    pub tokens: &'a [LinkToken],
    /// Waitlist entries of the organization at the candidates' address keys: an invitee
    /// waiting already keeps their place.
    pub waiting: &'a [WaitlistEntry],
}

impl InviteExtras<'static> {
    /// No options: a plain invite.
    pub fn none() -> Self {
        static NONE: std::sync::OnceLock<InviteOptions> = std::sync::OnceLock::new();
        Self {
            options: NONE.get_or_init(InviteOptions::default),
            tokens: &[],
            waiting: &[],
        }
    }
}

/// A link handed out by hand: the only time the plain token exists outside the invitee's
/// hands. Show it to the admin once; the store keeps its hash only (R6.1).
#[derive(Clone, Debug, PartialEq)]
pub struct HandedLink {
    /// The invitation.
    pub invitation: InvitationId,
    /// The address as given to the call, as in the invite's answers.
    pub input: String,
    /// The token: the signup URL is the application's signup page with it
    /// (`format!("{base}{}", token.expose())`, as the dispatcher builds it).
    pub token: LinkToken,
}

/// The answer of an invite with options.
#[derive(Clone, Debug, PartialEq)]
pub struct InviteAnswer {
    /// One per candidate, in order, as a plain invite answers.
    pub outcomes: Vec<InviteOutcome>,
    /// The links handed out by hand, one per invitation created, with
    /// [`Sending::ByHand`](crate::Sending::ByHand).
    pub links: Vec<HandedLink>,
    /// The waitlist entries of candidates refused for want of a seat, with
    /// [`InviteOptions::waitlist`]: new ones, or the place an invitee already had.
    pub waitlisted: Vec<WaitlistEntry>,
}

/// Adds a new invitation whose first link is handed out by hand (issue 11): no message; the
/// link of its first generation is stored as a hash with it, and it counts as delivered at
/// `now`, so it is Pending at once and its validity starts (R4.2, R4.3). Answers the stored
/// record.
pub(crate) fn hand_out(
    commit: &mut Commit,
    actor: &Actor,
    org: &Organization,
    queued: &Invitation,
    token: &LinkToken,
    now: DateTime<Utc>,
) -> Result<Invitation, Refusal> {
    let validity = queued.validity_or(org.settings.validity);
    let inv = queued.delivered(queued.link_generation(), validity, now)?;
    commit.links.push(LinkRecord {
        hash: token.hash(),
        invitation: inv.id,
        generation: inv.link_generation(),
        issued_at: now,
    });
    for (action, before) in [
        (AuditAction::Invited, None),
        (AuditAction::Delivered, Some(Status::Queued)),
    ] {
        commit.audit.push(AuditEvent::invitation(
            inv.org,
            inv.id,
            actor,
            now,
            action,
            before,
            Some(inv.status_at(now)),
        ));
    }
    commit.invitations.push(Write::Insert(inv.clone()));
    Ok(inv)
}

/// Puts an invitee on the waitlist of `org` in `commit` (issue 11), or answers the entry they
/// have: one entry per organization and address key. Answers the entry.
pub(crate) fn wait_for_seat(
    commit: &mut Commit,
    actor: &Actor,
    waiting: &[WaitlistEntry],
    address_key: String,
    request: WaitingFor,
    now: DateTime<Utc>,
) -> WaitlistEntry {
    if let Some(entry) = waiting.iter().find(|e| e.address_key == address_key) {
        return entry.clone();
    }
    let entry = WaitlistEntry {
        id: WaitlistId::new(),
        org: commit.org,
        address_key,
        joined_at: now,
        request,
        position: 0,
    };
    commit.audit.push(AuditEvent::organization(
        commit.org,
        actor,
        now,
        AuditAction::WaitlistJoined { entry: entry.id },
    ));
    commit.waitlist.push(WaitlistWrite::Add(entry.clone()));
    entry
}
