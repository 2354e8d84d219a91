//! Delivery of messages (R7): the notifier trait and what it is given.

use crate::access::{InvitationType, Role};
use crate::contact::Channel;
use crate::ids::{InvitationId, MessageId};
use crate::org::Language;
use crate::outbox::MessageKind;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::fmt;
use thiserror::Error;

/// A boxed error from a notifier's transport.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A signup URL. It carries a plain token, so its `Debug` is redacted (R7.4).
#[derive(Clone, PartialEq, Eq)]
pub struct SignupUrl(String);

impl SignupUrl {
    /// Wraps a URL.
    pub fn new(url: String) -> Self {
        Self(url)
    }
    /// The URL, for the message body only. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SignupUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SignupUrl(<redacted>)")
    }
}

/// Access granted on one organization, by name, for the message text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantSummary {
    /// The organization's name.
    pub org_name: String,
    /// The role on it.
    pub role: Role,
}

/// One message to deliver, with everything a template needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    /// Stable across attempts: use it as the `Message-ID` so receivers spot duplicates (R7.1).
    pub message_id: MessageId,
    /// The invitation.
    pub invitation: InvitationId,
    /// Which message.
    pub kind: MessageKind,
    /// The channel to deliver by.
    pub channel: Channel,
    /// The address on that channel: an e-mail address or an E.164 number.
    pub to: String,
    /// The language to write in.
    pub language: Language,
    /// The inviting organization's name.
    pub org_name: String,
    /// Who invited.
    pub sender_name: String,
    /// User or admin.
    pub invitation_type: InvitationType,
    /// Access granted, per organization.
    pub grants: Vec<GrantSummary>,
    /// The signup link, for invitations, resends and reminders to invitees.
    pub signup_url: Option<SignupUrl>,
    /// When the link expires, if it has a link.
    pub expires_at: Option<DateTime<Utc>>,
    /// The organization's time zone, to show dates in.
    pub time_zone: Tz,
    /// Which attempt this is, from 1.
    pub attempt: u32,
}

/// A failed delivery, classified so the dispatcher alone decides about retries (R7.2).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// Worth retrying: connection refused, timeout, 4xx reply.
    #[error("transient delivery failure: {reason}")]
    Transient {
        /// What went wrong.
        reason: String,
        /// The transport's error.
        #[source]
        source: Option<BoxError>,
    },
    /// Never going to work: 5xx rejection, invalid address, wrong channel.
    #[error("permanent delivery failure: {reason}")]
    Permanent {
        /// What went wrong.
        reason: String,
        /// The transport's error.
        #[source]
        source: Option<BoxError>,
    },
}

impl NotifyError {
    /// A transient failure without a source.
    pub fn transient(reason: impl Into<String>) -> Self {
        NotifyError::Transient {
            reason: reason.into(),
            source: None,
        }
    }

    /// A permanent failure without a source.
    pub fn permanent(reason: impl Into<String>) -> Self {
        NotifyError::Permanent {
            reason: reason.into(),
            source: None,
        }
    }

    /// Whether a retry may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, NotifyError::Transient { .. })
    }

    /// The reason, without the source.
    pub fn reason(&self) -> &str {
        match self {
            NotifyError::Transient { reason, .. } | NotifyError::Permanent { reason, .. } => reason,
        }
    }
}

/// Delivers messages. Implementations: `invite-lettre` (SMTP), an SMS gateway of the
/// application's, or [`RecordingNotifier`] for tests and the quickstart.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Delivers one message; the error says whether to retry.
    async fn deliver(&self, notification: &Notification) -> Result<(), NotifyError>;
}

#[async_trait]
impl<N: Notifier + ?Sized> Notifier for std::sync::Arc<N> {
    async fn deliver(&self, notification: &Notification) -> Result<(), NotifyError> {
        (**self).deliver(notification).await
    }
}

/// What to do with a message sent to a [`RecordingNotifier`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scripted {
    /// Accept it.
    Accept,
    /// Fail transiently.
    Transient,
    /// Fail permanently.
    Permanent,
}

/// A notifier that keeps what it was given in memory and fails for addresses it is told to:
/// the embedded default for development, and the notifier of the conformance suite.
#[derive(Debug, Default)]
pub struct RecordingNotifier {
    inner: std::sync::Mutex<RecordingState>,
}

#[derive(Debug, Default)]
struct RecordingState {
    delivered: Vec<Notification>,
    script: std::collections::HashMap<String, Vec<Scripted>>,
}

impl RecordingNotifier {
    /// A notifier that accepts everything.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next deliveries to `to` follow `outcomes` in order, then accept.
    pub fn script(&self, to: &str, outcomes: &[Scripted]) {
        let mut state = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        state.script.insert(to.to_lowercase(), outcomes.to_vec());
    }

    /// Every message accepted so far.
    pub fn delivered(&self) -> Vec<Notification> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .delivered
            .clone()
    }

    /// Accepted messages to `to`.
    pub fn delivered_to(&self, to: &str) -> Vec<Notification> {
        let to = to.to_lowercase();
        self.delivered()
            .into_iter()
            .filter(|n| n.to.to_lowercase() == to)
            .collect()
    }
}

#[async_trait]
impl Notifier for RecordingNotifier {
    async fn deliver(&self, notification: &Notification) -> Result<(), NotifyError> {
        let mut state = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let next = state
            .script
            .get_mut(&notification.to.to_lowercase())
            .and_then(|s| (!s.is_empty()).then(|| s.remove(0)))
            .unwrap_or(Scripted::Accept);
        match next {
            Scripted::Accept => {
                state.delivered.push(notification.clone());
                Ok(())
            }
            Scripted::Transient => Err(NotifyError::transient("451 mailbox busy (scripted)")),
            Scripted::Permanent => Err(NotifyError::permanent("550 no such user (scripted)")),
        }
    }
}
