//! Query plans at scale: fills a fresh database with 1,000,000 invitations (and their
//! members, links, outbox messages, reminder marks and audit events), then runs
//! `EXPLAIN (ANALYZE, BUFFERS)` on the store's own statements and writes the plans to
//! `invite-sqlx/EXPLAIN.md`. It fails if a plan reads one of the big tables sequentially.
//!
//! Ignored by default (it takes a few minutes); run it with
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo test --release -p invite-sqlx --test explain -- --ignored --nocapture
//! ```

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use invite_core::store::{OutboxStore, ViewStore};
use invite_core::{Cursor, InvitationId, ListQuery, OrgId, OrgSettings, SortKey, SortOrder, Tab};
use invite_sqlx::PgStore;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{Executor, PgPool, Postgres, Row};
use std::fmt::Write as _;
use std::time::Instant;

#[path = "support/statement.rs"]
mod statement;
use statement::statement;

const INVITATIONS: i64 = 1_000_000;
const ORGANIZATIONS: i64 = 100;

/// 100 organizations; organization 1 (the one the plans look at) holds every tenth
/// invitation, 100,000 of them, the 99 others share the rest.
const FILL_ORGANIZATIONS: &str = "\
    INSERT INTO invite.organizations (id, name, kind, msp_id, seat_limit, seat_policy, \
        reminders_enabled, settings, version) \
    SELECT md5('org' || n)::uuid, 'Org ' || n, 'standalone', NULL, 1000000, \
        'claim_on_signup', true, $2::jsonb, 0 \
    FROM generate_series(1, $1::int) n";

/// Every status in a realistic mix, by bucket `b = (n / 10) % 20`: 20% queued, 30% pending,
/// 15% expired, 5% failed, 10% never used, 15% completed, 5% cancelled. `$2` is "now".
const FILL_INVITATIONS: &str = "\
    INSERT INTO invite.invitations (id, org_id, channel, address_key, email_key, phone, contact, \
        access, user_ref, sender, created_at, last_invited_at, send_count, last_sent_at, \
        expires_at, awaiting_delivery, link_generation, failure, signed_up_at, member_id, \
        first_login_at, completed_at, completed_by, last_follow_up_at, closed_at, \
        close_reason, version) \
    SELECT md5('inv' || n)::uuid, \
        md5('org' || CASE WHEN n % 10 = 0 THEN 1 ELSE 2 + n % 99 END)::uuid, \
        'email', 'user' || n || '@example.com', 'user' || n || '@example.com', NULL, \
        jsonb_build_object('email', jsonb_build_object('display', 'User' || n || '@example.com', \
            'key', 'user' || n || '@example.com'), 'phone', NULL), \
        '{\"invitation_type\":\"User\",\"scope\":{\"Role\":\"ReadOnly\"}}'::jsonb, \
        NULL, '{\"user\":\"admin\",\"name\":\"Ann Admin\"}'::jsonb, \
        s.invited, s.invited, \
        CASE WHEN s.b < 4 THEN 0 ELSE 1 END, \
        CASE WHEN s.b < 4 THEN NULL ELSE s.invited + interval '1 minute' END, \
        CASE WHEN s.b < 4 THEN NULL ELSE s.invited + interval '72 hours 1 minute' END, \
        s.b < 4, 1, \
        CASE WHEN s.b = 13 THEN '\"SeatsExhausted\"'::jsonb END, \
        CASE WHEN s.b BETWEEN 14 AND 18 THEN s.invited + interval '2 hours' END, \
        CASE WHEN s.b BETWEEN 14 AND 18 THEN md5('mem' || n)::uuid END, \
        CASE WHEN s.b BETWEEN 16 AND 18 THEN s.invited + interval '3 hours' END, \
        CASE WHEN s.b BETWEEN 16 AND 18 THEN s.invited + interval '3 hours' END, \
        CASE WHEN s.b BETWEEN 16 AND 18 THEN 'first_login' END, \
        NULL, \
        CASE WHEN s.b = 19 THEN s.invited + interval '1 hour' END, \
        CASE WHEN s.b = 19 THEN '\"CancelledByAdmin\"'::jsonb END, \
        0 \
    FROM generate_series(1, $1::int) n \
    CROSS JOIN LATERAL (SELECT (n / 10) % 20 AS b, \
        $2::timestamptz - CASE \
            WHEN (n / 10) % 20 BETWEEN 4 AND 9 THEN ((n % 4000) || ' seconds')::interval \
            ELSE ((n % 5000000) || ' seconds')::interval + interval '100 hours' END AS invited) s";

const FILL_MEMBERS: &str = "\
    INSERT INTO invite.members (id, org_id, email_key, phone, contact, user_ref, access, \
        invitation_id, joined_at, removed_at, version) \
    SELECT i.member_id, i.org_id, i.email_key, NULL, i.contact, NULL, i.access, i.id, \
        i.signed_up_at, NULL, 0 \
    FROM invite.invitations i WHERE i.member_id IS NOT NULL";

const FILL_LINKS: &str = "\
    INSERT INTO invite.links (hash, invitation_id, generation, issued_at) \
    SELECT decode(md5('a' || i.id) || md5('b' || i.id), 'hex'), i.id, 1, i.last_sent_at \
    FROM invite.invitations i WHERE i.last_sent_at IS NOT NULL";

/// A pending message for each queued invitation, a sent one for each delivered.
const FILL_OUTBOX: &str = "\
    INSERT INTO invite.outbox (id, org_id, invitation_id, kind, link_generation, reminder_day, \
        created_at, due_at, attempts, last_error, state, sent_at, state_reason, lease_token, \
        lease_until) \
    SELECT md5('msg' || i.id)::uuid, i.org_id, i.id, 'invitation', 1, NULL, \
        i.last_invited_at, i.last_invited_at, \
        CASE WHEN i.awaiting_delivery THEN 0 ELSE 1 END, NULL, \
        CASE WHEN i.awaiting_delivery THEN 'pending' ELSE 'sent' END, \
        CASE WHEN i.awaiting_delivery THEN NULL ELSE i.last_sent_at END, NULL, NULL, NULL \
    FROM invite.invitations i WHERE i.awaiting_delivery OR i.last_sent_at IS NOT NULL";

/// Yesterday's reminder for every Pending or Never Used invitation.
const FILL_REMINDER_MARKS: &str = "\
    INSERT INTO invite.reminder_marks (invitation_id, day) \
    SELECT i.id, $1::date FROM invite.invitations i \
    WHERE i.closed_at IS NULL AND i.completed_at IS NULL AND i.failure IS NULL \
      AND NOT i.awaiting_delivery";

const FILL_AUDIT: &str = "\
    INSERT INTO invite.audit_events (id, org_id, invitation_id, at, kind, action, actor, \
        before_status, after_status) \
    SELECT md5(e.kind || i.id)::uuid, i.org_id, i.id, e.at, e.kind, to_jsonb(e.kind), \
        '\"System\"'::jsonb, NULL, NULL \
    FROM invite.invitations i \
    CROSS JOIN LATERAL (VALUES ('Invited', i.created_at), ('Delivered', i.last_sent_at), \
        ('SignedUp', i.signed_up_at)) AS e(kind, at) \
    WHERE e.at IS NOT NULL";

/// A statement ready to have its parameters bound.
type Statement = Query<'static, Postgres, PgArguments>;

/// One plan to show: a title, why it matters, the statement and its parameters.
struct Case {
    title: &'static str,
    note: &'static str,
    name: &'static str,
    bind: Box<dyn Fn(Statement) -> Statement>,
}

fn case(
    title: &'static str,
    note: &'static str,
    name: &'static str,
    bind: impl Fn(Statement) -> Statement + 'static,
) -> Case {
    Case {
        title,
        note,
        name,
        bind: Box::new(bind),
    }
}

async fn fill(pool: &PgPool, now: DateTime<Utc>) {
    let settings = serde_json::to_value(OrgSettings::with_seats(1_000_000)).unwrap();
    let mut tx = pool.begin().await.unwrap();
    let steps: [(&str, &str); 7] = [
        ("organizations", FILL_ORGANIZATIONS),
        ("invitations", FILL_INVITATIONS),
        ("members", FILL_MEMBERS),
        ("links", FILL_LINKS),
        ("outbox", FILL_OUTBOX),
        ("reminder marks", FILL_REMINDER_MARKS),
        ("audit events", FILL_AUDIT),
    ];
    for (what, sql) in steps {
        let started = Instant::now();
        let q = sqlx::query(sql);
        let q = match what {
            "organizations" => q.bind(ORGANIZATIONS as i32).bind(settings.clone()),
            "invitations" => q.bind(INVITATIONS as i32).bind(now),
            "reminder marks" => q.bind(now.date_naive() - TimeDelta::days(1)),
            _ => q,
        };
        let done = q.execute(&mut *tx).await.unwrap();
        eprintln!(
            "filled {what}: {} rows in {:?}",
            done.rows_affected(),
            started.elapsed()
        );
    }
    tx.commit().await.unwrap();
    let started = Instant::now();
    pool.execute("VACUUM ANALYZE").await.unwrap();
    eprintln!("vacuum analyze: {:?}", started.elapsed());
}

#[sqlx::test(migrations = false)]
#[ignore = "fills a million invitations; run by hand to refresh EXPLAIN.md"]
async fn explain_the_store_statements_on_a_million_invitations(pool: PgPool) {
    let now: DateTime<Utc> = "2026-03-02T12:00:00Z".parse().unwrap();
    let store = PgStore::new(pool.clone());
    store.migrate().await.unwrap();
    fill(&pool, now).await;

    let org: uuid::Uuid = sqlx::query_scalar("SELECT md5('org1')::uuid")
        .fetch_one(&pool)
        .await
        .unwrap();

    // Positions and keys taken from the data, as a caller would have them.
    let first = store
        .list(OrgId(org), &ListQuery::tab(Tab::All), now)
        .await
        .unwrap();
    let cursor: Cursor = first.next.expect("a second page");
    let hash: Vec<u8> = sqlx::query_scalar(
        "SELECT l.hash FROM invite.links l JOIN invite.invitations i ON i.id = l.invitation_id \
         WHERE i.org_id = $1 LIMIT 1",
    )
    .bind(org)
    .fetch_one(&pool)
    .await
    .unwrap();
    let middle: uuid::Uuid = sqlx::query_scalar(
        "SELECT id FROM invite.invitations WHERE org_id = $1 ORDER BY id OFFSET 50000 LIMIT 1",
    )
    .bind(org)
    .fetch_one(&pool)
    .await
    .unwrap();
    let today = now.date_naive();
    let cutoff: DateTime<Utc> = "2026-03-02T10:00:00Z".parse().unwrap();
    let keys = vec![
        "user10@example.com".to_owned(),
        "user20@example.com".to_owned(),
        "nobody@example.com".to_owned(),
    ];

    let cases = vec![
        case(
            "Dashboard (R9.1)",
            "Counts per tab and channel, members and seats of one organization: an index-only \
             scan of `invitations_dashboard`; the members are the organization row's counter.",
            "DASHBOARD",
            move |q| q.bind(org).bind(now),
        ),
        case(
            "Seats (R3.1)",
            "What `Store::seats` reads: the organization row (its member counter) and, under \
             ReserveOnInvite, the live reservations.",
            "SEATS",
            move |q| q.bind(org).bind(now),
        ),
        case(
            "The seat lock at commit time (R3.4)",
            "Taken first by every seat-checked commit; returns the member counter. Run in a \
             rolled-back transaction.",
            "LOCK_SEATS",
            move |q| q.bind(org),
        ),
        case(
            "Live reservations at commit time (R3.5)",
            "Counted under the lock under ReserveOnInvite: a range scan of \
             `invitations_reserving`, which reads only the invitations holding a seat at `$2` \
             (here the organization's 50,000 queued and pending ones, not its 100,000).",
            "RESERVED_SEATS",
            move |q| q.bind(org).bind(now),
        ),
        case(
            "List, All tab, newest first, first page (R9.2)",
            "Walks `invitations_list_by_last_invited` backwards and stops after 51 rows.",
            "LIST_INVITED_DESC_FIRST",
            move |q| {
                q.bind(org)
                    .bind("all")
                    .bind(now)
                    .bind(None::<String>)
                    .bind(None::<DateTime<Utc>>)
                    .bind(None::<uuid::Uuid>)
                    .bind(51i64)
            },
        ),
        case(
            "List, All tab, newest first, next page (R9.2)",
            "The keyset position is an index condition: the page starts where the last ended.",
            "LIST_INVITED_DESC_AFTER",
            move |q| {
                q.bind(org)
                    .bind("all")
                    .bind(now)
                    .bind(None::<String>)
                    .bind(cursor.key)
                    .bind(cursor.id.0)
                    .bind(51i64)
            },
        ),
        case(
            "List, Pending tab, oldest first (R9.2)",
            "The tab is a filter on the ordered index scan.",
            "LIST_INVITED_ASC_FIRST",
            move |q| {
                q.bind(org)
                    .bind("pending")
                    .bind(now)
                    .bind(None::<String>)
                    .bind(None::<DateTime<Utc>>)
                    .bind(None::<uuid::Uuid>)
                    .bind(51i64)
            },
        ),
        case(
            "List, Never Used tab, by signup date, newest first (R9.2)",
            "Uses the expression index `invitations_list_by_signed_up`.",
            "LIST_SIGNED_UP_DESC_FIRST",
            move |q| {
                q.bind(org)
                    .bind("never_used")
                    .bind(now)
                    .bind(None::<String>)
                    .bind(None::<DateTime<Utc>>)
                    .bind(None::<uuid::Uuid>)
                    .bind(51i64)
            },
        ),
        case(
            "List with a search (R9.2)",
            "Search is a case-insensitive substring, a filter on the ordered scan: it stops \
             as soon as the page is full, and reads the whole organization only when fewer \
             rows than a page match.",
            "LIST_INVITED_DESC_FIRST",
            move |q| {
                q.bind(org)
                    .bind("all")
                    .bind(now)
                    .bind(Some("user12".to_owned()))
                    .bind(None::<DateTime<Utc>>)
                    .bind(None::<uuid::Uuid>)
                    .bind(51i64)
            },
        ),
        case(
            "Token lookup (R6.2)",
            "The link hash is the primary key.",
            "LINK",
            move |q| q.bind(hash.clone()),
        ),
        case(
            "Outbox claim (R7.3)",
            "`FOR UPDATE SKIP LOCKED` over the partial index `outbox_due` (pending messages \
             only), oldest due first. Run in a rolled-back transaction.",
            "CLAIM_DUE",
            move |q| q.bind(now).bind(now + TimeDelta::minutes(5)).bind(50i64),
        ),
        case(
            "Reminder candidates, first page (R8.1)",
            "Walks `invitations_reminder_candidates` in id order; the day's marks are probed \
             by primary key.",
            "REMINDER_CANDIDATES_FIRST",
            move |q| q.bind(org).bind(500i64).bind(now).bind(cutoff).bind(today),
        ),
        case(
            "Reminder candidates, a later page (R8.1)",
            "The keyset position `id > $6` is an index condition.",
            "REMINDER_CANDIDATES_AFTER",
            move |q| {
                q.bind(org)
                    .bind(500i64)
                    .bind(now)
                    .bind(cutoff)
                    .bind(today)
                    .bind(middle)
            },
        ),
        case(
            "Open invitations to some addresses (R2.7)",
            "Read by every invite: the partial unique index.",
            "OPEN_INVITATIONS",
            {
                let keys = keys.clone();
                move |q| q.bind(org).bind(keys.clone())
            },
        ),
        case(
            "Active members at some addresses (R2.7)",
            "Read by every invite and signup.",
            "ACTIVE_MEMBERS",
            move |q| q.bind(org).bind(keys.clone()),
        ),
        case(
            "Daily activity for a month (R9.3)",
            "Audit events of one organization in a UTC window, grouped by local day.",
            "DAILY_ACTIVITY",
            move |q| {
                q.bind(org)
                    .bind(NaiveDate::from_ymd_opt(2026, 2, 1).unwrap())
                    .bind(NaiveDate::from_ymd_opt(2026, 3, 2).unwrap())
                    .bind("Europe/Berlin")
                    .bind("2026-01-30T00:00:00Z".parse::<DateTime<Utc>>().unwrap())
                    .bind("2026-03-05T00:00:00Z".parse::<DateTime<Utc>>().unwrap())
            },
        ),
        case(
            "Audit trail of one invitation (R10.2)",
            "",
            "AUDIT_OF_INVITATION",
            move |q| q.bind(org).bind(middle),
        ),
    ];

    let mut doc = String::new();
    writeln!(
        doc,
        "# Query plans on a million invitations\n\n\
         Produced by `invite-sqlx/tests/explain.rs` (an ignored test; see its header to run \
         it) on PostgreSQL {}, on a database holding {INVITATIONS} invitations across \
         {ORGANIZATIONS} organizations with their members, links, outbox messages, reminder \
         marks and audit events, after `VACUUM ANALYZE`. The organization planned for holds \
         100,000 invitations. Each plan is `EXPLAIN (ANALYZE, BUFFERS)` of the store's own \
         statement with the parameters it binds (a custom plan). The test fails if any plan \
         reads a big table sequentially.\n",
        sqlx::query_scalar::<_, String>("SHOW server_version")
            .fetch_one(&pool)
            .await
            .unwrap()
    )
    .unwrap();
    writeln!(
        doc,
        "| query | statement | execution time |\n| --- | --- | --- |"
    )
    .unwrap();
    let mut sections = String::new();
    let mut sequential = Vec::new();
    for c in &cases {
        let sql = statement(&store, c.name);
        // EXPLAIN in front of the store's own static statement (test code only).
        let explain = ["EXPLAIN (ANALYZE, BUFFERS) ", &sql].concat();
        let explain: &'static str = Box::leak(explain.into_boxed_str());
        // Warm the cache once, then plan: the numbers are those of a running system.
        let mut tx = pool.begin().await.unwrap();
        (c.bind)(sqlx::query(explain))
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        let rows = (c.bind)(sqlx::query(explain))
            .fetch_all(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", c.name));
        tx.rollback().await.unwrap();
        let plan: Vec<String> = rows.iter().map(|r| r.get::<String, _>(0)).collect();
        let plan = plan.join("\n");
        for table in [
            "invitations",
            "members",
            "links",
            "outbox",
            "reminder_marks",
            "audit_events",
        ] {
            if plan.contains(&format!("Seq Scan on {table}")) {
                sequential.push(format!("{}: Seq Scan on {table}", c.title));
            }
        }
        let time = plan
            .lines()
            .find_map(|l| l.trim().strip_prefix("Execution Time: "))
            .unwrap_or("?")
            .to_owned();
        writeln!(doc, "| {} | `{}` | {} |", c.title, c.name, time).unwrap();
        writeln!(sections, "\n## {}\n", c.title).unwrap();
        if !c.note.is_empty() {
            writeln!(sections, "{}\n", c.note).unwrap();
        }
        writeln!(
            sections,
            "Statement `{}`.\n\n```text\n{}\n```",
            c.name, plan
        )
        .unwrap();
    }

    // The same reads through the store, timed, to check they decode at scale too.
    writeln!(
        doc,
        "\nThe same reads through `PgStore`, wall time including decoding:\n"
    )
    .unwrap();
    writeln!(doc, "| call | rows | time |\n| --- | --- | --- |").unwrap();
    let t = Instant::now();
    let d = store.dashboard(OrgId(org), now).await.unwrap().unwrap();
    writeln!(
        doc,
        "| `dashboard` | {} listed | {:?} |",
        d.counts.all,
        t.elapsed()
    )
    .unwrap();
    for (what, tab, sort, order) in [
        (
            "list All, newest first",
            Tab::All,
            SortKey::LastInvited,
            SortOrder::NewestFirst,
        ),
        (
            "list Pending, oldest first",
            Tab::Pending,
            SortKey::LastInvited,
            SortOrder::OldestFirst,
        ),
        (
            "list Completed, by signup",
            Tab::Completed,
            SortKey::SignedUp,
            SortOrder::NewestFirst,
        ),
    ] {
        let query = ListQuery {
            sort,
            order,
            ..ListQuery::tab(tab)
        };
        let t = Instant::now();
        let page = store.list(OrgId(org), &query, now).await.unwrap();
        writeln!(
            doc,
            "| `list` ({what}) | {} | {:?} |",
            page.rows.len(),
            t.elapsed()
        )
        .unwrap();
    }
    let t = Instant::now();
    let candidates = store
        .reminder_candidates(&invite_core::store::ReminderQuery {
            org: OrgId(org),
            day: today,
            now,
            cutoff,
            after: Some(InvitationId(middle)),
            limit: 500,
        })
        .await
        .unwrap();
    writeln!(
        doc,
        "| `reminder_candidates` | {} | {:?} |",
        candidates.len(),
        t.elapsed()
    )
    .unwrap();

    doc.push_str(&sections);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/EXPLAIN.md");
    std::fs::write(path, doc).expect("EXPLAIN.md is writable");
    eprintln!("wrote {path}");
    assert!(sequential.is_empty(), "sequential scans: {sequential:#?}");
}
