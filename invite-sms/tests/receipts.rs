//! Delivery receipts from a real SMPP server become `DeliveryReport`s on the notifier's
//! channel, matched by the provider id `deliver` returned.

mod support;

use invite_core::{DeliveryReport, DeliveryReportOutcome, Language, MessageKind, Notifier};
use std::time::Duration;
use support::*;
use tokio::sync::mpsc::Receiver;

async fn next(reports: &mut Receiver<DeliveryReport>) -> DeliveryReport {
    tokio::time::timeout(Duration::from_secs(10), reports.recv())
        .await
        .expect("a report within 10 s")
        .expect("the channel is open")
}

#[tokio::test]
async fn a_delivered_sms_is_reported_delivered() {
    let notifier = notifier("");
    let mut reports = notifier.delivery_reports().expect("taken once");
    assert!(notifier.delivery_reports().is_none(), "only once");
    let n = notification(MessageKind::Invitation, Language::En, &unique_phone(NORMAL));
    let delivered = notifier.deliver(&n).await.expect("delivered");
    let report = next(&mut reports).await;
    assert_eq!(Some(report.provider_id), delivered.provider_id);
    assert_eq!(report.outcome, DeliveryReportOutcome::Delivered);
}

#[tokio::test]
async fn an_undeliverable_sms_is_reported_failed_with_the_reason() {
    let notifier = notifier("");
    let mut reports = notifier.delivery_reports().expect("taken once");
    let n = notification(
        MessageKind::Reminder,
        Language::En,
        &unique_phone(UNDELIVERED),
    );
    let delivered = notifier.deliver(&n).await.expect("accepted by the SMSC");
    let report = next(&mut reports).await;
    assert_eq!(Some(report.provider_id), delivered.provider_id);
    assert_eq!(
        report.outcome,
        DeliveryReportOutcome::Failed {
            reason: "UNDELIV err:001".into()
        }
    );
}

#[tokio::test]
async fn a_receipt_without_tlvs_is_read_from_its_text() {
    let notifier = notifier("");
    let mut reports = notifier.delivery_reports().expect("taken once");
    let n = notification(
        MessageKind::Invitation,
        Language::En,
        &unique_phone(TEXT_ONLY_RECEIPT),
    );
    let delivered = notifier.deliver(&n).await.expect("delivered");
    let report = next(&mut reports).await;
    assert_eq!(Some(report.provider_id), delivered.provider_id);
    assert_eq!(report.outcome, DeliveryReportOutcome::Delivered);
}

#[tokio::test]
async fn the_parts_of_a_long_text_make_one_report() {
    let notifier = notifier("");
    let mut reports = notifier.delivery_reports().expect("taken once");
    let long = notification(MessageKind::Invitation, Language::Ru, &unique_phone(NORMAL));
    let delivered = notifier.deliver(&long).await.expect("delivered");
    assert_eq!(delivered.parts, 3);
    let report = next(&mut reports).await;
    assert_eq!(
        Some(report.provider_id),
        delivered.provider_id,
        "under the first part's id"
    );
    assert_eq!(report.outcome, DeliveryReportOutcome::Delivered);

    // A stray report for parts 2 or 3 would come before this one's.
    let short = notification(MessageKind::Invitation, Language::En, &unique_phone(NORMAL));
    let delivered = notifier.deliver(&short).await.expect("delivered");
    let report = next(&mut reports).await;
    assert_eq!(
        Some(report.provider_id),
        delivered.provider_id,
        "no report per part"
    );

    // One failed part fails the message.
    let failing = notification(
        MessageKind::Resend,
        Language::Ru,
        &unique_phone(UNDELIVERED),
    );
    let delivered = notifier.deliver(&failing).await.expect("accepted");
    let report = next(&mut reports).await;
    assert_eq!(Some(report.provider_id), delivered.provider_id);
    assert!(matches!(
        report.outcome,
        DeliveryReportOutcome::Failed { .. }
    ));
    let last = notification(MessageKind::Invitation, Language::En, &unique_phone(NORMAL));
    let delivered = notifier.deliver(&last).await.expect("delivered");
    let report = next(&mut reports).await;
    assert_eq!(
        Some(report.provider_id),
        delivered.provider_id,
        "one report per message"
    );
}

#[tokio::test]
async fn no_receipts_are_asked_for_when_turned_off() {
    let notifier = notifier("&receipts=false");
    let to = unique_phone(NORMAL);
    let n = notification(MessageKind::Invitation, Language::En, &to);
    notifier.deliver(&n).await.expect("delivered");
    assert_eq!(submitted(&to)[0].u8("registered_delivery"), 0);
}
