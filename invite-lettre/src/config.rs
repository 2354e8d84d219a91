//! Settings of the SMTP notifier: the builder, and URLs.

use crate::compose::Composer;
use crate::pool::Pool;
use crate::smtp::SmtpNotifier;
use crate::stream::{Connector, Encryption};
use crate::templates::Templates;
use lettre::message::Mailbox;
use lettre::transport::smtp;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;
use thiserror::Error;

/// How the connection to the SMTP server is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// Plain SMTP, then `STARTTLS`, which must succeed (the default for `smtp://`, port 587).
    StartTls,
    /// TLS from the first byte (`smtps://`, port 465).
    ImplicitTls,
    /// No encryption. From a URL (`?tls=none`) only for a loopback server, such as a local
    /// relay or a test server; the builder allows it anywhere, on your responsibility.
    None,
}

/// A configuration that cannot work.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The URL does not parse, or has no host.
    #[error("invalid SMTP URL: {0}")]
    Url(String),
    /// `?tls=none` for a server that is not on loopback.
    #[error("unencrypted SMTP is allowed from a URL only to a loopback server, not {0}")]
    PlaintextNotLoopback(String),
    /// The From address does not parse.
    #[error("invalid From address {address:?}")]
    From {
        /// The address given.
        address: String,
        /// Why it does not parse.
        #[source]
        source: lettre::address::AddressError,
    },
    /// The TLS parameters cannot be built.
    #[error("TLS setup failed")]
    Tls(#[source] smtp::Error),
    /// The rustls configuration for implicit TLS cannot be built.
    #[error("TLS setup failed")]
    Rustls(#[source] tokio_rustls::rustls::Error),
    /// A root certificate given to [`SmtpNotifierBuilder::root_certificate`] is not a PEM
    /// certificate.
    #[error("invalid root certificate: {0}")]
    Certificate(String),
    /// A template does not parse or render.
    #[error(transparent)]
    Template(#[from] crate::TemplateError),
}

/// Settings of an [`SmtpNotifier`]; start from [`SmtpNotifier::builder`] or
/// [`SmtpNotifier::from_url`].
#[derive(Clone)]
pub struct SmtpNotifierBuilder {
    host: String,
    port: Option<u16>,
    security: Security,
    credentials: Option<(String, String)>,
    hello_name: Option<String>,
    timeout: Duration,
    send_timeout: Duration,
    pool_max_size: u32,
    pool_idle_timeout: Duration,
    root_certificates: Vec<Vec<u8>>,
    composer: Composer,
}

impl fmt::Debug for SmtpNotifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpNotifierBuilder")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(u, _)| u))
            .field("timeout", &self.timeout)
            .field("pool_max_size", &self.pool_max_size)
            .finish_non_exhaustive()
    }
}

impl SmtpNotifierBuilder {
    /// The port; by default 587 for STARTTLS, 465 for implicit TLS and 25 unencrypted.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// How the connection is secured.
    pub fn security(mut self, security: Security) -> Self {
        self.security = security;
        self
    }

    /// Authenticates with this user name and password.
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some((user.into(), password.into()));
        self
    }

    /// The name sent in `EHLO`; by default the machine's host name.
    pub fn hello_name(mut self, name: impl Into<String>) -> Self {
        self.hello_name = Some(name.into());
        self
    }

    /// The timeout of each network operation (connect, TLS handshake, greeting, each command);
    /// 30 seconds by default. A timeout is a transport failure.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The longest one message may take (2 minutes by default), waiting for a free connection,
    /// connecting and every command included. Exceeding it is a transport failure, and the
    /// connection it was using is closed.
    pub fn send_timeout(mut self, timeout: Duration) -> Self {
        self.send_timeout = timeout;
        self
    }

    /// The most connections open at once (10 by default), busy and idle together; a message
    /// waits for a free connection beyond that (within [`send_timeout`](Self::send_timeout)).
    ///
    /// Each connection carries one message at a time, so this is also the most messages in
    /// flight: give the dispatcher a concurrency of this size to use every connection, and no
    /// more (extra concurrent sends only wait). Mind the server's own limit of connections per
    /// client, often 10 to 20.
    pub fn pool_max_size(mut self, size: u32) -> Self {
        self.pool_max_size = size.max(1);
        self
    }

    /// How long an idle pooled connection stays open (60 seconds by default). Keep it below the
    /// server's idle timeout (RFC 5321 suggests 5 minutes); a connection the server closed
    /// anyway is noticed by the `NOOP` before reuse and replaced.
    pub fn pool_idle_timeout(mut self, idle: Duration) -> Self {
        self.pool_idle_timeout = idle;
        self
    }

    /// Also trusts this root certificate (PEM), besides the Mozilla roots: for a relay with a
    /// certificate of a private authority.
    pub fn root_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// Uses these templates instead of the built-in ones.
    pub fn templates(mut self, templates: Templates) -> Self {
        self.composer = self.composer.templates(templates);
        self
    }

    /// The domain of `Message-ID`s, `<{message id}@{domain}>` (default `invite.local`).
    pub fn message_id_domain(mut self, domain: impl AsRef<str>) -> Self {
        self.composer = self.composer.message_id_domain(domain);
        self
    }

    /// Builds the notifier. Connections open lazily, at the first message; no runtime is
    /// needed until then.
    pub fn build(self) -> Result<SmtpNotifier, ConfigError> {
        let (encryption, default_port) = match self.security {
            Security::StartTls => (
                Encryption::StartTls(self.tls_parameters()?),
                smtp::SUBMISSION_PORT,
            ),
            Security::ImplicitTls => (
                Encryption::implicit(&self.root_certificates)?,
                smtp::SUBMISSIONS_PORT,
            ),
            Security::None => (Encryption::None, smtp::SMTP_PORT),
        };
        let connector = Connector {
            port: self.port.unwrap_or(default_port),
            host: self.host,
            encryption,
            hello: self.hello_name.map(ClientId::Domain).unwrap_or_default(),
            credentials: self
                .credentials
                .map(|(user, password)| Credentials::new(user, password)),
            timeout: self.timeout,
        };
        Ok(SmtpNotifier {
            pool: Pool::new(connector, self.pool_max_size, self.pool_idle_timeout),
            composer: self.composer,
            send_timeout: self.send_timeout,
        })
    }
}

impl SmtpNotifierBuilder {
    /// lettre's TLS parameters for `STARTTLS`: the Mozilla roots and ours.
    fn tls_parameters(&self) -> Result<TlsParameters, ConfigError> {
        let mut tls = TlsParameters::builder(self.host.clone());
        for pem in &self.root_certificates {
            let certificate =
                Certificate::from_pem(pem).map_err(|e| ConfigError::Certificate(e.to_string()))?;
            tls = tls.add_root_certificate(certificate);
        }
        tls.build().map_err(ConfigError::Tls)
    }
}

impl SmtpNotifier {
    /// Settings for `host`, sending as `from` (for example `"Acme <no-reply@acme.example>"`),
    /// with STARTTLS on port 587 until told otherwise.
    pub fn builder(host: impl Into<String>, from: Mailbox) -> SmtpNotifierBuilder {
        SmtpNotifierBuilder {
            host: host.into(),
            port: None,
            security: Security::StartTls,
            credentials: None,
            hello_name: None,
            timeout: Duration::from_secs(30),
            send_timeout: Duration::from_secs(120),
            pool_max_size: 10,
            pool_idle_timeout: Duration::from_secs(60),
            root_certificates: Vec::new(),
            composer: Composer::new(from),
        }
    }

    /// Settings from a URL:
    ///
    /// - `smtp://host[:port]`: STARTTLS, required (default port 587);
    /// - `smtps://host[:port]`: implicit TLS (default port 465);
    /// - `smtp://127.0.0.1:2525?tls=none`: unencrypted, for a loopback server only;
    /// - `smtp://user:password@host`: with credentials (percent-encoded);
    /// - `?timeout=10` (seconds), `?pool=20` (connections), `?ehlo=name`.
    pub fn from_url(url: &str, from: Mailbox) -> Result<SmtpNotifierBuilder, ConfigError> {
        let parsed = url::Url::parse(url).map_err(|e| ConfigError::Url(e.to_string()))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| ConfigError::Url("no host".into()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let mut tls_param = None;
        let mut builder = Self::builder(host.clone(), from);
        for (key, value) in parsed.query_pairs() {
            match key.as_ref() {
                "tls" => tls_param = Some(value.into_owned()),
                "timeout" => {
                    let secs: f64 = value
                        .parse()
                        .ok()
                        .filter(|s: &f64| s.is_finite() && *s > 0.0)
                        .ok_or_else(|| ConfigError::Url(format!("bad timeout {value:?}")))?;
                    builder = builder.timeout(Duration::from_secs_f64(secs));
                }
                "pool" => {
                    let size = value
                        .parse()
                        .map_err(|_| ConfigError::Url(format!("bad pool size {value:?}")))?;
                    builder = builder.pool_max_size(size);
                }
                "ehlo" => builder = builder.hello_name(value.into_owned()),
                other => return Err(ConfigError::Url(format!("unknown parameter {other:?}"))),
            }
        }
        let security = match (parsed.scheme(), tls_param.as_deref()) {
            ("smtp", None | Some("starttls" | "required")) => Security::StartTls,
            ("smtps", None | Some("implicit" | "wrapper")) => Security::ImplicitTls,
            ("smtp", Some("none")) => {
                let loopback =
                    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
                if !loopback {
                    return Err(ConfigError::PlaintextNotLoopback(host));
                }
                Security::None
            }
            (scheme, tls) => {
                return Err(ConfigError::Url(format!(
                    "unsupported scheme {scheme:?} with tls={tls:?} \
                     (use smtp://, smtps:// or smtp://...?tls=none)"
                )));
            }
        };
        builder = builder.security(security);
        if let Some(port) = parsed.port() {
            builder = builder.port(port);
        }
        if !parsed.username().is_empty() {
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            let user = decode(parsed.username());
            let password = decode(parsed.password().unwrap_or_default());
            builder = builder.credentials(user, password);
        }
        Ok(builder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from() -> Mailbox {
        "Acme <no-reply@acme.example>".parse().expect("mailbox")
    }

    #[test]
    fn urls_choose_security_port_and_credentials() {
        let b = SmtpNotifier::from_url("smtp://mail.example.com", from()).expect("ok");
        assert_eq!((b.security, b.port), (Security::StartTls, None));
        let b = SmtpNotifier::from_url("smtps://u%40x:p%2Fw@mail.example.com:2465", from())
            .expect("ok");
        assert_eq!((b.security, b.port), (Security::ImplicitTls, Some(2465)));
        assert_eq!(b.credentials, Some(("u@x".into(), "p/w".into())));
        let b = SmtpNotifier::from_url("smtp://127.0.0.1:2525?tls=none&timeout=5&pool=3", from())
            .expect("ok");
        assert_eq!((b.security, b.port), (Security::None, Some(2525)));
        assert_eq!((b.timeout, b.pool_max_size), (Duration::from_secs(5), 3));
        assert!(SmtpNotifier::from_url("smtp://[::1]:25?tls=none", from()).is_ok());
        assert!(matches!(
            SmtpNotifier::from_url("smtp://mail.example.com?tls=none", from()),
            Err(ConfigError::PlaintextNotLoopback(_))
        ));
        assert!(SmtpNotifier::from_url("http://mail.example.com", from()).is_err());
        assert!(SmtpNotifier::from_url("smtp://mail.example.com?bogus=1", from()).is_err());
        let b = SmtpNotifier::from_url("smtp://u:secret@mail.example.com", from()).expect("ok");
        assert!(!format!("{b:?}").contains("secret"), "no password in Debug");
    }
}
