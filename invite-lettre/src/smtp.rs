//! The SMTP notifier: lettre's SMTP client on our own nodelay connections, pooled.

use crate::compose::Composer;
use crate::pool::{Outgoing, Pool};
use async_trait::async_trait;
use invite_core::{Delivered, Notification, Notifier, NotifyError};
use lettre::{Address, Message};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Delivers e-mail notifications over SMTP, on a pool of connections opened with
/// `TCP_NODELAY` (about 1 ms a message on a fast link, where lettre's own transport waits
/// 40 ms for a delayed ACK).
///
/// Failures are classified for the dispatcher (R7.2) by [`classify`](crate::classify): the
/// transport's (connection refused or lost, timeouts, TLS, refused credentials, 421) are
/// [`NotifyError::Transport`]; a 4xx reply to the recipient is [`NotifyError::Transient`];
/// a 5xx reply to the recipient, an invalid address or an SMS notification is
/// [`NotifyError::Permanent`]. Clones share the pool.
///
/// ```
/// use invite_lettre::SmtpNotifier;
/// use std::time::Duration;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let notifier = SmtpNotifier::builder("smtp.example.com", "Acme <no-reply@acme.example>".parse()?)
///     .credentials("acme", "secret")
///     .pool_max_size(8) // run the dispatcher with a concurrency of 8
///     .timeout(Duration::from_secs(10))
///     .build()?;
/// assert!(!format!("{notifier:?}").contains("secret"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct SmtpNotifier {
    pub(crate) pool: Arc<Pool>,
    pub(crate) composer: Composer,
    pub(crate) send_timeout: Duration,
}

impl fmt::Debug for SmtpNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpNotifier")
            .field("from", &self.composer.from().to_string())
            .field("idle_connections", &self.pool.idle_count())
            .finish_non_exhaustive()
    }
}

impl SmtpNotifier {
    /// The message composer (headers and templates) this notifier uses.
    pub fn composer(&self) -> &Composer {
        &self.composer
    }

    /// How many connections are open and idle in the pool now.
    pub fn idle_connections(&self) -> usize {
        self.pool.idle_count()
    }

    /// Sends an already composed message, classifying failures like [`Notifier::deliver`].
    pub async fn send(&self, message: Message) -> Result<(), NotifyError> {
        let envelope = message.envelope();
        self.send_raw(envelope.from(), envelope.to(), &message.formatted())
            .await
    }

    /// Sends formatted message bytes to these recipients, classifying failures like
    /// [`Notifier::deliver`]. The bytes should be 7-bit; otherwise the server must offer
    /// `8BITMIME`.
    pub async fn send_raw(
        &self,
        from: Option<&Address>,
        to: &[Address],
        bytes: &[u8],
    ) -> Result<(), NotifyError> {
        let attempt = self.pool.send(Outgoing { from, to, bytes });
        match tokio::time::timeout(self.send_timeout, attempt).await {
            Ok(result) => result,
            Err(_) => Err(NotifyError::transport(format!(
                "SMTP timeout: the message was not sent within {:?}",
                self.send_timeout
            ))),
        }
    }

    /// Checks that the server answers: takes a connection from the pool (opening it:
    /// connect, TLS, `EHLO`, `AUTH`; or checking a pooled one with `NOOP`) and puts it back.
    /// Handy at start-up, and it leaves a warm connection.
    pub async fn test_connection(&self) -> Result<(), NotifyError> {
        match tokio::time::timeout(self.send_timeout, self.pool.lease()).await {
            Ok(lease) => {
                lease?.release();
                Ok(())
            }
            Err(_) => Err(NotifyError::transport(format!(
                "SMTP timeout: no connection within {:?}",
                self.send_timeout
            ))),
        }
    }

    /// Closes the idle connections (`QUIT`) and refuses every later message with a transport
    /// failure. Connections busy now close when their message is done.
    pub async fn shutdown(&self) {
        self.pool.shutdown().await;
    }
}

#[async_trait]
impl Notifier for SmtpNotifier {
    async fn deliver(&self, notification: &Notification) -> Result<Delivered, NotifyError> {
        let message = self.composer.compose(notification)?;
        self.send(message).await.map(|()| Delivered::one())
    }
}
