//! [`PgStore`]'s outbox and view ports: claims, reminder candidates, dashboards, lists, series
//! and the audit trail.

use crate::codec::backend;
use crate::{PgStore, codec, limit_of, sql};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use invite_core::audit::AuditEvent;
use invite_core::dashboard::{
    Dashboard, DayActivity, ListQuery, Page, Row, SortKey, SortOrder, TabCounts,
};
use invite_core::outbox::{ClaimedMessage, OutboxMessage};
use invite_core::store::{OutboxStore, ReminderQuery, StoreError, ViewStore};
use invite_core::{Invitation, InvitationId, MessageId, OrgId, Organization, Seats};
use sqlx::postgres::PgRow;

#[async_trait]
impl OutboxStore for PgStore {
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: TimeDelta,
        limit: u32,
    ) -> Result<Vec<ClaimedMessage>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(sql::CLAIM_DUE)
            .bind(now)
            .bind(now + lease)
            .bind(limit_of(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let mut claimed = rows
            .iter()
            .map(|row| {
                let message = codec::message(row)?;
                let lease = message
                    .lease
                    .ok_or_else(|| backend("a claimed message has no lease"))?;
                Ok(ClaimedMessage { message, lease })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        claimed.sort_by_key(|c| (c.message.due_at, c.message.id));
        Ok(claimed)
    }

    async fn message(&self, id: MessageId) -> Result<Option<OutboxMessage>, StoreError> {
        let row = sqlx::query(sql::MESSAGE)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(codec::message).transpose()
    }

    async fn organizations_with_reminders(
        &self,
        after: Option<OrgId>,
        limit: u32,
    ) -> Result<Vec<Organization>, StoreError> {
        let q = match after {
            None => sqlx::query(sql::ORGANIZATIONS_WITH_REMINDERS_FIRST).bind(limit_of(limit)),
            Some(after) => sqlx::query(sql::ORGANIZATIONS_WITH_REMINDERS_AFTER)
                .bind(after.0)
                .bind(limit_of(limit)),
        };
        let rows = q.fetch_all(&self.pool).await.map_err(backend)?;
        rows.iter().map(codec::organization).collect()
    }

    async fn reminder_candidates(
        &self,
        query: &ReminderQuery,
    ) -> Result<Vec<Invitation>, StoreError> {
        let statement = match query.after {
            None => sql::REMINDER_CANDIDATES_FIRST,
            Some(_) => sql::REMINDER_CANDIDATES_AFTER,
        };
        let q = sqlx::query(statement)
            .bind(query.org.0)
            .bind(limit_of(query.limit))
            .bind(query.now)
            .bind(query.cutoff)
            .bind(query.day);
        let q = match query.after {
            Some(after) => q.bind(after.0),
            None => q,
        };
        self.query_invitations(q).await
    }
}

#[async_trait]
impl ViewStore for PgStore {
    async fn dashboard(
        &self,
        org: OrgId,
        now: DateTime<Utc>,
    ) -> Result<Option<Dashboard>, StoreError> {
        let row = sqlx::query(sql::DASHBOARD)
            .bind(org.0)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let counts = TabCounts {
            all: codec::count(&row, "listed")?,
            pending: codec::count(&row, "pending")?,
            never_used: codec::count(&row, "never_used")?,
            expired_or_failed: codec::count(&row, "expired_or_failed")?,
            completed: codec::count(&row, "completed")?,
            invited_by_email: codec::count(&row, "by_email")?,
            invited_by_sms: codec::count(&row, "by_sms")?,
        };
        // Live invitations are exactly the Pending tab (Queued + Pending).
        let reserved = match codec::is_reserve_on_invite(&codec::text(&row, "seat_policy")?) {
            true => counts.pending,
            false => 0,
        };
        let used = codec::count(&row, "members")? + reserved;
        Ok(Some(Dashboard {
            org,
            counts,
            seats: Seats::new(
                codec::limit(&row, "seat_limit")?,
                u32::try_from(used).unwrap_or(u32::MAX),
            ),
            reminders_enabled: codec::flag(&row, "reminders_enabled")?,
        }))
    }

    async fn list(
        &self,
        org: OrgId,
        query: &ListQuery,
        now: DateTime<Utc>,
    ) -> Result<Page, StoreError> {
        let statement = match (query.sort, query.order, query.after.is_some()) {
            (SortKey::LastInvited, SortOrder::NewestFirst, false) => sql::LIST_INVITED_DESC_FIRST,
            (SortKey::LastInvited, SortOrder::NewestFirst, true) => sql::LIST_INVITED_DESC_AFTER,
            (SortKey::LastInvited, SortOrder::OldestFirst, false) => sql::LIST_INVITED_ASC_FIRST,
            (SortKey::LastInvited, SortOrder::OldestFirst, true) => sql::LIST_INVITED_ASC_AFTER,
            (SortKey::SignedUp, SortOrder::NewestFirst, false) => sql::LIST_SIGNED_UP_DESC_FIRST,
            (SortKey::SignedUp, SortOrder::NewestFirst, true) => sql::LIST_SIGNED_UP_DESC_AFTER,
            (SortKey::SignedUp, SortOrder::OldestFirst, false) => sql::LIST_SIGNED_UP_ASC_FIRST,
            (SortKey::SignedUp, SortOrder::OldestFirst, true) => sql::LIST_SIGNED_UP_ASC_AFTER,
        };
        // The search as ListQuery::matches_search reads it: trimmed, lower-cased, and none
        // when empty.
        let search = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_lowercase);
        let limit = query.limit as usize;
        let mut rows = self
            .query_invitations(
                sqlx::query(statement)
                    .bind(org.0)
                    .bind(codec::tab_name(query.tab))
                    .bind(now)
                    .bind(search)
                    .bind(query.after.and_then(|c| c.key))
                    .bind(query.after.map(|c| c.id.0))
                    .bind(i64::from(query.limit) + 1),
            )
            .await?;
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        let next = match has_more {
            true => rows.last().map(|i| query.cursor_at(i)),
            false => None,
        };
        Ok(Page {
            rows: rows.into_iter().map(|i| Row::at(i, now)).collect(),
            next,
        })
    }

    async fn daily_activity(
        &self,
        org: OrgId,
        from: NaiveDate,
        to: NaiveDate,
        tz: Tz,
    ) -> Result<Vec<DayActivity>, StoreError> {
        if from > to {
            return Ok(Vec::new());
        }
        // A UTC window that holds every instant of the local days whatever the offset
        // (offsets stay within a day); the local date decides inside it.
        let start = from.and_time(chrono::NaiveTime::MIN).and_utc() - TimeDelta::days(2);
        let end = to.and_time(chrono::NaiveTime::MIN).and_utc() + TimeDelta::days(3);
        let rows = sqlx::query(sql::DAILY_ACTIVITY)
            .bind(org.0)
            .bind(from)
            .bind(to)
            .bind(tz.name())
            .bind(start)
            .bind(end)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|row: &PgRow| {
                Ok(DayActivity {
                    day: codec::day(row, "day")?,
                    invitations_sent: codec::count(row, "sent")?,
                    signups: codec::count(row, "signups")?,
                    first_logins: codec::count(row, "first_logins")?,
                })
            })
            .collect()
    }

    async fn audit_trail(
        &self,
        org: OrgId,
        invitation: Option<InvitationId>,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let q = match invitation {
            None => sqlx::query(sql::AUDIT_OF_ORG).bind(org.0),
            Some(inv) => sqlx::query(sql::AUDIT_OF_INVITATION)
                .bind(org.0)
                .bind(inv.0),
        };
        let rows = q.fetch_all(&self.pool).await.map_err(backend)?;
        rows.iter().map(codec::audit_event).collect()
    }
}
