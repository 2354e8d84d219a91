//! Keeps secrets out of the application's logs (R7.4).
//!
//! rusmpp's codec logs every PDU it encodes or decodes at `DEBUG` (targets
//! `rusmpp::codec::encode` and `rusmpp::codec::decode`), fields and all: the bind's password
//! and every `short_message`, signup link included. rusmppc turns that logging on and offers
//! no switch. The connection task, the only place the codec runs, therefore runs under a
//! subscriber that hands every event and span to the application's subscriber except those
//! two targets.

use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Metadata, Subscriber};

/// Targets whose events carry PDU contents.
const SECRET_TARGETS: [&str; 1] = ["rusmpp::codec"];

fn carries_pdus(metadata: &Metadata<'_>) -> bool {
    SECRET_TARGETS
        .iter()
        .any(|t| metadata.target().starts_with(t))
}

/// The application's subscriber, minus PDU dumps.
pub(crate) struct WithoutPdus {
    inner: Dispatch,
}

impl WithoutPdus {
    /// Wraps the subscriber in effect where this is called.
    pub(crate) fn current() -> Dispatch {
        let inner = tracing::dispatcher::get_default(Dispatch::clone);
        Dispatch::new(Self { inner })
    }
}

impl Subscriber for WithoutPdus {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if carries_pdus(metadata) {
            Interest::never()
        } else {
            self.inner.register_callsite(metadata)
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        !carries_pdus(metadata) && self.inner.enabled(metadata)
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        self.inner.new_span(span)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        self.inner.record(span, values)
    }

    fn record_follows_from(&self, span: &Id, follows: &Id) {
        self.inner.record_follows_from(span, follows)
    }

    fn event(&self, event: &Event<'_>) {
        if !carries_pdus(event.metadata()) {
            self.inner.event(event)
        }
    }

    fn enter(&self, span: &Id) {
        self.inner.enter(span)
    }

    fn exit(&self, span: &Id) {
        self.inner.exit(span)
    }

    fn clone_span(&self, id: &Id) -> Id {
        self.inner.clone_span(id)
    }

    fn try_close(&self, id: Id) -> bool {
        self.inner.try_close(id)
    }

    fn current_span(&self) -> tracing_core::span::Current {
        self.inner.current_span()
    }
}
