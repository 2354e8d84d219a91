//! Nothing stored stops a worker or a read, and no message holds up the others (issue 9,
//! findings 1, 2, 6 and 7).
//!
//! The first case writes extreme values straight through [`RecordStore::commit`], past
//! every bound of [`crate::bounds`], the way an older version or a hand edit could, then
//! runs the dispatcher, the reminder sweep and every read at several instants. The second
//! puts a message the store will not take among good ones.
//!
//! **What neither store can hold is left out.** PostgreSQL keeps instants from 24 November
//! 4714 BC to the year 294276 in microseconds, chrono from the year -262143 to 262142 in
//! nanoseconds: the earliest instant written here is a week after PostgreSQL's first (so
//! that no time zone moves it out), the latest is chrono's last, to the microsecond. Days
//! (reminder days) are bounded the same way. Counts (`send_count`, `link_generation`,
//! `attempts`, the seat limit) go up to `u32::MAX`, which both hold; durations in settings
//! to `TimeDelta::MAX` and `TimeDelta::MIN`. Records that break the schema's own constraints
//! (an e-mail invitation to a phone-only contact, say) are left out too: PostgreSQL refuses
//! to store them, and the dispatcher's answer to them is a unit test of `judge`.

use super::fixtures::{Harness, TestOrg, email_invitation, invitation_record};
use crate::access::{Access, Role};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::contact::{Channel, Contact};
use crate::dashboard::{ListQuery, SortKey, SortOrder};
use crate::error::{Error, Refusal};
use crate::ids::{InvitationId, MemberId, UserRef};
use crate::invitation::{CloseReason, CompletedBy, FailureReason, Invitation, Status, Tab};
use crate::member::{Member, Seats};
use crate::org::{AllowedChannels, Language, OrgKind, OrgSettings, Organization};
use crate::outbox::{MessageKind, OutboxMessage, OutboxState};
use crate::store::{Commit, CommitOutcome, OutboxStore, RecordStore, Store, StoreError, Write};
use crate::token::{LinkRecord, TokenHash};
use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeDelta, Utc};
use std::sync::Mutex;

/// The earliest instant written: a week after PostgreSQL's first.
fn earliest() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(-4713, 12, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("a valid instant")
        .and_utc()
}

/// The latest instant written: chrono's last, to the microsecond PostgreSQL keeps.
fn latest() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(DateTime::<Utc>::MAX_UTC.timestamp_micros())
        .expect("a valid instant")
}

fn time(h: u32, m: u32, s: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, s).expect("a valid time")
}

/// Organizations whose stored settings are past every bound, each with reminders on at a
/// time that daylight saving skips, doubles, or that is a leap second.
fn extreme_organizations() -> Vec<Organization> {
    let leap_second = NaiveTime::from_hms_nano_opt(23, 59, 59, 1_500_000_000);
    let org = |name: &str, f: &dyn Fn(&mut OrgSettings)| {
        let mut settings = OrgSettings {
            reminders_enabled: true,
            ..OrgSettings::default()
        };
        f(&mut settings);
        Organization::new(name, OrgKind::Standalone, settings)
    };
    vec![
        org("Forever", &|s| {
            s.validity = TimeDelta::MAX;
            s.resend_cooldown = TimeDelta::MAX;
            s.seat_limit = u32::MAX;
            s.reminder_time = time(23, 59, 59);
            s.time_zone = chrono_tz::Pacific::Kiritimati;
            s.reminders_on_since = Some(earliest());
        }),
        org("Century", &|s| {
            // Finding 1: the validity that made every claim of its message panic.
            s.validity = TimeDelta::days(100_000_000);
            s.resend_cooldown = TimeDelta::MIN;
            s.seat_limit = 0;
            s.reminder_time = time(2, 30, 0);
            s.time_zone = chrono_tz::Europe::Berlin;
            s.language = Language::Ru;
        }),
        org("Edge", &|s| {
            s.validity = TimeDelta::zero();
            s.seat_limit = u32::MAX;
            s.reminder_time = time(0, 0, 0);
            s.time_zone = chrono_tz::America::Santiago;
            s.channels = AllowedChannels {
                email: false,
                sms: false,
            };
            s.reminders_on_since = Some(latest());
        }),
        org("Leap", &|s| {
            s.validity = TimeDelta::MIN;
            s.reminder_time = leap_second.expect("a leap second");
            s.time_zone = chrono_tz::Australia::Lord_Howe;
        }),
    ]
}

/// One invitation in each state, with facts at the ends of time and counts at their maximum,
/// with messages of every kind (some long overdue, one claimed `u32::MAX` times), a link, a
/// member, and audit events at both ends of time.
fn extreme_records(org: &Organization, now: DateTime<Utc>) -> Commit {
    let (first, last) = (earliest(), latest());
    let address = |what: &str| format!("{what}@{}.example", org.name.to_lowercase());
    let record = |what: &str, f: &dyn Fn(&mut crate::invitation::InvitationRecord)| {
        super::fixtures::with_facts(&email_invitation(org.id, &address(what), now), |r| {
            r.user_ref = Some(UserRef::new(format!("user-{what}")));
            f(r);
        })
    };
    let queued = record("queued", &|r| {
        r.link_generation = u32::MAX;
        r.send_count = u32::MAX;
    });
    let pending = record("pending", &|r| {
        r.awaiting_delivery = false;
        r.send_count = u32::MAX;
        r.last_sent_at = Some(first);
        r.expires_at = Some(last);
        r.last_follow_up_at = Some(last);
    });
    let expired = record("expired", &|r| {
        r.awaiting_delivery = false;
        r.last_sent_at = Some(first);
        r.expires_at = Some(first + TimeDelta::seconds(1));
    });
    let never_used = record("never-used", &|r| {
        r.awaiting_delivery = false;
        r.last_sent_at = Some(first);
        r.expires_at = Some(first);
        r.signed_up_at = Some(first);
        r.member = Some(MemberId::new());
    });
    let completed = record("completed", &|r| {
        r.awaiting_delivery = false;
        r.signed_up_at = Some(first);
        r.first_login_at = Some(last);
        r.completed = Some((last, CompletedBy::FirstLogin));
    });
    let failed = record("failed", &|r| {
        r.awaiting_delivery = false;
        r.failure = Some(FailureReason::RetriesExhausted("x".repeat(10_000)));
    });
    let closed = record("closed", &|r| {
        r.closed = Some((first, CloseReason::CancelledByAdmin));
    });
    let phone = Contact::parse_phone("+79051111111").expect("a valid number");
    let by_sms = crate::invitation::Invitation::from_record({
        let mut r = invitation_record(org.id, phone, Channel::Sms, now).to_record();
        r.link_generation = u32::MAX;
        r
    });

    let message = |inv: &Invitation, kind: MessageKind, f: &dyn Fn(&mut OutboxMessage)| {
        let mut m = OutboxMessage::new(org.id, inv.id, kind, inv.link_generation(), now);
        f(&mut m);
        m
    };
    let last_day = last.date_naive().checked_sub_days(Days::new(1));
    let outbox = vec![
        message(&queued, MessageKind::Invitation, &|m| m.due_at = first),
        message(&by_sms, MessageKind::Invitation, &|_| {}),
        message(&pending, MessageKind::Reminder, &|m| {
            m.reminder_day = last_day;
            m.created_at = first;
        }),
        message(&pending, MessageKind::Reminder, &|m| m.attempts = u32::MAX),
        message(&never_used, MessageKind::FollowUp, &|m| {
            m.due_at = first;
            m.attempts = u32::MAX - 1;
        }),
        message(&expired, MessageKind::Resend, &|m| m.link_generation = 0),
        message(&failed, MessageKind::Invitation, &|_| {}),
    ];
    let member = Member {
        joined_at: first,
        user_ref: Some(UserRef::new("user-never-used")),
        ..Member::joined(
            org.id,
            never_used.contact.clone(),
            None,
            Access::user(Role::ReadOnly),
            Some(never_used.id),
            first,
        )
    };
    let never_used = super::fixtures::with_facts(&never_used, |r| r.member = Some(member.id));
    let mut hash = [u8::MAX; 32];
    hash[..16].copy_from_slice(org.id.0.as_bytes());
    let link = LinkRecord {
        hash: TokenHash(hash),
        invitation: pending.id,
        generation: pending.link_generation(),
        issued_at: last,
    };
    let event = |inv: &Invitation, at, action| {
        AuditEvent::invitation(org.id, inv.id, &Actor::System, at, action, None, None)
    };
    let mut commit = Commit::new(org.id, now);
    commit.audit = vec![
        event(&pending, first, AuditAction::Delivered),
        event(&pending, last, AuditAction::Delivered),
        event(&completed, last, AuditAction::FirstLogin),
    ];
    commit.invitations = [
        queued, pending, expired, never_used, completed, failed, closed, by_sms,
    ]
    .into_iter()
    .map(Write::Insert)
    .collect();
    commit.members = vec![Write::Insert(member)];
    commit.links = vec![link];
    commit.outbox = outbox;
    commit
}

/// Panics if `result` is an infrastructure failure or a conflict: a read or command over
/// extreme records answers, or refuses with a typed refusal.
fn answered<T>(what: &str, result: Result<T, Error>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(Error::Refused(_)) => None,
        Err(e) => panic!("{what}: the store failed instead of answering: {e:?}"),
    }
}

/// Every read of `org` at the clock's time, as its admin: dashboard, seats, each tab in both
/// orders by both sort keys, the week's series, the audit trail (whole and per invitation),
/// each invitation, and the users' statuses.
async fn read_everything<S: Store + 'static>(h: &Harness<S>, org: &TestOrg, ids: &[InvitationId]) {
    let (svc, admin, id) = (&h.service, &org.admin, org.id());
    let name = &org.org.name;
    answered(name, svc.dashboard(admin, id).await).expect("a dashboard");
    answered(name, svc.seats(admin, id).await).expect("seats");
    for tab in Tab::ALL {
        for sort in [SortKey::LastInvited, SortKey::SignedUp] {
            for order in [SortOrder::NewestFirst, SortOrder::OldestFirst] {
                let query = ListQuery {
                    sort,
                    order,
                    limit: 500,
                    ..ListQuery::tab(tab)
                };
                answered(name, svc.list(admin, id, &query).await).expect("a page");
            }
        }
    }
    let today = crate::clock::local_date(h.now(), org.org.settings.time_zone);
    let week_ago = today.checked_sub_days(Days::new(6)).unwrap_or(today);
    // Refused (OutOfRange) near the end of year 9999, answered before.
    answered(name, svc.series(admin, id, week_ago, today).await);
    answered(name, svc.audit_trail(admin, id, None).await).expect("the audit trail");
    for inv in ids {
        answered(name, svc.audit_trail(admin, id, Some(*inv)).await).expect("its audit");
        answered(name, svc.invitation(admin, *inv).await).expect("the invitation");
    }
    let users: Vec<UserRef> = ["queued", "pending", "never-used", "nobody"]
        .iter()
        .map(|u| UserRef::new(format!("user-{u}")))
        .collect();
    answered(name, svc.status_of_users(admin, id, &users).await).expect("user statuses");
}

/// Issue 9, findings 1, 2 and 6: organization settings past every bound (validity
/// `TimeDelta::MAX`, 10^8 days, `TimeDelta::MIN` and zero; cool-downs `TimeDelta::MAX` and
/// `TimeDelta::MIN`; seat limits 0 and `u32::MAX`; no channel allowed; reminder times that
/// daylight saving skips, at midnight, or a leap second; switch-on instants at both ends of
/// time), and invitations, messages, links, members and audit events with instants at both
/// ends of time and counts at `u32::MAX`, written straight through [`RecordStore::commit`]. At
/// several instants (daylight-saving days of the zones, a year on, the last day of year
/// 9999) the reminder sweep, the dispatcher and every read answer, without a panic or a
/// store failure; a resend under a `TimeDelta::MAX` cool-down is refused with
/// [`Refusal::ResendCooldown`]; and a message of an ordinary organization, queued after all
/// of them, is delivered in the first drain.
pub async fn r7_1_r8_1_r9_1_extreme_stored_values_never_stop_a_worker_or_a_read<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::new(store);
    let now = h.now();
    let mut orgs = Vec::new();
    let mut messages = Vec::new();
    for org in extreme_organizations() {
        let mut commit = Commit::new(org.id, now);
        commit.organization = Some(Write::Insert(org.clone()));
        h.store
            .commit(commit)
            .await
            .expect("the organization is stored");
        let records = extreme_records(&org, now);
        let ids: Vec<InvitationId> = records.invitations.iter().map(|w| w.record().id).collect();
        messages.extend(records.outbox.iter().map(|m| m.id));
        h.store
            .commit(records)
            .await
            .expect("the records are stored");
        let admin = Actor::admin(org.id, "u-admin", format!("{} Admin", org.name));
        orgs.push((TestOrg { org, admin }, ids));
    }
    let bystander = h.standalone(5).await;
    let queued_after = h.invite(&bystander, "bystander@example.com").await;

    // Finding 2: a stored cool-down of TimeDelta::MAX refuses the resend, without a panic.
    let (forever, forever_ids) = &orgs[0];
    let expired = forever_ids[2];
    let resend = h.service.resend(&forever.admin, expired).await;
    assert!(
        matches!(resend, Err(Error::Refused(Refusal::ResendCooldown { .. }))),
        "{resend:?}"
    );

    // Small batches: the ordinary message comes after several batches of extreme ones.
    let mut config = h.dispatcher_config();
    config.batch_size = 3;
    let dispatcher = h.dispatcher_with(config);
    let instants = [
        now,
        super::fixtures::at("2026-03-29T01:30:00Z"), // Berlin skips 02:00-03:00
        super::fixtures::at("2026-09-06T04:30:00Z"), // Santiago skips midnight
        super::fixtures::at("2026-10-04T01:00:00Z"), // Lord Howe moves half an hour
        super::fixtures::at("2026-10-25T01:30:00Z"), // Berlin has 02:30 twice
        now + TimeDelta::days(400),
        super::fixtures::at("9999-12-31T12:00:00Z"),
    ];
    for (n, at) in instants.into_iter().enumerate() {
        h.set_time(at);
        h.service
            .sweep_reminders()
            .await
            .unwrap_or_else(|e| panic!("the sweep at {at}: {e:?}"));
        dispatcher
            .drain()
            .await
            .unwrap_or_else(|e| panic!("the dispatcher at {at}: {e:?}"));
        if n == 0 {
            let delivered = h.notifier.delivered_to("bystander@example.com");
            assert_eq!(delivered.len(), 1, "the ordinary message is delivered");
            assert_eq!(h.status(queued_after.id).await, Status::Pending);
        }
        for (org, ids) in &orgs {
            read_everything(&h, org, ids).await;
        }
        read_everything(&h, &bystander, &[queued_after.id]).await;
    }

    // The invitation message of generation u32::MAX went out with a link that works for ever
    // in the organization whose validity is TimeDelta::MAX; its signup takes one of u32::MAX
    // seats.
    let delivered = h.notifier.delivered_to("queued@forever.example");
    let url = delivered.first().and_then(|n| n.signup_url.clone());
    let url = url.expect("the queued invitation was delivered with a link");
    let token = url.expose().strip_prefix(super::fixtures::SIGNUP_URL_BASE);
    let signup = h
        .service
        .sign_up(token.expect("the harness's link"), None)
        .await;
    assert!(signup.is_ok(), "{signup:?}");
    let seats = h.service.seats(&forever.admin, forever.id()).await.unwrap();
    assert_eq!(seats, Seats::new(u32::MAX, 2));
    // Every extreme message was handled (sent, dropped or failed, those claimed u32::MAX
    // times included), none left waiting.
    for id in messages {
        let message = h
            .store
            .message(id)
            .await
            .unwrap()
            .expect("the message is stored");
        assert_ne!(message.state, OutboxState::Pending, "{message:?}");
    }
}

/// Which part of one invitation's commits [`Refusing`] refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Poison {
    /// Nothing.
    None,
    /// Links of the invitation.
    Links(InvitationId),
    /// Writes of the invitation record.
    Record(InvitationId),
}

/// A store that refuses, as a backend failure, every commit with a link or a write of one
/// invitation: a record the store cannot hold, while it holds everything else.
struct Refusing<S> {
    inner: S,
    poison: Mutex<Poison>,
}

impl<S> Refusing<S> {
    fn poison(&self, poison: Poison) {
        *self.poison.lock().unwrap_or_else(|e| e.into_inner()) = poison;
    }

    fn refuses(&self, commit: &Commit) -> bool {
        match *self.poison.lock().unwrap_or_else(|e| e.into_inner()) {
            Poison::None => false,
            Poison::Links(id) => commit.links.iter().any(|l| l.invitation == id),
            Poison::Record(id) => commit.invitations.iter().any(|w| w.record().id == id),
        }
    }
}

crate::forward_record_reads!(for Refusing<S> where S: [Store + 'static] => |this| this.inner, {
    async fn commit(&self, commit: Commit) -> Result<CommitOutcome, StoreError> {
        match self.refuses(&commit) {
            true => Err(StoreError::Backend("this record cannot be stored".into())),
            false => self.inner.commit(commit).await,
        }
    }
});

crate::forward_outbox_and_views!(for Refusing<S> where S: [Store + 'static] => |this| this.inner);

/// Issue 9, finding 7 (R7.2): a message the store will not take, first its link and then the
/// record of its delivery, among good ones. The good ones are delivered and recorded in the
/// same drain; the bad one is retried later on its own, with a growing delay, while messages
/// queued after it are delivered; once the store takes it, it is delivered and recorded.
pub async fn r7_2_a_message_the_store_will_not_take_never_holds_up_the_others<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::new(Refusing {
        inner: store,
        poison: Mutex::new(Poison::None),
    });
    let acme = h.standalone(10).await;
    let first = h.invite(&acme, "first@example.com").await;
    let bad = h.invite(&acme, "bad@example.com").await;
    let last = h.invite(&acme, "last@example.com").await;
    let due_of_bad = || async { h.last_attempted_message(bad.id).await };

    // Its link is refused: it is not delivered, the others are, and it waits.
    h.store.poison(Poison::Links(bad.id));
    let report = h.deliver().await;
    assert_eq!((report.claimed, report.sent, report.retried), (3, 2, 1));
    assert!(h.notifier.delivered_to("bad@example.com").is_empty());
    for ok in [&first, &last] {
        assert_eq!(h.status(ok.id).await, Status::Pending);
    }
    let due = h.store.claim_due(h.now(), TimeDelta::minutes(5), 10).await;
    assert!(
        due.unwrap().is_empty(),
        "nothing is due: the bad message waits"
    );
    assert_eq!(h.status(bad.id).await, Status::Queued);

    // Messages queued meanwhile go out at once.
    let meanwhile = h.invite(&acme, "meanwhile@example.com").await;
    assert_eq!(h.deliver().await.sent, 1);
    assert_eq!(h.status(meanwhile.id).await, Status::Pending);

    // Its delivery cannot be recorded: it is delivered, the others recorded, and it waits
    // longer than the first time.
    h.store.poison(Poison::Record(bad.id));
    let after = h.invite(&acme, "after@example.com").await;
    h.advance(TimeDelta::minutes(1));
    let report = h.deliver().await;
    assert_eq!((report.claimed, report.sent, report.retried), (2, 1, 1));
    assert_eq!(h.status(after.id).await, Status::Pending);
    assert_eq!(h.status(bad.id).await, Status::Queued);
    let message = due_of_bad().await;
    assert_eq!(message.state, OutboxState::Pending);
    assert!(
        message.due_at > h.now() + TimeDelta::seconds(59),
        "{message:?}"
    );
    assert!(message.last_error.is_some_and(|e| e.contains("record")));

    // Once the store takes it, it is delivered and recorded.
    h.store.poison(Poison::None);
    h.set_time(message.due_at);
    assert_eq!(h.deliver().await.sent, 1);
    assert_eq!(h.status(bad.id).await, Status::Pending);
    assert_eq!(h.notifier.delivered_to("first@example.com").len(), 1);
    assert_eq!(h.notifier.delivered_to("after@example.com").len(), 1);
}
