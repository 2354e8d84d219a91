//! One notifier for every channel: each message goes to the notifier registered for its
//! [`Channel`] (e-mail to an SMTP notifier, SMS to an SMPP one, say).

use crate::contact::Channel;
use crate::notifier::{Delivered, Notification, Notifier, NotifyError};
use async_trait::async_trait;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// A [`Notifier`] that hands each message to the notifier registered for its channel. A
/// message by a channel with no notifier fails permanently, naming the channel: no retry can
/// help, and the invitation becomes Failed with that reason.
///
/// ```
/// use invite_core::{ChannelRouter, Channel, RecordingNotifier};
/// use std::sync::Arc;
///
/// let email = Arc::new(RecordingNotifier::new());
/// let sms = Arc::new(RecordingNotifier::new());
/// let router = ChannelRouter::builder()
///     .channel(Channel::Email, email.clone())
///     .channel(Channel::Sms, sms.clone())
///     .build();
/// assert!(router.handles(Channel::Sms));
/// // Dispatcher::new(store, router, clock, config)
/// ```
#[derive(Clone, Default)]
pub struct ChannelRouter {
    routes: HashMap<Channel, Arc<dyn Notifier>>,
}

impl fmt::Debug for ChannelRouter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut channels: Vec<String> = self.routes.keys().map(Channel::to_string).collect();
        channels.sort();
        f.debug_struct("ChannelRouter")
            .field("channels", &channels)
            .finish()
    }
}

impl ChannelRouter {
    /// Starts a router with no channels.
    pub fn builder() -> ChannelRouterBuilder {
        ChannelRouterBuilder::default()
    }

    /// Whether a notifier is registered for `channel`.
    pub fn handles(&self, channel: Channel) -> bool {
        self.routes.contains_key(&channel)
    }
}

/// Registers a notifier per channel; see [`ChannelRouter`].
#[derive(Default)]
pub struct ChannelRouterBuilder {
    routes: HashMap<Channel, Arc<dyn Notifier>>,
}

impl fmt::Debug for ChannelRouterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelRouterBuilder")
            .field("channels", &self.routes.len())
            .finish()
    }
}

impl ChannelRouterBuilder {
    /// Sends messages by `channel` through `notifier`, replacing any earlier one.
    pub fn channel<N: Notifier + 'static>(mut self, channel: Channel, notifier: N) -> Self {
        self.routes.insert(channel, Arc::new(notifier));
        self
    }

    /// The router.
    pub fn build(self) -> ChannelRouter {
        ChannelRouter {
            routes: self.routes,
        }
    }
}

#[async_trait]
impl Notifier for ChannelRouter {
    async fn deliver(&self, notification: &Notification) -> Result<Delivered, NotifyError> {
        match self.routes.get(&notification.channel) {
            Some(notifier) => notifier.deliver(notification).await,
            None => Err(NotifyError::permanent(format!(
                "no notifier is configured for the {} channel",
                notification.channel
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{InvitationType, Role};
    use crate::ids::{InvitationId, MessageId};
    use crate::notifier::{GrantSummary, RecordingNotifier, Scripted};
    use crate::org::Language;
    use crate::outbox::MessageKind;

    fn message(channel: Channel, to: &str) -> Notification {
        Notification {
            message_id: MessageId::new(),
            invitation: InvitationId::new(),
            kind: MessageKind::Invitation,
            channel,
            to: to.into(),
            invitee: to.into(),
            language: Language::En,
            org_name: "Acme".into(),
            sender_name: "Ann".into(),
            invitation_type: InvitationType::User,
            grants: vec![GrantSummary {
                org_name: "Acme".into(),
                role: Role::ReadOnly,
            }],
            signup_url: None,
            expires_at: None,
            time_zone: chrono_tz::UTC,
            attempt: 1,
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(f)
    }

    #[test]
    fn each_message_goes_to_its_channel() {
        let email = Arc::new(RecordingNotifier::new());
        let sms = Arc::new(RecordingNotifier::new());
        let router = ChannelRouter::builder()
            .channel(Channel::Email, email.clone())
            .channel(Channel::Sms, sms.clone())
            .build();
        block_on(async {
            router
                .deliver(&message(Channel::Email, "bob@example.com"))
                .await
                .expect("e-mail delivered");
            router
                .deliver(&message(Channel::Sms, "+79051111111"))
                .await
                .expect("SMS delivered");
        });
        assert_eq!(email.delivered_to("bob@example.com").len(), 1);
        assert!(email.delivered_to("+79051111111").is_empty());
        assert_eq!(sms.delivered_to("+79051111111").len(), 1);
        assert!(sms.delivered_to("bob@example.com").is_empty());
    }

    #[test]
    fn a_channel_without_a_notifier_fails_permanently_naming_it() {
        let email = Arc::new(RecordingNotifier::new());
        let router = ChannelRouter::builder()
            .channel(Channel::Email, email.clone())
            .build();
        assert!(!router.handles(Channel::Sms));
        let err = block_on(router.deliver(&message(Channel::Sms, "+79051111111")))
            .expect_err("no SMS notifier");
        assert!(matches!(err, NotifyError::Permanent { .. }), "{err:?}");
        assert_eq!(
            err.reason(),
            "no notifier is configured for the SMS channel"
        );
        assert!(email.delivered().is_empty());
        let empty = ChannelRouter::builder().build();
        let err = block_on(empty.deliver(&message(Channel::Email, "bob@example.com")))
            .expect_err("nothing configured");
        assert!(err.reason().contains("e-mail"), "{}", err.reason());
        assert_eq!(format!("{empty:?}"), "ChannelRouter { channels: [] }");
    }

    #[test]
    fn failures_and_receipts_pass_through_unchanged() {
        let sms = Arc::new(RecordingNotifier::new());
        sms.script("+79051111111", &[Scripted::Transient, Scripted::Transport]);
        let router = ChannelRouter::builder().channel(Channel::Sms, sms).build();
        let n = message(Channel::Sms, "+79051111111");
        block_on(async {
            let first = router.deliver(&n).await.expect_err("scripted");
            assert!(matches!(first, NotifyError::Transient { .. }));
            assert!(
                router
                    .deliver(&n)
                    .await
                    .expect_err("scripted")
                    .is_transport()
            );
            assert_eq!(
                router.deliver(&n).await.expect("accepted"),
                Delivered::one().with_provider_id(format!("rec-{}", n.message_id))
            );
        });
    }
}
