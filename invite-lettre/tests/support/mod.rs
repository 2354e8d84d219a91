//! The real SMTP server the tests talk to, and reading what arrived in its mailbox.
//!
//! `scripts/test` starts `scripts/smtp_server.py` and exports `SMTP_TEST_URL` and
//! `SMTP_TEST_MAILBOX`; without them, the first test to need it starts its own server process
//! (which exits with the test binary). Either way a real server, never a mock.
#![allow(dead_code, unreachable_pub)] // each test file uses a different part

use chrono::{DateTime, Utc};
use invite_core::{
    Channel, GrantSummary, InvitationId, InvitationType, Language, MessageId, MessageKind,
    Notification, Role, SignupUrl,
};
use invite_lettre::{Mailbox, SmtpNotifier};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The From of every test message.
pub const FROM: &str = "Acme Invitations <no-reply@acme.example>";

/// A running server: its URL and the directory it saves messages to.
pub struct Server {
    pub url: String,
    pub mailbox: PathBuf,
}

/// The server of this test run.
pub fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        match (
            std::env::var("SMTP_TEST_URL"),
            std::env::var("SMTP_TEST_MAILBOX"),
        ) {
            (Ok(url), Ok(mailbox)) => Server {
                url,
                mailbox: mailbox.into(),
            },
            _ => start_server(),
        }
    })
}

fn start_server() -> Server {
    let dir = std::env::temp_dir().join(format!("invite-lettre-test-{}", std::process::id()));
    let mailbox = dir.join("mailbox");
    let port = free_port();
    // Kept running until the test binary exits (`--exit-with-parent`).
    std::mem::forget(ServerProcess::start(port, &mailbox, &[]));
    Server {
        url: format!("smtp://127.0.0.1:{port}?tls=none"),
        mailbox,
    }
}

/// A port nobody listens on now, chosen by the kernel.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A server process of a test's own (`scripts/smtp_server.py` with `args`), for tests that
/// need a server configured differently or that stop it; killed when dropped.
pub struct ServerProcess {
    child: Child,
    pub port: u16,
}

impl ServerProcess {
    /// Starts the server on `port` and waits until it accepts connections (a bounded poll).
    pub fn start(port: u16, mailbox: &Path, args: &[&str]) -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/smtp_server.py");
        std::fs::create_dir_all(mailbox).expect("mailbox directory");
        let mut child = Command::new("python3")
            .arg(&script)
            .args(["--port", &port.to_string(), "--exit-with-parent"])
            .arg("--mailbox")
            .arg(mailbox)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs scripts/smtp_server.py (pip install aiosmtpd)");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the SMTP server exited with {status}; is aiosmtpd installed?");
            }
            assert!(Instant::now() < deadline, "the SMTP server did not start");
            std::thread::sleep(Duration::from_millis(20)); // waiting for a process, not a test
        }
        Self { child, port }
    }

    /// Stops the server and waits until the process is gone.
    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A notifier to the test server.
pub fn notifier() -> SmtpNotifier {
    notifier_to(&server().url)
}

/// A notifier to the server at `url`.
pub fn notifier_to(url: &str) -> SmtpNotifier {
    SmtpNotifier::from_url(url, from())
        .expect("valid URL")
        .message_id_domain("test.invite")
        .timeout(Duration::from_secs(10))
        .build()
        .expect("notifier")
}

/// The From mailbox.
pub fn from() -> Mailbox {
    FROM.parse().expect("valid mailbox")
}

/// An address no other test uses: `{prefix}-{uuid}@example.com`.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// A notification with a link, English, Moscow time.
pub fn notification(kind: MessageKind, language: Language, to: &str) -> Notification {
    Notification {
        message_id: MessageId::new(),
        invitation: InvitationId::new(),
        kind,
        channel: Channel::Email,
        to: to.to_owned(),
        invitee: to.to_owned(),
        language,
        org_name: "Acme & Sons".into(),
        sender_name: "Ann Admin".into(),
        invitation_type: InvitationType::User,
        grants: vec![
            GrantSummary {
                org_name: "Alpha Bank".into(),
                role: Role::ReadOnly,
            },
            GrantSummary {
                org_name: "Beta Retail".into(),
                role: Role::Admin,
            },
        ],
        signup_url: Some(SignupUrl::new(format!(
            "https://app.example.com/signup?token=tok-{}",
            uuid::Uuid::new_v4().simple()
        ))),
        expires_at: Some(instant("2026-03-05T09:00:00Z")),
        time_zone: chrono_tz::Europe::Moscow,
        attempt: 1,
    }
}

/// Parses an RFC 3339 instant.
pub fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("valid instant")
        .with_timezone(&Utc)
}

/// Messages the server of `mailbox` saved for `to`.
pub fn mail_in(mailbox: &Path, to: &str) -> usize {
    let prefix = format!("{}.", to.to_lowercase());
    std::fs::read_dir(mailbox)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    name.starts_with(&prefix) && name.ends_with(".eml")
                })
                .count()
        })
        .unwrap_or(0)
}

/// One message as the server saved it.
pub struct Mail {
    pub raw: Vec<u8>,
}

impl Mail {
    fn parsed(&self) -> mailparse::ParsedMail<'_> {
        mailparse::parse_mail(&self.raw).expect("a parseable message")
    }

    /// A top-level header, decoded; `None` if absent.
    pub fn header(&self, name: &str) -> Option<String> {
        use mailparse::MailHeaderMap;
        self.parsed().headers.get_first_value(name)
    }

    /// Every top-level header name.
    pub fn header_names(&self) -> Vec<String> {
        self.parsed().headers.iter().map(|h| h.get_key()).collect()
    }

    /// The top-level content type.
    pub fn content_type(&self) -> String {
        self.parsed().ctype.mimetype
    }

    /// The decoded body of the first part of this MIME type.
    pub fn part(&self, mimetype: &str) -> Option<String> {
        fn find(m: &mailparse::ParsedMail<'_>, t: &str) -> Option<String> {
            if m.subparts.is_empty() {
                return (m.ctype.mimetype == t).then(|| m.get_body().expect("decodable body"));
            }
            m.subparts.iter().find_map(|p| find(p, t))
        }
        find(&self.parsed(), mimetype)
    }

    /// The plain-text part.
    pub fn text(&self) -> String {
        self.part("text/plain").expect("a text/plain part")
    }

    /// The HTML part.
    pub fn html(&self) -> String {
        self.part("text/html").expect("a text/html part")
    }

    /// The first `https://` link of the plain-text part.
    pub fn link(&self) -> Option<String> {
        let text = self.text();
        let start = text.find("https://")?;
        let link = text[start..].split_whitespace().next()?;
        Some(link.to_owned())
    }
}

/// Messages the server saved for `to`, oldest first. The server saves a message before it
/// answers 250, so whatever a successful send delivered is already here.
pub fn mail_for(to: &str) -> Vec<Mail> {
    let prefix = format!("{}.", to.to_lowercase());
    let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(&server().mailbox)
        .expect("mailbox readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.starts_with(&prefix) && name.ends_with(".eml")
        })
        .map(|p| {
            let seq = p
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.rsplit('.').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            (seq, p)
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|(_, p)| Mail {
            raw: std::fs::read(p).expect("message readable"),
        })
        .collect()
}

/// The one message saved for `to`.
#[track_caller]
pub fn only_mail_for(to: &str) -> Mail {
    let mut mail = mail_for(to);
    assert_eq!(mail.len(), 1, "exactly one message to {to}");
    mail.remove(0)
}
