//! Property tests, generic over the store: random sequences of commands, with random jumps of
//! the clock, run through the [`InvitationService`](crate::InvitationService) and a
//! [`Dispatcher`](crate::Dispatcher) (a scripted notifier failing transiently or permanently
//! for some addresses) on a [`ManualClock`](crate::ManualClock), in the testkit's
//! [`Harness`](super::Harness) around the store under test.
//!
//! After every step the invariants below are checked. Refusals are expected outcomes of
//! commands; infrastructure errors (store, entropy, unresolved conflicts) fail the property.
//!
//! - R3.4, R3.6 (with R3.1, R3.5): seats used never exceed the limit, except after the vendor
//!   lowered the limit (or switched to `ReserveOnInvite`) below the usage of that moment; while
//!   used ≥ limit, no new seat holder is added. Used seats equal the active members (plus the
//!   live invitations under `ReserveOnInvite`), counted independently by the model.
//! - R2.7: at most one live (Queued or Pending) invitation per organization and address key.
//! - R5.1: `Status::actions()` agrees with the service: an action outside the list is refused
//!   with `Refusal::ActionNotAllowed` and changes nothing (record, audit trail, outbox); an
//!   action inside it is never refused with `ActionNotAllowed`.
//! - R4.8, R9.1, R9.2: the counts of the store's dashboard equal a tally of the records; the
//!   All list pages through exactly the non-cancelled invitations.
//! - R8.2, R8.4: no invitation gets two reminders on one organization-local day (counted from
//!   the notifier's deliveries and from the audit trail), and none is delivered while the
//!   switch is off.
//! - R6.2, R6.3: a delivered link is never unknown, and signup answers the refusal its
//!   invitation's state calls for; a link of a signed-up invitation is `LinkAlreadyUsed`.
//! - Per command, against a model: R2.7/R3.3 invite answers (`AlreadyMember`,
//!   `AlreadyInvited`, `NoSeatsAvailable`, replacement of an expired or failed invitation),
//!   R2.2/R2.9 bulk answers, R3.2 signups failing for seats, R5.2 resend cool-down and new link
//!   generation, R5.4 one follow-up a day, R6.4 first login, R3.6 removal freeing a seat.
//!
//! Three properties drive the same machinery with different command mixes (seat-heavy,
//! reminder-heavy, and a general mix); each checks every invariant. Each also checks, after
//! its cases, that its scenarios exercised what it is about (signups, refused signups, usage
//! over a lowered limit, delivered reminders, probes ...), so it cannot pass by testing
//! nothing; those figures are tuned for 128 cases and checked from 64 on (fewer are for slow
//! stores and quick runs, which rely on the in-memory run for them).
//!
//! Each property takes a store factory, called once per case (each case needs an empty store),
//! and the number of cases (`PROPTEST_CASES` overrides it):
//!
//! ```ignore
//! #[tokio::test]
//! async fn r3_4_r3_6_seats_never_exceed_the_limit() {
//!     invite_core::testkit::properties::r3_4_r3_6_seats_never_exceed_the_limit(
//!         || async { invite_core::MemoryStore::new() },
//!         128,
//!     )
//!     .await;
//! }
//! ```

mod commands;
mod invariants;
mod model;
mod outbox_writes;
mod runner;
mod scenario;

pub use runner::{Coverage, check_invariants, run_scenario};
pub use scenario::{GENERAL_MIX, Mix, REMINDERS_MIX, SEATS_MIX, Scenario, scenarios};

use crate::store::Store;
use std::future::Future;

/// Runs `mix` through the invariants (see [`check_invariants`]), then checks with `enough`
/// that the scenarios exercised what the property is about, when there were enough cases to
/// expect it.
async fn property<S, F, Fut>(
    new_store: F,
    mix: Mix,
    cases: u32,
    enough: impl Fn(&Coverage) -> Vec<&'static str>,
) where
    S: Store + 'static,
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = S>,
{
    let total = check_invariants(new_store, mix, cases).await;
    eprintln!("coverage: {total:?}");
    if runner::cases_to_run(cases) >= 64 {
        let missing = enough(&total);
        assert!(
            missing.is_empty(),
            "the scenarios no longer exercise {missing:?} ({total:?}): retune the mix"
        );
    }
}

/// R3.4, R3.6 (with R3.1, R3.2, R3.3, R3.5): seats used never exceed the limit except after
/// the vendor lowered it, and then nobody new takes a seat; under a seat-heavy mix of
/// invites, signups, removals and limit and policy changes. Checks every other invariant too.
pub async fn r3_4_r3_6_seats_never_exceed_the_limit<S, F, Fut>(new_store: F, cases: u32)
where
    S: Store + 'static,
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = S>,
{
    property(new_store, SEATS_MIX, cases, |c| {
        let mut missing = Vec::new();
        if c.signups < 40 {
            missing.push("signups");
        }
        if c.seat_exhausted_signups < 1 {
            missing.push("signups refused for seats (R3.2)");
        }
        if c.over_limit < 1 {
            missing.push("usage above a lowered limit (R3.6)");
        }
        missing
    })
    .await;
}

/// R8.2, R8.4 (with R8.1, R8.3): no invitation gets two reminders on one org-local day,
/// however often the sweep runs, across missed days and daylight-saving changes; none while
/// the switch is off. Reminder-heavy mix; checks every other invariant too.
pub async fn r8_2_at_most_one_reminder_per_invitation_and_local_day<S, F, Fut>(
    new_store: F,
    cases: u32,
) where
    S: Store + 'static,
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = S>,
{
    property(new_store, REMINDERS_MIX, cases, |c| {
        let mut missing = Vec::new();
        if c.reminders < 10 {
            missing.push("delivered reminders");
        }
        missing
    })
    .await;
}

/// R2.7, R5.1, R4.8, R9.1 (with R6.2, R6.3, R9.2): one live invitation per address;
/// `Status::actions()` is exactly what the service allows; the dashboard counts are a tally
/// of the records. General mix; checks the seat and reminder invariants too.
pub async fn r2_7_r5_1_r4_8_invariants_hold_after_every_command<S, F, Fut>(new_store: F, cases: u32)
where
    S: Store + 'static,
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = S>,
{
    property(new_store, GENERAL_MIX, cases, |c| {
        let mut missing = Vec::new();
        if c.rejected_actions < 100 {
            missing.push("probes of disallowed actions (R5.1)");
        }
        if c.replaced < 1 {
            missing.push("re-invites replacing an expired or failed invitation (R2.7)");
        }
        if c.failed_deliveries < 1 {
            missing.push("failed deliveries");
        }
        missing
    })
    .await;
}
