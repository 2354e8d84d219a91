//! Handler tests of what the admin page shows of the core's newer reads (issue 13): the
//! table's filters, the dashboard's splits and waitlist, the dry run's figures in the
//! confirmation dialog, and one member's details page.

mod common;

use axum::http::StatusCode;
use common::*;
use invite_core::{Access, Channel, Contact, InvitationService, InviteOptions, Role};
use serde_json::{Value, json};

fn text(v: &Value) -> &str {
    v.as_str().expect("an HTML body")
}

/// The number in the cell of column `col` of the split table's row `row`.
fn split(html: &str, row: &str, col: &str) -> u64 {
    let at = html
        .find(&format!(r#"<tr id="split-{row}">"#))
        .unwrap_or_else(|| panic!("no split row {row}: {html}"));
    let rest = &html[at..];
    let end = rest.find("</tr>").expect("the row's end");
    let marker = format!(r#"<td class="{col}">"#);
    let cell = rest[..end].find(&marker).expect("the cell") + marker.len();
    rest[cell..]
        .split('<')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a count")
}

/// Bob (user, e-mail), Eve (admin "billing", e-mail) and a phone (user, SMS), delivered.
async fn three(w: &World, org: &str) {
    let a = admin(org);
    let path = format!("/api/orgs/{org}/invitations");
    let admin_access = json!({ "type": "admin", "permission_level": "billing", "role": "admin" });
    for (address, access) in [
        ("bob@example.com", user()),
        ("eve@example.com", admin_access),
        ("+79051111111", user()),
    ] {
        let body = json!({ "address": address, "access": access });
        let (s, _, v) = w.call("POST", &path, Some(&a), Some(body)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    w.dispatcher.drain().await.expect("delivered");
}

async fn page(w: &World, org: &str, query: &str) -> (StatusCode, String) {
    let (s, _, v) = w
        .call(
            "GET",
            &format!("/admin/orgs/{org}{query}"),
            Some(&admin(org)),
            None,
        )
        .await;
    (s, text(&v).to_owned())
}

#[tokio::test]
async fn issue_13_the_filters_narrow_the_table_and_every_link_keeps_them() {
    let w = World::new();
    let org = standalone(&w, 10).await;
    three(&w, &org).await;

    // The form: labelled selects and fields, in the search form with its tab.
    let (s, html) = page(&w, &org, "").await;
    assert_eq!(s, StatusCode::OK);
    for id in [
        "filter-type",
        "filter-level",
        "filter-role",
        "filter-sender",
        "filter-channel",
    ] {
        assert!(html.contains(&format!(r#"id="{id}""#)), "{id}: {html}");
    }
    assert!(!html.contains("clear-filters"), "nothing to clear");

    // By type: only Eve, the option shown chosen, the tabs keep the filter.
    let (s, html) = page(&w, &org, "?type=admin").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(r#"data-address="eve@example.com""#), "{html}");
    assert!(!html.contains(r#"data-address="bob@example.com""#));
    assert!(
        html.contains(r#"<option value="admin" selected>"#),
        "{html}"
    );
    assert!(
        html.contains(
            r#"href="?tab=pending&amp;sort=last_invited&amp;order=newest&amp;type=admin""#
        ),
        "{html}"
    );
    assert!(html.contains("clear-filters"));

    // By channel and by permission level; with the search, combined.
    let (_, html) = page(&w, &org, "?channel=sms").await;
    assert!(html.contains(r#"data-address="+79051111111""#), "{html}");
    assert!(!html.contains(r#"data-address="eve@example.com""#));
    let (_, html) = page(&w, &org, "?permission_level=billing&q=eve").await;
    assert!(html.contains(r#"data-address="eve@example.com""#), "{html}");
    assert!(html.contains(r#"value="billing""#));
    let (_, html) = page(&w, &org, "?type=user&q=eve").await;
    assert!(html.contains("no-rows"), "{html}");
    // By role and sender: the admin sent all three; Eve alone is an admin.
    let (_, html) = page(&w, &org, "?sender=u-admin&role=admin").await;
    assert!(html.contains(r#"data-address="eve@example.com""#), "{html}");
    assert!(!html.contains(r#"data-address="bob@example.com""#));
    let (_, html) = page(&w, &org, "?sender=someone-else").await;
    assert!(html.contains("no-rows"), "{html}");

    // Paging keeps the filter: 50 more users make two pages of users (50 a page); Eve is
    // on neither.
    let many: Vec<String> = (0..50).map(|i| format!("u{i}@example.com")).collect();
    let (s, _, v) = w
        .call(
            "POST",
            &format!("/api/orgs/{org}/invitations/bulk"),
            Some(&admin(&org)),
            Some(json!({ "addresses": many, "access": user() })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, html) = page(&w, &org, "?type=user").await;
    let marker = r#"id="next-page""#;
    let at = html.find(marker).expect("a next page");
    let href_at = html[..at].rfind("href=\"").expect("its link") + 6;
    let href = html[href_at..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    assert!(href.contains("&type=user&after="), "{href}");
    assert_eq!(html.matches("<tr data-id=").count(), 50);
    let (s, next) = page(&w, &org, &href).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        next.contains("first-page") && !next.contains(marker),
        "{next}"
    );
    assert_eq!(next.matches("<tr data-id=").count(), 2, "{next}");
    assert!(
        !next.contains(r#"data-address="eve@example.com""#),
        "{next}"
    );

    // A filter that is no filter: 400, as the list route answers.
    let (s, _) = page(&w, &org, "?role=owner").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // In Russian.
    let (_, html) = page(&w, &org, "?lang=ru").await;
    assert!(html.contains("Фильтры") && html.contains("Канал"), "{html}");
}

#[tokio::test]
async fn issue_13_the_dashboard_shows_the_splits_and_the_waitlist() {
    let w = World::new();
    let org = standalone(&w, 3).await;
    three(&w, &org).await;
    // Invitations hold seats, so a fourth invite finds none free (R3.3).
    let (s, _, v) = w
        .call(
            "PUT",
            &format!("/api/orgs/{org}/seat-policy"),
            Some(&w.operator),
            Some(json!({ "policy": "reserve_on_invite" })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, html) = page(&w, &org, "").await;
    assert_eq!(split(&html, "admins", "pending"), 1, "{html}");
    assert_eq!(split(&html, "users", "pending"), 2);
    assert_eq!(split(&html, "email", "pending"), 2);
    assert_eq!(split(&html, "sms", "pending"), 1);
    assert_eq!(split(&html, "users", "all"), 2);
    assert_eq!(split(&html, "admins", "completed"), 0);
    assert!(html.contains(r#"id="waitlist">On the seat waitlist: <strong>0</strong>"#));

    // The three hold the three seats; Dan, invited with the waitlist, waits for one.
    let service = InvitationService::new(w.store.clone(), w.clock.clone());
    let org_id = invite_core::OrgId(org.parse().unwrap());
    let answer = service
        .invite_with(
            &admin(&org),
            org_id,
            Contact::parse_email("dan@example.com").unwrap(),
            Channel::Email,
            Access::user(Role::ReadOnly),
            &InviteOptions {
                waitlist: true,
                ..InviteOptions::default()
            },
        )
        .await
        .expect("answered");
    assert_eq!(answer.waitlisted.len(), 1, "{answer:?}");
    let (_, html) = page(&w, &org, "?lang=ru").await;
    assert!(
        html.contains(r#"id="waitlist">В очереди на место: <strong>1</strong>"#),
        "{html}"
    );
    assert!(html.contains("Администраторы") && html.contains("Пользователи"));
    assert_eq!(split(&html, "users", "pending"), 2, "Dan is no invitation");
}

#[tokio::test]
async fn issue_13_the_confirmation_dialog_has_places_for_the_dry_runs_figures() {
    let w = World::new();
    let org = standalone(&w, 3).await;
    three(&w, &org).await;
    let (_, html) = page(&w, &org, "").await;
    for id in [
        "confirm-messages",
        "confirm-email",
        "confirm-sms",
        "confirm-seats",
    ] {
        assert!(html.contains(&format!(r#"id="{id}""#)), "{id}: {html}");
    }
    assert!(html.contains("Messages to send"));
    let (_, ru) = page(&w, &org, "?lang=ru").await;
    assert!(ru.contains("Будет отправлено сообщений") && ru.contains("нужно мест"));
    let (_, _, js) = w.call("GET", "/assets/admin.js", None, None).await;
    assert!(text(&js).contains("run.seats_needed") && text(&js).contains("run.answers"));
}

#[tokio::test]
async fn issue_13_a_members_details_page_is_linked_from_the_member_list() {
    let w = World::new();
    let org = standalone(&w, 3).await;
    let a = admin(&org);
    three(&w, &org).await;
    let token = w.token_for("bob@example.com");
    let (s, _, v) = w
        .call(
            "POST",
            "/api/signup",
            None,
            Some(json!({ "token": token, "user_ref": "u-bob" })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let member = v["member"]["id"].as_str().unwrap().to_owned();
    let invitation = v["invitation"]["id"].as_str().unwrap().to_owned();

    let (s, _, v) = w
        .call("GET", &format!("/admin/orgs/{org}/members"), Some(&a), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let link = format!(r#"href="/admin/members/{member}" class="member-details""#);
    assert!(text(&v).contains(&link), "{v}");

    let path = format!("/admin/members/{member}");
    let (s, _, v) = w.call("GET", &path, Some(&a), None).await;
    assert_eq!(s, StatusCode::OK);
    let html = text(&v);
    assert!(
        html.contains(r#"id="member-address">bob@example.com<"#),
        "{html}"
    );
    assert!(html.contains(r#"id="member-user">u-bob<"#), "{html}");
    assert!(
        html.contains(r#"class="m-member_never_used">Never Used<"#),
        "{html}"
    );
    assert!(
        html.contains(r#"id="member-invited-by">Ann Admin (u-admin)<"#),
        "{html}"
    );
    assert!(html.contains(&format!(r#"href="/admin/invitations/{invitation}""#)));
    assert!(html.contains(r#"id="member-first-login">—<"#), "{html}");
    // And back: the invitation's details link to the member it made.
    let (_, _, v) = w
        .call(
            "GET",
            &format!("/admin/invitations/{invitation}"),
            Some(&a),
            None,
        )
        .await;
    let back = format!(r#"href="/admin/members/{member}" id="details-member""#);
    assert!(text(&v).contains(&back), "{v}");

    // The first login, then the page in Russian.
    let (s, _, _) = w
        .call(
            "POST",
            &format!("/api/members/{member}/first-login"),
            Some(&a),
            None,
        )
        .await;
    assert!(s.is_success(), "{s}");
    let (_, _, v) = w
        .call("GET", &format!("{path}?lang=ru"), Some(&a), None)
        .await;
    let html = text(&v);
    assert!(html.contains("Сведения об участнике"), "{html}");
    assert!(
        html.contains(r#"class="m-member_completed">Завершено<"#),
        "{html}"
    );
    assert!(!html.contains(r#"id="member-first-login">—<"#), "{html}");

    // A reader of the organization sees it; another organization's admin and a random id
    // get the same 404.
    let (s, _, _) = w.call("GET", &path, Some(&reader(&org)), None).await;
    assert_eq!(s, StatusCode::OK);
    let other = w.org("Other", json!({ "kind": "standalone" }), 1).await;
    let (s, _, _) = w.call("GET", &path, Some(&admin(&other)), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let random = format!("/admin/members/{}", uuid::Uuid::new_v4());
    let (s, _, _) = w.call("GET", &random, Some(&a), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn issue_13_an_msp_filters_by_client_and_any_client_is_no_filter() {
    let w = World::new();
    let msp = w.org("Northwind", json!({ "kind": "msp" }), 10).await;
    let alpha = w
        .org("Alpha Bank", json!({ "kind": "client", "msp": msp }), 5)
        .await;
    let beta = w
        .org("Beta Shop", json!({ "kind": "client", "msp": msp }), 5)
        .await;
    let path = format!("/api/orgs/{msp}/invitations");
    for (address, client) in [("eve@example.com", &alpha), ("fay@example.com", &beta)] {
        let access =
            json!({ "type": "user", "grants": [{ "client": client, "role": "read_only" }] });
        let body = json!({ "address": address, "access": access });
        let (s, _, v) = w.call("POST", &path, Some(&admin(&msp)), Some(body)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    // The form as the browser sends it with every filter on "any".
    let any = "?tab=all&q=&sort=last_invited&order=newest&type=&permission_level=&role=&client=&sender=&channel=";
    let (s, html) = page(&w, &msp, any).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains(r#"id="filter-client""#), "{html}");
    assert!(html.contains("eve@example.com") && html.contains("fay@example.com"));
    assert!(!html.contains("clear-filters"), "any is no filter");
    let (s, html) = page(&w, &msp, &format!("?client={alpha}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(r#"data-address="eve@example.com""#), "{html}");
    assert!(
        !html.contains(r#"data-address="fay@example.com""#),
        "{html}"
    );
    assert!(html.contains(&format!(r#"<option value="{alpha}" selected>Alpha Bank"#)));
    let (s, _) = page(&w, &msp, "?client=nope").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn issue_13_the_page_size_is_read_from_the_page_query_and_kept_by_its_links() {
    let w = World::new();
    let org = standalone(&w, 10).await;
    three(&w, &org).await;
    let (s, html) = page(&w, &org, "?limit=1&channel=email").await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert_eq!(html.matches("<tr data-id=").count(), 1, "{html}");
    let at = html.find(r#"id="next-page""#).expect("a next page");
    let href_at = html[..at].rfind("href=\"").expect("its link") + 6;
    let href = html[href_at..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    assert!(
        href.contains("&limit=1") && href.contains("&channel=email"),
        "{href}"
    );
    let (_, next) = page(&w, &org, &href).await;
    assert_eq!(next.matches("<tr data-id=").count(), 1, "{next}");
    assert!(
        !next.contains(r#"id="next-page""#),
        "two e-mail invitations: {next}"
    );
    let (s, _) = page(&w, &org, "?limit=many").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}
