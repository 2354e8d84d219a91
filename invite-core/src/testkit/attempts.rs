//! [`AttemptLog`]: the harness's notifier, which logs every delivery attempt (failed ones
//! included, with the clock's time) in front of a scriptable [`RecordingNotifier`].

use crate::clock::{Clock, ManualClock};
use crate::dispatcher::Dispatcher;
use crate::ids::{InvitationId, MessageId};
use crate::notifier::{Delivered, Notification, Notifier, NotifyError, RecordingNotifier};
use crate::outbox::MessageKind;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};

/// A dispatcher over the harness's store, notifier and clock.
pub type TestDispatcher<S> = Dispatcher<Arc<S>, Arc<AttemptLog>, Arc<ManualClock>>;

/// One delivery attempt, as the notifier saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The outbox message.
    pub message_id: MessageId,
    /// Its invitation.
    pub invitation: InvitationId,
    /// Its kind.
    pub kind: MessageKind,
    /// The address it went to (the notification's `to`).
    pub to: String,
    /// Which attempt, from 1.
    pub attempt: u32,
    /// The clock's time when it was made: cases check back-off instants with it.
    pub at: DateTime<Utc>,
    /// Whether the notifier accepted it.
    pub accepted: bool,
}

/// The harness's notifier: logs every attempt, failed ones included, and hands the message to
/// a [`RecordingNotifier`], which accepts it or fails as scripted. The recorder keeps only
/// what it accepted; this log keeps every try, which is what retry and lease cases look at.
#[derive(Debug)]
pub struct AttemptLog {
    inner: Arc<RecordingNotifier>,
    clock: Arc<ManualClock>,
    log: Mutex<Vec<Attempt>>,
}

impl AttemptLog {
    /// A log in front of `inner`, timing each attempt by `clock`.
    pub fn new(inner: Arc<RecordingNotifier>, clock: Arc<ManualClock>) -> Self {
        Self {
            inner,
            clock,
            log: Mutex::new(Vec::new()),
        }
    }

    /// Every attempt so far, oldest first.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Every attempt so far to `to`, oldest first.
    pub fn attempts_to(&self, to: &str) -> Vec<Attempt> {
        let mut attempts = self.attempts();
        attempts.retain(|a| a.to == to);
        attempts
    }
}

#[async_trait]
impl Notifier for AttemptLog {
    async fn deliver(&self, notification: &Notification) -> Result<Delivered, NotifyError> {
        let result = self.inner.deliver(notification).await;
        let attempt = Attempt {
            message_id: notification.message_id,
            invitation: notification.invitation,
            kind: notification.kind,
            to: notification.to.clone(),
            attempt: notification.attempt,
            at: self.clock.now(),
            accepted: result.is_ok(),
        };
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(attempt);
        result
    }
}
