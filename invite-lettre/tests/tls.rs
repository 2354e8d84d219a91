//! TLS on our own nodelay sockets, against real server processes: implicit TLS (our rustls
//! handshake) and STARTTLS (lettre's, over our socket) deliver when the server's certificate
//! is trusted, and are the transport's failure when it is not.
//!
//! `fixtures/` holds a test-only authority (`ca.pem`) and a `localhost` certificate it signed
//! (`server.pem`, `server.key`), made with openssl for these tests and trusted nowhere else.

mod support;

use invite_core::{Language, MessageKind, Notifier, NotifyError};
use invite_lettre::{Security, SmtpNotifier};
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::*;

const CA: &str = include_str!("fixtures/ca.pem");

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn tls_server(mode: &str) -> (ServerProcess, PathBuf) {
    let dir = std::env::temp_dir().join(format!(
        "invite-lettre-tls-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    let (cert, key) = (fixture("server.pem"), fixture("server.key"));
    let args = ["--tls", mode, "--tls-cert", &cert, "--tls-key", &key];
    (ServerProcess::start(free_port(), &dir, &args), dir)
}

fn notifier(port: u16, security: Security, trust_ca: bool) -> SmtpNotifier {
    let mut builder = SmtpNotifier::builder("localhost", from())
        .port(port)
        .security(security)
        .timeout(Duration::from_secs(5));
    if trust_ca {
        builder = builder.root_certificate(CA);
    }
    builder.build().expect("notifier")
}

#[tokio::test]
async fn implicit_tls_and_starttls_deliver_to_a_trusted_server() {
    for (mode, security) in [
        ("implicit", Security::ImplicitTls),
        ("starttls", Security::StartTls),
    ] {
        let (server, dir) = tls_server(mode);
        let notifier = notifier(server.port, security, true);
        let to = unique(&format!("tls-{mode}"));
        let n = notification(MessageKind::Invitation, Language::En, &to);
        notifier.deliver(&n).await.expect("delivered over TLS");
        notifier
            .deliver(&n)
            .await
            .expect("again, on the pooled connection");
        assert_eq!(mail_in(&dir, &to), 2, "{mode}");
        assert_eq!(notifier.idle_connections(), 1, "{mode}");
    }
}

#[tokio::test]
async fn an_untrusted_certificate_is_the_transports_failure() {
    for (mode, security) in [
        ("implicit", Security::ImplicitTls),
        ("starttls", Security::StartTls),
    ] {
        let (server, dir) = tls_server(mode);
        let notifier = notifier(server.port, security, false);
        let to = unique(&format!("untrusted-{mode}"));
        let n = notification(MessageKind::Invitation, Language::En, &to);
        match notifier.deliver(&n).await {
            Err(e @ NotifyError::Transport { .. }) => {
                let chain = format!("{e} {:?}", std::error::Error::source(&e));
                assert!(
                    chain.to_lowercase().contains("certificate"),
                    "{mode}: {chain}"
                );
            }
            other => panic!("{mode}: expected a transport failure, got {other:?}"),
        }
        assert_eq!(mail_in(&dir, &to), 0);
    }
}

#[tokio::test]
async fn starttls_required_but_not_offered_is_the_transports_failure() {
    // The shared test server speaks plain SMTP only.
    let port: u16 = server()
        .url
        .rsplit(':')
        .next()
        .and_then(|p| p.split('?').next())
        .and_then(|p| p.parse().ok())
        .expect("a port in the URL");
    let notifier = SmtpNotifier::builder("127.0.0.1", from())
        .port(port)
        .security(Security::StartTls)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("notifier");
    let n = notification(MessageKind::Invitation, Language::En, &unique("nostarttls"));
    match notifier.deliver(&n).await {
        Err(e @ NotifyError::Transport { .. }) => {
            assert!(e.reason().contains("STARTTLS"), "{e}")
        }
        other => panic!("expected a transport failure, got {other:?}"),
    }
}
