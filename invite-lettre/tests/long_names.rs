//! Issue 9: names of any length reach a real SMTP server, in lines of at most 998 octets
//! (RFC 5322 2.1.1), and decode back to what was written.

mod support;

use invite_core::{Language, MessageKind, Notifier};
use invite_lettre::{Mailbox, SmtpNotifier, Templates};
use mailparse::{MailAddr, MailHeaderMap};
use std::time::Duration;
use support::*;

/// The one mailbox of an address header, decoded: (display name, address).
fn single_mailbox(raw: &[u8], header: &str) -> (Option<String>, String) {
    let mail = mailparse::parse_mail(raw).expect("parseable");
    let h = mail.headers.get_first_header(header).expect("the header");
    let list = mailparse::addrparse_header(h).expect("an address list");
    assert_eq!(list.len(), 1, "one mailbox in {header}");
    match &list[0] {
        MailAddr::Single(s) => (s.display_name.clone(), s.addr.clone()),
        MailAddr::Group(g) => panic!("a group in {header}: {g:?}"),
    }
}

#[track_caller]
fn assert_short_lines(raw: &[u8]) {
    for (i, line) in raw.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        assert!(line.len() <= 998, "line {i} has {} octets", line.len());
    }
}

#[tokio::test]
async fn ten_thousand_character_names_without_a_space_arrive_intact() {
    for (script, long) in [
        ("ascii", "A".repeat(10_000)),
        ("cyrillic", "Я".repeat(10_000)),
    ] {
        let address = unique(&format!("long-{script}"));
        let mut n = notification(MessageKind::Invitation, Language::Ru, &address);
        n.to = format!("\"{long}\" <{address}>");
        n.org_name = long.clone();
        n.sender_name = format!("{long}{long}");
        n.grants[0].org_name = long.clone();
        let from = Mailbox::new(
            Some(format!("{long} via Acme")),
            "no-reply@acme.example".parse().expect("address"),
        );
        let notifier = SmtpNotifier::from_url(&server().url, from)
            .expect("url")
            .timeout(Duration::from_secs(10))
            .build()
            .expect("notifier");
        notifier.deliver(&n).await.expect("accepted by the server");

        let mail = only_mail_for(&address);
        assert_short_lines(&mail.raw);
        let expected = Templates::builtin().render(&n).expect("renders").subject;
        assert_eq!(mail.header("Subject"), Some(expected), "{script} subject");
        assert_eq!(
            single_mailbox(&mail.raw, "From"),
            (
                Some(format!("{long} via Acme")),
                "no-reply@acme.example".to_owned()
            ),
            "{script} From"
        );
        assert_eq!(
            single_mailbox(&mail.raw, "To"),
            (Some(long.clone()), address.clone()),
            "{script} To"
        );
        let link = n.signup_url.as_ref().expect("a link").expose();
        for part in [mail.text(), mail.html()] {
            assert!(part.contains(&long), "{script}: the name in the body");
            assert!(part.contains(link), "{script}: the link intact");
        }
    }
}
