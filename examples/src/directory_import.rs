//! Seed 001's directory, end to end on the embedded defaults: "send invitation on import",
//! the statuses of the imported users with their invitation ids and failure reasons, and a
//! resend to the ticked users in Error, each with its confirmation dialog (a dry run) first.
//!
//! ```sh
//! cargo run -p invite-examples --bin directory_import
//! ```
//!
//! The recipe, for an application that imports users from its directory (LDAP, a CSV file):
//!
//! 1. Import the users into the application's own tables, as it always has.
//! 2. If "send invitation on import" is ticked, hand the imported users, any number of them,
//!    to `invite_directory_users` with the channel chosen. The library answers per user
//!    (invited, or why not), committing in chunks of `ServiceConfig::max_bulk`; an import
//!    interrupted by an error is simply run again (those already invited answer
//!    `already_invited`).
//! 3. Show the confirmation dialog from `dry_run_directory_users` first, if the UI has one:
//!    the same answers, the seats needed and the messages it would send, committing nothing.
//! 4. The directory page's filters (Invited, Not invited, Waiting, Error) come from
//!    `standing_of_users`, which answers each user's invitation id, status and failure.
//! 5. A resend or cancel of ticked users is `act_on_users`, one commit, an answer per user.
//!
//! Every step that should succeed uses `?`, and every expectation is checked, so the run exits
//! non-zero if the library ever behaves otherwise.

use chrono::{TimeDelta, TimeZone, Utc};
use invite_core::{
    Access, Actor, AllowedChannels, Channel, DirectoryUser, Dispatcher, DispatcherConfig,
    InvitationService, ManualClock, MemoryStore, OrgKind, OrgSettings, RecordingNotifier, Role,
    Scripted, SelectionAction, Status, UserRef, UserStatus,
};
use std::sync::Arc;

type Res<T = ()> = Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Res {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
    ));
    let service = InvitationService::new(store.clone(), clock.clone());
    let notifier = Arc::new(RecordingNotifier::new());
    let dispatcher = Dispatcher::new(
        store.clone(),
        notifier.clone(),
        clock.clone(),
        DispatcherConfig::new("https://app.example.com/signup?token="),
    );
    let operator = Actor::Operator {
        id: "vendor-ops".into(),
    };
    let org = service
        .create_organization(
            &operator,
            "Acme",
            OrgKind::Standalone,
            OrgSettings::with_seats(2_000),
        )
        .await?;
    // "E-mail only" is the operator's (seed 001's super admin's) setting.
    service
        .change_channels(&operator, org.id, AllowedChannels::EMAIL_ONLY)
        .await?;
    let admin = Actor::admin(org.id, "u-admin", "Ann Lee");

    // The directory import: 1,500 users, more than one commit takes; one has no e-mail, and
    // one address bounces.
    let mut users: Vec<DirectoryUser> = (0..1_500)
        .map(|i| DirectoryUser {
            user: UserRef::new(format!("ldap-{i}")),
            email: Some(format!("user{i}@example.com")),
            phone: Some(format!("+7905{:07}", 1_000_000 + i)),
        })
        .collect();
    users[7].email = None;
    notifier.script("user9@example.com", &[Scripted::Permanent]);
    let access = Access::user(Role::ReadOnly);

    // The confirmation dialog, then "send invitation on import", asked by SMS.
    let dialog = service
        .dry_run_directory_users(&admin, org.id, &users, Channel::Sms, access.clone())
        .await?;
    println!(
        "Invite {} users? {} messages would go, {} seat(s) must be free",
        users.len(),
        dialog.messages.len(),
        dialog.seats_needed
    );
    let answers = service
        .invite_directory_users(&admin, org.id, &users, Channel::Sms, access)
        .await?;
    let by_email = answers
        .iter()
        .filter(|a| a.instead_of == Some(Channel::Sms))
        .count();
    println!("invited {by_email} by e-mail instead of SMS (the organization is e-mail only)");
    let refused = &answers[7];
    println!(
        "{}: {}",
        refused.input,
        refused.result.as_ref().unwrap_err()
    );
    check(
        by_email == 1_499,
        "everyone with an e-mail address is invited by e-mail",
    )?;
    check(
        dialog.messages.len() == by_email,
        "the dialog showed what the import did",
    )?;
    dispatcher.drain().await?;

    // The directory page: who is in Error, and why.
    let ids: Vec<UserRef> = users.iter().take(20).map(|u| u.user.clone()).collect();
    let standing = service.standing_of_users(&admin, org.id, &ids).await?;
    let in_error: Vec<UserRef> = standing
        .iter()
        .filter(|s| s.status == UserStatus::Invited(Status::Failed))
        .map(|s| s.user.clone())
        .collect();
    for s in standing.iter().filter(|s| s.failure.is_some()) {
        println!(
            "{} failed: {:?} (invitation {:?})",
            s.user, s.failure, s.invitation
        );
    }
    check(in_error == [UserRef::new("ldap-9")], "one user is in Error")?;

    // Tick them and resend: the dialog first, then one commit with an answer per user.
    clock.advance(TimeDelta::minutes(5));
    let dialog = service
        .dry_run_users(&admin, org.id, &SelectionAction::Resend, &in_error)
        .await?;
    println!(
        "Resend to {} user(s)? {} message(s)",
        in_error.len(),
        dialog.messages.len()
    );
    let done = service
        .act_on_users(&admin, org.id, &SelectionAction::Resend, &in_error)
        .await?;
    check(
        done[0]
            .result
            .as_ref()
            .is_ok_and(|v| v.status == Status::Queued),
        "the resend is queued",
    )?;
    println!("resent to {}", done[0].user);
    Ok(())
}

fn check(ok: bool, what: &str) -> Res {
    match ok {
        true => Ok(()),
        false => Err(format!("expected: {what}").into()),
    }
}
