//! JSON API handler tests: invitations, lists and actions, one and by selection.

mod common;

use axum::http::StatusCode;
use chrono::TimeDelta;
use common::*;
use serde_json::json;

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
        (StatusCode::CONFLICT, Some("already_invited"))
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
            v["error"]["details"]["MissingCountryCode"]["input"].as_str()
        ),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("invalid_contact"),
            Some("9051111111")
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
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_access"))
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
    assert!(h.get("retry-after").is_some() && v["error"]["details"]["retry_after"].is_string());
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
        (StatusCode::CONFLICT, Some("action_not_allowed"))
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
        (StatusCode::CONFLICT, Some("action_not_allowed"))
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
    // Issue 13: the dry run's figures, for the confirmation dialog; a cancel sends nothing.
    assert_eq!(
        (s, v["answers"][0]["ok"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    assert_eq!(v["answers"][0]["input"], ids[0].as_str());
    assert_eq!(v["messages"].as_array().map(Vec::len), Some(0));
    assert_eq!(v["seats_needed"], 0);
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
    let answers = &v["answers"];
    assert_eq!(
        (answers[0]["ok"].as_bool(), answers[1]["ok"].as_bool()),
        (Some(false), Some(true))
    );
    assert_eq!(answers[0]["error"]["code"], "action_not_allowed");
    // The one resend the real run would queue, to the one invitation it would resend.
    assert_eq!(
        v["messages"],
        json!([{ "invitation": ids[1], "kind": "resend", "channel": "email", "to": "b@example.com" }])
    );
    assert!(v["seats_needed"].is_u64(), "{v}");
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
    // The core checks who asks before it reads a row: the MSP's admin is no admin of the
    // client, so the whole selection is refused (403 with the core's code).
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (_, _, v) = w
        .call("GET", &format!("/api/invitations/{id}"), Some(&a), None)
        .await;
    assert_eq!(v["status"], "queued");
    assert_eq!(v["access"]["grants"][0]["role"], "admin");
}

/// The list's filters (issue 11, point 4) as query parameters: type, role, channel, sender,
/// client; a malformed one is `400 bad_request`.
#[tokio::test]
async fn list_filters_by_type_role_channel_and_sender() {
    let w = World::new();
    let org = standalone(&w, 10).await;
    let a = admin(&org);
    let bulk = json!({ "addresses": ["a@example.com", "b@example.com"], "access": user() });
    let (s, _, v) = w
        .call(
            "POST",
            &format!("/api/orgs/{org}/invitations/bulk"),
            Some(&a),
            Some(bulk),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let list = format!("/api/orgs/{org}/invitations");
    for (q, n) in [
        ("type=user", 2),
        ("type=admin", 0),
        ("role=read_only", 2),
        ("role=admin", 0),
        ("channel=email", 2),
        ("channel=sms", 0),
        ("type=user&channel=email&q=a@", 1),
    ] {
        let (s, _, v) = w.call("GET", &format!("{list}?{q}"), Some(&a), None).await;
        assert_eq!(
            (s, v["rows"].as_array().map(Vec::len)),
            (StatusCode::OK, Some(n)),
            "{q}: {v}"
        );
    }
    for q in [
        "type=robot",
        "role=owner",
        "channel=fax",
        "client=not-a-uuid",
    ] {
        let (s, _, v) = w.call("GET", &format!("{list}?{q}"), Some(&a), None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {v}");
    }
}

#[tokio::test]
async fn selections_by_user_id_and_access_edits_answer_per_item() {
    // Issue 13 (seed 001): resend or cancel by the application's user ids, and edit access
    // over a selection, each answered per item; a bad request is a 400 before anything.
    let w = World::new();
    let org = standalone(&w, 10).await;
    let a = admin(&org);
    let users = json!({ "users": [
        { "user": "app-1", "email": "one@example.com" },
        { "user": "app-2", "email": "two@example.com" }
    ], "channel": "email", "access": user() });
    let (s, _, v) = w
        .call(
            "POST",
            &format!("/api/orgs/{org}/invitations/directory"),
            Some(&a),
            Some(users),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let ids: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["invitation"]["id"].as_str().unwrap().to_owned())
        .collect();
    w.dispatcher.drain().await.unwrap();

    // Edit access over the selection: both become admins of the read-only role's place.
    let path = format!("/api/orgs/{org}/invitations/selection");
    let edit = json!({ "action": "edit_access", "ids": ids,
        "access": { "type": "user", "role": "admin" } });
    let (s, _, v) = w.call("POST", &path, Some(&a), Some(edit)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for answer in v.as_array().unwrap() {
        assert_eq!(answer["ok"], true, "{answer}");
        assert_eq!(answer["invitation"]["access"]["role"], "admin");
    }
    let (s, _, v) = w
        .call(
            "POST",
            &path,
            Some(&a),
            Some(json!({ "action": "edit_access", "ids": [ids[0]] })),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    let (s, _, _) = w
        .call(
            "POST",
            &path,
            Some(&a),
            Some(json!({ "action": "cancel", "ids": [ids[0]], "access": user() })),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // Cancel by user id: app-1's invitation is cancelled, an unknown user is answered alone.
    let by_user = format!("/api/orgs/{org}/users/selection");
    let (s, _, v) = w
        .call(
            "POST",
            &by_user,
            Some(&a),
            Some(json!({ "action": "cancel", "users": ["app-1", "app-nobody"] })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v[0]["input"].as_str(), v[0]["ok"].as_bool()),
        (Some("app-1"), Some(true))
    );
    assert_eq!(v[0]["invitation"]["id"].as_str(), Some(ids[0].as_str()));
    assert_eq!(v[1]["input"], "app-nobody");
    assert_eq!(v[1]["ok"], false);
    assert_eq!(v[1]["error"]["code"], "user_not_invited");
    let (_, _, v) = w
        .call(
            "GET",
            &format!("/api/invitations/{}", ids[0]),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(v["status"], "cancelled");

    // A reader may not act; nothing changes.
    let (s, _, v) = w
        .call(
            "POST",
            &by_user,
            Some(&reader(&org)),
            Some(json!({ "action": "cancel", "users": ["app-2"] })),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (_, _, v) = w
        .call(
            "GET",
            &format!("/api/invitations/{}", ids[1]),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(v["status"], "pending");
}
