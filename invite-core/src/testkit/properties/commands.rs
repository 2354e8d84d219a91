//! The commands of a scenario that the model has an answer for: each runs through the
//! service and checks the answer against what the model expects (R2.7, R2.9, R3.2, R3.3,
//! R3.6, R5.1, R5.2, R5.4, R6.2, R6.3, R6.4).

use super::model::{World, fail, infra, outcome};
use super::outbox_writes::OutboxWrites;
use super::scenario::{JUNK, POOL, access, pool_contact};
use crate::store::{RecordStore, Store};
use crate::testkit::TestService;
use crate::{
    Action, Actor, CloseReason, Error, FailureReason, Invitation, InvitationId, Refusal,
    SeatPolicy, Status,
};
use chrono::TimeDelta;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::future::Future;
use std::pin::Pin;

impl<S: Store + 'static> World<S> {
    /// R2.7, R3.3: a single invite answers what the model expects.
    pub(super) async fn invite(
        &mut self,
        who: usize,
        sms: bool,
        a: usize,
    ) -> Result<(), TestCaseError> {
        let (contact, channel) = pool_contact(who, sms);
        let key = contact.key_for(channel).expect("reachable");
        let now = self.now();
        let records = self.records().await?;
        let members = self.member_keys().await?;
        let seats = infra(self.h.store.seats(self.org, now).await)?;
        let is_member = contact.keys().iter().any(|k| members.contains(k));
        let live = records
            .iter()
            .any(|i| i.address_key() == key && i.status_at(now).is_live());
        let stale: Option<InvitationId> = records
            .iter()
            .find(|i| i.address_key() == key && i.is_open() && !i.status_at(now).is_live())
            .map(|i| i.id);

        let r = outcome(
            self.h
                .service
                .invite(&self.admin, self.org, contact, channel, access(a))
                .await,
        )?;
        match &r {
            Ok(inv) => {
                prop_assert!(
                    !is_member && !live,
                    "R2.7: invited a member or a live address"
                );
                prop_assert!(seats.available > 0, "R3.3: invited with no seat available");
                prop_assert_eq!(inv.status_at(now), Status::Queued);
                self.invitations.push(inv.id);
                if let Some(old) = stale {
                    let old = self.invitation(old).await?;
                    prop_assert!(
                        matches!(old.closed().cloned(), Some((_, CloseReason::Replaced(by))) if by == inv.id),
                        "R2.7: the expired or failed invitation to {} was not replaced",
                        key
                    );
                    self.coverage.replaced += 1;
                }
            }
            Err(Refusal::AlreadyMember { .. }) => {
                prop_assert!(is_member, "R2.7: AlreadyMember for a non-member {}", key)
            }
            Err(Refusal::AlreadyInvited { .. }) => {
                prop_assert!(
                    !is_member && live,
                    "R2.7: AlreadyInvited without a live invitation"
                )
            }
            Err(Refusal::NoSeatsAvailable) => prop_assert!(
                !is_member && !live && seats.available == 0,
                "R3.3: NoSeatsAvailable with {:?}",
                seats
            ),
            Err(other) => return Err(fail(format!("unexpected refusal of an invite: {other:?}"))),
        }
        Ok(())
    }

    /// R2.9: one answer per address, in order; bad addresses are refused per address.
    pub(super) async fn invite_many(
        &mut self,
        mask: u8,
        junk: bool,
        a: usize,
    ) -> Result<(), TestCaseError> {
        let mut inputs: Vec<&str> = POOL
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, s)| *s)
            .collect();
        if junk {
            inputs.insert(inputs.len() / 2, JUNK[mask as usize % JUNK.len()]);
        }
        let r = outcome(
            self.h
                .service
                .invite_many(&self.admin, self.org, &inputs, access(a))
                .await,
        )?;
        let outcomes = r.map_err(|e| fail(format!("bulk invite refused as a whole: {e:?}")))?;
        prop_assert_eq!(outcomes.len(), inputs.len(), "R2.9: one answer per address");
        for (o, input) in outcomes.iter().zip(&inputs) {
            prop_assert_eq!(&o.input, input, "R2.9: answers in input order");
            match &o.result {
                Ok(inv) => {
                    prop_assert!(!JUNK.contains(input), "R2.2: {} was invited", input);
                    self.invitations.push(inv.id);
                }
                Err(Refusal::InvalidContact(_)) => {
                    prop_assert!(
                        JUNK.contains(input),
                        "R2.2: valid {} refused as invalid",
                        input
                    )
                }
                Err(
                    Refusal::AlreadyInvited { .. }
                    | Refusal::AlreadyMember { .. }
                    | Refusal::NoSeatsAvailable,
                ) => {}
                Err(other) => {
                    return Err(fail(format!("unexpected refusal of {input}: {other:?}")));
                }
            }
        }
        Ok(())
    }

    /// R5.1: an admin action is refused with `ActionNotAllowed` exactly when the status does
    /// not list it.
    pub(super) async fn act<F>(
        &mut self,
        inv: usize,
        action: Action,
        run: F,
    ) -> Result<(), TestCaseError>
    where
        F: for<'a> Fn(
            &'a TestService<OutboxWrites<S>>,
            &'a Actor,
            InvitationId,
        ) -> Pin<Box<dyn Future<Output = Result<Invitation, Error>> + 'a>>,
    {
        let Some(id) = self.pick_invitation(inv) else {
            return Ok(());
        };
        let now = self.now();
        let before = self.invitation(id).await?;
        let status = before.status_at(now);
        let org = self.organization().await?;
        let r = outcome(run(self.h.service.as_ref(), &self.admin, id).await)?;
        let allowed = status.allows(action);
        // R5.2: a resend within the cool-down of the last invitation or resend request is
        // refused (an open invitation's; a closed or signed-up one offers no resend at all).
        let cooling = action == Action::Resend
            && before.is_open()
            && now < before.last_invited_at() + org.settings.resend_cooldown;
        // R5.4: at most one follow-up a day.
        let too_soon = action == Action::SendFollowUp
            && before
                .last_follow_up_at()
                .is_some_and(|t| now < t + TimeDelta::days(1));
        if allowed {
            prop_assert_eq!(
                matches!(r, Err(Refusal::ResendCooldown { .. })),
                cooling,
                "R5.2: resend cool-down"
            );
            prop_assert_eq!(
                matches!(r, Err(Refusal::FollowUpTooSoon { .. })),
                too_soon,
                "R5.4: follow-up once a day"
            );
        }
        if let Ok(after) = &r {
            let want = match action {
                Action::Resend => Status::Queued,
                Action::Cancel => Status::Cancelled,
                Action::MarkCompleted => Status::Completed,
                _ => status,
            };
            prop_assert_eq!(after.status_at(now), want, "{} from {}", action, status);
            if action == Action::Resend {
                // R5.2: a new link generation kills the older links.
                prop_assert_eq!(after.link_generation(), before.link_generation() + 1);
            }
        }
        match &r {
            Err(Refusal::ActionNotAllowed {
                action: a,
                status: s,
            }) => {
                prop_assert!(
                    !allowed,
                    "R5.1: {} is listed for {} but was refused",
                    action,
                    status
                );
                prop_assert_eq!((*a, *s), (action, status));
                prop_assert_eq!(
                    &self.invitation(id).await?,
                    &before,
                    "a refusal changed the record"
                );
            }
            Ok(_) => prop_assert!(allowed, "R5.1: {} done on a {} invitation", action, status),
            Err(
                Refusal::ResendCooldown { .. }
                | Refusal::NoSeatsAvailable
                | Refusal::FollowUpTooSoon { .. },
            ) => {
                // R5.2: the cool-down is checked before the status, so a double-clicked resend
                // gets one answer whether or not the first was delivered in between.
                let cooling_down = matches!(r, Err(Refusal::ResendCooldown { .. }));
                prop_assert!(
                    allowed || cooling_down,
                    "R5.1: {} on {} not refused as not allowed",
                    action,
                    status
                );
                prop_assert_eq!(
                    &self.invitation(id).await?,
                    &before,
                    "a refusal changed the record"
                );
            }
            Err(other) => return Err(fail(format!("unexpected refusal of {action}: {other:?}"))),
        }
        Ok(())
    }

    /// R6.2, R6.3, R3.2, R3.5: signup with a delivered link answers what the invitation's
    /// state calls for.
    pub(super) async fn sign_up(&mut self, i: usize) -> Result<(), TestCaseError> {
        if self.links.is_empty() {
            return Ok(());
        }
        let link = self.links[i % self.links.len()].clone();
        let now = self.now();
        let inv = self.invitation(link.invitation).await?;
        let org = self.organization().await?;
        let seats = infra(self.h.store.seats(self.org, now).await)?;
        let members = self.member_keys().await?;
        let is_member = inv.contact.keys().iter().any(|k| members.contains(k));
        let claims = org.settings.seat_policy == SeatPolicy::ClaimOnSignup;
        // R3.2: under ClaimOnSignup a signup needs a free seat. R3.5, R3.6: under
        // ReserveOnInvite it turns its own reservation into a seat, unless the members alone
        // already fill a limit the vendor lowered (or a policy switch overbooked).
        let no_seat = match claims {
            true => seats.available == 0,
            false => self.active.len() as u32 >= seats.limit,
        };
        let expected = if inv.signed_up_at().is_some() {
            Some(Refusal::LinkAlreadyUsed)
        } else if let Some((_, reason)) = &inv.closed().cloned() {
            Some(match reason {
                CloseReason::Replaced(_) => Refusal::LinkSuperseded,
                _ => Refusal::LinkCancelled,
            })
        } else if link.generation < inv.link_generation() {
            Some(Refusal::LinkSuperseded)
        } else if inv.failure().cloned().is_some() {
            Some(Refusal::InvitationFailed)
        } else if inv.status_at(now) == Status::Expired {
            Some(Refusal::LinkExpired)
        } else if is_member {
            Some(Refusal::AlreadyMember {
                address: inv.contact.to_string(),
            })
        } else if no_seat {
            Some(Refusal::SeatsExhausted)
        } else {
            None
        };
        let r = outcome(self.h.service.sign_up(&link.token, None).await)?;
        let after = self.invitation(link.invitation).await?;
        match (&r, expected) {
            (Ok(signup), None) => {
                prop_assert_eq!(
                    inv.status_at(now),
                    Status::Pending,
                    "R6.2: signed up from a non-pending invitation"
                );
                prop_assert_eq!(after.status_at(now), Status::NeverUsed);
                self.members.push(signup.member.id);
                self.active.insert(signup.member.id);
                self.coverage.signups += 1;
                let seats_after = infra(self.h.store.seats(self.org, now).await)?;
                // R3.2 / R3.5: a signup claims a seat, or turns its reservation into one.
                let delta = if claims { 1 } else { 0 };
                prop_assert_eq!(
                    seats_after.used,
                    seats.used + delta,
                    "R3.5: seat accounting of a signup"
                );
                // R6.3: the same link again never makes a second member.
                let again = outcome(self.h.service.sign_up(&link.token, None).await)?;
                prop_assert!(
                    matches!(again, Err(Refusal::LinkAlreadyUsed)),
                    "R6.3: a used link answered {:?}",
                    again
                );
            }
            (Err(Refusal::SeatsExhausted), Some(Refusal::SeatsExhausted)) => {
                // R3.2: the failed signup is recorded: the invitation is Failed, seats exhausted.
                prop_assert_eq!(after.status_at(now), Status::Failed);
                prop_assert_eq!(
                    after.failure().cloned(),
                    Some(FailureReason::SeatsExhausted)
                );
                self.coverage.seat_exhausted_signups += 1;
            }
            (Err(got), Some(want))
                if std::mem::discriminant(got) == std::mem::discriminant(&want) =>
            {
                prop_assert_eq!(
                    &after,
                    &inv,
                    "R6.2: a refused signup changed the invitation"
                );
            }
            (got, want) => {
                return Err(fail(format!(
                    "R6.2: signup answered {got:?}, the model expected {want:?} (invitation {} at {now})",
                    inv.status_at(now)
                )));
            }
        }
        Ok(())
    }

    /// R6.4: the first login moves Never Used to Completed.
    pub(super) async fn first_login(&mut self, i: usize) -> Result<(), TestCaseError> {
        let Some(id) = self.pick_member(i) else {
            return Ok(());
        };
        let m = infra(self.h.store.member(id).await)?.ok_or_else(|| fail("member vanished"))?;
        let inv_id = m
            .invitation
            .ok_or_else(|| fail("a signed-up member without invitation"))?;
        let now = self.now();
        let before = self.invitation(inv_id).await?.status_at(now);
        let r = outcome(
            self.h
                .service
                .record_first_login(&Actor::Application, id)
                .await,
        )?;
        prop_assert!(r.is_ok(), "first login refused: {:?}", r);
        let after = self.invitation(inv_id).await?.status_at(now);
        let want = if before == Status::NeverUsed {
            Status::Completed
        } else {
            before
        };
        prop_assert_eq!(after, want, "R6.4: first login from {}", before);
        Ok(())
    }

    /// R3.6: removing a member frees the seat; their invitation leaves the lists.
    pub(super) async fn remove_member(&mut self, i: usize) -> Result<(), TestCaseError> {
        let Some(id) = self.pick_member(i) else {
            return Ok(());
        };
        let now = self.now();
        let used = infra(self.h.store.seats(self.org, now).await)?.used;
        let r = outcome(self.h.service.remove_member(&self.admin, id).await)?;
        if self.active.contains(&id) {
            let m = r.map_err(|e| fail(format!("removing an active member refused: {e:?}")))?;
            self.active.remove(&id);
            let seats = infra(self.h.store.seats(self.org, now).await)?;
            prop_assert_eq!(seats.used + 1, used, "R3.6: removal did not free a seat");
            let inv = self
                .invitation(m.invitation.expect("came by invitation"))
                .await?;
            prop_assert_eq!(inv.status_at(now), Status::Cancelled);
        } else {
            prop_assert!(
                matches!(r, Err(Refusal::MemberNotFound(_))),
                "removing a removed member answered {:?}",
                r
            );
        }
        Ok(())
    }
}
