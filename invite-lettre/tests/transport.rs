//! Failures of the transport, not of the recipient, against real server processes of the
//! tests' own: refused credentials, a server that stops and comes back, a 421, the pool's
//! bound. Each is `NotifyError::Transport`, which the dispatcher retries and never holds against
//! an invitation.

mod support;

use invite_core::{Language, MessageKind, Notifier, NotifyError};
use invite_lettre::SmtpNotifier;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use support::*;

fn mailbox(test: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "invite-lettre-{test}-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ))
}

fn url(port: u16, credentials: Option<&str>) -> String {
    match credentials {
        Some(c) => format!("smtp://{c}@127.0.0.1:{port}?tls=none"),
        None => format!("smtp://127.0.0.1:{port}?tls=none"),
    }
}

fn invitation(prefix: &str) -> (String, invite_core::Notification) {
    let to = unique(prefix);
    let n = notification(MessageKind::Invitation, Language::En, &to);
    (to, n)
}

#[track_caller]
fn assert_transport(result: Result<invite_core::Delivered, NotifyError>, what: &str) -> String {
    match result {
        Err(e @ NotifyError::Transport { .. }) => e.reason().to_owned(),
        other => panic!("{what}: expected a transport failure, got {other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_password_is_the_transports_failure_and_the_right_one_delivers() {
    let dir = mailbox("auth");
    let server = ServerProcess::start(free_port(), &dir, &["--auth", "mailer:s3cret"]);

    let wrong = notifier_to(&url(server.port, Some("mailer:guess")));
    let (to, n) = invitation("auth-wrong");
    let reason = assert_transport(wrong.deliver(&n).await, "wrong password");
    assert!(
        reason.contains("535") && reason.contains("AUTH"),
        "{reason}"
    );
    assert!(
        !reason.contains("guess"),
        "no password in the reason: {reason}"
    );
    assert_eq!(mail_in(&dir, &to), 0);

    let none = notifier_to(&url(server.port, None));
    let reason = assert_transport(none.deliver(&n).await, "no credentials");
    assert!(reason.contains("530"), "{reason}");

    let right = notifier_to(&url(server.port, Some("mailer:s3cret")));
    right
        .deliver(&n)
        .await
        .expect("the right password delivers");
    right
        .deliver(&n)
        .await
        .expect("and again, on the pooled connection");
    assert_eq!(mail_in(&dir, &to), 2);
    assert_eq!(right.idle_connections(), 1, "one connection served both");
}

#[tokio::test]
async fn a_stopped_server_is_the_transports_failure_and_the_pool_recovers_when_it_returns() {
    let dir = mailbox("restart");
    let port = free_port();
    let server = ServerProcess::start(port, &dir, &[]);
    let notifier = notifier_to(&url(port, None));
    let (to, n) = invitation("restart");
    notifier
        .deliver(&n)
        .await
        .expect("delivered before the stop");
    assert_eq!(notifier.idle_connections(), 1);

    server.stop();
    let reason = assert_transport(notifier.deliver(&n).await, "server stopped");
    assert!(reason.contains("connect"), "{reason}");
    assert_eq!(
        notifier.idle_connections(),
        0,
        "the dead connection was dropped"
    );

    let _server = ServerProcess::start(port, &dir, &[]);
    // The same notifier, not rebuilt: the pool opens a new connection.
    notifier
        .deliver(&n)
        .await
        .expect("delivered after the restart");
    assert_eq!(mail_in(&dir, &to), 2);
}

#[tokio::test]
async fn a_421_is_the_transports_failure_and_the_connection_is_replaced() {
    let notifier = notifier();
    let (_, n) = invitation("shutdown");
    let reason = assert_transport(notifier.deliver(&n).await, "421");
    assert!(reason.contains("421"), "{reason}");
    assert_eq!(
        notifier.idle_connections(),
        0,
        "a closing connection is not kept"
    );
    let (to, n) = invitation("after-421");
    notifier
        .deliver(&n)
        .await
        .expect("a new connection delivers");
    assert_eq!(mail_for(&to).len(), 1);
}

#[tokio::test]
async fn refused_recipients_keep_the_connection() {
    let notifier = notifier();
    let (_, busy) = invitation("busy");
    let (_, reject) = invitation("reject");
    assert!(matches!(
        notifier.deliver(&busy).await,
        Err(NotifyError::Transient { .. })
    ));
    assert!(matches!(
        notifier.deliver(&reject).await,
        Err(NotifyError::Permanent { .. })
    ));
    let (to, n) = invitation("after-rset");
    notifier.deliver(&n).await.expect("delivered after RSET");
    assert_eq!(notifier.idle_connections(), 1, "one connection all along");
    assert_eq!(mail_for(&to).len(), 1);
}

#[tokio::test]
async fn the_pool_never_opens_more_than_its_size() {
    let notifier = SmtpNotifier::from_url(&server().url, from())
        .expect("url")
        .pool_max_size(3)
        .build()
        .expect("notifier");
    let sends: Vec<_> = (0..12)
        .map(|i| {
            let notifier = notifier.clone();
            let (to, n) = invitation(&format!("pool{i}"));
            tokio::spawn(async move {
                notifier.deliver(&n).await.expect("delivered");
                to
            })
        })
        .collect();
    for send in sends {
        let to = send.await.expect("task");
        assert_eq!(mail_for(&to).len(), 1);
    }
    let idle = notifier.idle_connections();
    assert!((1..=3).contains(&idle), "{idle} idle connections");
}

#[tokio::test]
async fn idle_connections_close_after_the_idle_timeout() {
    let notifier = SmtpNotifier::from_url(&server().url, from())
        .expect("url")
        .pool_idle_timeout(Duration::from_millis(200))
        .build()
        .expect("notifier");
    notifier.test_connection().await.expect("connects");
    assert_eq!(notifier.idle_connections(), 1);
    // A bounded poll: the reaper runs every 100 ms.
    let deadline = Instant::now() + Duration::from_secs(10);
    while notifier.idle_connections() > 0 {
        assert!(
            Instant::now() < deadline,
            "the idle connection was never closed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (to, n) = invitation("after-idle");
    notifier
        .deliver(&n)
        .await
        .expect("a new connection delivers");
    assert_eq!(mail_for(&to).len(), 1);
}

#[tokio::test]
async fn after_shutdown_every_message_is_a_transport_failure() {
    let notifier = notifier();
    notifier.test_connection().await.expect("connects");
    notifier.shutdown().await;
    assert_eq!(notifier.idle_connections(), 0);
    let (_, n) = invitation("after-shutdown");
    let reason = assert_transport(notifier.deliver(&n).await, "shut down");
    assert!(reason.contains("shut down"), "{reason}");
}

#[tokio::test]
async fn a_pooled_connection_the_server_dropped_is_replaced_without_a_failure() {
    let dir = mailbox("dropped");
    let port = free_port();
    let server = ServerProcess::start(port, &dir, &[]);
    let notifier = notifier_to(&url(port, None));
    let (to, n) = invitation("dropped");
    notifier.deliver(&n).await.expect("delivered");
    assert_eq!(notifier.idle_connections(), 1);

    // The server restarts between two messages: the pooled connection is dead, which shows
    // at MAIL FROM, before anything of the message went out; the message takes a new one.
    server.stop();
    let _server = ServerProcess::start(port, &dir, &[]);
    notifier
        .deliver(&n)
        .await
        .expect("delivered on a new connection");
    assert_eq!(mail_in(&dir, &to), 2);
    assert_eq!(notifier.idle_connections(), 1);
}
