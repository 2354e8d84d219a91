//! The decision layer: synchronous functions from the facts a command loaded to a
//! [`Decision`] (the [`Commit`] to make and the command's answer) or a refusal. No store, no
//! clock, no I/O: every decision is given its instant, and can be tested given/when/then.
//!
//! Each SPEC rule is decided in one function here (or in a record's own transition), named in
//! its documentation; ARCHITECTURE.md's rule index lists them. The service
//! ([`crate::InvitationService`]) loads the facts, calls the decision and commits; the
//! dispatcher and the reminder sweep do the same with theirs.
//!
//! ```
//! use invite_core::decide::{self, Decision};
//! use invite_core::{Actor, OrgKind, OrgSettings};
//! let now = "2026-03-02T09:00:00Z".parse().unwrap();
//! let operator = Actor::Operator { id: "vendor".into() };
//! let decision = decide::organizations::create_organization(
//!     &operator, "Acme", OrgKind::Standalone, OrgSettings::with_seats(5), None, now);
//! let org = decision.answer.clone().unwrap();
//! assert_eq!(org.name, "Acme");
//! assert!(decision.commit.is_some());
//! // Nobody but the operator registers organizations (R1.2, R10.1).
//! let admin = Actor::admin(org.id, "u-1", "Ann Lee");
//! let refused = decide::organizations::create_organization(
//!     &admin, "Other", OrgKind::Standalone, OrgSettings::with_seats(5), None, now);
//! assert!(refused.commit.is_none() && refused.answer.is_err());
//! ```

pub mod access;
pub mod actions;
pub mod authorize;
pub mod delivery;
pub mod dry_run;
pub mod invite;
pub mod members;
pub mod notices;
pub mod options;
pub mod organizations;
pub mod reminders;
pub mod selection;
pub mod signup;
pub mod waitlist;

#[cfg(test)]
mod given;

use crate::refusal::Refusal;
use crate::store::Commit;

/// What a decision came to: the commit that records it, if anything changes, and the
/// command's answer once committed.
///
/// Most refusals change nothing (`commit: None`), but some are recorded outcomes: a signup
/// that found no seat marks the invitation Failed and answers [`Refusal::SeatsExhausted`]
/// (R3.2).
#[derive(Clone, Debug, PartialEq)]
pub struct Decision<T> {
    /// What to commit; `None` if nothing changes.
    pub commit: Option<Commit>,
    /// The answer.
    pub answer: Result<T, Refusal>,
}

impl<T> Decision<T> {
    /// Refused; nothing changes.
    pub fn refuse(refusal: Refusal) -> Self {
        Self {
            commit: None,
            answer: Err(refusal),
        }
    }

    /// Commit `commit`, then answer `value`.
    pub fn commit(commit: Commit, value: T) -> Self {
        Self {
            commit: Some(commit),
            answer: Ok(value),
        }
    }

    /// Nothing to change; answer `value`.
    pub fn nothing(value: T) -> Self {
        Self {
            commit: None,
            answer: Ok(value),
        }
    }

    /// Commit `commit`, then answer the refusal it records.
    pub fn recorded_refusal(commit: Commit, refusal: Refusal) -> Self {
        Self {
            commit: Some(commit),
            answer: Err(refusal),
        }
    }

    /// A refusal or a decision: `Err` becomes [`Decision::refuse`].
    pub fn or_refuse(result: Result<Self, Refusal>) -> Self {
        result.unwrap_or_else(Self::refuse)
    }
}
