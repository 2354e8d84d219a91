//! The testkit's property tests (`invite_core::testkit::properties`) on `MemoryStore`, with
//! many cases: random command sequences with time jumps, every invariant checked after every
//! step. The same properties run on PostgreSQL in invite-sqlx, with fewer cases.

use invite_core::MemoryStore;
use invite_core::testkit::properties;

/// Cases per property: a fresh `MemoryStore` each, a few seconds in all.
const CASES: u32 = 128;

#[tokio::test]
async fn r3_4_r3_6_seats_never_exceed_the_limit() {
    properties::r3_4_r3_6_seats_never_exceed_the_limit(|| async { MemoryStore::new() }, CASES)
        .await;
}

#[tokio::test]
async fn r8_2_at_most_one_reminder_per_invitation_and_local_day() {
    properties::r8_2_at_most_one_reminder_per_invitation_and_local_day(
        || async { MemoryStore::new() },
        CASES,
    )
    .await;
}

#[tokio::test]
async fn r2_7_r5_1_r4_8_invariants_hold_after_every_command() {
    properties::r2_7_r5_1_r4_8_invariants_hold_after_every_command(
        || async { MemoryStore::new() },
        CASES,
    )
    .await;
}
