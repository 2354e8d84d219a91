//! What the handler tests share: a store that fails on demand, an actor taken from a test
//! header, and a request helper over `tower::ServiceExt::oneshot`.
#![allow(dead_code, unreachable_pub)]

pub mod openapi;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use invite_axum::{ActorSource, InviteApp, InviteWeb, MemoryCatalog, Rejection};
use invite_core::store::{Commit, CommitOutcome, Conflict, InvariantViolation, StoreError};
use invite_core::token::{LinkRecord, TokenHash};
use invite_core::*;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use tower::ServiceExt;

/// How the next commits behave.
pub const PASS: u8 = 0;
pub const CONFLICT: u8 = 1;
pub const DOWN: u8 = 2;
pub const INVARIANT: u8 = 3;

/// A real store (MemoryStore in these tests) whose commits can be made to fail: with a
/// conflict, an invariant violation, or, with `DOWN`, the database gone (then every read
/// fails too, as it would).
pub struct Faulty<S> {
    pub inner: S,
    pub mode: AtomicU8,
}

impl<S> Faulty<S> {
    /// The store, unless it is down.
    fn live(&self) -> Result<&S, StoreError> {
        match self.mode.load(Ordering::SeqCst) {
            DOWN => Err(StoreError::Backend("database is down".into())),
            _ => Ok(&self.inner),
        }
    }
}

#[async_trait::async_trait]
impl<S: Store + 'static> RecordStore for Faulty<S> {
    async fn commit(&self, commit: Commit) -> Result<CommitOutcome, StoreError> {
        match self.mode.load(Ordering::SeqCst) {
            CONFLICT => Err(StoreError::Conflict(Conflict::Version {
                entity: "invitation",
                id: "x".into(),
            })),
            DOWN => Err(StoreError::Backend("database is down".into())),
            INVARIANT => Err(StoreError::Invariant(
                InvariantViolation::ImmutableChanged {
                    entity: "invitation",
                    id: "x".into(),
                    field: "contact",
                },
            )),
            _ => self.inner.commit(commit).await,
        }
    }
    async fn organization(&self, id: OrgId) -> Result<Option<Organization>, StoreError> {
        self.live()?.organization(id).await
    }
    async fn organizations(&self, ids: &[OrgId]) -> Result<Vec<Organization>, StoreError> {
        self.live()?.organizations(ids).await
    }
    async fn invitation(&self, id: InvitationId) -> Result<Option<Invitation>, StoreError> {
        self.live()?.invitation(id).await
    }
    async fn invitations(&self, ids: &[InvitationId]) -> Result<Vec<Invitation>, StoreError> {
        self.live()?.invitations(ids).await
    }
    async fn open_invitations(
        &self,
        org: OrgId,
        keys: &[String],
    ) -> Result<Vec<Invitation>, StoreError> {
        self.live()?.open_invitations(org, keys).await
    }
    async fn invitations_for_users(
        &self,
        org: OrgId,
        users: &[UserRef],
    ) -> Result<Vec<Invitation>, StoreError> {
        self.live()?.invitations_for_users(org, users).await
    }
    async fn link(&self, hash: &TokenHash) -> Result<Option<LinkRecord>, StoreError> {
        self.live()?.link(hash).await
    }
    async fn member(&self, id: MemberId) -> Result<Option<Member>, StoreError> {
        self.live()?.member(id).await
    }
    async fn active_members(&self, org: OrgId, keys: &[String]) -> Result<Vec<Member>, StoreError> {
        self.live()?.active_members(org, keys).await
    }
    async fn seats(&self, org: OrgId, now: DateTime<Utc>) -> Result<Seats, StoreError> {
        self.live()?.seats(org, now).await
    }
}

invite_core::forward_outbox_and_views!(for Faulty<S> where S: [Store + 'static] => |this| this.live()?);

/// The actor is the JSON in the `x-test-actor` header.
pub struct HeaderActor;

#[async_trait::async_trait]
impl ActorSource for HeaderActor {
    async fn actor(&self, parts: &axum::http::request::Parts) -> Result<Actor, Rejection> {
        parts
            .headers
            .get("x-test-actor")
            .and_then(|v| serde_json::from_slice(v.as_bytes()).ok())
            .ok_or_else(|| Rejection::Unauthenticated("no test actor".into()))
    }
}

/// The app over a faulty memory store, a manual clock, and a recording notifier.
pub struct World {
    pub app: InviteApp,
    pub router: axum::Router,
    pub store: Arc<Faulty<MemoryStore>>,
    pub clock: Arc<ManualClock>,
    pub notifier: Arc<RecordingNotifier>,
    pub dispatcher: Dispatcher<Arc<Faulty<MemoryStore>>, Arc<RecordingNotifier>, Arc<ManualClock>>,
    pub operator: Actor,
    pub doc: openapi::Doc,
}

pub fn start() -> DateTime<Utc> {
    "2026-03-02T09:00:00Z".parse().expect("a time")
}

impl World {
    pub fn new() -> Self {
        Self::with(|web| web)
    }

    /// The app as `configure` sets it up.
    pub fn with(configure: impl FnOnce(InviteWeb) -> InviteWeb) -> Self {
        let store = Arc::new(Faulty {
            inner: MemoryStore::new(),
            mode: AtomicU8::new(PASS),
        });
        let clock = Arc::new(ManualClock::new(start()));
        let notifier = Arc::new(RecordingNotifier::new());
        let web = InviteWeb::new(store.clone(), clock.clone(), HeaderActor)
            .catalog(MemoryCatalog::default())
            .secure_cookies(false);
        let app = configure(web).build();
        let dispatcher = Dispatcher::new(
            store.clone(),
            notifier.clone(),
            clock.clone(),
            DispatcherConfig::new("http://app.test/signup?token="),
        );
        let router = app.router();
        Self {
            app,
            router,
            store,
            clock,
            notifier,
            dispatcher,
            operator: Actor::Operator { id: "ops".into() },
            doc: openapi::Doc::new(),
        }
    }

    pub fn mode(&self, mode: u8) {
        self.store.mode.store(mode, Ordering::SeqCst);
    }

    /// One request; answers the status, the headers and the body as JSON (or a string).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        actor: Option<&Actor>,
        body: Option<Value>,
    ) -> (StatusCode, axum::http::HeaderMap, Value) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(a) = actor {
            req = req.header("x-test-actor", serde_json::to_string(a).expect("json"));
        }
        let req = match &body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .expect("a request");
        let answer = self.send(req).await;
        // A body the API accepted is one its document describes.
        if let (Some(b), true) = (&body, answer.0.is_success() && path.starts_with("/api/")) {
            if let Err(e) = self.doc.check_request(method, path, b) {
                panic!("the request does not match the OpenAPI document: {e}");
            }
        }
        answer
    }

    /// One request. Every answer of the JSON API is checked against the OpenAPI document:
    /// its status is documented for the route and its body matches the schema.
    pub async fn send(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
        let method = req.method().as_str().to_owned();
        let path = req.uri().path().to_owned();
        let response = self.router.clone().oneshot(req).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        if path.starts_with("/api/") {
            if let Err(e) = self
                .doc
                .check_answer(&method, &path, status.as_u16(), &value)
            {
                panic!("the answer does not match the OpenAPI document: {e}");
            }
        }
        (status, headers, value)
    }

    pub async fn org(&self, name: &str, kind: Value, seats: u32) -> String {
        let mut body = serde_json::json!({ "name": name, "seat_limit": seats });
        body.as_object_mut()
            .expect("object")
            .extend(kind.as_object().expect("kind").clone());
        let (s, _, v) = self
            .call("POST", "/api/orgs", Some(&self.operator), Some(body))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["id"].as_str().expect("id").to_owned()
    }

    pub fn token_for(&self, address: &str) -> String {
        let n = self
            .notifier
            .delivered_to(address)
            .pop()
            .expect("a message");
        let url = n.signup_url.expect("a link");
        url.expose()
            .rsplit_once("token=")
            .expect("token")
            .1
            .to_owned()
    }
}

pub fn admin(org: &str) -> Actor {
    Actor::admin(OrgId(org.parse().expect("uuid")), "u-admin", "Ann Admin")
}

pub fn reader(org: &str) -> Actor {
    Actor::read_only(OrgId(org.parse().expect("uuid")), "u-reader", "Rob Reader")
}

/// A read-only user access, as JSON.
pub fn user() -> Value {
    serde_json::json!({ "type": "user", "role": "read_only" })
}

/// A standalone organization named Acme.
pub async fn standalone(w: &World, seats: u32) -> String {
    w.org("Acme", serde_json::json!({ "kind": "standalone" }), seats)
        .await
}
