//! Monday: the operator registers the MSP, Olga invites in bulk, the dispatcher delivers, and
//! the invitees sign up until the seats run out: Carol, refused for seats, goes on the
//! waitlist instead of a dead end.

use crate::output::{ensure, grant, heading, local, refused, table};
use crate::{Cast, Res, Story};
use chrono::TimeDelta;
use invite_core::{
    Access, Actor, Channel, Clock, Contact, InviteOptions, Language, OrgKind, OrgSettings,
    PermissionLevel, Refusal, Role, Status, WaitingFor,
};

/// Steps 1 to 3: the organizations, Olga, the bulk invite and its delivery.
pub(crate) async fn set_up_and_invite(story: &mut Story) -> Res<Cast> {
    let service = &story.service;
    heading("1. The vendor's operator registers an MSP with two clients");
    let operator = Actor::Operator {
        id: "vendor-ops".into(),
    };
    let moscow = OrgSettings {
        time_zone: crate::output::ZONE,
        ..OrgSettings::with_seats(3) // seats are the vendor's to set (R1.2)
    };
    let msp = service
        .create_organization(&operator, "Northwind MSP", OrgKind::Msp, moscow.clone())
        .await?;
    let client = OrgKind::Client { msp: msp.id };
    let alpha = service
        .create_organization(&operator, "Alpha Bank", client, OrgSettings::with_seats(10))
        .await?;
    let beta_settings = OrgSettings {
        language: Language::Ru, // Beta Retail's messages carry the language `ru` (R7.5)
        seat_limit: 5,
        ..moscow
    };
    let beta = service
        .create_organization(&operator, "Beta Retail", client, beta_settings)
        .await?;
    // The MSP's first admin is added directly. Admins hold a seat too (R3.1).
    let owner = Access::msp_user(vec![
        grant(alpha.id, Role::Admin),
        grant(beta.id, Role::Admin),
    ])
    .as_admin(PermissionLevel::new("owner")?);
    let olga_contact = Contact::parse_email("olga@northwind.example")?;
    service
        .add_member(
            &operator,
            msp.id,
            olga_contact,
            Some("u-olga".into()),
            owner,
        )
        .await?;
    let olga = Actor::admin(msp.id, "u-olga", "Olga Petrova");
    let seats = service.seats(&olga, msp.id).await?;
    println!(
        "{} with clients {} and {}; admin Olga added; seats used {} of {}",
        msp.name, alpha.name, beta.name, seats.used, seats.limit
    );

    heading(
        "2. Olga invites several addresses at once: read only on Alpha Bank, admin on Beta Retail",
    );
    let access = Access::msp_user(vec![
        grant(alpha.id, Role::ReadOnly),
        grant(beta.id, Role::Admin),
    ]);
    let addresses = [
        "ann@example.com",
        "Bob@Example.com",
        "carol@example.com",
        "erin@example.com",
        "frank@example.com",
        " ANN@example.COM ", // the same address as the first: trimmed, case-insensitive (R2.2)
        "+7 905 222-33-44",  // a phone number goes by SMS
        "dave@",             // not an address
        "9051111111",        // no country code
    ];
    // Should the seats run out before someone signs up, they wait in line for a seat instead
    // of meeting a dead end (issue 11): a per-invitation option, kept with each invitation.
    let options = InviteOptions {
        waitlist: true,
        ..InviteOptions::default()
    };
    println!("with the option: should the seats run out, the invitee waits for one");
    // One answer per address; a bad address never blocks the others (R2.9).
    let answer = service
        .invite_many_with(&olga, msp.id, &addresses, access, &options)
        .await?;
    let outcomes = answer.outcomes;
    table(
        ["address", "result"],
        outcomes.iter().map(|o| {
            let result = match &o.result {
                Ok(inv) => format!("invited by {}", inv.channel),
                Err(refusal) => format!("refused: {refusal}"),
            };
            [o.input.trim().to_owned(), result]
        }),
    );
    let invitation_of = |address: &str| {
        outcomes
            .iter()
            .find(|o| o.input == address)
            .and_then(|o| o.result.as_ref().ok())
            .map(|inv| inv.id)
            .ok_or_else(|| format!("{address} was not invited"))
    };
    let boris = Actor::admin(beta.id, "u-boris", "Борис Смирнов");
    let cast = Cast {
        operator,
        ann: invitation_of("ann@example.com")?,
        carol: invitation_of("carol@example.com")?,
        erin: invitation_of("erin@example.com")?,
        frank: invitation_of("frank@example.com")?,
        sms: invitation_of("+7 905 222-33-44")?,
        msp,
        beta,
        olga,
        boris,
    };
    // A client's own admin invites too. That invitation belongs to Beta Retail: the MSP's
    // lists never show it, nor Beta's the MSP's (R2.6).
    let ivan = Contact::parse_email("ivan@beta.example")?;
    let user = Access::user(Role::ReadOnly);
    service
        .invite(&cast.boris, cast.beta.id, ivan, Channel::Email, user)
        .await?;

    heading("3. The dispatcher delivers the outbox; each link is minted now and stored as a hash");
    let report = story.dispatcher.drain().await?;
    story.inbox.print_new();
    println!("delivered {} of {} messages", report.sent, report.claimed);
    crate::wiring::say_where_sms_went(
        &story.sms_destination,
        story.sms_files.as_deref(),
        &story.inbox.notifier.delivered(),
    );
    Ok(cast)
}

/// Steps 4 and 5: signups until the seats run out, Carol onto the waitlist, Ann's first
/// login.
pub(crate) async fn sign_up(story: &mut Story, cast: &Cast) -> Res {
    let (service, clock, inbox) = (&story.service, &story.clock, &story.inbox);
    let olga = &cast.olga;
    heading("4. Invitees sign up with the link from their message");
    clock.advance(TimeDelta::minutes(20));
    let ann = service
        .sign_up(&inbox.token_for("ann@example.com")?, Some("u-ann".into()))
        .await?;
    clock.advance(TimeDelta::minutes(25));
    let bob = service
        .sign_up(&inbox.token_for("bob@example.com")?, Some("u-bob".into()))
        .await?;
    // Olga, Ann and Bob hold all three seats: Carol's signup fails, and says why (R3.2).
    clock.advance(TimeDelta::hours(2));
    let carol_link = inbox.token_for("carol@example.com")?;
    let refusal = refused(service.sign_up(&carol_link, None).await, |r| {
        matches!(r, Refusal::SeatsExhausted)
    })?;
    let carol = service.invitation(olga, cast.carol).await?;
    ensure(
        carol.status == Status::Failed,
        "Carol's invitation should be Failed",
    )?;
    let reason = carol.invitation.failure().as_ref().map(ToString::to_string);
    let now = clock.now();
    table(
        ["invitee", "signup", "invitation now"],
        [
            [
                ann.invitation.contact.to_string(),
                "ok".into(),
                ann.invitation.status_at(now).to_string(),
            ],
            [
                bob.invitation.contact.to_string(),
                "ok".into(),
                bob.invitation.status_at(now).to_string(),
            ],
            [
                carol.invitation.contact.to_string(),
                format!("refused: {refusal}"),
                format!("{} ({})", carol.status, reason.unwrap_or_default()),
            ],
        ],
    );
    // Her invitation asked for the waitlist: the refused signup put her in line, in the same
    // commit that made the invitation Failed.
    println!("\nCarol's invitation asked for the waitlist, so she waits for a seat:");
    let waiting = print_waitlist(story, cast).await?;
    let dash = service.dashboard(olga, cast.msp.id).await?;
    println!("the dashboard counts {} waiting", dash.waitlist);
    ensure(
        (waiting, dash.waitlist) == (1, 1),
        "Carol should be on the waitlist",
    )?;

    heading("5. Ann installs the agent and logs in; the application reports it");
    service
        .record_first_login(&Actor::Application, ann.member.id)
        .await?;
    let ann_now = service.invitation(olga, ann.invitation.id).await?;
    println!(
        "ann@example.com: {} → {}",
        Status::NeverUsed,
        ann_now.status
    );
    ensure(
        ann_now.status == Status::Completed,
        "Ann should be Completed",
    )
}

/// Prints the MSP's seat waitlist, first in line first, and answers how many wait.
pub(crate) async fn print_waitlist(story: &Story, cast: &Cast) -> Res<usize> {
    let service = &story.service;
    let entries = service.waitlist(&cast.olga, cast.msp.id, None, 100).await?;
    let mut rows = Vec::new();
    for (place, e) in entries.iter().enumerate() {
        let (who, waits_for) = match &e.request {
            WaitingFor::Signup { invitation } => {
                let inv = service.invitation(&cast.olga, *invitation).await?;
                (inv.invitation.contact.to_string(), "a seat to sign up")
            }
            WaitingFor::Invite(ask) => (ask.contact.to_string(), "a seat to be invited"),
            // The kinds of entry a later version may add: shown by their address key.
            _ => (e.address_key.clone(), "a seat"),
        };
        rows.push([
            (place + 1).to_string(),
            who,
            waits_for.to_owned(),
            local(e.joined_at),
        ]);
    }
    table(["place", "invitee", "waits for", "since"], rows);
    Ok(entries.len())
}
