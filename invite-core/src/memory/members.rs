//! [`MemoryStore`](super::MemoryStore)'s member list and lookup by application user id,
//! computed with the core's own rules ([`MemberQuery::selects`], [`MemberState::of`]).
//!
//! [`MemberState::of`]: crate::MemberState::of

use super::State;
use crate::ids::{OrgId, UserRef};
use crate::member::Member;
use crate::member_list::{MemberPage, MemberQuery, MemberRow};
use chrono::{DateTime, Utc};

impl State {
    /// One page of `org`'s member list at `now`.
    pub(super) fn member_page(
        &self,
        org: OrgId,
        query: &MemberQuery,
        now: DateTime<Utc>,
    ) -> MemberPage {
        let mut rows: Vec<&Member> = self
            .active_by_org
            .get(&org)
            .into_iter()
            .flatten()
            .filter_map(|id| self.members.get(id))
            .filter(|m| query.is_after_cursor(m))
            .filter(|m| query.selects(m, self.invitation_of(m), now))
            .collect();
        rows.sort_by(|a, b| query.compare(a, b));
        let limit = query.limit as usize;
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        let next = match has_more {
            true => rows.last().map(|m| query.cursor_at(m)),
            false => None,
        };
        MemberPage {
            rows: rows
                .into_iter()
                .map(|m| MemberRow::at(m.clone(), self.invitation_of(m).cloned(), now))
                .collect(),
            next,
        }
    }

    /// The active members of `org` tied to `user`, newest first.
    pub(super) fn members_by_user(&self, org: OrgId, user: &UserRef) -> Vec<Member> {
        let mut found: Vec<Member> = self
            .active_by_org
            .get(&org)
            .into_iter()
            .flatten()
            .filter_map(|id| self.members.get(id))
            .filter(|m| m.user_ref.as_ref() == Some(user))
            .cloned()
            .collect();
        found.sort_by_key(|m| std::cmp::Reverse((m.joined_at, m.id)));
        found
    }

    fn invitation_of(&self, member: &Member) -> Option<&crate::invitation::Invitation> {
        member
            .invitation
            .as_ref()
            .and_then(|id| self.invitation(id))
    }
}
