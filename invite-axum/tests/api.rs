//! Handler tests of every JSON route and every error class, through the router with
//! `tower::ServiceExt::oneshot` (no socket).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::TimeDelta;
use common::*;
use serde_json::{Value, json};

fn user() -> Value {
    json!({ "type": "user", "role": "read_only" })
}

async fn standalone(w: &World, seats: u32) -> String {
    w.org("Acme", json!({ "kind": "standalone" }), seats).await
}

#[tokio::test]
async fn openapi_document_validates_and_lists_every_route() {
    let w = World::new();
    let (s, _, doc) = w.call("GET", "/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let text = doc.to_string();
    let spec = oas3::from_json(&text).expect("the document parses as OpenAPI 3.1");
    let paths = spec.paths.expect("paths");
    for p in [
        "/api/orgs",
        "/api/orgs/{org}",
        "/api/orgs/{org}/settings",
        "/api/orgs/{org}/seat-limit",
        "/api/orgs/{org}/seat-policy",
        "/api/orgs/{org}/reminders",
        "/api/orgs/{org}/clients",
        "/api/orgs/{org}/dashboard",
        "/api/orgs/{org}/seats",
        "/api/orgs/{org}/series",
        "/api/orgs/{org}/audit",
        "/api/orgs/{org}/user-statuses",
        "/api/orgs/{org}/invitations",
        "/api/orgs/{org}/invitations/bulk",
        "/api/orgs/{org}/invitations/directory",
        "/api/orgs/{org}/invitations/selection",
        "/api/orgs/{org}/members",
        "/api/invitations/{id}",
        "/api/invitations/{id}/resend",
        "/api/invitations/{id}/cancel",
        "/api/invitations/{id}/access",
        "/api/invitations/{id}/mark-completed",
        "/api/invitations/{id}/follow-up",
        "/api/members/{id}",
        "/api/members/{id}/first-login",
        "/api/signup/preview",
        "/api/signup",
    ] {
        assert!(paths.contains_key(p), "{p} is documented");
    }
    assert_eq!(paths.len(), 27);
    // Every referenced schema exists.
    for name in [
        "ErrorBody",
        "InvitationJson",
        "PageJson",
        "DashboardJson",
        "OutcomeJson",
    ] {
        assert!(text.contains(&format!("\"{name}\"")), "{name} is a schema");
    }
    assert_eq!(invite_axum::openapi().paths.paths.len(), 27);
}

#[tokio::test]
async fn organizations_and_settings() {
    let w = World::new();
    let msp = w.org("Northwind", json!({ "kind": "msp" }), 10).await;
    let client = w
        .org(
            "Alpha",
            json!({ "kind": "client", "msp": msp, "language": "ru" }),
            3,
        )
        .await;
    let a = admin(&msp);
    let (s, _, v) = w
        .call("GET", &format!("/api/orgs/{msp}"), Some(&a), None)
        .await;
    assert_eq!((s, v["kind"].as_str()), (StatusCode::OK, Some("msp")));
    let (s, _, v) = w
        .call("GET", &format!("/api/orgs/{msp}/clients"), Some(&a), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v[0]["id"].as_str(), Some(client.as_str()));
    assert_eq!(v[0]["language"], "ru");

    let body = json!({ "validity_hours": 48, "reminder_time": "09:30", "time_zone": "Europe/Berlin", "sms_allowed": false, "language": "ru", "resend_cooldown_seconds": 120 });
    let (s, _, v) = w
        .call(
            "PATCH",
            &format!("/api/orgs/{msp}/settings"),
            Some(&a),
            Some(body),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["validity_hours"].as_i64(), v["sms_allowed"].as_bool()),
        (Some(48), Some(false))
    );
    assert_eq!(v["reminder_time"], "09:30");
    let (s, _, v) = w
        .call(
            "PUT",
            &format!("/api/orgs/{msp}/reminders"),
            Some(&a),
            Some(json!({ "enabled": true })),
        )
        .await;
    assert_eq!(
        (s, v["reminders_enabled"].as_bool()),
        (StatusCode::OK, Some(true))
    );

    // Seats and policy are the operator's (403 for an admin).
    let (s, _, v) = w
        .call(
            "PUT",
            &format!("/api/orgs/{msp}/seat-limit"),
            Some(&a),
            Some(json!({ "limit": 3 })),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let op = w.operator.clone();
    let (s, _, v) = w
        .call(
            "PUT",
            &format!("/api/orgs/{msp}/seat-limit"),
            Some(&op),
            Some(json!({ "limit": 3 })),
        )
        .await;
    assert_eq!((s, v["seat_limit"].as_u64()), (StatusCode::OK, Some(3)));
    let (s, _, v) = w
        .call(
            "PUT",
            &format!("/api/orgs/{msp}/seat-policy"),
            Some(&op),
            Some(json!({ "policy": "reserve_on_invite" })),
        )
        .await;
    assert_eq!(
        (s, v["seat_policy"].as_str()),
        (StatusCode::OK, Some("reserve_on_invite"))
    );

    // Input errors: 400 with their codes.
    let (s, _, v) = w
        .call(
            "PUT",
            &format!("/api/orgs/{msp}/seat-policy"),
            Some(&op),
            Some(json!({ "policy": "x" })),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_setting"))
    );
    let (s, _, v) = w
        .call(
            "POST",
            "/api/orgs",
            Some(&op),
            Some(json!({ "name": "X", "kind": "client", "seat_limit": 1 })),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_setting"))
    );
    let (s, _, v) = w
        .call(
            "PATCH",
            &format!("/api/orgs/{msp}/settings"),
            Some(&a),
            Some(json!({ "validity_hours": 100000 })),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("out_of_range"))
    );
    // An admin cannot create organizations; another org's admin cannot read this one.
    let (s, _, _) = w
        .call(
            "POST",
            "/api/orgs",
            Some(&a),
            Some(json!({ "name": "X", "kind": "standalone", "seat_limit": 1 })),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = w
        .call(
            "GET",
            &format!("/api/orgs/{msp}"),
            Some(&admin(&client)),
            None,
        )
        .await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
        "{s}"
    );
    let (s, _, v) = w
        .call(
            "GET",
            &format!("/api/orgs/{}", uuid::Uuid::new_v4()),
            Some(&op),
            None,
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("organization_not_found"))
    );
}

#[tokio::test]
async fn request_errors_are_json() {
    let w = World::new();
    let org = standalone(&w, 5).await;
    let a = admin(&org);
    // No actor: 401.
    let (s, _, v) = w
        .call("GET", &format!("/api/orgs/{org}/dashboard"), None, None)
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    // Malformed JSON, a bad path, a bad query: 400 bad_request.
    let req = Request::post(format!("/api/orgs/{org}/invitations"))
        .header("content-type", "application/json")
        .header("x-test-actor", serde_json::to_string(&a).unwrap())
        .body(Body::from("{not json"))
        .unwrap();
    let (s, _, v) = w.send(req).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    let (s, _, v) = w
        .call("GET", "/api/orgs/not-a-uuid/dashboard", Some(&a), None)
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    let (s, _, v) = w
        .call(
            "GET",
            &format!("/api/orgs/{org}/invitations?after=zzz"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    let (s, _, v) = w
        .call(
            "GET",
            &format!("/api/orgs/{org}/invitations?limit=0"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("out_of_range"))
    );
    // A cross-site write: 403 csrf, before the handler runs.
    let req = Request::put(format!("/api/orgs/{org}/reminders"))
        .header("content-type", "application/json")
        .header("sec-fetch-site", "cross-site")
        .header("x-test-actor", serde_json::to_string(&a).unwrap())
        .body(Body::from(r#"{"enabled":true}"#))
        .unwrap();
    let (s, _, v) = w.send(req).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("csrf"))
    );
}

#[tokio::test]
async fn infrastructure_errors_map_to_409_503_500() {
    let w = World::new();
    let org = standalone(&w, 5).await;
    let a = admin(&org);
    let body = || Some(json!({ "address": "bob@example.com", "access": user() }));
    let path = format!("/api/orgs/{org}/invitations");
    w.mode(CONFLICT);
    let (s, _, v) = w.call("POST", &path, Some(&a), body()).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
    w.mode(DOWN);
    let (s, _, v) = w.call("POST", &path, Some(&a), body()).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("store_unavailable"))
    );
    assert!(
        !v.to_string().contains("database is down"),
        "the cause stays in the log"
    );
    w.mode(INVARIANT);
    let (s, _, v) = w.call("POST", &path, Some(&a), body()).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, Some("internal"))
    );
    w.mode(PASS);
    let (s, _, _) = w.call("POST", &path, Some(&a), body()).await;
    assert_eq!(s, StatusCode::CREATED);
}

#[tokio::test]
async fn invite_list_and_page() {
    let w = World::new();
    let org = standalone(&w, 10).await;
    let a = admin(&org);
    let path = format!("/api/orgs/{org}/invitations");
    let (s, _, v) = w
        .call(
            "POST",
            &path,
            Some(&a),
            Some(json!({ "address": "bob@example.com", "access": user() })),
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::CREATED, Some("queued"))
    );
    assert_eq!(v["actions"], json!(["cancel", "edit_access"]));
    let (s, _, v) = w
        .call(
            "POST",
            &path,
            Some(&a),
            Some(json!({ "address": "BOB@example.com ", "access": user() })),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("already_invited"))
    );
    let (s, _, v) = w
        .call(
            "POST",
            &path,
            Some(&a),
            Some(json!({ "address": "9051111111", "access": user() })),
        )
        .await;
    assert_eq!(
        (
            s,
            v["error"]["code"].as_str(),
            v["error"]["reason"].as_str()
        ),
        (
            StatusCode::BAD_REQUEST,
            Some("invalid_contact"),
            Some("missing_country_code")
        )
    );
    let admin_access = json!({ "type": "admin", "role": "admin" });
    let (s, _, v) = w
        .call(
            "POST",
            &path,
            Some(&a),
            Some(json!({ "address": "x@example.com", "access": admin_access })),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_access"))
    );
    // Bulk: an answer per address.
    let bulk = json!({ "addresses": ["c1@example.com", "c2@example.com", "bad@", "+79051111111"], "access": { "type": "admin", "permission_level": "ops", "role": "admin" } });
    let (s, _, v) = w
        .call("POST", &format!("{path}/bulk"), Some(&a), Some(bulk))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let oks: Vec<bool> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["ok"].as_bool().unwrap())
        .collect();
    assert_eq!(oks, [true, true, false, true]);
    assert_eq!(v[2]["error"]["code"], "invalid_contact");
    assert_eq!(v[3]["invitation"]["channel"], "sms");
    // Directory users: one without an e-mail is named.
    let dir = json!({ "channel": "email", "access": user(), "users": [ { "user": "u-7", "email": "seven@example.com" }, { "user": "u-8", "phone": "+79051111112" } ] });
    let (s, _, v) = w
        .call("POST", &format!("{path}/directory"), Some(&a), Some(dir))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (v[0]["ok"].as_bool(), v[1]["error"]["code"].as_str()),
        (Some(true), Some("missing_contact"))
    );
    let (s, _, v) = w
        .call(
            "POST",
            &format!("{path}/directory"),
            Some(&a),
            Some(json!({ "channel": "fax", "access": user(), "users": [] })),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    // Lists: tab, search, sort, keyset paging that never repeats a row.
    let (s, _, v) = w
        .call(
            "GET",
            &format!("{path}?tab=pending&limit=2"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["rows"].as_array().unwrap().len(), 2);
    let next = v["next"].as_str().expect("a cursor string").to_owned();
    let (_, _, v2) = w
        .call(
            "GET",
            &format!("{path}?tab=pending&limit=2&after={next}"),
            Some(&a),
            None,
        )
        .await;
    let first: Vec<&str> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        v2["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| !first.contains(&r["id"].as_str().unwrap()))
    );
    let (_, _, v) = w
        .call(
            "GET",
            &format!("{path}?q=C2%40&sort=signed_up&order=oldest"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(v["rows"][0]["address"], "c2@example.com");
    let (s, _, _) = w
        .call("GET", &format!("{path}?tab=nope"), Some(&a), None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // A read-only user reads but does not invite.
    let r = reader(&org);
    let (s, _, _) = w.call("GET", &path, Some(&r), None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = w
        .call(
            "POST",
            &path,
            Some(&r),
            Some(json!({ "address": "z@example.com", "access": user() })),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn actions_on_one_invitation() {
    let w = World::new();
    let org = standalone(&w, 10).await;
    let a = admin(&org);
    let (_, _, v) = w
        .call(
            "POST",
            &format!("/api/orgs/{org}/invitations"),
            Some(&a),
            Some(json!({ "address": "bob@example.com", "access": user() })),
        )
        .await;
    let id = v["id"].as_str().unwrap().to_owned();
    w.dispatcher.drain().await.unwrap();
    let (s, _, v) = w
        .call("GET", &format!("/api/invitations/{id}"), Some(&a), None)
        .await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("pending")));
    // Another organization's admin is told it does not exist.
    let other = standalone(&w, 1).await;
    let (s, _, v) = w
        .call(
            "GET",
            &format!("/api/invitations/{id}"),
            Some(&admin(&other)),
            None,
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("invitation_not_found"))
    );
    // Resend inside the cool-down: 429 with Retry-After.
    let (s, h, v) = w
        .call(
            "POST",
            &format!("/api/invitations/{id}/resend"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("resend_cooldown"))
    );
    assert!(h.get("retry-after").is_some() && v["error"]["retry_after"].is_string());
    w.clock.advance(TimeDelta::minutes(2));
    let (s, _, v) = w
        .call(
            "POST",
            &format!("/api/invitations/{id}/resend"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(
        (s, v["send_count"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{v}"
    );
    let (s, _, v) = w.call("PUT", &format!("/api/invitations/{id}/access"), Some(&a), Some(json!({ "access": { "type": "admin", "permission_level": "billing", "role": "admin" } }))).await;
    assert_eq!(
        (s, v["access"]["permission_level"].as_str()),
        (StatusCode::OK, Some("billing"))
    );
    // Follow-up and mark-completed are for Never Used: 422 now.
    let (s, _, v) = w
        .call(
            "POST",
            &format!("/api/invitations/{id}/mark-completed"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("action_not_allowed"))
    );
    let (s, _, v) = w
        .call(
            "POST",
            &format!("/api/invitations/{id}/follow-up"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("action_not_allowed"))
    );
    let (s, _, v) = w
        .call(
            "POST",
            &format!("/api/invitations/{id}/cancel"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("cancelled"))
    );
    let (s, _, v) = w
        .call(
            "POST",
            &format!("/api/invitations/{}/cancel", uuid::Uuid::new_v4()),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("invitation_not_found"))
    );
}

#[tokio::test]
async fn selection_dry_run_then_run() {
    let w = World::new();
    let org = standalone(&w, 10).await;
    let a = admin(&org);
    let bulk = json!({ "addresses": ["a@example.com", "b@example.com"], "access": user() });
    let (_, _, v) = w
        .call(
            "POST",
            &format!("/api/orgs/{org}/invitations/bulk"),
            Some(&a),
            Some(bulk),
        )
        .await;
    let ids: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["invitation"]["id"].as_str().unwrap().to_owned())
        .collect();
    w.dispatcher.drain().await.unwrap();
    w.clock.advance(TimeDelta::minutes(2));
    let path = format!("/api/orgs/{org}/invitations/selection");
    let (s, _, v) = w
        .call(
            "POST",
            &path,
            Some(&a),
            Some(json!({ "action": "cancel", "ids": [ids[0]], "dry_run": true })),
        )
        .await;
    assert_eq!((s, v[0]["ok"].as_bool()), (StatusCode::OK, Some(true)));
    let (_, _, v) = w
        .call(
            "GET",
            &format!("/api/invitations/{}", ids[0]),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(v["status"], "pending", "a dry run changes nothing");
    let (_, _, v) = w
        .call(
            "POST",
            &path,
            Some(&a),
            Some(json!({ "action": "cancel", "ids": [ids[0], ids[0]] })),
        )
        .await;
    assert_eq!(v.as_array().unwrap().len(), 1, "one id acts once");
    assert_eq!(v[0]["invitation"]["status"], "cancelled");
    let (_, _, v) = w
        .call(
            "POST",
            &path,
            Some(&a),
            Some(json!({ "action": "resend", "ids": ids, "dry_run": true })),
        )
        .await;
    assert_eq!(
        (v[0]["ok"].as_bool(), v[1]["ok"].as_bool()),
        (Some(false), Some(true))
    );
    assert_eq!(v[0]["error"]["code"], "action_not_allowed");
    let (_, _, v) = w
        .call(
            "POST",
            &path,
            Some(&a),
            Some(json!({ "action": "resend", "ids": [ids[1]] })),
        )
        .await;
    assert_eq!(v[0]["invitation"]["send_count"], 1);
    let (s, _, _) = w
        .call(
            "POST",
            &path,
            Some(&a),
            Some(json!({ "action": "archive", "ids": [] })),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn reads_dashboard_seats_series_audit_statuses() {
    let w = World::new();
    let org = standalone(&w, 2).await;
    let a = admin(&org);
    let dir = json!({ "channel": "email", "access": user(), "users": [ { "user": "u-1", "email": "one@example.com" } ] });
    w.call(
        "POST",
        &format!("/api/orgs/{org}/invitations/directory"),
        Some(&a),
        Some(dir),
    )
    .await;
    w.dispatcher.drain().await.unwrap();
    let (s, _, v) = w
        .call("GET", &format!("/api/orgs/{org}/dashboard"), Some(&a), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (
            v["counts"]["pending"].as_u64(),
            v["counts"]["invited_by_email"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(v["seats"], json!({ "limit": 2, "used": 0, "available": 2 }));
    let (_, _, v) = w
        .call("GET", &format!("/api/orgs/{org}/seats"), Some(&a), None)
        .await;
    assert_eq!(v["available"], 2);
    let (s, _, v) = w
        .call("GET", &format!("/api/orgs/{org}/series"), Some(&a), None)
        .await;
    assert_eq!(
        (s, v["days"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(14))
    );
    assert_eq!(v["days"][13]["invitations_sent"], 1);
    let (s, _, v) = w
        .call(
            "GET",
            &format!("/api/orgs/{org}/series?from=2026-03-01&to=2026-03-02"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(
        (s, v["days"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(2))
    );
    let (s, _, v) = w
        .call(
            "GET",
            &format!("/api/orgs/{org}/series?from=2020-01-01&to=2026-03-02"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("out_of_range"))
    );
    let (s, _, v) = w
        .call("GET", &format!("/api/orgs/{org}/audit"), Some(&a), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let inv = v
        .as_array()
        .unwrap()
        .iter()
        .find_map(|e| e["invitation"].as_str())
        .expect("an invitation event")
        .to_owned();
    let (_, _, v2) = w
        .call(
            "GET",
            &format!("/api/orgs/{org}/audit?invitation={inv}"),
            Some(&a),
            None,
        )
        .await;
    assert!(!v2.as_array().unwrap().is_empty());
    let (s, _, v) = w
        .call(
            "POST",
            &format!("/api/orgs/{org}/user-statuses"),
            Some(&a),
            Some(json!({ "users": ["u-1", "u-2"] })),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        v,
        json!([{ "user": "u-1", "status": "pending" }, { "user": "u-2", "status": "not_invited" }])
    );
}

#[tokio::test]
async fn members_signup_and_first_login() {
    let w = World::new();
    let org = standalone(&w, 2).await;
    let a = admin(&org);
    let op = w.operator.clone();
    let add = json!({ "address": "owner@example.com", "user_ref": "u-owner", "access": { "type": "admin", "permission_level": "owner", "role": "admin" } });
    let (s, _, v) = w
        .call(
            "POST",
            &format!("/api/orgs/{org}/members"),
            Some(&op),
            Some(add.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let owner = v["id"].as_str().unwrap().to_owned();
    let (s, _, v) = w
        .call(
            "POST",
            &format!("/api/orgs/{org}/members"),
            Some(&op),
            Some(add),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("already_member"))
    );
    let bulk = json!({ "addresses": ["bob@example.com", "cat@example.com"], "access": user() });
    w.call(
        "POST",
        &format!("/api/orgs/{org}/invitations/bulk"),
        Some(&a),
        Some(bulk),
    )
    .await;
    w.dispatcher.drain().await.unwrap();
    let token = w.token_for("bob@example.com");
    // Preview consumes nothing, twice.
    for _ in 0..2 {
        let (s, _, v) = w
            .call(
                "POST",
                "/api/signup/preview",
                None,
                Some(json!({ "token": token })),
            )
            .await;
        assert_eq!(
            (s, v["org_name"].as_str(), v["address"].as_str()),
            (StatusCode::OK, Some("Acme"), Some("bob@example.com"))
        );
        assert_eq!(v["sender_name"], "Ann Admin");
    }
    let (s, _, v) = w
        .call(
            "POST",
            "/api/signup/preview",
            None,
            Some(json!({ "token": "nope" })),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("unknown_link"))
    );
    let (s, _, v) = w
        .call(
            "POST",
            "/api/signup",
            None,
            Some(json!({ "token": token, "user_ref": "app-bob" })),
        )
        .await;
    assert_eq!(
        (s, v["invitation"]["status"].as_str()),
        (StatusCode::OK, Some("never_used")),
        "{v}"
    );
    let bob = v["member"]["id"].as_str().unwrap().to_owned();
    let (s, _, v) = w
        .call("POST", "/api/signup", None, Some(json!({ "token": token })))
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::GONE, Some("link_already_used"))
    );
    // The last seat is gone: Cat's signup fails and her invitation is Failed with the reason.
    let (s, _, v) = w
        .call(
            "POST",
            "/api/signup",
            None,
            Some(json!({ "token": w.token_for("cat@example.com") })),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("seats_exhausted"))
    );
    let (_, _, v) = w
        .call(
            "GET",
            &format!("/api/orgs/{org}/invitations?tab=expired_or_failed"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(v["rows"][0]["failure"], "seats exhausted");
    let (s, _, v) = w
        .call(
            "POST",
            &format!("/api/orgs/{org}/invitations"),
            Some(&a),
            Some(json!({ "address": "dan@example.com", "access": user() })),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("no_seats_available"))
    );
    // Members: list, details, first login, follow-up, mark completed, removal.
    let (s, _, v) = w
        .call("GET", &format!("/api/orgs/{org}/members"), Some(&a), None)
        .await;
    assert_eq!(
        (s, v.as_array().map(Vec::len)),
        (StatusCode::OK, Some(2)),
        "{v}"
    );
    let (s, _, v) = w
        .call("GET", &format!("/api/members/{bob}"), Some(&a), None)
        .await;
    assert_eq!(
        (s, v["invitation"]["status"].as_str()),
        (StatusCode::OK, Some("never_used"))
    );
    let inv = v["invitation"]["id"].as_str().unwrap().to_owned();
    let (s, _, v) = w
        .call(
            "POST",
            &format!("/api/invitations/{inv}/follow-up"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("never_used"))
    );
    let (s, _, v) = w
        .call(
            "POST",
            &format!("/api/invitations/{inv}/follow-up"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("follow_up_too_soon"))
    );
    let app = invite_core::Actor::Application;
    let (s, _, _) = w
        .call(
            "POST",
            &format!("/api/members/{bob}/first-login"),
            Some(&app),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, _, v) = w
        .call("GET", &format!("/api/invitations/{inv}"), Some(&a), None)
        .await;
    assert_eq!(v["status"], "completed");
    let (s, _, v) = w
        .call(
            "POST",
            &format!("/api/invitations/{inv}/mark-completed"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("action_not_allowed"))
    );
    let (s, _, v) = w
        .call("DELETE", &format!("/api/members/{owner}"), Some(&a), None)
        .await;
    assert_eq!((s, v["removed_at"].is_string()), (StatusCode::OK, true));
    let (s, _, v) = w
        .call(
            "GET",
            &format!("/api/members/{}", uuid::Uuid::new_v4()),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("member_not_found"))
    );
    let (s, _, _) = w
        .call(
            "DELETE",
            &format!("/api/members/{bob}"),
            Some(&reader(&org)),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_selection_acts_on_its_organization_only() {
    let w = World::new();
    let msp = w.org("Northwind", json!({ "kind": "msp" }), 10).await;
    let client = w
        .org("Alpha", json!({ "kind": "client", "msp": msp }), 5)
        .await;
    let access = json!({ "type": "user", "grants": [{ "client": client, "role": "admin" }] });
    let a = admin(&msp);
    let (s, _, v) = w
        .call(
            "POST",
            &format!("/api/orgs/{msp}/invitations"),
            Some(&a),
            Some(json!({ "address": "t@example.com", "access": access })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    // The MSP's own id, posted under the client's path: refused, and nothing is cancelled.
    let body = json!({ "action": "cancel", "ids": [id] });
    let (s, _, v) = w
        .call(
            "POST",
            &format!("/api/orgs/{client}/invitations/selection"),
            Some(&a),
            Some(body),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v[0]["error"]["code"], "invitation_not_found");
    let (_, _, v) = w
        .call("GET", &format!("/api/invitations/{id}"), Some(&a), None)
        .await;
    assert_eq!(v["status"], "queued");
    assert_eq!(v["access"]["grants"][0]["role"], "admin");
}
