//! The event feed routes: an organization's events and every organization's, paged by the
//! cursor, with their refusals.

mod common;

use axum::http::StatusCode;
use common::*;
use invite_core::Actor;
use serde_json::{Value, json};

/// Every event of `path`, page by page of `limit`; answers the names in order and the pages.
async fn read_all(w: &World, actor: &Actor, path: &str, limit: u32) -> (Vec<String>, usize) {
    let mut names = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let url = match &after {
            Some(a) => format!("{path}?limit={limit}&after={a}"),
            None => format!("{path}?limit={limit}"),
        };
        let (s, _, v) = w.call("GET", &url, Some(actor), None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        pages += 1;
        let events = v["events"].as_array().expect("events").clone();
        assert!(events.len() <= limit as usize);
        if events.is_empty() {
            assert_eq!(v["next"], Value::Null, "an empty page hands out no cursor");
            return (names, pages);
        }
        assert_eq!(v["next"], events.last().expect("one")["position"]);
        names.extend(
            events
                .iter()
                .map(|e| e["name"].as_str().expect("name").to_owned()),
        );
        after = v["next"].as_str().map(str::to_owned);
    }
}

#[tokio::test]
async fn an_organizations_events_page_after_the_cursor_each_once_in_order() {
    let w = World::new();
    let org = standalone(&w, 5).await;
    let a = admin(&org);
    let (s, _, v) = w
        .call(
            "POST",
            &format!("/api/orgs/{org}/invitations/bulk"),
            Some(&a),
            Some(json!({ "addresses": ["a@example.com", "b@example.com", "c@example.com"], "access": user() })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    w.dispatcher.drain().await.expect("delivered");
    let path = format!("/api/orgs/{org}/events");
    // In pages of two: every event once, in the order they happened.
    let (names, pages) = read_all(&w, &a, &path, 2).await;
    assert_eq!(
        names,
        [
            "organization.created",
            "invitation.created",
            "invitation.created",
            "invitation.created",
            "invitation.delivered",
            "invitation.delivered",
            "invitation.delivered",
        ]
    );
    assert_eq!(pages, 5, "four pages of events, then the empty one");
    // A reader reads them too, all at once; a later event comes after the last cursor.
    let r = reader(&org);
    let (s, _, v) = w.call("GET", &path, Some(&r), None).await;
    assert_eq!(s, StatusCode::OK);
    let last = v["next"].as_str().expect("a cursor").to_owned();
    let id = v["events"][1]["event"]["invitation"]
        .as_str()
        .expect("an invitation")
        .to_owned();
    w.call(
        "POST",
        &format!("/api/invitations/{id}/cancel"),
        Some(&a),
        None,
    )
    .await;
    let (_, _, v) = w
        .call("GET", &format!("{path}?after={last}"), Some(&r), None)
        .await;
    assert_eq!(v["events"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["events"][0]["name"], "invitation.cancelled");
    assert_eq!(v["events"][0]["event"]["after"], "Cancelled");
    // One invitation's events only.
    let (_, _, v) = w
        .call("GET", &format!("{path}?invitation={id}"), Some(&r), None)
        .await;
    let names: Vec<&str> = v["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "invitation.created",
            "invitation.delivered",
            "invitation.cancelled"
        ]
    );
}

#[tokio::test]
async fn every_organizations_events_are_the_applications_and_the_operators() {
    let w = World::new();
    let acme = standalone(&w, 5).await;
    let other = w.org("Globex", json!({ "kind": "standalone" }), 5).await;
    let (names, _) = read_all(&w, &w.operator, "/api/events", 100).await;
    assert_eq!(names, ["organization.created", "organization.created"]);
    let (names, _) = read_all(&w, &Actor::Application, "/api/events", 1).await;
    assert_eq!(names.len(), 2);
    let (_, _, v) = w.call("GET", "/api/events", Some(&w.operator), None).await;
    let orgs: Vec<&str> = v["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["event"]["org"].as_str())
        .collect();
    assert_eq!(orgs, [acme.as_str(), other.as_str()]);
    // An organization's admin reads its own feed, not everyone's.
    let (s, _, v) = w
        .call("GET", "/api/events", Some(&admin(&acme)), None)
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
}

#[tokio::test]
async fn the_feeds_refusals_have_their_codes() {
    let w = World::new();
    let org = standalone(&w, 5).await;
    let a = admin(&org);
    let path = format!("/api/orgs/{org}/events");
    for (query, status, code) in [
        ("?after=zzz", StatusCode::BAD_REQUEST, "bad_request"),
        ("?after=1", StatusCode::BAD_REQUEST, "bad_request"),
        ("?limit=0", StatusCode::UNPROCESSABLE_ENTITY, "out_of_range"),
        (
            "?limit=1001",
            StatusCode::UNPROCESSABLE_ENTITY,
            "out_of_range",
        ),
        ("?invitation=nope", StatusCode::BAD_REQUEST, "bad_request"),
    ] {
        let (s, _, v) = w
            .call("GET", &format!("{path}{query}"), Some(&a), None)
            .await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (status, Some(code)),
            "{query}"
        );
    }
    let (_, _, v) = w
        .call("GET", &format!("{path}?limit=0"), Some(&a), None)
        .await;
    assert_eq!(v["error"]["details"]["field"], "limit");
    // Another organization's admin may not read it.
    let other = w.org("Globex", json!({ "kind": "standalone" }), 5).await;
    let (s, _, v) = w.call("GET", &path, Some(&admin(&other)), None).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
}
