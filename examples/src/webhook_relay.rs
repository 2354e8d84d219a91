//! The webhook relay, end to end on the embedded defaults: some activity on a `MemoryStore`,
//! relayed to `WEBHOOK_URL` by [`invite_examples::webhook::Relay`], then more activity while
//! the relay is down, and a new relay on the same cursor file that sends only what is new.
//!
//! ```sh
//! cargo run -p invite-examples --bin webhook_relay
//! WEBHOOK_URL=https://hooks.example.com/invite WEBHOOK_SECRET=whsec_... \
//!     cargo run -p invite-examples --bin webhook_relay
//! ```
//!
//! Without `WEBHOOK_URL` it starts a receiver of its own on 127.0.0.1, which checks every
//! signature and answers the first request with a 503, so the run shows a retry.
//! `WEBHOOK_SECRET` is the signing secret (a demo one by default), `RELAY_CURSOR_FILE` the
//! cursor file (`target/webhook-relay/cursor`, removed at start: the in-memory feed starts
//! empty on every run), and `WEBHOOK_FOLLOW=1` keeps following the feed until Ctrl-C. Ctrl-C
//! stops the relay cleanly at any point, during retries too.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use invite_core::{
    Access, Actor, Clock, Dispatcher, DispatcherConfig, InvitationService, MemoryStore, OrgKind,
    OrgSettings, RecordingNotifier, Role, SystemClock,
};
use invite_examples::webhook::{
    Backoff, DELIVERY_HEADER, EVENT_HEADER, Relay, RelayConfig, RelayReport, SIGNATURE_HEADER,
    signature,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::sync::watch;

type Res<T = ()> = Result<T, Box<dyn std::error::Error>>;

const DEMO_SECRET: &str = "whsec_demo_only_not_a_secret";

#[tokio::main]
async fn main() -> Res {
    let secret = std::env::var("WEBHOOK_SECRET").unwrap_or_else(|_| DEMO_SECRET.to_owned());
    let url = match std::env::var("WEBHOOK_URL") {
        Ok(url) => url,
        Err(_) => start_receiver(secret.clone().into_bytes()).await?,
    };
    println!("relaying to {url}");
    let cursor_file = match std::env::var("RELAY_CURSOR_FILE") {
        Ok(path) => PathBuf::from(path),
        // `target/` of the workspace, beside `examples/`.
        Err(_) => Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap_or(Path::new("."))
            .join("target/webhook-relay/cursor"),
    };
    // The store below is new on every run: an old cursor would point past its feed.
    match std::fs::remove_file(&cursor_file) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
        _ => {}
    }
    println!("cursor file: {}", cursor_file.display());

    // Ctrl-C raises the shutdown signal; the relay stops between events or during a wait.
    let (stop, shutdown) = watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            println!("\nshutdown requested");
            let _ = stop.send(true);
        }
    });

    let store = Arc::new(MemoryStore::new());
    let notifier = Arc::new(RecordingNotifier::new());
    let service = Arc::new(InvitationService::new(store.clone(), SystemClock));
    let signup_url = DispatcherConfig::new("https://app.example.com/signup?token=");
    let dispatcher = Dispatcher::new(store, notifier.clone(), SystemClock, signup_url);
    let mut config = RelayConfig::new(&url, secret, &cursor_file)?;
    config.backoff = Backoff {
        initial: Duration::from_millis(200),
        max: Duration::from_secs(5),
        max_attempts: 6,
    };

    heading("1. Activity: an organization, a bulk invite, the deliveries");
    let operator = Actor::Operator {
        id: "vendor".into(),
    };
    let settings = OrgSettings::with_seats(5);
    let org = service
        .create_organization(&operator, "Acme", OrgKind::Standalone, settings)
        .await?;
    let admin = Actor::admin(org.id, "u-ann", "Ann Lee");
    let addresses = ["bob@example.com", "carol@example.com", "not-an-address"];
    let outcomes = service
        .invite_many(&admin, org.id, &addresses, Access::user(Role::ReadOnly))
        .await?;
    for outcome in &outcomes {
        let result = match &outcome.result {
            Ok(_) => "invited".to_owned(),
            Err(refusal) => format!("refused ({})", refusal.code()),
        };
        println!("  {:<20} {result}", outcome.input);
    }
    let report = dispatcher.drain().await?;
    println!("  {} messages delivered", report.sent);

    heading("2. The relay sends the feed so far");
    let relay = Relay::new(service.clone(), config.clone())?.with_shutdown(shutdown.clone());
    if !relay_all(&relay).await? {
        return Ok(());
    }
    drop(relay);

    heading(
        "3. While the relay is down: Bob signs up and logs in, Carol's invitation is cancelled",
    );
    let url = (notifier.delivered_to("bob@example.com").pop())
        .and_then(|n| n.signup_url)
        .ok_or("Bob's message has no link")?;
    let (_, token) = url.expose().rsplit_once("token=").ok_or("no token")?;
    let signup = service.sign_up(token, Some("app-user-bob".into())).await?;
    service
        .record_first_login(&Actor::Application, signup.member.id)
        .await?;
    let carol = outcomes[1].result.as_ref().map_err(|r| r.to_string())?;
    service.cancel(&admin, carol.id).await?;
    println!("  done: 3 more events in the feed");

    heading("4. A new relay on the same cursor file sends only the new events");
    let relay = Relay::new(service, config)?.with_shutdown(shutdown);
    let after = relay.cursor().load()?;
    println!(
        "  stored cursor: {}",
        after.map_or("-".into(), |p| p.to_string())
    );
    if !relay_all(&relay).await? {
        return Ok(());
    }

    if std::env::var("WEBHOOK_FOLLOW").is_ok_and(|v| v == "1") {
        heading("5. Following the feed until Ctrl-C");
        let summary = relay
            .run(|result| match result {
                Ok(report) => print_report(report),
                Err(e) => println!("  iteration failed, will retry: {e}"),
            })
            .await;
        println!("  stopped: {summary:?}");
    }
    let stored = relay.cursor().load()?.map_or("-".into(), |p| p.to_string());
    println!("\ncursor file now holds {stored}");
    Ok(())
}

/// Relays page after page until the feed is caught up; `false` if the relay had to stop.
async fn relay_all<S: invite_core::Store, C: Clock>(relay: &Relay<S, C>) -> Res<bool> {
    loop {
        let report = relay.relay_once().await?;
        print_report(&report);
        if let Some(stop) = &report.stopped {
            println!("  relay stopped: {stop:?}");
            return Ok(false);
        }
        if report.is_idle() {
            return Ok(true);
        }
    }
}

fn print_report(report: &RelayReport) {
    for (posted, what) in (report.delivered.iter().map(|p| (p, "delivered"))).chain(
        report
            .skipped
            .iter()
            .map(|p| (p, "SKIPPED (rejected for good)")),
    ) {
        let tries = match posted.attempts {
            1 => String::new(),
            n => format!(" after {n} attempts"),
        };
        println!(
            "  {:<6} {:<28} {}  {} {what}{tries}",
            posted.position.to_string(),
            posted.name,
            posted.delivery,
            posted.status
        );
    }
}

/// A receiver on 127.0.0.1 that checks each signature, prints what it got, and answers the
/// very first request with a 503 to show a retry. Answers its URL.
async fn start_receiver(secret: Vec<u8>) -> Res<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/webhooks/invite", listener.local_addr()?);
    let requests = Arc::new(AtomicU32::new(0));
    let receive = move |headers: HeaderMap, body: Bytes| {
        let (secret, requests) = (secret.clone(), requests.clone());
        async move {
            let header = |name| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
            };
            let now = SystemClock.now().timestamp();
            let checked = signature::verify(&secret, header(SIGNATURE_HEADER), &body, now, 300);
            let n = requests.fetch_add(1, Ordering::Relaxed);
            let (status, note) = match checked {
                Err(e) => (StatusCode::UNAUTHORIZED, format!("bad signature: {e}")),
                Ok(()) if n == 0 => (StatusCode::SERVICE_UNAVAILABLE, "answering 503 once".into()),
                Ok(()) => (StatusCode::OK, "signature ok".into()),
            };
            println!(
                "    receiver <- {} ({}): {note}",
                header(EVENT_HEADER),
                header(DELIVERY_HEADER)
            );
            status
        }
    };
    let app = axum::Router::new().route("/webhooks/invite", axum::routing::post(receive));
    tokio::spawn(async move { axum::serve(listener, app).await });
    println!("no WEBHOOK_URL: started a receiver at {url}");
    Ok(url)
}

fn heading(title: &str) {
    println!("\n== {title}");
}
