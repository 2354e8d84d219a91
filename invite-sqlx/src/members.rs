//! [`PgStore`]'s member list and lookup by application user id. The list filters by tab in
//! SQL with `member_state!` (in `sql/views.rs`), the twin of `MemberState::of`, and answers the
//! state SQL computed, so the conformance suite's member truth table compares the two.

use crate::codec::{self, backend};
use crate::reads::has_nul;
use crate::{PgStore, calendar};
use chrono::{DateTime, Utc};
use invite_core::dashboard::{Cursor, SortOrder};
use invite_core::store::{RecordStore, StoreError};
use invite_core::{
    InvitationId, Member, MemberCursor, MemberPage, MemberQuery, MemberRow, MemberState, MemberTab,
    OrgId, UserRef,
};
use std::collections::HashMap;

fn tab_name(tab: MemberTab) -> &'static str {
    match tab {
        MemberTab::All => "all",
        MemberTab::NeverUsed => "never_used",
        MemberTab::Completed => "completed",
    }
}

fn state(name: &str) -> Result<MemberState, StoreError> {
    match name {
        "never_used" => Ok(MemberState::NeverUsed),
        "completed" => Ok(MemberState::Completed),
        other => Err(codec::corrupt("member state", other)),
    }
}

/// A keyset position PostgreSQL can hold that selects the same rows as `c` (see
/// `calendar::cursor_position`, which the invitation lists use for the same reason).
fn position(order: SortOrder, c: &MemberCursor) -> (Option<DateTime<Utc>>, uuid::Uuid) {
    let as_list = Cursor {
        key: Some(c.joined_at),
        id: InvitationId(c.id.0),
    };
    calendar::cursor_position(order, &as_list)
}

impl PgStore {
    pub(crate) async fn member_page(
        &self,
        org: OrgId,
        query: &MemberQuery,
        now: DateTime<Utc>,
    ) -> Result<MemberPage, StoreError> {
        let statement = match (query.order, query.after.is_some()) {
            (SortOrder::NewestFirst, false) => &self.sql.MEMBERS_DESC_FIRST,
            (SortOrder::NewestFirst, true) => &self.sql.MEMBERS_DESC_AFTER,
            (SortOrder::OldestFirst, false) => &self.sql.MEMBERS_ASC_FIRST,
            (SortOrder::OldestFirst, true) => &self.sql.MEMBERS_ASC_AFTER,
        };
        // The search as MemberQuery::matches_search reads it: trimmed, lower-cased for
        // addresses, as given for user ids. No stored text holds a NUL (PostgreSQL's text
        // cannot), so such a search matches nothing, as in MemoryStore.
        let search = query.search_text();
        if search.is_some_and(has_nul) {
            return Ok(MemberPage {
                rows: Vec::new(),
                next: None,
            });
        }
        let after = query.after.map(|c| position(query.order, &c));
        let rows = sqlx::query(statement)
            .bind(org.0)
            .bind(tab_name(query.tab))
            .bind(now)
            .bind(search.map(str::to_lowercase))
            .bind(search)
            .bind(after.and_then(|(key, _)| key))
            .bind(after.map(|(_, id)| id))
            .bind(i64::from(query.limit) + 1)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let mut found = rows
            .iter()
            .map(|row| Ok((codec::member(row)?, state(&codec::text(row, "state")?)?)))
            .collect::<Result<Vec<(Member, MemberState)>, StoreError>>()?;
        let limit = query.limit as usize;
        let has_more = found.len() > limit;
        found.truncate(limit);
        let next = match has_more {
            true => found.last().map(|(m, _)| query.cursor_at(m)),
            false => None,
        };
        let ids: Vec<InvitationId> = found.iter().filter_map(|(m, _)| m.invitation).collect();
        let mut invitations: HashMap<_, _> = match ids.is_empty() {
            true => HashMap::new(),
            false => self
                .invitations(&ids)
                .await?
                .into_iter()
                .map(|i| (i.id, i))
                .collect(),
        };
        let rows = found
            .into_iter()
            .map(|(member, state)| {
                let invitation = member.invitation.and_then(|id| invitations.remove(&id));
                MemberRow {
                    member,
                    state,
                    invitation,
                }
            })
            .collect();
        Ok(MemberPage { rows, next })
    }

    pub(crate) async fn members_of_user(
        &self,
        org: OrgId,
        user: &UserRef,
    ) -> Result<Vec<Member>, StoreError> {
        if has_nul(user.as_str()) {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(&self.sql.MEMBERS_BY_USER)
            .bind(org.0)
            .bind(user.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(codec::member).collect()
    }
}
