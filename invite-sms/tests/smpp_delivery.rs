//! What arrives at a real SMPP server (scripts/smpp_server.js on loopback): addresses, coding,
//! the segments reassembled into the exact rendered text, the link intact, and the segment
//! count `deliver` reported.

mod support;

use invite_core::{Language, MessageKind, Notifier};
use invite_sms::SmsNotifier;
use support::*;

#[tokio::test]
async fn an_english_invitation_arrives_intact() {
    let to = unique_phone(NORMAL);
    let n = notification(MessageKind::Invitation, Language::En, &to);
    let notifier = notifier("");
    let delivered = notifier.deliver(&n).await.expect("delivered");

    let records = submitted(&to);
    assert_eq!(records.len() as u32, delivered.parts);
    assert_eq!(delivered.parts, 1);
    let r = &records[0];
    assert_eq!(r.str("destination_addr"), to.trim_start_matches('+'));
    assert_eq!((r.u8("dest_addr_ton"), r.u8("dest_addr_npi")), (1, 1));
    assert_eq!(r.str("source_addr"), "Acme");
    assert_eq!((r.u8("source_addr_ton"), r.u8("source_addr_npi")), (5, 0));
    assert_eq!(r.u8("data_coding"), 0x00, "GSM 7-bit");
    assert_eq!(r.u8("esm_class"), 0x00, "no UDH in a single segment");
    assert_eq!(r.u8("registered_delivery"), 0x01, "receipts asked for");
    assert_eq!(
        (r.str("system_id"), r.str("bind")),
        ("invite", "transceiver")
    );
    assert_eq!(delivered.provider_id.as_deref(), Some(r.str("message_id")));

    let text = reassembled(&records);
    assert_eq!(text, notifier.templates().render(&n).expect("renders"));
    let url = n.signup_url.as_ref().expect("link").expose();
    assert!(text.contains(url), "the link intact in {text}");
    assert!(text.starts_with("Ann Admin invited you to Acme & Sons: https://"));
}

#[tokio::test]
async fn a_russian_invitation_arrives_as_concatenated_ucs2() {
    let to = unique_phone(NORMAL);
    let n = notification(MessageKind::Invitation, Language::Ru, &to);
    let notifier = notifier("");
    let delivered = notifier.deliver(&n).await.expect("delivered");

    let records = submitted(&to);
    assert_eq!(delivered.parts, 3);
    assert_eq!(records.len(), 3);
    let mut references = Vec::new();
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.u8("data_coding"), 0x08, "UCS-2");
        assert_eq!(r.u8("esm_class") & 0x40, 0x40, "UDHI set");
        let sm = r.bytes("short_message");
        assert_eq!(
            sm[..5],
            [0x05, 0x00, 0x03, sm[3], 3],
            "8-bit concatenation header"
        );
        assert_eq!(usize::from(sm[5]), i + 1, "parts in order");
        assert!(sm.len() <= 140, "{} octets", sm.len());
        references.push(sm[3]);
    }
    assert!(references.windows(2).all(|w| w[0] == w[1]), "one reference");
    assert_eq!(
        delivered.provider_id.as_deref(),
        Some(records[0].str("message_id"))
    );
    let text = reassembled(&records);
    assert_eq!(text, notifier.templates().render(&n).expect("renders"));
    assert!(text.contains(n.signup_url.as_ref().expect("link").expose()));
    assert!(text.contains("пригласил(а) вас в Acme & Sons") && text.contains("5 марта 12:00"));
}

#[tokio::test]
async fn every_kind_in_both_languages_arrives_with_the_parts_deliver_reported() {
    let kinds = [
        (MessageKind::Invitation, true),
        (MessageKind::Resend, true),
        (MessageKind::Reminder, true),  // to a Pending invitee
        (MessageKind::Reminder, false), // to a Never Used member
        (MessageKind::FollowUp, false),
        (MessageKind::AcceptedNotice, false), // to the sender: never a link
    ];
    let notifier = notifier("");
    for (kind, with_link) in kinds {
        for language in [Language::En, Language::Ru] {
            let to = unique_phone(NORMAL);
            let mut n = notification(kind, language, &to);
            if !with_link {
                n = without_link(n);
            }
            let expected = notifier.encode(&n).expect("encodes");
            let delivered = notifier.deliver(&n).await.expect("delivered");
            let records = submitted(&to);
            assert_eq!(
                records.len() as u32,
                delivered.parts,
                "{kind:?} {language:?}"
            );
            assert_eq!(delivered.parts, expected.part_count());
            assert!(
                records
                    .iter()
                    .all(|r| r.u8("data_coding") == expected.coding.data_coding())
            );
            let text = reassembled(&records);
            assert_eq!(text, expected.text(), "{kind:?} {language:?}");
            match &n.signup_url {
                Some(url) => assert!(text.contains(url.expose()), "link in {text}"),
                None => assert!(!text.contains("https://"), "no link in {text}"),
            }
        }
    }
}

#[tokio::test]
async fn a_long_gsm_text_never_splits_an_escape() {
    // A replaced template that lands `€` (escape + septet) across the 153-septet boundary.
    let templates = invite_sms::SmsTemplates::builtin()
        .with_template(
            MessageKind::FollowUp,
            Language::En,
            format!("{}€ {{{{ org_name }}}} {}", "x".repeat(152), "y".repeat(20)),
        )
        .expect("valid");
    let notifier = SmsNotifier::from_url(&server().url(""))
        .expect("valid")
        .templates(templates)
        .build()
        .expect("notifier");
    let to = unique_phone(NORMAL);
    let n = without_link(notification(MessageKind::FollowUp, Language::En, &to));
    let delivered = notifier.deliver(&n).await.expect("delivered");
    let records = submitted(&to);
    assert_eq!((delivered.parts, records.len()), (2, 2));
    let first = records[0].bytes("short_message");
    assert_eq!(
        first.len(),
        6 + 152,
        "the escape pair moved whole to part 2"
    );
    assert_eq!(records[1].bytes("short_message")[6..8], [0x1B, 0x65]);
    assert_eq!(
        reassembled(&records),
        notifier.templates().render(&n).expect("renders")
    );
}

#[tokio::test]
async fn a_numeric_sender_on_a_transmitter_bind() {
    let url = server()
        .url("&bind=transmitter")
        .replace("source=Acme", "source=%2B79050000000");
    let notifier = SmsNotifier::from_url(&url)
        .expect("valid")
        .build()
        .expect("notifier");
    let to = unique_phone(NORMAL);
    let n = notification(MessageKind::Reminder, Language::En, &to);
    notifier.deliver(&n).await.expect("delivered");
    let r = &submitted(&to)[0];
    assert_eq!(r.str("source_addr"), "79050000000");
    assert_eq!((r.u8("source_addr_ton"), r.u8("source_addr_npi")), (1, 1));
    assert_eq!(r.str("bind"), "transmitter");
    assert_eq!(
        r.u8("registered_delivery"),
        0,
        "no receipts on a transmitter bind"
    );
}

#[tokio::test]
async fn message_payload_carries_the_whole_text_in_one_pdu() {
    let notifier = notifier("&long=payload");
    let to = unique_phone(NORMAL);
    let n = notification(MessageKind::Invitation, Language::Ru, &to);
    let delivered = notifier.deliver(&n).await.expect("delivered");
    let records = submitted(&to);
    assert_eq!(records.len(), 1, "one submit_sm");
    assert_eq!(delivered.parts, 3, "still billed as its segments");
    let r = &records[0];
    assert_eq!((r.u8("data_coding"), r.u8("esm_class")), (0x08, 0x00));
    assert!(r.bytes("short_message").is_empty());
    let payload = r.bytes("message_payload");
    let text = invite_sms::encoding::decode_user_data(invite_sms::Coding::Ucs2, &payload)
        .expect("UTF-16BE");
    assert_eq!(text, notifier.templates().render(&n).expect("renders"));
}

#[tokio::test]
async fn concurrent_deliveries_share_the_window() {
    let notifier = notifier("&window=4");
    // Many more deliveries than the window: a burst like this once stalled the client.
    let tos: Vec<String> = (0..300).map(|_| unique_phone(NORMAL)).collect();
    let mut deliveries = tokio::task::JoinSet::new();
    for to in &tos {
        let notifier = notifier.clone();
        let n = notification(MessageKind::Invitation, Language::En, to);
        deliveries.spawn(async move { notifier.deliver(&n).await });
    }
    let mut ids = std::collections::HashSet::new();
    while let Some(result) = deliveries.join_next().await {
        let delivered = result.expect("joins").expect("delivered");
        assert!(
            ids.insert(delivered.provider_id.expect("an id")),
            "distinct ids"
        );
    }
    assert_eq!(ids.len(), tos.len());
    for to in &tos {
        assert_eq!(submitted(to).len(), 1, "{to} once");
    }
}

#[tokio::test]
async fn the_file_notifier_writes_what_would_be_sent() {
    let dir = std::env::temp_dir().join(format!(
        "invite-sms-files-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    let source = invite_sms::SourceAddress::parse("Acme").expect("valid");
    let notifier = invite_sms::SmsFileNotifier::new(&dir, source);
    let n = notification(MessageKind::Invitation, Language::Ru, "+79051234567");
    let delivered = notifier.deliver(&n).await.expect("written");
    assert_eq!(delivered.parts, 3);
    let path = dir.join(format!("79051234567.{}.sms", n.message_id));
    let file = std::fs::read_to_string(&path).expect("the .sms file");
    assert!(file.contains("To: +79051234567 (TON 1, NPI 1)"));
    assert!(file.contains("From: Acme (TON 5, NPI 0)"));
    assert!(file.contains("Coding: UCS-2 (data_coding 0x08)"));
    assert!(file.contains("Segments: 3") && file.contains("--- segment 3/3"));
    assert!(file.contains(n.signup_url.as_ref().expect("link").expose()));
    let _ = std::fs::remove_dir_all(dir);
}
