#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod compose;
mod file;
mod smtp;
pub mod templates;

pub use compose::{Composer, DEFAULT_MESSAGE_ID_DOMAIN};
pub use file::FileNotifier;
pub use lettre::message::Mailbox;
pub use smtp::{ConfigError, Security, SmtpNotifier, SmtpNotifierBuilder, classify};
pub use templates::{Part, Rendered, TemplateError, Templates};
