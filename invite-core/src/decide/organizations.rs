//! Organizations and their settings (R1).

use super::{Decision, authorize};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::org::{AllowedChannels, OrgKind, OrgSettings, Organization, SeatPolicy, SettingsUpdate};
use crate::refusal::Refusal;
use crate::store::{Commit, Write};
use chrono::{DateTime, Utc};

/// R1.1, R1.2: the vendor's operator registers an organization; a client names an existing
/// MSP (`msp` is that organization as loaded, `None` if it does not exist or the kind is not
/// a client). Name and settings within [`crate::bounds`].
pub fn create_organization(
    actor: &Actor,
    name: &str,
    kind: OrgKind,
    settings: OrgSettings,
    msp: Option<&Organization>,
    now: DateTime<Utc>,
) -> Decision<Organization> {
    Decision::or_refuse((|| {
        authorize::operator(actor)?;
        if let OrgKind::Client { msp: msp_id } = kind {
            if !msp.is_some_and(|m| m.id == msp_id && m.is_msp()) {
                return Err(Refusal::InvalidSetting(format!(
                    "organization {msp_id} is not an MSP"
                )));
            }
        }
        let org = Organization::registered(name, kind, settings)?;
        let mut commit = Commit::new(org.id, now);
        commit.organization = Some(Write::Insert(org.clone()));
        commit.audit.push(AuditEvent::organization(
            org.id,
            actor,
            now,
            AuditAction::OrganizationCreated,
        ));
        Ok(Decision::commit(commit, org))
    })())
}

fn changed(
    actor: &Actor,
    next: Organization,
    action: AuditAction,
    now: DateTime<Utc>,
) -> Decision<Organization> {
    let mut commit = Commit::new(next.id, now);
    commit.organization = Some(Write::Update(next.clone()));
    commit
        .audit
        .push(AuditEvent::organization(next.id, actor, now, action));
    Decision::commit(commit, next)
}

/// R1.2, R3.6: the operator sets the seat limit; lowering it below the seats used is allowed.
pub fn change_seat_limit(
    actor: &Actor,
    org: &Organization,
    limit: u32,
    now: DateTime<Utc>,
) -> Decision<Organization> {
    Decision::or_refuse((|| {
        authorize::operator(actor)?;
        let next = org.with_seat_limit(limit)?;
        let action = AuditAction::SeatLimitChanged {
            from: org.settings.seat_limit,
            to: limit,
        };
        Ok(changed(actor, next, action, now))
    })())
}

/// R1.2, R3.5: the operator sets the seat policy.
pub fn change_seat_policy(
    actor: &Actor,
    org: &Organization,
    policy: SeatPolicy,
    now: DateTime<Utc>,
) -> Decision<Organization> {
    Decision::or_refuse(authorize::operator(actor).map(|()| {
        changed(
            actor,
            org.with_seat_policy(policy),
            AuditAction::SeatPolicyChanged,
            now,
        )
    }))
}

/// R8.4: an admin switches daily reminders on or off.
pub fn set_reminders(
    actor: &Actor,
    org: &Organization,
    enabled: bool,
    now: DateTime<Utc>,
) -> Decision<Organization> {
    Decision::or_refuse(authorize::admin_of(actor, org.id).map(|()| {
        changed(
            actor,
            org.reminders_switched(enabled, now),
            AuditAction::RemindersSwitched { enabled },
            now,
        )
    }))
}

/// R1.2: an admin changes the other settings, within [`crate::bounds`]. The allowed
/// channels ("e-mail only") are the operator's ([`change_channels`]): an update that would
/// change them is refused with [`Refusal::OperatorSetting`]; one that names them as they are
/// changes nothing about them and is accepted.
pub fn update_settings(
    actor: &Actor,
    org: &Organization,
    update: &SettingsUpdate,
    now: DateTime<Utc>,
) -> Decision<Organization> {
    Decision::or_refuse((|| {
        authorize::admin_of(actor, org.id)?;
        if update.channels.is_some_and(|c| c != org.settings.channels) {
            return Err(Refusal::OperatorSetting {
                setting: "channels".into(),
            });
        }
        let next = org.settings_updated(update)?;
        Ok(changed(actor, next, AuditAction::SettingsChanged, now))
    })())
}

/// R1.2 (seed 001: "e-mail only" is a super-admin setting): the operator sets the channels
/// an organization may invite by, within [`crate::bounds`] (at least one).
pub fn change_channels(
    actor: &Actor,
    org: &Organization,
    channels: AllowedChannels,
    now: DateTime<Utc>,
) -> Decision<Organization> {
    Decision::or_refuse((|| {
        authorize::operator(actor)?;
        let update = SettingsUpdate {
            channels: Some(channels),
            ..SettingsUpdate::default()
        };
        let next = org.settings_updated(&update)?;
        Ok(changed(actor, next, AuditAction::SettingsChanged, now))
    })())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::given::*;
    use chrono::TimeDelta;

    #[test]
    fn r1_1_a_client_names_an_existing_msp() {
        let msp = Organization::new("Provider", OrgKind::Msp, OrgSettings::with_seats(5));
        let standalone = Organization::new("Solo", OrgKind::Standalone, OrgSettings::default());
        let as_client = |m: &Organization| OrgKind::Client { msp: m.id };
        let ok = create_organization(
            &operator(),
            "Bank",
            as_client(&msp),
            OrgSettings::with_seats(3),
            Some(&msp),
            now(),
        );
        assert!(ok.answer.is_ok());
        let refused = create_organization(
            &operator(),
            "Bank",
            as_client(&standalone),
            OrgSettings::with_seats(3),
            Some(&standalone),
            now(),
        );
        assert!(matches!(refused.answer, Err(Refusal::InvalidSetting(_))));
        assert!(refused.commit.is_none());
    }

    #[test]
    fn r1_2_only_the_operator_sets_seats_and_settings_stay_in_bounds() {
        let org = standalone(5);
        let admin = admin_of(&org);
        let by_admin = change_seat_limit(&admin, &org, 50, now());
        assert!(matches!(by_admin.answer, Err(Refusal::Forbidden(_))));
        let by_operator = change_seat_limit(&operator(), &org, 50, now());
        assert_eq!(by_operator.answer.unwrap().settings.seat_limit, 50);
        let absurd = SettingsUpdate {
            validity: Some(TimeDelta::days(100_000_000)),
            ..SettingsUpdate::default()
        };
        let refused = update_settings(&admin, &org, &absurd, now());
        assert!(matches!(refused.answer, Err(Refusal::OutOfRange { .. })));
        assert!(refused.commit.is_none());
    }

    #[test]
    fn r8_4_switching_reminders_on_starts_a_new_period() {
        let org = standalone(5);
        let on = set_reminders(&admin_of(&org), &org, true, now());
        let on = on.answer.unwrap();
        assert!(on.settings.reminders_enabled);
        assert_eq!(on.settings.reminders_on_since, Some(now()));
    }
}
