//! Settings of an [`SmsNotifier`](crate::SmsNotifier): a builder, or a URL.

use crate::address::{AddressError, SourceAddress};
use crate::templates::{SmsTemplates, TemplateError};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

/// How the session binds to the SMSC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindMode {
    /// Send only (`bind_transmitter`); delivery receipts need a separate receiver bind, which
    /// this crate does not open.
    Transmitter,
    /// Send and receive on one session (`bind_transceiver`): delivery receipts arrive on it.
    Transceiver,
}

/// How a text longer than one SMS is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LongText {
    /// One `submit_sm` per segment, each with a concatenation header (the default).
    Concatenated,
    /// One `submit_sm` with the whole text in the `message_payload` TLV; the SMSC splits it.
    MessagePayload,
}

/// A configuration that cannot work.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The URL does not parse, or has a parameter this crate does not know.
    #[error("invalid SMPP URL: {0}")]
    Url(String),
    /// A bind field is empty or longer than SMPP allows.
    #[error("invalid {field}: {reason}")]
    Field {
        /// `system_id`, `password` or `system_type`.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// No sender id was given.
    #[error("no sender id: set `source` in the URL or call `source()`")]
    MissingSource,
    /// The sender id cannot be sent.
    #[error(transparent)]
    Source(#[from] AddressError),
    /// The TLS settings cannot be built.
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// A template does not parse or render.
    #[error(transparent)]
    Template(#[from] TemplateError),
}

/// A password that never shows in `Debug` or logs.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(pub(crate) String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Settings of an [`SmsNotifier`](crate::SmsNotifier); start from
/// [`SmsNotifier::builder`](crate::SmsNotifier::builder) or
/// [`SmsNotifier::from_url`](crate::SmsNotifier::from_url). Its `Debug` never shows the
/// password.
#[derive(Clone)]
pub struct SmsNotifierBuilder {
    pub(crate) host: String,
    pub(crate) port: Option<u16>,
    pub(crate) tls: bool,
    pub(crate) tls_config: Option<Arc<rustls::ClientConfig>>,
    pub(crate) system_id: String,
    pub(crate) password: Secret,
    pub(crate) system_type: String,
    pub(crate) bind: BindMode,
    pub(crate) source: Option<Result<SourceAddress, AddressError>>,
    pub(crate) window: usize,
    pub(crate) connect_timeout: Duration,
    pub(crate) response_timeout: Duration,
    pub(crate) enquire_link_interval: Duration,
    pub(crate) receipts: Option<bool>,
    pub(crate) long_text: LongText,
    pub(crate) max_parts: usize,
    pub(crate) report_capacity: usize,
    pub(crate) templates: SmsTemplates,
}

impl fmt::Debug for SmsNotifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsNotifierBuilder")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("system_id", &self.system_id)
            .field("password", &self.password)
            .field("system_type", &self.system_type)
            .field("bind", &self.bind)
            .field("source", &self.source)
            .field("window", &self.window)
            .field("long_text", &self.long_text)
            .finish_non_exhaustive()
    }
}

impl SmsNotifierBuilder {
    pub(crate) fn new(host: String, system_id: String, password: String) -> Self {
        Self {
            host,
            port: None,
            tls: false,
            tls_config: None,
            system_id,
            password: Secret(password),
            system_type: String::new(),
            bind: BindMode::Transceiver,
            source: None,
            window: 10,
            connect_timeout: Duration::from_secs(10),
            response_timeout: Duration::from_secs(10),
            enquire_link_interval: Duration::from_secs(30),
            receipts: None,
            long_text: LongText::Concatenated,
            max_parts: 10,
            report_capacity: 1024,
            templates: SmsTemplates::builtin(),
        }
    }

    /// The port; by default 2775, or 3550 with TLS.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// TLS (rustls) from the first byte, as `smpps://` asks; with the Mozilla roots of
    /// `webpki-roots` unless [`tls_config`](Self::tls_config) says otherwise.
    pub fn tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// Your own rustls configuration (a private CA, client certificates); implies TLS.
    pub fn tls_config(mut self, config: Arc<rustls::ClientConfig>) -> Self {
        self.tls = true;
        self.tls_config = Some(config);
        self
    }

    /// The `system_type` of the bind (empty by default).
    pub fn system_type(mut self, system_type: impl Into<String>) -> Self {
        self.system_type = system_type.into();
        self
    }

    /// Transmitter or transceiver (the default).
    pub fn bind(mut self, bind: BindMode) -> Self {
        self.bind = bind;
        self
    }

    /// The sender id, read by [`SourceAddress::parse`]: `Acme` (alphanumeric), `7575` (short
    /// code) or `+79050000000` (a number).
    pub fn source(mut self, source: &str) -> Self {
        self.source = Some(SourceAddress::parse(source));
        self
    }

    /// A sender id with explicit TON and NPI.
    pub fn source_address(mut self, source: SourceAddress) -> Self {
        self.source = Some(Ok(source));
        self
    }

    /// The most `submit_sm` awaiting their response at once on the session (10 by default):
    /// concurrent `deliver` calls share the session up to this window.
    pub fn window(mut self, window: usize) -> Self {
        self.window = window;
        self
    }

    /// How long connecting, the TLS handshake and the bind may take (10 seconds by default).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long to wait for each response, `submit_sm_resp` included (10 seconds by default).
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// How often an idle session sends `enquire_link` (30 seconds by default); a link that
    /// does not answer within the response timeout is dropped and reopened.
    pub fn enquire_link_interval(mut self, interval: Duration) -> Self {
        self.enquire_link_interval = interval;
        self
    }

    /// Whether to ask for delivery receipts (`registered_delivery` 1); by default yes when
    /// bound as a transceiver, the bind they arrive on.
    pub fn delivery_receipts(mut self, receipts: bool) -> Self {
        self.receipts = Some(receipts);
        self
    }

    /// Concatenated segments (the default) or one `message_payload`.
    pub fn long_text(mut self, long_text: LongText) -> Self {
        self.long_text = long_text;
        self
    }

    /// The most segments one message may take (10 by default, at most 255): a longer text is
    /// refused as a permanent failure rather than billed.
    pub fn max_parts(mut self, max_parts: usize) -> Self {
        self.max_parts = max_parts;
        self
    }

    /// How many delivery reports may wait in the channel of
    /// [`SmsNotifier::delivery_reports`](crate::SmsNotifier::delivery_reports) (1024 by
    /// default) before the SMSC is made to wait.
    pub fn report_capacity(mut self, capacity: usize) -> Self {
        self.report_capacity = capacity;
        self
    }

    /// Uses these templates instead of the built-in ones.
    pub fn templates(mut self, templates: SmsTemplates) -> Self {
        self.templates = templates;
        self
    }

    pub(crate) fn validate(&self) -> Result<SourceAddress, ConfigError> {
        // Lengths SMPP 3.4 allows (C-octet strings, NUL excluded).
        let field = |field: &'static str, value: &str, max: usize, required: bool| {
            let bad = (required && value.is_empty())
                || value.len() > max
                || !value.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
            if bad {
                return Err(ConfigError::Field {
                    field,
                    reason: format!(
                        "must be {}up to {max} ASCII characters",
                        if required { "1 to " } else { "" }
                    ),
                });
            }
            Ok(())
        };
        field("system_id", &self.system_id, 15, true)?;
        field("password", &self.password.0, 8, false)?;
        field("system_type", &self.system_type, 12, false)?;
        if self.host.is_empty() {
            return Err(ConfigError::Url("no host".into()));
        }
        if self.window == 0 {
            return Err(ConfigError::Url("window must be at least 1".into()));
        }
        if !(1..=crate::encoding::MAX_PARTS).contains(&self.max_parts) {
            return Err(ConfigError::Url("max_parts must be 1 to 255".into()));
        }
        match &self.source {
            None => Err(ConfigError::MissingSource),
            Some(Err(e)) => Err(ConfigError::Source(e.clone())),
            Some(Ok(s)) => Ok(s.clone()),
        }
    }

    pub(crate) fn default_port(&self) -> u16 {
        self.port.unwrap_or(if self.tls { 3550 } else { 2775 })
    }

    pub(crate) fn wants_receipts(&self) -> bool {
        self.receipts.unwrap_or(self.bind == BindMode::Transceiver)
    }
}

/// Parses `smpp://system_id:password@host[:port]?…` or `smpps://…` (see
/// [`SmsNotifier::from_url`](crate::SmsNotifier::from_url)).
pub(crate) fn from_url(url: &str) -> Result<SmsNotifierBuilder, ConfigError> {
    // Never echo the URL itself in an error: it holds the password.
    let parsed = url::Url::parse(url).map_err(|e| ConfigError::Url(e.to_string()))?;
    let tls = match parsed.scheme() {
        "smpp" => false,
        "smpps" | "ssmpp" => true,
        other => {
            return Err(ConfigError::Url(format!(
                "unsupported scheme {other:?} (use smpp:// or smpps://)"
            )));
        }
    };
    let host = parsed
        .host_str()
        .ok_or_else(|| ConfigError::Url("no host".into()))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let mut b = SmsNotifierBuilder::new(
        host,
        decode(parsed.username()),
        decode(parsed.password().unwrap_or_default()),
    )
    .tls(tls);
    if let Some(port) = parsed.port() {
        b = b.port(port);
    }
    let seconds = |key: &str, value: &str| {
        value
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(Duration::from_secs_f64)
            .ok_or_else(|| ConfigError::Url(format!("bad {key} {value:?} (seconds)")))
    };
    let number = |key: &str, value: &str| {
        value
            .parse::<usize>()
            .map_err(|_| ConfigError::Url(format!("bad {key} {value:?}")))
    };
    let flag = |key: &str, value: &str| match value {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(ConfigError::Url(format!(
            "bad {key} {value:?} (true or false)"
        ))),
    };
    for (key, value) in parsed.query_pairs() {
        let (key, value) = (key.as_ref(), value.as_ref());
        b = match key {
            "system_type" => b.system_type(value),
            "source" => b.source(value),
            "bind" => b.bind(match value {
                "transceiver" | "trx" => BindMode::Transceiver,
                "transmitter" | "tx" => BindMode::Transmitter,
                _ => return Err(ConfigError::Url(format!("bad bind {value:?}"))),
            }),
            "window" => b.window(number(key, value)?),
            "max_parts" => b.max_parts(number(key, value)?),
            "timeout" => b.response_timeout(seconds(key, value)?),
            "connect_timeout" => b.connect_timeout(seconds(key, value)?),
            "enquire_link" => b.enquire_link_interval(seconds(key, value)?),
            "receipts" => b.delivery_receipts(flag(key, value)?),
            "long" => b.long_text(match value {
                "concatenated" | "udh" => LongText::Concatenated,
                "payload" | "message_payload" => LongText::MessagePayload,
                _ => return Err(ConfigError::Url(format!("bad long {value:?}"))),
            }),
            other => return Err(ConfigError::Url(format!("unknown parameter {other:?}"))),
        };
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let b = from_url("smpp://invite:s%2Fcret@smsc.example:2776?system_type=OTA&source=Acme&bind=transmitter&window=4&timeout=2.5&receipts=false&long=payload&max_parts=3")
            .expect("valid");
        assert_eq!(
            (b.host.as_str(), b.default_port(), b.tls),
            ("smsc.example", 2776, false)
        );
        assert_eq!(
            (b.system_id.as_str(), b.password.0.as_str()),
            ("invite", "s/cret")
        );
        assert_eq!(
            (b.system_type.as_str(), b.bind, b.window),
            ("OTA", BindMode::Transmitter, 4)
        );
        assert_eq!(b.response_timeout, Duration::from_millis(2500));
        assert_eq!(
            (b.wants_receipts(), b.long_text, b.max_parts),
            (false, LongText::MessagePayload, 3)
        );
        assert_eq!(b.validate().map(|s| s.ton()).ok(), Some(5));

        let b = from_url("smpps://u:p@[::1]?source=%2B79050000000").expect("valid");
        assert_eq!(
            (b.host.as_str(), b.default_port(), b.tls),
            ("::1", 3550, true)
        );
        assert!(b.wants_receipts(), "transceiver by default");
        assert_eq!(b.validate().map(|s| s.ton()).ok(), Some(1));

        for bad in [
            "http://u:p@h?source=A",
            "smpp://u:p@h?bogus=1",
            "smpp://u:p@h?window=x",
            "smpp://u:p@h?bind=receiver",
            "smpp://u:p@h?timeout=-1",
        ] {
            assert!(from_url(bad).is_err(), "{bad}");
        }
        let no_source = from_url("smpp://u:p@h").expect("parses");
        assert!(matches!(
            no_source.validate(),
            Err(ConfigError::MissingSource)
        ));
        let long_password = from_url("smpp://u:ninechars@h?source=A").expect("parses");
        assert!(matches!(
            long_password.validate(),
            Err(ConfigError::Field {
                field: "password",
                ..
            })
        ));
        assert!(
            from_url("smpp://u:p@h?source=A&window=0")
                .expect("parses")
                .validate()
                .is_err()
        );
    }

    #[test]
    fn the_password_never_shows() {
        let b = from_url("smpp://invite:hunter2@h?source=Acme").expect("valid");
        let debug = format!("{b:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("<redacted>") && debug.contains("invite"));
        let err = from_url("smpp://invite:hunter2@h?source=Acme&bogus=1").expect_err("bad");
        assert!(!err.to_string().contains("hunter2"));
    }
}
