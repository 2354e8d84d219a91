//! What the relay reports: the verdict on an answer, the events done with, why a call
//! stopped, and its errors.

use invite_core::AuditId;
use invite_core::feed::FeedPosition;
use std::path::PathBuf;

/// What a receiver's HTTP status means for the event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx: delivered.
    Accepted,
    /// 408, 429, 5xx, and 1xx or 3xx (a misconfigured URL, not this event's fault: skipping
    /// would skip every event): try again later.
    Retry,
    /// Any other 4xx: the receiver refuses this event for good; skip it.
    Rejected,
}

impl Verdict {
    /// The verdict on an answer with `status`.
    pub fn of(status: u16) -> Self {
        match status {
            200..=299 => Verdict::Accepted,
            408 | 429 => Verdict::Retry,
            400..=499 => Verdict::Rejected,
            _ => Verdict::Retry,
        }
    }
}

/// One event the relay is done with: accepted, or rejected for good.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posted {
    /// Its feed position.
    pub position: FeedPosition,
    /// Its name (`Invite-Event`).
    pub name: String,
    /// Its delivery id (`Invite-Delivery`).
    pub delivery: AuditId,
    /// The receiver's last answer.
    pub status: u16,
    /// POSTs it took.
    pub attempts: u32,
}

/// Why a [`Relay::relay_once`](super::Relay::relay_once) call stopped before the end of its page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The shutdown signal was raised.
    Shutdown,
    /// An event failed [`Backoff::max_attempts`](super::Backoff::max_attempts) times; the next call starts with it again.
    GaveUp {
        /// Its feed position.
        position: FeedPosition,
        /// Its name.
        name: String,
        /// Its delivery id.
        delivery: AuditId,
        /// The attempts made.
        attempts: u32,
        /// The last failure: a status, or a network error.
        last_error: String,
    },
}

/// What one [`Relay::relay_once`](super::Relay::relay_once) call did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RelayReport {
    /// The cursor it started after.
    pub after: Option<FeedPosition>,
    /// Events accepted, in feed order.
    pub delivered: Vec<Posted>,
    /// Events rejected for good (a 4xx other than 408 and 429) and passed over.
    pub skipped: Vec<Posted>,
    /// Why it stopped before the end of the page, if it did.
    pub stopped: Option<Stop>,
    /// The cursor now (stored in the cursor file).
    pub cursor: Option<FeedPosition>,
}

impl RelayReport {
    /// Whether the call found nothing to relay.
    pub fn is_idle(&self) -> bool {
        self.delivered.is_empty() && self.skipped.is_empty() && self.stopped.is_none()
    }
}

/// Totals of a [`Relay::run`](super::Relay::run).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Events accepted.
    pub delivered: u64,
    /// Events skipped.
    pub skipped: u64,
    /// Iterations that failed (an error, or an event that kept failing).
    pub failed_iterations: u64,
}

/// Why the relay could not do its work.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// A setting is unusable.
    #[error("invalid relay configuration: {0}")]
    Config(String),
    /// The event feed could not be read.
    #[error("reading the event feed failed: {0}")]
    Feed(#[from] invite_core::Error),
    /// The cursor file could not be read or written.
    #[error("cursor file {}: {source}", path.display())]
    Cursor {
        /// The file.
        path: PathBuf,
        /// The failure.
        #[source]
        source: std::io::Error,
    },
    /// The cursor file holds something other than a feed position.
    #[error("cursor file {} holds {content:?}, not a feed position; delete it to relay from the beginning", path.display())]
    CorruptCursor {
        /// The file.
        path: PathBuf,
        /// The start of what it holds.
        content: String,
    },
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    /// An event could not be written as JSON.
    #[error("event could not be serialized: {0}")]
    Json(#[from] serde_json::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        let cases = [
            (200, Verdict::Accepted),
            (204, Verdict::Accepted),
            (301, Verdict::Retry),
            (400, Verdict::Rejected),
            (404, Verdict::Rejected),
            (408, Verdict::Retry),
            (410, Verdict::Rejected),
            (429, Verdict::Retry),
            (500, Verdict::Retry),
            (503, Verdict::Retry),
        ];
        for (status, verdict) in cases {
            assert_eq!(Verdict::of(status), verdict, "{status}");
        }
    }
}
