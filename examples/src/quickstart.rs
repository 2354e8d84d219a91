//! The quickstart: four days in the life of a managed service provider's invitations, told in
//! one run on the embedded defaults (no database, no mail server, no network).
//!
//! ```sh
//! cargo run -p invite-examples --bin quickstart
//! ```
//!
//! An application wires the same three pieces: an [`InvitationService`] over a store and a
//! clock, which decides; a [`Dispatcher`], which delivers the outbox through a notifier; and
//! the reads a dashboard needs. Here `MemoryStore` is the store, unless `DATABASE_URL` names a
//! PostgreSQL database: then the story runs on `invite_sqlx::PgStore`, which applies its
//! migrations first. The notifier is a [`ChannelRouter`]: each message goes to the notifier of
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

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use invite_core::{
    Access, Actor, Channel, ChannelRouter, ClientGrant, Clock, Contact, Dispatcher,
    DispatcherConfig, Error, InvitationService, Language, ListQuery, ManualClock, MemoryStore,
    Notification, OrgId, OrgKind, OrgSettings, PermissionLevel, RecordingNotifier, Refusal,
    ReportOutcome, Role, Status, Store, Tab,
};
use invite_core::{
    Delivered, DeliveryReport, MemberQuery, MemberState, MemberTab, Notifier, NotifyError,
};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc;

/// What the story returns: any error stops it with a non-zero exit code.
type Res<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// The store: PostgreSQL when `DATABASE_URL` is set (migrations applied here, one call), the
/// embedded in-memory store otherwise. The rest of the story only sees the `Store` trait.
async fn open_store() -> Res<Arc<dyn Store>> {
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
type Service = InvitationService<Arc<dyn Store>, Arc<ManualClock>>;

/// The directory the development notifiers write into: `.eml` and `.sms` files side by side.
fn outbox_dir() -> Res<PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/quickstart-mail");
    std::fs::create_dir_all(&dir)?;
    Ok(dir.canonicalize()?)
}

/// The e-mail notifier: SMTP when `SMTP_URL` is set (for example
/// `smtp://127.0.0.1:2525?tls=none`), otherwise `.eml` files in `target/quickstart-mail/`.
async fn open_mail() -> Res<Arc<dyn Notifier>> {
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
struct Sms {
    notifier: Arc<dyn Notifier>,
    /// Where the messages go, for the run to say.
    destination: String,
    /// The directory of the `.sms` files, when they are written as files.
    files: Option<PathBuf>,
    /// The SMS centre's delivery receipts, when there is one.
    reports: Option<mpsc::Receiver<DeliveryReport>>,
}

/// The SMS notifier: an SMS centre over SMPP when `SMPP_URL` is set (for example
/// `smpp://invite:secret@127.0.0.1:2775?source=Northwind`), bound now so a wrong password or
/// an unreachable centre stops the run at once; otherwise `.sms` files beside the `.eml` files,
/// each segment as it would be sent.
async fn open_sms() -> Res<Sms> {
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
fn channel_router(mail: Arc<dyn Notifier>, sms: Arc<dyn Notifier>) -> ChannelRouter {
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
fn relay_delivery_reports(service: Arc<Service>, mut reports: mpsc::Receiver<DeliveryReport>) {
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
fn say_where_sms_went(destination: &str, files: Option<&std::path::Path>, sent: &[Notification]) {
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
struct Recorded {
    router: ChannelRouter,
    record: Arc<RecordingNotifier>,
}

#[async_trait::async_trait]
impl Notifier for Recorded {
    async fn deliver(&self, n: &Notification) -> Result<Delivered, NotifyError> {
        let delivered = self.router.deliver(n).await?;
        self.record.deliver(n).await?;
        Ok(delivered)
    }
}

/// The organizations' time zone: reminders go out at 10:00 here, and dates are shown here.
const ZONE: Tz = chrono_tz::Europe::Moscow;

#[tokio::main]
async fn main() -> Res {
    // Wiring. The service decides and commits; the dispatcher delivers what was committed.
    let store = open_store().await?;
    let clock = Arc::new(ManualClock::new(at(2, 9, 0))); // Monday 2 March 2026, 09:00 Moscow
    let notifier = Arc::new(RecordingNotifier::new());
    let service = Arc::new(InvitationService::new(store.clone(), clock.clone()));
    let mail = open_mail().await?;
    let sms = open_sms().await?;
    println!("SMS: {}", sms.destination);
    if let Some(reports) = sms.reports {
        relay_delivery_reports(service.clone(), reports);
    }
    let delivery = Recorded {
        router: channel_router(mail, sms.notifier),
        record: notifier.clone(),
    };
    let dispatcher = Dispatcher::new(
        store.clone(),
        delivery,
        clock.clone(),
        DispatcherConfig::new("https://app.example.com/signup?token="),
    );
    let mut inbox = Inbox { notifier, shown: 0 };

    heading("1. The vendor's operator registers an MSP with two clients");
    let operator = Actor::Operator {
        id: "vendor-ops".into(),
    };
    let moscow = OrgSettings {
        time_zone: ZONE,
        ..OrgSettings::with_seats(3) // seats are the vendor's to set (R1.2)
    };
    let msp = service
        .create_organization(&operator, "Northwind MSP", OrgKind::Msp, moscow.clone())
        .await?;
    let client = OrgKind::Client { msp: msp.id };
    let alpha = service
        .create_organization(&operator, "Alpha Bank", client, OrgSettings::with_seats(10))
        .await?;
    let beta_settings = OrgSettings {
        language: Language::Ru, // Beta Retail's messages carry the language `ru` (R7.5)
        seat_limit: 5,
        ..moscow
    };
    let beta = service
        .create_organization(&operator, "Beta Retail", client, beta_settings)
        .await?;
    // The MSP's first admin is added directly. Admins hold a seat too (R3.1).
    let owner = Access::msp_user(vec![
        grant(alpha.id, Role::Admin),
        grant(beta.id, Role::Admin),
    ])
    .as_admin(PermissionLevel::new("owner")?);
    let olga_contact = Contact::parse_email("olga@northwind.example")?;
    service
        .add_member(
            &operator,
            msp.id,
            olga_contact,
            Some("u-olga".into()),
            owner,
        )
        .await?;
    let olga = Actor::admin(msp.id, "u-olga", "Olga Petrova");
    let seats = service.seats(&olga, msp.id).await?;
    println!(
        "{} with clients {} and {}; admin Olga added; seats used {} of {}",
        msp.name, alpha.name, beta.name, seats.used, seats.limit
    );

    heading(
        "2. Olga invites several addresses at once: read only on Alpha Bank, admin on Beta Retail",
    );
    let access = Access::msp_user(vec![
        grant(alpha.id, Role::ReadOnly),
        grant(beta.id, Role::Admin),
    ]);
    let addresses = [
        "ann@example.com",
        "Bob@Example.com",
        "carol@example.com",
        "erin@example.com",
        " ANN@example.COM ", // the same address as the first: trimmed, case-insensitive (R2.2)
        "+7 905 222-33-44",  // a phone number goes by SMS
        "dave@",             // not an address
        "9051111111",        // no country code
    ];
    // One answer per address; a bad address never blocks the others (R2.9).
    let outcomes = service
        .invite_many(&olga, msp.id, &addresses, access)
        .await?;
    table(
        ["address", "result"],
        outcomes.iter().map(|o| {
            let result = match &o.result {
                Ok(inv) => format!("invited by {}", inv.channel),
                Err(refusal) => format!("refused: {refusal}"),
            };
            [o.input.trim().to_owned(), result]
        }),
    );
    let invitation_of = |address: &str| {
        outcomes
            .iter()
            .find(|o| o.input == address)
            .and_then(|o| o.result.as_ref().ok())
            .map(|inv| inv.id)
            .ok_or_else(|| format!("{address} was not invited"))
    };
    let (carol_id, erin_id) = (
        invitation_of("carol@example.com")?,
        invitation_of("erin@example.com")?,
    );
    // A client's own admin invites too. That invitation belongs to Beta Retail: the MSP's
    // lists never show it, nor Beta's the MSP's (R2.6).
    let boris = Actor::admin(beta.id, "u-boris", "Борис Смирнов");
    let ivan = Contact::parse_email("ivan@beta.example")?;
    let user = Access::user(Role::ReadOnly);
    service
        .invite(&boris, beta.id, ivan, Channel::Email, user)
        .await?;

    heading("3. The dispatcher delivers the outbox; each link is minted now and stored as a hash");
    let report = dispatcher.drain().await?;
    inbox.print_new();
    println!("delivered {} of {} messages", report.sent, report.claimed);
    say_where_sms_went(
        &sms.destination,
        sms.files.as_deref(),
        &inbox.notifier.delivered(),
    );

    heading("4. Invitees sign up with the link from their message");
    clock.advance(TimeDelta::minutes(20));
    let ann = service
        .sign_up(&inbox.token_for("ann@example.com")?, Some("u-ann".into()))
        .await?;
    clock.advance(TimeDelta::minutes(25));
    let bob = service
        .sign_up(&inbox.token_for("bob@example.com")?, Some("u-bob".into()))
        .await?;
    // Olga, Ann and Bob hold all three seats: Carol's signup fails, and says why (R3.2).
    clock.advance(TimeDelta::hours(2));
    let carol_link = inbox.token_for("carol@example.com")?;
    let refusal = refused(service.sign_up(&carol_link, None).await, |r| {
        matches!(r, Refusal::SeatsExhausted)
    })?;
    let carol = service.invitation(&olga, carol_id).await?;
    ensure(
        carol.status == Status::Failed,
        "Carol's invitation should be Failed",
    )?;
    let reason = carol.invitation.failure().as_ref().map(ToString::to_string);
    let now = clock.now();
    table(
        ["invitee", "signup", "invitation now"],
        [
            [
                ann.invitation.contact.to_string(),
                "ok".into(),
                ann.invitation.status_at(now).to_string(),
            ],
            [
                bob.invitation.contact.to_string(),
                "ok".into(),
                bob.invitation.status_at(now).to_string(),
            ],
            [
                carol.invitation.contact.to_string(),
                format!("refused: {refusal}"),
                format!("{} ({})", carol.status, reason.unwrap_or_default()),
            ],
        ],
    );

    heading("5. Ann installs the agent and logs in; the application reports it");
    service
        .record_first_login(&Actor::Application, ann.member.id)
        .await?;
    let ann_now = service.invitation(&olga, ann.invitation.id).await?;
    println!(
        "ann@example.com: {} → {}",
        Status::NeverUsed,
        ann_now.status
    );
    ensure(
        ann_now.status == Status::Completed,
        "Ann should be Completed",
    )?;

    heading("6. Daily reminders, at 10:00 in each organization's own time zone");
    service.set_reminders(&olga, msp.id, true).await?;
    service.set_reminders(&boris, beta.id, true).await?;
    clock.set(at(3, 10, 0)); // Tuesday 10:00 in Moscow is 07:00 UTC
    let sweep = service.sweep_reminders().await?;
    println!(
        "{}: the sweep queues {} reminders in {} organizations",
        local(clock.now()),
        sweep.queued,
        sweep.organizations_due
    );
    dispatcher.drain().await?;
    inbox.print_new();
    // Run the sweep as often as you like: one reminder per invitation and local day (R8.2).
    let again = service.sweep_reminders().await?;
    println!(
        "a second sweep queues {}: one reminder per invitation and local day",
        again.queued
    );
    ensure(
        again.queued == 0,
        "a second sweep the same day should queue nothing",
    )?;

    heading("7. Resend and cancel");
    clock.advance(TimeDelta::minutes(30));
    // A resend needs a free seat, like an invite (R3.3); the MSP asks the vendor for one more.
    let refusal = refused(service.resend(&olga, carol_id).await, |r| {
        matches!(r, Refusal::NoSeatsAvailable)
    })?;
    println!("resend to Carol refused: {refusal}");
    service.change_seat_limit(&operator, msp.id, 4).await?;
    println!("the operator raises the limit to 4");
    service.resend(&olga, carol_id).await?;
    dispatcher.drain().await?;
    inbox.print_new();
    // The resend killed the older link (R5.2), and a double click sends nothing (cool-down).
    let refusal = refused(service.sign_up(&carol_link, None).await, |r| {
        matches!(r, Refusal::LinkSuperseded)
    })?;
    println!("Carol's first link: {refusal} (LinkSuperseded)");
    let refusal = refused(service.resend(&olga, carol_id).await, |r| {
        matches!(r, Refusal::ResendCooldown { .. })
    })?;
    println!("a second click on Resend: {refusal}");
    // Erin was invited by mistake: cancelling kills her link and drops her from every list.
    let erin_link = inbox.token_for("erin@example.com")?;
    service.cancel(&olga, erin_id).await?;
    let refusal = refused(service.sign_up(&erin_link, None).await, |r| {
        matches!(r, Refusal::LinkCancelled)
    })?;
    println!("Erin's invitation cancelled; her link: {refusal}");

    heading("8. Wednesday and Thursday");
    clock.set(at(4, 10, 0));
    let sweep = service.sweep_reminders().await?;
    let report = dispatcher.drain().await?;
    println!(
        "{}: {} reminders queued, {} delivered",
        local(clock.now()),
        sweep.queued,
        report.sent
    );
    // No sweeper expires anything: status is computed from the record and the time (R4.3).
    // The SMS invitation was delivered on Monday at 09:00; 72 hours later it is Expired.
    clock.set(at(5, 9, 30));
    println!("{}: Olga opens the dashboard", local(clock.now()));

    heading("Dashboard: Northwind MSP");
    let dash = service.dashboard(&olga, msp.id).await?;
    let counts = Tab::ALL.map(|tab| format!("{tab} {}", dash.counts.of(tab)));
    println!("tabs       {}", counts.join(" | "));
    let seats = dash.seats;
    let (limit, used, available) = (seats.limit, seats.used, seats.available);
    println!("seats      limit {limit}, used {used}, available {available}");
    let (email, sms) = (dash.counts.invited_by_email, dash.counts.invited_by_sms);
    println!("invited    by e-mail {email}, by SMS {sms}");
    let switch = if dash.reminders_enabled { "on" } else { "off" };
    println!("reminders  {switch}, daily at 10:00 {ZONE}");
    ensure(
        (dash.counts.all, used, available) == (4, 3, 1),
        "dashboard figures",
    )?;
    for tab in Tab::ALL {
        let page = service.list(&olga, msp.id, &ListQuery::tab(tab)).await?;
        println!("\n{tab}");
        table(
            [
                "address",
                "type",
                "status",
                "last invitation",
                "signed up",
                "actions",
            ],
            page.rows.iter().map(|row| {
                let inv = &row.invitation;
                let actions: Vec<String> = row.actions.iter().map(ToString::to_string).collect();
                [
                    inv.contact.to_string(),
                    inv.access().invitation_type.to_string(),
                    row.status.to_string(),
                    local(inv.last_invited_at()),
                    inv.signed_up_at().map(local).unwrap_or_default(),
                    actions.join(", "),
                ]
            }),
        );
    }
    let beta_dash = service.dashboard(&boris, beta.id).await?;
    println!(
        "\n(Beta Retail's own dashboard lists its {} invitation; the MSP's does not, R2.6)",
        beta_dash.counts.all
    );

    heading("Members: Northwind MSP (the first admin, added directly, and who signed up)");
    let members = service
        .members(&olga, msp.id, &MemberQuery::tab(MemberTab::All))
        .await?;
    table(
        ["member", "state", "invited by", "joined"],
        members.rows.iter().map(|row| {
            let invited_by = row.invitation.as_ref().map(|i| i.sender.name.clone());
            [
                row.member.contact.to_string(),
                row.state.to_string(),
                invited_by.unwrap_or_else(|| "added directly".into()),
                local(row.member.joined_at),
            ]
        }),
    );
    ensure(
        members
            .rows
            .iter()
            .any(|r| r.invitation.is_none() && r.state == MemberState::Completed),
        "the first admin is in the member list",
    )?;

    heading("Activity per day (for the graphs)");
    let series = service
        .series(&olga, msp.id, day(2026, 3, 2)?, day(2026, 3, 5)?)
        .await?;
    table(
        ["day", "invitations sent", "signups", "first logins"],
        series.days.iter().map(|d| {
            [
                d.day.format("%a %d %b").to_string(),
                d.invitations_sent.to_string(),
                d.signups.to_string(),
                d.first_logins.to_string(),
            ]
        }),
    );
    println!(
        "completed: {:.0}% of listed invitations",
        series.completion_share * 100.0
    );

    heading("Audit trail of Carol's invitation (excerpt)");
    let trail = service.audit_trail(&olga, msp.id, Some(carol_id)).await?;
    let status = |s: Option<Status>| s.map_or_else(|| "-".to_owned(), |s| s.to_string());
    table(
        ["when", "who", "what", "before", "after"],
        trail.iter().map(|e| {
            [
                local(e.at),
                e.actor.to_string(),
                format!("{:?}", e.action),
                status(e.before),
                status(e.after),
            ]
        }),
    );
    Ok(())
}

/// The messages the notifiers accepted, as `RecordingNotifier` kept them beside the real
/// delivery: a real application has no such copy; the story needs one to print the messages
/// and "click" their links.
struct Inbox {
    notifier: Arc<RecordingNotifier>,
    shown: usize,
}

impl Inbox {
    /// Prints the messages delivered since the last call.
    fn print_new(&mut self) {
        let delivered = self.notifier.delivered();
        table(
            ["message", "by", "to", "lang", "link"],
            delivered[self.shown..].iter().map(|n| {
                [
                    n.kind.to_string(),
                    n.channel.to_string(),
                    n.to.clone(),
                    language(n.language).to_owned(),
                    short_link(n),
                ]
            }),
        );
        self.shown = delivered.len();
    }

    /// The token of the newest link delivered to `to`: what the invitee clicks.
    fn token_for(&self, to: &str) -> Res<String> {
        let url = (self.notifier.delivered_to(to).into_iter().rev())
            .find_map(|n| n.signup_url)
            .ok_or_else(|| format!("no link was delivered to {to}"))?;
        let (_, token) = url
            .expose()
            .rsplit_once("token=")
            .ok_or("a link without a token")?;
        Ok(token.to_owned())
    }
}

/// The link of a message for display, its token cut to a short prefix: a secret never goes
/// whole into a log (R7.4).
fn short_link(n: &Notification) -> String {
    match &n.signup_url {
        None => "(no link: already signed up)".to_owned(),
        Some(url) => {
            let url = url.expose();
            let end = url
                .find("token=")
                .map_or(url.len(), |i| i + "token=".len() + 6);
            format!("{}…", &url[..end.min(url.len())])
        }
    }
}

fn language(language: Language) -> &'static str {
    match language {
        Language::En => "en",
        Language::Ru => "ru",
    }
}

fn grant(client: OrgId, role: Role) -> ClientGrant {
    ClientGrant { client, role }
}

/// An instant given as March 2026 day, hour and minute in Moscow.
fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    let local = ZONE.with_ymd_and_hms(2026, 3, day, hour, minute, 0);
    local
        .single()
        .expect("Moscow has no clock changes")
        .to_utc()
}

fn day(year: i32, month: u32, day: u32) -> Res<NaiveDate> {
    Ok(NaiveDate::from_ymd_opt(year, month, day).ok_or("no such day")?)
}

/// An instant as the organization's admins read it.
fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&ZONE).format("%a %d %b %H:%M").to_string()
}

/// The refusal a step is expected to meet. Success, another refusal or any other error stops
/// the story.
fn refused<T>(result: Result<T, Error>, expected: impl Fn(&Refusal) -> bool) -> Res<Refusal> {
    match result {
        Err(Error::Refused(r)) if expected(&r) => Ok(r),
        Err(e) => Err(format!("unexpected error: {e}").into()),
        Ok(_) => Err("expected a refusal, but the step succeeded".into()),
    }
}

/// Stops the story when something did not go as told.
fn ensure(ok: bool, what: &str) -> Res {
    if ok {
        Ok(())
    } else {
        Err(format!("unexpected: {what}").into())
    }
}

fn heading(title: &str) {
    println!("\n== {title}");
}

/// Prints rows under a header, in aligned columns.
fn table<const N: usize>(header: [&str; N], rows: impl IntoIterator<Item = [String; N]>) {
    let rows: Vec<[String; N]> = rows.into_iter().collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let print = |cells: [&str; N]| {
        let padded: Vec<String> = (cells.iter().zip(&widths))
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("  {}", padded.join("  ").trim_end());
    };
    print(header);
    for row in &rows {
        print(row.each_ref().map(String::as_str));
    }
    if rows.is_empty() {
        println!("  (none)");
    }
}
