//! Handler tests of the HTML routes (signup page with its CSRF check and account hook, admin
//! pages, assets) through `oneshot`.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use invite_axum::{AccountHook, SignupForm};
use invite_core::Signup;
use serde_json::{Value, json};

fn text(v: &Value) -> &str {
    v.as_str().expect("an HTML body")
}

async fn invited(w: &World, org: &str, address: &str) -> String {
    let a = admin(org);
    let body = json!({ "address": address, "access": { "type": "user", "role": "read_only" } });
    let (s, _, v) = w
        .call(
            "POST",
            &format!("/api/orgs/{org}/invitations"),
            Some(&a),
            Some(body),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    w.dispatcher.drain().await.expect("delivered");
    w.token_for(address)
}

/// The CSRF cookie and hidden field of a signup page.
fn csrf(headers: &axum::http::HeaderMap, html: &str) -> (String, String) {
    let cookie = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("invite_csrf="))
        .expect("the CSRF cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let value = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("invite_csrf=")
        .to_owned();
    let marker = r#"name="csrf" value=""#;
    let at = html.find(marker).expect("the hidden field") + marker.len();
    let field = html[at..].split('"').next().unwrap().to_owned();
    (value, field)
}

fn form_post(token: &str, cookie: Option<&str>, field: &str) -> Request<Body> {
    let mut req =
        Request::post("/signup").header("content-type", "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, format!("invite_csrf={c}"));
    }
    let body = format!("token={token}&csrf={field}&name=Bob&password=correct+horse");
    req.body(Body::from(body)).unwrap()
}

#[tokio::test]
async fn signup_page_previews_then_signs_up_with_the_csrf_token() {
    let w = World::new();
    let org = w
        .org("Acme & <Sons>", json!({ "kind": "standalone" }), 5)
        .await;
    let token = invited(&w, &org, "bob@example.com").await;
    let (s, h, v) = w
        .call("GET", &format!("/signup?token={token}"), None, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let html = text(&v);
    assert!(
        html.contains("Acme &amp; &lt;Sons&gt;"),
        "user input is escaped"
    );
    assert!(html.contains("bob@example.com") && html.contains("Ann Admin"));
    assert_eq!(h.get(header::REFERRER_POLICY).unwrap(), "no-referrer");
    let (cookie, field) = csrf(&h, html);
    assert_eq!(cookie, field);
    // The preview consumed nothing: the page again, still the form.
    let (s, _, _) = w
        .call("GET", &format!("/signup?token={token}"), None, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    // Without the cookie, with a wrong field, or cross-site: 403.
    let (s, _, _) = w.send(form_post(&token, None, &field)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = w.send(form_post(&token, Some(&cookie), "forged")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let mut req = form_post(&token, Some(&cookie), &field);
    req.headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    let (s, _, _) = w.send(req).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // With both: signed up; the link is then used.
    let (s, _, v) = w.send(form_post(&token, Some(&cookie), &field)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(text(&v).contains("signup-done"), "{v}");
    let (s, _, v) = w.send(form_post(&token, Some(&cookie), &field)).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(text(&v).contains("already used"));
    // Unknown links: 404 with the reason, in Russian when asked.
    let (s, _, v) = w
        .call("GET", "/signup?token=nope&lang=ru", None, None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(text(&v).contains("неизвестная ссылка"));
}

struct Accounts {
    fail: bool,
}

#[async_trait::async_trait]
impl AccountHook for Accounts {
    async fn create_account(
        &self,
        signup: &Signup,
        form: &SignupForm,
    ) -> Result<Option<String>, String> {
        assert_eq!(form.name, "Bob");
        assert!(
            !format!("{form:?}").contains("correct"),
            "no password in Debug"
        );
        if self.fail {
            return Err("the user name is taken".into());
        }
        Ok(Some(format!("/welcome/{}", signup.member.id)))
    }
}

#[tokio::test]
async fn the_account_hook_runs_in_the_signup_request() {
    for fail in [false, true] {
        let w = World::with(|web| web.accounts(Accounts { fail }));
        let org = w.org("Acme", json!({ "kind": "standalone" }), 5).await;
        let token = invited(&w, &org, "bob@example.com").await;
        let (_, h, v) = w
            .call("GET", &format!("/signup?token={token}"), None, None)
            .await;
        let (cookie, field) = csrf(&h, text(&v));
        let (s, h, v) = w.send(form_post(&token, Some(&cookie), &field)).await;
        if fail {
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(text(&v).contains("the user name is taken"));
        } else {
            assert_eq!(s, StatusCode::SEE_OTHER);
            assert!(
                h.get(header::LOCATION)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .starts_with("/welcome/")
            );
        }
    }
}

#[tokio::test]
async fn admin_pages_render_for_readers_only() {
    let w = World::new();
    let org = w.org("Acme", json!({ "kind": "standalone" }), 5).await;
    invited(&w, &org, "bob@example.com").await;
    let a = admin(&org);
    let (s, h, _) = w.call("GET", "/admin", Some(&a), None).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        h.get(header::LOCATION).unwrap(),
        &format!("/admin/orgs/{org}")
    );
    let (s, _, v) = w.call("GET", "/admin", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(text(&v).contains("no test actor"));

    let (s, h, v) = w
        .call("GET", &format!("/admin/orgs/{org}"), Some(&a), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let html = text(&v);
    assert!(h.get(header::CONTENT_SECURITY_POLICY).is_some());
    assert!(
        html.contains(r#"id="tile-pending"><span class="n">1</span>"#),
        "{html}"
    );
    assert!(html.contains(r#"data-action="resend""#) && html.contains("invite-dialog"));
    assert!(html.matches("<svg").count() >= 4, "the graphs");
    // A read-only user sees no buttons; another organization's admin sees nothing.
    let (s, _, v) = w
        .call(
            "GET",
            &format!("/admin/orgs/{org}"),
            Some(&reader(&org)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(!text(&v).contains(r#"data-action="resend""#) && !text(&v).contains("invite-dialog"));
    let other = w.org("Other", json!({ "kind": "standalone" }), 1).await;
    let (s, _, _) = w
        .call(
            "GET",
            &format!("/admin/orgs/{org}"),
            Some(&admin(&other)),
            None,
        )
        .await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
        "{s}"
    );
    // Tabs, search, sort and a bad query.
    let (s, _, v) = w
        .call(
            "GET",
            &format!("/admin/orgs/{org}?tab=completed&q=bob&sort=signed_up&order=oldest"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(text(&v).contains("no-rows"));
    let (s, _, _) = w
        .call(
            "GET",
            &format!("/admin/orgs/{org}?tab=nope"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Russian, remembered in a cookie.
    let (s, h, v) = w
        .call("GET", &format!("/admin/orgs/{org}?lang=ru"), Some(&a), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(text(&v).contains("Ожидают"));
    assert!(
        h.get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("invite_lang=ru")
    );

    // Members and an invitation's details.
    let (s, _, v) = w
        .call("GET", &format!("/admin/orgs/{org}/members"), Some(&a), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(text(&v).contains("No members yet"));
    let (_, _, page) = w
        .call(
            "GET",
            &format!("/api/orgs/{org}/invitations"),
            Some(&a),
            None,
        )
        .await;
    let id = page["rows"][0]["id"].as_str().unwrap().to_owned();
    let (s, _, v) = w
        .call("GET", &format!("/admin/invitations/{id}"), Some(&a), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(text(&v).contains("bob@example.com") && text(&v).contains("Pending"));
    let (s, _, _) = w
        .call(
            "GET",
            &format!("/admin/invitations/{}", uuid::Uuid::new_v4()),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn assets_are_served() {
    let w = World::new();
    let (s, h, v) = w.call("GET", "/assets/admin.js", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h.get(header::CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(text(&v).contains("showModal"));
    let (s, h, _) = w.call("GET", "/assets/admin.css", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h.get(header::CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}

#[tokio::test]
async fn the_signup_page_shows_an_msp_admin_invitation_with_its_level_clients_and_expiry() {
    let w = World::new();
    let msp = w
        .org(
            "Northwind",
            json!({ "kind": "msp", "language": "ru", "time_zone": "Europe/Moscow" }),
            5,
        )
        .await;
    let client = w
        .org("Alpha Bank", json!({ "kind": "client", "msp": msp }), 5)
        .await;
    let access = json!({ "type": "admin", "permission_level": "billing", "grants": [{ "client": client, "role": "admin" }] });
    let (s, _, v) = w
        .call(
            "POST",
            &format!("/api/orgs/{msp}/invitations"),
            Some(&admin(&msp)),
            Some(json!({ "address": "eve@example.com", "access": access })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    w.dispatcher.drain().await.unwrap();
    let token = w.token_for("eve@example.com");
    let (s, _, v) = w
        .call("GET", &format!("/signup?token={token}"), None, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let html = text(&v);
    // In the MSP's language, with the level, the client by name and the expiry in Moscow time.
    assert!(html.contains("lang=\"ru\""), "{html}");
    assert!(html.contains("(billing)"), "{html}");
    assert!(html.contains("<li>Alpha Bank: "), "{html}");
    assert!(html.contains("MSK"), "{html}");
}
