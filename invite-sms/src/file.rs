//! The file notifier: writes each SMS as a `.sms` text file, for development.

use crate::address::{Destination, SourceAddress};
use crate::encoding::{Encoded, segments};
use crate::templates::SmsTemplates;
use async_trait::async_trait;
use invite_core::{Channel, Delivered, Notification, Notifier, NotifyError};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Writes every SMS notification as a `.sms` text file in a directory: the recipient, the
/// sender id, the encoding, and each segment as it would be sent. Meant for development and
/// the quickstart, never for production (the files hold the signup links).
///
/// Files are named `{digits}.{message id}.sms`, so a retry overwrites its first attempt.
///
/// ```
/// use invite_sms::{SmsFileNotifier, SourceAddress};
/// let dir = std::env::temp_dir();
/// let notifier = SmsFileNotifier::new(&dir, SourceAddress::parse("Acme").unwrap());
/// assert_eq!(notifier.dir(), dir.as_path());
/// ```
#[derive(Clone, Debug)]
pub struct SmsFileNotifier {
    dir: PathBuf,
    source: SourceAddress,
    templates: SmsTemplates,
}

impl SmsFileNotifier {
    /// Writes into `dir`, which must exist, as sender `source`.
    pub fn new(dir: impl Into<PathBuf>, source: SourceAddress) -> Self {
        Self {
            dir: dir.into(),
            source,
            templates: SmsTemplates::builtin(),
        }
    }

    /// Uses these templates instead of the built-in ones.
    pub fn templates(mut self, templates: SmsTemplates) -> Self {
        self.templates = templates;
        self
    }

    /// The directory the files go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn describe(&self, n: &Notification, to: &Destination, encoded: &Encoded) -> String {
        let mut out = String::new();
        let coding = encoded.coding;
        let unit = match coding {
            crate::Coding::Gsm7 => "septets",
            crate::Coding::Ucs2 => "UTF-16 units",
        };
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "To: +{} (TON {}, NPI {})",
            to.digits(),
            to.ton(),
            to.npi()
        );
        let _ = writeln!(out, "From: {:?}", self.source);
        let _ = writeln!(out, "Message-Id: {}", n.message_id);
        let _ = writeln!(out, "Kind: {:?}", n.kind);
        let _ = writeln!(out, "Language: {:?}", n.language);
        let _ = writeln!(
            out,
            "Coding: {} (data_coding {:#04x})",
            coding.name(),
            coding.data_coding()
        );
        let _ = writeln!(out, "Segments: {}", encoded.parts.len());
        for (i, part) in encoded.parts.iter().enumerate() {
            let _ = writeln!(
                out,
                "\n--- segment {}/{}: {} {unit}, {} octets on the air",
                i + 1,
                encoded.parts.len(),
                part.units(),
                encoded.air_octets(i)
            );
            let _ = writeln!(out, "{}", part.text());
        }
        let _ = writeln!(out, "\n--- text\n{}", encoded.text());
        out
    }
}

#[async_trait]
impl Notifier for SmsFileNotifier {
    async fn deliver(&self, n: &Notification) -> Result<Delivered, NotifyError> {
        if n.channel != Channel::Sms {
            return Err(NotifyError::permanent(format!(
                "the SMS notifier cannot deliver by {:?}",
                n.channel
            )));
        }
        let to = Destination::parse(&n.to).map_err(|e| NotifyError::permanent(e.to_string()))?;
        let text = self
            .templates
            .render(n)
            .map_err(|e| NotifyError::Permanent {
                reason: e.to_string(),
                source: Some(Box::new(e)),
            })?;
        let encoded = segments(&text).map_err(|e| NotifyError::permanent(e.to_string()))?;
        let name = format!("{}.{}.sms", to.digits(), n.message_id);
        let path = self.dir.join(&name);
        let tmp = self.dir.join(format!(".{name}.tmp"));
        let contents = self.describe(n, &to, &encoded);
        let write = async {
            tokio::fs::write(&tmp, contents).await?;
            // Atomic: a reader never sees half a file.
            tokio::fs::rename(&tmp, &path).await
        };
        write.await.map_err(|e| NotifyError::Transient {
            reason: format!("cannot write to {}", self.dir.display()),
            source: Some(Box::new(e)),
        })?;
        tracing::debug!(message = %n.message_id, file = %path.display(), "SMS written as .sms");
        Ok(Delivered::parts(encoded.part_count()))
    }
}
