//! Shared fixtures for the benches in `benches/core.rs`.
//!
//! Each bench of the library runs beside a hand-written baseline that computes the same
//! figures over [`PlainInvitation`], a plain struct holding only the fields the computation
//! reads, so a report shows what the library's shape costs over the simplest code that could
//! do the job. The fixtures are deterministic: fixed timestamps, addresses derived from the
//! row number, and a fixed mix of statuses ([`Kind::of_row`]).

use chrono::{DateTime, TimeDelta, Utc};
use invite_core::{
    Access, Action, Channel, CloseReason, Commit, CompletedBy, Contact, FailureReason, Invitation,
    InvitationId, InvitationOptions, InvitationRecord, Member, MemberId, MemoryStore, OrgId,
    OrgKind, OrgSettings, Organization, RecordStore, Role, Sender, Status, UserRef, Write,
};
use std::collections::HashMap;

/// The instant every bench evaluates statuses at: 2026-06-01 12:00 UTC.
pub fn bench_now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_780_315_200, 0).expect("a valid timestamp")
}

/// The validity period of the fixtures' organization (the default 72 hours).
pub fn validity() -> TimeDelta {
    TimeDelta::hours(72)
}

/// The status an invitation of the fixture is built to have at [`bench_now`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Accepted, not delivered yet.
    Queued,
    /// Delivered, link still valid.
    Pending,
    /// Delivered more than the validity period ago.
    Expired,
    /// Delivery rejected, or signup hit seat exhaustion.
    Failed,
    /// Signed up, never logged in.
    NeverUsed,
    /// Signed up and logged in, or marked completed.
    Completed,
    /// Cancelled by an admin.
    Cancelled,
}

impl Kind {
    /// Every kind, in the order of [`Status::ALL`].
    pub const ALL: [Kind; 7] = [
        Kind::Queued,
        Kind::Pending,
        Kind::Expired,
        Kind::Failed,
        Kind::NeverUsed,
        Kind::Completed,
        Kind::Cancelled,
    ];

    /// The status this kind has at [`bench_now`].
    pub fn status(self) -> Status {
        match self {
            Kind::Queued => Status::Queued,
            Kind::Pending => Status::Pending,
            Kind::Expired => Status::Expired,
            Kind::Failed => Status::Failed,
            Kind::NeverUsed => Status::NeverUsed,
            Kind::Completed => Status::Completed,
            Kind::Cancelled => Status::Cancelled,
        }
    }

    /// The kind of row `i` in a realistic mix of an established organization, per 100 rows:
    /// 4 queued, 18 pending, 12 expired, 4 failed, 17 never used, 35 completed, 10 cancelled.
    pub fn of_row(i: usize) -> Kind {
        // A stride coprime with 100 spreads the kinds over the rows instead of in blocks.
        match (i * 37) % 100 {
            0..4 => Kind::Queued,
            4..22 => Kind::Pending,
            22..34 => Kind::Expired,
            34..38 => Kind::Failed,
            38..55 => Kind::NeverUsed,
            55..90 => Kind::Completed,
            _ => Kind::Cancelled,
        }
    }
}

/// Whether row `i` is invited by SMS (one row in five); the others by e-mail.
pub fn row_is_sms(i: usize) -> bool {
    i % 5 == 3
}

/// The standalone organization of the fixtures, with room for every member.
pub fn organization(seat_limit: u32) -> Organization {
    Organization::new(
        "Bench Org",
        OrgKind::Standalone,
        OrgSettings::with_seats(seat_limit),
    )
}

/// The contact of row `i`: `user{i}@example.com`, or `+7905{i:07}` for SMS rows. Unique per
/// row, so no two open invitations share an address (R2.7).
pub fn contact(i: usize) -> (Contact, Channel) {
    if row_is_sms(i) {
        let phone = format!("+7905{:07}", i % 10_000_000);
        let contact = Contact::parse_phone(&phone).expect("a valid Russian mobile number");
        (contact, Channel::Sms)
    } else {
        let email = format!("user{i}@example.com");
        let contact = Contact::parse_email(&email).expect("a valid e-mail address");
        (contact, Channel::Email)
    }
}

/// Invitation `i` of `org`, built to be of `kind` at [`bench_now`]: timestamps spread over the
/// last 90 days, as a real organization's would be. When `kind` is signed up, the member who
/// signed up is returned too.
pub fn invitation(org: OrgId, i: usize, kind: Kind) -> (Invitation, Option<Member>) {
    let now = bench_now();
    let (contact, channel) = contact(i);
    // Minutes before `now`, spread over 90 days but recent enough for the kind.
    let spread = |max_minutes: i64| TimeDelta::minutes(1 + (i as i64 * 7_919) % max_minutes);
    // Built in its storage form: a record in the state of a past no transition here replays.
    let mut inv = InvitationRecord {
        id: InvitationId::new(),
        org,
        contact: contact.clone(),
        channel,
        access: Access::user(if i % 4 == 0 {
            Role::Admin
        } else {
            Role::ReadOnly
        }),
        user_ref: None,
        sender: Sender {
            user: UserRef::new("admin-1"),
            name: "Ann Lee".into(),
        },
        created_at: now,
        last_invited_at: now,
        send_count: 0,
        last_sent_at: None,
        expires_at: None,
        awaiting_delivery: false,
        link_generation: 1,
        failure: None,
        signed_up_at: None,
        member: None,
        first_login_at: None,
        completed: None,
        last_follow_up_at: None,
        closed: None,
        options: InvitationOptions::default(),
        version: 0,
    };
    let sent = |inv: &mut InvitationRecord, ago: TimeDelta| {
        let at = now - ago;
        inv.created_at = at - TimeDelta::minutes(2);
        inv.last_invited_at = inv.created_at;
        inv.send_count = 1;
        inv.last_sent_at = Some(at);
        inv.expires_at = Some(at + validity());
    };
    match kind {
        Kind::Queued => {
            inv.created_at = now - spread(60);
            inv.last_invited_at = inv.created_at;
            inv.awaiting_delivery = true;
        }
        Kind::Pending => sent(&mut inv, spread(71 * 60)),
        Kind::Expired => sent(&mut inv, validity() + spread(87 * 24 * 60)),
        Kind::Failed => {
            sent(&mut inv, spread(89 * 24 * 60));
            inv.failure = Some(if i % 2 == 0 {
                FailureReason::DeliveryRejected("550 no such user".into())
            } else {
                FailureReason::SeatsExhausted
            });
        }
        Kind::NeverUsed | Kind::Completed => {
            sent(&mut inv, TimeDelta::hours(1) + spread(89 * 24 * 60));
            let signed_up = inv.last_sent_at.expect("sent") + TimeDelta::minutes(30);
            inv.signed_up_at = Some(signed_up);
            if kind == Kind::Completed {
                let login = signed_up + TimeDelta::minutes(5);
                inv.first_login_at = Some(login);
                inv.completed = Some((login, CompletedBy::FirstLogin));
            }
        }
        Kind::Cancelled => {
            sent(&mut inv, spread(89 * 24 * 60));
            inv.closed = Some((now - TimeDelta::minutes(1), CloseReason::CancelledByAdmin));
        }
    }
    let member = inv.signed_up_at.map(|joined_at| {
        let member = Member {
            id: MemberId::new(),
            org,
            contact,
            user_ref: Some(UserRef::new(format!("user-{i}"))),
            access: inv.access.clone(),
            invitation: Some(inv.id),
            joined_at,
            removed_at: None,
            version: 0,
        };
        inv.member = Some(member.id);
        member
    });
    let inv = Invitation::from_record(inv);
    debug_assert_eq!(inv.status_at(now), kind.status());
    (inv, member)
}

/// `n` invitations of `org` in the mix of [`Kind::of_row`], with their members.
pub fn invitations(org: OrgId, n: usize) -> (Vec<Invitation>, Vec<Member>) {
    let mut invitations = Vec::with_capacity(n);
    let mut members = Vec::new();
    for i in 0..n {
        let (inv, member) = invitation(org, i, Kind::of_row(i));
        invitations.push(inv);
        members.extend(member);
    }
    (invitations, members)
}

/// A [`MemoryStore`] holding `org` and the given records, written through
/// [`RecordStore::commit`] with [`Write::Insert`], `batch` invitations (and their members) per
/// commit.
pub async fn populate(
    org: &Organization,
    invitations: &[Invitation],
    members: &[Member],
    batch: usize,
) -> MemoryStore {
    let store = MemoryStore::new();
    let now = bench_now();
    let mut commit = Commit::new(org.id, now);
    commit.organization = Some(Write::Insert(org.clone()));
    store.commit(commit).await.expect("the organization is new");
    let members: HashMap<MemberId, &Member> = members.iter().map(|m| (m.id, m)).collect();
    for chunk in invitations.chunks(batch.max(1)) {
        let mut commit = Commit::new(org.id, now);
        for inv in chunk {
            if let Some(id) = inv.member() {
                let member = members[&id].clone();
                commit.members.push(Write::Insert(member));
            }
            commit.invitations.push(Write::Insert(inv.clone()));
        }
        store.commit(commit).await.expect("fresh, unique records");
    }
    store
}

// ------------------------------------------------------------------------------ baselines

/// The fields status, tab and list computations read, in plain form: the baseline's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlainInvitation {
    /// The invitation's id (the list's tie-breaker).
    pub id: InvitationId,
    /// Invited by SMS rather than e-mail.
    pub sms: bool,
    /// The last invitation date (the list's sort key).
    pub last_invited_at: DateTime<Utc>,
    /// When the current link stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// Waiting for delivery.
    pub awaiting_delivery: bool,
    /// Failed for good.
    pub failed: bool,
    /// When the invitee signed up.
    pub signed_up_at: Option<DateTime<Utc>>,
    /// When it was completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// When it was closed (cancelled, replaced, member removed).
    pub closed_at: Option<DateTime<Utc>>,
}

impl PlainInvitation {
    /// The plain form of `inv`.
    pub fn of(inv: &Invitation) -> Self {
        Self {
            id: inv.id,
            sms: inv.channel == Channel::Sms,
            last_invited_at: inv.last_invited_at(),
            expires_at: inv.expires_at(),
            awaiting_delivery: inv.awaiting_delivery(),
            failed: inv.failure().is_some(),
            signed_up_at: inv.signed_up_at(),
            completed_at: inv.completed().as_ref().map(|(at, _)| *at),
            closed_at: inv.closed().as_ref().map(|(at, _)| *at),
        }
    }
}

/// The baseline of [`Invitation::status_at`]: the same decision, hand-written.
#[inline]
pub fn plain_status(p: &PlainInvitation, now: DateTime<Utc>) -> Status {
    if p.closed_at.is_some() {
        Status::Cancelled
    } else if p.signed_up_at.is_some() {
        if p.completed_at.is_some() {
            Status::Completed
        } else {
            Status::NeverUsed
        }
    } else if p.failed {
        Status::Failed
    } else if p.awaiting_delivery {
        Status::Queued
    } else if p.expires_at.is_some_and(|e| now >= e) {
        Status::Expired
    } else {
        Status::Pending
    }
}

/// The baseline of [`Status::actions`] (R5.1), hand-written.
#[inline]
pub fn plain_actions(status: Status) -> &'static [Action] {
    use Action::*;
    match status {
        Status::Queued => &[Cancel, EditAccess],
        Status::Pending | Status::Expired | Status::Failed => &[Resend, Cancel, EditAccess],
        Status::NeverUsed => &[Details, SendFollowUp, MarkCompleted],
        Status::Completed => &[Details],
        Status::Cancelled => &[],
    }
}

/// The dashboard's figures (R9.1) as the baseline counts them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlainFigures {
    /// Everything but cancelled.
    pub all: u64,
    /// Queued and pending.
    pub pending: u64,
    /// Never used.
    pub never_used: u64,
    /// Expired or failed.
    pub expired_or_failed: u64,
    /// Completed.
    pub completed: u64,
    /// Listed invitations sent by e-mail.
    pub by_email: u64,
    /// Listed invitations sent by SMS.
    pub by_sms: u64,
    /// Seats used: signed up and not closed (members not removed).
    pub seats_used: u64,
}

/// The baseline of `Store::dashboard`: one pass over a `Vec` of plain records counting tabs,
/// channels and seats used.
pub fn plain_dashboard(rows: &[PlainInvitation], now: DateTime<Utc>) -> PlainFigures {
    let mut f = PlainFigures::default();
    for p in rows {
        let status = plain_status(p, now);
        match status {
            Status::Cancelled => continue,
            Status::Queued | Status::Pending => f.pending += 1,
            Status::Expired | Status::Failed => f.expired_or_failed += 1,
            Status::NeverUsed => f.never_used += 1,
            Status::Completed => f.completed += 1,
        }
        f.all += 1;
        if p.sms {
            f.by_sms += 1;
        } else {
            f.by_email += 1;
        }
        if p.signed_up_at.is_some() {
            f.seats_used += 1;
        }
    }
    f
}

/// The same loop as [`plain_dashboard`], over full [`Invitation`] records in a `Vec` and with
/// [`Invitation::status_at`]: separates what the size of the records costs from what the
/// store's indexing costs.
pub fn records_dashboard(rows: &[Invitation], now: DateTime<Utc>) -> PlainFigures {
    let mut f = PlainFigures::default();
    for inv in rows {
        match inv.status_at(now) {
            Status::Cancelled => continue,
            Status::Queued | Status::Pending => f.pending += 1,
            Status::Expired | Status::Failed => f.expired_or_failed += 1,
            Status::NeverUsed => f.never_used += 1,
            Status::Completed => f.completed += 1,
        }
        f.all += 1;
        match inv.channel {
            Channel::Sms => f.by_sms += 1,
            Channel::Email => f.by_email += 1,
        }
        if inv.signed_up_at().is_some() {
            f.seats_used += 1;
        }
    }
    f
}

/// The baseline of `Store::list` for the first page of the All tab, newest invitation first:
/// the `limit` non-cancelled rows with the greatest `(last_invited_at, id)`, in order, each
/// with its status and actions.
pub fn plain_first_page(
    rows: &[PlainInvitation],
    now: DateTime<Utc>,
    limit: usize,
) -> Vec<(PlainInvitation, Status, &'static [Action])> {
    let mut page: Vec<&PlainInvitation> = rows
        .iter()
        .filter(|p| plain_status(p, now) != Status::Cancelled)
        .collect();
    let newest_first = |a: &&PlainInvitation, b: &&PlainInvitation| {
        (b.last_invited_at, b.id).cmp(&(a.last_invited_at, a.id))
    };
    if page.len() > limit {
        page.select_nth_unstable_by(limit, newest_first);
        page.truncate(limit);
    }
    page.sort_by(newest_first);
    page.into_iter()
        .map(|p| {
            let status = plain_status(p, now);
            (p.clone(), status, plain_actions(status))
        })
        .collect()
}
