//! Tuesday to Thursday: reminders at 10:00 local time, a resend refused for want of a seat
//! and a cancel, more seats that the waitlist does not hand out while live invitations may
//! still claim them, and on Thursday the waitlist moving: Carol gets a new link and signs up.

use crate::monday::print_waitlist;
use crate::output::{at, ensure, heading, local, refused};
use crate::{Cast, Res, Story};
use chrono::TimeDelta;
use invite_core::{Clock, Refusal, Status, WaitlistMove};

/// Steps 6 and 7: the reminder sweep, a resend that needs a seat, a cancel, more seats.
pub(crate) async fn reminders_resend_and_cancel(story: &mut Story, cast: &Cast) -> Res {
    let (service, clock) = (&story.service, &story.clock);
    let (olga, boris, msp) = (&cast.olga, &cast.boris, &cast.msp);
    heading("6. Daily reminders, at 10:00 in each organization's own time zone");
    service.set_reminders(olga, msp.id, true).await?;
    service.set_reminders(boris, cast.beta.id, true).await?;
    clock.set(at(3, 10, 0)); // Tuesday 10:00 in Moscow is 07:00 UTC
    let sweep = service.sweep_reminders().await?;
    println!(
        "{}: the sweep queues {} reminders in {} organizations",
        local(clock.now()),
        sweep.queued,
        sweep.organizations_due
    );
    story.dispatcher.drain().await?;
    story.inbox.print_new();
    // Run the sweep as often as you like: one reminder per invitation and local day (R8.2).
    let again = service.sweep_reminders().await?;
    println!(
        "a second sweep queues {}: one reminder per invitation and local day",
        again.queued
    );
    ensure(
        again.queued == 0,
        "a second sweep the same day should queue nothing",
    )?;

    heading("7. Resend and cancel");
    clock.advance(TimeDelta::minutes(30));
    // A resend needs a free seat, like an invite (R3.3): Carol waits on the waitlist instead.
    let refusal = refused(service.resend(olga, cast.carol).await, |r| {
        matches!(r, Refusal::NoSeatsAvailable)
    })?;
    println!("resend to Carol refused: {refusal}; she stays first on the waitlist");
    // Erin was invited by mistake: cancelling kills her link and drops her from every list.
    let erin_link = story.inbox.token_for("erin@example.com")?;
    service.cancel(olga, cast.erin).await?;
    let refusal = refused(service.sign_up(&erin_link, None).await, |r| {
        matches!(r, Refusal::LinkCancelled)
    })?;
    println!("Erin's invitation cancelled; her link: {refusal}");
    // The MSP buys two more seats. Under the default seat policy (ClaimOnSignup) a live
    // invitation holds no seat but may claim one at signup, so the waitlist hands out only
    // the seats that no live invitation could claim: it never promises a seat twice.
    service.change_seat_limit(&cast.operator, msp.id, 5).await?;
    let seats = service.seats(olga, msp.id).await?;
    let dash = service.dashboard(olga, msp.id).await?;
    println!(
        "the operator raises the limit to 5: {} seats free, {} live invitations may claim them",
        seats.available, dash.counts.pending
    );
    let moves = service.advance_waitlist(msp.id).await?;
    println!(
        "moving the waitlist now moves {}: Frank and the SMS invitee may still take both seats, \
         so Carol waits",
        moves.len()
    );
    ensure(
        moves.is_empty() && seats.available == 2 && dash.counts.pending == 2,
        "no seat is free of a live invitation's claim yet",
    )
}

/// Step 8: Wednesday's reminders; on Thursday the unanswered invitations expire, the
/// background loop moves the waitlist, and Carol signs up with her new link.
pub(crate) async fn the_waitlist_moves(story: &mut Story, cast: &Cast) -> Res {
    let (service, clock) = (&story.service, &story.clock);
    heading("8. Wednesday and Thursday: the waitlist moves");
    clock.set(at(4, 10, 0));
    let sweep = service.sweep_reminders().await?;
    let report = story.dispatcher.drain().await?;
    println!(
        "{}: {} reminders queued, {} delivered",
        local(clock.now()),
        sweep.queued,
        report.sent
    );
    // Wednesday's reminders are counted here, not listed: the next table starts after them.
    story.inbox.shown = story.inbox.notifier.delivered().len();
    // No sweeper expires anything: status is computed from the record and the time (R4.3).
    // Frank's e-mail and the SMS were delivered on Monday at 09:00; 72 hours later they are
    // Expired, and no live invitation claims the free seats any more.
    clock.set(at(5, 9, 5));
    let sms = service.invitation(&cast.olga, cast.sms).await?;
    let frank = service.invitation(&cast.olga, cast.frank).await?;
    println!(
        "{}: the SMS invitation is {}, Frank's {}",
        local(clock.now()),
        sms.status,
        frank.status
    );
    ensure(
        (sms.status, frank.status) == (Status::Expired, Status::Expired),
        "both unanswered invitations expired after 72 hours",
    )?;
    // An application runs `advance_waitlists` from the same background loop as
    // `sweep_reminders`: it moves every organization's waitlist in order, first come first
    // served. The story moves the MSP's alone, so a shared database's others stay as they are.
    let moves = service.advance_waitlist(cast.msp.id).await?;
    for m in &moves {
        let what = match m {
            WaitlistMove::Resent { invitation, .. } => {
                let inv = service.invitation(&cast.olga, *invitation).await?;
                format!("{}: invitation resent", inv.invitation.contact)
            }
            WaitlistMove::Invited { invitation, .. } => {
                let inv = service.invitation(&cast.olga, *invitation).await?;
                format!("{}: invited afresh", inv.invitation.contact)
            }
            WaitlistMove::Dropped { reason, .. } => format!("dropped ({reason})"),
            _ => format!("{m:?}"),
        };
        println!("the waitlist moves: {what}");
    }
    ensure(
        matches!(moves.as_slice(), [WaitlistMove::Resent { invitation, .. }] if *invitation == cast.carol),
        "Carol, first in line, should move",
    )?;
    story.dispatcher.drain().await?;
    story.inbox.print_new();
    println!("the waitlist now:");
    let waiting = print_waitlist(story, cast).await?;
    ensure(waiting == 0, "the waitlist should be empty")?;
    // The waitlist resent Carol's invitation: a new link, the older one dead (R5.2).
    let carol_first = story.inbox.first_token_for("carol@example.com")?;
    let refusal = refused(service.sign_up(&carol_first, None).await, |r| {
        matches!(r, Refusal::LinkSuperseded)
    })?;
    println!("Carol's first link: {refusal} (LinkSuperseded)");
    clock.advance(TimeDelta::minutes(15));
    let token = story.inbox.token_for("carol@example.com")?;
    let carol = service.sign_up(&token, Some("u-carol".into())).await?;
    println!(
        "{}: Carol signs up with the new link: {}",
        local(clock.now()),
        carol.invitation.status_at(clock.now())
    );
    // Olga opens the dashboard at 09:30.
    clock.set(at(5, 9, 30));
    println!("{}: Olga opens the dashboard", local(clock.now()));
    Ok(())
}
