//! What Olga reads on Thursday: the dashboard with its tabs, seats and waitlist, the member
//! list, the daily series and an audit trail.

use crate::output::{ZONE, day, ensure, heading, local, table};
use crate::{Cast, Res, Story};
use invite_core::{ListQuery, MemberQuery, MemberState, MemberTab, Status, Tab};

/// The MSP's dashboard: counts, seats, the waitlist, and every tab's rows with their actions.
pub(crate) async fn dashboard(story: &Story, cast: &Cast) -> Res {
    let (service, olga, msp) = (&story.service, &cast.olga, &cast.msp);
    heading("Dashboard: Northwind MSP");
    let dash = service.dashboard(olga, msp.id).await?;
    let counts = Tab::ALL.map(|tab| format!("{tab} {}", dash.counts.of(tab)));
    println!("tabs       {}", counts.join(" | "));
    let seats = dash.seats;
    let (limit, used, available) = (seats.limit, seats.used, seats.available);
    println!("seats      limit {limit}, used {used}, available {available}");
    println!("waitlist   {} waiting", dash.waitlist);
    let (email, sms) = (dash.counts.invited_by_email, dash.counts.invited_by_sms);
    println!("invited    by e-mail {email}, by SMS {sms}");
    let switch = if dash.reminders_enabled { "on" } else { "off" };
    println!("reminders  {switch}, daily at 10:00 {ZONE}");
    // Ann, Bob, Carol, Frank and the SMS invitee (Erin's cancelled invitation is in no
    // list); Olga, Ann, Bob and Carol hold 4 of the 5 seats; no one waits.
    ensure(
        (dash.counts.all, used, available, dash.waitlist) == (5, 4, 1, 0),
        "dashboard figures",
    )?;
    for tab in Tab::ALL {
        let page = service.list(olga, msp.id, &ListQuery::tab(tab)).await?;
        println!("\n{tab}");
        table(
            [
                "address",
                "type",
                "status",
                "last invitation",
                "signed up",
                "actions",
            ],
            page.rows.iter().map(|row| {
                let inv = &row.invitation;
                let actions: Vec<String> = row.actions.iter().map(ToString::to_string).collect();
                [
                    inv.contact.to_string(),
                    inv.access().invitation_type.to_string(),
                    row.status.to_string(),
                    local(inv.last_invited_at()),
                    inv.signed_up_at().map(local).unwrap_or_default(),
                    actions.join(", "),
                ]
            }),
        );
    }
    let beta_dash = service.dashboard(&cast.boris, cast.beta.id).await?;
    println!(
        "\n(Beta Retail's own dashboard lists its {} invitation; the MSP's does not, R2.6)",
        beta_dash.counts.all
    );
    Ok(())
}

/// The member list (with the signups of the week), the daily series and Carol's audit trail.
pub(crate) async fn members_activity_and_audit(story: &Story, cast: &Cast) -> Res {
    let (service, olga, msp) = (&story.service, &cast.olga, &cast.msp);
    heading("Members: Northwind MSP (the first admin, added directly, and who signed up)");
    let members = service
        .members(olga, msp.id, &MemberQuery::tab(MemberTab::All))
        .await?;
    table(
        ["member", "state", "invited by", "joined"],
        members.rows.iter().map(|row| {
            let invited_by = row.invitation.as_ref().map(|i| i.sender.name.clone());
            [
                row.member.contact.to_string(),
                row.state.to_string(),
                invited_by.unwrap_or_else(|| "added directly".into()),
                local(row.member.joined_at),
            ]
        }),
    );
    ensure(
        members
            .rows
            .iter()
            .any(|r| r.invitation.is_none() && r.state == MemberState::Completed),
        "the first admin is in the member list",
    )?;
    ensure(
        members
            .rows
            .iter()
            .any(|r| r.member.contact.to_string() == "carol@example.com"),
        "Carol, who came through the waitlist, is a member",
    )?;

    heading("Activity per day (for the graphs)");
    let series = service
        .series(olga, msp.id, day(2026, 3, 2)?, day(2026, 3, 5)?)
        .await?;
    table(
        ["day", "invitations sent", "signups", "first logins"],
        series.days.iter().map(|d| {
            [
                d.day.format("%a %d %b").to_string(),
                d.invitations_sent.to_string(),
                d.signups.to_string(),
                d.first_logins.to_string(),
            ]
        }),
    );
    println!(
        "completed: {:.0}% of listed invitations",
        series.completion_share * 100.0
    );

    heading("Audit trail of Carol's invitation (excerpt)");
    let trail = service.audit_trail(olga, msp.id, Some(cast.carol)).await?;
    let status = |s: Option<Status>| s.map_or_else(|| "-".to_owned(), |s| s.to_string());
    table(
        ["when", "who", "what", "before", "after"],
        trail.iter().map(|e| {
            [
                local(e.at),
                e.actor.to_string(),
                format!("{:?}", e.action),
                status(e.before),
                status(e.after),
            ]
        }),
    );
    Ok(())
}
