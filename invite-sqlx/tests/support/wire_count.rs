//! A loopback TCP proxy between a test's pool and PostgreSQL that counts round trips on the
//! wire, so a test of how many a command costs cannot be fooled by what the code says it
//! does: it counts what PostgreSQL is asked.
//!
//! A round trip is a batch of frontend messages the client must wait on: every `Sync` (`S`,
//! the end of an extended-protocol exchange: Parse/Bind/Describe/Execute) and every simple
//! `Query` (`Q`: `BEGIN`, `COMMIT`, `raw_sql`) makes the server answer `ReadyForQuery`, and
//! sqlx waits for it before its next statement. So the count is exactly the statements and
//! transaction commands that cost one network latency each; a message pipelined after
//! another without waiting would still count, so the figure can only err high.
//!
//! The proxy speaks plain TCP: connect through it with `sslmode=disable` (a TLS stream
//! cannot be read). Bytes go both ways unchanged; only the client's side is parsed.

use sqlx::postgres::{PgConnectOptions, PgSslMode};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The untyped first messages of a connection: `SSLRequest` and `GSSENCRequest` (the server
/// answers them with one byte, then the client sends its `StartupMessage`).
const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;

/// A running proxy; it stops with the test's runtime.
pub struct WireCount {
    round_trips: Arc<AtomicU64>,
    port: u16,
}

impl WireCount {
    /// Listens on a free loopback port and forwards every connection to `upstream`'s host
    /// and port.
    pub async fn start(upstream: &PgConnectOptions) -> WireCount {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free loopback port");
        let port = listener.local_addr().expect("a bound port").port();
        let target = format!("{}:{}", upstream.get_host(), upstream.get_port());
        let round_trips = Arc::new(AtomicU64::new(0));
        let counter = round_trips.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let target = target.clone();
                let counter = counter.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(&target).await {
                        relay(client, server, counter).await;
                    }
                });
            }
        });
        WireCount { round_trips, port }
    }

    /// `upstream`'s options pointed at the proxy, without TLS.
    pub fn options(&self, upstream: &PgConnectOptions) -> PgConnectOptions {
        upstream
            .clone()
            .host("127.0.0.1")
            .port(self.port)
            .ssl_mode(PgSslMode::Disable)
    }

    /// Round trips counted so far, on every connection through the proxy.
    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::SeqCst)
    }

    /// Runs `f` and answers its result with the round trips it cost.
    pub async fn count<T>(&self, f: impl std::future::Future<Output = T>) -> (T, u64) {
        let before = self.round_trips();
        let out = f.await;
        (out, self.round_trips() - before)
    }
}

async fn relay(client: TcpStream, server: TcpStream, counter: Arc<AtomicU64>) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let down = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    });
    let mut parser = Frontend::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match client_read.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        // Counted before forwarding: the server cannot answer (and the client cannot go on)
        // before the count includes the message that asked.
        let ends = parser.feed(&buf[..n]);
        counter.fetch_add(ends, Ordering::SeqCst);
        if server_write.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = server_write.shutdown().await;
    let _ = down.await;
}

/// The frontend message stream, parsed incrementally.
#[derive(Default)]
struct Frontend {
    pending: Vec<u8>,
    /// After the `StartupMessage`, every message starts with its type byte.
    typed: bool,
}

impl Frontend {
    /// Takes the next bytes the client sent; answers how many `Sync` and `Query` messages
    /// they completed.
    fn feed(&mut self, bytes: &[u8]) -> u64 {
        self.pending.extend_from_slice(bytes);
        let mut ends = 0;
        let mut at = 0;
        loop {
            let rest = &self.pending[at..];
            if !self.typed {
                // Int32 length (itself included), Int32 code, the rest.
                let Some(len) = rest.get(..4).map(be_u32) else { break };
                let len = len as usize;
                if rest.len() < len || len < 8 {
                    break;
                }
                let code = be_u32(&rest[4..8]);
                self.typed = code != SSL_REQUEST && code != GSSENC_REQUEST;
                at += len;
            } else {
                // Byte1 type, Int32 length (itself included, not the type), the body.
                let Some(len) = rest.get(1..5).map(be_u32) else { break };
                let len = len as usize + 1;
                if rest.len() < len {
                    break;
                }
                if matches!(rest[0], b'S' | b'Q') {
                    ends += 1;
                }
                at += len;
            }
        }
        self.pending.drain(..at);
        ends
    }
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}
