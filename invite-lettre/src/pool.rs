//! A small pool of SMTP connections: at most `max_size` open at once, idle ones closed after
//! `idle_timeout`, a failed one dropped.
//!
//! lettre's own pool opens its connections itself (without `TCP_NODELAY`, see `stream.rs`),
//! checks a pooled connection with `NOOP` before every message and drops it after any negative
//! reply. Ours opens them with [`Connector`], keeps a connection after a refused recipient
//! (`RSET` ends the transaction), and reuses a pooled connection without a `NOOP`: a dead one
//! fails at `MAIL FROM`, before any of the message was sent, and the message then goes on the
//! next pooled connection or a new one. That saves one round trip in five per message, and is
//! no less safe: a `NOOP` can pass on a connection that dies a moment later all the same.

use crate::classify::Stage;
use crate::stream::Connector;
use invite_core::NotifyError;
use lettre::Address;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{Extension, MailBodyParameter, MailParameter};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The connections, and the permits that bound how many exist.
pub(crate) struct Pool {
    connector: Connector,
    idle_timeout: Duration,
    /// One permit per connection that may be open; a lease holds one.
    permits: Arc<Semaphore>,
    /// Connections waiting for a lease, most recently used last.
    idle: Mutex<Vec<Parked>>,
    reaper_started: AtomicBool,
}

struct Parked {
    conn: AsyncSmtpConnection,
    since: Instant,
}

/// A connection lent out with its permit. Dropping it without [`Lease::release`] (a cancelled
/// send, a failure) closes the connection: its state is unknown.
pub(crate) struct Lease {
    conn: AsyncSmtpConnection,
    pool: Arc<Pool>,
    permit: OwnedSemaphorePermit,
}

/// How far a failed transaction got.
enum Failed {
    /// Before the server accepted `MAIL FROM`: nothing of the message was sent.
    AtSender(NotifyError),
    /// At `RCPT TO` or later.
    Later(NotifyError),
}

/// One message on the wire: the envelope and the formatted bytes.
pub(crate) struct Outgoing<'a> {
    pub(crate) from: Option<&'a Address>,
    pub(crate) to: &'a [Address],
    pub(crate) bytes: &'a [u8],
}

impl Pool {
    pub(crate) fn new(connector: Connector, max_size: u32, idle_timeout: Duration) -> Arc<Self> {
        Arc::new(Self {
            connector,
            idle_timeout,
            permits: Arc::new(Semaphore::new(max_size.max(1) as usize)),
            idle: Mutex::new(Vec::new()),
            reaper_started: AtomicBool::new(false),
        })
    }

    /// Sends one message on a pooled connection, or a new one. Waits for a permit while
    /// `max_size` connections are lent out.
    pub(crate) async fn send(self: &Arc<Self>, message: Outgoing<'_>) -> Result<(), NotifyError> {
        let mut permit = self.permit().await?;
        loop {
            let (mut lease, reused) = match self.take_idle() {
                Some(parked) => (self.lend(parked.conn, permit), true),
                None => (self.open(permit).await?, false),
            };
            match lease.transaction(&message).await {
                Ok(()) => {
                    lease.release();
                    return Ok(());
                }
                Err(Failed::AtSender(e)) if reused && e.is_transport() => {
                    // The pooled connection had died (the server closed it, or restarted):
                    // nothing of the message was sent, so the next connection takes it. Each
                    // turn uses up an idle connection; a new one is never retried.
                    tracing::debug!(error = %e, "dropping a dead pooled SMTP connection");
                    permit = lease.discard();
                }
                Err(Failed::AtSender(e) | Failed::Later(e)) => {
                    lease.after_failure(&e).await;
                    return Err(e);
                }
            }
        }
    }

    /// A ready connection: a pooled one that still answers `NOOP`, or a new one.
    pub(crate) async fn lease(self: &Arc<Self>) -> Result<Lease, NotifyError> {
        let permit = self.permit().await?;
        while let Some(parked) = self.take_idle() {
            let mut conn = parked.conn;
            let alive = tokio::time::timeout(self.connector.timeout, conn.test_connected()).await;
            if alive == Ok(true) {
                return Ok(self.lend(conn, permit));
            }
            tracing::debug!("dropping a pooled SMTP connection that no longer answers");
        }
        self.open(permit).await
    }

    async fn permit(&self) -> Result<OwnedSemaphorePermit, NotifyError> {
        Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| NotifyError::transport("SMTP transport shut down"))
    }

    async fn open(self: &Arc<Self>, permit: OwnedSemaphorePermit) -> Result<Lease, NotifyError> {
        let conn = self.connector.open().await?;
        self.start_reaper();
        Ok(self.lend(conn, permit))
    }

    /// Closes the idle connections and refuses every lease from now on.
    pub(crate) async fn shutdown(&self) {
        self.permits.close();
        let idle = std::mem::take(&mut *self.lock_idle());
        for parked in idle {
            quit(parked.conn, self.connector.timeout).await;
        }
    }

    /// The number of idle connections.
    pub(crate) fn idle_count(&self) -> usize {
        self.lock_idle().len()
    }

    fn lend(self: &Arc<Self>, conn: AsyncSmtpConnection, permit: OwnedSemaphorePermit) -> Lease {
        Lease {
            conn,
            pool: Arc::clone(self),
            permit,
        }
    }

    /// The most recently used idle connection that has not been idle too long; the expired
    /// ones are dropped on the way.
    fn take_idle(&self) -> Option<Parked> {
        let mut idle = self.lock_idle();
        while let Some(parked) = idle.pop() {
            if parked.since.elapsed() < self.idle_timeout {
                return Some(parked);
            }
        }
        None
    }

    fn park(&self, conn: AsyncSmtpConnection) {
        if self.permits.is_closed() {
            return; // shut down: the connection closes as it drops
        }
        self.lock_idle().push(Parked {
            conn,
            since: Instant::now(),
        });
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Parked>> {
        // A panic while holding the lock cannot leave the vector half-changed.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts, once, the task that closes connections idle longer than `idle_timeout`, so an
    /// unused notifier does not hold them open until the server drops them.
    fn start_reaper(self: &Arc<Self>) {
        if self.reaper_started.swap(true, Ordering::Relaxed) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return; // expired connections are then dropped at the next lease
        };
        let pool = Arc::downgrade(self);
        let every =
            (self.idle_timeout / 2).clamp(Duration::from_millis(100), Duration::from_secs(30));
        runtime.spawn(reap(pool, every));
    }
}

async fn reap(pool: Weak<Pool>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let Some(pool) = pool.upgrade() else { return };
        if pool.permits.is_closed() {
            return;
        }
        let expired: Vec<Parked> = {
            let mut idle = pool.lock_idle();
            let (expired, kept) = std::mem::take(&mut *idle)
                .into_iter()
                .partition(|p| p.since.elapsed() >= pool.idle_timeout);
            *idle = kept;
            expired
        };
        for parked in expired {
            quit(parked.conn, pool.connector.timeout).await;
        }
    }
}

async fn quit(mut conn: AsyncSmtpConnection, timeout: Duration) {
    let _ = tokio::time::timeout(timeout, conn.quit()).await;
}

impl Lease {
    /// After a failed transaction: a refusal (a complete reply about the recipient) is ended
    /// with `RSET` and the connection goes back to the pool; after anything else (lost
    /// connection, timeout, 421) its state is unknown and it is dropped.
    async fn after_failure(mut self, e: &NotifyError) {
        if keeps_connection(e) {
            let rset = self.conn.command(Rset);
            if self.pool.connector.step(Stage::Connect, rset).await.is_ok() {
                self.release();
            }
        }
    }

    /// Back to the pool, ready for the next message.
    pub(crate) fn release(self) {
        let Lease { conn, pool, permit } = self;
        pool.park(conn);
        drop(permit); // after parking: a waiting sender then finds the connection idle
    }

    /// Closes the connection, keeping its permit for another.
    fn discard(self) -> OwnedSemaphorePermit {
        self.permit
    }

    /// `MAIL FROM`, `RCPT TO` for each recipient, `DATA`, the message.
    async fn transaction(&mut self, m: &Outgoing<'_>) -> Result<(), Failed> {
        let connector = &self.pool.connector;
        let info = self.conn.server_info();
        let mut parameters = Vec::new();
        let non_ascii_address = m
            .from
            .into_iter()
            .chain(m.to)
            .any(|a| !AsRef::<str>::as_ref(a).is_ascii());
        if non_ascii_address {
            if !info.supports_feature(Extension::SmtpUtfEight) {
                return Err(Failed::AtSender(NotifyError::permanent(
                    "the recipient's address is not ASCII and the SMTP server does not \
                     support SMTPUTF8",
                )));
            }
            parameters.push(MailParameter::SmtpUtfEight);
        }
        if !m.bytes.is_ascii() {
            // The composer writes 7-bit messages; a message built elsewhere may not be.
            if !info.supports_feature(Extension::EightBitMime) {
                return Err(Failed::AtSender(NotifyError::permanent(
                    "the message is not 7-bit and the SMTP server does not support 8BITMIME",
                )));
            }
            parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let mail = Mail::new(m.from.cloned(), parameters);
        let sender = connector.step(Stage::Sender, self.conn.command(mail));
        sender.await.map_err(Failed::AtSender)?;
        for to in m.to {
            let rcpt = Rcpt::new(to.clone(), Vec::new());
            let recipient = connector.step(Stage::Recipient, self.conn.command(rcpt));
            recipient.await.map_err(Failed::Later)?;
        }
        let data = connector.step(Stage::Data, self.conn.command(Data));
        data.await.map_err(Failed::Later)?;
        let content = connector.step(Stage::Data, self.conn.message(m.bytes));
        content.await.map_err(Failed::Later)?;
        Ok(())
    }
}

/// Whether the connection is still in a known state after this failure: a failure about the
/// recipient is a complete reply from the server, so `RSET` makes the connection ready again;
/// a transport failure (lost connection, timeout, 421, refused session) leaves it unusable.
fn keeps_connection(e: &NotifyError) -> bool {
    !e.is_transport()
}
