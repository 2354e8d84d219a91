//! Late delivery reports (R4.4, R7.2): the store keeps each message's transport id and finds
//! the message by it.

use super::fixtures::Harness;
use crate::dashboard::ListQuery;
use crate::decide::delivery::ReportOutcome;
use crate::invitation::{Status, Tab};
use crate::notifier::{DeliveryReport, DeliveryReportOutcome};
use crate::store::Store;

/// R4.4, R7.2: a report that an accepted message did not arrive makes its invitation Failed
/// with the reason, listed under Expired or Failed; the same report again, one that says it
/// arrived, and one about an unknown message change nothing. The store finds the message by
/// the transport's id and keeps the receipt's parts.
pub async fn r4_4_r7_2_a_late_delivery_report_fails_the_invitation<S: Store + 'static>(store: S) {
    let h = Harness::new(store);
    let acme = h.standalone(5).await;
    let bob = h.invite_sms(&acme, "+79051111111").await;
    let ann = h.invite(&acme, "ann@example.com").await;
    h.deliver().await;
    let sms = h.last_attempted_message(bob.id).await;
    let receipt = sms
        .receipt
        .clone()
        .expect("the notifier's receipt is stored");
    assert_eq!(receipt.parts, 1);
    let provider_id = receipt
        .provider_id
        .expect("the recording notifier gives an id");
    let found = h
        .store
        .message_by_provider_id(&provider_id)
        .await
        .expect("the store answers")
        .expect("the message is found by its transport id");
    assert_eq!(found.id, sms.id);

    let report = |outcome| DeliveryReport {
        provider_id: provider_id.clone(),
        outcome,
    };
    let arrived = h
        .service
        .record_delivery_report(&report(DeliveryReportOutcome::Delivered))
        .await
        .unwrap();
    assert_eq!(arrived, ReportOutcome::Delivered);
    assert_eq!(h.status(bob.id).await, Status::Pending);

    let undelivered = report(DeliveryReportOutcome::Failed {
        reason: "UNDELIV err:001".into(),
    });
    let first = h
        .service
        .record_delivery_report(&undelivered)
        .await
        .unwrap();
    assert_eq!(first, ReportOutcome::InvitationFailed);
    let failed = h.invitation(bob.id).await;
    assert_eq!(failed.status_at(h.now()), Status::Failed);
    assert!(
        failed
            .failure()
            .unwrap()
            .to_string()
            .contains("UNDELIV err:001")
    );
    let page = h
        .service
        .list(
            &acme.admin,
            acme.id(),
            &ListQuery::tab(Tab::ExpiredOrFailed),
        )
        .await
        .unwrap();
    assert_eq!(page.rows.len(), 1);
    assert_eq!(page.rows[0].invitation.id, bob.id);

    let again = h
        .service
        .record_delivery_report(&undelivered)
        .await
        .unwrap();
    assert_eq!(again, ReportOutcome::NoLongerApplies);
    let unknown = DeliveryReport {
        provider_id: "no-such-message".into(),
        outcome: DeliveryReportOutcome::Failed {
            reason: "UNDELIV".into(),
        },
    };
    let unknown = h.service.record_delivery_report(&unknown).await.unwrap();
    assert_eq!(unknown, ReportOutcome::UnknownMessage);
    assert_eq!(
        h.status(ann.id).await,
        Status::Pending,
        "other invitations untouched"
    );
}
