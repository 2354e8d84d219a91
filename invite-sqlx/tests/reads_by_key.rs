//! The decision reads find the organization's active members at an address by key, not by
//! scanning the organization's members (issue 8.5: a command costs the same in an
//! organization of any size). The signup's read (`SIGNUP_READS`) joined its members with an
//! `OR` of the e-mail and the phone conditions, and on statistics taken while the
//! organization was small the planner read every active member and filtered: 2,000 index
//! entries a signup in the e2e bench's organizations, more with each signup. Each read here
//! is planned on such statistics for an organization of 3,000 members and checked with
//! `EXPLAIN (ANALYZE, BUFFERS)`: no node reads rows to throw them away, none scans
//! `members`, and the read touches a few pages.

use invite_core::LinkToken;
use invite_core::testkit::{Harness, TestOrg};
use invite_sqlx::PgStore;
use serde_json::Value;
use sqlx::PgPool;
use sqlx::postgres::{PgArguments, Postgres};
use sqlx::query::QueryScalar;
use statement::statement;

#[path = "support/statement.rs"]
mod statement;

/// An `EXPLAIN` ready to have the read's parameters bound.
type Statement<'q> = QueryScalar<'q, Postgres, Value, PgArguments>;

const MEMBERS: i64 = 3_000;

/// Members `from + 1` to `to` of `org`, written directly (their contacts are never read).
async fn add_members(pool: &PgPool, org: uuid::Uuid, from: i64, to: i64) {
    sqlx::query(
        "INSERT INTO invite.members (id, org_id, email_key, phone, contact, user_ref, access, \
             invitation_id, joined_at, removed_at, version) \
         SELECT gen_random_uuid(), $1, 'm' || n || '@example.com', NULL, '{}'::jsonb, NULL, \
             '{}'::jsonb, NULL, now(), NULL, 0 \
         FROM generate_series($2 + 1, $3) AS n",
    )
    .bind(org)
    .bind(from)
    .bind(to)
    .execute(pool)
    .await
    .expect("the members are written");
}

/// A migrated store on `pool` with an organization of `MEMBERS` members whose statistics
/// were taken while it had 10: as between two autovacuum runs, which analyze a table only
/// after a tenth of it changed. Planned on such statistics, the `OR` read chose the
/// organization's member index and filtered.
async fn grown(pool: &PgPool) -> (PgStore, Harness<PgStore>, TestOrg) {
    let store = PgStore::new(pool.clone());
    store.migrate().await.expect("the migrations apply");
    let h = Harness::new(store.clone());
    let org = h.standalone(MEMBERS as u32 + 10).await;
    add_members(pool, org.id().0, 0, 10).await;
    sqlx::query("ANALYZE invite.members")
        .execute(pool)
        .await
        .expect("statistics");
    add_members(pool, org.id().0, 10, MEMBERS).await;
    (store, h, org)
}

/// The plan of `read` with its parameters bound by `bind`, as `EXPLAIN (ANALYZE, BUFFERS,
/// FORMAT JSON)` answers it.
async fn explained(pool: &PgPool, read: &str, bind: impl FnOnce(Statement) -> Statement) -> Value {
    let explain = format!("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {read}");
    bind(sqlx::query_scalar(&explain))
        .fetch_one(pool)
        .await
        .expect("the read is explained")
}

/// Every plan node under `node`, itself included.
fn nodes(node: &Value) -> Vec<&Value> {
    let mut all = vec![node];
    if let Some(children) = node.get("Plans").and_then(Value::as_array) {
        for child in children {
            all.extend(nodes(child));
        }
    }
    all
}

/// No node of `plan` reads rows to throw them away, none scans `members`, and the whole
/// read touches a few pages.
fn assert_reads_by_key(plan: &Value) {
    let root = &plan[0]["Plan"];
    for node in nodes(root) {
        // Rows read and thrown away, by the node's own filter or a join's.
        let removed = ["Rows Removed by Filter", "Rows Removed by Join Filter"]
            .iter()
            .map(|k| node[*k].as_i64().unwrap_or(0))
            .sum::<i64>();
        assert!(removed <= 10, "the read filtered {removed} rows: {node:#}");
        if node["Relation Name"] == "members" {
            assert_ne!(
                node["Node Type"], "Seq Scan",
                "the read scanned the members: {node:#}"
            );
        }
    }
    // The root's buffers count its children's.
    let pages = root["Shared Hit Blocks"].as_i64().unwrap_or(0)
        + root["Shared Read Blocks"].as_i64().unwrap_or(0);
    assert!(pages < 30, "the read touched {pages} pages: {plan:#}");
}

/// R3.1, R6.2: the signup's read of an organization with 3,000 members reads the member at
/// the invitation's address by key: no member row read and thrown away, a few pages in all;
/// and the signup it decides goes through.
#[sqlx::test(migrations = false)]
async fn r6_2_a_signups_read_finds_members_by_key_whatever_the_organizations_size(pool: PgPool) {
    let (store, h, org) = grown(&pool).await;
    let (_, token) = h.invite_delivered(&org, "ann@example.com").await;
    let hash = LinkToken::from_link(token.clone()).hash().0.to_vec();

    let read = statement(&store, "SIGNUP_READS");
    let plan = explained(&pool, &read, |q| q.bind(hash).bind(h.now())).await;
    assert_reads_by_key(&plan);
    h.sign_up(&token).await;
}

/// R2.7, R3.1: an invite's one read (`INVITE_READS`) of an organization with 3,000 members
/// finds the active member at the invited address by key, as the signup's does.
#[sqlx::test(migrations = false)]
async fn r2_7_an_invites_read_finds_members_by_key_whatever_the_organizations_size(pool: PgPool) {
    let (store, h, org) = grown(&pool).await;
    let read = statement(&store, "INVITE_READS");
    let keys = vec!["m2000@example.com".to_owned()];
    let plan = explained(&pool, &read, |q| {
        q.bind(org.id().0)
            .bind(Vec::<uuid::Uuid>::new())
            .bind(keys.clone())
            .bind(keys)
            .bind(h.now())
    })
    .await;
    assert_reads_by_key(&plan);
}
