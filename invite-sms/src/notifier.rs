//! The SMS notifier: templates, segments, and `submit_sm` over the shared session.

use crate::address::{Destination, SourceAddress};
use crate::classify::{Request, SmppError, classify};
use crate::config::{ConfigError, LongText, SmsNotifierBuilder, from_url};
use crate::encoding::{ESM_CLASS_UDHI, Encoded, segments};
use crate::link::{Link, Session, Settings};
use crate::templates::SmsTemplates;
use async_trait::async_trait;
use invite_core::{Channel, Delivered, DeliveryReport, Notification, Notifier, NotifyError};
use rusmpp::pdus::SubmitSm;
use rusmpp::tlvs::MessageSubmissionRequestTlvValue;
use rusmpp::types::{AnyOctetString, COctetString, OctetString};
use rusmpp::values::{DataCoding, EsmClass, MessagePayload, Npi, RegisteredDelivery, Ton};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use tokio::sync::mpsc;

/// `registered_delivery`: an SMSC delivery receipt on success or failure.
const RECEIPT_ON_FINAL_OUTCOME: u8 = 0x01;

/// Delivers SMS notifications over SMPP 3.4 (see the [crate docs](crate)).
///
/// Cheap to clone: clones share one session. The session opens at the first delivery (or
/// [`connect`](Self::connect)), is kept alive with `enquire_link`, and is reopened when the link
/// drops. Concurrent [`deliver`](Notifier::deliver) calls share it, with up to `window`
/// `submit_sm` awaiting their response at once.
#[derive(Clone)]
pub struct SmsNotifier {
    link: Arc<Link>,
    templates: SmsTemplates,
    source: SourceAddress,
    long_text: LongText,
    max_parts: usize,
    registered_delivery: u8,
    reference: Arc<AtomicU8>,
}

impl fmt::Debug for SmsNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsNotifier")
            .field("host", &self.link.settings.host)
            .field("port", &self.link.settings.port)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl SmsNotifierBuilder {
    /// Builds the notifier. Nothing connects yet; no runtime is needed until the first
    /// delivery. Fails on a field SMPP cannot carry, a missing or invalid sender id, or TLS
    /// settings that cannot work.
    pub fn build(self) -> Result<SmsNotifier, ConfigError> {
        let source = self.validate()?;
        self.templates.check()?;
        let settings = Settings::of(&self)?;
        let registered_delivery = if self.wants_receipts() {
            RECEIPT_ON_FINAL_OUTCOME
        } else {
            0
        };
        Ok(SmsNotifier {
            link: Arc::new(Link::new(settings, self.report_capacity)),
            templates: self.templates,
            source,
            long_text: self.long_text,
            max_parts: self.max_parts,
            registered_delivery,
            reference: Arc::new(AtomicU8::new(0)),
        })
    }
}

impl SmsNotifier {
    /// Settings for the SMSC at `host`, binding as `system_id` with `password`, as a
    /// transceiver on port 2775 until told otherwise. A sender id ([`source`]) is required.
    ///
    /// [`source`]: SmsNotifierBuilder::source
    pub fn builder(
        host: impl Into<String>,
        system_id: impl Into<String>,
        password: impl Into<String>,
    ) -> SmsNotifierBuilder {
        SmsNotifierBuilder::new(host.into(), system_id.into(), password.into())
    }

    /// Settings from a URL: `smpp://system_id:password@host[:port]?source=…` (port 2775), or
    /// `smpps://…` for TLS (port 3550). User and password are percent-decoded. Parameters:
    ///
    /// | parameter | meaning | default |
    /// |-----------|---------|---------|
    /// | `source` | the sender id ([`SourceAddress::parse`]) | required |
    /// | `system_type` | the bind's `system_type` | empty |
    /// | `bind` | `transceiver` or `transmitter` | `transceiver` |
    /// | `window` | outstanding `submit_sm` at once | 10 |
    /// | `timeout` | seconds to wait for each response | 10 |
    /// | `connect_timeout` | seconds to connect, TLS and bind | 10 |
    /// | `enquire_link` | seconds between `enquire_link` on an idle link | 30 |
    /// | `receipts` | ask for delivery receipts | `true` for a transceiver |
    /// | `long` | `concatenated` segments or one `message_payload` | `concatenated` |
    /// | `max_parts` | most segments a message may take | 10 |
    ///
    /// ```
    /// use invite_sms::SmsNotifier;
    /// let notifier = SmsNotifier::from_url(
    ///     "smpp://invite:secret@127.0.0.1:2775?source=Acme&bind=transceiver&window=10",
    /// )?
    /// .build()?;
    /// assert!(!format!("{notifier:?}").contains("secret"));
    /// # Ok::<(), invite_sms::ConfigError>(())
    /// ```
    pub fn from_url(url: &str) -> Result<SmsNotifierBuilder, ConfigError> {
        from_url(url)
    }

    /// Opens and binds the session now, if it is not open: handy at start-up to fail early on
    /// a wrong password or an unreachable SMSC.
    pub async fn connect(&self) -> Result<(), NotifyError> {
        self.link.session().await.map(drop).map_err(classify)
    }

    /// Unbinds and closes the session. A later delivery opens a new one.
    pub async fn close(&self) {
        self.link.close().await
    }

    /// The delivery reports the SMSC sends after the fact, read from its receipts: the first
    /// call takes the channel, later calls get `None`. Until it is taken, receipts are
    /// acknowledged and dropped. See the crate docs for the wiring.
    pub fn delivery_reports(&self) -> Option<mpsc::Receiver<DeliveryReport>> {
        self.link.reports.take()
    }

    /// The templates this notifier renders.
    pub fn templates(&self) -> &SmsTemplates {
        &self.templates
    }

    /// The sender id.
    pub fn source(&self) -> &SourceAddress {
        &self.source
    }

    /// The text of a message and its segments, exactly as [`deliver`](Notifier::deliver) would
    /// send them, without sending anything.
    pub fn encode(&self, n: &Notification) -> Result<Encoded, NotifyError> {
        let text = self
            .templates
            .render(n)
            .map_err(|e| NotifyError::Permanent {
                reason: e.to_string(),
                source: Some(Box::new(e)),
            })?;
        let encoded = segments(&text).map_err(|e| NotifyError::Permanent {
            reason: e.to_string(),
            source: Some(Box::new(e)),
        })?;
        if encoded.parts.len() > self.max_parts {
            return Err(NotifyError::permanent(format!(
                "the text needs {} SMS segments, more than the {} allowed",
                encoded.parts.len(),
                self.max_parts
            )));
        }
        Ok(encoded)
    }

    fn submit_sm(
        &self,
        to: &Destination,
        encoded: &Encoded,
        short_message: Vec<u8>,
        udhi: bool,
        payload: Option<Vec<u8>>,
    ) -> Result<SubmitSm, NotifyError> {
        let address = |a: &str| {
            COctetString::from_str(a)
                .map_err(|_| NotifyError::permanent(format!("address {a:?} does not fit SMPP")))
        };
        let short_message = OctetString::<0, 255>::from_vec(short_message)
            .map_err(|e| NotifyError::permanent(format!("short_message does not fit: {e}")))?;
        let mut pdu = SubmitSm::builder()
            .source_addr_ton(Ton::from(self.source.ton()))
            .source_addr_npi(Npi::from(self.source.npi()))
            .source_addr(address(self.source.address())?)
            .dest_addr_ton(Ton::from(to.ton()))
            .dest_addr_npi(Npi::from(to.npi()))
            .destination_addr(address(to.digits())?)
            .esm_class(EsmClass::from(if udhi { ESM_CLASS_UDHI } else { 0 }))
            .registered_delivery(RegisteredDelivery::from(self.registered_delivery))
            .data_coding(DataCoding::from(encoded.coding.data_coding()))
            .short_message(short_message)
            .build();
        if let Some(payload) = payload {
            pdu.push_tlv(MessageSubmissionRequestTlvValue::MessagePayload(
                MessagePayload::new(AnyOctetString::from_vec(payload)),
            ));
        }
        Ok(pdu)
    }

    /// Submits the PDUs of one message in order, each under a window permit.
    async fn submit_all(
        &self,
        session: &Session,
        pdus: Vec<SubmitSm>,
    ) -> Result<String, NotifyError> {
        let total = pdus.len() as u32;
        let _in_flight = (total > 1).then(|| self.link.parts.begin());
        let mut first_id: Option<String> = None;
        for pdu in pdus {
            let result = {
                // A closed semaphore is impossible: the session never closes its own.
                let _permit = session.permit().await;
                // rusmppc times the response, not the wait for the request to be written; this
                // bounds both, so no stall of the client can hang a delivery.
                let limit = self.link.settings.response_timeout * 2;
                tokio::time::timeout(limit, session.client.submit_sm(pdu))
                    .await
                    .map_err(|_| SmppError::Timeout(limit))
                    .and_then(|r| r.map_err(|e| SmppError::from_client(e, Request::Submit)))
            };
            let response = match result {
                Ok(response) => response,
                Err(e) => {
                    if let Some(first) = &first_id {
                        self.link.parts.forget(first);
                    }
                    return Err(classify(e));
                }
            };
            let id = response.message_id().as_str().to_owned();
            let first = first_id.get_or_insert_with(|| id.clone());
            if total > 1 {
                self.link.parts.add(first, &id, total);
            }
        }
        Ok(first_id.unwrap_or_default())
    }
}

#[async_trait]
impl Notifier for SmsNotifier {
    async fn deliver(&self, n: &Notification) -> Result<Delivered, NotifyError> {
        if n.channel != Channel::Sms {
            return Err(NotifyError::permanent(format!(
                "the SMS notifier cannot deliver by {:?}",
                n.channel
            )));
        }
        let to = Destination::parse(&n.to).map_err(|e| NotifyError::permanent(e.to_string()))?;
        let encoded = self.encode(n)?;
        let pdus = match self.long_text {
            LongText::MessagePayload if encoded.is_concatenated() => {
                vec![self.submit_sm(&to, &encoded, Vec::new(), false, Some(encoded.payload()))?]
            }
            _ => {
                let reference = self.reference.fetch_add(1, Ordering::Relaxed);
                (0..encoded.parts.len())
                    .map(|i| {
                        let message = encoded.short_message(i, reference);
                        self.submit_sm(&to, &encoded, message, encoded.is_concatenated(), None)
                    })
                    .collect::<Result<Vec<_>, _>>()?
            }
        };
        let session = self.link.session().await.map_err(classify)?;
        let provider_id = self.submit_all(&session, pdus).await?;
        tracing::debug!(
            message = %n.message_id,
            parts = encoded.part_count(),
            coding = encoded.coding.name(),
            %provider_id,
            "SMS accepted by the SMSC"
        );
        Ok(Delivered::parts(encoded.part_count()).with_provider_id(provider_id))
    }
}
