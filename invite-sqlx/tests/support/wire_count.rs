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
//! sqlx 0.8 also pings every connection it takes back into its pool (a bare `Sync`, in
//! `return_to_pool`, spawned after the caller let go of the connection): the caller does not
//! wait on it unless the pool has no other connection. Those are counted apart, as `pings`:
//! one per connection a command acquires.
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
pub(crate) struct WireCount {
    counters: Arc<Counters>,
    port: u16,
}

#[derive(Default)]
struct Counters {
    round_trips: AtomicU64,
    pings: AtomicU64,
}

/// What one measured command cost on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cost {
    /// Exchanges the command waited on: statements, `BEGIN`, `COMMIT`.
    pub(crate) round_trips: u64,
    /// sqlx's pings of the connections it took back (one per acquisition).
    pub(crate) pings: u64,
}

impl WireCount {
    /// Listens on a free loopback port and forwards every connection to `upstream`'s host
    /// and port.
    pub(crate) async fn start(upstream: &PgConnectOptions) -> WireCount {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free loopback port");
        let port = listener.local_addr().expect("a bound port").port();
        let target = format!("{}:{}", upstream.get_host(), upstream.get_port());
        let counters = Arc::new(Counters::default());
        let counter = counters.clone();
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
        WireCount { counters, port }
    }

    /// `upstream`'s options pointed at the proxy, without TLS.
    pub(crate) fn options(&self, upstream: &PgConnectOptions) -> PgConnectOptions {
        upstream
            .clone()
            .host("127.0.0.1")
            .port(self.port)
            .ssl_mode(PgSslMode::Disable)
    }

    fn now(&self) -> Cost {
        Cost {
            round_trips: self.counters.round_trips.load(Ordering::SeqCst),
            pings: self.counters.pings.load(Ordering::SeqCst),
        }
    }

    /// Runs `f` and answers its result with what it cost. `pool` must be the pool `f`
    /// uses, with one connection: before and after, the count waits until that connection
    /// is back in the pool (its release ping done), so every ping of `f`, and only those,
    /// is counted. The ping of that wait's own release is taken off.
    pub(crate) async fn count<T>(
        &self,
        pool: &sqlx::PgPool,
        f: impl std::future::Future<Output = T>,
    ) -> (T, Cost) {
        let settled = || async {
            let conn = pool.acquire().await.expect("the pool's connection");
            let now = self.now();
            drop(conn);
            now
        };
        let before = settled().await;
        let out = f.await;
        let after = settled().await;
        let cost = Cost {
            round_trips: after.round_trips - before.round_trips,
            pings: after.pings - before.pings - 1,
        };
        (out, cost)
    }
}

async fn relay(client: TcpStream, server: TcpStream, counter: Arc<Counters>) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let down = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    });
    let mut parser = Frontend {
        log: std::env::var_os("WIRE_COUNT_LOG").is_some(),
        ..Frontend::default()
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match client_read.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        // Counted before forwarding: the server cannot answer (and the client cannot go on)
        // before the count includes the message that asked.
        let (round_trips, pings) = parser.feed(&buf[..n]);
        counter.round_trips.fetch_add(round_trips, Ordering::SeqCst);
        counter.pings.fetch_add(pings, Ordering::SeqCst);
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
    /// The types of the messages since the last `Sync` or `Query`, printed at each with
    /// `WIRE_COUNT_LOG` set, to see what a count is made of.
    exchange: String,
    log: bool,
}

impl Frontend {
    /// Takes the next bytes the client sent; answers how many exchanges (ended by a `Sync`
    /// or `Query`) they completed, and how many bare `Sync`s (pings).
    fn feed(&mut self, bytes: &[u8]) -> (u64, u64) {
        self.pending.extend_from_slice(bytes);
        let (mut ends, mut pings) = (0, 0);
        let mut at = 0;
        loop {
            let rest = &self.pending[at..];
            if !self.typed {
                // Int32 length (itself included), Int32 code, the rest.
                let Some(len) = rest.get(..4).map(be_u32) else {
                    break;
                };
                let len = len as usize;
                if rest.len() < len || len < 8 {
                    break;
                }
                let code = be_u32(&rest[4..8]);
                self.typed = code != SSL_REQUEST && code != GSSENC_REQUEST;
                at += len;
            } else {
                // Byte1 type, Int32 length (itself included, not the type), the body.
                let Some(len) = rest.get(1..5).map(be_u32) else {
                    break;
                };
                let len = len as usize + 1;
                if rest.len() < len {
                    break;
                }
                self.exchange.push(rest[0] as char);
                if matches!(rest[0], b'S' | b'Q') {
                    match self.exchange.as_str() {
                        "S" => pings += 1,
                        _ => ends += 1,
                    }
                    if self.log {
                        eprintln!("wire: {}", self.exchange);
                    }
                    self.exchange.clear();
                }
                at += len;
            }
        }
        self.pending.drain(..at);
        (ends, pings)
    }
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}
