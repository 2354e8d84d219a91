//! A batch from its claims to its links committed: load what the messages need in three
//! reads, decide each, mint the links and commit their hashes before any message goes out.

use super::{Dispatcher, Loaded, jitter_unit, notification};
use crate::clock::Clock;
use crate::decide::delivery::{self as decide, Attempted, Verdict};
use crate::error::Error;
use crate::ids::{InvitationId, OrgId};
use crate::notifier::{Notification, Notifier, SignupUrl};
use crate::outbox::ClaimedMessage;
use crate::store::Store;
use crate::token::{LinkRecord, LinkToken};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

impl<S: Store, N: Notifier, C: Clock> Dispatcher<S, N, C> {
    /// Loads, decides, and commits the links: what to deliver, and the outcomes already known.
    #[allow(clippy::type_complexity)]
    pub(super) async fn prepare(
        &self,
        claims: &[ClaimedMessage],
        now: DateTime<Utc>,
    ) -> Result<(Loaded, Vec<Option<Attempted>>, Vec<(usize, Notification)>), Error> {
        let loaded = self.load(claims).await?;
        let mut attempted = vec![None; claims.len()];
        let mut deliveries = Vec::new();
        let mut links = Vec::new();
        for (i, claim) in claims.iter().enumerate() {
            let msg = &claim.message;
            let inv = loaded.invitations.get(&msg.invitation);
            let org = loaded.orgs.get(&msg.org);
            let with_link = match decide::judge(msg, inv, org, now) {
                Verdict::Drop(reason) => {
                    attempted[i] = Some(Attempted::Dropped(reason));
                    continue;
                }
                Verdict::Fail(failure) => {
                    attempted[i] = Some(Attempted::Failed(failure));
                    continue;
                }
                Verdict::Deliver { with_link } => with_link,
            };
            let (Some(inv), Some(org)) = (inv, org) else {
                continue;
            };
            let (url, expires_at) = match with_link {
                true => {
                    let token = match LinkToken::mint() {
                        Ok(token) => token,
                        Err(e) => {
                            // The random source is not the message's fault: it is given its
                            // attempt back and tries again after the back-off; the batch goes on.
                            let unit = jitter_unit();
                            let delay = self.config.retry.jittered_delay_after(msg.attempts, unit);
                            attempted[i] = Some(Attempted::Released {
                                due_at: crate::clock::saturating_add(now, delay),
                                error: format!("could not mint a link: {e}"),
                            });
                            continue;
                        }
                    };
                    links.push((
                        i,
                        LinkRecord {
                            hash: token.hash(),
                            invitation: inv.id,
                            generation: inv.link_generation(),
                            issued_at: now,
                        },
                    ));
                    let url = format!("{}{}", self.config.signup_url_base, token.expose());
                    let expires_at = decide::link_expiry(msg, inv, org.settings.validity, now);
                    (Some(SignupUrl::new(url)), expires_at)
                }
                false => (None, None),
            };
            // A message not to the invitee (an accepted notice) goes to its sender, if there
            // is one to tell; otherwise it no longer applies.
            let recipient = match msg.kind.is_to_invitee() {
                true => None,
                false => {
                    let senders = loaded.senders.get(&(inv.org, inv.sender.user.clone()));
                    let senders = senders.map_or(&[][..], |m| &m[..]);
                    match crate::decide::notices::recipient(inv, org, senders) {
                        Ok(to) => Some(to),
                        Err(reason) => {
                            attempted[i] = Some(Attempted::Dropped(reason));
                            continue;
                        }
                    }
                }
            };
            let link = (url, expires_at);
            let n = notification::notification(msg, inv, org, &loaded.clients, link, recipient);
            deliveries.push((i, n));
        }
        // The hashes are stored before any link can reach anyone. A message whose link the
        // store would not take is not delivered: it waits and tries again.
        for (i, why) in self.commit_links(claims, links, now).await? {
            attempted[i] = Some(self.postponed(&claims[i], why, now));
            deliveries.retain(|(j, _)| *j != i);
        }
        Ok((loaded, attempted, deliveries))
    }

    /// What a message that could not go on this time comes to (`why`): retried after the
    /// retry policy's back-off, failed once its attempts are used up.
    fn postponed(&self, claim: &ClaimedMessage, why: String, now: DateTime<Utc>) -> Attempted {
        let attempts = claim.message.attempts;
        decide::after_own_failure(why, attempts, &self.config.retry, jitter_unit(), now)
    }

    async fn load(&self, claims: &[ClaimedMessage]) -> Result<Loaded, Error> {
        let mut inv_ids: Vec<InvitationId> = claims.iter().map(|c| c.message.invitation).collect();
        inv_ids.sort();
        inv_ids.dedup();
        let mut org_ids: Vec<OrgId> = claims.iter().map(|c| c.message.org).collect();
        org_ids.sort();
        org_ids.dedup();
        let invitations: HashMap<_, _> = self
            .store
            .invitations(&inv_ids)
            .await?
            .into_iter()
            .map(|i| (i.id, i))
            .collect();
        let orgs: HashMap<_, _> = self
            .store
            .organizations(&org_ids)
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect();
        let client_ids: HashSet<OrgId> = invitations
            .values()
            .flat_map(|i| crate::decide::access::granted_clients(i.access()))
            .collect();
        let clients = match client_ids.is_empty() {
            true => HashMap::new(),
            false => {
                let ids: Vec<OrgId> = client_ids.into_iter().collect();
                let found = self.store.organizations(&ids).await?;
                found.into_iter().map(|o| (o.id, o)).collect()
            }
        };
        let mut senders = HashMap::new();
        for claim in claims.iter().filter(|c| !c.message.kind.is_to_invitee()) {
            let Some(inv) = invitations.get(&claim.message.invitation) else {
                continue;
            };
            let key = (inv.org, inv.sender.user.clone());
            if let std::collections::hash_map::Entry::Vacant(slot) = senders.entry(key) {
                let (org, user) = slot.key();
                let found = self.store.members_by_user(*org, user).await?;
                slot.insert(found);
            }
        }
        Ok(Loaded {
            invitations,
            orgs,
            clients,
            senders,
        })
    }
}
