//! [`MemoryStore`]'s outbox and view ports: claims, reminder candidates, dashboards, lists,
//! series and the audit trail, all computed with the core's own rules.

use super::MemoryStore;
use crate::audit::AuditEvent;
use crate::dashboard::{Dashboard, DayActivity, ListQuery, Page, Row, TabCounts};
use crate::feed::{FeedEvent, FeedPage, FeedPosition, FeedQuery};
use crate::ids::{InvitationId, MessageId, OrgId, WaitlistId};
use crate::invitation::Invitation;
use crate::org::Organization;
use crate::outbox::{ClaimedMessage, Lease, OutboxMessage};
use crate::reminders;
use crate::store::{OutboxStore, ReminderQuery, StoreError, ViewStore};
use crate::waitlist::WaitlistEntry;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::ops::Bound;

#[async_trait]
impl OutboxStore for MemoryStore {
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: TimeDelta,
        limit: u32,
    ) -> Result<Vec<ClaimedMessage>, StoreError> {
        let mut s = self.write();
        let ids: Vec<MessageId> = s
            .due
            .iter()
            .take_while(|(due, _)| *due <= now)
            .map(|(_, id)| *id)
            .filter(|id| s.outbox[id].claimable_at(now))
            .take(limit as usize)
            .collect();
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            let m = s.outbox.get_mut(&id).expect("listed in the due index");
            let l = Lease {
                token: uuid::Uuid::new_v4(),
                until: crate::clock::saturating_add(now, lease),
            };
            m.lease = Some(l);
            // A count stored at its maximum (by hand) stays there rather than overflow.
            m.attempts = m.attempts.saturating_add(1);
            claimed.push(ClaimedMessage {
                message: m.clone(),
                lease: l,
            });
        }
        Ok(claimed)
    }

    async fn message(&self, id: MessageId) -> Result<Option<OutboxMessage>, StoreError> {
        Ok(self.read().outbox.get(&id).cloned())
    }

    async fn message_by_provider_id(
        &self,
        provider_id: &str,
    ) -> Result<Option<OutboxMessage>, StoreError> {
        let s = self.read();
        Ok(s.by_provider_id
            .get(provider_id)
            .and_then(|id| s.outbox.get(id))
            .cloned())
    }

    async fn organizations_with_reminders(
        &self,
        after: Option<OrgId>,
        limit: u32,
    ) -> Result<Vec<Organization>, StoreError> {
        let s = self.read();
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        Ok(s.orgs
            .range((start, Bound::Unbounded))
            .map(|(_, o)| o)
            .filter(|o| o.settings.reminders_enabled)
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn organizations_with_waitlist(
        &self,
        after: Option<OrgId>,
        limit: u32,
    ) -> Result<Vec<OrgId>, StoreError> {
        Ok(self.read().waitlists.orgs(after, limit))
    }

    async fn reminder_candidates(&self, q: &ReminderQuery) -> Result<Vec<Invitation>, StoreError> {
        let s = self.read();
        let Some(invitations) = s.by_org.get(&q.org) else {
            return Ok(Vec::new());
        };
        let start = q.after.map_or(Bound::Unbounded, Bound::Excluded);
        Ok(invitations
            .range((start, Bound::Unbounded))
            .map(|(_, inv)| inv)
            .filter(|inv| reminders::eligible(inv, q.now, q.cutoff))
            .filter(|inv| !s.reminder_marks.contains(&(inv.id, q.day)))
            .take(q.limit as usize)
            .cloned()
            .collect())
    }
}

#[async_trait]
impl ViewStore for MemoryStore {
    async fn waitlist(
        &self,
        org: OrgId,
        after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<WaitlistEntry>, StoreError> {
        Ok(self.read().waitlists.page(org, after, limit))
    }

    async fn waitlist_entry(&self, id: WaitlistId) -> Result<Option<WaitlistEntry>, StoreError> {
        Ok(self.read().waitlists.entry(id))
    }

    async fn waiting(
        &self,
        org: OrgId,
        address_keys: &[String],
    ) -> Result<Vec<WaitlistEntry>, StoreError> {
        Ok(self.read().waitlists.at_keys(org, address_keys))
    }

    async fn dashboard(
        &self,
        org: OrgId,
        now: DateTime<Utc>,
    ) -> Result<Option<Dashboard>, StoreError> {
        let s = self.read();
        let Some(o) = s.orgs.get(&org) else {
            return Ok(None);
        };
        Ok(Some(Dashboard {
            org,
            counts: TabCounts::tally(s.org_invitations(org), now),
            seats: s.seats(org, now).expect("organization exists"),
            reminders_enabled: o.settings.reminders_enabled,
            waitlist: s.waitlists.len(org),
        }))
    }

    async fn list(
        &self,
        org: OrgId,
        query: &ListQuery,
        now: DateTime<Utc>,
    ) -> Result<Page, StoreError> {
        let s = self.read();
        // Sort keys are copied out beside each reference, so selecting the page compares
        // compact tuples instead of reaching into scattered records.
        let mut rows: Vec<_> = s
            .org_invitations(org)
            .filter(|i| query.selects(i, now) && query.is_after_cursor(i))
            .map(|i| (query.sort_key(i), i))
            .collect();
        let limit = query.limit as usize;
        // Only the first page's worth needs full sorting.
        if rows.len() > limit {
            rows.select_nth_unstable_by(limit, |a, b| query.compare_keys(&a.0, &b.0));
            rows.truncate(limit + 1);
        }
        rows.sort_by(|a, b| query.compare_keys(&a.0, &b.0));
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        let next = match has_more {
            true => rows.last().map(|(_, i)| query.cursor_at(i)),
            false => None,
        };
        Ok(Page {
            rows: rows
                .into_iter()
                .map(|(_, i)| Row::at(i.clone(), now))
                .collect(),
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
        let s = self.read();
        let mut days: BTreeMap<NaiveDate, DayActivity> = from
            .iter_days()
            .take_while(|d| *d <= to)
            .map(|d| (d, DayActivity::empty(d)))
            .collect();
        for e in s
            .audit
            .get(&org)
            .into_iter()
            .flatten()
            .map(|i| &s.events[*i])
        {
            let day = crate::clock::local_date(e.at, tz);
            let Some(entry) = days.get_mut(&day) else {
                continue;
            };
            entry.count(&e.action);
        }
        Ok(days.into_values().collect())
    }

    async fn audit_trail(
        &self,
        org: OrgId,
        invitation: Option<InvitationId>,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let s = self.read();
        Ok(s.audit
            .get(&org)
            .into_iter()
            .flatten()
            .map(|i| &s.events[*i])
            .filter(|e| invitation.is_none() || e.invitation == invitation)
            .cloned()
            .collect())
    }

    async fn events(&self, query: &FeedQuery) -> Result<FeedPage, StoreError> {
        let s = self.read();
        // Positions are (0, index + 1): commits are applied one at a time under the write
        // lock, so an event is readable only with every event before it.
        let first = match query.after {
            None => 0,
            Some(p) if p.major > 0 => usize::MAX,
            Some(p) => usize::try_from(p.minor).unwrap_or(usize::MAX),
        };
        let position = |i: usize| FeedPosition {
            major: 0,
            minor: i as u64 + 1,
        };
        let limit = query.limit as usize;
        let indexes: Box<dyn Iterator<Item = usize>> = match query.org {
            Some(org) => {
                let of_org = s.audit.get(&org).map_or(&[][..], |v| &v[..]);
                let start = of_org.partition_point(|i| *i < first);
                Box::new(of_org[start..].iter().copied())
            }
            None => Box::new(first.min(s.events.len())..s.events.len()),
        };
        let events: Vec<FeedEvent> = indexes
            .filter(|i| query.selects(&s.events[*i]))
            .take(limit)
            .map(|i| FeedEvent::new(position(i), s.events[i].clone()))
            .collect();
        let next = events.last().map(|e| e.position);
        Ok(FeedPage { events, next })
    }
}
