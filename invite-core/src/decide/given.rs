//! Facts for the decisions' given/when/then unit tests: records built in memory, no store.

use crate::access::{Access, Role};
use crate::actor::Actor;
use crate::contact::{Channel, Contact};
use crate::invitation::{Invitation, NewInvitation, Sender};
use crate::member::Seats;
use crate::org::{OrgKind, OrgSettings, Organization};
use chrono::{DateTime, TimeDelta, Utc};

/// The instant every decision test decides at.
pub(crate) fn now() -> DateTime<Utc> {
    "2026-03-02T09:00:00Z".parse().expect("an instant")
}

/// The vendor's operator.
pub(crate) fn operator() -> Actor {
    Actor::Operator {
        id: "vendor".into(),
    }
}

/// A standalone organization with `seats` seats.
pub(crate) fn standalone(seats: u32) -> Organization {
    Organization::new("Acme", OrgKind::Standalone, OrgSettings::with_seats(seats))
}

/// An admin of `org`.
pub(crate) fn admin_of(org: &Organization) -> Actor {
    Actor::admin(org.id, "u-admin", "Ann Lee")
}

/// Seats with `used` of `limit` taken.
pub(crate) fn seats(limit: u32, used: u32) -> Seats {
    Seats::new(limit, used)
}

/// A read-only user's access.
pub(crate) fn read_only() -> Access {
    Access::user(Role::ReadOnly)
}

/// An e-mail contact.
pub(crate) fn email(address: &str) -> Contact {
    Contact::parse_email(address).expect("a valid address")
}

/// An invitation of `org` to `address`, queued at [`now`].
pub(crate) fn queued(org: &Organization, address: &str) -> Invitation {
    Invitation::queued(
        NewInvitation {
            org: org.id,
            contact: email(address),
            channel: Channel::Email,
            access: read_only(),
            user_ref: None,
            sender: Sender {
                user: "u-admin".into(),
                name: "Ann Lee".into(),
            },
        },
        now(),
    )
    .expect("reachable by e-mail")
}

/// The same, delivered at [`now`] with the organization's validity.
pub(crate) fn pending(org: &Organization, address: &str) -> Invitation {
    queued(org, address)
        .delivered(1, org.settings.validity, now())
        .expect("a queued invitation is delivered")
}

/// The same, delivered long enough ago to have expired at [`now`].
pub(crate) fn expired(org: &Organization, address: &str) -> Invitation {
    let long_ago = now() - org.settings.validity - TimeDelta::hours(1);
    queued(org, address)
        .delivered(1, org.settings.validity, long_ago)
        .expect("a queued invitation is delivered")
}
