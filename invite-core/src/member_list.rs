//! The member list (seed 000's "All Users", seed 002's "User panel"): every active member of
//! an organization, those who came by invitation and those added without one (the first
//! admin), in tabs, searched, paged by keyset like the invitation lists (R9.2).
//!
//! A member's state is derived, like an invitation's status (R4): [`MemberState::of`] is the
//! one rule, and a store that filters by tab in SQL restates it (the conformance suite's
//! member truth table compares the two).

use crate::dashboard::SortOrder;
use crate::ids::MemberId;
use crate::invitation::{Invitation, Status};
use crate::member::Member;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;

/// Where a member stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MemberState {
    /// Signed up with an invitation and never logged in (R4.5).
    NeverUsed,
    /// Logged in, marked completed by an admin (R4.6), or added without an invitation.
    Completed,
    /// Removed; their seat is free (R3.6). Never listed.
    Removed,
}

impl MemberState {
    /// R4.5, R4.6 for members: a removed member is `Removed`; an active one is `NeverUsed`
    /// exactly when the invitation they came by (as loaded, `invitation`) is Never Used at
    /// `now`, and `Completed` otherwise. A member added without an invitation has no login to
    /// wait for (`record_first_login` has nothing to record for them), so they are
    /// `Completed` from the start; so is one whose invitation record is missing.
    ///
    /// ```
    /// use invite_core::{Access, Contact, Member, MemberState, OrgId, Role};
    /// let now = "2026-03-02T09:00:00Z".parse().unwrap();
    /// let contact = Contact::parse_email("ann@example.com").unwrap();
    /// let admin = Member::joined(OrgId::new(), contact, None, Access::user(Role::Admin), None, now);
    /// assert_eq!(MemberState::of(&admin, None, now), MemberState::Completed);
    /// let gone = admin.removed(now).unwrap();
    /// assert_eq!(MemberState::of(&gone, None, now), MemberState::Removed);
    /// ```
    pub fn of(member: &Member, invitation: Option<&Invitation>, now: DateTime<Utc>) -> Self {
        if !member.is_active() {
            return MemberState::Removed;
        }
        match invitation.map(|i| i.status_at(now)) {
            Some(Status::NeverUsed) => MemberState::NeverUsed,
            _ => MemberState::Completed,
        }
    }
}

impl fmt::Display for MemberState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MemberState::NeverUsed => "never used",
            MemberState::Completed => "completed",
            MemberState::Removed => "removed",
        })
    }
}

/// The tabs of the member list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MemberTab {
    /// Every active member. The default.
    #[default]
    All,
    /// Members who never logged in.
    NeverUsed,
    /// Members who did, or need not.
    Completed,
}

impl MemberTab {
    /// Whether a member in `state` is listed under this tab; removed members are under none.
    pub fn contains(self, state: MemberState) -> bool {
        match self {
            MemberTab::All => state != MemberState::Removed,
            MemberTab::NeverUsed => state == MemberState::NeverUsed,
            MemberTab::Completed => state == MemberState::Completed,
        }
    }
}

/// A keyset position in the member list: the join instant and id of the last row of the
/// previous page. In JSON and URLs, the opaque string of [`MemberCursor::encode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct MemberCursor {
    /// When the last row's member joined.
    pub joined_at: DateTime<Utc>,
    /// Its id, the tie-breaker.
    pub id: MemberId,
}

impl MemberCursor {
    /// An opaque string for a URL: `<micros>.<uuid>`.
    pub fn encode(&self) -> String {
        format!(
            "{}.{}",
            self.joined_at.timestamp_micros(),
            self.id.0.simple()
        )
    }

    /// Parses [`MemberCursor::encode`]'s output; `None` for anything else, and for an instant
    /// outside years 1900 to 9999 (see [`crate::bounds`]).
    ///
    /// ```
    /// use invite_core::{MemberCursor, MemberId};
    /// let c = MemberCursor { joined_at: "2026-03-02T09:00:00Z".parse().unwrap(), id: MemberId::new() };
    /// assert_eq!(MemberCursor::decode(&c.encode()), Some(c));
    /// assert_eq!(MemberCursor::decode("-.0"), None);
    /// ```
    pub fn decode(s: &str) -> Option<Self> {
        let (micros, id) = s.split_once('.')?;
        let id = MemberId(uuid::Uuid::parse_str(id).ok()?);
        let joined_at = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
        crate::bounds::in_dashboard_years(joined_at).then_some(Self { joined_at, id })
    }
}

impl From<MemberCursor> for String {
    fn from(c: MemberCursor) -> Self {
        c.encode()
    }
}

impl TryFrom<String> for MemberCursor {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        MemberCursor::decode(&s).ok_or_else(|| format!("not a member cursor: {s:?}"))
    }
}

/// A request for one page of the member list, newest members first by default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberQuery {
    /// The tab.
    pub tab: MemberTab,
    /// Part of the address (e-mail, case-insensitive, or phone) or of the application's user
    /// id (as stored, case-sensitive). Members carry no display name in the library: the
    /// application keeps names, and finds its user's member by id.
    pub search: Option<String>,
    /// By join instant, newest or oldest first; ties by id in the same direction.
    pub order: SortOrder,
    /// Start after this row.
    pub after: Option<MemberCursor>,
    /// Page size, 1 to 500.
    pub limit: u32,
}

impl MemberQuery {
    /// The first page of `tab`, newest first, 50 rows.
    pub fn tab(tab: MemberTab) -> Self {
        Self {
            tab,
            search: None,
            order: SortOrder::default(),
            after: None,
            limit: 50,
        }
    }

    /// The search as stores apply it: trimmed, `None` when empty.
    pub fn search_text(&self) -> Option<&str> {
        self.search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// Whether `member` matches the search: the lower-cased text in one of its address keys
    /// (the lower-cased e-mail, the E.164 number), or the text as given in its user id.
    pub fn matches_search(&self, member: &Member) -> bool {
        let Some(needle) = self.search_text() else {
            return true;
        };
        let lower = needle.to_lowercase();
        member.contact.keys().iter().any(|k| k.contains(&lower))
            || member
                .user_ref
                .as_ref()
                .is_some_and(|u| u.as_str().contains(needle))
    }

    /// Whether `member` (with the invitation it came by, as loaded) belongs on this query's
    /// pages at `now`: active, in the tab, matching the search (not the cursor).
    pub fn selects(
        &self,
        member: &Member,
        invitation: Option<&Invitation>,
        now: DateTime<Utc>,
    ) -> bool {
        self.tab.contains(MemberState::of(member, invitation, now)) && self.matches_search(member)
    }

    /// Compares two members in this query's order.
    pub fn compare(&self, a: &Member, b: &Member) -> Ordering {
        let natural = (a.joined_at, a.id).cmp(&(b.joined_at, b.id));
        match self.order {
            SortOrder::OldestFirst => natural,
            SortOrder::NewestFirst => natural.reverse(),
        }
    }

    /// Whether `member` comes after the cursor in this query's order.
    pub fn is_after_cursor(&self, member: &Member) -> bool {
        let Some(c) = self.after else { return true };
        let natural = (member.joined_at, member.id).cmp(&(c.joined_at, c.id));
        match self.order {
            SortOrder::OldestFirst => natural == Ordering::Greater,
            SortOrder::NewestFirst => natural == Ordering::Less,
        }
    }

    /// The cursor positioned at `member`.
    pub fn cursor_at(&self, member: &Member) -> MemberCursor {
        MemberCursor {
            joined_at: member.joined_at,
            id: member.id,
        }
    }
}

/// One row of the member list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemberRow {
    /// The member.
    pub member: Member,
    /// Its state at the time of the query.
    pub state: MemberState,
    /// The invitation they came by, if any.
    pub invitation: Option<Invitation>,
}

impl MemberRow {
    /// The row of `member` at `now`.
    pub fn at(member: Member, invitation: Option<Invitation>, now: DateTime<Utc>) -> Self {
        let state = MemberState::of(&member, invitation.as_ref(), now);
        Self {
            member,
            state,
            invitation,
        }
    }
}

/// One page of the member list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemberPage {
    /// The rows.
    pub rows: Vec<MemberRow>,
    /// Where the next page starts, if there is one.
    pub next: Option<MemberCursor>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Access, Role};
    use crate::contact::Contact;
    use crate::ids::OrgId;

    fn member(email: &str, user: Option<&str>) -> Member {
        let now = "2026-03-02T09:00:00Z".parse().unwrap();
        Member::joined(
            OrgId::new(),
            Contact::parse_email(email).unwrap(),
            user.map(Into::into),
            Access::user(Role::ReadOnly),
            None,
            now,
        )
    }

    #[test]
    fn r9_2_member_search_reads_addresses_case_insensitively_and_user_ids_as_stored() {
        let m = member("Bob.Stone@Example.com", Some("CRM-42"));
        let q = |s: &str| MemberQuery {
            search: Some(s.into()),
            ..MemberQuery::tab(MemberTab::All)
        };
        assert!(q(" STONE@example ").matches_search(&m));
        assert!(q("CRM-4").matches_search(&m));
        assert!(!q("crm-4").matches_search(&m));
        assert!(q("   ").matches_search(&m));
        assert!(!q("alice").matches_search(&m));
    }
}
