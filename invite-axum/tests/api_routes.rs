//! Every route of the JSON API against every error class: no actor (401), a refusal with
//! its stable code (4xx), concurrent changes winning every retry (409), the store down (503).
//! The table of operations is checked against the OpenAPI document both ways, so a route
//! added without its row (or its documentation) fails here. Every answer is also checked
//! against the document's schema by `World::send`.

mod common;

use axum::http::StatusCode;
use common::*;
use invite_core::Actor;
use serde_json::{Value, json};

/// A world with one organization holding a Pending invitation (past its resend cool-down), a
/// signed-up one (Never Used) and its member, and another organization.
struct Scene {
    w: World,
    org: String,
    other: String,
    pending: String,
    signed: String,
    member: String,
    token: String,
    /// The transport's id of the message to the Pending invitee.
    report: String,
}

async fn scene() -> Scene {
    let w = World::new();
    let org = standalone(&w, 10).await;
    let other = w.org("Globex", json!({ "kind": "standalone" }), 5).await;
    let a = admin(&org);
    let (s, _, v) = w
        .call(
            "POST",
            &format!("/api/orgs/{org}/invitations/bulk"),
            Some(&a),
            Some(json!({ "addresses": ["pending@example.com", "signed@example.com"], "access": user() })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let id = |i: usize| v[i]["invitation"]["id"].as_str().expect("id").to_owned();
    let (pending, signed) = (id(0), id(1));
    w.dispatcher.drain().await.expect("delivered");
    let (s, _, v) = w
        .call(
            "POST",
            "/api/signup",
            None,
            Some(json!({ "token": w.token_for("signed@example.com"), "user_ref": "app-signed" })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let member = v["member"]["id"].as_str().expect("member").to_owned();
    let token = w.token_for("pending@example.com");
    let report = format!(
        "rec-{}",
        w.notifier.delivered_to("pending@example.com")[0].message_id
    );
    w.clock.advance(chrono::TimeDelta::minutes(5));
    Scene {
        w,
        org,
        other,
        pending,
        signed,
        member,
        token,
        report,
    }
}

/// One operation: how to call it as someone it serves, whether it commits, and what an
/// actor it does not serve (or, for signup, a dead link) gets.
struct Op {
    method: &'static str,
    template: &'static str,
    path: String,
    body: Option<Value>,
    actor: Option<Actor>,
    commits: bool,
    outsider: Option<Actor>,
    refused: (StatusCode, &'static str),
    /// Whether errors are answered per item (200 with a list) rather than for the call.
    per_item: bool,
}

fn ops(sc: &Scene) -> Vec<Op> {
    let (org, other) = (&sc.org, &sc.other);
    let a = admin(org);
    let x = admin(other);
    let op = sc.w.operator.clone();
    let (p, n, m) = (&sc.pending, &sc.signed, &sc.member);
    let forbidden = (StatusCode::FORBIDDEN, "forbidden");
    let no_inv = (StatusCode::NOT_FOUND, "invitation_not_found");
    let no_member = (StatusCode::NOT_FOUND, "member_not_found");
    let row = |method, template, path: String, body: Option<Value>, actor: &Actor, commits| Op {
        method,
        template,
        path,
        body,
        actor: Some(actor.clone()),
        commits,
        outsider: Some(x.clone()),
        refused: forbidden,
        per_item: false,
    };
    let with = |mut o: Op, outsider: &Actor, refused: (StatusCode, &'static str)| {
        o.outsider = Some(outsider.clone());
        o.refused = refused;
        o
    };
    let signup = |template, body: Value, commits| Op {
        method: "POST",
        template,
        path: template.to_owned(),
        body: Some(body),
        actor: None,
        commits,
        outsider: None,
        refused: (StatusCode::NOT_FOUND, "unknown_link"),
        per_item: false,
    };
    let mut selection = row(
        "POST",
        "/api/orgs/{org}/invitations/selection",
        format!("/api/orgs/{org}/invitations/selection"),
        Some(json!({ "action": "resend", "ids": [p] })),
        &a,
        true,
    );
    // The core decides a selection in one commit and checks who asks first: an outsider is
    // refused for the call (403), not per id.
    selection.per_item = false;
    vec![
        with(
            row(
                "POST",
                "/api/orgs",
                "/api/orgs".into(),
                Some(json!({ "name": "Initech", "kind": "standalone", "seat_limit": 3 })),
                &op,
                true,
            ),
            &a,
            forbidden,
        ),
        row(
            "GET",
            "/api/orgs/{org}",
            format!("/api/orgs/{org}"),
            None,
            &a,
            false,
        ),
        row(
            "PATCH",
            "/api/orgs/{org}/settings",
            format!("/api/orgs/{org}/settings"),
            Some(json!({ "validity_hours": 48 })),
            &a,
            true,
        ),
        with(
            row(
                "PUT",
                "/api/orgs/{org}/seat-limit",
                format!("/api/orgs/{org}/seat-limit"),
                Some(json!({ "limit": 20 })),
                &op,
                true,
            ),
            &a,
            forbidden,
        ),
        with(
            row(
                "PUT",
                "/api/orgs/{org}/seat-policy",
                format!("/api/orgs/{org}/seat-policy"),
                Some(json!({ "policy": "reserve_on_invite" })),
                &op,
                true,
            ),
            &a,
            forbidden,
        ),
        row(
            "PUT",
            "/api/orgs/{org}/reminders",
            format!("/api/orgs/{org}/reminders"),
            Some(json!({ "enabled": true })),
            &a,
            true,
        ),
        row(
            "GET",
            "/api/orgs/{org}/clients",
            format!("/api/orgs/{org}/clients"),
            None,
            &a,
            false,
        ),
        row(
            "GET",
            "/api/orgs/{org}/dashboard",
            format!("/api/orgs/{org}/dashboard"),
            None,
            &a,
            false,
        ),
        row(
            "GET",
            "/api/orgs/{org}/seats",
            format!("/api/orgs/{org}/seats"),
            None,
            &a,
            false,
        ),
        row(
            "GET",
            "/api/orgs/{org}/series",
            format!("/api/orgs/{org}/series"),
            None,
            &a,
            false,
        ),
        row(
            "GET",
            "/api/orgs/{org}/audit",
            format!("/api/orgs/{org}/audit"),
            None,
            &a,
            false,
        ),
        row(
            "GET",
            "/api/orgs/{org}/events",
            format!("/api/orgs/{org}/events"),
            None,
            &a,
            false,
        ),
        with(
            row("GET", "/api/events", "/api/events".into(), None, &op, false),
            &a,
            forbidden,
        ),
        row(
            "POST",
            "/api/orgs/{org}/user-statuses",
            format!("/api/orgs/{org}/user-statuses"),
            Some(json!({ "users": ["app-signed"] })),
            &a,
            false,
        ),
        row(
            "GET",
            "/api/orgs/{org}/invitations",
            format!("/api/orgs/{org}/invitations"),
            None,
            &a,
            false,
        ),
        row(
            "POST",
            "/api/orgs/{org}/invitations",
            format!("/api/orgs/{org}/invitations"),
            Some(json!({ "address": "new@example.com", "access": user() })),
            &a,
            true,
        ),
        row(
            "POST",
            "/api/orgs/{org}/invitations/bulk",
            format!("/api/orgs/{org}/invitations/bulk"),
            Some(json!({ "addresses": ["n1@example.com", "n2@example.com"], "access": user() })),
            &a,
            true,
        ),
        row(
            "POST",
            "/api/orgs/{org}/invitations/directory",
            format!("/api/orgs/{org}/invitations/directory"),
            Some(
                json!({ "users": [{ "user": "app-9", "email": "n9@example.com" }], "channel": "email", "access": user() }),
            ),
            &a,
            true,
        ),
        selection,
        // A user with no invitation is answered per user (`user_not_invited`) and nothing
        // is committed; the acting cases are `api_invitations::selections_by_user_id_...`.
        row(
            "POST",
            "/api/orgs/{org}/users/selection",
            format!("/api/orgs/{org}/users/selection"),
            Some(json!({ "action": "cancel", "users": ["app-nobody"] })),
            &a,
            false,
        ),
        row(
            "GET",
            "/api/orgs/{org}/members",
            format!("/api/orgs/{org}/members"),
            None,
            &a,
            false,
        ),
        row(
            "POST",
            "/api/orgs/{org}/members",
            format!("/api/orgs/{org}/members"),
            Some(json!({ "address": "direct@example.com", "access": user() })),
            &a,
            true,
        ),
        with(
            row(
                "GET",
                "/api/invitations/{id}",
                format!("/api/invitations/{p}"),
                None,
                &a,
                false,
            ),
            &x,
            no_inv,
        ),
        with(
            row(
                "POST",
                "/api/invitations/{id}/resend",
                format!("/api/invitations/{p}/resend"),
                None,
                &a,
                true,
            ),
            &x,
            no_inv,
        ),
        with(
            row(
                "POST",
                "/api/invitations/{id}/cancel",
                format!("/api/invitations/{p}/cancel"),
                None,
                &a,
                true,
            ),
            &x,
            no_inv,
        ),
        with(
            row(
                "PUT",
                "/api/invitations/{id}/access",
                format!("/api/invitations/{p}/access"),
                Some(json!({ "access": { "type": "user", "role": "admin" } })),
                &a,
                true,
            ),
            &x,
            no_inv,
        ),
        with(
            row(
                "POST",
                "/api/invitations/{id}/mark-completed",
                format!("/api/invitations/{n}/mark-completed"),
                None,
                &a,
                true,
            ),
            &x,
            no_inv,
        ),
        with(
            row(
                "POST",
                "/api/invitations/{id}/follow-up",
                format!("/api/invitations/{n}/follow-up"),
                None,
                &a,
                true,
            ),
            &x,
            no_inv,
        ),
        with(
            row(
                "GET",
                "/api/members/{id}",
                format!("/api/members/{m}"),
                None,
                &a,
                false,
            ),
            &x,
            no_member,
        ),
        with(
            row(
                "PATCH",
                "/api/members/{id}",
                format!("/api/members/{m}"),
                Some(json!({ "access": { "type": "user", "role": "admin" } })),
                &a,
                true,
            ),
            &x,
            no_member,
        ),
        row(
            "GET",
            "/api/orgs/{org}/members/lookup",
            format!("/api/orgs/{org}/members/lookup?user=app-signed"),
            None,
            &a,
            false,
        ),
        with(
            row(
                "DELETE",
                "/api/members/{id}",
                format!("/api/members/{m}"),
                None,
                &a,
                true,
            ),
            &x,
            no_member,
        ),
        with(
            row(
                "POST",
                "/api/members/{id}/first-login",
                format!("/api/members/{m}/first-login"),
                None,
                &a,
                true,
            ),
            &x,
            no_member,
        ),
        with(
            row(
                "POST",
                "/api/delivery-reports",
                "/api/delivery-reports".into(),
                Some(
                    json!({ "provider_id": sc.report, "outcome": { "Failed": { "reason": "UNDELIV err:001" } } }),
                ),
                &Actor::Application,
                true,
            ),
            &a,
            forbidden,
        ),
        signup("/api/signup/preview", json!({ "token": sc.token }), false),
        signup(
            "/api/signup",
            json!({ "token": sc.token, "user_ref": "app-p" }),
            true,
        ),
    ]
}

impl Op {
    async fn call(&self, w: &World, actor: Option<&Actor>) -> (StatusCode, Value) {
        let (s, _, v) = w
            .call(self.method, &self.path, actor, self.body.clone())
            .await;
        (s, v)
    }

    /// The error codes of the answer: the call's, or each item's.
    fn codes(&self, status: StatusCode, v: &Value) -> Vec<(StatusCode, String)> {
        if self.per_item && status == StatusCode::OK {
            v.as_array()
                .expect("a list")
                .iter()
                .map(|o| {
                    let e = &o["error"];
                    let s = e["status"].as_u64().and_then(|s| u16::try_from(s).ok());
                    (
                        StatusCode::from_u16(s.unwrap_or(200)).expect("a status"),
                        e["code"].as_str().unwrap_or("none").to_owned(),
                    )
                })
                .collect()
        } else {
            vec![(
                status,
                v["error"]["code"].as_str().unwrap_or("none").to_owned(),
            )]
        }
    }
}

#[tokio::test]
async fn the_table_holds_every_documented_operation_and_each_is_routed() {
    let sc = scene().await;
    let mut table: Vec<(String, String)> = ops(&sc)
        .iter()
        .map(|o| (o.method.to_owned(), o.template.to_owned()))
        .collect();
    table.sort();
    assert_eq!(
        table,
        sc.w.doc.operations(),
        "the table and the document agree"
    );
    assert!(
        sc.w.doc.undeclared_path_parameters().is_empty(),
        "{:?}",
        sc.w.doc.undeclared_path_parameters()
    );
    assert!(
        sc.w.doc.dangling_refs().is_empty(),
        "{:?}",
        sc.w.doc.dangling_refs()
    );
    // Each documented operation reaches its handler: the answer is a success or the API's
    // JSON error (a bare 404 or 405 would be axum's, for a route the router lacks). The rows
    // run in turn on one world, so a later one may find its invitation changed by an
    // earlier one (cancelled, say) and be refused.
    for o in ops(&sc) {
        let (s, v) = o.call(&sc.w, o.actor.as_ref()).await;
        assert!(
            s.is_success() || v["error"]["code"].is_string(),
            "{} {}: {s} {v}",
            o.method,
            o.path
        );
    }
}

#[tokio::test]
async fn every_route_but_signups_answers_401_without_an_actor() {
    let sc = scene().await;
    for o in ops(&sc) {
        let (s, v) = o.call(&sc.w, None).await;
        match o.actor {
            Some(_) => assert_eq!(
                (s, v["error"]["code"].as_str()),
                (StatusCode::UNAUTHORIZED, Some("unauthenticated")),
                "{} {}",
                o.method,
                o.path
            ),
            // The link is the credential of the signup routes.
            None => assert!(s.is_success(), "{} {}: {s} {v}", o.method, o.path),
        }
    }
}

#[tokio::test]
async fn every_route_refuses_those_it_does_not_serve_with_the_refusals_code() {
    let sc = scene().await;
    for o in ops(&sc) {
        let (s, v) = match &o.outsider {
            Some(x) => o.call(&sc.w, Some(x)).await,
            None => {
                // A dead link instead of a person.
                let mut body = o.body.clone().expect("a body");
                body["token"] = json!("not-a-link");
                let (s, _, v) = sc.w.call(o.method, &o.path, None, Some(body)).await;
                (s, v)
            }
        };
        let codes = o.codes(s, &v);
        assert!(!codes.is_empty());
        for (status, code) in codes {
            assert_eq!(
                (status, code.as_str()),
                o.refused,
                "{} {}: {v}",
                o.method,
                o.path
            );
            assert!(status.is_client_error());
        }
    }
}

#[tokio::test]
async fn every_command_answers_409_when_concurrent_changes_win_every_retry() {
    let sc = scene().await;
    sc.w.mode(CONFLICT);
    let mut commands = 0;
    for o in ops(&sc).into_iter().filter(|o| o.commits) {
        commands += 1;
        let (s, v) = o.call(&sc.w, o.actor.as_ref()).await;
        for (status, code) in o.codes(s, &v) {
            assert_eq!(
                (status, code.as_str()),
                (StatusCode::CONFLICT, "conflict"),
                "{} {}: {v}",
                o.method,
                o.path
            );
        }
    }
    assert_eq!(commands, 20);
    // Nothing was written: the invitation is still Pending, the member still there.
    sc.w.mode(PASS);
    let a = admin(&sc.org);
    let (_, _, v) =
        sc.w.call(
            "GET",
            &format!("/api/invitations/{}", sc.pending),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(v["status"], "pending");
    let (s, _, _) =
        sc.w.call(
            "GET",
            &format!("/api/members/{}", sc.member),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn every_route_answers_503_when_the_store_is_down_and_keeps_the_cause_in_the_log() {
    let sc = scene().await;
    sc.w.mode(DOWN);
    for o in ops(&sc) {
        let (s, v) = o.call(&sc.w, o.actor.as_ref()).await;
        for (status, code) in o.codes(s, &v) {
            assert_eq!(
                (status, code.as_str()),
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
                "{} {}: {v}",
                o.method,
                o.path
            );
        }
        assert!(!v.to_string().contains("database is down"), "{v}");
    }
    sc.w.mode(PASS);
    let a = admin(&sc.org);
    let (s, _, _) =
        sc.w.call(
            "GET",
            &format!("/api/orgs/{}/dashboard", sc.org),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn a_delivery_report_fails_the_invitation_with_the_transports_reason() {
    let sc = scene().await;
    let w = &sc.w;
    let app = Actor::Application;
    let failed = json!({ "provider_id": sc.report, "outcome": { "Failed": { "reason": "UNDELIV err:001" } } });
    let (s, _, v) = w
        .call(
            "POST",
            "/api/delivery-reports",
            Some(&app),
            Some(failed.clone()),
        )
        .await;
    assert_eq!((s, v), (StatusCode::OK, json!("InvitationFailed")));
    let a = admin(&sc.org);
    let (_, _, v) = w
        .call(
            "GET",
            &format!("/api/invitations/{}", sc.pending),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(v["status"], "failed");
    assert!(
        v["failure"].as_str().is_some_and(|f| f.contains("UNDELIV")),
        "{v}"
    );
    // The same report again changes nothing; a receipt for no message of ours neither.
    let (_, _, v) = w
        .call("POST", "/api/delivery-reports", Some(&app), Some(failed))
        .await;
    assert_eq!(v, json!("NoLongerApplies"));
    let (_, _, v) = w
        .call(
            "POST",
            "/api/delivery-reports",
            Some(&app),
            Some(json!({ "provider_id": "elsewhere-1", "outcome": "Delivered" })),
        )
        .await;
    assert_eq!(v, json!("UnknownMessage"));
    // A body that is no report: 400.
    let (s, _, v) = w
        .call(
            "POST",
            "/api/delivery-reports",
            Some(&app),
            Some(json!({ "provider_id": "x", "outcome": "Lost" })),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
}
