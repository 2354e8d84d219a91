//! # Integration guide
//!
//! For a team wiring the library into a web application: which call each route makes, how
//! to answer errors, which JSON the answers have, how to run the workers, which store to
//! take. Every example below compiles, and most run, on [`MemoryStore`](crate::MemoryStore)
//! (`cargo test --doc`); a framework's handler (axum, actix, ...) wraps each function in a
//! few lines, so the examples use none.
//!
//! The application keeps its HTTP layer, its sessions and its user accounts. The library
//! keeps the invitations: an [`InvitationService`](crate::InvitationService) decides and commits, a
//! [`Dispatcher`](crate::Dispatcher) delivers the outbox, and a few background loops
//! (section 4) do the rest.
//!
//! ## 1. The store
//!
//! - [`MemoryStore`](crate::MemoryStore): complete and safe under concurrency, but keeps
//!   nothing across restarts and serves one process. Tests, demos, development.
//! - `invite_sqlx::PgStore`: PostgreSQL, for production and for many application instances
//!   on one database. Build it with `PgStore::new(pool)` over the application's own sqlx
//!   pool and call `store.migrate().await?` at start-up (idempotent; safe from every
//!   instance). It passes the same conformance suite as `MemoryStore`.
//!
//! The rest of the application sees only the [`Store`](crate::Store) trait, so the choice
//! can be made at start-up, as the quickstart does with `DATABASE_URL`:
//!
//! ```
//! use invite_core::prelude::*;
//! use std::sync::Arc;
//!
//! /// What every handler gets: the service (and the dispatcher, for the workers).
//! struct App {
//!     service: InvitationService<Arc<dyn Store>, SystemClock>,
//! }
//!
//! fn app(store: Arc<dyn Store>) -> App {
//!     App { service: InvitationService::new(store, SystemClock) }
//! }
//! // In production: `Arc::new(invite_sqlx::PgStore::new(pool))`, migrated first.
//! let _app = app(Arc::new(MemoryStore::new()));
//! ```
//!
//! ## 2. Routes
//!
//! Each command names its [`Actor`](crate::Actor): build it from the application's session
//! ([`Actor::admin`](crate::Actor::admin), [`Actor::read_only`](crate::Actor::read_only),
//! with the role the application keeps for its user); the library checks what it may do
//! and answers 403, or 404 for another organization's ids (R10.1).
//!
//! | route (suggested) | call | answers |
//! |---|---|---|
//! | `POST /orgs/{org}/invitations` (the invite form) | [`invite_many`](crate::InvitationService::invite_many) | one [`InviteOutcome`](crate::InviteOutcome) per address |
//! | `POST /orgs/{org}/invitations/directory` (any number of users; "send invitation on import", see the `directory_import` example) | [`invite_directory_users`](crate::InvitationService::invite_directory_users) | the same |
//! | `POST /orgs/{org}/invitations/preview`, `.../directory/preview` (the confirmation dialog) | [`dry_run_invite_many`](crate::InvitationService::dry_run_invite_many), [`dry_run_directory_users`](crate::InvitationService::dry_run_directory_users) | a [`DryRun`](crate::DryRun): the answers, seats needed, messages |
//! | `POST /orgs/{org}/invitations/selection` (ticked rows: resend, cancel, edit access) | [`act_on_selection`](crate::InvitationService::act_on_selection), and [`dry_run_selection`](crate::InvitationService::dry_run_selection) for its dialog | one [`SelectionOutcome`](crate::SelectionOutcome) per id |
//! | `POST /orgs/{org}/users/actions` (ticked directory users) | [`act_on_users`](crate::InvitationService::act_on_users), [`dry_run_users`](crate::InvitationService::dry_run_users) | one [`UserOutcome`](crate::UserOutcome) per user |
//! | `POST /orgs/{org}/users/standing` (seed 001's filters) | [`standing_of_users`](crate::InvitationService::standing_of_users) | one [`UserStanding`](crate::UserStanding) per user |
//! | `GET /orgs/{org}/invitations?tab=&search=&sort=&order=&after=&limit=` and the filters of [`ListFilter`](crate::filter::ListFilter) (the table) | [`list`](crate::InvitationService::list) | [`Page`](crate::Page) |
//! | `GET /orgs/{org}/dashboard` (the header) | [`dashboard`](crate::InvitationService::dashboard) | [`Dashboard`](crate::Dashboard) |
//! | `GET /orgs/{org}/series?from=&to=` (the graphs) | [`series`](crate::InvitationService::series) | [`Series`](crate::Series) |
//! | `GET /invitations/{id}` | [`invitation`](crate::InvitationService::invitation) | [`InvitationView`](crate::InvitationView) |
//! | `POST /invitations/{id}/resend` | [`resend`](crate::InvitationService::resend) | the [`Invitation`](crate::Invitation) |
//! | `POST /invitations/{id}/cancel` | [`cancel`](crate::InvitationService::cancel) | the invitation |
//! | `PUT /invitations/{id}/access` | [`edit_access`](crate::InvitationService::edit_access) | the invitation |
//! | `POST /invitations/{id}/follow-up` | [`send_follow_up`](crate::InvitationService::send_follow_up) | the invitation |
//! | `POST /invitations/{id}/complete` | [`mark_completed`](crate::InvitationService::mark_completed) | the invitation |
//! | `DELETE /members/{id}` | [`remove_member`](crate::InvitationService::remove_member) | the [`Member`](crate::Member) |
//! | `GET /signup?token=` (the signup page) | [`preview_link`](crate::InvitationService::preview_link) | [`LinkPreview`](crate::LinkPreview) |
//! | `POST /signup` | [`sign_up`](crate::InvitationService::sign_up) | [`Signup`](crate::Signup) |
//! | the member's first login | [`record_first_login`](crate::InvitationService::record_first_login) | nothing |
//! | `GET /orgs/{org}/events?after=` (the audit trail) | [`events`](crate::InvitationService::events) | [`FeedPage`](crate::feed::FeedPage) |
//!
//! The table's row buttons come from [`Row::actions`](crate::Row::actions): render exactly
//! those, each posting to its route (`Resend`, `Cancel`, `EditAccess`, `SendFollowUp`,
//! `MarkCompleted`; `Details` opens the member). The query parameters map onto a
//! [`ListQuery`](crate::ListQuery), and `after` is the previous page's `next`, an opaque
//! string ([`Cursor::decode`](crate::Cursor::decode)):
//!
//! ```
//! use invite_core::prelude::*;
//! use invite_core::{Cursor, SortKey, SortOrder};
//! use serde_json::{Value, json};
//! use std::collections::HashMap;
//!
//! /// What a handler answers: a status and a JSON body.
//! #[derive(Debug)]
//! struct Reply { status: u16, body: Value }
//!
//! fn reply<T: serde::Serialize>(result: Result<T, Error>) -> Reply {
//!     match result {
//!         Ok(answer) => Reply { status: 200, body: serde_json::to_value(answer).unwrap() },
//!         Err(e) => error_reply(&e),
//!     }
//! }
//!
//! /// Section 3: the status from the error, the body its JSON; causes go to the log only.
//! fn error_reply(e: &Error) -> Reply {
//!     if e.http_status() >= 500 {
//!         eprintln!("invite: {e:?}");
//!     }
//!     Reply { status: e.http_status(), body: serde_json::to_value(e).unwrap() }
//! }
//!
//! /// POST /orgs/{org}/invitations: addresses one per line, the access as JSON.
//! async fn post_invitations<S: Store, C: Clock>(
//!     service: &InvitationService<S, C>, actor: &Actor, org: OrgId, addresses: &str,
//!     access: Value,
//! ) -> Reply {
//!     let Ok(access) = serde_json::from_value::<Access>(access) else {
//!         return error_reply(&Refusal::InvalidQuery("access".into()).into());
//!     };
//!     let addresses: Vec<&str> = addresses.lines().map(str::trim).filter(|a| !a.is_empty()).collect();
//!     reply(service.invite_many(actor, org, &addresses, access).await)
//! }
//!
//! /// The table's query parameters as a `ListQuery`; anything unknown is a 422.
//! fn list_query(params: &HashMap<&str, &str>) -> Result<ListQuery, Refusal> {
//!     let bad = |name: &str| Refusal::InvalidQuery(format!("bad {name}"));
//!     let mut query = ListQuery::tab(match params.get("tab").copied().unwrap_or("all") {
//!         "all" => Tab::All,
//!         "pending" => Tab::Pending,
//!         "never_used" => Tab::NeverUsed,
//!         "expired_or_failed" => Tab::ExpiredOrFailed,
//!         "completed" => Tab::Completed,
//!         _ => return Err(bad("tab")),
//!     });
//!     query.search = params.get("search").map(|s| s.to_string());
//!     query.sort = match params.get("sort").copied() {
//!         None | Some("last_invited") => SortKey::LastInvited,
//!         Some("signed_up") => SortKey::SignedUp,
//!         _ => return Err(bad("sort")),
//!     };
//!     query.order = match params.get("order").copied() {
//!         None | Some("newest") => SortOrder::NewestFirst,
//!         Some("oldest") => SortOrder::OldestFirst,
//!         _ => return Err(bad("order")),
//!     };
//!     if let Some(after) = params.get("after") {
//!         query.after = Some(Cursor::decode(after).ok_or_else(|| bad("after"))?);
//!     }
//!     if let Some(limit) = params.get("limit") {
//!         query.limit = limit.parse().map_err(|_| bad("limit"))?; // 1 to 500, checked by `list`
//!     }
//!     Ok(query)
//! }
//!
//! /// GET /orgs/{org}/invitations
//! async fn get_invitations<S: Store, C: Clock>(
//!     service: &InvitationService<S, C>, actor: &Actor, org: OrgId, params: &HashMap<&str, &str>,
//! ) -> Reply {
//!     match list_query(params) {
//!         Ok(query) => reply(service.list(actor, org, &query).await),
//!         Err(refusal) => error_reply(&refusal.into()),
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let service = InvitationService::new(MemoryStore::new(), SystemClock);
//! let operator = Actor::Operator { id: "vendor".into() };
//! let org = service
//!     .create_organization(&operator, "Acme", OrgKind::Standalone, OrgSettings::with_seats(10))
//!     .await?;
//! let admin = Actor::admin(org.id, "u-ann", "Ann Lee");
//!
//! // The invite form: one bad address never blocks the others.
//! let access = json!({"invitation_type": "User", "scope": {"Role": "ReadOnly"}});
//! let form = "bob@example.com\ncarol@example.com\n9051111111";
//! let r = post_invitations(&service, &admin, org.id, form, access.clone()).await;
//! assert_eq!(r.status, 200);
//! assert_eq!(r.body[0]["input"], "bob@example.com");
//! assert_eq!(r.body[0]["result"]["invited"]["channel"], "Email");
//! assert_eq!(r.body[2]["result"]["refused"]["code"], "invalid_contact");
//! // A read-only user may not invite.
//! let reader = Actor::read_only(org.id, "u-rita", "Rita Roe");
//! let r = post_invitations(&service, &reader, org.id, "dan@example.com", access).await;
//! assert_eq!((r.status, r.body["code"].as_str()), (403, Some("forbidden")));
//!
//! // The table, a page of one row at a time; `next` is the cursor string for `after`.
//! let first = get_invitations(&service, &admin, org.id, &HashMap::from([("limit", "1")])).await;
//! assert_eq!(first.body["rows"].as_array().unwrap().len(), 1);
//! assert_eq!(first.body["rows"][0]["status"], "Queued");
//! assert_eq!(first.body["rows"][0]["actions"], json!(["Cancel", "EditAccess"]));
//! let next = first.body["next"].as_str().unwrap();
//! let params = HashMap::from([("limit", "1"), ("after", next)]);
//! let second = get_invitations(&service, &admin, org.id, &params).await;
//! assert_ne!(second.body["rows"][0]["invitation"]["id"], first.body["rows"][0]["invitation"]["id"]);
//! let bad = get_invitations(&service, &admin, org.id, &HashMap::from([("after", "x")])).await;
//! assert_eq!((bad.status, bad.body["code"].as_str()), (422, Some("invalid_query")));
//!
//! // A row button: Cancel. A second click finds nothing left to cancel: 409.
//! let id: InvitationId = serde_json::from_value(first.body["rows"][0]["invitation"]["id"].clone())?;
//! assert_eq!(reply(service.cancel(&admin, id).await).status, 200);
//! let again = reply(service.cancel(&admin, id).await);
//! assert_eq!((again.status, again.body["code"].as_str()), (409, Some("action_not_allowed")));
//! # Ok(()) }
//! ```
//!
//! ### The signup page
//!
//! `GET /signup?token=...` calls [`preview_link`](crate::InvitationService::preview_link): the
//! organization, who invited, the address to pre-fill, the access and when the link expires,
//! or exactly the refusal a signup would meet (unknown 404; cancelled, expired, superseded
//! 410; used 409). It consumes nothing: call it on every GET.
//!
//! `POST /signup` calls [`sign_up`](crate::InvitationService::sign_up) with the id the application
//! will give the new account, chosen **before** the call and kept with the form, then
//! creates the account with [`Signup::member`](crate::Signup::member)'s access. If the
//! application's own account creation fails after the signup, answer an error and let the
//! user submit again (or retry in the handler): a signup retried with the same link and the
//! same user id answers the same signup, so the second attempt creates the account; a
//! different user id is still refused (`link_already_used`). Make the account insert
//! idempotent by that id too, since a retry may follow a success whose answer was lost. On
//! PostgreSQL the two can also commit together: `invite_sqlx::PgStore::with_commit_hook` with
//! a `SignupHook` runs the application's insert inside the library's transaction, so a
//! failing insert leaves no member and a working link (see invite-sqlx's README). Then
//! report the member's first login with
//! [`record_first_login`](crate::InvitationService::record_first_login) (Never Used becomes
//! Completed); later reports change nothing.
//!
//! ```
//! use invite_core::prelude::*;
//! use std::sync::Arc;
//!
//! /// The application's own accounts; here it fails the first insert.
//! struct Accounts { fail_next: bool, created: Vec<(UserRef, Access)> }
//!
//! impl Accounts {
//!     fn create(&mut self, user: &UserRef, access: &Access) -> Result<(), String> {
//!         if std::mem::take(&mut self.fail_next) {
//!             return Err("users table unavailable".into());
//!         }
//!         if !self.created.iter().any(|(u, _)| u == user) { // idempotent by user id
//!             self.created.push((user.clone(), access.clone()));
//!         }
//!         Ok(())
//!     }
//! }
//!
//! /// POST /signup
//! async fn post_signup<S: Store, C: Clock>(
//!     service: &InvitationService<S, C>, accounts: &mut Accounts, token: &str, user: &UserRef,
//! ) -> Result<Signup, Error> {
//!     let signup = service.sign_up(token, Some(user.clone())).await?;
//!     accounts
//!         .create(user, &signup.member.access)
//!         .map_err(|e| Error::Store(e.into()))?; // a 503: "try again"
//!     Ok(signup)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let store = Arc::new(MemoryStore::new());
//! # let notifier = Arc::new(RecordingNotifier::new());
//! # let service = InvitationService::new(store.clone(), SystemClock);
//! # let config = DispatcherConfig::new("https://app.example.com/signup?token=");
//! # let dispatcher = Dispatcher::new(store, notifier.clone(), SystemClock, config);
//! # let operator = Actor::Operator { id: "vendor".into() };
//! # let settings = OrgSettings::with_seats(5);
//! # let org = service.create_organization(&operator, "Acme", OrgKind::Standalone, settings).await?;
//! # let admin = Actor::admin(org.id, "u-ann", "Ann Lee");
//! # let bob = Contact::parse_email("bob@example.com")?;
//! # service.invite(&admin, org.id, bob, Channel::Email, Access::user(Role::ReadOnly)).await?;
//! # dispatcher.drain().await?;
//! # let url = notifier.delivered_to("bob@example.com").remove(0).signup_url.unwrap();
//! # let token = url.expose().rsplit_once("token=").unwrap().1.to_owned();
//! // GET /signup?token=...: as often as the page is shown.
//! for _ in 0..2 {
//!     let preview = service.preview_link(&token).await?;
//!     assert_eq!((preview.organization_name.as_str(), preview.invited_by.as_str()), ("Acme", "Ann Lee"));
//!     assert_eq!(preview.address, "bob@example.com");
//! }
//! let mut accounts = Accounts { fail_next: true, created: vec![] };
//! let user = UserRef::new("app-user-42");
//! let failed = post_signup(&service, &mut accounts, &token, &user).await.unwrap_err();
//! assert_eq!(failed.http_status(), 503);
//! // The user submits again: the same signup, and the account is created this time.
//! let signup = post_signup(&service, &mut accounts, &token, &user).await?;
//! assert_eq!(accounts.created.len(), 1);
//! let other = service.sign_up(&token, Some(UserRef::new("someone-else"))).await.unwrap_err();
//! assert_eq!((other.code(), other.http_status()), ("link_already_used", 409));
//! // The first login, reported by the application.
//! service.record_first_login(&Actor::Application, signup.member.id).await?;
//! let view = service.invitation(&admin, signup.invitation.id).await?;
//! assert_eq!(view.status, Status::Completed);
//! # Ok(()) }
//! ```
//!
//! ## 3. Errors
//!
//! [`Error::http_status`](crate::Error::http_status) is the status to answer with and
//! [`Error::code`](crate::Error::code) a stable snake_case code to branch on and translate
//! by; the JSON of an [`Error`](crate::Error) is `{"code", "status", "message"}` plus, for a
//! refusal, `"details"` with its fields. Four families:
//!
//! | status | what | the client |
//! |---|---|---|
//! | 4xx (404, 403, 422, 409, 410, 429) | a [`Refusal`](crate::Refusal): a rule says no; nothing changed | shows `message` (or its own text for `code`); a 429 says when in `details.retry_after` |
//! | 409, `code: "conflict"` | concurrent changes won every retry; nothing was written | retries the same request |
//! | 503, `code: "unavailable"` | the store or the random source failed | retries later (send `Retry-After`) |
//! | 500, `code: "internal"` | a bug: a commit broke a store invariant; nothing was written | reports it |
//!
//! A 409 refusal (`already_invited`, `seats_exhausted`, ...) is an answer, not a conflict:
//! retry only on `code: "conflict"`. Infrastructure errors say nothing of their cause in
//! JSON; log the error itself (`{e:?}`, with its sources).
//!
//! ```
//! use invite_core::{Error, Refusal};
//! use serde_json::json;
//!
//! let e = Error::from(Refusal::AlreadyInvited { address: "bob@example.com".into() });
//! assert_eq!(serde_json::to_value(&e).unwrap(), json!({
//!     "code": "already_invited",
//!     "status": 409,
//!     "message": "bob@example.com already has a live invitation",
//!     "details": {"address": "bob@example.com"},
//! }));
//! let e = Error::from(Refusal::LinkExpired);
//! assert_eq!(serde_json::to_value(&e).unwrap(), json!({
//!     "code": "link_expired", "status": 410, "message": "this link has expired",
//! }));
//! let e = Error::Store("connection refused".into());
//! assert_eq!(serde_json::to_value(&e).unwrap(), json!({
//!     "code": "unavailable", "status": 503, "message": "service unavailable, retry later",
//! }));
//! ```
//!
//! ## 4. Workers
//!
//! Four loops run beside the web server, in as many instances as you like:
//!
//! - **the dispatcher**: [`Dispatcher::drain`](crate::Dispatcher::drain) every second or so
//!   (it delivers batch after batch, the next prepared while one is delivered, until nothing
//!   is due; claims are leased: instances never send one message twice);
//! - **the reminder sweep**: [`sweep_reminders`](crate::InvitationService::sweep_reminders) every
//!   few minutes (one reminder per invitation and local day, however many instances sweep);
//! - **delivery reports**: the reports a transport sends after the fact (invite-sms's
//!   `SmsNotifier::delivery_reports()`), each handed to
//!   [`record_delivery_report`](crate::InvitationService::record_delivery_report), which is safe to
//!   call twice with one report;
//! - **the event feed**: [`events`](crate::InvitationService::events) as
//!   [`Actor::Application`](crate::Actor::Application) after a stored position, each event
//!   handled (a webhook, a search index), the position stored after it (section 6).
//!
//! Run each under a supervisor that survives a failing iteration (log it, wait longer after
//! each failure in a row) and stops on shutdown, between iterations. Raise the shutdown from
//! `tokio::signal::ctrl_c()` (tokio's `signal` feature) or the platform's SIGTERM:
//!
//! ```
//! use invite_core::prelude::*;
//! use invite_core::feed::{FeedPosition, FeedQuery};
//! use std::future::Future;
//! use std::sync::{Arc, Mutex};
//! use std::time::Duration;
//! use tokio::sync::watch;
//!
//! /// Runs `iteration` until shutdown: again at once while it answers `Ok(true)` (more to
//! /// do), after `every` when `Ok(false)`, after a growing wait on an error.
//! async fn supervise<F, Fut>(name: &str, every: Duration, mut shutdown: watch::Receiver<bool>, mut iteration: F)
//! where
//!     F: FnMut() -> Fut,
//!     Fut: Future<Output = Result<bool, Error>>,
//! {
//!     let mut failures = 0u32;
//!     while !*shutdown.borrow() {
//!         let wait = match iteration().await {
//!             Ok(true) => { failures = 0; continue }
//!             Ok(false) => { failures = 0; every }
//!             Err(e) => {
//!                 failures += 1;
//!                 eprintln!("{name}: iteration failed ({failures} in a row), will retry: {e}");
//!                 every * 2u32.pow(failures.min(6))
//!             }
//!         };
//!         tokio::select! {
//!             _ = shutdown.wait_for(|stop| *stop) => break, // raised, or the sender is gone
//!             () = tokio::time::sleep(wait) => {}
//!         }
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = Arc::new(MemoryStore::new());
//! let notifier = Arc::new(RecordingNotifier::new());
//! let service = Arc::new(InvitationService::new(store.clone(), SystemClock));
//! let config = DispatcherConfig::new("https://app.example.com/signup?token=");
//! let dispatcher = Arc::new(Dispatcher::new(store, notifier.clone(), SystemClock, config));
//! let (stop, shutdown) = watch::channel(false);
//! let tick = Duration::from_millis(5);
//!
//! let workers = vec![
//!     tokio::spawn(supervise("dispatcher", tick, shutdown.clone(), {
//!         let dispatcher = dispatcher.clone();
//!         move || {
//!             let dispatcher = dispatcher.clone();
//!             async move {
//!                 // Until nothing is due: then the tick's nap.
//!                 dispatcher.drain().await.map(|_| false)
//!             }
//!         }
//!     })),
//!     tokio::spawn(supervise("reminders", tick * 60, shutdown.clone(), {
//!         let service = service.clone();
//!         move || {
//!             let service = service.clone();
//!             async move { service.sweep_reminders().await.map(|_| false) }
//!         }
//!     })),
//! ];
//! // The feed consumer: its downstream fails once; the supervisor carries on.
//! let handled = Arc::new(Mutex::new(Vec::<String>::new()));
//! let cursor = Arc::new(Mutex::new(None::<FeedPosition>)); // a file or a table in real life
//! let feed = tokio::spawn(supervise("feed", tick, shutdown.clone(), {
//!     let (service, handled, cursor) = (service.clone(), handled.clone(), cursor.clone());
//!     let failed_once = Arc::new(Mutex::new(false));
//!     move || {
//!         let (service, handled, cursor) = (service.clone(), handled.clone(), cursor.clone());
//!         let failed_once = failed_once.clone();
//!         async move {
//!             let after = *cursor.lock().unwrap();
//!             let query = FeedQuery { after, ..FeedQuery::all() };
//!             let page = service.events(&Actor::Application, &query).await?;
//!             for event in &page.events {
//!                 if !std::mem::replace(&mut *failed_once.lock().unwrap(), true) {
//!                     return Err(Error::Store("downstream unavailable".into()));
//!                 }
//!                 handled.lock().unwrap().push(event.name.clone());
//!                 *cursor.lock().unwrap() = Some(event.position); // after handling: at least once
//!             }
//!             Ok(!page.events.is_empty())
//!         }
//!     }
//! }));
//!
//! // The web side invites; the workers deliver and follow the feed.
//! let operator = Actor::Operator { id: "vendor".into() };
//! let settings = OrgSettings::with_seats(5);
//! let org = service.create_organization(&operator, "Acme", OrgKind::Standalone, settings).await?;
//! let admin = Actor::admin(org.id, "u-ann", "Ann Lee");
//! let bob = Contact::parse_email("bob@example.com")?;
//! service.invite(&admin, org.id, bob, Channel::Email, Access::user(Role::ReadOnly)).await?;
//! let done = ["organization.created", "invitation.created", "invitation.delivered"];
//! tokio::time::timeout(Duration::from_secs(10), async {
//!     while *handled.lock().unwrap() != done {
//!         tokio::time::sleep(tick).await;
//!     }
//! })
//! .await?;
//! assert_eq!(notifier.delivered().len(), 1);
//!
//! stop.send(true)?; // shutdown: each loop ends after its current iteration
//! for worker in workers.into_iter().chain([feed]) {
//!     worker.await?;
//! }
//! # Ok(()) }
//! ```
//!
//! The delivery reports are a channel rather than a timer; a report that cannot be recorded
//! is retried, not dropped:
//!
//! ```
//! # use invite_core::prelude::*;
//! # use invite_core::DeliveryReport;
//! # use std::time::Duration;
//! # use tokio::sync::{mpsc, watch};
//! async fn record_reports<S: Store, C: Clock>(
//!     service: &InvitationService<S, C>,
//!     mut reports: mpsc::Receiver<DeliveryReport>, // `sms_notifier.delivery_reports()`
//!     mut shutdown: watch::Receiver<bool>,
//! ) {
//!     loop {
//!         let report = tokio::select! {
//!             _ = shutdown.wait_for(|stop| *stop) => return,
//!             report = reports.recv() => match report { Some(r) => r, None => return },
//!         };
//!         let mut wait = Duration::from_millis(100);
//!         while let Err(e) = service.record_delivery_report(&report).await {
//!             eprintln!("delivery report not recorded yet: {e}");
//!             tokio::select! {
//!                 _ = shutdown.wait_for(|stop| *stop) => return,
//!                 () = tokio::time::sleep(wait) => wait = (wait * 2).min(Duration::from_secs(30)),
//!             }
//!         }
//!     }
//! }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! # let service = InvitationService::new(MemoryStore::new(), SystemClock);
//! # let (tx, rx) = mpsc::channel(1);
//! # let (_stop, shutdown) = watch::channel(false);
//! # drop(tx);
//! # record_reports(&service, rx, shutdown).await; // the channel is closed: returns at once
//! # }
//! ```
//!
//! ## 5. JSON shapes
//!
//! Every answer serializes with serde as below (pinned by snapshot tests,
//! `invite-core/tests/json.rs`); ids are UUID strings, instants RFC 3339 in UTC, durations
//! whole seconds, statuses, tabs and actions their variant names (`"NeverUsed"`,
//! `"EditAccess"`), cursors and feed positions opaque strings.
//!
//! | answer | JSON |
//! |---|---|
//! | [`InviteOutcome`](crate::InviteOutcome) | `{"input", "result": {"invited": <invitation>}}` or `{"input", "result": {"refused": {"code", "details"}}}` |
//! | [`Invitation`](crate::Invitation) | `{"id", "org", "contact": {"email", "phone"}, "channel", "access", "user_ref", "sender", "created_at", "last_invited_at", "send_count", "last_sent_at", "expires_at", "awaiting_delivery", "link_generation", "failure", "signed_up_at", "member", "first_login_at", "completed", "last_follow_up_at", "closed"}` |
//! | [`Page`](crate::Page) | `{"rows": [{"invitation", "status", "actions"}], "next": "<cursor>" or null}` |
//! | [`InvitationView`](crate::InvitationView) | `{"invitation", "status", "actions"}` |
//! | [`Dashboard`](crate::Dashboard) | `{"org", "counts": {"all", "pending", "never_used", "expired_or_failed", "completed", "invited_by_email", "invited_by_sms"}, "seats": {"limit", "used", "available"}, "reminders_enabled"}` |
//! | [`LinkPreview`](crate::LinkPreview) | `{"invitation", "organization", "organization_name", "invited_by", "address", "channel", "invitation_type", "grants": [{"org_name", "role"}], "expires_at", "language", "time_zone"}` |
//! | [`Signup`](crate::Signup) | `{"member": {"id", "org", "contact", "user_ref", "access", "invitation", "joined_at", "removed_at"}, "invitation"}` |
//! | [`FeedPage`](crate::feed::FeedPage) | `{"events": [{"position": "0.7", "name": "invitation.accepted", "event": {"id", "org", "invitation", "actor", "at", "action", "before", "after"}}], "next"}` |
//! | [`Error`](crate::Error) | `{"code", "status", "message", "details"?}` (section 3) |
//!
//! ## 6. The event feed
//!
//! [`events`](crate::InvitationService::events) answers what happened, in one durable order, a page
//! after a [`FeedPosition`](crate::feed::FeedPosition): an organization's own users read its
//! feed (the audit trail, paged), the application and the operator every organization's.
//! Each consumer keeps its own position and stores it after handling an event, so it sees
//! every event at least once and in order; the event's `id` is stable, for deduplicating.
//! Names follow Clerk's and WorkOS's webhooks: `invitation.created`, `invitation.accepted`
//! (a signup), `invitation.cancelled` (their `revoked`), `invitation.delivered`,
//! `member.removed`, ... ([`AuditAction::name`](crate::AuditAction::name)).
//!
//! To send them as webhooks, the `invite-examples` crate has a relay to copy
//! (`invite_examples::webhook`, `cargo run -p invite-examples --bin webhook_relay`): each
//! event POSTed as JSON with `Invite-Event`, `Invite-Delivery` (the event id) and an
//! HMAC-SHA256 `Invite-Signature`, retried with back-off and jitter, its position kept in a
//! file written after each accepted event.
//!
//! ```
//! use invite_core::feed::{FeedEvent, FeedPosition};
//! let json = r#"{"position": "0.7", "name": "invitation.accepted", "event": {
//!     "id": "00000000-0000-0000-0000-000000000004",
//!     "org": "00000000-0000-0000-0000-000000000001",
//!     "invitation": "00000000-0000-0000-0000-000000000002",
//!     "actor": "Invitee", "at": "2026-03-03T12:00:00Z",
//!     "action": {"SignedUp": {"member": "00000000-0000-0000-0000-000000000003"}},
//!     "before": "Pending", "after": "NeverUsed"}}"#;
//! let event: FeedEvent = serde_json::from_str(json).unwrap();
//! assert_eq!(event.position, FeedPosition { major: 0, minor: 7 });
//! assert_eq!(event.event.action.name(), event.name);
//! ```
