//! Dashboard figures (R9): counts per tab, seats, channels, the reminder switch; lists per tab
//! with search and keyset paging; daily series for graphs.

use crate::audit::AuditAction;
use crate::contact::Channel;
use crate::ids::{InvitationId, OrgId};
use crate::invitation::{Action, Invitation, Status, Tab};
use crate::member::Seats;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// Counts per tab and per channel (R4.8, R9.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TabCounts {
    /// Everything but Cancelled.
    pub all: u64,
    /// Queued and Pending.
    pub pending: u64,
    /// Never Used.
    pub never_used: u64,
    /// Expired or Failed.
    pub expired_or_failed: u64,
    /// Completed.
    pub completed: u64,
    /// People invited by e-mail (every invitation but cancelled ones).
    pub invited_by_email: u64,
    /// People invited by SMS.
    pub invited_by_sms: u64,
}

impl TabCounts {
    /// Adds one invitation in `status` sent by `channel`.
    pub fn add(&mut self, status: Status, channel: Channel) {
        if status == Status::Cancelled {
            return;
        }
        self.all += 1;
        match status.tab() {
            Some(Tab::Pending) => self.pending += 1,
            Some(Tab::NeverUsed) => self.never_used += 1,
            Some(Tab::ExpiredOrFailed) => self.expired_or_failed += 1,
            Some(Tab::Completed) => self.completed += 1,
            Some(Tab::All) | None => {}
        }
        match channel {
            Channel::Email => self.invited_by_email += 1,
            Channel::Sms => self.invited_by_sms += 1,
        }
    }

    /// Adds `n` times `other`, saturating.
    fn add_scaled(&mut self, other: &Self, n: u64) {
        let add = |a: &mut u64, b: u64| *a = a.saturating_add(b.saturating_mul(n));
        add(&mut self.all, other.all);
        add(&mut self.pending, other.pending);
        add(&mut self.never_used, other.never_used);
        add(&mut self.expired_or_failed, other.expired_or_failed);
        add(&mut self.completed, other.completed);
        add(&mut self.invited_by_email, other.invited_by_email);
        add(&mut self.invited_by_sms, other.invited_by_sms);
    }

    /// Counts a set of invitations at `now`.
    pub fn tally<'a>(
        invitations: impl IntoIterator<Item = &'a Invitation>,
        now: DateTime<Utc>,
    ) -> Self {
        let mut counts = Self::default();
        for inv in invitations {
            counts.add(inv.status_at(now), inv.channel);
        }
        counts
    }

    /// The count shown on `tab`.
    pub fn of(&self, tab: Tab) -> u64 {
        match tab {
            Tab::All => self.all,
            Tab::Pending => self.pending,
            Tab::NeverUsed => self.never_used,
            Tab::ExpiredOrFailed => self.expired_or_failed,
            Tab::Completed => self.completed,
        }
    }
}

/// The counts split by invitation type (seed 000 shows admin and general-user invitations
/// apart): each part counted as [`TabCounts`], together the whole.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountsByType {
    /// General-user invitations.
    pub users: TabCounts,
    /// Admin invitations, of every permission level.
    pub admins: TabCounts,
}

/// The counts split by channel, each part per tab.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountsByChannel {
    /// Invitations by e-mail.
    pub email: TabCounts,
    /// Invitations by SMS.
    pub sms: TabCounts,
}

/// Counts per tab of the same invitations, whole and split by type and by channel (R9.1,
/// issue 11).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountSplits {
    /// By invitation type.
    pub by_type: CountsByType,
    /// By channel.
    pub by_channel: CountsByChannel,
}

impl CountSplits {
    /// Adds one invitation in `status`, of `admin` type or not, sent by `channel`.
    pub fn add(&mut self, status: Status, admin: bool, channel: Channel) {
        self.add_n(status, admin, channel, 1);
    }

    /// Adds `n` invitations alike (a store's group count), each as [`TabCounts::add`] counts
    /// one.
    pub fn add_n(&mut self, status: Status, admin: bool, channel: Channel, n: u64) {
        let mut one = TabCounts::default();
        one.add(status, channel);
        let by_type = match admin {
            true => &mut self.by_type.admins,
            false => &mut self.by_type.users,
        };
        by_type.add_scaled(&one, n);
        let by_channel = match channel {
            Channel::Email => &mut self.by_channel.email,
            Channel::Sms => &mut self.by_channel.sms,
        };
        by_channel.add_scaled(&one, n);
    }

    /// Splits a set of invitations at `now`.
    pub fn tally<'a>(
        invitations: impl IntoIterator<Item = &'a Invitation>,
        now: DateTime<Utc>,
    ) -> Self {
        let mut splits = Self::default();
        for inv in invitations {
            let admin = matches!(
                inv.access().invitation_type,
                crate::access::InvitationType::Admin(_)
            );
            splits.add(inv.status_at(now), admin, inv.channel);
        }
        splits
    }
}

/// Everything the dashboard header shows, in one call (R9.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    /// The organization.
    pub org: OrgId,
    /// Counts per tab and channel.
    pub counts: TabCounts,
    /// The same counts split by invitation type and by channel (issue 11).
    #[serde(default)]
    pub splits: CountSplits,
    /// Seats: limit, used, available.
    pub seats: Seats,
    /// The reminder switch.
    pub reminders_enabled: bool,
    /// Invitees on the seat waitlist (issue 11).
    #[serde(default)]
    pub waitlist: u64,
}

/// The column a list is sorted by (R9.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SortKey {
    /// Last invitation date. The default.
    #[default]
    LastInvited,
    /// Signup date; rows not signed up come last when newest-first.
    SignedUp,
}

/// Sort direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SortOrder {
    /// Newest first. The default.
    #[default]
    NewestFirst,
    /// Oldest first.
    OldestFirst,
}

/// A keyset position: the sort value and id of the last row of the previous page. Paging by
/// position rather than offset never skips or repeats rows when new invitations arrive (R9.2).
/// In JSON, and in URLs, it is the opaque string of [`Cursor::encode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Cursor {
    /// The sort column's value in the last row.
    pub key: Option<DateTime<Utc>>,
    /// The last row's id, the tie-breaker.
    pub id: InvitationId,
}

impl Cursor {
    /// An opaque string for a URL: `<micros or ->.<uuid>`.
    pub fn encode(&self) -> String {
        match self.key {
            Some(k) => format!("{}.{}", k.timestamp_micros(), self.id.0.simple()),
            None => format!("-.{}", self.id.0.simple()),
        }
    }

    /// Parses [`Cursor::encode`]'s output; `None` for anything else, and for a sort value
    /// outside years 1900 to 9999 (see [`crate::bounds`]), which no list hands out for records
    /// written by the library.
    ///
    /// ```
    /// use invite_core::{Cursor, InvitationId};
    /// let key = Some("2026-03-02T09:00:00Z".parse().unwrap());
    /// let c = Cursor { key, id: InvitationId::new() };
    /// assert_eq!(Cursor::decode(&c.encode()), Some(c));
    /// assert_eq!(Cursor::decode("-8000000000000000000.0"), None);
    /// ```
    pub fn decode(s: &str) -> Option<Self> {
        let (key, id) = s.split_once('.')?;
        let id = InvitationId(uuid::Uuid::parse_str(id).ok()?);
        let key = match key {
            "-" => None,
            micros => {
                let key = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
                if !crate::bounds::in_dashboard_years(key) {
                    return None;
                }
                Some(key)
            }
        };
        Some(Self { key, id })
    }
}

impl From<Cursor> for String {
    fn from(c: Cursor) -> Self {
        c.encode()
    }
}

impl TryFrom<String> for Cursor {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Cursor::decode(&s).ok_or_else(|| format!("not a list cursor: {s:?}"))
    }
}

/// A request for one page of a tab (R9.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListQuery {
    /// The tab.
    pub tab: Tab,
    /// Case-insensitive substring of the address (e-mail or phone).
    pub search: Option<String>,
    /// Sort column.
    pub sort: SortKey,
    /// Direction.
    pub order: SortOrder,
    /// Start after this row.
    pub after: Option<Cursor>,
    /// Page size, 1 to 500.
    pub limit: u32,
    /// Filters by type, permission level, role, client, sender and channel (issue 11);
    /// none by default.
    #[serde(default)]
    pub filter: crate::filter::ListFilter,
}

impl ListQuery {
    /// The first page of `tab`, newest invitations first, 50 rows.
    pub fn tab(tab: Tab) -> Self {
        Self {
            tab,
            search: None,
            sort: SortKey::default(),
            order: SortOrder::default(),
            after: None,
            limit: 50,
            filter: crate::filter::ListFilter::default(),
        }
    }

    /// The sort value of `inv` under this query.
    pub fn sort_value(&self, inv: &Invitation) -> Option<DateTime<Utc>> {
        match self.sort {
            SortKey::LastInvited => Some(inv.last_invited_at()),
            SortKey::SignedUp => inv.signed_up_at(),
        }
    }

    /// The full sort key of `inv`: its sort value, then its id as the tie-breaker.
    pub fn sort_key(&self, inv: &Invitation) -> (Option<DateTime<Utc>>, InvitationId) {
        (self.sort_value(inv), inv.id)
    }

    /// Compares two sort keys in this query's order.
    pub fn compare_keys(
        &self,
        a: &(Option<DateTime<Utc>>, InvitationId),
        b: &(Option<DateTime<Utc>>, InvitationId),
    ) -> Ordering {
        match self.order {
            SortOrder::OldestFirst => a.cmp(b),
            SortOrder::NewestFirst => b.cmp(a),
        }
    }

    /// Compares two rows in this query's order (ties broken by id in the same direction).
    pub fn compare(&self, a: &Invitation, b: &Invitation) -> Ordering {
        self.compare_keys(&self.sort_key(a), &self.sort_key(b))
    }

    /// Whether `inv` comes after the cursor in this query's order.
    pub fn is_after_cursor(&self, inv: &Invitation) -> bool {
        let Some(c) = self.after else { return true };
        let natural = (self.sort_value(inv), inv.id).cmp(&(c.key, c.id));
        match self.order {
            SortOrder::OldestFirst => natural == Ordering::Greater,
            SortOrder::NewestFirst => natural == Ordering::Less,
        }
    }

    /// Whether `inv` matches the search text.
    pub fn matches_search(&self, inv: &Invitation) -> bool {
        match self.search.as_deref().map(str::trim) {
            None | Some("") => true,
            Some(needle) => {
                let needle = needle.to_lowercase();
                inv.contact.keys().iter().any(|k| k.contains(&needle))
            }
        }
    }

    /// Whether `inv` at `now` belongs on this query's pages (tab, search and filters; not the
    /// cursor).
    pub fn selects(&self, inv: &Invitation, now: DateTime<Utc>) -> bool {
        self.tab.contains(inv.status_at(now))
            && self.matches_search(inv)
            && self.filter.matches(inv)
    }

    /// The cursor positioned at `inv`.
    pub fn cursor_at(&self, inv: &Invitation) -> Cursor {
        Cursor {
            key: self.sort_value(inv),
            id: inv.id,
        }
    }
}

/// One row of a list: the record, its status now and the buttons to show (R5.1).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// The invitation.
    pub invitation: Invitation,
    /// Its status at the time of the query.
    pub status: Status,
    /// The actions allowed.
    pub actions: &'static [Action],
}

impl Row {
    /// The row of `inv` at `now`.
    pub fn at(invitation: Invitation, now: DateTime<Utc>) -> Self {
        let status = invitation.status_at(now);
        Self {
            invitation,
            status,
            actions: status.actions(),
        }
    }
}

/// One page of a list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Page {
    /// The rows.
    pub rows: Vec<Row>,
    /// Where the next page starts, if there is one.
    pub next: Option<Cursor>,
}

/// Activity on one organization-local day (R9.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayActivity {
    /// The day.
    pub day: NaiveDate,
    /// Invitation and resend messages delivered.
    pub invitations_sent: u64,
    /// Signups.
    pub signups: u64,
    /// First logins.
    pub first_logins: u64,
}

impl DayActivity {
    /// A day with no activity.
    pub fn empty(day: NaiveDate) -> Self {
        Self {
            day,
            invitations_sent: 0,
            signups: 0,
            first_logins: 0,
        }
    }

    /// R9.3: counts one audit event of the day in the series it belongs to: a delivery of an
    /// invitation or resend is a send, a signup a signup, a first login a first login;
    /// everything else is in no series. The one place the series kinds are decided (the
    /// PostgreSQL store restates it by action name, and the conformance suite compares).
    pub fn count(&mut self, action: &AuditAction) {
        match action {
            AuditAction::Delivered => self.invitations_sent += 1,
            AuditAction::SignedUp { .. } => self.signups += 1,
            AuditAction::FirstLogin => self.first_logins += 1,
            _ => {}
        }
    }
}

/// Series for the dashboard graphs (R9.3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// One entry per local day of the range, oldest first.
    pub days: Vec<DayActivity>,
    /// Completed invitations as a share of all listed ones (the All tab), 0.0 to 1.0; 0.0
    /// when there are none.
    pub completion_share: f64,
}
