//! The invariants checked after every step (R2.7, R3.1, R3.4, R3.5, R3.6, R4.8, R5.1, R8.2,
//! R9.1, R9.2), and the probe of one disallowed action per step (R5.1).

use super::model::{World, fail, infra, outcome};
use super::scenario::{Cmd, access};
use crate::store::{RecordStore, Store, ViewStore};
use crate::{
    Action, AuditAction, Channel, InvitationId, ListQuery, Refusal, SeatPolicy, Status, Tab,
    TabCounts,
};
use chrono::NaiveDate;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::collections::{HashMap, HashSet};

/// The actions a command exists for; `Details` is a read, not a command.
const COMMANDED: [Action; 5] = [
    Action::Resend,
    Action::Cancel,
    Action::EditAccess,
    Action::SendFollowUp,
    Action::MarkCompleted,
];

/// R5.1 as the SPEC words it, written out apart from `Status::actions` so that the two are
/// checked against each other.
fn spec_actions(status: Status) -> &'static [Action] {
    use Action::*;
    match status {
        Status::Queued => &[Cancel, EditAccess],
        Status::Pending | Status::Expired | Status::Failed => &[Resend, Cancel, EditAccess],
        Status::NeverUsed => &[Details, SendFollowUp, MarkCompleted],
        Status::Completed => &[Details],
        Status::Cancelled => &[],
    }
}

impl<S: Store + 'static> World<S> {
    /// Every invariant, after the step that ran `cmd`.
    pub(super) async fn check(&mut self, cmd: &Cmd) -> Result<(), TestCaseError> {
        self.observe_deliveries().await?;
        let now = self.now();
        let org = self.organization().await?;
        let records = self.records().await?;
        let seats = infra(self.h.store.seats(self.org, now).await)?;

        // R3.1, R3.5: the store's usage is the model's: active members, plus live
        // invitations under ReserveOnInvite.
        let reserved = match org.settings.seat_policy {
            SeatPolicy::ReserveOnInvite => records
                .iter()
                .filter(|i| i.status_at(now).is_live())
                .count(),
            SeatPolicy::ClaimOnSignup => 0,
        };
        prop_assert_eq!(
            seats.used as usize,
            self.active.len() + reserved,
            "R3.1: seats used"
        );
        prop_assert_eq!(seats.limit, org.settings.seat_limit);
        prop_assert_eq!(
            seats.available,
            seats.limit.saturating_sub(seats.used),
            "R3.1"
        );

        // R3.4, R3.6: only a vendor change may put usage above the limit, and while usage is
        // at or above the limit no new seat holder is added. The same holds for registered
        // members alone: a reserved signup does not add a holder, but after the limit was
        // lowered it must not add a member past it either.
        let members = self.active.len() as u32;
        if !cmd.is_operator_change() {
            prop_assert!(
                seats.used <= seats.limit.max(self.used_before),
                "R3.4: {} seats used of {} (before this step: {})",
                seats.used,
                seats.limit,
                self.used_before
            );
            prop_assert!(
                members <= seats.limit.max(self.members_before),
                "R3.6: {} members for {} seats (before this step: {})",
                members,
                seats.limit,
                self.members_before
            );
        }
        self.used_before = seats.used;
        self.members_before = members;
        if seats.used > seats.limit {
            self.coverage.over_limit += 1;
        }

        // R5.1: the model's actions are the SPEC's.
        for inv in &records {
            let status = inv.status_at(now);
            let (model, spec) = (status.actions(), spec_actions(status));
            prop_assert!(
                model.len() == spec.len() && spec.iter().all(|a| model.contains(a)),
                "R5.1: {} allows {:?}, the SPEC says {:?}",
                status,
                model,
                spec
            );
        }

        // R2.7: at most one live invitation per address; and (the store's own rule behind
        // it) at most one open one.
        let mut live: HashMap<String, u32> = HashMap::new();
        let mut open: HashMap<String, u32> = HashMap::new();
        for inv in &records {
            if inv.status_at(now).is_live() {
                *live.entry(inv.address_key()).or_default() += 1;
            }
            if inv.is_open() {
                *open.entry(inv.address_key()).or_default() += 1;
            }
        }
        for (key, n) in &live {
            prop_assert!(*n <= 1, "R2.7: {} live invitations to {}", n, key);
        }
        for (key, n) in &open {
            prop_assert!(*n <= 1, "R2.7: {} open invitations to {}", n, key);
        }

        // R4.8, R9.1: the dashboard's counts are a tally of the records.
        let mut want = TabCounts::default();
        for inv in &records {
            let status = inv.status_at(now);
            if status == Status::Cancelled {
                continue;
            }
            want.all += 1;
            match status {
                Status::Queued | Status::Pending => want.pending += 1,
                Status::Expired | Status::Failed => want.expired_or_failed += 1,
                Status::NeverUsed => want.never_used += 1,
                Status::Completed => want.completed += 1,
                Status::Cancelled => unreachable!(),
            }
            match inv.channel {
                Channel::Email => want.invited_by_email += 1,
                Channel::Sms => want.invited_by_sms += 1,
            }
        }
        let dash = infra(self.h.store.dashboard(self.org, now).await)?
            .ok_or_else(|| fail("no dashboard for an existing organization"))?;
        prop_assert_eq!(dash.counts, want, "R4.8/R9.1: dashboard counts");
        prop_assert_eq!(dash.seats, seats, "R9.1: dashboard seats");
        prop_assert_eq!(dash.reminders_enabled, org.settings.reminders_enabled);

        // R9.2: the All tab pages through every non-cancelled invitation exactly once.
        let mut query = ListQuery::tab(Tab::All);
        query.limit = 3;
        let mut listed = Vec::new();
        loop {
            let page = infra(self.h.store.list(self.org, &query, now).await)?;
            for row in &page.rows {
                prop_assert_eq!(row.actions, row.status.actions(), "R5.1: row actions");
                listed.push(row.invitation.id);
            }
            match page.next {
                Some(c) => query.after = Some(c),
                None => break,
            }
        }
        let listed_set: HashSet<_> = listed.iter().copied().collect();
        let want_set: HashSet<_> = records
            .iter()
            .filter(|i| i.status_at(now) != Status::Cancelled)
            .map(|i| i.id)
            .collect();
        prop_assert_eq!(
            listed.len(),
            listed_set.len(),
            "R9.2: a row was listed twice"
        );
        prop_assert_eq!(listed_set, want_set, "R9.2: the All tab");

        // R8.2: at most one ReminderQueued per invitation and local day in the audit trail.
        let audit = infra(self.h.store.audit_trail(self.org, None).await)?;
        let mut queued: HashMap<(InvitationId, NaiveDate), u32> = HashMap::new();
        for e in &audit {
            if e.action == AuditAction::ReminderQueued {
                let id = e
                    .invitation
                    .ok_or_else(|| fail("a reminder event without invitation"))?;
                let n = queued
                    .entry((id, e.at.with_timezone(&self.tz).date_naive()))
                    .or_default();
                *n += 1;
                prop_assert!(
                    *n <= 1,
                    "R8.2: two reminders queued for {} on one local day",
                    id
                );
            }
        }
        Ok(())
    }

    /// R5.1: one action the status does not list is refused with `ActionNotAllowed` and
    /// changes nothing.
    pub(super) async fn probe(
        &mut self,
        (pick, which): (usize, usize),
    ) -> Result<(), TestCaseError> {
        let Some(id) = self.pick_invitation(pick) else {
            return Ok(());
        };
        let now = self.now();
        let before = self.invitation(id).await?;
        let status = before.status_at(now);
        let disallowed: Vec<Action> = COMMANDED
            .into_iter()
            .filter(|a| !status.allows(*a))
            .collect();
        prop_assert!(
            status
                .actions()
                .iter()
                .all(|a| COMMANDED.contains(a) || *a == Action::Details),
            "unknown action in {:?}",
            status.actions()
        );
        if disallowed.is_empty() {
            return Ok(());
        }
        let action = disallowed[which % disallowed.len()];
        let audit_before = infra(self.h.store.audit_trail(self.org, None).await)?.len();
        let outbox_before = self.h.store.outbox_writes();
        let admin = &self.admin;
        let r = match action {
            Action::Resend => self.h.service.resend(admin, id).await,
            Action::Cancel => self.h.service.cancel(admin, id).await,
            Action::EditAccess => self.h.service.edit_access(admin, id, access(which)).await,
            Action::SendFollowUp => self.h.service.send_follow_up(admin, id).await,
            Action::MarkCompleted => self.h.service.mark_completed(admin, id).await,
            Action::Details => unreachable!("not commanded"),
        };
        let r = outcome(r)?;
        // R5.2: a resend within the cool-down is refused for the cool-down first, whatever the
        // status, so a double click gets one answer before and after delivery.
        let cooling_down =
            action == Action::Resend && matches!(r, Err(Refusal::ResendCooldown { .. }));
        prop_assert!(
            cooling_down
                || matches!(r, Err(Refusal::ActionNotAllowed { action: a, status: s }) if a == action && s == status),
            "R5.1: {} on a {} invitation answered {:?}",
            action,
            status,
            r
        );
        prop_assert_eq!(
            &self.invitation(id).await?,
            &before,
            "R5.1: a refused action changed the record"
        );
        prop_assert_eq!(
            infra(self.h.store.audit_trail(self.org, None).await)?.len(),
            audit_before,
            "R5.1: a refused action was audited"
        );
        prop_assert_eq!(
            self.h.store.outbox_writes(),
            outbox_before,
            "R5.1: a refused action queued or changed a message"
        );
        self.coverage.rejected_actions += 1;
        Ok(())
    }
}
