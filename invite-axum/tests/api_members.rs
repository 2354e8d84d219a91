//! JSON API handler tests: reads, members, signup and first login.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

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
        (StatusCode::UNPROCESSABLE_ENTITY, Some("out_of_range"))
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
        (StatusCode::CONFLICT, Some("already_member"))
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
            (s, v["organization_name"].as_str(), v["address"].as_str()),
            (StatusCode::OK, Some("Acme"), Some("bob@example.com"))
        );
        assert_eq!(v["invited_by"], "Ann Admin");
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
    // The same submission again (the invitation now carries app-bob) answers the same signup;
    // another application user with the same link is refused.
    let (s, _, v) = w
        .call("POST", "/api/signup", None, Some(json!({ "token": token })))
        .await;
    assert_eq!(
        (s, v["member"]["id"].as_str()),
        (StatusCode::OK, Some(bob.as_str()))
    );
    let (s, _, v) = w
        .call(
            "POST",
            "/api/signup",
            None,
            Some(json!({ "token": token, "user_ref": "app-eve" })),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("link_already_used"))
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
        (StatusCode::CONFLICT, Some("seats_exhausted"))
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
        (StatusCode::CONFLICT, Some("no_seats_available"))
    );
    // Members: list, details, first login, follow-up, mark completed, removal.
    let (s, _, v) = w
        .call("GET", &format!("/api/orgs/{org}/members"), Some(&a), None)
        .await;
    assert_eq!(
        (s, v["rows"].as_array().map(Vec::len)),
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
        (StatusCode::CONFLICT, Some("action_not_allowed"))
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

/// The core's member list through the API: tabs, search, keyset paging, direct members
/// included (issue 11, point 2), lookups by user id and address, access edits after signup,
/// and each error class with the core's stable code.
#[tokio::test]
async fn member_list_pages_lookups_and_access_edits() {
    let w = World::new();
    let org = standalone(&w, 5).await;
    let a = admin(&org);
    let op = w.operator.clone();
    let add = json!({ "address": "owner@example.com", "user_ref": "u-owner", "access": { "type": "admin", "permission_level": "owner", "role": "admin" } });
    let (s, _, v) = w
        .call(
            "POST",
            &format!("/api/orgs/{org}/members"),
            Some(&op),
            Some(add),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let bulk = json!({ "addresses": ["bob@example.com"], "access": user() });
    w.call(
        "POST",
        &format!("/api/orgs/{org}/invitations/bulk"),
        Some(&a),
        Some(bulk),
    )
    .await;
    w.dispatcher.drain().await.unwrap();
    let (s, _, v) = w
        .call(
            "POST",
            "/api/signup",
            None,
            Some(json!({ "token": w.token_for("bob@example.com"), "user_ref": "u-bob" })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let bob = v["member"]["id"].as_str().unwrap().to_owned();
    let list = format!("/api/orgs/{org}/members");

    // Keyset paging: one row a page, two members, no row twice.
    let (s, _, v) = w
        .call("GET", &format!("{list}?limit=1"), Some(&a), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["rows"].as_array().map(Vec::len), Some(1));
    let first = v["rows"][0]["member"]["id"].clone();
    let next = v["next"].as_str().expect("a next page").to_owned();
    let (_, _, v) = w
        .call(
            "GET",
            &format!("{list}?limit=1&after={next}"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(v["rows"].as_array().map(Vec::len), Some(1), "{v}");
    assert_ne!(v["rows"][0]["member"]["id"], first);

    // Tabs and search: Bob is Never Used; the owner, added directly, has no invitation.
    let (_, _, v) = w
        .call("GET", &format!("{list}?tab=never_used"), Some(&a), None)
        .await;
    assert_eq!(v["rows"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v["rows"][0]["state"], "never_used");
    assert_eq!(v["rows"][0]["invited_by"], "Ann Admin");
    let (_, _, v) = w
        .call("GET", &format!("{list}?search=owner"), Some(&a), None)
        .await;
    assert_eq!(v["rows"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v["rows"][0]["invitation"], serde_json::Value::Null);
    assert_eq!(v["rows"][0]["state"], "completed");

    // Bad query parameters are 4xx with the stable code.
    for q in ["after=nonsense", "order=sideways", "limit=0"] {
        let (s, _, v) = w.call("GET", &format!("{list}?{q}"), Some(&a), None).await;
        assert_eq!(
            (s.is_client_error(), v["error"]["code"].as_str()),
            (true, Some("out_of_range")),
            "{q}: {v}"
        );
    }
    let (s, _, _) = w
        .call("GET", &format!("{list}?tab=archived"), Some(&a), None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // Lookups: by user id, by address, none found, and malformed.
    let lookup = format!("/api/orgs/{org}/members/lookup");
    let (s, _, v) = w
        .call("GET", &format!("{lookup}?user=u-bob"), Some(&a), None)
        .await;
    assert_eq!(
        (s, v["member"]["id"].as_str()),
        (StatusCode::OK, Some(bob.as_str()))
    );
    let (_, _, v) = w
        .call(
            "GET",
            &format!("{lookup}?address=OWNER@example.com"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(v["member"]["user_ref"], "u-owner", "{v}");
    let (s, _, v) = w
        .call(
            "GET",
            &format!("{lookup}?address=nobody@example.com"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!((s, v), (StatusCode::OK, serde_json::Value::Null));
    let (s, _, v) = w
        .call(
            "GET",
            &format!("{lookup}?address=not-an-address"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(
        (s.is_client_error(), v["error"]["code"].as_str()),
        (true, Some("invalid_contact")),
        "{v}"
    );
    let (_, _, v) = w
        .call(
            "GET",
            &format!("{lookup}?user=u-bob&address=bob@example.com"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(v["error"]["code"], "out_of_range");

    // Access after signup: changed and audited; unknown member 404; a reader is refused.
    let edit = json!({ "access": { "type": "user", "role": "admin" } });
    let (s, _, v) = w
        .call(
            "PATCH",
            &format!("/api/members/{bob}"),
            Some(&a),
            Some(edit.clone()),
        )
        .await;
    assert_eq!(
        (s, v["access"]["role"].as_str()),
        (StatusCode::OK, Some("admin")),
        "{v}"
    );
    let (s, _, v) = w
        .call(
            "PATCH",
            &format!("/api/members/{}", uuid::Uuid::new_v4()),
            Some(&a),
            Some(edit),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("member_not_found"))
    );
}
