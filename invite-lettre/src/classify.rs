//! Whose fault a failed SMTP exchange is (R7.2): the transport's, or this recipient's.

use invite_core::NotifyError;
use invite_core::notifier::BoxError;
use lettre::transport::smtp;
use std::fmt;
use std::time::Duration;

/// Where in an SMTP session something failed. The same reply means different things at
/// different steps: a `550` to `RCPT TO` rejects this recipient, a `550` to `MAIL FROM` rejects
/// our sender for every message, so [`classify`] needs to know the step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// Opening a connection: TCP, TLS (implicit or `STARTTLS`), the greeting, `EHLO`, and
    /// checking a pooled connection with `NOOP`.
    Connect,
    /// `AUTH` with the configured credentials.
    Authenticate,
    /// `MAIL FROM`: our sender.
    Sender,
    /// `RCPT TO`: the recipient.
    Recipient,
    /// `DATA` and the message, up to the server's final reply.
    Data,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Connect => "connect",
            Stage::Authenticate => "AUTH",
            Stage::Sender => "MAIL FROM",
            Stage::Recipient => "RCPT TO",
            Stage::Data => "DATA",
        })
    }
}

/// Reply codes that say the session, not the recipient, is refused, whatever the step:
/// 421 service not available (the server is shutting down or overloaded), 454 TLS or
/// authentication temporarily unavailable, 530 authentication required, 534 mechanism too weak,
/// 535 credentials invalid, 538 encryption required for the mechanism.
const SESSION_REFUSED: [u16; 6] = [421, 454, 530, 534, 535, 538];

/// Classifies an SMTP error at a stage (R7.2), by whose fault it is:
///
/// | what | stage | class |
/// |---|---|---|
/// | 421, 454, 530, 534, 535, 538 reply | any | [`NotifyError::Transport`] |
/// | any other reply | connect, `AUTH`, `MAIL FROM` | [`NotifyError::Transport`] |
/// | other 4xx reply | `RCPT TO`, `DATA` | [`NotifyError::Transient`] |
/// | other 5xx reply | `RCPT TO`, `DATA` | [`NotifyError::Permanent`] |
/// | connection refused or lost, TLS failure, timeout, malformed reply, shut down | any | [`NotifyError::Transport`] |
///
/// A transport failure is retried and never fails an invitation; the others are about the one
/// recipient of the message (this crate sends every message to one recipient).
///
/// lettre's errors can only come from a real exchange, so the example shows the same rules
/// through [`classify_io`] and [`classify_reply`], which take the parts directly:
///
/// ```
/// use invite_lettre::{Stage, classify_io, classify_reply};
///
/// let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
/// assert!(classify_io(Stage::Connect, refused).is_transport());
/// assert!(classify_reply(Stage::Authenticate, 535, "5.7.8 bad credentials").is_transport());
/// assert!(classify_reply(Stage::Recipient, 421, "shutting down").is_transport());
/// assert!(!classify_reply(Stage::Recipient, 451, "busy").is_transport());
/// assert!(classify_reply(Stage::Recipient, 451, "busy").is_transient());
/// assert!(!classify_reply(Stage::Data, 552, "too big").is_transient());
/// assert!(classify_reply(Stage::Sender, 550, "sender refused").is_transport());
/// ```
pub fn classify(stage: Stage, e: smtp::Error) -> NotifyError {
    let code = e.status().map(|c| c.to_string());
    let code_number = code.as_deref().and_then(|c| c.parse::<u16>().ok());
    let (class, what) = match code_number {
        Some(n) => reply_class(stage, n),
        None if e.is_timeout() => (Class::Transport, "SMTP timeout"),
        None if e.is_tls() => (Class::Transport, "TLS failure"),
        None if e.is_response() => (Class::Transport, "malformed SMTP response"),
        None if e.is_transport_shutdown() => (Class::Transport, "SMTP transport shut down"),
        None if e.is_client() => (Class::Transport, "SMTP client error"),
        None => (Class::Transport, "SMTP connection failure"),
    };
    let reason = match code {
        Some(code) => format!("{what} {code} at {stage}: {e}"),
        None => format!("{what} at {stage}: {e}"),
    };
    class.error(reason, Some(Box::new(e)))
}

/// Classifies an I/O error of our own socket (connecting, the TLS handshake): always the
/// transport's.
pub fn classify_io(stage: Stage, e: std::io::Error) -> NotifyError {
    let reason = format!("SMTP connection failure at {stage}: {e}");
    Class::Transport.error(reason, Some(Box::new(e)))
}

/// Classifies a reply by its code, as [`classify`] does: for replies that do not come through
/// lettre, and to show the rules.
pub fn classify_reply(stage: Stage, code: u16, text: &str) -> NotifyError {
    let (class, what) = reply_class(stage, code);
    class.error(format!("{what} {code} at {stage}: {text}"), None)
}

fn reply_class(stage: Stage, code: u16) -> (Class, &'static str) {
    if SESSION_REFUSED.contains(&code) {
        (Class::Transport, "SMTP session refused")
    } else if matches!(stage, Stage::Connect | Stage::Authenticate | Stage::Sender) {
        (Class::Transport, "SMTP server refused the session")
    } else if (500..600).contains(&code) {
        (Class::Permanent, "permanent SMTP reply")
    } else if (400..500).contains(&code) {
        (Class::Transient, "transient SMTP reply")
    } else {
        // Not a negative reply at all where one was expected: the exchange is broken.
        (Class::Transport, "unexpected SMTP reply")
    }
}

/// A step that got no answer in time: the transport's failure.
pub(crate) fn timed_out(stage: Stage, after: Duration) -> NotifyError {
    NotifyError::transport(format!(
        "SMTP timeout at {stage}: no answer within {after:?}"
    ))
}

#[derive(Clone, Copy)]
enum Class {
    Transient,
    Permanent,
    Transport,
}

impl Class {
    fn error(self, reason: String, source: Option<BoxError>) -> NotifyError {
        match self {
            Class::Transient => NotifyError::Transient { reason, source },
            Class::Permanent => NotifyError::Permanent { reason, source },
            Class::Transport => NotifyError::Transport { reason, source },
        }
    }
}
