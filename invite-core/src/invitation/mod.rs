//! The invitation record: who it is for, what it grants, and the facts of what happened to it.
//! Its status is not stored: [`Invitation::status_at`] computes it from the facts and the time
//! (R4), so expiry needs no sweeper (R4.3).
//!
//! The facts are private to this module and change only through the record's transitions
//! (`transitions.rs`): each checks that the record's state allows it and answers the new
//! record or a [`Refusal`](crate::Refusal). Its identity (id, organization, contact, channel,
//! sender, creation time) is public and never changes; stores refuse a commit that changes it
//! (R2.8). Stores and test fixtures read and rebuild a record through its storage form,
//! [`InvitationRecord`].

mod options;
mod status;
mod transitions;

pub use options::{InvitationOptions, InviteOptions, ReturnPath, Sending};

pub use status::{
    Action, CloseReason, CompletedBy, FailureReason, Sender, Status, Tab, Transition,
};
pub use transitions::NewInvitation;

use crate::access::Access;
use crate::contact::{Channel, Contact};
use crate::ids::{InvitationId, MemberId, OrgId, UserRef};
use crate::org::Language;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// One invitation: to whom, by which channel, granting what, sent by whom, and what happened
/// since.
///
/// ```
/// use invite_core::{Access, Channel, Contact, Invitation, NewInvitation, OrgId, Role, Sender, Status};
/// let now = "2026-03-02T09:00:00Z".parse().unwrap();
/// let new = NewInvitation {
///     org: OrgId::new(),
///     contact: Contact::parse_email("bob@example.com").unwrap(),
///     channel: Channel::Email,
///     access: Access::user(Role::ReadOnly),
///     user_ref: None,
///     sender: Sender { user: "u-1".into(), name: "Ann Lee".into() },
/// };
/// let queued = Invitation::queued(new, now).unwrap();
/// assert_eq!(queued.status_at(now), Status::Queued);
/// let sent = queued.delivered(1, chrono::TimeDelta::hours(72), now).unwrap();
/// assert_eq!(sent.status_at(now), Status::Pending);
/// assert!(sent.cancelled(now).unwrap().status_at(now) == Status::Cancelled);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "InvitationRecord", into = "InvitationRecord")]
pub struct Invitation {
    /// Its id.
    pub id: InvitationId,
    /// The organization that sent it and owns it (R2.6). Never changes.
    pub org: OrgId,
    /// Where the invitee can be reached. Never changes (R2.8).
    pub contact: Contact,
    /// The channel it is delivered by. Never changes.
    pub channel: Channel,
    /// Who sent it (R2.10).
    pub sender: Sender,
    /// When it was first created.
    pub created_at: DateTime<Utc>,
    access: Access,
    user_ref: Option<UserRef>,
    last_invited_at: DateTime<Utc>,
    send_count: u32,
    last_sent_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    awaiting_delivery: bool,
    link_generation: u32,
    failure: Option<FailureReason>,
    signed_up_at: Option<DateTime<Utc>>,
    member: Option<MemberId>,
    first_login_at: Option<DateTime<Utc>>,
    completed: Option<(DateTime<Utc>, CompletedBy)>,
    last_follow_up_at: Option<DateTime<Utc>>,
    closed: Option<(DateTime<Utc>, CloseReason)>,
    options: InvitationOptions,
    version: u64,
}

/// The storage form of an [`Invitation`]: every field, public, for stores that persist and
/// rebuild records and for fixtures that need a record in a given state. Domain code changes
/// an invitation only through its transitions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvitationRecord {
    /// Its id.
    pub id: InvitationId,
    /// The organization that owns it.
    pub org: OrgId,
    /// Where the invitee can be reached.
    pub contact: Contact,
    /// The channel it is delivered by.
    pub channel: Channel,
    /// Type and access; editable until signup (R2.8).
    pub access: Access,
    /// The application's own user id this invitation is tied to, if any (R2.11).
    pub user_ref: Option<UserRef>,
    /// Who sent it (R2.10).
    pub sender: Sender,
    /// When it was first created.
    pub created_at: DateTime<Utc>,
    /// When it was last invited or resent: the "last invitation date" (R2.10).
    pub last_invited_at: DateTime<Utc>,
    /// How many times an invitation message was delivered (R2.10).
    pub send_count: u32,
    /// When an invitation message was last delivered.
    pub last_sent_at: Option<DateTime<Utc>>,
    /// When the link delivered last stops working: last delivery plus the validity period.
    pub expires_at: Option<DateTime<Utc>>,
    /// An invitation or resend was requested and not yet delivered (R4.1).
    pub awaiting_delivery: bool,
    /// Links of older generations are dead: each resend starts a new one (R5.2).
    pub link_generation: u32,
    /// Why it failed, if it did (R4.4).
    pub failure: Option<FailureReason>,
    /// When the invitee signed up (R2.10).
    pub signed_up_at: Option<DateTime<Utc>>,
    /// The member created by the signup.
    pub member: Option<MemberId>,
    /// When the member first logged in (R6.4).
    pub first_login_at: Option<DateTime<Utc>>,
    /// When and how it reached Completed.
    pub completed: Option<(DateTime<Utc>, CompletedBy)>,
    /// When the last follow-up was queued (R5.4).
    pub last_follow_up_at: Option<DateTime<Utc>>,
    /// When and why it was closed (R4.7).
    pub closed: Option<(DateTime<Utc>, CloseReason)>,
    /// The options it was created with, fixed for life (issue 11). In JSON only when any is
    /// set.
    #[serde(default, skip_serializing_if = "InvitationOptions::is_default")]
    pub options: InvitationOptions,
    /// The store's optimistic-concurrency version: a write made from an older one is refused.
    /// Bookkeeping: not in JSON (0 when read from JSON).
    #[serde(skip)]
    pub version: u64,
}

impl From<InvitationRecord> for Invitation {
    fn from(r: InvitationRecord) -> Self {
        Self {
            id: r.id,
            org: r.org,
            contact: r.contact,
            channel: r.channel,
            sender: r.sender,
            created_at: r.created_at,
            access: r.access,
            user_ref: r.user_ref,
            last_invited_at: r.last_invited_at,
            send_count: r.send_count,
            last_sent_at: r.last_sent_at,
            expires_at: r.expires_at,
            awaiting_delivery: r.awaiting_delivery,
            link_generation: r.link_generation,
            failure: r.failure,
            signed_up_at: r.signed_up_at,
            member: r.member,
            first_login_at: r.first_login_at,
            completed: r.completed,
            last_follow_up_at: r.last_follow_up_at,
            closed: r.closed,
            options: r.options,
            version: r.version,
        }
    }
}

impl From<Invitation> for InvitationRecord {
    fn from(i: Invitation) -> Self {
        Self {
            id: i.id,
            org: i.org,
            contact: i.contact,
            channel: i.channel,
            access: i.access,
            user_ref: i.user_ref,
            sender: i.sender,
            created_at: i.created_at,
            last_invited_at: i.last_invited_at,
            send_count: i.send_count,
            last_sent_at: i.last_sent_at,
            expires_at: i.expires_at,
            awaiting_delivery: i.awaiting_delivery,
            link_generation: i.link_generation,
            failure: i.failure,
            signed_up_at: i.signed_up_at,
            member: i.member,
            first_login_at: i.first_login_at,
            completed: i.completed,
            last_follow_up_at: i.last_follow_up_at,
            closed: i.closed,
            options: i.options,
            version: i.version,
        }
    }
}

impl Invitation {
    /// Rebuilds a record from its storage form (stores, fixtures).
    pub fn from_record(record: InvitationRecord) -> Self {
        record.into()
    }

    /// The storage form of this record.
    pub fn to_record(&self) -> InvitationRecord {
        self.clone().into()
    }

    /// The status at `now` (R4): a pure function of this record and the time.
    ///
    /// ```
    /// # use invite_core::{Invitation, Status};
    /// # fn check(inv: &Invitation, now: chrono::DateTime<chrono::Utc>) {
    /// let status: Status = inv.status_at(now);
    /// let buttons = status.actions();
    /// # }
    /// ```
    pub fn status_at(&self, now: DateTime<Utc>) -> Status {
        if self.closed.is_some() {
            return Status::Cancelled;
        }
        if self.signed_up_at.is_some() {
            return if self.completed.is_some() {
                Status::Completed
            } else {
                Status::NeverUsed
            };
        }
        if self.failure.is_some() {
            return Status::Failed;
        }
        if self.awaiting_delivery {
            return Status::Queued;
        }
        match self.expires_at {
            Some(expiry) if now >= expiry => Status::Expired,
            _ => Status::Pending,
        }
    }

    /// The address key this invitation is unique by among open invitations of its
    /// organization (R2.7): the lower-cased e-mail or E.164 phone of its channel. Every record
    /// is reachable by its channel ([`Invitation::queued`] checks it); a stored record that is
    /// not answers its contact's first key rather than panicking.
    pub fn address_key(&self) -> String {
        self.contact
            .key_for(self.channel)
            .or_else(|| self.contact.keys().into_iter().next())
            .unwrap_or_default()
    }

    /// The address its messages go to, as shown to people: the e-mail address or the E.164
    /// number of its channel.
    pub fn address(&self) -> String {
        match self.channel {
            Channel::Email => self.contact.email_address().map(|e| e.to_string()),
            Channel::Sms => self.contact.phone_number().map(|p| p.to_string()),
        }
        .unwrap_or_else(|| self.address_key())
    }

    /// Open: neither closed nor signed up. At most one open invitation per organization and
    /// address; an open one that is Expired or Failed is replaced when the address is invited
    /// again, a live one refuses the new invite with `AlreadyInvited` (R2.7).
    pub fn is_open(&self) -> bool {
        self.closed.is_none() && self.signed_up_at.is_none()
    }

    /// Whether it holds a seat at `now` under [`crate::SeatPolicy::ReserveOnInvite`] (R3.5):
    /// live and not yet signed up.
    pub fn reserves_seat_at(&self, now: DateTime<Utc>) -> bool {
        self.status_at(now).is_live()
    }

    /// Type and access; editable until signup (R2.8).
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// The application's own user id this invitation is tied to, if any (R2.11).
    pub fn user_ref(&self) -> Option<&UserRef> {
        self.user_ref.as_ref()
    }

    /// When it was last invited or resent: the "last invitation date" (R2.10).
    pub fn last_invited_at(&self) -> DateTime<Utc> {
        self.last_invited_at
    }

    /// How many times an invitation message was delivered (R2.10).
    pub fn send_count(&self) -> u32 {
        self.send_count
    }

    /// When an invitation message was last delivered.
    pub fn last_sent_at(&self) -> Option<DateTime<Utc>> {
        self.last_sent_at
    }

    /// When the link delivered last stops working: last delivery plus the validity period.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.expires_at
    }

    /// An invitation or resend was requested and not yet delivered (R4.1).
    pub fn awaiting_delivery(&self) -> bool {
        self.awaiting_delivery
    }

    /// The current link generation: links of older ones are dead (R5.2).
    pub fn link_generation(&self) -> u32 {
        self.link_generation
    }

    /// Why it failed, if it did (R4.4).
    pub fn failure(&self) -> Option<&FailureReason> {
        self.failure.as_ref()
    }

    /// When the invitee signed up (R2.10).
    pub fn signed_up_at(&self) -> Option<DateTime<Utc>> {
        self.signed_up_at
    }

    /// The member created by the signup.
    pub fn member(&self) -> Option<MemberId> {
        self.member
    }

    /// When the member first logged in (R6.4).
    pub fn first_login_at(&self) -> Option<DateTime<Utc>> {
        self.first_login_at
    }

    /// When and how it reached Completed.
    pub fn completed(&self) -> Option<(DateTime<Utc>, CompletedBy)> {
        self.completed
    }

    /// When the last follow-up was queued (R5.4).
    pub fn last_follow_up_at(&self) -> Option<DateTime<Utc>> {
        self.last_follow_up_at
    }

    /// When and why it was closed (R4.7).
    pub fn closed(&self) -> Option<&(DateTime<Utc>, CloseReason)> {
        self.closed.as_ref()
    }

    /// The options it was created with (issue 11): fixed for life.
    pub fn options(&self) -> &InvitationOptions {
        &self.options
    }

    /// The validity of its links: its own, else the organization's `default`.
    pub fn validity_or(&self, default: TimeDelta) -> TimeDelta {
        self.options.validity.unwrap_or(default)
    }

    /// The language of its messages and signup page: the invitee's, else the organization's
    /// `default`.
    pub fn language_or(&self, default: Language) -> Language {
        self.options.language.unwrap_or(default)
    }

    /// The version the store holds it at (optimistic concurrency; the store's bookkeeping).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The same record as stored at `version`: stores report the version they stored a
    /// written record at, and the service puts it on the answer.
    pub fn at_version(mut self, version: u64) -> Self {
        self.version = version;
        self
    }
}
