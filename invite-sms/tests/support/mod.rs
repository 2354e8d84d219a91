//! The real SMPP server the tests talk to, and reading what it recorded.
//!
//! `scripts/test` starts `scripts/smpp_server.js` and exports `SMPP_TEST_URL` and
//! `SMPP_TEST_DIR`; without them, the first test to need it starts its own server process
//! (which exits with the test binary). Tests that stop and restart a server start their own.
//! Either way a real server, never a mock.
#![allow(dead_code, unreachable_pub)] // each test file uses a different part

use chrono::{DateTime, Utc};
use invite_core::{
    Channel, GrantSummary, InvitationId, InvitationType, Language, MessageId, MessageKind,
    Notification, Role, SignupUrl,
};
use invite_sms::SmsNotifier;
use invite_sms::encoding::reassemble;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The password the test server expects.
pub const PASSWORD: &str = "secret";
/// Destination prefixes the server answers specially (digits, without `+`).
pub const THROTTLED: &str = "79990";
pub const INVALID: &str = "79991";
pub const UNDELIVERED: &str = "79992";
pub const TEXT_ONLY_RECEIPT: &str = "79993";
pub const NORMAL: &str = "7905";

/// A running server: its port and the directory it records PDUs in.
pub struct Server {
    pub port: u16,
    pub dir: PathBuf,
    child: Option<Child>,
}

impl Server {
    /// `smpp://invite:{password}@127.0.0.1:{port}?source=Acme&timeout=5{extra}`.
    pub fn url_with(&self, password: &str, extra: &str) -> String {
        format!(
            "smpp://invite:{password}@127.0.0.1:{}?source=Acme&timeout=5&connect_timeout=5{extra}",
            self.port
        )
    }

    /// The URL with the right password.
    pub fn url(&self, extra: &str) -> String {
        self.url_with(PASSWORD, extra)
    }

    /// Stops a server this test started, and waits until it is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        self.child = Some(spawn(self.port, &self.dir));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The shared server of this test run.
pub fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        match (
            std::env::var("SMPP_TEST_URL"),
            std::env::var("SMPP_TEST_DIR"),
        ) {
            (Ok(url), Ok(dir)) => Server {
                port: port_of(&url),
                dir: dir.into(),
                child: None,
            },
            _ => start_server(),
        }
    })
}

fn port_of(url: &str) -> u16 {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.port())
        .expect("SMPP_TEST_URL has a port")
}

/// A server of this test's own, on a free port.
pub fn start_server() -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let dir = std::env::temp_dir().join(format!(
        "invite-sms-test-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("records directory");
    let child = spawn(port, &dir);
    Server {
        port,
        dir,
        child: Some(child),
    }
}

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts")
}

fn spawn(port: u16, dir: &Path) -> Child {
    static NPM_CI: OnceLock<()> = OnceLock::new();
    NPM_CI.get_or_init(|| {
        if !scripts().join("node_modules/smpp").exists() {
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--silent"])
                .current_dir(scripts())
                .status()
                .expect("npm runs");
            assert!(status.success(), "npm ci in scripts/ failed");
        }
    });
    let mut child = Command::new("node")
        .arg(scripts().join("smpp_server.js"))
        .args([
            "--port",
            &port.to_string(),
            "--password",
            PASSWORD,
            "--exit-with-parent",
            "--dir",
        ])
        .arg(dir)
        .stdout(Stdio::null())
        .spawn()
        .expect("node runs scripts/smpp_server.js");
    // Poll until it accepts connections, bounded.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return child;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the SMPP server exited with {status}");
        }
        assert!(Instant::now() < deadline, "the SMPP server did not start");
        std::thread::sleep(Duration::from_millis(50)); // waiting for a process, not a test
    }
}

/// A notifier to the shared server; `extra` is appended to the URL's query.
pub fn notifier(extra: &str) -> SmsNotifier {
    SmsNotifier::from_url(&server().url(extra))
        .expect("valid URL")
        .build()
        .expect("notifier")
}

/// A number no other test uses: `+{prefix}` and random digits, 12 digits in all.
pub fn unique_phone(prefix: &str) -> String {
    let random = uuid::Uuid::new_v4().as_u128();
    let digits = format!("{:020}", random % 10u128.pow(20));
    format!("+{prefix}{}", &digits[..12 - prefix.len()])
}

/// A notification by SMS, with a link of a real token's length, Moscow time.
pub fn notification(kind: MessageKind, language: Language, to: &str) -> Notification {
    Notification {
        message_id: MessageId::new(),
        invitation: InvitationId::new(),
        kind,
        channel: Channel::Sms,
        to: to.to_owned(),
        invitee: to.to_owned(),
        language,
        org_name: "Acme & Sons".into(),
        sender_name: "Ann Admin".into(),
        invitation_type: InvitationType::User,
        grants: vec![GrantSummary {
            org_name: "Alpha Bank".into(),
            role: Role::ReadOnly,
        }],
        signup_url: Some(SignupUrl::new(format!(
            "https://app.example.com/signup?token={}",
            token()
        ))),
        expires_at: Some(instant("2026-03-05T09:00:00Z")),
        time_zone: chrono_tz::Europe::Moscow,
        attempt: 1,
    }
}

/// 43 URL-safe characters, the length of a 256-bit token in base64url, with `-` and `_`.
pub fn token() -> String {
    let a = uuid::Uuid::new_v4().simple().to_string();
    let b = uuid::Uuid::new_v4().simple().to_string();
    format!("{}-{}_{}", &a[..20], &b[..11], &a[20..30]).replace('a', "A")
}

/// The same without a link: a reminder to a Never Used member, a follow-up.
pub fn without_link(mut n: Notification) -> Notification {
    n.signup_url = None;
    n.expires_at = None;
    n
}

/// Parses an RFC 3339 instant.
pub fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("valid instant")
        .with_timezone(&Utc)
}

/// One `submit_sm` as the server recorded it.
#[derive(Debug)]
pub struct Submitted(pub serde_json::Value);

impl Submitted {
    pub fn u8(&self, field: &str) -> u8 {
        self.0[field]
            .as_u64()
            .and_then(|v| u8::try_from(v).ok())
            .unwrap_or_else(|| panic!("{field} in {:?}", self.0))
    }

    pub fn str(&self, field: &str) -> &str {
        self.0[field]
            .as_str()
            .unwrap_or_else(|| panic!("{field} in {:?}", self.0))
    }

    pub fn bytes(&self, field: &str) -> Vec<u8> {
        let hex = self.0[field].as_str().unwrap_or_default();
        (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex"))
            .collect()
    }
}

/// Every `submit_sm` the server recorded for `to`, in arrival order. The server writes a
/// record before it answers, so whatever a successful delivery sent is already there.
pub fn submitted(to: &str) -> Vec<Submitted> {
    let digits = to.trim_start_matches('+');
    let path = server_dir_for(digits);
    match std::fs::read_to_string(&path) {
        Ok(text) => text
            .lines()
            .map(|l| Submitted(serde_json::from_str(l).expect("a JSON line")))
            .collect(),
        Err(_) => Vec::new(),
    }
}

static DIR_OVERRIDE: OnceLock<std::sync::Mutex<Vec<PathBuf>>> = OnceLock::new();

/// Also look for records in `dir` (a test's own server).
pub fn also_read(dir: &Path) {
    DIR_OVERRIDE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(dir.to_owned());
}

fn server_dir_for(digits: &str) -> PathBuf {
    let name = format!("{digits}.jsonl");
    let extra = DIR_OVERRIDE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    extra
        .into_iter()
        .map(|d| d.join(&name))
        .find(|p| p.exists())
        .unwrap_or_else(|| server().dir.join(name))
}

/// The text the recorded segments carry, reassembled from their headers.
pub fn reassembled(records: &[Submitted]) -> String {
    let raw: Vec<(u8, u8, Vec<u8>)> = records
        .iter()
        .map(|r| {
            (
                r.u8("data_coding"),
                r.u8("esm_class"),
                r.bytes("short_message"),
            )
        })
        .collect();
    let parts: Vec<(u8, u8, &[u8])> = raw.iter().map(|(d, e, m)| (*d, *e, m.as_slice())).collect();
    reassemble(&parts).expect("the segments form one text")
}
