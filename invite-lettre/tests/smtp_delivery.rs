//! What arrives at a real SMTP server (scripts/smtp_server.py on loopback): headers, both
//! parts, the link, the language; and how failures are classified (R7.2).

mod support;

use invite_core::{Channel, Language, MessageKind, Notifier, NotifyError};
use invite_lettre::SmtpNotifier;
use std::time::Duration;
use support::*;

#[tokio::test]
async fn an_english_invitation_arrives_intact() {
    let to = unique("ann");
    let n = notification(MessageKind::Invitation, Language::En, &to);
    notifier().deliver(&n).await.expect("delivered");

    let mail = only_mail_for(&to);
    assert_eq!(
        mail.header("From").as_deref(),
        Some("\"Acme Invitations\" <no-reply@acme.example>")
    );
    assert_eq!(mail.header("To").as_deref(), Some(to.as_str()));
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Ann Admin invited you to join Acme & Sons")
    );
    assert_eq!(
        mail.header("Message-ID"),
        Some(format!("<{}@test.invite>", n.message_id))
    );
    assert_eq!(mail.header("Content-Language").as_deref(), Some("en"));
    assert_eq!(mail.content_type(), "multipart/alternative");
    let url = n.signup_url.as_ref().expect("link").expose();
    let (text, html) = (mail.text(), mail.html());
    for part in [&text, &html] {
        assert!(part.contains(url), "the link in {part}");
        assert!(part.contains("Thursday 5 March 2026, 12:00 (Europe/Moscow)"));
        assert!(part.contains("Alpha Bank"));
        assert!(part.contains("Beta Retail"));
        assert!(part.contains("Ann Admin"));
    }
    assert!(text.contains("Alpha Bank: read only") && text.contains("Beta Retail: admin"));
    assert!(html.contains(&format!("href=\"{url}\"")));
    assert!(html.contains("Acme &amp; Sons"), "escaped in HTML");
    assert_eq!(mail.link().as_deref(), Some(url));
}

#[tokio::test]
async fn a_russian_invitation_is_written_in_russian() {
    let to = unique("ivan");
    let n = notification(MessageKind::Invitation, Language::Ru, &to);
    notifier().deliver(&n).await.expect("delivered");

    let mail = only_mail_for(&to);
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Ann Admin приглашает вас в Acme & Sons")
    );
    assert_eq!(mail.header("Content-Language").as_deref(), Some("ru"));
    for part in [mail.text(), mail.html()] {
        assert!(part.contains("Здравствуйте!"));
        assert!(part.contains("5 марта 2026 г., 12:00 (Europe/Moscow)"));
        assert!(part.contains("только чтение") && part.contains("администратор"));
        assert!(part.contains(n.signup_url.as_ref().expect("link").expose()));
        assert!(!part.contains("Hello"), "no English left in {part}");
    }
}

#[tokio::test]
async fn every_kind_arrives_in_both_languages_with_both_parts() {
    let kinds = [
        (MessageKind::Invitation, true),
        (MessageKind::Resend, true),
        (MessageKind::Reminder, true),  // to a Pending invitee
        (MessageKind::Reminder, false), // to a Never Used member
        (MessageKind::FollowUp, false),
        (MessageKind::AcceptedNotice, false), // to the sender: never a link
    ];
    let notifier = notifier();
    for (kind, with_link) in kinds {
        for language in [Language::En, Language::Ru] {
            let to = unique(&format!("{kind}-{language:?}").to_lowercase());
            let mut n = notification(kind, language, &to);
            if !with_link {
                n.signup_url = None;
                n.expires_at = None;
            }
            notifier.deliver(&n).await.expect("delivered");
            let mail = only_mail_for(&to);
            let subject = mail.header("Subject").expect("a subject");
            assert!(
                subject.contains("Acme & Sons"),
                "{kind} {language:?}: {subject}"
            );
            let greeting = match language {
                Language::En => "Hello",
                Language::Ru => "Здравствуйте",
            };
            let (text, html) = (mail.text(), mail.html());
            for part in [&text, &html] {
                assert!(part.contains(greeting), "{kind} {language:?}: {part}");
                assert_eq!(
                    part.contains("https://app.example.com/signup?token="),
                    with_link,
                    "{kind} {language:?} link"
                );
            }
            assert!(html.starts_with("<!DOCTYPE html>"));
            assert!(html.contains(&format!(
                "lang=\"{}\"",
                match language {
                    Language::En => "en",
                    Language::Ru => "ru",
                }
            )));
        }
    }
}

#[tokio::test]
async fn user_values_are_escaped_and_cannot_inject_headers() {
    let to = unique("eve");
    let mut n = notification(MessageKind::Invitation, Language::En, &to);
    n.sender_name = "Eve\r\nBcc: evil@x".into();
    n.org_name = "<script>alert(1)</script>\r\nX-Evil: 1".into();
    n.grants[0].org_name = "<b>Bold</b> Client".into();
    notifier().deliver(&n).await.expect("delivered");

    let mail = only_mail_for(&to);
    let names = mail.header_names();
    assert!(
        !names
            .iter()
            .any(|h| h.eq_ignore_ascii_case("Bcc") || h.eq_ignore_ascii_case("X-Evil")),
        "injected header among {names:?}"
    );
    assert_eq!(
        mail.header("X-Envelope-To").as_deref(),
        Some(to.as_str()),
        "the only recipient"
    );
    assert!(mail_for("evil@x").is_empty());
    let subject = mail.header("Subject").expect("subject");
    assert!(!subject.contains('\r') && !subject.contains('\n'));
    assert!(
        subject.starts_with("Eve Bcc: evil@x invited you"),
        "{subject}"
    );
    let html = mail.html();
    assert!(
        !html.contains("<script>") && !html.contains("<b>Bold</b>"),
        "{html}"
    );
    assert!(html.contains("&lt;script&gt;") && html.contains("&lt;b&gt;Bold&lt;/b&gt; Client"));
}

#[tokio::test]
async fn the_message_id_is_stable_across_attempts() {
    let to = unique("twice");
    let mut n = notification(MessageKind::Resend, Language::En, &to);
    let notifier = notifier();
    notifier.deliver(&n).await.expect("first");
    n.attempt = 2;
    notifier.deliver(&n).await.expect("second");
    let ids: Vec<_> = mail_for(&to)
        .iter()
        .map(|m| m.header("Message-ID"))
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1]);
}

#[tokio::test]
async fn a_451_to_the_recipient_is_transient_and_a_550_permanent() {
    let notifier = notifier();
    let busy = notification(MessageKind::Invitation, Language::En, &unique("busy"));
    match notifier.deliver(&busy).await {
        Err(e @ NotifyError::Transient { .. }) => {
            assert!(
                e.reason().contains("451") && e.reason().contains("RCPT TO"),
                "{e}"
            )
        }
        other => panic!("expected transient, got {other:?}"),
    }
    let reject = notification(MessageKind::Invitation, Language::En, &unique("reject"));
    match notifier.deliver(&reject).await {
        Err(e @ NotifyError::Permanent { .. }) => assert!(e.reason().contains("550"), "{e}"),
        other => panic!("expected permanent, got {other:?}"),
    }
    // The pooled connection is still good after the rejections.
    let ok = unique("after");
    let n = notification(MessageKind::Invitation, Language::En, &ok);
    notifier.deliver(&n).await.expect("delivered");
    assert_eq!(mail_for(&ok).len(), 1);
}

#[tokio::test]
async fn sms_and_invalid_addresses_are_permanent() {
    let notifier = notifier();
    let mut sms = notification(MessageKind::Invitation, Language::En, "+79052223344");
    sms.channel = Channel::Sms;
    let err = notifier.deliver(&sms).await.expect_err("refused");
    assert!(!err.is_transient());
    assert!(err.reason().contains("SMS"), "names the channel: {err}");

    let bad = notification(MessageKind::Invitation, Language::En, "not an address");
    let err = notifier.deliver(&bad).await.expect_err("refused");
    assert!(!err.is_transient(), "{err}");
    assert!(err.reason().contains("invalid recipient"), "{err}");
}

#[tokio::test]
async fn connection_refused_is_the_transports() {
    // A port nobody listens on: bind, note it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let notifier = SmtpNotifier::from_url(&format!("smtp://127.0.0.1:{port}?tls=none"), from())
        .expect("url")
        .timeout(Duration::from_secs(5))
        .build()
        .expect("notifier");
    let n = notification(MessageKind::Invitation, Language::En, &unique("nobody"));
    let err = notifier.deliver(&n).await.expect_err("refused");
    assert!(err.is_transport(), "{err}");
}

#[tokio::test]
async fn a_silent_server_times_out_as_a_transport_failure() {
    // Accepts the connection but never greets.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let notifier = SmtpNotifier::from_url(&format!("smtp://127.0.0.1:{port}?tls=none"), from())
        .expect("url")
        .timeout(Duration::from_millis(300))
        .send_timeout(Duration::from_millis(600))
        .build()
        .expect("notifier");
    let n = notification(MessageKind::Invitation, Language::En, &unique("slow"));
    let err = notifier.deliver(&n).await.expect_err("times out");
    assert!(err.is_transport(), "{err}");
    hold.abort();
}
