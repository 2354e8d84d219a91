//! The admin page in real headless Chromium over WebDriver: the app runs in this process on
//! a loopback port (memory store, manual clock, recording notifier, the development login);
//! the test drives the browser like a person and saves a screenshot of each page.

mod webdriver;

use chrono::TimeDelta;
use fantoccini::{Client, Locator};
use invite_axum::dev::DevLogin;
use invite_axum::{InviteWeb, MemoryCatalog};
use invite_core::*;
use std::sync::Arc;
use webdriver::*;

type Disp = Dispatcher<Arc<MemoryStore>, Arc<RecordingNotifier>, Arc<ManualClock>>;

struct Server {
    origin: String,
    service: InvitationService<Arc<MemoryStore>, Arc<ManualClock>>,
    clock: Arc<ManualClock>,
    notifier: Arc<RecordingNotifier>,
    dispatcher: Disp,
    login: DevLogin,
    catalog: MemoryCatalog,
}

async fn serve() -> Server {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(
        "2026-03-02T09:00:00Z".parse().expect("time"),
    ));
    let notifier = Arc::new(RecordingNotifier::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let origin = format!("http://{}", listener.local_addr().expect("addr"));
    let login = DevLogin::new("/invite");
    let catalog = MemoryCatalog::default();
    let app = InviteWeb::new(store.clone(), clock.clone(), login.clone())
        .base_path("/invite")
        .catalog(catalog.clone())
        .secure_cookies(false)
        .build();
    let router = axum::Router::new()
        .nest("/invite", app.router())
        .merge(login.router());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let config = DispatcherConfig::new(format!("{origin}/invite/signup?token="));
    Server {
        dispatcher: Dispatcher::new(store.clone(), notifier.clone(), clock.clone(), config),
        service: InvitationService::new(store, clock.clone()),
        origin,
        clock,
        notifier,
        login,
        catalog,
    }
}

impl Server {
    async fn org(&self, name: &str, kind: OrgKind, seats: u32) -> Organization {
        let op = Actor::Operator { id: "ops".into() };
        let org = self
            .service
            .create_organization(&op, name, kind, OrgSettings::with_seats(seats))
            .await
            .expect("an organization");
        self.catalog.register(&org);
        org
    }

    fn link(&self, address: &str) -> String {
        let n = self
            .notifier
            .delivered_to(address)
            .pop()
            .expect("a delivered message");
        n.signup_url.expect("a link").expose().to_owned()
    }

    async fn deliver(&self) {
        self.dispatcher.drain().await.expect("delivered");
    }
}

async fn row_status(c: &Client, address: &str, needle: &str) -> String {
    text_of(
        c,
        &format!(r#"tr[data-address="{address}"] td.status"#),
        needle,
    )
    .await
}

async fn row_id(c: &Client, address: &str) -> String {
    element(c, &format!(r#"tr[data-address="{address}"]"#))
        .await
        .attr("data-id")
        .await
        .expect("attr")
        .expect("an id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standalone_admin_invites_resends_deletes_and_invitees_sign_up() {
    let driver = driver();
    let s = serve().await;
    let acme = s.org("Acme", OrgKind::Standalone, 3).await;
    s.login
        .add("ann", "Ann Lee", Actor::admin(acme.id, "u-ann", "Ann Lee"));
    let c = browser(&driver, "standalone").await;
    let dashboard = format!("{}/invite/admin/orgs/{}", s.origin, acme.id);

    // Log in; /admin goes to the actor's own dashboard.
    c.goto(&format!("{}/dev/login/ann", s.origin))
        .await
        .expect("login");
    text_of(&c, "#org-name", "Acme").await;
    text_of(&c, "#seats-available", "3").await;

    // Invite two addresses and one bad one: the bad one's error is shown.
    element(&c, "#invite-open")
        .await
        .click()
        .await
        .expect("open");
    element(&c, "#address-list input")
        .await
        .send_keys("bob@acme.test")
        .await
        .expect("type");
    for address in ["cat@acme.test", "bad@"] {
        element(&c, "#add-address")
            .await
            .click()
            .await
            .expect("add");
        let inputs = c
            .find_all(Locator::Css("#address-list input"))
            .await
            .expect("inputs");
        inputs
            .last()
            .expect("an input")
            .send_keys(address)
            .await
            .expect("type");
    }
    element(&c, "#invite-submit")
        .await
        .click()
        .await
        .expect("submit");
    let error = text_of(&c, "#invite-results li.err", "bad@").await;
    assert!(error.contains("invalid e-mail address"), "{error}");
    assert_eq!(
        c.find_all(Locator::Css("#invite-results li.ok"))
            .await
            .expect("ok")
            .len(),
        2
    );
    shot(&c, "01-invite-dialog").await;
    element(&c, "#invite-close")
        .await
        .click()
        .await
        .expect("close");

    // Delivered: both are Pending.
    s.deliver().await;
    c.goto(&format!("{dashboard}?tab=pending"))
        .await
        .expect("pending tab");
    row_status(&c, "bob@acme.test", "Pending").await;
    row_status(&c, "cat@acme.test", "Pending").await;
    text_of(&c, "#tile-pending .n", "2").await;
    shot(&c, "02-pending").await;

    // Resend one (after the 60 s cool-down): it waits for delivery again.
    s.clock.advance(TimeDelta::minutes(2));
    let bob = row_id(&c, "bob@acme.test").await;
    element(
        &c,
        &format!(r#"button.act[data-action="resend"][data-id="{bob}"]"#),
    )
    .await
    .click()
    .await
    .expect("resend");
    row_status(&c, "bob@acme.test", "Waiting for an invitation").await;
    s.deliver().await;

    // Edit access: the row's button opens the dialog without the addresses.
    c.refresh().await.expect("reload");
    element(
        &c,
        &format!(r#"button.act[data-action="edit_access"][data-id="{bob}"]"#),
    )
    .await
    .click()
    .await
    .expect("edit");
    element(&c, "#type-admin")
        .await
        .click()
        .await
        .expect("admin");
    element(&c, "#permission-level")
        .await
        .send_keys("billing")
        .await
        .expect("level");
    element(&c, "#invite-submit")
        .await
        .click()
        .await
        .expect("save");
    text_of(&c, r#"tr[data-address="bob@acme.test"]"#, "admin (billing)").await;

    // Issue 13: a filter narrows the table (Bob is now the one admin), and the tabs keep it.
    element(&c, "#filter-type")
        .await
        .select_by_value("admin")
        .await
        .expect("the admin filter");
    element(&c, "#search-button")
        .await
        .click()
        .await
        .expect("filter");
    until("the filter to apply", || async {
        !exists(&c, r#"tr[data-address="cat@acme.test"]"#).await
            && exists(&c, r#"tr[data-address="bob@acme.test"]"#).await
    })
    .await;
    let tab = element(&c, "#tab-pending").await.attr("href").await;
    assert!(tab.expect("attr").expect("a link").contains("type=admin"));
    shot(&c, "03-filtered").await;

    // The confirmation shows the dry run: of Bob (resent a moment ago) and Cat, only Cat's
    // resend would be sent, by e-mail.
    c.goto(&dashboard).await.expect("dashboard");
    let cat = row_id(&c, "cat@acme.test").await;
    for id in [&bob, &cat] {
        element(&c, &format!(r#"input.pick[value="{id}"]"#))
            .await
            .click()
            .await
            .expect("tick");
    }
    element(&c, "#resend-selected")
        .await
        .click()
        .await
        .expect("resend selected");
    text_of(&c, "#confirm-list li.ok", "cat@acme.test: will be resent").await;
    text_of(&c, "#confirm-list li.err", "bob@acme.test").await;
    text_of(&c, "#confirm-messages", "1").await;
    text_of(&c, "#confirm-email", "1").await;
    text_of(&c, "#confirm-sms", "0").await;
    text_of(&c, "#confirm-seats", "1").await;
    shot(&c, "03-confirm-resend").await;
    element(&c, "#confirm-close")
        .await
        .click()
        .await
        .expect("close");

    // Delete one after the confirmation, which lists what will happen (and sends nothing).
    c.goto(&dashboard).await.expect("dashboard");
    element(&c, &format!(r#"input.pick[value="{cat}"]"#))
        .await
        .click()
        .await
        .expect("tick");
    element(&c, "#delete-selected")
        .await
        .click()
        .await
        .expect("delete");
    text_of(&c, "#confirm-list li.ok", "cat@acme.test: will be deleted").await;
    text_of(&c, "#confirm-messages", "0").await;
    shot(&c, "03-confirm-delete").await;
    element(&c, "#confirm-ok")
        .await
        .click()
        .await
        .expect("confirm");
    until("cat's row to leave the list", || async {
        !exists(&c, r#"tr[data-address="cat@acme.test"]"#).await && exists(&c, "#org-name").await
    })
    .await;

    // Open the link from the delivered message and sign up.
    c.goto(&s.link("bob@acme.test")).await.expect("the link");
    text_of(&c, "#preview", "Acme").await;
    text_of(&c, "#preview-address", "bob@acme.test").await;
    shot(&c, "04-signup").await;
    element(&c, "#signup-name")
        .await
        .send_keys("Bob Stone")
        .await
        .expect("name");
    element(&c, "#signup-password")
        .await
        .send_keys("correct horse")
        .await
        .expect("pw");
    element(&c, "#signup-submit")
        .await
        .click()
        .await
        .expect("sign up");
    text_of(&c, "#signup-done", "bob@acme.test").await;
    c.goto(&format!("{dashboard}?tab=never_used"))
        .await
        .expect("never used");
    row_status(&c, "bob@acme.test", "Never Used").await;
    shot(&c, "05-never-used").await;

    // Exhaust the seats: Dan is invited, the operator lowers the limit, Dan's signup fails.
    let ann = Actor::admin(acme.id, "u-ann", "Ann Lee");
    let dan = Contact::parse_email("dan@acme.test").expect("address");
    s.service
        .invite(
            &ann,
            acme.id,
            dan,
            Channel::Email,
            Access::user(Role::ReadOnly),
        )
        .await
        .expect("invite");
    s.deliver().await;
    let op = Actor::Operator { id: "ops".into() };
    s.service
        .change_seat_limit(&op, acme.id, 1)
        .await
        .expect("limit");
    c.goto(&s.link("dan@acme.test")).await.expect("dan's link");
    element(&c, "#signup-name")
        .await
        .send_keys("Dan")
        .await
        .expect("name");
    element(&c, "#signup-password")
        .await
        .send_keys("correct horse")
        .await
        .expect("pw");
    element(&c, "#signup-submit")
        .await
        .click()
        .await
        .expect("sign up");
    text_of(&c, "#signup-error", "seats exhausted").await;
    c.goto(&format!("{dashboard}?tab=expired_or_failed"))
        .await
        .expect("failed tab");
    let failed = row_status(&c, "dan@acme.test", "Failed").await;
    assert!(failed.contains("seats exhausted"), "{failed}");
    text_of(&c, "#seats-available", "0").await;
    shot(&c, "06-failed-seats").await;

    // Toggle reminders; the switch stays on across a reload.
    c.goto(&dashboard).await.expect("dashboard");
    text_of(&c, "#reminders-state", "off").await;
    element(&c, "#reminders")
        .await
        .click()
        .await
        .expect("toggle");
    text_of(&c, "#reminders-state", "on").await;
    c.refresh().await.expect("reload");
    text_of(&c, "#reminders-state", "on").await;
    assert!(
        element(&c, "#reminders")
            .await
            .is_selected()
            .await
            .expect("checked")
    );
    shot(&c, "07-dashboard").await;

    // The keyboard alone opens and closes the invite dialog.
    element(&c, "#invite-open")
        .await
        .send_keys("\u{E007}")
        .await
        .expect("enter");
    until("the dialog to open", || async {
        element(&c, "#invite-dialog")
            .await
            .attr("open")
            .await
            .ok()
            .flatten()
            .is_some()
    })
    .await;
    element(&c, "#address-list input")
        .await
        .send_keys("\u{E00C}")
        .await
        .expect("escape");
    until("the dialog to close", || async {
        element(&c, "#invite-dialog")
            .await
            .attr("open")
            .await
            .ok()
            .flatten()
            .is_none()
    })
    .await;

    // The member list, an invitation's details, and the page in Russian.
    element(&c, "#members-link")
        .await
        .click()
        .await
        .expect("members");
    text_of(&c, "#members", "bob@acme.test").await;
    shot(&c, "08-members").await;
    // Issue 13: Bob's details, reached from his row with the keyboard (Enter on the link).
    element(&c, "#members tr[data-member] a.member-details")
        .await
        .send_keys("\u{E007}")
        .await
        .expect("enter");
    text_of(&c, "#member-address", "bob@acme.test").await;
    text_of(&c, "#member-state", "Never Used").await;
    text_of(&c, "#member-invited-by", "Ann Lee").await;
    shot(&c, "08-member-details").await;
    c.goto(&format!("{}/invite/admin/invitations/{bob}", s.origin))
        .await
        .expect("details");
    text_of(&c, "#details-status", "Never Used").await;
    shot(&c, "09-details").await;
    c.goto(&format!("{dashboard}?lang=ru")).await.expect("ru");
    text_of(&c, "#tile-pending", "Ожидают").await;
    shot(&c, "10-dashboard-ru").await;
    c.close().await.expect("closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn msp_grid_invite_is_not_on_the_client_dashboard() {
    let driver = driver();
    let s = serve().await;
    let msp = s.org("Northwind MSP", OrgKind::Msp, 10).await;
    let alpha = s
        .org("Alpha Bank", OrgKind::Client { msp: msp.id }, 5)
        .await;
    let beta = s
        .org("Beta Logistics", OrgKind::Client { msp: msp.id }, 5)
        .await;
    s.login
        .add("mia", "Mia Moss", Actor::admin(msp.id, "u-mia", "Mia Moss"));
    s.login.add(
        "carl",
        "Carl Cole",
        Actor::admin(alpha.id, "u-carl", "Carl Cole"),
    );
    let c = browser(&driver, "msp").await;

    c.goto(&format!("{}/dev/login/mia", s.origin))
        .await
        .expect("login");
    text_of(&c, "#org-name", "Northwind MSP").await;
    element(&c, "#invite-open")
        .await
        .click()
        .await
        .expect("open");
    element(&c, "#address-list input")
        .await
        .send_keys("tech@northwind.test")
        .await
        .expect("type");
    element(&c, "#type-admin")
        .await
        .click()
        .await
        .expect("admin");
    element(&c, "#permission-level")
        .await
        .send_keys("technician")
        .await
        .expect("level");
    let pick =
        |client: OrgId, role: &str| format!(r#"tr[data-client="{client}"] input[value="{role}"]"#);
    element(&c, &pick(alpha.id, "admin"))
        .await
        .click()
        .await
        .expect("alpha admin");
    element(&c, &pick(beta.id, "read_only"))
        .await
        .click()
        .await
        .expect("beta read only");
    shot(&c, "11-msp-grid-invite").await;
    element(&c, "#invite-submit")
        .await
        .click()
        .await
        .expect("invite");
    let access = text_of(
        &c,
        r#"tr[data-address="tech@northwind.test"]"#,
        "Alpha Bank: Admin",
    )
    .await;
    assert!(access.contains("Beta Logistics: Read only"), "{access}");
    assert!(access.contains("technician"), "{access}");
    shot(&c, "12-msp-dashboard").await;

    // The client's own dashboard does not show the MSP's invitation.
    c.goto(&format!("{}/dev/login/carl", s.origin))
        .await
        .expect("login");
    text_of(&c, "#org-name", "Alpha Bank").await;
    text_of(&c, "#no-rows", "No invitations").await;
    assert!(!exists(&c, r#"tr[data-address="tech@northwind.test"]"#).await);
    // Nor can its admin open the MSP's dashboard.
    c.goto(&format!("{}/invite/admin/orgs/{}", s.origin, msp.id))
        .await
        .expect("msp page");
    element(&c, "#message").await;
    c.goto(&format!("{}/invite/admin/orgs/{}", s.origin, alpha.id))
        .await
        .expect("client page");
    text_of(&c, "#org-name", "Alpha Bank").await;
    shot(&c, "13-client-dashboard").await;
    c.close().await.expect("closed");
}
