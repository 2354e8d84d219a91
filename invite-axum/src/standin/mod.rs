//! Stand-ins for core calls that do not exist yet, each a small trait or function the routes
//! call, so that when the core grows the call (issues 10 and 11) only the stand-in changes:
//!
//! - [`catalog`]: an MSP's clients and the members added without an invitation (the core has
//!   no list of organizations or members yet; issue 11 adds the member list);
//! - [`selection`]: resend and cancel of a list of invitation ids with an answer per id, and
//!   its dry run (issue 11 adds both to the core, in one commit);
//! - [`members`]: the member list, from the invitations that were signed up.

pub mod catalog;
pub mod members;
pub mod selection;
