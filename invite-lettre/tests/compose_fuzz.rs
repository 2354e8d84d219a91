//! The composer against arbitrary names: it never panics, writes no line over 998 octets,
//! lets no value inject a header or a recipient, and keeps the link intact in both parts.
//!
//! `composer_holds_for_arbitrary_names` runs a few thousand cases in every test run. The long
//! run, ignored by default, prints its figures:
//!
//! ```sh
//! cargo test -p invite-lettre --release --test compose_fuzz -- --ignored --nocapture
//! FUZZ_CASES=50000 cargo test -p invite-lettre --release --test compose_fuzz -- --ignored --nocapture
//! ```

mod support;

use invite_core::{GrantSummary, Language, MessageKind, Notification, Role};
use invite_lettre::{Composer, Mailbox, Templates};
use mailparse::{MailAddr, MailHeaderMap, ParsedMail};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use std::panic::{AssertUnwindSafe, catch_unwind};
use support::notification;

const FROM_ADDRESS: &str = "no-reply@acme.example";
const TO_ADDRESS: &str = "bob@example.com";

/// The top-level headers of every message, each exactly once.
const HEADERS: [&str; 9] = [
    "from",
    "to",
    "subject",
    "message-id",
    "content-language",
    "auto-submitted",
    "mime-version",
    "date",
    "content-type",
];

/// What users may type into a name.
#[derive(Clone, Debug)]
struct Input {
    org_name: String,
    sender_name: String,
    grants: Vec<String>,
    to_display: Option<String>,
    from_display: String,
    language: Language,
    kind: MessageKind,
}

/// Pieces that break naive encoders, glued together, beside arbitrary Unicode.
fn name() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\r\n".to_owned()),
        Just("\n".to_owned()),
        Just("\r".to_owned()),
        Just("\r\nBcc: evil@x.example\r\n".to_owned()),
        Just("\nTo: evil@x.example, ".to_owned()),
        Just("=?utf-8?b?QmNjOiBldmlsQHguZXhhbXBsZQ==?=".to_owned()),
        Just("=?".to_owned()),
        Just("?=".to_owned()),
        Just("\"".to_owned()),
        Just("\\".to_owned()),
        Just("<evil@x.example>".to_owned()),
        Just(", ".to_owned()),
        Just(";:@()[].".to_owned()),
        Just(" ".to_owned()),
        Just("\t".to_owned()),
        Just("\u{0}\u{7f}\u{85}\u{2028}\u{feff}".to_owned()),
        Just("😀".to_owned()),
        (1usize..1200).prop_map(|n| "a".repeat(n)),
        (1usize..700).prop_map(|n| "Ж".repeat(n)),
        (1usize..300).prop_map(|n| "🦀".repeat(n)),
        "[a-zA-Z0-9 ]{0,80}",
        any::<String>(),
    ];
    prop_oneof![
        3 => prop::collection::vec(piece, 0..6).prop_map(|p| p.concat()),
        1 => any::<String>(),
    ]
}

fn inputs() -> impl Strategy<Value = Input> {
    let kind = prop_oneof![
        Just(MessageKind::Invitation),
        Just(MessageKind::Resend),
        Just(MessageKind::Reminder),
    ];
    let language = prop_oneof![Just(Language::En), Just(Language::Ru)];
    (
        name(),
        name(),
        prop::collection::vec(name(), 0..3),
        prop::option::of(name()),
        name(),
        language,
        kind,
    )
        .prop_map(
            |(org_name, sender_name, grants, to_display, from_display, language, kind)| Input {
                org_name,
                sender_name,
                grants,
                to_display,
                from_display,
                language,
                kind,
            },
        )
}

/// What one input did.
#[derive(Debug, Default, PartialEq, Eq)]
struct Outcome {
    panicked: bool,
    /// A header that should not be there, one missing or twice, a recipient or sender that
    /// is not ours, a bare CR or LF.
    injected: Option<String>,
    overlong: bool,
    /// The Subject does not decode to the rendered one, or a part lost the link.
    garbled: Option<String>,
    /// The composer refused the input (an address it cannot parse): allowed, counted.
    refused: bool,
}

fn check(input: &Input) -> Outcome {
    match catch_unwind(AssertUnwindSafe(|| check_unguarded(input))) {
        Ok(outcome) => outcome,
        Err(_) => Outcome {
            panicked: true,
            ..Outcome::default()
        },
    }
}

fn check_unguarded(input: &Input) -> Outcome {
    let mut n: Notification = notification(input.kind, input.language, TO_ADDRESS);
    n.org_name.clone_from(&input.org_name);
    n.sender_name.clone_from(&input.sender_name);
    n.grants = input
        .grants
        .iter()
        .map(|g| GrantSummary {
            org_name: g.clone(),
            role: Role::Admin,
        })
        .collect();
    if let Some(display) = &input.to_display {
        let quoted = display.replace('\\', "\\\\").replace('"', "\\\"");
        n.to = format!("\"{quoted}\" <{TO_ADDRESS}>");
    }
    let from = Mailbox::new(
        Some(input.from_display.clone()),
        FROM_ADDRESS.parse().expect("address"),
    );
    let Ok(message) = Composer::new(from).compose(&n) else {
        return Outcome {
            refused: true,
            ..Outcome::default()
        };
    };
    let raw = message.formatted();
    let mut outcome = Outcome {
        overlong: raw
            .split(|&b| b == b'\n')
            .any(|l| l.strip_suffix(b"\r").unwrap_or(l).len() > 998),
        ..Outcome::default()
    };
    outcome.injected = injection(&raw);
    if outcome.injected.is_none() {
        outcome.garbled = garbled(&raw, &n);
    }
    outcome
}

fn injection(raw: &[u8]) -> Option<String> {
    let bare_break = raw.iter().enumerate().any(|(i, &b)| {
        (b == b'\n' && (i == 0 || raw[i - 1] != b'\r'))
            || (b == b'\r' && raw.get(i + 1) != Some(&b'\n'))
    });
    if bare_break {
        return Some("a bare CR or LF".into());
    }
    let mail = match mailparse::parse_mail(raw) {
        Ok(mail) => mail,
        Err(e) => return Some(format!("unparseable: {e}")),
    };
    let mut names: Vec<String> = mail
        .headers
        .iter()
        .map(|h| h.get_key().to_lowercase())
        .collect();
    names.sort();
    let mut expected: Vec<String> = HEADERS.iter().map(|h| (*h).to_owned()).collect();
    expected.sort();
    if names != expected {
        return Some(format!("headers {names:?}"));
    }
    for (header, address) in [("To", TO_ADDRESS), ("From", FROM_ADDRESS)] {
        let h = mail.headers.get_first_header(header)?;
        match mailparse::addrparse_header(h).as_ref().map(|l| &l[..]) {
            Ok([MailAddr::Single(s)]) if s.addr == address => {}
            other => return Some(format!("{header}: {other:?}")),
        }
    }
    None
}

fn garbled(raw: &[u8], n: &Notification) -> Option<String> {
    let mail = mailparse::parse_mail(raw).ok()?;
    let expected = Templates::builtin().render(n).ok()?.subject;
    let subject = mail.headers.get_first_value("Subject").unwrap_or_default();
    if subject != expected {
        return Some(format!("subject {subject:?} for {expected:?}"));
    }
    let link = n.signup_url.as_ref()?.expose();
    for mimetype in ["text/plain", "text/html"] {
        match part(&mail, mimetype) {
            Some(body) if body.contains(link) => {}
            _ => return Some(format!("{mimetype} lost the link")),
        }
    }
    None
}

fn part(m: &ParsedMail<'_>, mimetype: &str) -> Option<String> {
    if m.subparts.is_empty() {
        return (m.ctype.mimetype == mimetype)
            .then(|| m.get_body().ok())
            .flatten();
    }
    m.subparts.iter().find_map(|p| part(p, mimetype))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn composer_holds_for_arbitrary_names(input in inputs()) {
        let outcome = check(&input);
        let refused = outcome.refused;
        prop_assert_eq!(outcome, Outcome { refused, ..Outcome::default() });
    }
}

#[test]
#[ignore = "a long run: a million inputs, a few minutes in release"]
fn a_million_inputs() {
    let cases: u64 = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut runner = TestRunner::new(Config::default());
    let strategy = inputs();
    let (mut panics, mut injections, mut overlong, mut garbled, mut refused) = (0, 0, 0, 0, 0);
    let started = std::time::Instant::now();
    for _ in 0..cases {
        let input = strategy.new_tree(&mut runner).expect("an input").current();
        let outcome = check(&input);
        panics += u64::from(outcome.panicked);
        overlong += u64::from(outcome.overlong);
        refused += u64::from(outcome.refused);
        if let Some(why) = outcome.injected {
            injections += 1;
            eprintln!("injection: {why} from {input:?}");
        }
        if let Some(why) = outcome.garbled {
            garbled += 1;
            eprintln!("garbled: {why}");
        }
    }
    println!(
        "compose fuzz: {cases} inputs tried in {:.0?}; panics {panics}, header injections \
         {injections}, over-long lines {overlong}, garbled subject or link {garbled}; \
         refused as invalid recipient {refused}",
        started.elapsed()
    );
    assert_eq!((panics, injections, overlong, garbled), (0, 0, 0, 0));
}
