//! The domain rule tests of SPEC.md: one module per section (`r3_seats` holds R3), each test
//! named after the rule it proves (`r3_2_...` proves R3.2), all on the testkit's harness
//! ([`invite_core::testkit::Harness`]) over a `MemoryStore` and driven through the service and
//! the dispatcher. What every store must do besides is the conformance suite's
//! (`conformance_memory.rs` here, `invite-sqlx/tests/conformance.rs` for PostgreSQL).

mod accepted_notices;
mod issue_11;
mod members;
mod options_and_waitlist;
mod r10_permissions;
mod r1_organizations;
mod r2_invitations;
mod r3_seats;
mod r4_status;
mod r5_actions;
mod r6_links_and_signup;
mod r7_delivery;
mod r8_reminders;
mod r9_dashboard;
mod support;
