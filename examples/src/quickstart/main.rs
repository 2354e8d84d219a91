//! The quickstart: four days in the life of a managed service provider's invitations, told in
//! one run on the embedded defaults (no database, no mail server, no network).
//!
//! ```sh
//! cargo run -p invite-examples --bin quickstart
//! ```
//!
//! An application wires the same three pieces: an `InvitationService` over a store and a
//! clock, which decides; a `Dispatcher`, which delivers the outbox through a notifier; and
//! the reads a dashboard needs. Here `MemoryStore` is the store, unless `DATABASE_URL` names a
//! PostgreSQL database: then the story runs on `invite_sqlx::PgStore`, which applies its
//! migrations first. The notifier is a `ChannelRouter`: each message goes to the notifier of
//! its channel. E-mails are written as `.eml` files into `target/quickstart-mail/` by
//! `invite_lettre::FileNotifier`, or sent over SMTP when `SMTP_URL` is set
//! (`SMTP_URL=smtp://127.0.0.1:2525?tls=none`); SMS are written as `.sms` files beside them by
//! `invite_sms::SmsFileNotifier`, or sent to an SMS centre over SMPP when `SMPP_URL` is set
//! (`SMPP_URL=smpp://invite:secret@127.0.0.1:2775?source=Northwind`), its delivery receipts
//! fed back to the service. A `RecordingNotifier` also keeps every delivered message, so the
//! story can "click" the links, and a `ManualClock` lets four days pass in a second.
//!
//! ```sh
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo run -p invite-examples --bin quickstart
//! ```
//! Every step that should succeed uses `?`, and every refusal the story expects is checked, so
//! the run exits non-zero if the library ever behaves otherwise.
//!
//! The story, chapter by chapter: [`monday`] (the organizations, a bulk invite whose
//! invitees may wait for a seat, delivery, signups until the seats run out, Carol onto the
//! waitlist), [`week`] (reminders, a resend and a cancel, more seats, the waitlist moving on
//! Thursday), [`dashboard`] (tabs, seats, rows, members, the daily series, an audit trail) and
//! [`selection`] (a resend of ticked rows with its dry run and a double click). [`wiring`]
//! chooses the store and the notifiers from the environment; [`output`] and [`inbox`] print.

mod dashboard;
mod inbox;
mod monday;
mod output;
mod selection;
mod week;
mod wiring;

use inbox::Inbox;
use invite_core::{
    Actor, Dispatcher, DispatcherConfig, InvitationId, InvitationService, ManualClock,
    Organization, RecordingNotifier, Store,
};
use output::at;
use std::path::PathBuf;
use std::sync::Arc;
use wiring::{Recorded, Service};

/// What the story returns: any error stops it with a non-zero exit code.
type Res<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// What every chapter of the story uses: the service that decides, the dispatcher that
/// delivers, the clock that lets days pass, and the inbox the invitees read.
struct Story {
    service: Arc<Service>,
    clock: Arc<ManualClock>,
    dispatcher: Dispatcher<Arc<dyn Store>, Recorded, Arc<ManualClock>>,
    inbox: Inbox,
    /// Where the SMS went, for the run to say.
    sms_destination: String,
    /// The directory of the `.sms` files, when they are written as files.
    sms_files: Option<PathBuf>,
}

/// Who and what the first chapter set up, for the later ones.
struct Cast {
    /// The vendor's operator: sets seat limits.
    operator: Actor,
    /// Northwind MSP, the organization the story follows.
    msp: Organization,
    /// Beta Retail, one of its clients, with its own admin.
    beta: Organization,
    /// Olga, the MSP's first admin.
    olga: Actor,
    /// Boris, Beta Retail's admin.
    boris: Actor,
    /// Carol's invitation: refused for seats, she waits on the waitlist.
    carol: InvitationId,
    /// Erin's invitation, made by mistake and cancelled.
    erin: InvitationId,
    /// Frank's invitation, never answered: Expired on Thursday.
    frank: InvitationId,
    /// The invitation by SMS, never answered: Expired on Thursday.
    sms: InvitationId,
    /// Ann's invitation: signed up, Completed.
    ann: InvitationId,
}

#[tokio::main]
async fn main() -> Res {
    // Wiring. The service decides and commits; the dispatcher delivers what was committed.
    let store = wiring::open_store().await?;
    let clock = Arc::new(ManualClock::new(at(2, 9, 0))); // Monday 2 March 2026, 09:00 Moscow
    let notifier = Arc::new(RecordingNotifier::new());
    let service = Arc::new(InvitationService::new(store.clone(), clock.clone()));
    let mail = wiring::open_mail().await?;
    let sms = wiring::open_sms().await?;
    println!("SMS: {}", sms.destination);
    if let Some(reports) = sms.reports {
        wiring::relay_delivery_reports(service.clone(), reports);
    }
    let delivery = Recorded {
        router: wiring::channel_router(mail, sms.notifier),
        record: notifier.clone(),
    };
    let dispatcher = Dispatcher::new(
        store.clone(),
        delivery,
        clock.clone(),
        DispatcherConfig::new("https://app.example.com/signup?token="),
    );
    let mut story = Story {
        service,
        clock,
        dispatcher,
        inbox: Inbox { notifier, shown: 0 },
        sms_destination: sms.destination,
        sms_files: sms.files,
    };
    let cast = monday::set_up_and_invite(&mut story).await?;
    monday::sign_up(&mut story, &cast).await?;
    week::reminders_resend_and_cancel(&mut story, &cast).await?;
    week::the_waitlist_moves(&mut story, &cast).await?;
    dashboard::dashboard(&story, &cast).await?;
    selection::resend_a_selection(&mut story, &cast).await?;
    dashboard::members_activity_and_audit(&story, &cast).await
}
