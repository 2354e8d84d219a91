//! The file notifier: writes each message as an `.eml` file, for development.

use crate::compose::Composer;
use crate::templates::Templates;
use async_trait::async_trait;
use invite_core::{Delivered, Notification, Notifier, NotifyError};
use lettre::message::Mailbox;
use lettre::{AsyncFileTransport, AsyncTransport, Tokio1Executor};
use std::fmt;
use std::path::{Path, PathBuf};

/// Writes every e-mail notification as an `.eml` file in a directory (lettre's
/// `AsyncFileTransport`): open them in a mail client to see exactly what would be sent. Meant
/// for development and the quickstart, never for production.
#[derive(Clone)]
pub struct FileNotifier {
    dir: PathBuf,
    transport: AsyncFileTransport<Tokio1Executor>,
    composer: Composer,
}

impl fmt::Debug for FileNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileNotifier")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl FileNotifier {
    /// Writes into `dir`, which must exist, sending as `from`.
    pub fn new(dir: impl Into<PathBuf>, from: Mailbox) -> Self {
        let dir = dir.into();
        Self {
            transport: AsyncFileTransport::new(&dir),
            dir,
            composer: Composer::new(from),
        }
    }

    /// Uses these templates instead of the built-in ones.
    pub fn templates(mut self, templates: Templates) -> Self {
        self.composer = self.composer.templates(templates);
        self
    }

    /// The domain of `Message-ID`s (default `invite.local`).
    pub fn message_id_domain(mut self, domain: impl AsRef<str>) -> Self {
        self.composer = self.composer.message_id_domain(domain);
        self
    }

    /// The directory the files go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The message composer (headers and templates) this notifier uses.
    pub fn composer(&self) -> &Composer {
        &self.composer
    }
}

#[async_trait]
impl Notifier for FileNotifier {
    async fn deliver(&self, notification: &Notification) -> Result<Delivered, NotifyError> {
        let message = self.composer.compose(notification)?;
        let id = self
            .transport
            .send(message)
            .await
            .map_err(|e| NotifyError::Transport {
                reason: format!("cannot write to {}", self.dir.display()),
                source: Some(Box::new(e)),
            })?;
        tracing::debug!(message = %notification.message_id, file = %id, "e-mail written as .eml");
        Ok(Delivered::one())
    }
}
