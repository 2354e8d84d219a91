//! Opening SMTP connections on our own `TCP_NODELAY` sockets.
//!
//! lettre 0.11 never sets `TCP_NODELAY`, so the five-byte end-of-data line (`CRLF.CRLF`) of
//! every message sits in the kernel behind the body until the server's delayed ACK arrives,
//! 40 ms on Linux: 23 messages a second however fast both sides are. lettre's public
//! [`AsyncSmtpConnection::connect_with_transport`] takes a stream we opened, so we open it with
//! the option set and hand it over; lettre then speaks SMTP on it, `STARTTLS` included (its
//! TLS wraps our socket). For implicit TLS the greeting comes after the handshake, so we run
//! the handshake ourselves (rustls with ring and the Mozilla roots, the setup lettre's own
//! rustls uses) and hand lettre the encrypted stream.

use crate::ConfigError;
use crate::classify::{Stage, classify, classify_io, timed_out};
use invite_core::NotifyError;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// How a connection is secured, with what it needs.
#[derive(Clone)]
pub(crate) enum Encryption {
    /// `STARTTLS`, required, with lettre's TLS parameters.
    StartTls(TlsParameters),
    /// TLS from the first byte: our handshake with this configuration.
    Implicit(Arc<ClientConfig>),
    /// None (loopback relays, tests).
    None,
}

impl Encryption {
    /// The rustls configuration for implicit TLS: the Mozilla root certificates and `extra`
    /// (PEM), ring.
    pub(crate) fn implicit(extra: &[Vec<u8>]) -> Result<Self, ConfigError> {
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for pem in extra {
            let certificate = CertificateDer::from_pem_slice(pem)
                .map_err(|e| ConfigError::Certificate(e.to_string()))?;
            roots
                .add(certificate)
                .map_err(|e| ConfigError::Certificate(e.to_string()))?;
        }
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(ConfigError::Rustls)?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Encryption::Implicit(Arc::new(config)))
    }
}

/// Everything needed to open a ready connection: connected, encrypted, greeted, authenticated.
#[derive(Clone)]
pub(crate) struct Connector {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) encryption: Encryption,
    pub(crate) hello: ClientId,
    pub(crate) credentials: Option<Credentials>,
    /// The limit of each step (connect, handshake, greeting and `EHLO`, each command).
    pub(crate) timeout: Duration,
}

impl Connector {
    /// Opens a connection ready for `MAIL FROM`.
    pub(crate) async fn open(&self) -> Result<AsyncSmtpConnection, NotifyError> {
        let tcp = self.tcp().await?;
        let stream: Box<dyn AsyncTokioStream> = match &self.encryption {
            Encryption::Implicit(config) => Box::new(self.handshake(config, tcp).await?),
            Encryption::StartTls(_) | Encryption::None => Box::new(tcp),
        };
        let mut conn = self
            .step(
                Stage::Connect,
                AsyncSmtpConnection::connect_with_transport(stream, &self.hello),
            )
            .await?;
        if let Encryption::StartTls(parameters) = &self.encryption {
            // lettre upgrades the stream it holds, our nodelay socket, and says EHLO again.
            self.step(
                Stage::Connect,
                conn.starttls(parameters.clone(), &self.hello),
            )
            .await?;
        }
        if let Some(credentials) = &self.credentials {
            self.step(
                Stage::Authenticate,
                conn.auth(DEFAULT_MECHANISMS, credentials),
            )
            .await?;
        }
        Ok(conn)
    }

    /// Runs one step under the per-step timeout, classifying its failure.
    pub(crate) async fn step<T>(
        &self,
        stage: Stage,
        step: impl Future<Output = Result<T, lettre::transport::smtp::Error>>,
    ) -> Result<T, NotifyError> {
        match tokio::time::timeout(self.timeout, step).await {
            Ok(result) => result.map_err(|e| classify(stage, e)),
            Err(_) => Err(timed_out(stage, self.timeout)),
        }
    }

    /// The first address of the host that accepts, with `TCP_NODELAY` set.
    async fn tcp(&self) -> Result<TcpStream, NotifyError> {
        let within = |e| timed_out(Stage::Connect, e);
        let addresses = tokio::time::timeout(
            self.timeout,
            tokio::net::lookup_host((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|_| within(self.timeout))?
        .map_err(|e| classify_io(Stage::Connect, e))?;
        let mut last = io::Error::new(
            io::ErrorKind::NotFound,
            format!("{} resolves to no address", self.host),
        );
        for address in addresses {
            match tokio::time::timeout(self.timeout, TcpStream::connect(address)).await {
                Ok(Ok(tcp)) => {
                    tcp.set_nodelay(true)
                        .map_err(|e| classify_io(Stage::Connect, e))?;
                    return Ok(tcp);
                }
                Ok(Err(e)) => last = e,
                Err(_) => last = io::Error::new(io::ErrorKind::TimedOut, "connect timed out"),
            }
        }
        Err(classify_io(Stage::Connect, last))
    }

    async fn handshake(
        &self,
        config: &Arc<ClientConfig>,
        tcp: TcpStream,
    ) -> Result<ImplicitTls, NotifyError> {
        let name = ServerName::try_from(self.host.clone()).map_err(|e| {
            classify_io(
                Stage::Connect,
                io::Error::new(io::ErrorKind::InvalidInput, e),
            )
        })?;
        let connector = TlsConnector::from(Arc::clone(config));
        match tokio::time::timeout(self.timeout, connector.connect(name, tcp)).await {
            Ok(Ok(tls)) => Ok(ImplicitTls(tls)),
            Ok(Err(e)) => Err(NotifyError::Transport {
                reason: format!("TLS failure at connect: {e}"),
                source: Some(Box::new(e)),
            }),
            Err(_) => Err(timed_out(Stage::Connect, self.timeout)),
        }
    }
}

/// A TLS stream over our nodelay socket, in the shape lettre takes streams.
#[derive(Debug)]
struct ImplicitTls(TlsStream<TcpStream>);

impl AsyncTokioStream for ImplicitTls {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

impl AsyncRead for ImplicitTls {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for ImplicitTls {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
