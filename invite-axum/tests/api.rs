//! JSON API handler tests: the OpenAPI document, organizations and settings, and every
//! error class, through the router with `tower::ServiceExt::oneshot` (no socket).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use serde_json::json;

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
        "/api/orgs/{org}/events",
        "/api/events",
        "/api/orgs/{org}/user-statuses",
        "/api/orgs/{org}/invitations",
        "/api/orgs/{org}/invitations/bulk",
        "/api/orgs/{org}/users/selection",
        "/api/orgs/{org}/invitations/directory",
        "/api/orgs/{org}/invitations/selection",
        "/api/orgs/{org}/members",
        "/api/orgs/{org}/members/lookup",
        "/api/invitations/{id}",
        "/api/invitations/{id}/resend",
        "/api/invitations/{id}/cancel",
        "/api/invitations/{id}/access",
        "/api/invitations/{id}/mark-completed",
        "/api/invitations/{id}/follow-up",
        "/api/members/{id}",
        "/api/members/{id}/first-login",
        "/api/delivery-reports",
        "/api/signup/preview",
        "/api/signup",
    ] {
        assert!(paths.contains_key(p), "{p} is documented");
    }
    assert_eq!(paths.len(), 32);
    // Every referenced schema exists.
    for name in [
        "ErrorBody",
        "InvitationJson",
        "PageJson",
        "Dashboard",
        "FeedPage",
        "LinkPreview",
        "OutcomeJson",
        "MemberPageJson",
        "MemberDetailsJson",
    ] {
        assert!(text.contains(&format!("\"{name}\"")), "{name} is a schema");
    }
    assert_eq!(invite_axum::openapi().paths.paths.len(), 32);
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
    // "E-mail only" (sms_allowed) is the operator's setting (issue 11, point 6): an admin is
    // refused with the core's stable code and nothing of the update is stored; the operator
    // sets it.
    let (s, _, v) = w
        .call(
            "PATCH",
            &format!("/api/orgs/{msp}/settings"),
            Some(&a),
            Some(body.clone()),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("operator_setting"))
    );
    let mut rest = body.clone();
    rest.as_object_mut().unwrap().remove("sms_allowed");
    let (s, _, v) = w
        .call(
            "PATCH",
            &format!("/api/orgs/{msp}/settings"),
            Some(&a),
            Some(rest),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["validity_hours"].as_i64(), v["sms_allowed"].as_bool()),
        (Some(48), Some(true))
    );
    let op = w.operator.clone();
    let (s, _, v) = w
        .call(
            "PATCH",
            &format!("/api/orgs/{msp}/settings"),
            Some(&op),
            Some(json!({ "sms_allowed": false })),
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
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_setting"))
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
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_setting"))
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
        (StatusCode::UNPROCESSABLE_ENTITY, Some("out_of_range"))
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
        (StatusCode::UNPROCESSABLE_ENTITY, Some("out_of_range"))
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
        (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable"))
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
