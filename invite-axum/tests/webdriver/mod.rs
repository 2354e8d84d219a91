//! Browser-test plumbing: ChromeDriver (the one `scripts/browser` started, named by
//! `WEBDRIVER_URL`, or one started here), a headless Chromium session, bounded polls, and
//! screenshots into `target/screenshots/`.
#![allow(dead_code, unreachable_pub)]

use fantoccini::{Client, ClientBuilder, Locator};
use std::future::Future;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long any wait may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(15);
/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(40);

/// A ChromeDriver this test started (stopped on drop), or none if `WEBDRIVER_URL` names one.
pub struct Driver {
    pub url: String,
    child: Option<Child>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The WebDriver to talk to.
pub fn driver() -> Driver {
    if let Ok(url) = std::env::var("WEBDRIVER_URL") {
        return Driver { url, child: None };
    }
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver on PATH (apt-get install chromium chromium-driver, or source scripts/browser)");
    let deadline = Instant::now() + WAIT;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(POLL); // a bounded poll for the driver's socket
    }
    Driver {
        url: format!("http://127.0.0.1:{port}"),
        child: Some(child),
    }
}

/// A fresh headless Chromium session with its own profile directory.
pub async fn browser(driver: &Driver, name: &str) -> Client {
    let profile =
        std::env::temp_dir().join(format!("invite-chromium-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    let mut caps = serde_json::Map::new();
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        "--window-size=1280,1100",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect::<Vec<_>>();
    let binary = if std::path::Path::new("/usr/bin/chromium").exists() {
        "/usr/bin/chromium"
    } else {
        "chromium"
    };
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "args": args, "binary": binary }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

/// Waits for an element matching `css`.
pub async fn element(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(WAIT)
        .every(POLL)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no element {css}: {e}"))
}

/// Waits until `check` answers true (a bounded poll).
pub async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + WAIT;
    loop {
        if check().await {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until the element matching `css` has text containing `needle`.
pub async fn text_of(c: &Client, css: &str, needle: &str) -> String {
    let mut last = String::new();
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            if let Ok(t) = e.text().await {
                if t.contains(needle) {
                    return t;
                }
                last = t;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{css} never contained {needle:?}; last {last:?}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Whether an element matching `css` exists now.
pub async fn exists(c: &Client, css: &str) -> bool {
    c.find_all(Locator::Css(css))
        .await
        .map(|v| !v.is_empty())
        .unwrap_or(false)
}

/// The screenshots directory.
pub fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).expect("target/screenshots");
    dir
}

/// Saves a screenshot of the page as `target/screenshots/{name}.png`.
pub async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("a screenshot");
    std::fs::write(screenshots().join(format!("{name}.png")), png).expect("written");
}
