//! [`InvitationService`]: every command of the library, on a service generic over the store
//! and the clock. Start here.
//!
//! Each command has one shape, a few dozen lines at most: **load** the facts its decision
//! needs from the store, **decide** with a pure function of [`crate::decide`], **commit** the
//! decision through the one retry loop (`retry.rs`), which decides again when the store
//! reports a [`crate::Conflict`]. The commands are grouped in files:
//! `organizations.rs` (organizations, settings, members), `invite.rs` (invite one, many,
//! directory users), `actions.rs` (resend, cancel, edit access, mark completed, follow-up),
//! `signup.rs` (signup, first login), `members.rs` (the member list, details, lookups, edit
//! access), `sweep.rs` (the daily reminder sweep), `reads.rs`
//! (invitation, dashboard, seats, lists, series, user statuses, audit trail),
//! `selection.rs` (actions on a selection of ids or application users, and their dry runs),
//! `directory.rs` (directory imports of any size, where each application user stands).

mod actions;
mod directory;
mod invite;
mod members;
mod notices;
mod options;
mod organizations;
mod reads;
mod reports;
mod selection;
mod signup;
mod sweep;
mod waitlist;

use crate::clock::Clock;
use crate::decide::Decision;
use crate::error::Error;
use crate::ids::{InvitationId, MemberId, OrgId, UserRef};
use crate::invitation::{Action, Invitation, Status};
use crate::member::Member;
use crate::org::Organization;
use crate::refusal::Refusal;
use crate::retry::{TakeVersions, commit_decided};
use crate::store::{Conflict, Store};
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};
use std::future::Future;

pub use directory::UserStanding;
pub use members::MemberDetails;
pub use selection::UserOutcome;
pub use sweep::SweepReport;
pub use waitlist::WaitlistReport;

/// Tunables of the service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceConfig {
    /// How often a command decides again after a conflict before giving up with
    /// [`Error::Conflict`].
    pub max_conflict_retries: u32,
    /// The least time between two follow-ups to one member (R5.4).
    pub follow_up_interval: TimeDelta,
    /// The most addresses one bulk invite takes.
    pub max_bulk: usize,
    /// How many invitations one reminder-sweep commit covers.
    pub sweep_batch: u32,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            max_conflict_retries: 16,
            follow_up_interval: TimeDelta::days(1),
            max_bulk: 1000,
            sweep_batch: 500,
        }
    }
}

/// An invitation with its status now and the actions a UI may offer (R5.1).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InvitationView {
    /// The record.
    pub invitation: Invitation,
    /// Its status at the time of the call.
    pub status: Status,
    /// The allowed actions.
    pub actions: &'static [Action],
}

/// A user of the application's directory, to be invited by the contact in their profile
/// (R2.3). The profile may lack one or both contacts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryUser {
    /// The application's user id; the invitation is tied to it (R2.11).
    pub user: UserRef,
    /// E-mail from the profile.
    pub email: Option<String>,
    /// Phone from the profile.
    pub phone: Option<String>,
}

/// Where one application user stands (R2.11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserStatus {
    /// No invitation is tied to this user.
    NotInvited,
    /// The status of the user's latest invitation.
    Invited(Status),
}

/// The invitation service: every command of the library.
///
/// ```
/// use invite_core::*;
/// # tokio_test(async {
/// let service = InvitationService::new(MemoryStore::new(), SystemClock);
/// let operator = Actor::Operator { id: "vendor".into() };
/// let org = service
///     .create_organization(&operator, "Acme", OrgKind::Standalone, OrgSettings::with_seats(5))
///     .await?;
/// let admin = Actor::admin(org.id, "u-1", "Ann Lee");
/// let inv = service
///     .invite(&admin, org.id, Contact::parse_email("bob@example.com")?, Channel::Email,
///             Access::user(Role::ReadOnly))
///     .await?;
/// assert_eq!(inv.status_at(SystemClock.now()), Status::Queued);
/// # Ok::<(), Box<dyn std::error::Error>>(()) });
/// # fn tokio_test<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f) }
/// ```
pub struct InvitationService<S, C> {
    store: S,
    clock: C,
    config: ServiceConfig,
}

impl<S: Store, C: Clock> InvitationService<S, C> {
    /// A service with default configuration.
    pub fn new(store: S, clock: C) -> Self {
        Self::with_config(store, clock, ServiceConfig::default())
    }

    /// A service with explicit configuration.
    pub fn with_config(store: S, clock: C, config: ServiceConfig) -> Self {
        Self {
            store,
            clock,
            config,
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The clock.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// Loads, decides and commits through the one retry loop; answers the decision's answer.
    async fn run<T, F, Fut>(&self, attempt: F) -> Result<T, Error>
    where
        T: TakeVersions,
        F: FnMut(Option<Conflict>) -> Fut,
        Fut: Future<Output = Result<Decision<T>, Error>>,
    {
        let max = self.config.max_conflict_retries;
        Ok(commit_decided(&self.store, max, attempt).await?.0)
    }

    async fn load_org(&self, id: OrgId) -> Result<Organization, Error> {
        self.store
            .organization(id)
            .await?
            .ok_or(Error::Refused(Refusal::OrganizationNotFound(id)))
    }

    async fn load_invitation(&self, id: InvitationId) -> Result<Invitation, Error> {
        self.store
            .invitation(id)
            .await?
            .ok_or(Error::Refused(Refusal::InvitationNotFound(id)))
    }

    async fn load_member(&self, id: MemberId) -> Result<Member, Error> {
        self.store
            .member(id)
            .await?
            .ok_or(Error::Refused(Refusal::MemberNotFound(id)))
    }

    /// The client organizations an access grants roles on, as the decisions about it need.
    async fn load_clients(
        &self,
        access: &crate::access::Access,
    ) -> Result<Vec<Organization>, Error> {
        // Bounded before loading: a million grants would be a million ids to read.
        crate::bounds::check_grants(access)?;
        let ids = crate::decide::access::granted_clients(access);
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.store.organizations(&ids).await?)
    }
}
