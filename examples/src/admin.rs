//! The admin page, running: `invite-axum`'s router mounted under `/invite`, seeded with an
//! MSP and two clients and a standalone organization, with a development login that picks a
//! seeded user.
//!
//! ```sh
//! cargo run -p invite-examples --bin admin
//! ```
//!
//! On the embedded defaults (`MemoryStore`, e-mails as `.eml` files in `target/admin-mail/`)
//! unless `DATABASE_URL` (PostgreSQL, migrations applied) or `SMTP_URL` are set. The
//! dispatcher and the reminder sweep run in the background every two seconds. `PORT` picks
//! the port (default 8080). Open the URL it prints and pick a user.

use invite_axum::dev::DevLogin;
use invite_axum::{InviteWeb, MemoryCatalog};
use invite_core::{
    Access, Actor, Channel, ClientGrant, Contact, Delivered, Dispatcher, DispatcherConfig,
    InvitationService, Language, Notification, Notifier, NotifyError, OrgKind, OrgSettings,
    Organization, PermissionLevel, RecordingNotifier, Role, Store, SystemClock,
};
use std::sync::Arc;
use std::time::Duration;

type Res<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

async fn open_store() -> Res<Arc<dyn Store>> {
    match std::env::var("DATABASE_URL") {
        Ok(url) => {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(8)
                .connect(&url)
                .await?;
            let store = invite_sqlx::PgStore::new(pool);
            store.migrate().await?;
            println!("store: PostgreSQL from DATABASE_URL");
            Ok(Arc::new(store))
        }
        Err(_) => {
            println!("store: in memory (set DATABASE_URL for PostgreSQL)");
            Ok(Arc::new(invite_core::MemoryStore::new()))
        }
    }
}

async fn open_mail() -> Res<Arc<dyn Notifier>> {
    let from: invite_lettre::Mailbox = "Invitations <no-reply@invite.example>".parse()?;
    if let Ok(url) = std::env::var("SMTP_URL") {
        let smtp = invite_lettre::SmtpNotifier::from_url(&url, from)?.build()?;
        println!("e-mail: SMTP to {url}");
        return Ok(Arc::new(smtp));
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/admin-mail");
    std::fs::create_dir_all(&dir)?;
    let dir = dir.canonicalize()?;
    println!(
        "e-mail: .eml files in {} (set SMTP_URL for SMTP)",
        dir.display()
    );
    Ok(Arc::new(invite_lettre::FileNotifier::new(dir, from)))
}

/// E-mail through the real notifier; every message also recorded, so the seed can sign some
/// invitees up with the links they were sent. (SMS has no gateway here.)
struct Mail {
    email: Arc<dyn Notifier>,
    record: Arc<RecordingNotifier>,
}

#[async_trait::async_trait]
impl Notifier for Mail {
    async fn deliver(&self, n: &Notification) -> Result<Delivered, NotifyError> {
        if n.channel == Channel::Email {
            self.email.deliver(n).await?;
        }
        self.record.deliver(n).await
    }
}

struct World {
    acme: Organization,
    msp: Organization,
    alpha: Organization,
    beta: Organization,
}

async fn seed<S: Store, C: invite_core::Clock>(
    service: &InvitationService<S, C>,
    catalog: &MemoryCatalog,
) -> Res<World> {
    let operator = Actor::Operator {
        id: "vendor".into(),
    };
    let moscow = chrono_tz::Europe::Moscow;
    let create = |name: &'static str, kind, seats, language| {
        let settings = OrgSettings {
            language,
            time_zone: moscow,
            reminders_enabled: true,
            ..OrgSettings::with_seats(seats)
        };
        service.create_organization(&operator, name, kind, settings)
    };
    let acme = create("Acme", OrgKind::Standalone, 8, Language::En).await?;
    let msp = create("Northwind MSP", OrgKind::Msp, 10, Language::En).await?;
    let client = OrgKind::Client { msp: msp.id };
    let alpha = create("Alpha Bank", client, 5, Language::Ru).await?;
    let beta = create("Beta Logistics", client, 5, Language::En).await?;
    for org in [&acme, &msp, &alpha, &beta] {
        catalog.register(org);
    }
    let first_admin = Access::user(Role::Admin).as_admin(PermissionLevel::new("owner")?);
    let admins = [
        (&acme, "ann@acme.example", "u-ann"),
        (&msp, "mia@northwind.example", "u-mia"),
        (&alpha, "carl@alpha.example", "u-carl"),
        (&beta, "beth@beta.example", "u-beth"),
    ];
    for (org, address, user) in admins {
        let access = match org.kind {
            OrgKind::Msp => Access::msp_user(vec![ClientGrant {
                client: alpha.id,
                role: Role::Admin,
            }])
            .as_admin(PermissionLevel::new("owner")?),
            _ => first_admin.clone(),
        };
        service
            .add_member(
                &operator,
                org.id,
                Contact::parse_email(address)?,
                Some(invite_core::UserRef::new(user)),
                access,
            )
            .await?;
    }
    let ann = Actor::admin(acme.id, "u-ann", "Ann Lee");
    let reader = Access::user(Role::ReadOnly);
    let addresses = [
        "bob@acme.example",
        "cleo@acme.example",
        "dan@acme.example",
        "eve@acme.example",
        "+79051111111",
    ];
    service
        .invite_many(&ann, acme.id, &addresses, reader.clone())
        .await?;
    let mia = Actor::admin(msp.id, "u-mia", "Mia Moss");
    let grants = Access::msp_user(vec![
        ClientGrant {
            client: alpha.id,
            role: Role::Admin,
        },
        ClientGrant {
            client: beta.id,
            role: Role::ReadOnly,
        },
    ]);
    service
        .invite_many(
            &mia,
            msp.id,
            &["tech1@northwind.example", "tech2@northwind.example"],
            grants,
        )
        .await?;
    let carl = Actor::admin(alpha.id, "u-carl", "Carl Cole");
    service
        .invite_many(
            &carl,
            alpha.id,
            &["olga@alpha.example", "ivan@alpha.example"],
            reader.clone(),
        )
        .await?;
    let beth = Actor::admin(beta.id, "u-beth", "Beth Bell");
    service
        .invite_many(&beth, beta.id, &["sam@beta.example"], reader)
        .await?;
    Ok(World {
        acme,
        msp,
        alpha,
        beta,
    })
}

fn logins(login: &DevLogin, w: &World) {
    login.add(
        "ann",
        "Ann Lee: admin of Acme (standalone)",
        Actor::admin(w.acme.id, "u-ann", "Ann Lee"),
    );
    login.add(
        "rob",
        "Rob Roe: read-only user of Acme",
        Actor::read_only(w.acme.id, "u-rob", "Rob Roe"),
    );
    login.add(
        "mia",
        "Mia Moss: admin of Northwind MSP (MSP dashboard)",
        Actor::admin(w.msp.id, "u-mia", "Mia Moss"),
    );
    login.add(
        "carl",
        "Carl Cole: admin of Alpha Bank (client dashboard, Russian)",
        Actor::admin(w.alpha.id, "u-carl", "Carl Cole"),
    );
    login.add(
        "beth",
        "Beth Bell: admin of Beta Logistics (client dashboard)",
        Actor::admin(w.beta.id, "u-beth", "Beth Bell"),
    );
}

#[tokio::main]
async fn main() -> Res {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let origin = format!("http://127.0.0.1:{port}");
    let store = open_store().await?;
    let record = Arc::new(RecordingNotifier::new());
    let mail = Mail {
        email: open_mail().await?,
        record: record.clone(),
    };
    let config = DispatcherConfig::new(format!("{origin}/invite/signup?token="));
    let dispatcher = Dispatcher::new(store.clone(), mail, SystemClock, config);
    let service = InvitationService::new(store.clone(), SystemClock);
    let catalog = MemoryCatalog::default();
    let world = seed(&service, &catalog).await?;
    dispatcher.drain().await?;
    // Two of Acme's invitees sign up with the links they were sent; one of them logs in.
    for (address, logs_in) in [("bob@acme.example", true), ("cleo@acme.example", false)] {
        let Some(url) = record
            .delivered_to(address)
            .pop()
            .and_then(|n| n.signup_url)
        else {
            continue;
        };
        let Some((_, token)) = url.expose().rsplit_once("token=") else {
            continue;
        };
        let signup = service.sign_up(token, None).await?;
        if logs_in {
            service
                .record_first_login(&Actor::Application, signup.member.id)
                .await?;
        }
    }
    let login = DevLogin::new("/invite");
    logins(&login, &world);
    let app = InviteWeb::new(store.clone(), SystemClock, login.clone())
        .base_path("/invite")
        .catalog(catalog)
        .secure_cookies(false)
        .build();
    tokio::spawn(async move {
        loop {
            if let Err(e) = dispatcher.drain().await {
                eprintln!("dispatch failed, will retry: {e}");
            }
            if let Err(e) = service.sweep_reminders().await {
                eprintln!("reminder sweep failed, will retry: {e}");
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    });
    let router = axum::Router::new()
        .nest("/invite", app.router())
        .merge(login.router())
        .route(
            "/",
            axum::routing::get(|| async { axum::response::Redirect::to("/dev/login") }),
        );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("admin page: {origin}/ (pick a seeded user; Ctrl-C stops)");
    axum::serve(listener, router).await?;
    Ok(())
}
