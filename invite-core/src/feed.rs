//! The event feed: every change the library records (the audit trail, R10.2), in one durable
//! order, read with a cursor by as many consumers as like, each at its own pace: a webhook
//! relay, a search index, an analytics export.
//!
//! Each event has a [`FeedPosition`]. A consumer keeps the position of the last event it
//! handled and asks for the events after it; it never sees an event twice and never misses
//! one, whatever the concurrency of the writers: a store hands out an event only once every
//! event before it in the feed's order is committed and readable.
//!
//! ```
//! use invite_core::feed::{FeedPosition, FeedQuery};
//! let mut query = FeedQuery::all();
//! # let page = invite_core::feed::FeedPage { events: vec![], next: None };
//! // ... let page = service.events(&actor, &query).await?;
//! for event in &page.events {
//!     println!("{} {}", event.name, event.position);
//! }
//! query.after = page.next.or(query.after); // store it; continue from it next time
//! assert_eq!(FeedPosition::decode("0.42"), Some(FeedPosition { major: 0, minor: 42 }));
//! ```

use crate::audit::AuditEvent;
use crate::ids::{InvitationId, OrgId};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A position in the feed, ordered first by `major`, then by `minor`. What the numbers mean
/// is the store's (a sequence number; a transaction id and a sequence); in JSON and URLs it
/// is the opaque string `"<major>.<minor>"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct FeedPosition {
    /// The major part.
    pub major: u64,
    /// The minor part.
    pub minor: u64,
}

impl FeedPosition {
    /// The opaque string form.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.major, self.minor)
    }

    /// Parses [`FeedPosition::encode`]'s output; `None` for anything else.
    pub fn decode(s: &str) -> Option<Self> {
        let (major, minor) = s.split_once('.')?;
        let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if !digits(major) || !digits(minor) {
            return None;
        }
        Some(Self {
            major: major.parse().ok()?,
            minor: minor.parse().ok()?,
        })
    }
}

impl fmt::Display for FeedPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl From<FeedPosition> for String {
    fn from(p: FeedPosition) -> Self {
        p.encode()
    }
}

impl TryFrom<String> for FeedPosition {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        FeedPosition::decode(&s).ok_or_else(|| format!("not a feed position: {s:?}"))
    }
}

/// Which events to read: of every organization or one, optionally of one invitation, after a
/// position, at most `limit` (1 to 1,000).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedQuery {
    /// One organization's events, or every organization's.
    pub org: Option<OrgId>,
    /// One invitation's events.
    pub invitation: Option<InvitationId>,
    /// Start after this position; `None` from the beginning.
    pub after: Option<FeedPosition>,
    /// The most events to answer.
    pub limit: u32,
}

impl FeedQuery {
    /// Every organization's events from the beginning, 100 at a time.
    pub fn all() -> Self {
        Self {
            org: None,
            invitation: None,
            after: None,
            limit: 100,
        }
    }

    /// One organization's events from the beginning, 100 at a time.
    pub fn of_org(org: OrgId) -> Self {
        Self {
            org: Some(org),
            ..Self::all()
        }
    }

    /// Whether `event` is one this query selects (organization and invitation; not the
    /// position).
    pub fn selects(&self, event: &AuditEvent) -> bool {
        self.org.is_none_or(|o| o == event.org)
            && self.invitation.is_none_or(|i| event.invitation == Some(i))
    }
}

/// One event of the feed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedEvent {
    /// Where it is in the feed.
    pub position: FeedPosition,
    /// Its stable name, e.g. `invitation.accepted` ([`crate::AuditAction::name`]).
    pub name: String,
    /// What happened, by whom, when, and the statuses before and after.
    pub event: AuditEvent,
}

impl FeedEvent {
    /// The feed event of `event` at `position`.
    pub fn new(position: FeedPosition, event: AuditEvent) -> Self {
        Self {
            position,
            name: event.action.name().to_owned(),
            event,
        }
    }
}

/// One page of the feed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedPage {
    /// The events, in feed order.
    pub events: Vec<FeedEvent>,
    /// The position of the last event answered: ask for the events after it next. `None` if
    /// the page is empty (ask again after the same position as before).
    pub next: Option<FeedPosition>,
}
