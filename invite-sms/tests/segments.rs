//! The segments of every real rendered message, per kind and language, with a link as long as
//! a real one (a 256-bit token in base64url, 43 characters): what each costs.

mod support;

use invite_core::{Language, MessageKind};
use invite_sms::{Coding, SmsTemplates, segments};
use support::*;

#[track_caller]
fn check(kind: MessageKind, language: Language, with_link: bool, coding: Coding, parts: usize) {
    let mut n = notification(kind, language, "+79051111111");
    if !with_link {
        n = without_link(n);
    }
    let text = SmsTemplates::builtin().render(&n).expect("renders");
    let encoded = segments(&text).expect("encodes");
    assert_eq!(
        (encoded.coding, encoded.parts.len()),
        (coding, parts),
        "{kind:?} {language:?}: {text}"
    );
    assert_eq!(encoded.text(), text);
    if let Some(url) = &n.signup_url {
        assert!(text.contains(url.expose()), "the link whole in {text}");
    }
}

#[test]
fn invitation_en() {
    check(MessageKind::Invitation, Language::En, true, Coding::Gsm7, 1);
}

#[test]
fn invitation_ru() {
    check(MessageKind::Invitation, Language::Ru, true, Coding::Ucs2, 3);
}

#[test]
fn resend_en() {
    check(MessageKind::Resend, Language::En, true, Coding::Gsm7, 1);
}

#[test]
fn resend_ru() {
    check(MessageKind::Resend, Language::Ru, true, Coding::Ucs2, 3);
}

#[test]
fn reminder_to_a_pending_invitee_en() {
    check(MessageKind::Reminder, Language::En, true, Coding::Gsm7, 1);
}

#[test]
fn reminder_to_a_pending_invitee_ru() {
    check(MessageKind::Reminder, Language::Ru, true, Coding::Ucs2, 3);
}

#[test]
fn reminder_to_a_never_used_member_en() {
    check(MessageKind::Reminder, Language::En, false, Coding::Gsm7, 1);
}

#[test]
fn reminder_to_a_never_used_member_ru() {
    check(MessageKind::Reminder, Language::Ru, false, Coding::Ucs2, 1);
}

#[test]
fn follow_up_en() {
    check(MessageKind::FollowUp, Language::En, false, Coding::Gsm7, 1);
}

#[test]
fn follow_up_ru() {
    check(MessageKind::FollowUp, Language::Ru, false, Coding::Ucs2, 1);
}

#[test]
fn accepted_notice_en() {
    check(
        MessageKind::AcceptedNotice,
        Language::En,
        false,
        Coding::Gsm7,
        1,
    );
}

#[test]
fn accepted_notice_ru() {
    check(
        MessageKind::AcceptedNotice,
        Language::Ru,
        false,
        Coding::Ucs2,
        1,
    );
}

#[test]
fn a_reminder_to_a_never_used_member_has_no_link() {
    for language in [Language::En, Language::Ru] {
        let n = without_link(notification(
            MessageKind::Reminder,
            language,
            "+79051111111",
        ));
        let text = SmsTemplates::builtin().render(&n).expect("renders");
        assert!(!text.contains("https://"), "{text}");
    }
}
