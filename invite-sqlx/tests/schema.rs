//! A schema of its own (issue 10.3): the store's tables and its migrations bookkeeping live
//! in one schema, so it shares a database with an application that has tables of the same
//! names and sqlx migrations of its own, in any order, any number of times; two stores in
//! two schemas share nothing; and a database migrated the old way (everything in `public`)
//! is adopted with its data. Each test has its own database (`#[sqlx::test]`).

use invite_core::store::{RecordStore, ViewStore};
use invite_core::testkit::{Harness, email_invitation};
use invite_core::{
    Access, Actor, Member, MemberId, OrgKind, OrgSettings, Organization, Role, Status,
};
use invite_sqlx::PgStore;
use sqlx::migrate::Migrator;
use sqlx::{PgPool, Row};

/// The application's own migrations: tables `organizations` and `members` in `public`.
static APP_MIGRATOR: Migrator = sqlx::migrate!("tests/app_migrations");
const APP_VERSIONS: [i64; 2] = [20250101000000, 20250201000000];

async fn versions(pool: &PgPool, table: &str) -> Vec<i64> {
    // The table name is one of this file's constants.
    let sql = format!("SELECT version FROM {table} ORDER BY version");
    sqlx::query_scalar(sql.as_str())
        .fetch_all(pool)
        .await
        .expect("the bookkeeping table is readable")
}

async fn store_versions() -> Vec<i64> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
    let migrator = Migrator::new(std::path::Path::new(dir))
        .await
        .expect("the store's migrations are readable");
    migrator.iter().map(|m| m.version).collect()
}

/// The application's table is untouched: its columns and its row.
async fn assert_app_tables_intact(pool: &PgPool) {
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM public.organizations")
        .fetch_all(pool)
        .await
        .expect("the application's table is there");
    assert_eq!(names, vec!["the application's own".to_owned()]);
    let members: i64 = sqlx::query_scalar("SELECT count(*) FROM public.members")
        .fetch_one(pool)
        .await
        .expect("the application's second table is there");
    assert_eq!(members, 0);
}

/// The store works: an organization, an invite, a delivery, a signup, the dashboard.
async fn assert_store_works(store: PgStore) {
    let h = Harness::new(store);
    let acme = h.standalone(5).await;
    let (inv, token) = h.invite_delivered(&acme, "ann@example.com").await;
    h.sign_up(&token).await;
    assert_eq!(h.status(inv.id).await, Status::NeverUsed);
    let dashboard = h.service.dashboard(&acme.admin, acme.id()).await.unwrap();
    assert_eq!(dashboard.seats.used, 1);
    assert_eq!(dashboard.counts.never_used, 1);
}

async fn assert_bookkeeping_apart(pool: &PgPool) {
    assert_eq!(
        versions(pool, "public._sqlx_migrations").await,
        APP_VERSIONS
    );
    assert_eq!(
        versions(pool, "invite._sqlx_migrations").await,
        store_versions().await
    );
}

/// The application migrates first, then the store, then both again: no error, each
/// bookkeeping table holds its own versions only, and both sets of tables work.
#[sqlx::test(migrations = false)]
async fn application_then_store_migrations_share_a_database_twice(pool: PgPool) {
    let store = PgStore::new(pool.clone());
    for _ in 0..2 {
        APP_MIGRATOR
            .run(&pool)
            .await
            .expect("the application migrates");
        store.migrate().await.expect("the store migrates");
    }
    APP_MIGRATOR.run(&pool).await.expect("and again");
    assert_bookkeeping_apart(&pool).await;
    assert_app_tables_intact(&pool).await;
    assert_store_works(store).await;
    APP_MIGRATOR.run(&pool).await.expect("after use too");
}

/// The store migrates first, then the application, then both again.
#[sqlx::test(migrations = false)]
async fn store_then_application_migrations_share_a_database_twice(pool: PgPool) {
    let store = PgStore::new(pool.clone());
    for _ in 0..2 {
        store.migrate().await.expect("the store migrates");
        APP_MIGRATOR
            .run(&pool)
            .await
            .expect("the application migrates");
    }
    store.migrate().await.expect("and again");
    assert_bookkeeping_apart(&pool).await;
    assert_app_tables_intact(&pool).await;
    assert_store_works(store.clone()).await;
    store.migrate().await.expect("after use too");
}

/// Two stores in two schemas of one database: what one writes, the other never sees; the
/// same address may be invited in both; each schema has its own bookkeeping.
#[sqlx::test(migrations = false)]
async fn two_schemas_in_one_database_are_isolated(pool: PgPool) {
    let a = PgStore::with_schema(pool.clone(), "tenant_a").unwrap();
    let b = PgStore::with_schema(pool.clone(), "tenant_b").unwrap();
    a.migrate().await.unwrap();
    b.migrate().await.unwrap();
    let (ha, hb) = (Harness::new(a.clone()), Harness::new(b.clone()));
    let org_a = ha.standalone(3).await;
    let org_b = hb.standalone(7).await;
    let inv_a = ha.invite(&org_a, "same@example.com").await;
    let inv_b = hb.invite(&org_b, "same@example.com").await;

    assert!(b.organization(org_a.id()).await.unwrap().is_none());
    assert!(a.organization(org_b.id()).await.unwrap().is_none());
    assert!(b.invitation(inv_a.id).await.unwrap().is_none());
    assert!(a.invitation(inv_b.id).await.unwrap().is_none());
    assert!(b.dashboard(org_a.id(), ha.now()).await.unwrap().is_none());
    assert_eq!(
        ha.deliver().await.sent,
        1,
        "a's dispatcher sees a's message only"
    );
    assert_eq!(
        hb.deliver().await.sent,
        1,
        "b's dispatcher sees b's message only"
    );
    let seats_a = a.seats(org_a.id(), ha.now()).await.unwrap();
    assert_eq!((seats_a.limit, seats_a.used), (3, 0));
    assert!(!ha.audit(org_a.id(), None).await.is_empty());
    assert!(b.audit_trail(org_a.id(), None).await.unwrap().is_empty());

    for schema in ["tenant_a", "tenant_b"] {
        let versions = versions(&pool, &format!("{schema}._sqlx_migrations")).await;
        assert_eq!(versions, store_versions().await);
    }
    let in_public: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public')")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(!in_public, "nothing was created in public");
}

// ------------------------------------------------------------------ adopting old databases

/// A database as invite-sqlx's first release left it: the first migration applied in
/// `public` by sqlx's own runner, recorded in `public._sqlx_migrations`.
async fn migrate_the_old_way(pool: &PgPool) {
    let dir = std::env::temp_dir().join(format!("invite-sqlx-legacy-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let init = "20260301000000_init.sql";
    let source = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/migrations/20260301000000_init.sql"
    );
    std::fs::copy(source, dir.join(init)).unwrap();
    let old = Migrator::new(dir.as_path()).await.unwrap();
    old.run(pool)
        .await
        .expect("the first release's migration applies");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Rows written the old way, in `public`: an organization, a queued invitation, a member.
async fn old_rows(pool: &PgPool) -> (Organization, invite_core::Invitation, Member) {
    let now = invite_core::testkit::start();
    let org = Organization {
        id: invite_core::OrgId::new(),
        name: "Old Co".into(),
        kind: OrgKind::Standalone,
        settings: OrgSettings::with_seats(4),
        version: 0,
    };
    sqlx::query(
        "INSERT INTO public.organizations (id, name, kind, msp_id, seat_limit, seat_policy, \
            reminders_enabled, settings, version) \
         VALUES ($1, $2, 'standalone', NULL, 4, 'claim_on_signup', false, $3, 0)",
    )
    .bind(org.id.0)
    .bind(&org.name)
    .bind(serde_json::to_value(&org.settings).unwrap())
    .execute(pool)
    .await
    .unwrap();
    let inv = email_invitation(org.id, "kept@example.com", now);
    sqlx::query(
        "INSERT INTO public.invitations (id, org_id, channel, address_key, email_key, contact, \
            access, sender, created_at, last_invited_at, send_count, awaiting_delivery, \
            link_generation, version) \
         VALUES ($1, $2, 'email', $3, $3, $4, $5, $6, $7, $7, 0, true, 1, 0)",
    )
    .bind(inv.id.0)
    .bind(org.id.0)
    .bind(inv.address_key())
    .bind(serde_json::to_value(&inv.contact).unwrap())
    .bind(serde_json::to_value(inv.access()).unwrap())
    .bind(serde_json::to_value(&inv.sender).unwrap())
    .bind(now)
    .execute(pool)
    .await
    .unwrap();
    let member = Member {
        id: MemberId::new(),
        org: org.id,
        contact: invite_core::Contact::parse_email("old.member@example.com").unwrap(),
        user_ref: None,
        access: Access::user(Role::Admin),
        invitation: None,
        joined_at: now,
        removed_at: None,
        version: 0,
    };
    sqlx::query(
        "INSERT INTO public.members (id, org_id, email_key, contact, access, joined_at, \
            version) VALUES ($1, $2, 'old.member@example.com', $3, $4, $5, 0)",
    )
    .bind(member.id.0)
    .bind(org.id.0)
    .bind(serde_json::to_value(&member.contact).unwrap())
    .bind(serde_json::to_value(&member.access).unwrap())
    .bind(now)
    .execute(pool)
    .await
    .unwrap();
    (org, inv, member)
}

/// A database migrated the old way is adopted by `migrate`: the tables and functions move
/// into `invite` with their rows, the store's version leaves `public._sqlx_migrations`
/// (which the application's migrator can then use without `VersionMissing`), and the store
/// reads the old rows and keeps working. Migrating again changes nothing.
#[sqlx::test(migrations = false)]
async fn a_database_migrated_the_old_way_is_adopted_with_its_data(pool: PgPool) {
    migrate_the_old_way(&pool).await;
    let (org, inv, member) = old_rows(&pool).await;

    let store = PgStore::new(pool.clone());
    store.migrate().await.expect("the old layout is adopted");
    store.migrate().await.expect("and adopting is idempotent");

    let public_tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(public_tables, vec!["_sqlx_migrations".to_owned()]);
    let public_functions: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE n.nspname = 'public' AND p.proname LIKE 'invitation_%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(public_functions, 0);
    assert!(versions(&pool, "public._sqlx_migrations").await.is_empty());
    assert_eq!(
        versions(&pool, "invite._sqlx_migrations").await,
        store_versions().await
    );

    // The old rows, read back through the store.
    let read = store.organization(org.id).await.unwrap().expect("kept");
    assert_eq!(
        (read.name.as_str(), read.settings.seat_limit),
        ("Old Co", 4)
    );
    assert_eq!(store.invitation(inv.id).await.unwrap(), Some(inv.clone()));
    assert_eq!(store.member(member.id).await.unwrap(), Some(member.clone()));
    let seats = store
        .seats(org.id, invite_core::testkit::start())
        .await
        .unwrap();
    assert_eq!(
        (seats.limit, seats.used),
        (4, 1),
        "the old member holds a seat"
    );

    // The application's own migrations now run beside it.
    APP_MIGRATOR
        .run(&pool)
        .await
        .expect("the application migrates");
    assert_eq!(
        versions(&pool, "public._sqlx_migrations").await,
        APP_VERSIONS
    );
    store.migrate().await.expect("the store still migrates");

    // And the store works on the adopted tables, beside the old rows.
    let h = Harness::new(store);
    let admin = Actor::admin(org.id, "u-1", "Old Admin");
    let contact = invite_core::Contact::parse_email("new@example.com").unwrap();
    let access = Access::user(Role::ReadOnly);
    let new = h
        .service
        .invite(&admin, org.id, contact, invite_core::Channel::Email, access)
        .await
        .expect("a free seat");
    h.deliver().await;
    h.sign_up(&h.token_of(new.id)).await;
    let dashboard = h.service.dashboard(&admin, org.id).await.unwrap();
    assert_eq!(dashboard.seats.used, 2, "the old member and the new one");
    assert_eq!(dashboard.counts.never_used, 1);
    assert_eq!(
        dashboard.counts.pending, 1,
        "the old invitation, still queued"
    );
}

/// A `public.invitations` that invite-sqlx did not create (no record of its migration in
/// `public._sqlx_migrations`) is left alone: the store migrates into `invite` beside it.
#[sqlx::test(migrations = false)]
async fn an_unrelated_public_invitations_table_is_not_adopted(pool: PgPool) {
    sqlx::query("CREATE TABLE public.invitations (id int PRIMARY KEY, note text)")
        .execute(&pool)
        .await
        .unwrap();
    APP_MIGRATOR.run(&pool).await.unwrap();
    let store = PgStore::new(pool.clone());
    store.migrate().await.expect("the store migrates beside it");
    let columns: Vec<String> = sqlx::query(
        "SELECT column_name::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name = 'invitations' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect();
    assert_eq!(columns, vec!["id".to_owned(), "note".to_owned()]);
    assert_store_works(store).await;
}

/// Instances starting at once all migrate without error, on an old database (one adopts it,
/// the others find it adopted) and in two schemas of a fresh one.
#[sqlx::test(migrations = false)]
async fn concurrent_migrations_all_succeed(pool: PgPool) {
    migrate_the_old_way(&pool).await;
    let (org, _, _) = old_rows(&pool).await;
    let stores: Vec<PgStore> = (0..4).map(|_| PgStore::new(pool.clone())).collect();
    migrate_at_once(&stores).await;
    assert!(stores[0].organization(org.id).await.unwrap().is_some());

    let others = [
        PgStore::with_schema(pool.clone(), "first").unwrap(),
        PgStore::with_schema(pool.clone(), "second").unwrap(),
    ];
    migrate_at_once(&others).await;
    for store in others {
        assert_store_works(store).await;
    }
}

/// Starts every store's `migrate` at once, each in its own task (which also checks that the
/// future is `Send`, as a start-up task needs), and waits for all.
async fn migrate_at_once(stores: &[PgStore]) {
    let tasks: Vec<_> = stores
        .iter()
        .cloned()
        .map(|s| tokio::spawn(async move { s.migrate().await }))
        .collect();
    for t in tasks {
        t.await.expect("the task ran").expect("the store migrates");
    }
}

/// A schema without the one-statement commit's row types (`commit_rows`), as while another
/// instance of an older release has not yet migrated, or with them dropped: every commit goes
/// step by step, and the store works as before.
#[sqlx::test(migrations = false)]
async fn without_the_row_types_every_commit_goes_step_by_step(pool: PgPool) {
    let store = PgStore::new(pool.clone());
    store.migrate().await.unwrap();
    sqlx::query("DROP TYPE invite.invitation_row CASCADE")
        .execute(&pool)
        .await
        .unwrap();
    assert_store_works(store).await;
}
