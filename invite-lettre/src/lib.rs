#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod classify;
mod compose;
mod config;
mod file;
mod header;
mod pool;
mod smtp;
mod stream;
pub mod templates;

pub use classify::{Stage, classify, classify_io, classify_reply};
pub use compose::{Composer, DEFAULT_MESSAGE_ID_DOMAIN};
pub use config::{ConfigError, Security, SmtpNotifierBuilder};
pub use file::FileNotifier;
pub use lettre::message::Mailbox;
pub use smtp::SmtpNotifier;
pub use templates::{Part, Rendered, TemplateError, Templates};
