//! Delivery of messages (R7): the notifier trait and what it is given.

use crate::access::{InvitationType, Role};
use crate::contact::Channel;
use crate::ids::{InvitationId, MessageId};
use crate::org::Language;
use crate::outbox::MessageKind;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
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

/// Access granted on one organization, by name, for the message text and the signup page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The address on that channel: an e-mail address or an E.164 number. The invitee's,
    /// except for an accepted notice, which goes to the invitation's sender.
    pub to: String,
    /// The invitee's address (the invitation's, on its channel): for an accepted notice, who
    /// signed up; for every other kind the same as `to`.
    pub invitee: String,
    /// The language to write in.
    pub language: Language,
    /// The inviting organization's name.
    pub org_name: String,
    /// Who invited (for an accepted notice, the recipient).
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

/// What a notifier reports of a message its transport accepted.
///
/// ```
/// use invite_core::Delivered;
/// let email = Delivered::one();
/// assert_eq!((email.parts, email.provider_id), (1, None));
/// let sms = Delivered::parts(3).with_provider_id("smsc-4711");
/// assert_eq!(sms.provider_id.as_deref(), Some("smsc-4711"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivered {
    /// The transport's own id for the message (an SMS centre's message id), so a delivery
    /// report that arrives later can be matched to it. `None` where the transport has no such id.
    pub provider_id: Option<String>,
    /// Billable parts: the SMS segments the text was split into; 1 for an e-mail.
    pub parts: u32,
}

impl Delivered {
    /// One part, no provider id: an e-mail, say.
    pub fn one() -> Self {
        Self::parts(1)
    }

    /// `parts` parts, no provider id.
    pub fn parts(parts: u32) -> Self {
        Self {
            provider_id: None,
            parts,
        }
    }

    /// The same, with the transport's id for the message.
    pub fn with_provider_id(mut self, id: impl Into<String>) -> Self {
        self.provider_id = Some(id.into());
        self
    }
}

/// A report about a message the transport accepted earlier, arriving after the fact (an SMS
/// delivery receipt saying `UNDELIV` or `REJECTD`). Matched by [`Delivered::provider_id`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryReport {
    /// The id the transport gave the message when it accepted it.
    pub provider_id: String,
    /// What became of it.
    pub outcome: DeliveryReportOutcome,
}

/// What a [`DeliveryReport`] says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum DeliveryReportOutcome {
    /// It reached the recipient.
    Delivered,
    /// It did not and will not: the invitation becomes Failed with this reason (R4.4).
    Failed {
        /// The transport's words, e.g. `UNDELIV err:001`.
        reason: String,
    },
}

/// A failed delivery, classified so the dispatcher alone decides about retries (R7.2).
///
/// Three classes, by whose fault it is:
/// - [`NotifyError::Transient`]: this recipient, for now (a 4xx reply to the recipient, a
///   full mailbox). Retried with back-off; too many attempts make the invitation Failed.
/// - [`NotifyError::Permanent`]: this recipient, for good (a 5xx rejection, an invalid
///   address). The invitation becomes Failed with the reason.
/// - [`NotifyError::Transport`]: the transport, not the recipient (the server is down,
///   refused our credentials, TLS failed). The message is retried and never makes an
///   invitation Failed, however often it happens.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// Worth retrying for this recipient: a 4xx reply, a busy mailbox.
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
    /// The transport failed, whoever the message was for: connection refused or lost, a
    /// timeout, authentication refused (SMTP 535), a TLS failure, a server that is shutting
    /// down. Nothing is wrong with the recipient.
    #[error("transport failure: {reason}")]
    Transport {
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

    /// A transport failure without a source.
    pub fn transport(reason: impl Into<String>) -> Self {
        NotifyError::Transport {
            reason: reason.into(),
            source: None,
        }
    }

    /// Whether a retry may succeed: transient and transport failures.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            NotifyError::Transient { .. } | NotifyError::Transport { .. }
        )
    }

    /// Whether the transport failed rather than this recipient.
    pub fn is_transport(&self) -> bool {
        matches!(self, NotifyError::Transport { .. })
    }

    /// The reason, without the source.
    pub fn reason(&self) -> &str {
        match self {
            NotifyError::Transient { reason, .. }
            | NotifyError::Permanent { reason, .. }
            | NotifyError::Transport { reason, .. } => reason,
        }
    }
}

/// Delivers messages. Implementations: `invite-lettre` (SMTP), `invite-sms` (SMPP),
/// [`ChannelRouter`](crate::ChannelRouter) (one per channel), an application's own gateway, or
/// [`RecordingNotifier`] for tests and the quickstart.
///
/// A notifier only delivers: it says whose fault a failure is, and the dispatcher decides
/// about retries (R7.2).
///
/// ```
/// use invite_core::{Delivered, Notification, Notifier, NotifyError};
///
/// /// Hands each message to the application's own gateway.
/// struct Gateway;
///
/// #[async_trait::async_trait]
/// impl Notifier for Gateway {
///     async fn deliver(&self, n: &Notification) -> Result<Delivered, NotifyError> {
///         let link = n.signup_url.as_ref().map(|u| u.expose()); // never log it
///         match send_somehow(&n.to, link) {
///             Ok(id) => Ok(Delivered::one().with_provider_id(id)),
///             Err(Gateway5xx) => Err(NotifyError::permanent("rejected by the gateway")),
///         }
///     }
/// }
/// # struct Gateway5xx;
/// # fn send_somehow(_: &str, _: Option<&str>) -> Result<String, Gateway5xx> { Ok("g-1".into()) }
/// ```
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Delivers one message: `Ok` once the transport accepted it, with what the transport
    /// reports of it; the error says whose fault a failure is (see [`NotifyError`]).
    async fn deliver(&self, notification: &Notification) -> Result<Delivered, NotifyError>;
}

#[async_trait]
impl<N: Notifier + ?Sized> Notifier for std::sync::Arc<N> {
    async fn deliver(&self, notification: &Notification) -> Result<Delivered, NotifyError> {
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
    /// Fail as if the transport were down.
    Transport,
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
    async fn deliver(&self, notification: &Notification) -> Result<Delivered, NotifyError> {
        let mut state = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let next = state
            .script
            .get_mut(&notification.to.to_lowercase())
            .and_then(|s| (!s.is_empty()).then(|| s.remove(0)))
            .unwrap_or(Scripted::Accept);
        match next {
            Scripted::Accept => {
                state.delivered.push(notification.clone());
                // A transport id like a real transport's, so delivery reports can be tested.
                Ok(Delivered::one().with_provider_id(format!("rec-{}", notification.message_id)))
            }
            Scripted::Transient => Err(NotifyError::transient("451 mailbox busy (scripted)")),
            Scripted::Permanent => Err(NotifyError::permanent("550 no such user (scripted)")),
            Scripted::Transport => Err(NotifyError::transport("connection refused (scripted)")),
        }
    }
}
