//! [`MemoryStore`](super::MemoryStore)'s waitlists (issue 11): entries per organization in
//! insertion order, one per organization and address key, validated with the rest of a
//! commit before anything applies.

use crate::ids::{OrgId, WaitlistId};
use crate::store::{Commit, Conflict, StoreError};
use crate::waitlist::{WaitlistEntry, WaitlistWrite};
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Debug, Default)]
pub(super) struct Waitlists {
    /// Entries per organization by position: the order they joined.
    by_org: HashMap<OrgId, BTreeMap<u64, WaitlistEntry>>,
    /// Where each entry is.
    place: HashMap<WaitlistId, (OrgId, u64)>,
    /// The entry per organization and address key.
    by_key: HashMap<(OrgId, String), WaitlistId>,
    /// The last position given.
    last: u64,
}

impl Waitlists {
    /// The commit's waitlist writes are possible: entries to remove exist (once), entries to
    /// add are new by id and by organization and address key, after the removals.
    pub(super) fn validate(&self, c: &Commit) -> Result<(), StoreError> {
        let mut removed = HashSet::new();
        for w in &c.waitlist {
            if let WaitlistWrite::Remove(id) = w {
                if !self.place.contains_key(id) || !removed.insert(*id) {
                    return Err(StoreError::Conflict(Conflict::Missing {
                        entity: "waitlist entry",
                        id: id.to_string(),
                    }));
                }
            }
        }
        let mut keys = HashSet::new();
        for w in &c.waitlist {
            if let WaitlistWrite::Add(e) = w {
                let held = self
                    .by_key
                    .get(&(e.org, e.address_key.clone()))
                    .is_some_and(|id| !removed.contains(id));
                if self.place.contains_key(&e.id) || held || !keys.insert(&e.address_key) {
                    return Err(StoreError::Conflict(Conflict::Version {
                        entity: "waitlist entry",
                        id: e.id.to_string(),
                    }));
                }
            }
        }
        Ok(())
    }

    /// Applies a validated commit's waitlist writes, removals first.
    pub(super) fn apply(&mut self, writes: Vec<WaitlistWrite>) {
        let (removes, adds): (Vec<_>, Vec<_>) = writes
            .into_iter()
            .partition(|w| matches!(w, WaitlistWrite::Remove(_)));
        for w in removes {
            let WaitlistWrite::Remove(id) = w else {
                continue;
            };
            let Some((org, position)) = self.place.remove(&id) else {
                continue;
            };
            let entries = self.by_org.entry(org).or_default();
            if let Some(e) = entries.remove(&position) {
                self.by_key.remove(&(org, e.address_key));
            }
            if entries.is_empty() {
                self.by_org.remove(&org);
            }
        }
        for w in adds {
            let WaitlistWrite::Add(mut e) = w else {
                continue;
            };
            self.last += 1;
            e.position = self.last;
            self.place.insert(e.id, (e.org, e.position));
            self.by_key.insert((e.org, e.address_key.clone()), e.id);
            self.by_org.entry(e.org).or_default().insert(e.position, e);
        }
    }

    pub(super) fn len(&self, org: OrgId) -> u64 {
        self.by_org.get(&org).map_or(0, |m| m.len() as u64)
    }

    pub(super) fn page(&self, org: OrgId, after: Option<u64>, limit: u32) -> Vec<WaitlistEntry> {
        let start = after.map_or(0, |a| a.saturating_add(1));
        self.by_org
            .get(&org)
            .map(|m| {
                m.range(start..)
                    .take(limit as usize)
                    .map(|(_, e)| e.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(super) fn entry(&self, id: WaitlistId) -> Option<WaitlistEntry> {
        let (org, position) = self.place.get(&id)?;
        self.by_org.get(org)?.get(position).cloned()
    }

    pub(super) fn at_keys(&self, org: OrgId, keys: &[String]) -> Vec<WaitlistEntry> {
        keys.iter()
            .collect::<HashSet<_>>()
            .into_iter()
            .filter_map(|k| self.by_key.get(&(org, k.clone())))
            .filter_map(|id| self.entry(*id))
            .collect()
    }

    pub(super) fn orgs(&self, after: Option<OrgId>, limit: u32) -> Vec<OrgId> {
        let mut orgs: Vec<_> = self
            .by_org
            .keys()
            .copied()
            .filter(|o| after.is_none_or(|a| *o > a))
            .collect();
        orgs.sort();
        orgs.truncate(limit as usize);
        orgs
    }
}
