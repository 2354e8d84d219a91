//! Delivery receipts: `deliver_sm` PDUs the SMSC sends after the fact, read into
//! [`DeliveryReport`]s; and the bookkeeping that turns the receipts of a concatenated text's
//! parts into one report for the message.

use invite_core::{DeliveryReport, DeliveryReportOutcome};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::{mpsc, watch};

/// `esm_class` message type bits (2 to 5) of an SMSC delivery receipt.
pub(crate) const ESM_CLASS_DELIVERY_RECEIPT: u8 = 0x04;
const ESM_CLASS_MESSAGE_TYPE: u8 = 0x3C;

/// Reads a delivery receipt: `esm_class` must mark an SMSC delivery receipt; the message id
/// and final state come from the `receipted_message_id` and `message_state` TLVs when the SMSC
/// sends them, otherwise from the text (`id:… sub:… dlvrd:… … stat:UNDELIV err:001 text:…`).
///
/// `DELIVRD` (state 2) is [`DeliveryReportOutcome::Delivered`]; `UNDELIV` (5), `REJECTD` (8),
/// `EXPIRED` (3) and `DELETED` (4) are [`DeliveryReportOutcome::Failed`] with the state and
/// the error code as the reason. Anything else (not a receipt, an intermediate state such as
/// `ENROUTE` or `ACCEPTD`, no message id) is `None`.
///
/// ```
/// use invite_core::DeliveryReportOutcome;
/// use invite_sms::parse_receipt;
///
/// let text = b"id:4711 sub:001 dlvrd:000 submit date:2603051200 done date:2603051201 stat:UNDELIV err:001 text:";
/// let report = parse_receipt(0x04, text, None, None).unwrap();
/// assert_eq!(report.provider_id, "4711");
/// assert_eq!(report.outcome, DeliveryReportOutcome::Failed { reason: "UNDELIV err:001".into() });
/// assert!(parse_receipt(0x00, text, None, None).is_none(), "an ordinary incoming SMS");
/// ```
pub fn parse_receipt(
    esm_class: u8,
    short_message: &[u8],
    receipted_message_id: Option<&str>,
    message_state: Option<u8>,
) -> Option<DeliveryReport> {
    if esm_class & ESM_CLASS_MESSAGE_TYPE != ESM_CLASS_DELIVERY_RECEIPT {
        return None;
    }
    // Receipt texts are ASCII; anything else is read lossily rather than refused.
    let text = String::from_utf8_lossy(short_message);
    let field = |name: &str| {
        text.split_whitespace().find_map(|word| {
            let (key, value) = word.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.to_owned())
        })
    };
    let provider_id = receipted_message_id
        .map(str::to_owned)
        .or_else(|| field("id"))
        .filter(|id| !id.is_empty())?;
    let stat = match message_state {
        Some(state) => state_name(state)?.to_owned(),
        None => field("stat")?.to_ascii_uppercase(),
    };
    let outcome = match stat.as_str() {
        "DELIVRD" => DeliveryReportOutcome::Delivered,
        "UNDELIV" | "REJECTD" | "EXPIRED" | "DELETED" => {
            let reason = match field("err") {
                Some(err) => format!("{stat} err:{err}"),
                None => stat,
            };
            DeliveryReportOutcome::Failed { reason }
        }
        _ => return None,
    };
    Some(DeliveryReport {
        provider_id,
        outcome,
    })
}

/// The receipt-text name of a final `message_state`, or `None` for a state that is not final.
fn state_name(state: u8) -> Option<&'static str> {
    match state {
        2 => Some("DELIVRD"),
        3 => Some("EXPIRED"),
        4 => Some("DELETED"),
        5 => Some("UNDELIV"),
        8 => Some("REJECTD"),
        _ => None,
    }
}

/// Where reports go: the channel [`crate::SmsNotifier::delivery_reports`] hands out. Until
/// someone takes it, reports are dropped rather than piling up.
#[derive(Debug)]
pub(crate) struct ReportSink {
    tx: mpsc::Sender<DeliveryReport>,
    rx: Mutex<Option<mpsc::Receiver<DeliveryReport>>>,
    taken: AtomicBool,
}

impl ReportSink {
    pub(crate) fn new(capacity: usize) -> Self {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        Self {
            tx,
            rx: Mutex::new(Some(rx)),
            taken: AtomicBool::new(false),
        }
    }

    pub(crate) fn take(&self) -> Option<mpsc::Receiver<DeliveryReport>> {
        let rx = self.rx.lock().unwrap_or_else(|e| e.into_inner()).take();
        if rx.is_some() {
            self.taken.store(true, Ordering::Release);
        }
        rx
    }

    /// Hands a report over, waiting while the channel is full: the SMSC then waits for our
    /// `deliver_sm_resp`, which is the back-pressure SMPP offers.
    pub(crate) async fn send(&self, report: DeliveryReport) {
        if !self.taken.load(Ordering::Acquire) {
            tracing::debug!(provider_id = %report.provider_id, "delivery report dropped: nobody took the channel");
            return;
        }
        if self.tx.send(report).await.is_err() {
            tracing::debug!("delivery report dropped: the receiver is gone");
        }
    }
}

/// The most concatenated messages whose parts are tracked at once; the oldest go first.
const TRACKED_MESSAGES: usize = 100_000;

/// Matches receipts of the parts of concatenated texts to their message: the message is
/// known by its first part's id (what [`invite_core::Delivered::provider_id`] says); it is
/// Delivered once every part is, Failed as soon as one part fails.
#[derive(Debug)]
pub(crate) struct Parts {
    state: Mutex<PartsState>,
    /// Concatenated texts being submitted right now: a receipt for an id not yet known may
    /// belong to one of them, so it waits until they are done.
    in_flight: watch::Sender<usize>,
}

#[derive(Debug, Default)]
struct PartsState {
    part_of: HashMap<String, String>,
    messages: HashMap<String, Progress>,
    order: VecDeque<String>,
}

#[derive(Debug)]
struct Progress {
    total: u32,
    /// Receipts seen, and of those, delivered ones.
    seen: u32,
    delivered: u32,
    /// The message's report went out; later parts' receipts are swallowed.
    reported: bool,
    parts: Vec<String>,
}

/// Marks one concatenated text as being submitted, until dropped.
pub(crate) struct InFlight<'a>(&'a Parts);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.send_modify(|n| *n = n.saturating_sub(1));
    }
}

impl Parts {
    pub(crate) fn new() -> Self {
        Self {
            state: Mutex::new(PartsState::default()),
            in_flight: watch::Sender::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PartsState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn begin(&self) -> InFlight<'_> {
        self.in_flight.send_modify(|n| *n += 1);
        InFlight(self)
    }

    /// Records that `part_id` is one of `total` parts of `message_id` (the first part's id).
    pub(crate) fn add(&self, message_id: &str, part_id: &str, total: u32) {
        let mut s = self.lock();
        if !s.messages.contains_key(message_id) {
            if s.order.len() >= TRACKED_MESSAGES {
                if let Some(oldest) = s.order.pop_front() {
                    s.remove(&oldest);
                }
            }
            s.order.push_back(message_id.to_owned());
            s.messages.insert(
                message_id.to_owned(),
                Progress {
                    total,
                    seen: 0,
                    delivered: 0,
                    reported: false,
                    parts: Vec::new(),
                },
            );
        }
        if let Some(p) = s.messages.get_mut(message_id) {
            p.parts.push(part_id.to_owned());
        }
        s.part_of.insert(part_id.to_owned(), message_id.to_owned());
        drop(s);
        // Wake receipts waiting for this id.
        self.in_flight.send_modify(|_| ());
    }

    /// Forgets a message whose submission failed half-way.
    pub(crate) fn forget(&self, message_id: &str) {
        self.lock().remove(message_id);
    }

    fn knows(&self, id: &str) -> bool {
        self.lock().part_of.contains_key(id)
    }

    /// Waits (at most `patience`) until `id` is known or no concatenated text is being
    /// submitted, then [`resolve`](Self::resolve)s the report.
    pub(crate) async fn settle(
        &self,
        report: DeliveryReport,
        patience: std::time::Duration,
    ) -> Option<DeliveryReport> {
        let mut rx = self.in_flight.subscribe();
        let id = report.provider_id.clone();
        let _ = tokio::time::timeout(patience, rx.wait_for(|n| *n == 0 || self.knows(&id))).await;
        self.resolve(report)
    }

    /// Whether a report for `id` can be resolved without waiting.
    pub(crate) fn ready(&self, id: &str) -> bool {
        *self.in_flight.borrow() == 0 || self.knows(id)
    }

    /// The report to hand on for a part's receipt, if any: the message's, once decided;
    /// the receipt itself for an id that is no part of a tracked text.
    pub(crate) fn resolve(&self, report: DeliveryReport) -> Option<DeliveryReport> {
        let mut s = self.lock();
        let Some(message_id) = s.part_of.get(&report.provider_id).cloned() else {
            return Some(report);
        };
        let p = s.messages.get_mut(&message_id)?;
        p.seen += 1;
        let delivered = report.outcome == DeliveryReportOutcome::Delivered;
        if delivered {
            p.delivered += 1;
        }
        // Failed at the first failed part; delivered once every part is.
        let decide = !p.reported && (!delivered || p.delivered >= p.total);
        p.reported |= decide;
        if p.seen >= p.total {
            s.remove(&message_id);
        }
        decide.then_some(DeliveryReport {
            provider_id: message_id,
            outcome: report.outcome,
        })
    }
}

impl PartsState {
    fn remove(&mut self, message_id: &str) {
        if let Some(p) = self.messages.remove(message_id) {
            for part in p.parts {
                self.part_of.remove(&part);
            }
        }
        // `order` keeps the id until it reaches the front; removing it there is a no-op.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELIVERED: &[u8] =
        b"id:abc123 sub:001 dlvrd:001 submit date:2603051200 done date:2603051201 stat:DELIVRD err:000 text:Hello";

    #[test]
    fn text_receipts() {
        let r = parse_receipt(0x04, DELIVERED, None, None).expect("a receipt");
        assert_eq!(r.provider_id, "abc123");
        assert_eq!(r.outcome, DeliveryReportOutcome::Delivered);
        for (stat, reason) in [
            ("UNDELIV", "UNDELIV err:001"),
            ("REJECTD", "REJECTD err:001"),
            ("EXPIRED", "EXPIRED err:001"),
            ("deleted", "DELETED err:001"),
        ] {
            let text = format!("id:9 sub:001 dlvrd:000 stat:{stat} err:001 text:");
            let r = parse_receipt(0x04, text.as_bytes(), None, None).expect("a receipt");
            let expected = DeliveryReportOutcome::Failed {
                reason: reason.into(),
            };
            assert_eq!(r.outcome, expected, "{stat}");
        }
        for intermediate in ["ENROUTE", "ACCEPTD", "UNKNOWN"] {
            let text = format!("id:9 stat:{intermediate} err:000");
            assert!(parse_receipt(0x04, text.as_bytes(), None, None).is_none());
        }
    }

    #[test]
    fn tlvs_win_over_the_text() {
        let r = parse_receipt(0x04, DELIVERED, Some("tlv-id"), Some(5)).expect("a receipt");
        assert_eq!(r.provider_id, "tlv-id");
        assert_eq!(
            r.outcome,
            DeliveryReportOutcome::Failed {
                reason: "UNDELIV err:000".into()
            }
        );
        let r = parse_receipt(0x04, b"", Some("x"), Some(2)).expect("TLVs alone suffice");
        assert_eq!(r.outcome, DeliveryReportOutcome::Delivered);
        assert!(
            parse_receipt(0x04, b"", Some("x"), Some(1)).is_none(),
            "ENROUTE"
        );
    }

    #[test]
    fn not_receipts() {
        assert!(parse_receipt(0x00, DELIVERED, None, None).is_none());
        assert!(
            parse_receipt(0x20, DELIVERED, None, None).is_none(),
            "intermediate"
        );
        assert!(
            parse_receipt(0x04, b"stat:DELIVRD", None, None).is_none(),
            "no id"
        );
        assert!(parse_receipt(0x04, b"id: stat:DELIVRD", None, None).is_none());
        assert!(parse_receipt(0x04, &[0xFF, 0xFE, 0x00], None, None).is_none());
        assert!(
            parse_receipt(0x44, DELIVERED, None, None).is_some(),
            "UDHI does not matter"
        );
    }

    fn report(id: &str, delivered: bool) -> DeliveryReport {
        DeliveryReport {
            provider_id: id.into(),
            outcome: if delivered {
                DeliveryReportOutcome::Delivered
            } else {
                DeliveryReportOutcome::Failed {
                    reason: "UNDELIV".into(),
                }
            },
        }
    }

    #[test]
    fn parts_make_one_report() {
        let parts = Parts::new();
        for (i, id) in ["a", "b", "c"].into_iter().enumerate() {
            parts.add("a", id, 3);
            assert_eq!(parts.knows(id), i < 3);
        }
        assert_eq!(parts.resolve(report("b", true)), None);
        assert_eq!(parts.resolve(report("a", true)), None);
        assert_eq!(parts.resolve(report("c", true)), Some(report("a", true)));
        assert_eq!(
            parts.resolve(report("a", true)),
            Some(report("a", true)),
            "forgotten"
        );

        parts.add("x", "x", 2);
        parts.add("x", "y", 2);
        assert_eq!(parts.resolve(report("y", false)), Some(report("x", false)));
        assert_eq!(parts.resolve(report("x", false)), None, "reported once");
        assert!(!parts.knows("x"), "every part seen: forgotten");
        assert_eq!(
            parts.resolve(report("z", true)),
            Some(report("z", true)),
            "untracked"
        );
        parts.add("m", "m", 2);
        parts.forget("m");
        assert!(!parts.knows("m"));
    }

    #[tokio::test]
    async fn a_receipt_waits_for_its_message_to_register() {
        let parts = std::sync::Arc::new(Parts::new());
        let guard = parts.begin();
        assert!(!parts.ready("p2"));
        let waiting = {
            let parts = parts.clone();
            tokio::spawn(async move {
                parts
                    .settle(report("p2", true), std::time::Duration::from_secs(10))
                    .await
            })
        };
        parts.add("p1", "p1", 2);
        parts.add("p1", "p2", 2);
        drop(guard);
        assert_eq!(
            waiting.await.expect("joins"),
            None,
            "counted, not yet decided"
        );
        assert_eq!(parts.resolve(report("p1", true)), Some(report("p1", true)));
    }
}
