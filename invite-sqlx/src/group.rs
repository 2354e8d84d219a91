//! Group commit: concurrent seat-checked commits of one organization applied in one call
//! (issue 8.7, accept with 8 tasks).
//!
//! Every commit with a seat check locks its organization's row (R3.4), so concurrent
//! signups of one organization run one after another whatever the pool's size: each waits
//! for the previous holder's call and its `COMMIT`, flush included. Here, while one call of
//! an organization runs, the commits that arrive for it queue; when it returns, the queue
//! goes as one `apply_commit_rows` call: one lock, one flush, and each statement of the
//! function (its plan, the tables' `CHECK` constraints, the seat counter's trigger) once for
//! the whole group instead of once per commit.
//!
//! The group's seat check is [`invite_core::SeatCheck::together`]: if it admits the group, each commit
//! one after another would have been admitted too. Whatever the call refuses (seats, a
//! version, an address two commits of the group both take), it raises and writes nothing,
//! and each commit of the group is applied alone, as it would have been without grouping,
//! with its own verdict and its own conflict. A commit that arrives when nothing of its
//! organization is running goes alone at once: a single signup waits for nobody.
//!
//! The queue is served by a task of its own, so a caller that stops waiting (a dropped
//! request) never leaves the others waiting: the call it was part of completes or fails for
//! all of them.

use crate::{PgStore, commit, fast};
use invite_core::store::{Commit, CommitOutcome, StoreError};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use tokio::sync::oneshot;
use uuid::Uuid;

/// At most this many commits go in one call: a bound on the call's size (its arrays, its
/// row locks) when very many signups of one organization arrive at once.
const MOST_IN_ONE_CALL: usize = 64;

/// The queues of the organizations whose commits are running now, shared by a store's
/// clones.
#[derive(Debug, Default)]
pub(crate) struct Groups {
    /// An organization is present while a task serves its queue; the queue holds the commits
    /// that arrived meanwhile.
    running: Mutex<HashMap<Uuid, Vec<Waiting>>>,
    calls: AtomicU64,
    grouped: AtomicU64,
    refused: AtomicU64,
}

#[derive(Debug)]
struct Waiting {
    commit: Box<Commit>,
    answer: oneshot::Sender<Answer>,
}

#[derive(Debug)]
enum Answer {
    Done(Result<CommitOutcome, StoreError>),
    /// The group was refused: apply the commit alone.
    Alone(Box<Commit>),
}

/// How much a store's commits were grouped since it was made ([`PgStore::group_commit_stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupCommitStats {
    /// Calls that applied two or more commits together.
    pub group_calls: u64,
    /// Commits applied by those calls.
    pub grouped_commits: u64,
    /// Groups refused as a whole, whose commits were then applied one by one.
    pub refused_groups: u64,
    /// Commits waiting now for a call of their organization to return.
    pub waiting: usize,
}

/// A call of the group failed without PostgreSQL answering (the connection, the pool):
/// every commit of the group gets this, with the cause's words.
#[derive(Debug, thiserror::Error)]
#[error("the group commit's call failed: {0}")]
pub struct GroupCallFailed(String);

impl Groups {
    fn running(&self) -> MutexGuard<'_, HashMap<Uuid, Vec<Waiting>>> {
        // Nothing panics while holding the lock; a poisoned map is still consistent.
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn stats(&self) -> GroupCommitStats {
        GroupCommitStats {
            group_calls: self.calls.load(Ordering::Relaxed),
            grouped_commits: self.grouped.load(Ordering::Relaxed),
            refused_groups: self.refused.load(Ordering::Relaxed),
            waiting: self.running().values().map(Vec::len).sum(),
        }
    }
}

/// Whether `c` may wait for and join a group: a seat-checked commit the one call covers
/// (`fast::covers`), the only kind that queues on its organization's row.
pub(crate) fn joins(c: &Commit) -> bool {
    c.seat_check.is_some() && fast::covers(c)
}

impl PgStore {
    /// Applies `commit` (for which [`joins`] holds) alone or with the commits of its
    /// organization that arrive while another of its calls runs.
    pub(crate) async fn commit_in_group(
        &self,
        groups: &std::sync::Arc<Groups>,
        commit: Commit,
    ) -> Result<CommitOutcome, StoreError> {
        let org = commit.org.0;
        let (answer, answered) = oneshot::channel();
        let start = {
            let mut running = groups.running();
            let first = !running.contains_key(&org);
            running.entry(org).or_default().push(Waiting {
                commit: Box::new(commit),
                answer,
            });
            first
        };
        if start {
            tokio::spawn(self.clone().serve(groups.clone(), org));
        }
        match answered.await {
            Ok(Answer::Done(outcome)) => outcome,
            Ok(Answer::Alone(commit)) => self.commit_alone(*commit, None).await,
            Err(_) => Err(StoreError::Backend(Box::new(GroupCallFailed(
                "its task stopped before answering".into(),
            )))),
        }
    }

    /// Serves `org`'s queue until it is empty, one call per turn.
    async fn serve(self, groups: std::sync::Arc<Groups>, org: Uuid) {
        let mut serving = Serving {
            groups: &groups,
            org,
            done: false,
        };
        loop {
            let turn: Vec<Waiting> = {
                let mut running = groups.running();
                let Some(queue) = running.get_mut(&org) else {
                    serving.done = true;
                    return;
                };
                if queue.is_empty() {
                    running.remove(&org);
                    serving.done = true;
                    return;
                }
                let n = queue.len().min(MOST_IN_ONE_CALL);
                queue.drain(..n).collect()
            };
            self.apply_turn(&groups, turn).await;
        }
    }

    async fn apply_turn(&self, groups: &Groups, mut turn: Vec<Waiting>) {
        if turn.len() == 1 {
            if let Some(w) = turn.pop() {
                let outcome = self.commit_alone(*w.commit, None).await;
                let _ = w.answer.send(Answer::Done(outcome));
            }
            return;
        }
        let outcome = self.apply_together(&turn).await;
        match outcome {
            Ok(true) => {
                groups.calls.fetch_add(1, Ordering::Relaxed);
                groups
                    .grouped
                    .fetch_add(turn.len() as u64, Ordering::Relaxed);
                for w in turn {
                    let done = CommitOutcome {
                        reminders_skipped: Vec::new(),
                        versions: commit::stored_versions(&w.commit),
                    };
                    let _ = w.answer.send(Answer::Done(Ok(done)));
                }
            }
            Ok(false) => {
                groups.refused.fetch_add(1, Ordering::Relaxed);
                for w in turn {
                    let _ = w.answer.send(Answer::Alone(w.commit));
                }
            }
            Err(words) => {
                for w in turn {
                    let failed = GroupCallFailed(words.clone());
                    let _ = w
                        .answer
                        .send(Answer::Done(Err(StoreError::Backend(Box::new(failed)))));
                }
            }
        }
    }

    /// The turn's commits in one call: `Ok(true)` applied, `Ok(false)` refused by
    /// PostgreSQL (nothing written) or not encodable together, `Err` the call failed
    /// otherwise (its words).
    async fn apply_together(&self, turn: &[Waiting]) -> Result<bool, String> {
        let types = match self.row_types().await {
            Ok(Some(types)) => types,
            Ok(None) => return Ok(false),
            Err(e) => return Err(e.to_string()),
        };
        let group: Vec<&Commit> = turn.iter().map(|w| &*w.commit).collect();
        // Two commits writing one invitation cannot go together: the call's update would
        // see one of them. One by one, the second finds the first's version.
        if commit::precheck_group(&group).is_err() {
            return Ok(false);
        }
        let Ok(call) = fast::call_alone(&self.sql, &group, &types) else {
            return Ok(false);
        };
        match call.fetch_one(&self.pool).await {
            Ok(_) => Ok(true),
            Err(e) if e.as_database_error().is_some() => Ok(false),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Takes the organization out of the map if its task ends any way but through the loop's
/// own exits (a panic, the runtime shutting down): the commits still queued then see their
/// answer dropped and fail, instead of waiting for a task that is gone.
struct Serving<'g> {
    groups: &'g Groups,
    org: Uuid,
    done: bool,
}

impl Drop for Serving<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.groups.running().remove(&self.org);
        }
    }
}
