#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod address;
mod classify;
mod config;
mod file;
mod gsm;
mod link;
mod notifier;
mod receipts;
mod redact;

pub mod encoding;
pub mod templates;

pub use address::{AddressError, Destination, SourceAddress};
pub use classify::{SmppError, classify, describe};
pub use config::{BindMode, ConfigError, LongText, SmsNotifierBuilder};
pub use encoding::{Coding, Encoded, Segment, segments};
pub use file::SmsFileNotifier;
pub use notifier::SmsNotifier;
pub use receipts::parse_receipt;
pub use templates::{SmsTemplates, TemplateError};
