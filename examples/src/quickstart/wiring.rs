//! The quickstart's wiring: the store, the e-mail and SMS notifiers behind one channel router,
//! the relay of SMS delivery receipts, and the recording notifier the story reads its "inbox"
//! from. Each piece is chosen from the environment in its own function, so an application can
//! copy the one it needs.

use crate::Res;
use invite_core::{
    Channel, ChannelRouter, Delivered, DeliveryReport, InvitationService, ManualClock, MemoryStore,
    Notification, Notifier, NotifyError, RecordingNotifier, ReportOutcome, Store,
};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc;

/// The store: PostgreSQL when `DATABASE_URL` is set (migrations applied here, one call), the
/// embedded in-memory store otherwise. The rest of the story only sees the `Store` trait.
pub(crate) async fn open_store() -> Res<Arc<dyn Store>> {
    match std::env::var("DATABASE_URL") {
        Ok(url) => open_postgres(&url).await,
        Err(_) => {
            println!("store: in memory (set DATABASE_URL to run on PostgreSQL)");
            Ok(Arc::new(MemoryStore::new()))
        }
    }
}

/// `invite_sqlx::PgStore` on `url`, its migrations applied.
#[cfg(feature = "postgres")]
async fn open_postgres(url: &str) -> Res<Arc<dyn Store>> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(5)
        .connect(url)
        .await?;
    let store = invite_sqlx::PgStore::new(pool);
    store.migrate().await?;
    println!("store: PostgreSQL from DATABASE_URL, migrations applied");
    Ok(Arc::new(store))
}

/// Built without the `postgres` feature: say so rather than ignore `DATABASE_URL`.
#[cfg(not(feature = "postgres"))]
async fn open_postgres(_url: &str) -> Res<Arc<dyn Store>> {
    Err(
        "DATABASE_URL is set, but this build has no PostgreSQL store: build with the \
         `postgres` feature (on by default)"
            .into(),
    )
}

/// The service of the story: shared with the task that records SMS delivery receipts.
pub(crate) type Service = InvitationService<Arc<dyn Store>, Arc<ManualClock>>;

/// The directory the development notifiers write into: `.eml` and `.sms` files side by side.
fn outbox_dir() -> Res<PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/quickstart-mail");
    std::fs::create_dir_all(&dir)?;
    Ok(dir.canonicalize()?)
}

/// The e-mail notifier: SMTP when `SMTP_URL` is set (for example
/// `smtp://127.0.0.1:2525?tls=none`), otherwise `.eml` files in `target/quickstart-mail/`.
pub(crate) async fn open_mail() -> Res<Arc<dyn Notifier>> {
    let from: invite_lettre::Mailbox =
        "Northwind Invitations <no-reply@northwind.example>".parse()?;
    match std::env::var("SMTP_URL") {
        Ok(url) => {
            let smtp = invite_lettre::SmtpNotifier::from_url(&url, from)?.build()?;
            smtp.test_connection().await?;
            println!("e-mail: SMTP to {}", without_credentials(&url));
            Ok(Arc::new(smtp))
        }
        Err(_) => {
            let dir = outbox_dir()?;
            println!(
                "e-mail: .eml files in {} (set SMTP_URL to send over SMTP)",
                dir.display()
            );
            Ok(Arc::new(invite_lettre::FileNotifier::new(dir, from)))
        }
    }
}

/// The SMS notifier, and where it sends.
pub(crate) struct Sms {
    pub(crate) notifier: Arc<dyn Notifier>,
    /// Where the messages go, for the run to say.
    pub(crate) destination: String,
    /// The directory of the `.sms` files, when they are written as files.
    pub(crate) files: Option<PathBuf>,
    /// The SMS centre's delivery receipts, when there is one.
    pub(crate) reports: Option<mpsc::Receiver<DeliveryReport>>,
}

/// The SMS notifier: an SMS centre over SMPP when `SMPP_URL` is set (for example
/// `smpp://invite:secret@127.0.0.1:2775?source=Northwind`), bound now so a wrong password or
/// an unreachable centre stops the run at once; otherwise `.sms` files beside the `.eml` files,
/// each segment as it would be sent.
pub(crate) async fn open_sms() -> Res<Sms> {
    match std::env::var("SMPP_URL") {
        Ok(url) => {
            let smpp = invite_sms::SmsNotifier::from_url(&url)?.build()?;
            smpp.connect().await?;
            let destination = format!("SMPP to {}", without_credentials(&url));
            let reports = smpp.delivery_reports();
            Ok(Sms {
                notifier: Arc::new(smpp),
                destination,
                files: None,
                reports,
            })
        }
        Err(_) => {
            let dir = outbox_dir()?;
            let source = invite_sms::SourceAddress::parse("Northwind")?;
            Ok(Sms {
                notifier: Arc::new(invite_sms::SmsFileNotifier::new(&dir, source)),
                destination: format!(
                    ".sms files in {} (set SMPP_URL to send over SMPP)",
                    dir.display()
                ),
                files: Some(dir),
                reports: None,
            })
        }
    }
}

/// One notifier for both channels: e-mail to `mail`, SMS to `sms`. A message by a channel with
/// no notifier would fail permanently, naming the channel.
pub(crate) fn channel_router(mail: Arc<dyn Notifier>, sms: Arc<dyn Notifier>) -> ChannelRouter {
    ChannelRouter::builder()
        .channel(Channel::Email, mail)
        .channel(Channel::Sms, sms)
        .build()
}

/// Hands each delivery receipt of the SMS centre to the service, which records it against the
/// message whose delivery returned that provider id: `UNDELIV` or `REJECTD` make the
/// invitation Failed with the reason. Runs until the notifier is dropped.
///
/// A receipt can overtake the dispatcher: the centre may send it as soon as it accepted the
/// message, before the dispatcher has committed the batch's outcomes (with the centre's id
/// for each message). The service then answers `UnknownMessage`, so such a receipt is tried
/// again a few times, a little later each time.
pub(crate) fn relay_delivery_reports(
    service: Arc<Service>,
    mut reports: mpsc::Receiver<DeliveryReport>,
) {
    tokio::spawn(async move {
        while let Some(report) = reports.recv().await {
            let service = service.clone();
            tokio::spawn(async move {
                let mut pause = std::time::Duration::from_millis(50);
                for _ in 0..6 {
                    match service.record_delivery_report(&report).await {
                        Ok(ReportOutcome::UnknownMessage) => {
                            tokio::time::sleep(pause).await;
                            pause *= 2;
                        }
                        Ok(outcome) => {
                            println!("SMS receipt {}: {outcome:?}", report.provider_id);
                            return;
                        }
                        Err(e) => {
                            eprintln!("SMS receipt {} not recorded: {e}", report.provider_id);
                            return;
                        }
                    }
                }
                eprintln!("SMS receipt {}: no such message", report.provider_id);
            });
        }
    });
}

/// Says where each SMS delivered so far went: its `.sms` file (named by `SmsFileNotifier` after
/// the number and the message id), or the SMS centre.
pub(crate) fn say_where_sms_went(
    destination: &str,
    files: Option<&std::path::Path>,
    sent: &[Notification],
) {
    for n in sent.iter().filter(|n| n.channel == Channel::Sms) {
        match files {
            Some(dir) => {
                let digits = n.to.trim_start_matches('+');
                let file = dir.join(format!("{digits}.{}.sms", n.message_id));
                println!("SMS to {}: {}", n.to, file.display());
            }
            None => println!("SMS to {}: {destination}", n.to),
        }
    }
}

/// `url` without its user and password, for printing.
fn without_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
            match rest[..authority_end].rfind('@') {
                Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
                None => url.to_owned(),
            }
        }
        None => url.to_owned(),
    }
}

/// Delivers through the channel router and records every delivered message, so the story can
/// print them and "click" their links. The router's answer (with the SMS centre's message id,
/// which receipts are matched by) is what the dispatcher records.
pub(crate) struct Recorded {
    /// Delivers each message by its channel.
    pub(crate) router: ChannelRouter,
    /// Keeps a copy of each delivered message.
    pub(crate) record: Arc<RecordingNotifier>,
}

#[async_trait::async_trait]
impl Notifier for Recorded {
    async fn deliver(&self, n: &Notification) -> Result<Delivered, NotifyError> {
        let delivered = self.router.deliver(n).await?;
        self.record.deliver(n).await?;
        Ok(delivered)
    }
}
