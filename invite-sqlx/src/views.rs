//! [`PgStore`]'s outbox and view ports: claims, reminder candidates, dashboards, lists, series
//! and the audit trail.

use crate::codec::{self, backend};
use crate::reads::{has_nul, limit_of, storable_keys};
use crate::waitlist;
use crate::{PgStore, calendar};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use invite_core::audit::AuditEvent;
use invite_core::dashboard::{
    CountSplits, Dashboard, DayActivity, ListQuery, Page, Row, SortKey, SortOrder, TabCounts,
};
use invite_core::feed::{FeedEvent, FeedPage, FeedPosition, FeedQuery};
use invite_core::filter::TypeFilter;
use invite_core::outbox::{ClaimedMessage, OutboxMessage};
use invite_core::store::{OutboxStore, ReminderQuery, StoreError, ViewStore};
use invite_core::waitlist::WaitlistEntry;
use invite_core::{
    Invitation, InvitationId, Member, MemberPage, MemberQuery, MessageId, OrgId, Organization,
    Role, Seats, UserRef, WaitlistId,
};
use sqlx::Row as _;
use std::collections::HashMap;

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
        let rows = sqlx::query(&self.sql.CLAIM_DUE)
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
        let row = sqlx::query(&self.sql.MESSAGE)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(codec::message).transpose()
    }

    async fn message_by_provider_id(
        &self,
        provider_id: &str,
    ) -> Result<Option<OutboxMessage>, StoreError> {
        if has_nul(provider_id) {
            return Ok(None);
        }
        let row = sqlx::query(&self.sql.MESSAGE_BY_PROVIDER_ID)
            .bind(provider_id)
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
            None => sqlx::query(&self.sql.ORGANIZATIONS_WITH_REMINDERS_FIRST).bind(limit_of(limit)),
            Some(after) => sqlx::query(&self.sql.ORGANIZATIONS_WITH_REMINDERS_AFTER)
                .bind(after.0)
                .bind(limit_of(limit)),
        };
        let rows = q.fetch_all(&self.pool).await.map_err(backend)?;
        rows.iter().map(codec::organization).collect()
    }

    async fn organizations_with_waitlist(
        &self,
        after: Option<OrgId>,
        limit: u32,
    ) -> Result<Vec<OrgId>, StoreError> {
        let q = match after {
            None => sqlx::query(&self.sql.ORGANIZATIONS_WITH_WAITLIST_FIRST).bind(limit_of(limit)),
            Some(after) => sqlx::query(&self.sql.ORGANIZATIONS_WITH_WAITLIST_AFTER)
                .bind(after.0)
                .bind(limit_of(limit)),
        };
        let rows = q.fetch_all(&self.pool).await.map_err(backend)?;
        rows.iter()
            .map(|r| r.try_get(0).map(OrgId).map_err(backend))
            .collect()
    }

    async fn reminder_candidates(
        &self,
        query: &ReminderQuery,
    ) -> Result<Vec<Invitation>, StoreError> {
        let statement = match query.after {
            None => &self.sql.REMINDER_CANDIDATES_FIRST,
            Some(_) => &self.sql.REMINDER_CANDIDATES_AFTER,
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

impl PgStore {
    /// The dashboard's counts split by type and channel: the groups of `DASHBOARD_SPLITS`,
    /// each added to its parts by the core's `CountSplits::add`.
    async fn dashboard_splits(
        &self,
        org: OrgId,
        now: DateTime<Utc>,
    ) -> Result<CountSplits, StoreError> {
        let rows = sqlx::query(&self.sql.DASHBOARD_SPLITS)
            .bind(org.0)
            .bind(now)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let mut splits = CountSplits::default();
        for row in &rows {
            let status = codec::status(&codec::text(row, "status")?)?;
            let channel = codec::channel(&codec::text(row, "channel")?)?;
            let admin = codec::flag(row, "admin")?;
            splits.add_n(status, admin, channel, codec::count(row, "n")?);
        }
        Ok(splits)
    }
}

#[async_trait]
impl ViewStore for PgStore {
    async fn dashboard(
        &self,
        org: OrgId,
        now: DateTime<Utc>,
    ) -> Result<Option<Dashboard>, StoreError> {
        let row = sqlx::query(&self.sql.DASHBOARD)
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
        let splits = self.dashboard_splits(org, now).await?;
        Ok(Some(Dashboard {
            org,
            counts,
            splits,
            seats: Seats::new(
                codec::limit(&row, "seat_limit")?,
                u32::try_from(used).unwrap_or(u32::MAX),
            ),
            reminders_enabled: codec::flag(&row, "reminders_enabled")?,
            waitlist: self.waitlist_count(org).await?,
        }))
    }

    async fn waitlist(
        &self,
        org: OrgId,
        after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<WaitlistEntry>, StoreError> {
        let q = match after {
            None => sqlx::query(&self.sql.WAITLIST_FIRST)
                .bind(org.0)
                .bind(limit_of(limit)),
            // A position past PostgreSQL's bigint has nothing after it.
            Some(after) => match i64::try_from(after) {
                Ok(after) => sqlx::query(&self.sql.WAITLIST_AFTER)
                    .bind(org.0)
                    .bind(after)
                    .bind(limit_of(limit)),
                Err(_) => return Ok(Vec::new()),
            },
        };
        let rows = q.fetch_all(&self.pool).await.map_err(backend)?;
        waitlist::entries(&rows)
    }

    async fn waitlist_entry(&self, id: WaitlistId) -> Result<Option<WaitlistEntry>, StoreError> {
        let row = sqlx::query(&self.sql.WAITLIST_ENTRY)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(waitlist::entry).transpose()
    }

    async fn waiting(
        &self,
        org: OrgId,
        address_keys: &[String],
    ) -> Result<Vec<WaitlistEntry>, StoreError> {
        let keys = storable_keys(address_keys.iter().map(String::as_str));
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(&self.sql.WAITLIST_AT_KEYS)
            .bind(org.0)
            .bind(keys)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        waitlist::entries(&rows)
    }

    async fn list(
        &self,
        org: OrgId,
        query: &ListQuery,
        now: DateTime<Utc>,
    ) -> Result<Page, StoreError> {
        let statement = match (query.sort, query.order, query.after.is_some()) {
            (SortKey::LastInvited, SortOrder::NewestFirst, false) => {
                &self.sql.LIST_INVITED_DESC_FIRST
            }
            (SortKey::LastInvited, SortOrder::NewestFirst, true) => {
                &self.sql.LIST_INVITED_DESC_AFTER
            }
            (SortKey::LastInvited, SortOrder::OldestFirst, false) => {
                &self.sql.LIST_INVITED_ASC_FIRST
            }
            (SortKey::LastInvited, SortOrder::OldestFirst, true) => {
                &self.sql.LIST_INVITED_ASC_AFTER
            }
            (SortKey::SignedUp, SortOrder::NewestFirst, false) => {
                &self.sql.LIST_SIGNED_UP_DESC_FIRST
            }
            (SortKey::SignedUp, SortOrder::NewestFirst, true) => {
                &self.sql.LIST_SIGNED_UP_DESC_AFTER
            }
            (SortKey::SignedUp, SortOrder::OldestFirst, false) => {
                &self.sql.LIST_SIGNED_UP_ASC_FIRST
            }
            (SortKey::SignedUp, SortOrder::OldestFirst, true) => &self.sql.LIST_SIGNED_UP_ASC_AFTER,
        };
        // The search as ListQuery::matches_search reads it: trimmed, lower-cased, and none
        // when empty.
        let search = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_lowercase);
        // No stored address holds a NUL (PostgreSQL's text cannot), so such a search matches
        // nothing, as in MemoryStore; PostgreSQL would refuse the parameter.
        if search.as_deref().is_some_and(has_nul) {
            return Ok(Page {
                rows: Vec::new(),
                next: None,
            });
        }
        // No stored text holds a NUL either: such a filter matches nothing.
        let f = &query.filter;
        if f.permission_level.as_deref().is_some_and(has_nul)
            || f.sender.as_ref().is_some_and(|s| has_nul(s.as_str()))
        {
            return Ok(Page {
                rows: Vec::new(),
                next: None,
            });
        }
        // A position PostgreSQL can hold that selects the same rows (see `calendar`).
        let after = query
            .after
            .map(|c| calendar::cursor_position(query.order, &c));
        let limit = query.limit as usize;
        let mut rows = self
            .query_invitations(
                sqlx::query(statement)
                    .bind(org.0)
                    .bind(codec::tab_name(query.tab))
                    .bind(now)
                    .bind(search)
                    .bind(after.and_then(|(key, _)| key))
                    .bind(after.map(|(_, id)| id))
                    .bind(i64::from(query.limit) + 1)
                    .bind(f.invitation_type.map(|t| match t {
                        TypeFilter::User => "user",
                        TypeFilter::Admin => "admin",
                    }))
                    .bind(f.permission_level.as_deref())
                    .bind(f.role.map(|r| match r {
                        Role::ReadOnly => "ReadOnly",
                        Role::Admin => "Admin",
                    }))
                    .bind(f.client.map(|c| c.0.to_string()))
                    .bind(f.sender.as_ref().map(|s| s.as_str()))
                    .bind(f.channel.map(codec::channel_name)),
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
        // Days before PostgreSQL's first one can have no activity: nothing is stored then.
        // (chrono's last day comes before PostgreSQL's.)
        let mut counted: HashMap<NaiveDate, DayActivity> = HashMap::new();
        let sql_from = from.max(calendar::first_day());
        if sql_from <= to {
            let (start, end) = calendar::utc_window(sql_from, to);
            let rows = sqlx::query(&self.sql.DAILY_ACTIVITY)
                .bind(org.0)
                .bind(sql_from)
                .bind(to)
                .bind(tz.name())
                .bind(start)
                .bind(end)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
            for row in &rows {
                let day = codec::day(row, "day")?;
                let activity = DayActivity {
                    day,
                    invitations_sent: codec::count(row, "sent")?,
                    signups: codec::count(row, "signups")?,
                    first_logins: codec::count(row, "first_logins")?,
                };
                counted.insert(day, activity);
            }
        }
        Ok(calendar::days(from, to)
            .map(|day| {
                counted
                    .remove(&day)
                    .unwrap_or_else(|| DayActivity::empty(day))
            })
            .collect())
    }

    async fn audit_trail(
        &self,
        org: OrgId,
        invitation: Option<InvitationId>,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let q = match invitation {
            None => sqlx::query(&self.sql.AUDIT_OF_ORG).bind(org.0),
            Some(inv) => sqlx::query(&self.sql.AUDIT_OF_INVITATION)
                .bind(org.0)
                .bind(inv.0),
        };
        let rows = q.fetch_all(&self.pool).await.map_err(backend)?;
        rows.iter().map(codec::audit_event).collect()
    }

    async fn events(&self, query: &FeedQuery) -> Result<FeedPage, StoreError> {
        let (major, minor) = query.after.map_or((0, 0), |p| (p.major, p.minor));
        // Positions this store hands out fit i64: transaction ids and identities do.
        let as_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let statement = match query.org {
            Some(_) => &self.sql.FEED_OF_ORG,
            None => &self.sql.FEED_ALL,
        };
        let rows = sqlx::query(statement)
            .bind(major.to_string())
            .bind(as_i64(minor))
            .bind(query.org.map(|o| o.0))
            .bind(query.invitation.map(|i| i.0))
            .bind(i64::from(query.limit))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let events = rows
            .iter()
            .map(|row| {
                let position = FeedPosition {
                    major: codec::count(row, "major")?,
                    minor: codec::count(row, "minor")?,
                };
                Ok(FeedEvent::new(position, codec::audit_event(row)?))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let next = events.last().map(|e| e.position);
        Ok(FeedPage { events, next })
    }

    async fn members(
        &self,
        org: OrgId,
        query: &MemberQuery,
        now: DateTime<Utc>,
    ) -> Result<MemberPage, StoreError> {
        self.member_page(org, query, now).await
    }

    async fn members_by_user(&self, org: OrgId, user: &UserRef) -> Result<Vec<Member>, StoreError> {
        self.members_of_user(org, user).await
    }
}

impl PgStore {
    /// Entries on the waitlist of `org`, for its dashboard: a read of its own, so the
    /// dashboard's one-query counts stay as they are.
    async fn waitlist_count(&self, org: OrgId) -> Result<u64, StoreError> {
        let row = sqlx::query(&self.sql.WAITLIST_COUNT)
            .bind(org.0)
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        codec::count(&row, "n")
    }
}
