//! Step 9: Olga ticks several rows and clicks Resend once (issue 11): first the confirmation
//! dialog's figures from a dry run, then one call over the selected ids with an answer per id,
//! then the same selection again, as a double click sends it, which changes nothing twice.

use crate::output::{ensure, heading, table};
use crate::{Cast, Res, Story};
use chrono::TimeDelta;
use invite_core::decide::selection::{SelectionAction, SelectionOutcome};
use invite_core::{InvitationId, Refusal, Status};
use std::collections::HashMap;

/// The selection resend, its dry run and its double submission.
pub(crate) async fn resend_a_selection(story: &mut Story, cast: &Cast) -> Res {
    let (service, olga, msp) = (&story.service, &cast.olga, &cast.msp);
    heading("9. Olga ticks three rows and clicks Resend once");
    story.clock.advance(TimeDelta::minutes(10));
    // Two Expired invitations and Ann's Completed one: a UI greys out Resend for Ann, but the
    // library answers for every id it is given (R5.1).
    let ids = [cast.sms, cast.frank, cast.ann];
    let mut address: HashMap<InvitationId, String> = HashMap::new();
    for id in ids {
        let view = service.invitation(olga, id).await?;
        address.insert(id, view.invitation.address());
    }
    let action = SelectionAction::Resend;

    // What the confirmation dialog shows: the same decision, committing nothing.
    let dry = service
        .dry_run_selection(olga, msp.id, &action, &ids)
        .await?;
    let refusals: Vec<String> = (dry.answers.iter())
        .filter_map(|o| o.result.as_ref().err().map(|r| (o.id, r)))
        .map(|(id, r)| format!("{} ({r})", address[&id]))
        .collect();
    let seats = service.seats(olga, msp.id).await?;
    println!(
        "the dialog: \"Resend {} invitations? {} messages will go; {} free seat needed, {} \
         available; cannot be resent: {}\"",
        ids.len(),
        dry.messages.len(),
        dry.seats_needed,
        seats.available,
        refusals.join(", ")
    );
    let still = service.invitation(olga, cast.sms).await?;
    ensure(
        dry.messages.len() == 2 && still.status == Status::Expired,
        "the dry run plans two messages and changes nothing",
    )?;

    println!("\nOlga confirms: one call over the selected ids, one answer per id");
    let first = service
        .act_on_selection(olga, msp.id, &action, &ids)
        .await?;
    print_answers(&first, &address);
    let resent = first.iter().filter(|o| o.result.is_ok()).count();
    ensure(
        resent == 2 && matches!(first[2].result, Err(Refusal::ActionNotAllowed { .. })),
        "both Expired invitations resent, Ann's refused",
    )?;

    // A double click submits the same selection again a second later: it is decided on what
    // the first submission wrote, and answers per id what a second click on one row would.
    story.clock.advance(TimeDelta::seconds(1));
    println!("\na double click submits the same selection a second later:");
    let second = service
        .act_on_selection(olga, msp.id, &action, &ids)
        .await?;
    print_answers(&second, &address);
    let cooled =
        (second.iter().take(2)).all(|o| matches!(o.result, Err(Refusal::ResendCooldown { .. })));
    ensure(
        cooled && second.iter().all(|o| o.result.is_err()),
        "the second submission changes nothing",
    )?;

    let report = story.dispatcher.drain().await?;
    story.inbox.print_new();
    println!(
        "the dispatcher delivers {} messages: the first submission's only",
        report.sent
    );
    ensure(report.sent == 2, "one message per resent invitation")
}

/// Prints each id's answer: the invitation's status after the resend, or the refusal.
fn print_answers(outcomes: &[SelectionOutcome], address: &HashMap<InvitationId, String>) {
    table(
        ["invitation", "answer"],
        outcomes.iter().map(|o| {
            let answer = match &o.result {
                Ok(view) => format!("resent, now {}", view.status),
                Err(refusal) => format!("refused: {refusal}"),
            };
            [address[&o.id].clone(), answer]
        }),
    );
}
