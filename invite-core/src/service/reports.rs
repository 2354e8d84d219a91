//! Delivery reports that arrive after a message was accepted (R4.4, R7.2).

use super::InvitationService;
use crate::clock::Clock;
use crate::decide::Decision;
use crate::decide::delivery::{self, ReportOutcome};
use crate::error::Error;
use crate::notifier::DeliveryReport;
use crate::store::Store;

impl<S: Store, C: Clock> InvitationService<S, C> {
    /// Records a delivery report from the transport (an SMS centre's receipt, say), matched to
    /// its message by the transport's id for it: a report that the message did not reach the
    /// invitee makes the invitation Failed with the reason, so it shows on the dashboard's
    /// Expired or Failed tab and can be resent. Safe to call twice with the same report, and
    /// with reports about messages the store does not know (`UnknownMessage`).
    ///
    /// ```
    /// # use invite_core::*;
    /// # async fn relay<S: Store, C: Clock>(service: &InvitationService<S, C>,
    /// #     mut reports: tokio::sync::mpsc::Receiver<DeliveryReport>) -> Result<(), Error> {
    /// // Feed the notifier's reports to the service, e.g. invite-sms's
    /// // `SmsNotifier::delivery_reports()`.
    /// while let Some(report) = reports.recv().await {
    ///     service.record_delivery_report(&report).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn record_delivery_report(
        &self,
        report: &DeliveryReport,
    ) -> Result<ReportOutcome, Error> {
        self.run(|_| async {
            let Some(message) = self
                .store
                .message_by_provider_id(&report.provider_id)
                .await?
            else {
                return Ok(Decision::nothing(ReportOutcome::UnknownMessage));
            };
            let inv = self.store.invitation(message.invitation).await?;
            let now = self.clock.now();
            Ok(delivery::late_report(&message, inv.as_ref(), report, now))
        })
        .await
    }
}
