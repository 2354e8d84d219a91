//! The one loop that commits a decision and decides again when the store reports a conflict.
//! Every command, the dispatcher's batch records and the reminder sweep go through it.

use crate::decide::Decision;
use crate::error::Error;
use crate::store::{CommitOutcome, Conflict, RecordStore, StoreError, StoredVersions};
use std::future::Future;

/// Loads the facts and decides (`attempt`), commits the decision, and on a [`Conflict`]
/// (someone else changed the same records, took the last seat, invited the same address)
/// loads and decides again, up to `max_conflicts` times, then gives up with
/// [`Error::Conflict`]. `attempt` is told the conflict that sent it round again, so it can
/// react (a signup that lost the race for the last seat fails for seats, a dispatcher drops
/// the message whose lease it lost).
///
/// Answers the decision's answer, with the versions the store stored its records at, and the
/// store's report of the commit (`None` if the decision changed nothing).
pub(crate) async fn commit_decided<S, T, F, Fut>(
    store: &S,
    max_conflicts: u32,
    mut attempt: F,
) -> Result<(T, Option<CommitOutcome>), Error>
where
    S: RecordStore + ?Sized,
    T: TakeVersions,
    F: FnMut(Option<Conflict>) -> Fut,
    Fut: Future<Output = Result<Decision<T>, Error>>,
{
    let mut conflicts = 0;
    let mut last = None;
    loop {
        let decision = attempt(last.take()).await?;
        let Some(commit) = decision.commit else {
            return Ok((decision.answer?, None));
        };
        match store.commit(commit).await {
            Ok(outcome) => {
                let answer = decision.answer?.take_versions(&outcome.versions);
                return Ok((answer, Some(outcome)));
            }
            Err(StoreError::Conflict(c)) => {
                conflicts += 1;
                if conflicts > max_conflicts {
                    return Err(Error::Conflict(c));
                }
                tracing::debug!(conflict = %c, "deciding again after a concurrent change");
                last = Some(c);
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// An answer that carries records: it takes the versions the store reports for them, so
/// the service never predicts the store's version arithmetic.
pub(crate) trait TakeVersions: Sized {
    /// The answer with its records at their stored versions.
    fn take_versions(self, versions: &StoredVersions) -> Self;
}

impl TakeVersions for () {
    fn take_versions(self, _: &StoredVersions) -> Self {}
}

impl TakeVersions for crate::decide::delivery::ReportOutcome {
    fn take_versions(self, _: &StoredVersions) -> Self {
        self
    }
}

impl TakeVersions for crate::invitation::Invitation {
    fn take_versions(self, v: &StoredVersions) -> Self {
        match v.invitation(self.id) {
            Some(version) => self.at_version(version),
            None => self,
        }
    }
}

impl TakeVersions for crate::member::Member {
    fn take_versions(self, v: &StoredVersions) -> Self {
        match v.member(self.id) {
            Some(version) => self.at_version(version),
            None => self,
        }
    }
}

impl TakeVersions for crate::org::Organization {
    fn take_versions(self, v: &StoredVersions) -> Self {
        match v.organization(self.id) {
            Some(version) => self.at_version(version),
            None => self,
        }
    }
}

impl TakeVersions for crate::decide::signup::Signup {
    fn take_versions(self, v: &StoredVersions) -> Self {
        Self {
            member: self.member.take_versions(v),
            invitation: self.invitation.take_versions(v),
        }
    }
}

impl TakeVersions for crate::decide::invite::InviteOutcome {
    fn take_versions(self, v: &StoredVersions) -> Self {
        Self {
            result: self.result.map(|inv| inv.take_versions(v)),
            ..self
        }
    }
}

impl<T: TakeVersions> TakeVersions for Vec<T> {
    fn take_versions(self, v: &StoredVersions) -> Self {
        self.into_iter().map(|t| t.take_versions(v)).collect()
    }
}

impl TakeVersions for crate::decide::options::InviteAnswer {
    fn take_versions(self, v: &StoredVersions) -> Self {
        Self {
            outcomes: self.outcomes.take_versions(v),
            ..self
        }
    }
}

impl TakeVersions for crate::waitlist::WaitlistMove {
    fn take_versions(self, _: &StoredVersions) -> Self {
        self
    }
}
