//! Turning a [`Notification`] into a MIME message.

use crate::header;
use crate::templates::{Templates, language_code, single_line};
use invite_core::{Channel, Notification, NotifyError};
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

/// The default right-hand side of `Message-ID`s: `<{uuid}@invite.local>`.
pub const DEFAULT_MESSAGE_ID_DOMAIN: &str = "invite.local";

/// Builds the e-mail for a notification: typed headers (`From`, `To`, `Subject`,
/// `Message-ID`, `Content-Language`) and a `multipart/alternative` body with a plain-text and an
/// HTML part. Shared by [`crate::SmtpNotifier`] and [`crate::FileNotifier`]; use it directly to
/// preview messages.
#[derive(Clone, Debug)]
pub struct Composer {
    from: Mailbox,
    templates: Templates,
    message_id_domain: String,
}

impl Composer {
    /// A composer with the built-in templates and the default `Message-ID` domain.
    pub fn new(from: Mailbox) -> Self {
        Self {
            from,
            templates: Templates::builtin(),
            message_id_domain: DEFAULT_MESSAGE_ID_DOMAIN.to_owned(),
        }
    }

    /// Uses these templates.
    pub fn templates(mut self, templates: Templates) -> Self {
        self.templates = templates;
        self
    }

    /// Uses this domain in `Message-ID`s (`<{message id}@{domain}>`); CR, LF, spaces, `@` and
    /// angle brackets are removed, and it is cut at 253 characters.
    pub fn message_id_domain(mut self, domain: impl AsRef<str>) -> Self {
        self.message_id_domain = domain
            .as_ref()
            .chars()
            .filter(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '@'))
            .take(MAX_DOMAIN)
            .collect();
        if self.message_id_domain.is_empty() {
            DEFAULT_MESSAGE_ID_DOMAIN.clone_into(&mut self.message_id_domain);
        }
        self
    }

    /// The sender.
    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// The `Message-ID` of a notification: stable across attempts (R7.1), so receivers can
    /// spot a duplicate delivery.
    pub fn message_id(&self, n: &Notification) -> String {
        format!("<{}@{}>", n.message_id, self.message_id_domain)
    }

    /// Builds the message. Errors are permanent: an SMS notification, an address that is not
    /// an e-mail address, or a template that fails to render.
    pub fn compose(&self, n: &Notification) -> Result<Message, NotifyError> {
        if n.channel != Channel::Email {
            return Err(NotifyError::permanent(format!(
                "invite-lettre delivers e-mail only, but message {} is for the {} channel; \
                 route {} notifications to a notifier for that channel",
                n.message_id, n.channel, n.channel
            )));
        }
        let to: Mailbox = n.to.parse().map_err(|e| NotifyError::Permanent {
            reason: format!("invalid recipient address {:?}", n.to),
            source: Some(Box::new(e)),
        })?;
        if AsRef::<str>::as_ref(&to.email).len() > MAX_ADDRESS {
            return Err(NotifyError::permanent(format!(
                "invalid recipient address: longer than {MAX_ADDRESS} octets"
            )));
        }
        let rendered = self
            .templates
            .render(n)
            .map_err(|e| NotifyError::Permanent {
                reason: format!("template failed for message {}", n.message_id),
                source: Some(Box::new(e)),
            })?;
        let subject = single_line(&rendered.subject);
        // lettre's typed From and To set the envelope, so they get the bare addresses: lettre
        // never folds a display name, and panics on some (one with CR LF, found by the
        // composer's fuzz test). The values are written below by `header.rs`.
        let mut message = Message::builder()
            .from(Mailbox::new(None, self.from.email.clone()))
            .to(Mailbox::new(None, to.email.clone()))
            .raw_header(pre_encoded("Subject", subject.clone(), |name| {
                header::unstructured(name, &subject)
            }))
            .message_id(Some(self.message_id(n)))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Content-Language"),
                language_code(n.language).to_owned(),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ))
            .multipart(MultiPart::alternative_plain_html(
                line_breaks(&rendered.text),
                line_breaks(&rendered.html),
            ))
            .map_err(|e| NotifyError::Permanent {
                reason: format!("cannot build message {}", n.message_id),
                source: Some(Box::new(e)),
            })?;
        let headers = message.headers_mut();
        for (name, mailbox) in [("From", &self.from), ("To", &to)] {
            headers.insert_raw(pre_encoded(name, mailbox.email.to_string(), |name| {
                header::mailbox(name, mailbox)
            }));
        }
        Ok(message)
    }
}

/// A body with every line break as LF, which lettre writes as CRLF. A lone CR (from a name,
/// say) would otherwise reach the wire bare, which RFC 5322 forbids and SMTP smuggling uses.
fn line_breaks(body: &str) -> String {
    body.replace("\r\n", "\n").replace('\r', "\n")
}

/// The longest address we send to (RFC 5321 4.5.3.1.3: a path is at most 256 octets, the
/// angle brackets included).
const MAX_ADDRESS: usize = 254;

/// The longest `Message-ID` domain we write: a DNS name's limit.
const MAX_DOMAIN: usize = 253;

/// A header whose value `encode` writes: printable ASCII, folded, never a bare line break.
fn pre_encoded(name: &'static str, raw: String, encode: impl Fn(&str) -> String) -> HeaderValue {
    let encoded = encode(name);
    HeaderValue::dangerous_new_pre_encoded(HeaderName::new_from_ascii_str(name), raw, encoded)
}
