//! No secret in the logs (R7.4): with every event of every target enabled, a bind and a
//! delivery log neither the password nor the signup link. rusmpp's codec would log both (it
//! dumps each PDU at DEBUG); the notifier keeps those events from the application's subscriber.

mod support;

use invite_core::{Language, MessageKind, Notifier};
use invite_sms::SmsNotifier;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use support::*;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Keeps every event, formatted, with its target.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Line<'a>(&'a mut String);

impl Visit for Line<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut line = format!("span {}", span.metadata().name());
        span.record(&mut Line(&mut line));
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(line);
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut line = String::from("record");
        values.record(&mut Line(&mut line));
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = format!("{} {}", event.metadata().level(), event.metadata().target());
        event.record(&mut Line(&mut line));
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn neither_the_password_nor_the_link_reaches_the_logs() {
    let capture = Capture::default();
    tracing::subscriber::set_global_default(capture.clone()).expect("the only subscriber");

    // A server of our own: the records directory is read like the shared one.
    let server = start_server();
    also_read(&server.dir);
    let url = server.url("");
    let notifier = SmsNotifier::from_url(&url)
        .expect("valid")
        .build()
        .expect("notifier");
    let mut reports = notifier.delivery_reports().expect("the channel");
    let to = unique_phone(NORMAL);
    let n = notification(MessageKind::Invitation, Language::Ru, &to);
    let delivered = match notifier.deliver(&n).await {
        Ok(d) => d,
        Err(e) => panic!(
            "{e:?}\n{}",
            capture
                .0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .join("\n")
        ),
    };
    let report = tokio::time::timeout(std::time::Duration::from_secs(10), reports.recv())
        .await
        .expect("a receipt in time")
        .expect("a report");
    assert_eq!(Some(report.provider_id), delivered.provider_id);
    notifier.close().await;

    let lines = capture.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let all = lines.join("\n");
    assert!(
        all.contains("rusmppc"),
        "the client's own events are kept:\n{all}"
    );
    let token = n.signup_url.as_ref().expect("link").expose();
    let token = token.rsplit_once("token=").expect("a token").1;
    assert!(!all.contains(PASSWORD), "the password leaked:\n{all}");
    assert!(!all.contains(token), "the link leaked:\n{all}");
    assert!(!all.contains("rusmpp::codec"), "no PDU dumps:\n{all}");
}
