//! Reads: an invitation, the dashboard, seats, lists, series, user statuses, the audit trail
//! (R9, R2.11, R10.2). Reads decide nothing; they check who may read and the query's bounds.

use super::{InvitationService, InvitationView, UserStatus};
use crate::actor::Actor;
use crate::audit::AuditEvent;
use crate::bounds;
use crate::clock::Clock;
use crate::dashboard::{Dashboard, ListQuery, Page, Series};
use crate::decide::authorize;
use crate::error::Error;
use crate::feed::{FeedPage, FeedQuery};
use crate::ids::{InvitationId, OrgId, UserRef};
use crate::member::Seats;
use crate::refusal::Refusal;
use crate::store::Store;
use chrono::NaiveDate;

impl<S: Store, C: Clock> InvitationService<S, C> {
    /// One invitation with its status and actions (any user of its organization; anyone else
    /// is told it does not exist, R10.1).
    pub async fn invitation(
        &self,
        actor: &Actor,
        id: InvitationId,
    ) -> Result<InvitationView, Error> {
        let invitation = self.load_invitation(id).await?;
        authorize::reader_of_invitation(actor, &invitation)?;
        let status = invitation.status_at(self.clock.now());
        Ok(InvitationView {
            invitation,
            status,
            actions: status.actions(),
        })
    }

    /// Counts per tab, seats, invitations by channel and the reminder switch, in one call
    /// (R9.1).
    pub async fn dashboard(&self, actor: &Actor, org: OrgId) -> Result<Dashboard, Error> {
        authorize::reader_of(actor, org)?;
        self.store
            .dashboard(org, self.clock.now())
            .await?
            .ok_or(Error::Refused(Refusal::OrganizationNotFound(org)))
    }

    /// Seats of an organization (R3.1).
    pub async fn seats(&self, actor: &Actor, org: OrgId) -> Result<Seats, Error> {
        authorize::reader_of(actor, org)?;
        self.load_org(org).await?;
        Ok(self.store.seats(org, self.clock.now()).await?)
    }

    /// One page of a tab, searched and sorted, with keyset paging (R9.2). Page size 1 to 500;
    /// search text and cursor within [`crate::bounds`].
    ///
    /// ```
    /// use invite_core::*;
    /// # async fn table<S: Store, C: Clock>(service: &InvitationService<S, C>, admin: &Actor,
    /// #     org: OrgId, cursor: Option<&str>) -> Result<(), Error> {
    /// let query = ListQuery {
    ///     search: Some("example.com".into()),
    ///     after: cursor.and_then(Cursor::decode), // the `next` string of the previous page
    ///     ..ListQuery::tab(Tab::Pending)
    /// };
    /// let page = service.list(admin, org, &query).await?;
    /// for row in &page.rows {
    ///     println!("{} {} {:?}", row.invitation.address(), row.status, row.actions);
    /// }
    /// let next: Option<String> = page.next.map(|c| c.encode());
    /// # Ok(()) }
    /// ```
    pub async fn list(&self, actor: &Actor, org: OrgId, query: &ListQuery) -> Result<Page, Error> {
        authorize::reader_of(actor, org)?;
        bounds::check_page_size(query.limit)?;
        bounds::check_search(query.search.as_deref())?;
        bounds::check_cursor(query.after.as_ref())?;
        bounds::check_filter(&query.filter)?;
        Ok(self.store.list(org, query, self.clock.now()).await?)
    }

    /// Daily deliveries, signups and first logins for local days `from..=to` (at most 367
    /// days), and the share of listed invitations that reached Completed (R9.3).
    pub async fn series(
        &self,
        actor: &Actor,
        org_id: OrgId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Series, Error> {
        authorize::reader_of(actor, org_id)?;
        bounds::check_series_range(from, to)?;
        let org = self.load_org(org_id).await?;
        let days = self
            .store
            .daily_activity(org_id, from, to, org.settings.time_zone)
            .await?;
        let dashboard = self.dashboard(actor, org_id).await?;
        let completion_share = match dashboard.counts.all {
            0 => 0.0,
            all => dashboard.counts.completed as f64 / all as f64,
        };
        Ok(Series {
            days,
            completion_share,
        })
    }

    /// Where each application user stands (R2.11): the status of their latest invitation, or
    /// `NotInvited`. At most 1,000 ids per call, each within [`crate::bounds`] and looked up
    /// trimmed, as the library stores them; the answer pairs each id as given with its status.
    /// [`InvitationService::standing_of_users`] answers the invitation id and the failure
    /// reason too.
    pub async fn status_of_users(
        &self,
        actor: &Actor,
        org: OrgId,
        users: &[UserRef],
    ) -> Result<Vec<(UserRef, UserStatus)>, Error> {
        Ok(self
            .standing_of_users(actor, org, users)
            .await?
            .into_iter()
            .map(|s| (s.user, s.status))
            .collect())
    }

    /// The event feed (R10.2): what happened, in one durable order, a page at a time after a
    /// position; see [`crate::feed`]. One organization's events (or one invitation's) for its
    /// users: the audit trail, paged. Any organization's, or every one's, for the application
    /// itself ([`Actor::Application`], a webhook relay say) and the operator.
    /// Page size 1 to 1,000.
    pub async fn events(&self, actor: &Actor, query: &FeedQuery) -> Result<FeedPage, Error> {
        match (query.org, actor) {
            (_, Actor::Application | Actor::System | Actor::Operator { .. }) => {}
            (Some(org), _) => authorize::reader_of(actor, org)?,
            (None, _) => {
                return Err(Refusal::Forbidden(
                    "only the application and the operator read every organization's events".into(),
                )
                .into());
            }
        }
        bounds::check_feed_limit(query.limit)?;
        Ok(self.store.events(query).await?)
    }

    /// The audit trail of an organization, or of one of its invitations (R10.2), whole; page
    /// it with [`InvitationService::events`].
    pub async fn audit_trail(
        &self,
        actor: &Actor,
        org: OrgId,
        invitation: Option<InvitationId>,
    ) -> Result<Vec<AuditEvent>, Error> {
        authorize::reader_of(actor, org)?;
        Ok(self.store.audit_trail(org, invitation).await?)
    }
}
