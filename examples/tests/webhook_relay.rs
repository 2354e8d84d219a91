//! The webhook relay against a real HTTP server on 127.0.0.1, started in each test: it
//! answers as the test's script says and records every request. The relay is driven with
//! explicit `relay_once` calls and waits through a pause that records the delays and returns
//! at once, so no test sleeps.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use invite_core::feed::{FeedEvent, FeedPosition, FeedQuery};
use invite_core::{
    Access, Actor, Dispatcher, DispatcherConfig, InvitationService, ManualClock, MemoryStore,
    OrgId, OrgKind, OrgSettings, RecordingNotifier, Role,
};
use invite_examples::webhook::{Backoff, Pause, Relay, RelayConfig, Stop};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

const SECRET: &[u8] = b"whsec_test_secret";

type Service = InvitationService<Arc<MemoryStore>, Arc<ManualClock>>;

/// One request the server received.
#[derive(Clone, Debug)]
struct Received {
    event: String,
    delivery: String,
    signature: String,
    body: Bytes,
    status: u16,
    /// The cursor file's content when the request arrived.
    cursor_then: Option<String>,
}

/// What the server answers the `n`-th request (from 0) carrying `event`.
type Script = Box<dyn Fn(usize, &str) -> u16 + Send + Sync>;

struct Server {
    script: Script,
    cursor_file: PathBuf,
    received: Mutex<Vec<Received>>,
}

impl Server {
    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The bodies it accepted (2xx), as feed events.
    fn accepted(&self) -> Vec<FeedEvent> {
        (self.received().into_iter())
            .filter(|r| (200..300).contains(&r.status))
            .map(|r| serde_json::from_slice(&r.body).unwrap())
            .collect()
    }
}

/// The test's cursor directory goes with the server.
impl Drop for Server {
    fn drop(&mut self) {
        if let Some(dir) = self.cursor_file.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

async fn receive(State(server): State<Arc<Server>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| headers[name].to_str().unwrap().to_owned();
    let event = header("invite-event");
    let mut received = server.received.lock().unwrap();
    let status = (server.script)(received.len(), &event);
    received.push(Received {
        delivery: header("invite-delivery"),
        signature: header("invite-signature"),
        event,
        body,
        status,
        cursor_then: std::fs::read_to_string(&server.cursor_file).ok(),
    });
    StatusCode::from_u16(status).unwrap()
}

/// Starts the server; answers it and the relay's config (zero back-off, a fresh cursor file).
async fn serve(
    script: impl Fn(usize, &str) -> u16 + Send + Sync + 'static,
) -> (Arc<Server>, RelayConfig) {
    let cursor_file = std::env::temp_dir()
        .join(format!(
            "invite-relay-{}",
            invite_core::uuid::Uuid::new_v4()
        ))
        .join("cursor");
    let server = Arc::new(Server {
        script: Box::new(script),
        cursor_file: cursor_file.clone(),
        received: Mutex::new(Vec::new()),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/hooks", axum::routing::post(receive))
        .with_state(server.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut config = RelayConfig::new(&url, SECRET, cursor_file).unwrap();
    config.backoff = Backoff {
        initial: Duration::from_secs(1),
        max: Duration::from_secs(60),
        max_attempts: 5,
    };
    (server, config)
}

/// Records the waits asked for and returns at once; optionally raises the shutdown signal.
#[derive(Clone, Default)]
struct Recorded {
    delays: Arc<Mutex<Vec<Duration>>>,
    stop_on_pause: Option<Arc<watch::Sender<bool>>>,
}

#[async_trait::async_trait]
impl Pause for Recorded {
    async fn pause(&self, delay: Duration) {
        self.delays.lock().unwrap().push(delay);
        if let Some(stop) = &self.stop_on_pause {
            stop.send(true).unwrap();
        }
    }
}

/// An organization whose admin invites, with a dispatcher that delivers.
struct World {
    service: Arc<Service>,
    dispatcher: Dispatcher<Arc<MemoryStore>, Arc<RecordingNotifier>, Arc<ManualClock>>,
    clock: Arc<ManualClock>,
    org: OrgId,
}

impl World {
    /// One event so far: `organization.created`.
    async fn new() -> Self {
        let store = Arc::new(MemoryStore::new());
        let clock = Arc::new(ManualClock::new("2026-03-02T09:00:00Z".parse().unwrap()));
        let service = Arc::new(InvitationService::new(store.clone(), clock.clone()));
        let config = DispatcherConfig::new("https://app.example.com/signup?token=");
        let notifier = Arc::new(RecordingNotifier::new());
        let dispatcher = Dispatcher::new(store, notifier, clock.clone(), config);
        let operator = Actor::Operator {
            id: "vendor".into(),
        };
        let settings = OrgSettings::with_seats(50);
        let org = service
            .create_organization(&operator, "Acme", OrgKind::Standalone, settings)
            .await
            .unwrap();
        Self {
            service,
            dispatcher,
            clock,
            org: org.id,
        }
    }

    /// Two events per address: `invitation.created`, `invitation.delivered`.
    async fn invite(&self, addresses: &[&str]) {
        let admin = Actor::admin(self.org, "u-ann", "Ann Lee");
        let access = Access::user(Role::ReadOnly);
        let outcomes = self
            .service
            .invite_many(&admin, self.org, addresses, access)
            .await
            .unwrap();
        assert!(outcomes.iter().all(|o| o.result.is_ok()));
        self.dispatcher.drain().await.unwrap();
    }

    /// The whole feed, in order.
    async fn feed(&self) -> Vec<FeedEvent> {
        let query = FeedQuery {
            limit: 1000,
            ..FeedQuery::all()
        };
        self.service
            .events(&Actor::Application, &query)
            .await
            .unwrap()
            .events
    }

    fn relay(
        &self,
        config: &RelayConfig,
        pause: &Recorded,
    ) -> Relay<Arc<MemoryStore>, Arc<ManualClock>> {
        Relay::new(self.service.clone(), config.clone())
            .unwrap()
            .with_pause(pause.clone())
    }
}

/// Checks `Invite-Signature` the way a receiver would, with this test's own HMAC.
fn assert_signed(r: &Received, at: i64) {
    let (t, v1) = r.signature.split_once(",v1=").unwrap();
    assert_eq!(t, format!("t={at}"));
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET).unwrap();
    mac.update(format!("{at}.").as_bytes());
    mac.update(&r.body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(v1, hex, "signature of {}", r.delivery);
}

fn positions(events: &[FeedEvent]) -> Vec<FeedPosition> {
    events.iter().map(|e| e.position).collect()
}

#[tokio::test]
async fn every_event_arrives_once_in_feed_order_signed_after_two_500s() {
    let (server, config) = serve(|n, _| if n < 2 { 500 } else { 200 }).await;
    let world = World::new().await;
    world
        .invite(&["bob@example.com", "carol@example.com", "dan@example.com"])
        .await;
    let pause = Recorded::default();
    let relay = world.relay(&config, &pause);

    let report = relay.relay_once().await.unwrap();

    let feed = world.feed().await;
    assert_eq!(feed.len(), 7);
    assert_eq!(report.stopped, None);
    assert!(report.skipped.is_empty());
    assert_eq!(
        positions(&server.accepted()),
        positions(&feed),
        "each once, in feed order"
    );
    assert_eq!(server.accepted(), feed, "the body is the feed event");
    let positions_reported: Vec<_> = report.delivered.iter().map(|p| p.position).collect();
    assert_eq!(positions_reported, positions(&feed));
    assert_eq!(report.delivered[0].attempts, 3);
    assert!(
        report.delivered[1..]
            .iter()
            .all(|p| p.attempts == 1 && p.status == 200)
    );
    // Exponential back-off with jitter: the 1st retry waits 0.5-1 s, the 2nd 1-2 s.
    let delays = pause.delays.lock().unwrap().clone();
    assert_eq!(delays.len(), 2);
    assert!(delays[0] >= Duration::from_millis(500) && delays[0] <= Duration::from_secs(1));
    assert!(delays[1] >= Duration::from_secs(1) && delays[1] <= Duration::from_secs(2));

    let received = server.received();
    assert_eq!(
        received.len(),
        9,
        "7 events, 2 of the first one's attempts failed"
    );
    let at = world.clock.now_unix();
    for r in &received {
        assert_signed(r, at);
        let event: FeedEvent = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(r.event, event.name);
        assert_eq!(r.delivery, event.event.id.to_string());
    }
    // The retries of an event carry the same delivery id, so a receiver can deduplicate.
    assert!(
        received[..3]
            .iter()
            .all(|r| r.delivery == received[0].delivery)
    );
    // The cursor is written after each accepted event, before the next is sent.
    let accepted: Vec<_> = received.iter().filter(|r| r.status == 200).collect();
    assert_eq!(accepted[0].cursor_then, None);
    for (r, previous) in accepted[1..].iter().zip(&feed) {
        assert_eq!(
            r.cursor_then.as_deref(),
            Some(format!("{}\n", previous.position).as_str())
        );
    }
    assert_eq!(relay.cursor().load().unwrap(), Some(feed[6].position));
    assert!(
        relay.relay_once().await.unwrap().is_idle(),
        "nothing is sent twice"
    );
    assert_eq!(server.received().len(), 9);
}

#[tokio::test]
async fn a_second_relay_on_the_same_cursor_file_sends_only_the_new_events() {
    let (server, config) = serve(|_, _| 200).await;
    let world = World::new().await;
    world.invite(&["bob@example.com"]).await;
    let first = world.relay(&config, &Recorded::default());
    let report = first.relay_once().await.unwrap();
    assert_eq!(report.delivered.len(), 3);
    drop(first);

    world
        .invite(&["carol@example.com", "dan@example.com"])
        .await;
    let second = world.relay(&config, &Recorded::default());
    let report = second.relay_once().await.unwrap();

    let feed = world.feed().await;
    assert_eq!(report.after, Some(feed[2].position));
    assert_eq!(
        report.delivered.len(),
        4,
        "only the events after the stored cursor"
    );
    assert_eq!(
        server.accepted(),
        feed,
        "every event once, in order, across both relays"
    );
    assert_eq!(second.cursor().load().unwrap(), Some(feed[6].position));
}

#[tokio::test]
async fn a_410_is_skipped_and_reported_while_408_and_429_are_retried() {
    // The first request meets a 429, the second a 408; Carol's invitation gets 410 Gone.
    let (server, config) = serve(|n, event| match n {
        0 => 429,
        1 => 408,
        _ if event == "invitation.created" && n == 4 => 410,
        _ => 200,
    })
    .await;
    let world = World::new().await;
    world
        .invite(&["bob@example.com", "carol@example.com"])
        .await;
    let relay = world.relay(&config, &Recorded::default());

    let report = relay.relay_once().await.unwrap();

    let feed = world.feed().await;
    assert_eq!(report.delivered[0].attempts, 3, "429 and 408 are retried");
    assert_eq!(report.skipped.len(), 1);
    let skipped = &report.skipped[0];
    assert_eq!(
        (skipped.status, skipped.attempts),
        (410, 1),
        "a 410 is not retried"
    );
    assert_eq!(skipped.name, "invitation.created");
    assert_eq!(skipped.position, feed[2].position);
    let delivered: Vec<_> = report.delivered.iter().map(|p| p.position).collect();
    let rest: Vec<_> = positions(&feed)
        .into_iter()
        .filter(|p| *p != skipped.position)
        .collect();
    assert_eq!(delivered, rest, "the events after it go on");
    assert_eq!(report.stopped, None);
    assert_eq!(relay.cursor().load().unwrap(), Some(feed[4].position));
    assert!(
        relay.relay_once().await.unwrap().is_idle(),
        "a skipped event is not sent again"
    );
    assert_eq!(server.received().len(), 7);
}

#[tokio::test]
async fn an_event_that_keeps_failing_stops_the_page_and_is_sent_first_next_time() {
    let healthy = Arc::new(AtomicBool::new(false));
    let h = healthy.clone();
    let (server, mut config) =
        serve(move |_, _| if h.load(Ordering::SeqCst) { 200 } else { 503 }).await;
    config.backoff.max_attempts = 3;
    let world = World::new().await;
    world.invite(&["bob@example.com"]).await;
    let relay = world.relay(&config, &Recorded::default());

    let report = relay.relay_once().await.unwrap();
    let feed = world.feed().await;
    match &report.stopped {
        Some(Stop::GaveUp {
            position,
            attempts,
            last_error,
            ..
        }) => {
            assert_eq!((*position, *attempts), (feed[0].position, 3));
            assert_eq!(last_error, "HTTP 503");
        }
        other => panic!("expected GaveUp, got {other:?}"),
    }
    assert!(report.delivered.is_empty());
    assert_eq!(
        relay.cursor().load().unwrap(),
        None,
        "the cursor did not move"
    );

    healthy.store(true, Ordering::SeqCst);
    let report = relay.relay_once().await.unwrap();
    assert_eq!(report.delivered.len(), 3);
    assert_eq!(server.accepted(), feed);
}

#[tokio::test]
async fn network_errors_are_retried() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    drop(listener); // nothing listens there now: connection refused
    let dir = std::env::temp_dir().join(format!(
        "invite-relay-{}",
        invite_core::uuid::Uuid::new_v4()
    ));
    let mut config = RelayConfig::new(&url, SECRET, dir.join("cursor")).unwrap();
    config.backoff.max_attempts = 2;
    let world = World::new().await;
    let pause = Recorded::default();

    let report = world.relay(&config, &pause).relay_once().await.unwrap();

    match report.stopped {
        Some(Stop::GaveUp {
            attempts: 2,
            last_error,
            ..
        }) => {
            assert!(
                last_error.to_lowercase().contains("connect"),
                "{last_error}"
            );
        }
        other => panic!("expected GaveUp after 2 attempts, got {other:?}"),
    }
    assert_eq!(pause.delays.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_shutdown_during_retries_stops_cleanly_without_moving_the_cursor() {
    let (server, config) = serve(|_, _| 500).await;
    let world = World::new().await;
    let (stop, shutdown) = watch::channel(false);
    let pause = Recorded {
        stop_on_pause: Some(Arc::new(stop)),
        ..Recorded::default()
    };
    let relay = world.relay(&config, &pause).with_shutdown(shutdown);

    let report = relay.relay_once().await.unwrap();

    assert_eq!(report.stopped, Some(Stop::Shutdown));
    assert_eq!(server.received().len(), 1);
    assert_eq!(relay.cursor().load().unwrap(), None);
    let summary = relay
        .run(|_| panic!("no iteration after the shutdown"))
        .await;
    assert_eq!(summary.delivered, 0);
}

#[tokio::test]
async fn run_survives_a_failing_iteration_and_stops_on_shutdown() {
    // Three failures in a row: with 2 attempts per call, the first iteration gives up.
    let (server, mut config) = serve(|n, _| if n < 3 { 500 } else { 200 }).await;
    config.backoff.max_attempts = 2;
    let world = World::new().await;
    world
        .invite(&["bob@example.com", "carol@example.com"])
        .await;
    let (stop, shutdown) = watch::channel(false);
    let relay = world
        .relay(&config, &Recorded::default())
        .with_shutdown(shutdown);

    let mut results = Vec::new();
    let summary = relay
        .run(|result| {
            let report = result.expect("the feed reads fine");
            results.push(report.clone());
            if report.is_idle() {
                stop.send(true).unwrap(); // caught up: the test ends the worker
            }
        })
        .await;

    let feed = world.feed().await;
    assert!(matches!(results[0].stopped, Some(Stop::GaveUp { .. })));
    assert_eq!(summary.failed_iterations, 1);
    assert_eq!(summary.delivered, feed.len() as u64);
    assert_eq!(server.accepted(), feed);
    assert!(results.last().unwrap().is_idle());
}

/// The clock's time as unix seconds, as the relay signs with it.
trait UnixNow {
    fn now_unix(&self) -> i64;
}

impl UnixNow for ManualClock {
    fn now_unix(&self) -> i64 {
        invite_core::Clock::now(self).timestamp()
    }
}
