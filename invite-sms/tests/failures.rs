//! How failures at a real SMPP server are classified (R7.2), and recovery after the server
//! comes back.

mod support;

use invite_core::{Channel, Language, MessageKind, Notifier, NotifyError};
use invite_sms::SmsNotifier;
use std::time::{Duration, Instant};
use support::*;

#[tokio::test]
async fn throttled_is_transient() {
    let to = unique_phone(THROTTLED);
    let n = notification(MessageKind::Invitation, Language::En, &to);
    let err = notifier("").deliver(&n).await.expect_err("throttled");
    assert!(matches!(err, NotifyError::Transient { .. }), "{err:?}");
    assert!(err.reason().contains("ESME_RTHROTTLED"), "{}", err.reason());
    assert_eq!(submitted(&to).len(), 1, "it reached the SMSC");
}

#[tokio::test]
async fn an_invalid_destination_is_permanent() {
    let to = unique_phone(INVALID);
    let n = notification(MessageKind::Invitation, Language::En, &to);
    let err = notifier("").deliver(&n).await.expect_err("rejected");
    assert!(matches!(err, NotifyError::Permanent { .. }), "{err:?}");
    assert!(err.reason().contains("ESME_RINVDSTADR"), "{}", err.reason());
}

#[tokio::test]
async fn a_wrong_password_is_a_transport_failure() {
    let url = server().url_with("wrong", "");
    let notifier = SmsNotifier::from_url(&url)
        .expect("valid")
        .build()
        .expect("notifier");
    let to = unique_phone(NORMAL);
    let err = notifier
        .deliver(&notification(MessageKind::Invitation, Language::En, &to))
        .await
        .expect_err("bind refused");
    assert!(err.is_transport(), "{err:?}");
    assert!(err.reason().contains("ESME_RINVPASWD"), "{}", err.reason());
    assert!(!err.reason().contains("wrong"), "no password in the reason");
    assert!(submitted(&to).is_empty(), "nothing sent");
    assert!(
        notifier
            .connect()
            .await
            .expect_err("still refused")
            .is_transport()
    );
}

#[tokio::test]
async fn tls_to_a_plain_server_is_a_transport_failure() {
    let url = server()
        .url("")
        .replace("smpp://", "smpps://")
        .replace("127.0.0.1", "localhost");
    let notifier = SmsNotifier::from_url(&url)
        .expect("valid")
        .build()
        .expect("notifier");
    let err = notifier.connect().await.expect_err("no TLS there");
    assert!(err.is_transport(), "{err:?}");
}

#[tokio::test]
async fn nothing_listening_is_a_transport_failure() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let url = format!("smpp://invite:secret@127.0.0.1:{port}?source=Acme");
    let notifier = SmsNotifier::from_url(&url)
        .expect("valid")
        .build()
        .expect("notifier");
    let n = notification(MessageKind::Invitation, Language::En, &unique_phone(NORMAL));
    let err = notifier.deliver(&n).await.expect_err("refused");
    assert!(err.is_transport(), "{err:?}");
    assert!(err.reason().contains("cannot connect"), "{}", err.reason());
}

#[tokio::test]
async fn bad_messages_are_permanent_and_never_sent() {
    let notifier = notifier("");
    let mut email = notification(MessageKind::Invitation, Language::En, "bob@example.com");
    email.channel = Channel::Email;
    assert!(matches!(
        notifier.deliver(&email).await,
        Err(NotifyError::Permanent { .. })
    ));
    let no_plus = notification(MessageKind::Invitation, Language::En, "79051111111");
    let err = notifier.deliver(&no_plus).await.expect_err("not E.164");
    assert!(matches!(err, NotifyError::Permanent { .. }), "{err:?}");

    let short = SmsNotifier::from_url(&server().url("&max_parts=2"))
        .expect("valid")
        .build()
        .expect("notifier");
    let to = unique_phone(NORMAL);
    let russian = notification(MessageKind::Invitation, Language::Ru, &to);
    let err = short.deliver(&russian).await.expect_err("3 parts > 2");
    assert!(matches!(err, NotifyError::Permanent { .. }), "{err:?}");
    assert!(submitted(&to).is_empty());
}

#[tokio::test]
async fn a_stopped_server_is_a_transport_failure_and_the_session_comes_back() {
    let mut server = start_server();
    also_read(&server.dir);
    let notifier = SmsNotifier::from_url(&server.url("&enquire_link=1"))
        .expect("valid")
        .build()
        .expect("notifier");
    let before = unique_phone(NORMAL);
    notifier
        .deliver(&notification(
            MessageKind::Invitation,
            Language::En,
            &before,
        ))
        .await
        .expect("delivered while up");

    server.stop();
    let down = notification(MessageKind::Invitation, Language::En, &unique_phone(NORMAL));
    let err = notifier
        .deliver(&down)
        .await
        .expect_err("the server is gone");
    assert!(err.is_transport(), "{err:?}");

    server.restart();
    let after = unique_phone(NORMAL);
    let n = notification(MessageKind::Invitation, Language::En, &after);
    // Poll, bounded: the background reconnect or this delivery opens a new session.
    let deadline = Instant::now() + Duration::from_secs(20);
    let delivered = loop {
        match notifier.deliver(&n).await {
            Ok(delivered) => break delivered,
            Err(e) => {
                assert!(e.is_transport(), "{e:?}");
                assert!(Instant::now() < deadline, "no reconnect within 20 s: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await; // waiting for a process
            }
        }
    };
    assert_eq!(delivered.parts, 1);
    assert_eq!(submitted(&after).len(), 1, "delivered on the new session");
}
