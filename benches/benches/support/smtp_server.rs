//! The loopback SMTP server the SMTP benches send to: `SMTP_TEST_URL` (as `scripts/smtp-server`
//! exports it) if set, otherwise our own `scripts/smtp_server.py` process (aiosmtpd), killed
//! with its mailbox when the guard drops.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The server's URL (`smtp://127.0.0.1:PORT?tls=none`), and the guard of the process we
/// started, if we started one.
pub(crate) fn server() -> Result<(String, Option<ServerGuard>), BoxError> {
    if let Ok(url) = std::env::var("SMTP_TEST_URL") {
        return Ok((url, None));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mailbox = std::env::temp_dir().join(format!(
        "invite-bench-smtp-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&mailbox)?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = Command::new("python3")
        .arg(root.join("scripts/smtp_server.py"))
        .args([
            "--port",
            &port.to_string(),
            "--exit-with-parent",
            "--mailbox",
        ])
        .arg(&mailbox)
        .stdout(Stdio::null())
        .spawn()?;
    let guard = ServerGuard { child, mailbox };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("the SMTP server did not start (pip install aiosmtpd)".into());
        }
        std::thread::sleep(Duration::from_millis(50)); // waiting for a process to listen
    }
    Ok((format!("smtp://127.0.0.1:{port}?tls=none"), Some(guard)))
}

/// Host and port of an `smtp://host:port?...` URL (the e2e baseline connects there itself).
#[allow(dead_code)]
pub(crate) fn host_port(url: &str) -> Result<(String, u16), BoxError> {
    let host_port = url
        .trim_start_matches("smtp://")
        .split('?')
        .next()
        .unwrap_or_default();
    let (host, port) = host_port.rsplit_once(':').ok_or("URL without port")?;
    Ok((host.to_owned(), port.parse()?))
}

/// Stops the server we started and removes its mailbox.
pub(crate) struct ServerGuard {
    child: Child,
    mailbox: std::path::PathBuf,
}

impl Drop for ServerGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.mailbox);
    }
}
