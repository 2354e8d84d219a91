//! Issue 11 on every store: a selection action is one commit and its second submission changes
//! nothing; a directory import of any size is one commit per chunk; dry runs commit nothing and
//! answer what the real run answers.

use super::{CommitCounter, Harness, TestOrg};
use crate::access::{Access, PermissionLevel, Role};
use crate::audit::AuditEvent;
use crate::contact::Channel;
use crate::dashboard::Dashboard;
use crate::decide::invite::InviteOutcome;
use crate::decide::selection::{SelectionAction, SelectionOutcome};
use crate::ids::{InvitationId, UserRef};
use crate::invitation::{Invitation, Status};
use crate::member::Seats;
use crate::org::OrgSettings;
use crate::refusal::Refusal;
use crate::service::{DirectoryUser, InvitationService, ServiceConfig, UserOutcome};
use crate::store::Store;
use chrono::TimeDelta;

/// Everything a command could change that a case can see: every change is audited (R10.2),
/// so an unchanged audit trail, dashboard, seats and records mean nothing was committed.
#[derive(Debug, PartialEq)]
struct Snapshot {
    audit: Vec<AuditEvent>,
    dashboard: Option<Dashboard>,
    seats: Seats,
    records: Vec<Option<Invitation>>,
}

async fn snapshot<S: Store + 'static>(
    h: &Harness<S>,
    org: &TestOrg,
    ids: &[InvitationId],
) -> Snapshot {
    let mut records = Vec::new();
    for id in ids {
        records.push(h.store.invitation(*id).await.unwrap());
    }
    Snapshot {
        audit: h.audit(org.id(), None).await,
        dashboard: h.store.dashboard(org.id(), h.now()).await.unwrap(),
        seats: h.seats(org.id()).await,
        records,
    }
}

/// A selection answer without the bookkeeping a dry run cannot know (stored versions).
type SelectionSummary = (InvitationId, Result<(Status, u32, Access), Refusal>);

fn selection_summary(outcomes: &[SelectionOutcome]) -> Vec<SelectionSummary> {
    outcomes
        .iter()
        .map(|o| {
            let result = o.result.clone().map(|v| {
                let inv = v.invitation;
                (v.status, inv.link_generation(), inv.access().clone())
            });
            (o.id, result)
        })
        .collect()
}

fn user_summary(outcomes: &[UserOutcome]) -> Vec<(UserRef, Result<Status, Refusal>)> {
    outcomes
        .iter()
        .map(|o| (o.user.clone(), o.result.clone().map(|v| v.status)))
        .collect()
}

/// An invite answer without what a dry run cannot know (the new invitation's random id).
type InviteSummary = (
    String,
    Result<(String, Channel, Status), Refusal>,
    Option<Channel>,
);

fn invite_summary(
    outcomes: &[InviteOutcome],
    at: chrono::DateTime<chrono::Utc>,
) -> Vec<InviteSummary> {
    outcomes
        .iter()
        .map(|o| {
            let result = o
                .result
                .clone()
                .map(|i| (i.address(), i.channel, i.status_at(at)));
            (o.input.clone(), result, o.instead_of)
        })
        .collect()
}

fn directory_user(id: &str, email: Option<&str>, phone: Option<&str>) -> DirectoryUser {
    DirectoryUser {
        user: UserRef::new(id),
        email: email.map(Into::into),
        phone: phone.map(Into::into),
    }
}

/// Issue 11, point 1: resending a selection is one commit with an answer per id; submitting
/// the same selection again changes nothing and answers the cool-down; cancelling twice
/// answers "already cancelled" the second time.
pub async fn issue_11_1_a_selection_is_one_commit_and_a_second_submission_changes_nothing<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::new(CommitCounter::new(store));
    let org = h.standalone(10).await;
    let mut ids = Vec::new();
    for address in ["a@example.com", "b@example.com", "c@example.com"] {
        ids.push(h.invite(&org, address).await.id);
    }
    h.deliver().await;
    h.advance(TimeDelta::minutes(5));
    let resend = SelectionAction::Resend;
    let before = h.store.accepted();
    let first = h
        .service
        .act_on_selection(&org.admin, org.id(), &resend, &ids)
        .await
        .unwrap();
    assert_eq!(
        h.store.accepted(),
        before + 1,
        "one commit for the selection"
    );
    for (o, id) in first.iter().zip(&ids) {
        let view = o.result.as_ref().expect("each resend is done");
        assert_eq!((o.id, view.status), (*id, Status::Queued));
        let stored = h.invitation(*id).await;
        assert_eq!(view.invitation, stored, "the answer is the stored record");
        assert_eq!(stored.link_generation(), 2);
    }
    let snap = snapshot(&h, &org, &ids).await;
    let again = h
        .service
        .act_on_selection(&org.admin, org.id(), &resend, &ids)
        .await
        .unwrap();
    assert_eq!(
        h.store.accepted(),
        before + 1,
        "the second submission commits nothing"
    );
    assert_eq!(snapshot(&h, &org, &ids).await, snap);
    for o in &again {
        assert!(
            matches!(o.result, Err(Refusal::ResendCooldown { .. })),
            "{o:?}"
        );
    }
    let cancel = SelectionAction::Cancel;
    let cancelled = h
        .service
        .act_on_selection(&org.admin, org.id(), &cancel, &ids)
        .await
        .unwrap();
    assert!(cancelled.iter().all(|o| o.result.is_ok()));
    let twice = h
        .service
        .act_on_selection(&org.admin, org.id(), &cancel, &ids)
        .await
        .unwrap();
    assert!(twice.iter().all(|o| o.result
        == Err(Refusal::ActionNotAllowed {
            action: crate::invitation::Action::Cancel,
            status: Status::Cancelled,
        })));
    assert_eq!(h.store.accepted(), before + 2);
}

/// Issue 11, point 3: an import larger than one commit's chunk is committed chunk by chunk,
/// each one commit, with an answer per user in order; a user's address given again in a later
/// chunk is `AlreadyInvited`, as within one chunk.
pub async fn issue_11_3_an_import_of_any_size_is_committed_in_chunks_with_an_answer_per_user<
    S: Store + 'static,
>(
    store: S,
) {
    let h = Harness::new(CommitCounter::new(store));
    let config = ServiceConfig {
        max_bulk: 3,
        ..ServiceConfig::default()
    };
    let service = InvitationService::with_config(h.store.clone(), h.clock.clone(), config);
    let org = h.standalone(20).await;
    let mut users: Vec<_> = (0..7)
        .map(|i| directory_user(&format!("d{i}"), Some(&format!("u{i}@example.com")), None))
        .collect();
    // The first user's address again, in the last chunk; and one without an address.
    users.push(directory_user("d7", Some("U0@example.com"), None));
    users.push(directory_user("d8", None, Some("+79051111111")));
    let before = h.store.accepted();
    let out = service
        .invite_directory_users(
            &org.admin,
            org.id(),
            &users,
            Channel::Email,
            Access::user(Role::ReadOnly),
        )
        .await
        .unwrap();
    assert_eq!(
        h.store.accepted(),
        before + 3,
        "three chunks, three commits"
    );
    let inputs: Vec<_> = out.iter().map(|o| o.input.as_str()).collect();
    let expected: Vec<_> = users.iter().map(|u| u.user.as_str()).collect();
    assert_eq!(inputs, expected, "an answer per user, in order");
    assert!(out[..7].iter().all(|o| o.result.is_ok()));
    assert!(matches!(out[7].result, Err(Refusal::AlreadyInvited { .. })));
    assert!(matches!(out[8].result, Err(Refusal::MissingContact { .. })));
    let standing = h
        .service
        .standing_of_users(&org.admin, org.id(), &[UserRef::new("d6")])
        .await
        .unwrap();
    assert_eq!(
        standing[0].invitation,
        out[6].result.as_ref().ok().map(|i| i.id)
    );
}

/// Issue 11, point 9: the dry run of every bulk command (invite many, directory invite, the
/// selection actions by id and by user) leaves the store as it was, and answers per item what
/// the real run then answers, with the seats and messages the real run's commit takes.
pub async fn issue_11_9_dry_runs_commit_nothing_and_answer_as_the_real_run<S: Store + 'static>(
    store: S,
) {
    let h = Harness::new(store);
    let org = h.org_with("Acme", OrgSettings::with_seats(10)).await;
    let known = vec![h.invite(&org, "known@example.com").await.id];
    let access = Access::user(Role::ReadOnly);

    // Invite many.
    let addresses = [
        "a@example.com",
        "not an address",
        "+79051111111",
        "A@example.com",
    ];
    let before = snapshot(&h, &org, &known).await;
    let dry = h
        .service
        .dry_run_invite_many(&org.admin, org.id(), &addresses, access.clone())
        .await
        .unwrap();
    assert_eq!(
        snapshot(&h, &org, &known).await,
        before,
        "invite many: nothing committed"
    );
    let real = h
        .service
        .invite_many(&org.admin, org.id(), &addresses, access.clone())
        .await
        .unwrap();
    let now = h.now();
    assert_eq!(
        invite_summary(&dry.answers, now),
        invite_summary(&real, now)
    );
    assert_eq!((dry.seats_needed, dry.messages.len()), (1, 2));
    let mut ids: Vec<_> = real
        .iter()
        .filter_map(|o| o.result.as_ref().ok().map(|i| i.id))
        .collect();
    ids.extend(&known);

    // Directory users.
    let users = [
        directory_user("d1", Some("d1@example.com"), None),
        directory_user("d2", None, Some("+79052222222")),
        directory_user("d3", Some("known@example.com"), None),
    ];
    let before = snapshot(&h, &org, &ids).await;
    let dry = h
        .service
        .dry_run_directory_users(&org.admin, org.id(), &users, Channel::Email, access.clone())
        .await
        .unwrap();
    assert_eq!(
        snapshot(&h, &org, &ids).await,
        before,
        "directory: nothing committed"
    );
    let real = h
        .service
        .invite_directory_users(&org.admin, org.id(), &users, Channel::Email, access.clone())
        .await
        .unwrap();
    let now = h.now();
    assert_eq!(
        invite_summary(&dry.answers, now),
        invite_summary(&real, now)
    );
    assert_eq!(dry.messages.len(), 1);
    assert_eq!(dry.messages[0].to, "d1@example.com");
    ids.extend(
        real.iter()
            .filter_map(|o| o.result.as_ref().ok().map(|i| i.id)),
    );
    h.deliver().await;
    h.advance(TimeDelta::minutes(5));

    // The selection actions, by id (with one unknown id) and by user.
    let mut selection = ids.clone();
    selection.push(InvitationId::new());
    let admin_access = Access::user(Role::Admin).as_admin(PermissionLevel::new("owner").unwrap());
    for action in [
        SelectionAction::EditAccess(admin_access),
        SelectionAction::Resend,
        SelectionAction::Cancel,
    ] {
        let before = snapshot(&h, &org, &ids).await;
        let dry = h
            .service
            .dry_run_selection(&org.admin, org.id(), &action, &selection)
            .await
            .unwrap();
        assert_eq!(
            snapshot(&h, &org, &ids).await,
            before,
            "{action:?}: nothing committed"
        );
        let real = h
            .service
            .act_on_selection(&org.admin, org.id(), &action, &selection)
            .await
            .unwrap();
        assert_eq!(
            selection_summary(&dry.answers),
            selection_summary(&real),
            "{action:?}"
        );
        let resent = matches!(action, SelectionAction::Resend);
        let expected = if resent { ids.len() } else { 0 };
        assert_eq!(dry.messages.len(), expected, "{action:?}");
        assert_eq!(dry.seats_needed, u32::from(resent), "{action:?}");
    }
    let by_user = [UserRef::new("d1"), UserRef::new("nobody")];
    let before = snapshot(&h, &org, &ids).await;
    let dry = h
        .service
        .dry_run_users(&org.admin, org.id(), &SelectionAction::Resend, &by_user)
        .await
        .unwrap();
    assert_eq!(
        snapshot(&h, &org, &ids).await,
        before,
        "by user: nothing committed"
    );
    let real = h
        .service
        .act_on_users(&org.admin, org.id(), &SelectionAction::Resend, &by_user)
        .await
        .unwrap();
    assert_eq!(user_summary(&dry.answers), user_summary(&real));
    assert_eq!(
        real[1].result,
        Err(Refusal::UserNotInvited {
            user: UserRef::new("nobody")
        })
    );
}
