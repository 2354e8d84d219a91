//! End to end on PostgreSQL (issue 8.7), the phases of the django-invitations comparison in
//! the issue, each beside a hand-written baseline in the same run, on the same server:
//!
//! - **create + deliver** 2,000 invitations, to a recording notifier and to the loopback
//!   SMTP server: the library with one `invite` call per person and with bulk calls
//!   (`invite_many`, 1,000 a call), then the dispatcher draining the outbox (batches of 100,
//!   8 in flight); the baseline, raw sqlx doing the same rows at the least cost a
//!   hand-written application could: one statement per person writing the invitation, its
//!   outbox row and its audit event (or one statement for all in the bulk case), then per
//!   batch of 100 a claim, the link hashes, the sends (a `Vec` push, or a bare nodelay lettre
//!   connection per task, 8 tasks) and one statement recording them;
//! - **accept** (sign up) 2,000 delivered invitations, sequentially and from 8 tasks: the
//!   library's `sign_up`, and the baseline's one statement per signup (link and invitation
//!   checked and locked, the seat counter checked under the organization's lock, the member,
//!   the invitation's signup and its audit event written).
//!
//! Each pair runs library, baseline, baseline, library, so a drifting load hits both sides
//! alike; the figures are per second over both runs, with the ratio to the baseline and to
//! django-invitations' figures measured on this machine (523/s, 258/s, 285/s).
//!
//! ```sh
//! cargo bench -p invite-benches --bench e2e
//! ```
//!
//! Needs `DATABASE_URL` (a fresh database `invite_bench_e2e` is made); `E2E_PEOPLE` changes
//! the 2,000; `E2E_PHASES=accept` or `create` runs only those phases (`sequential`: the
//! sequential accept alone); `E2E_SPLIT=1` prints
//! how each library create phase splits between inviting and delivering. The SMTP server is
//! `SMTP_TEST_URL` or one started from `scripts/smtp_server.py`.
//! `cargo test --benches` runs a small round (100 people).

#[path = "support/pg_database.rs"]
mod pg_database;
#[path = "support/smtp_server.rs"]
mod smtp_server;

use chrono::{DateTime, TimeDelta, Utc};
use invite_core::{
    Access, Actor, Channel, Clock, Contact, Dispatcher, DispatcherConfig, InvitationService,
    LinkToken, ManualClock, Notifier, OrgId, OrgKind, OrgSettings, RecordingNotifier, Role,
    ServiceConfig,
};
use invite_lettre::SmtpNotifier;
use invite_sqlx::PgStore;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use sqlx::PgPool;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const SIGNUP_URL_BASE: &str = "https://bench.example.com/signup?token=";
const PEOPLE: usize = 2_000;
/// Deliveries in flight: the dispatcher's default, the SMTP pool's size and the baseline's
/// connections.
const CONCURRENCY: usize = 8;
const BATCH: usize = 100;
const ACCEPT_TASKS: usize = 8;
/// django-invitations 2.1 on this machine (issue 8): create + deliver with in-memory mail,
/// over SMTP, and accept, per second.
const DJANGO_CREATE_DELIVER: f64 = 523.0;
const DJANGO_CREATE_DELIVER_SMTP: f64 = 258.0;
const DJANGO_ACCEPT: f64 = 285.0;

type Service = InvitationService<PgStore, Arc<ManualClock>>;

fn main() -> Result<(), BoxError> {
    let quick = !std::env::args().any(|a| a == "--bench");
    let people = std::env::var("E2E_PEOPLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 100 } else { PEOPLE });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    // Everything runs in a task on the runtime's workers, as an application's handlers and
    // worker loops do: from `block_on`'s own thread every answer from PostgreSQL would have
    // to wake that other thread (the SMS bench measured what that costs).
    runtime.block_on(async move { tokio::spawn(phases(people)).await? })
}

async fn phases(people: usize) -> Result<(), BoxError> {
    let Some(pool) = pg_database::fresh("invite_bench_e2e", 16).await else {
        eprintln!("DATABASE_URL is not set: skipping the end-to-end benches");
        return Ok(());
    };
    let (url, _server) = smtp_server::server()?;
    let bench = Bench::new(pool, url, people);
    // `E2E_PHASES=accept` (or `create`) runs those phases only, for profiling one;
    // `sequential` the sequential accept alone, whose every commit is one signup's (the
    // replay of benches/replay takes the last one).
    let phases = std::env::var("E2E_PHASES").unwrap_or_default();
    if phases.is_empty() || phases.contains("create") {
        bench.create_and_deliver().await?;
    }
    if phases.is_empty() || phases.contains("accept") {
        bench.accept(&[1, ACCEPT_TASKS]).await?;
    } else if phases.contains("sequential") {
        bench.accept(&[1]).await?;
    }
    Ok(())
}

struct Bench {
    pool: PgPool,
    smtp_url: String,
    people: usize,
    clock: Arc<ManualClock>,
    service: Arc<Service>,
    /// The service's store, for its group-commit figures.
    store: PgStore,
    /// The same service on a store that never groups commits.
    ungrouped: Arc<Service>,
}

/// Where the messages go.
#[derive(Clone, Copy, PartialEq)]
enum Sink {
    Recording,
    Smtp,
}

impl Bench {
    fn new(pool: PgPool, smtp_url: String, people: usize) -> Bench {
        let clock = Arc::new(ManualClock::new(bench_now()));
        let config = ServiceConfig {
            max_bulk: 1_000,
            ..ServiceConfig::default()
        };
        let store = PgStore::new(pool.clone());
        let service = Arc::new(InvitationService::with_config(
            store.clone(),
            clock.clone(),
            config.clone(),
        ));
        let ungrouped = Arc::new(InvitationService::with_config(
            PgStore::new(pool.clone()).group_commits(false),
            clock.clone(),
            config,
        ));
        Bench {
            pool,
            smtp_url,
            people,
            clock,
            service,
            store,
            ungrouped,
        }
    }

    /// A fresh organization with seats for everyone (not timed).
    async fn org(&self) -> Result<(OrgId, Actor), BoxError> {
        let org = self
            .service
            .create_organization(
                &Actor::Operator { id: "bench".into() },
                "E2E",
                OrgKind::Standalone,
                OrgSettings::with_seats(self.people as u32 + 10),
            )
            .await?;
        Ok((org.id, Actor::admin(org.id, "bench", "Bench Admin")))
    }

    fn addresses(&self) -> Vec<String> {
        let run = Uuid::new_v4().simple().to_string();
        (0..self.people)
            .map(|i| format!("p{i}-{}@example.com", &run[..10]))
            .collect()
    }

    async fn create_and_deliver(&self) -> Result<(), BoxError> {
        for sink in [Sink::Recording, Sink::Smtp] {
            let (what, django) = match sink {
                Sink::Recording => ("recording notifier", DJANGO_CREATE_DELIVER),
                Sink::Smtp => ("SMTP", DJANGO_CREATE_DELIVER_SMTP),
            };
            for bulk in [false, true] {
                let calls = if bulk { "bulk calls" } else { "one call each" };
                let (library, baseline) = pair(
                    || self.library_create_deliver(sink, bulk),
                    || self.baseline_create_deliver(sink, bulk),
                )
                .await?;
                report(
                    &format!("create + deliver {} ({what}, {calls})", self.people),
                    self.people,
                    library,
                    baseline,
                    django,
                );
            }
        }
        Ok(())
    }

    async fn accept(&self, task_counts: &[usize]) -> Result<(), BoxError> {
        for &tasks in task_counts {
            let before = self.store.group_commit_stats();
            let (library, baseline) = pair(
                || self.library_accept(&self.service, tasks),
                || self.baseline_accept(tasks),
            )
            .await?;
            let after = self.store.group_commit_stats();
            let how = if tasks == 1 {
                "sequential".to_owned()
            } else {
                format!("{tasks} tasks")
            };
            report(
                &format!("accept {} ({how})", self.people),
                self.people,
                library,
                baseline,
                DJANGO_ACCEPT,
            );
            let (calls, grouped) = (
                after.group_calls - before.group_calls,
                after.grouped_commits - before.grouped_commits,
            );
            println!(
                "e2e/accept {} ({how}): {grouped} of {} signups' commits went in {calls} group \
                 calls ({:.1} a call), {} groups refused",
                self.people,
                2 * self.people,
                grouped as f64 / calls.max(1) as f64,
                after.refused_groups - before.refused_groups,
            );
            if tasks > 1 {
                // The same work on a store that never groups: what grouping itself gives.
                let (off, on) = pair(
                    || self.library_accept(&self.ungrouped, tasks),
                    || self.library_accept(&self.service, tasks),
                )
                .await?;
                let rate = |t: Duration| per_second(self.people, t);
                println!(
                    "e2e/accept {} ({how}): group commit off {:.0}/s, on {:.0}/s (ratio {:.2})",
                    self.people,
                    rate(off),
                    rate(on),
                    off.as_secs_f64() / on.as_secs_f64(),
                );
            }
        }
        Ok(())
    }

    fn notifier(&self, sink: Sink) -> Result<(Arc<dyn Notifier>, Option<SmtpNotifier>), BoxError> {
        Ok(match sink {
            Sink::Recording => (Arc::new(RecordingNotifier::new()), None),
            Sink::Smtp => {
                let smtp = SmtpNotifier::from_url(&self.smtp_url, from()?)?
                    .pool_max_size(CONCURRENCY as u32)
                    .build()?;
                (Arc::new(smtp.clone()), Some(smtp))
            }
        })
    }

    /// The library: invites (one call each, or bulk), then the dispatcher drains the outbox.
    async fn library_create_deliver(&self, sink: Sink, bulk: bool) -> Result<Duration, BoxError> {
        let (org, admin) = self.org().await?;
        let addresses = self.addresses();
        let (notifier, smtp) = self.notifier(sink)?;
        if let Some(smtp) = &smtp {
            smtp.test_connection().await?;
        }
        let dispatcher = Dispatcher::new(
            PgStore::new(self.pool.clone()),
            notifier,
            self.clock.clone(),
            DispatcherConfig::new(SIGNUP_URL_BASE),
        );
        let started = Instant::now();
        if bulk {
            for chunk in addresses.chunks(1_000) {
                let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
                let outcomes = self
                    .service
                    .invite_many(&admin, org, &refs, Access::user(Role::ReadOnly))
                    .await?;
                assert!(outcomes.iter().all(|o| o.result.is_ok()), "all invited");
            }
        } else {
            for a in &addresses {
                self.service
                    .invite(
                        &admin,
                        org,
                        Contact::parse_email(a)?,
                        Channel::Email,
                        Access::user(Role::ReadOnly),
                    )
                    .await?;
            }
        }
        let invited = started.elapsed();
        let report = dispatcher.drain().await?;
        let elapsed = started.elapsed();
        if std::env::var_os("E2E_SPLIT").is_some() {
            eprintln!(
                "split bulk={bulk}: invites {invited:?}, delivery {:?}",
                elapsed - invited
            );
        }
        assert_eq!(report.sent as usize, self.people, "all delivered");
        if let Some(smtp) = smtp {
            smtp.shutdown().await;
        }
        Ok(elapsed)
    }

    /// The baseline: the same rows by hand.
    async fn baseline_create_deliver(&self, sink: Sink, bulk: bool) -> Result<Duration, BoxError> {
        let (org, _) = self.org().await?;
        let addresses = self.addresses();
        let mut senders = Vec::new();
        if sink == Sink::Smtp {
            let (host, port) = smtp_server::host_port(&self.smtp_url)?;
            for _ in 0..CONCURRENCY {
                let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
                tcp.set_nodelay(true)?;
                let hello = ClientId::default();
                senders.push(
                    AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &hello).await?,
                );
            }
        }
        let inbox: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
        let now = self.clock.now();
        let started = Instant::now();
        let ids: Vec<Uuid> = addresses.iter().map(|_| Uuid::new_v4()).collect();
        if bulk {
            for (ids, keys) in ids.chunks(1_000).zip(addresses.chunks(1_000)) {
                sqlx::query(BASELINE_CREATE_MANY)
                    .bind(ids)
                    .bind(org.0)
                    .bind(now)
                    .bind(keys)
                    .execute(&self.pool)
                    .await?;
            }
        } else {
            for (id, key) in ids.iter().zip(&addresses) {
                sqlx::query(BASELINE_CREATE_ONE)
                    .bind(id)
                    .bind(org.0)
                    .bind(now)
                    .bind(key)
                    .execute(&self.pool)
                    .await?;
            }
        }
        let mut delivered = 0;
        loop {
            let claimed: Vec<(Uuid, Uuid, String)> = sqlx::query_as(BASELINE_CLAIM)
                .bind(org.0)
                .bind(BATCH as i64)
                .bind(now + TimeDelta::minutes(5))
                .fetch_all(&self.pool)
                .await?;
            if claimed.is_empty() {
                break;
            }
            let tokens: Vec<LinkToken> = claimed
                .iter()
                .map(|_| LinkToken::mint())
                .collect::<Result<_, _>>()?;
            let hashes: Vec<Vec<u8>> = tokens.iter().map(|t| t.hash().0.to_vec()).collect();
            let invitations: Vec<Uuid> = claimed.iter().map(|c| c.1).collect();
            sqlx::query(BASELINE_LINKS)
                .bind(&hashes)
                .bind(&invitations)
                .bind(now)
                .execute(&self.pool)
                .await?;
            let messages: Vec<(String, String)> = claimed
                .iter()
                .zip(&tokens)
                .map(|(c, t)| (c.2.clone(), format!("{SIGNUP_URL_BASE}{}", t.expose())))
                .collect();
            match sink {
                Sink::Recording => inbox
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(messages),
                Sink::Smtp => senders = send_bare(senders, messages).await?,
            }
            let outbox: Vec<Uuid> = claimed.iter().map(|c| c.0).collect();
            sqlx::query(BASELINE_RECORD)
                .bind(&outbox)
                .bind(&invitations)
                .bind(now)
                .bind(org.0)
                .execute(&self.pool)
                .await?;
            delivered += claimed.len();
        }
        let elapsed = started.elapsed();
        assert_eq!(delivered, self.people, "all delivered");
        for mut s in senders {
            let _ = s.quit().await;
        }
        Ok(elapsed)
    }

    /// `people` delivered invitations of a fresh organization, and their tokens (not timed).
    async fn delivered(&self) -> Result<Vec<String>, BoxError> {
        let (org, admin) = self.org().await?;
        let addresses = self.addresses();
        for chunk in addresses.chunks(1_000) {
            let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
            self.service
                .invite_many(&admin, org, &refs, Access::user(Role::ReadOnly))
                .await?;
        }
        let notifier = Arc::new(RecordingNotifier::new());
        let dispatcher = Dispatcher::new(
            PgStore::new(self.pool.clone()),
            notifier.clone(),
            self.clock.clone(),
            DispatcherConfig::new(SIGNUP_URL_BASE),
        );
        dispatcher.drain().await?;
        let tokens: Vec<String> = notifier
            .delivered()
            .iter()
            .filter_map(|n| n.signup_url.as_ref())
            .filter_map(|u| u.expose().strip_prefix(SIGNUP_URL_BASE).map(str::to_owned))
            .collect();
        assert_eq!(tokens.len(), self.people);
        Ok(tokens)
    }

    async fn library_accept(
        &self,
        service: &Arc<Service>,
        tasks: usize,
    ) -> Result<Duration, BoxError> {
        let tokens = self.delivered().await?;
        let service = service.clone();
        spread(tokens, tasks, move |token| {
            let service = service.clone();
            async move {
                service.sign_up(&token, None).await?;
                Ok(())
            }
        })
        .await
    }

    async fn baseline_accept(&self, tasks: usize) -> Result<Duration, BoxError> {
        let tokens = self.delivered().await?;
        let (pool, now) = (self.pool.clone(), self.clock.now());
        spread(tokens, tasks, move |token| {
            let pool = pool.clone();
            async move {
                let hash = LinkToken::from_link(token).hash().0.to_vec();
                let done = sqlx::query(BASELINE_SIGN_UP)
                    .bind(hash)
                    .bind(now)
                    .execute(&pool)
                    .await?;
                assert_eq!(done.rows_affected(), 1, "the signup is recorded");
                Ok(())
            }
        })
        .await
    }
}

/// Runs `work` on every token from `tasks` tasks taking the next one in turn; answers the
/// time for all.
async fn spread<F, Fut>(tokens: Vec<String>, tasks: usize, work: F) -> Result<Duration, BoxError>
where
    F: Fn(String) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<(), BoxError>> + Send,
{
    let queue = Arc::new(Mutex::new(tokens));
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let (queue, work) = (queue.clone(), work.clone());
            tokio::spawn(async move {
                loop {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop();
                    let Some(token) = next else {
                        return Ok::<(), BoxError>(());
                    };
                    work(token).await?;
                }
            })
        })
        .collect();
    for h in handles {
        h.await??;
    }
    Ok(started.elapsed())
}

/// Sends `messages` over the bare connections, one task per connection taking the next
/// message in turn; answers the connections for the next batch.
async fn send_bare(
    senders: Vec<AsyncSmtpConnection>,
    messages: Vec<(String, String)>,
) -> Result<Vec<AsyncSmtpConnection>, BoxError> {
    let queue = Arc::new(Mutex::new(messages));
    let handles: Vec<_> = senders
        .into_iter()
        .map(|mut conn| {
            let queue = queue.clone();
            tokio::spawn(async move {
                loop {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop();
                    let Some((to, url)) = next else {
                        return Ok::<_, BoxError>(conn);
                    };
                    let message = lettre::Message::builder()
                        .from(from()?)
                        .to(to.parse()?)
                        .subject("You are invited to E2E")
                        .body(format!("Bench Admin invited you. Sign up: {url}\n"))?;
                    conn.send(message.envelope(), &message.formatted()).await?;
                }
            })
        })
        .collect();
    let mut back = Vec::new();
    for h in handles {
        back.push(h.await??);
    }
    Ok(back)
}

/// Two timed runs of each side, library first and last.
async fn pair<L, LF, B, BF>(library: L, baseline: B) -> Result<(Duration, Duration), BoxError>
where
    L: Fn() -> LF,
    LF: Future<Output = Result<Duration, BoxError>>,
    B: Fn() -> BF,
    BF: Future<Output = Result<Duration, BoxError>>,
{
    let l1 = library().await?;
    let b1 = baseline().await?;
    let b2 = baseline().await?;
    let l2 = library().await?;
    Ok((l1 + l2, b1 + b2))
}

/// `people` done twice (`pair` runs each side twice) in `t`, per second.
fn per_second(people: usize, t: Duration) -> f64 {
    2.0 * people as f64 / t.as_secs_f64()
}

fn report(what: &str, people: usize, library: Duration, baseline: Duration, django: f64) {
    let (l, b) = (per_second(people, library), per_second(people, baseline));
    println!(
        "e2e/{what}: invite {l:.0}/s, hand-written {b:.0}/s (ratio {:.2}); \
         django-invitations {django:.0}/s (ratio {:.2})",
        l / b,
        l / django,
    );
}

fn from() -> Result<lettre::message::Mailbox, BoxError> {
    Ok("Bench <bench@invite.example>".parse()?)
}

fn bench_now() -> DateTime<Utc> {
    "2026-03-02T12:00:00Z".parse().expect("a valid instant")
}

/// One person invited: the invitation, its outbox row and its audit event, in one statement.
/// `$1` id, `$2` organization, `$3` now, `$4` address.
const BASELINE_CREATE_ONE: &str = "\
    WITH i AS ( \
        INSERT INTO invite.invitations (id, org_id, channel, address_key, email_key, contact, \
            access, sender, created_at, last_invited_at, send_count, awaiting_delivery, \
            link_generation, version) \
        VALUES ($1, $2, 'email', $4, $4, \
            jsonb_build_object('email', jsonb_build_object('display', $4::text, 'key', $4::text), \
                'phone', NULL), \
            '{\"invitation_type\":\"User\",\"scope\":{\"Role\":\"ReadOnly\"}}'::jsonb, \
            '{\"user\":\"bench\",\"name\":\"Bench Admin\"}'::jsonb, $3, $3, 0, true, 1, 0) \
        RETURNING id), \
    o AS ( \
        INSERT INTO invite.outbox (id, org_id, invitation_id, kind, link_generation, created_at, \
            due_at, attempts, state) \
        SELECT gen_random_uuid(), $2, i.id, 'invitation', 1, $3, $3, 0, 'pending' FROM i) \
    INSERT INTO invite.audit_events (id, org_id, invitation_id, at, kind, action, actor, \
        after_status) \
    SELECT gen_random_uuid(), $2, i.id, $3, 'Invited', '\"Invited\"'::jsonb, \
        '{\"user\":\"bench\"}'::jsonb, 'queued' FROM i";

/// Many people invited, in one statement: `$1` ids, `$4` addresses.
const BASELINE_CREATE_MANY: &str = "\
    WITH i AS ( \
        INSERT INTO invite.invitations (id, org_id, channel, address_key, email_key, contact, \
            access, sender, created_at, last_invited_at, send_count, awaiting_delivery, \
            link_generation, version) \
        SELECT u.id, $2, 'email', u.key, u.key, \
            jsonb_build_object('email', jsonb_build_object('display', u.key, 'key', u.key), \
                'phone', NULL), \
            '{\"invitation_type\":\"User\",\"scope\":{\"Role\":\"ReadOnly\"}}'::jsonb, \
            '{\"user\":\"bench\",\"name\":\"Bench Admin\"}'::jsonb, $3, $3, 0, true, 1, 0 \
        FROM UNNEST($1::uuid[], $4::text[]) AS u(id, key) \
        RETURNING id), \
    o AS ( \
        INSERT INTO invite.outbox (id, org_id, invitation_id, kind, link_generation, created_at, \
            due_at, attempts, state) \
        SELECT gen_random_uuid(), $2, i.id, 'invitation', 1, $3, $3, 0, 'pending' FROM i) \
    INSERT INTO invite.audit_events (id, org_id, invitation_id, at, kind, action, actor, \
        after_status) \
    SELECT gen_random_uuid(), $2, i.id, $3, 'Invited', '\"Invited\"'::jsonb, \
        '{\"user\":\"bench\"}'::jsonb, 'queued' FROM i";

/// A batch of `$2` pending messages of organization `$1` leased until `$3`, with their
/// addresses.
const BASELINE_CLAIM: &str = "\
    WITH due AS ( \
        SELECT id FROM invite.outbox \
        WHERE org_id = $1 AND state = 'pending' AND lease_until IS NULL \
        ORDER BY due_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) \
    UPDATE invite.outbox o SET lease_token = gen_random_uuid(), lease_until = $3, \
        attempts = o.attempts + 1 \
    FROM due, invite.invitations i \
    WHERE o.id = due.id AND i.id = o.invitation_id \
    RETURNING o.id, o.invitation_id, i.email_key";

/// The link hashes `$1` of invitations `$2`, stored before the sends.
const BASELINE_LINKS: &str = "\
    INSERT INTO invite.links (hash, invitation_id, generation, issued_at) \
    SELECT u.hash, u.invitation_id, 1, $3 \
    FROM UNNEST($1::bytea[], $2::uuid[]) AS u(hash, invitation_id)";

/// A batch sent: messages `$1` done, invitations `$2` delivered at `$3` (72 hours valid),
/// with their audit events, in one statement.
const BASELINE_RECORD: &str = "\
    WITH v AS ( \
        UPDATE invite.invitations i SET awaiting_delivery = false, send_count = 1, \
            last_sent_at = $3, expires_at = $3 + interval '72 hours', version = i.version + 1 \
        WHERE i.id = ANY($2) RETURNING i.id), \
    a AS ( \
        INSERT INTO invite.audit_events (id, org_id, invitation_id, at, kind, action, actor, \
            before_status, after_status) \
        SELECT gen_random_uuid(), $4, v.id, $3, 'Delivered', '\"Delivered\"'::jsonb, \
            '\"Dispatcher\"'::jsonb, 'queued', 'pending' FROM v) \
    UPDATE invite.outbox o SET state = 'sent', sent_at = $3, lease_token = NULL, \
        lease_until = NULL \
    WHERE o.id = ANY($1)";

/// One signup with link hash `$1` at `$2`, in one statement: the link's invitation (open,
/// not failed, of the link's generation, not expired) locked; a seat under the
/// organization's lock (the member counter below the limit); the member; the invitation's
/// signup; its audit event. One row inserted when it signed up. The invitation is found by
/// its id alone, its open conditions inside a `CASE` where the planner cannot match them to a
/// partial index: written plainly, the generic plan PostgreSQL switches a prepared statement
/// to after five runs read it through `invitations_reserving` or
/// `invitations_one_open_per_address` (partial indexes whose predicates those conditions
/// imply) with a filter, 17-26 ms and 3,500 buffers a signup, and the baseline swung between
/// 170 and 1,100 signups a second from run to run.
const BASELINE_SIGN_UP: &str = "\
    WITH k AS (SELECT invitation_id, generation FROM invite.links WHERE hash = $1), \
    l AS ( \
        SELECT i.id, i.org_id, i.contact, i.email_key, i.access \
        FROM invite.invitations i \
        WHERE i.id = (SELECT invitation_id FROM k) \
            AND i.link_generation = (SELECT generation FROM k) AND i.expires_at > $2 \
            AND CASE WHEN i.signed_up_at IS NULL AND i.closed_at IS NULL AND NOT i.failed \
                THEN true ELSE false END \
        FOR UPDATE OF i), \
    s AS ( \
        SELECT o.id FROM invite.organizations o JOIN l ON o.id = l.org_id \
        WHERE o.active_members < o.seat_limit FOR NO KEY UPDATE OF o), \
    m AS ( \
        INSERT INTO invite.members (id, org_id, email_key, phone, contact, user_ref, access, \
            invitation_id, joined_at, removed_at, version) \
        SELECT gen_random_uuid(), l.org_id, l.email_key, NULL, l.contact, NULL, l.access, l.id, \
            $2, NULL, 0 FROM l JOIN s ON true \
        RETURNING id, invitation_id, org_id), \
    u AS ( \
        UPDATE invite.invitations i SET signed_up_at = $2, member_id = m.id, \
            version = i.version + 1 \
        FROM m WHERE i.id = m.invitation_id RETURNING i.id, i.org_id) \
    INSERT INTO invite.audit_events (id, org_id, invitation_id, at, kind, action, actor, \
        before_status, after_status) \
    SELECT gen_random_uuid(), u.org_id, u.id, $2, 'SignedUp', '\"SignedUp\"'::jsonb, \
        '\"Invitee\"'::jsonb, 'pending', 'never_used' FROM u";
