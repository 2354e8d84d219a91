//! Organizations and their settings (R1).

use crate::bounds;
use crate::contact::Channel;
use crate::ids::OrgId;
use crate::refusal::Refusal;
use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// What kind of organization this is (R1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrgKind {
    /// An organization on its own.
    Standalone,
    /// A managed service provider with client organizations.
    Msp,
    /// A client that belongs to exactly one MSP.
    Client {
        /// The MSP this client belongs to.
        msp: OrgId,
    },
}

/// How seats are counted (R3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SeatPolicy {
    /// A seat is taken at signup; a signup fails if none is free then (R3.2). The default.
    #[default]
    ClaimOnSignup,
    /// A live invitation holds a seat until it expires, fails or is cancelled, so its signup
    /// cannot fail for seats.
    ReserveOnInvite,
}

/// The language messages to this organization's invitees are written in (R7.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Language {
    /// English. The default.
    #[default]
    En,
    /// Russian.
    Ru,
}

/// The channels an organization allows (R1.2). "E-mail only" is `{ email: true, sms: false }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowedChannels {
    /// E-mail invitations allowed.
    pub email: bool,
    /// SMS invitations allowed.
    pub sms: bool,
}

impl AllowedChannels {
    /// E-mail only.
    pub const EMAIL_ONLY: Self = Self {
        email: true,
        sms: false,
    };
    /// E-mail and SMS.
    pub const ALL: Self = Self {
        email: true,
        sms: true,
    };

    /// Whether `channel` is allowed.
    pub fn allows(&self, channel: Channel) -> bool {
        match channel {
            Channel::Email => self.email,
            Channel::Sms => self.sms,
        }
    }
}

impl Default for AllowedChannels {
    fn default() -> Self {
        Self::ALL
    }
}

/// An organization's settings (R1.2). The defaults are the SPEC's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrgSettings {
    /// How many registered users the organization may have. Set by the vendor operator only.
    pub seat_limit: u32,
    /// How long a link stays valid after it was delivered (default 72 hours). In JSON, whole
    /// seconds.
    #[serde(with = "seconds")]
    pub validity: TimeDelta,
    /// The shortest validity one invitation may ask for (default 1 minute; issue 11). In
    /// JSON, whole seconds.
    #[serde(with = "seconds", default = "default_min_validity")]
    pub min_validity: TimeDelta,
    /// The longest validity one invitation may ask for (default 365 days). In JSON, whole
    /// seconds.
    #[serde(with = "seconds", default = "default_max_validity")]
    pub max_validity: TimeDelta,
    /// Daily reminders on or off (default off).
    pub reminders_enabled: bool,
    /// Local time of the daily reminder (default 10:00).
    pub reminder_time: NaiveTime,
    /// IANA time zone for reminders and dates in messages (default UTC).
    pub time_zone: Tz,
    /// Channels invitations may use (default both).
    pub channels: AllowedChannels,
    /// Seat policy (default [`SeatPolicy::ClaimOnSignup`]).
    pub seat_policy: SeatPolicy,
    /// A resend within this time of the last one is refused (default 60 s, R5.2). In JSON,
    /// whole seconds.
    #[serde(with = "seconds")]
    pub resend_cooldown: TimeDelta,
    /// Language of messages (default English).
    pub language: Language,
    /// When reminders were last switched from off to on. Reminders queued before it belong to
    /// a period that a switch-off ended, and are not sent (R8.4). Kept by the service.
    #[serde(default)]
    pub reminders_on_since: Option<DateTime<Utc>>,
    /// Whether the sender of an invitation is told when the invitee signs up (default off):
    /// a message of its own kind, [`MessageKind::AcceptedNotice`](crate::MessageKind), in
    /// the organization's language, to the sender's member address.
    #[serde(default)]
    pub accepted_notices: bool,
}

impl OrgSettings {
    /// Default settings with the given seat limit.
    pub fn with_seats(seat_limit: u32) -> Self {
        Self {
            seat_limit,
            ..Self::default()
        }
    }
}

impl Default for OrgSettings {
    fn default() -> Self {
        Self {
            seat_limit: 0,
            validity: TimeDelta::hours(72),
            min_validity: default_min_validity(),
            max_validity: default_max_validity(),
            reminders_enabled: false,
            reminder_time: NaiveTime::from_hms_opt(10, 0, 0).expect("10:00 is a valid time"),
            time_zone: Tz::UTC,
            channels: AllowedChannels::default(),
            seat_policy: SeatPolicy::default(),
            resend_cooldown: TimeDelta::seconds(60),
            language: Language::default(),
            reminders_on_since: None,
            accepted_notices: false,
        }
    }
}

fn default_min_validity() -> TimeDelta {
    crate::bounds::MIN_VALIDITY
}

fn default_max_validity() -> TimeDelta {
    crate::bounds::MAX_VALIDITY
}

/// An organization (R1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    /// Its id.
    pub id: OrgId,
    /// Its display name, used in messages.
    pub name: String,
    /// Standalone, MSP or client.
    pub kind: OrgKind,
    /// Its settings.
    pub settings: OrgSettings,
    /// Optimistic-concurrency version, bumped by every change the store commits. Bookkeeping:
    /// not in JSON (0 when read from JSON).
    #[serde(skip)]
    pub version: u64,
}

impl Organization {
    /// A new organization at version 0.
    pub fn new(name: impl Into<String>, kind: OrgKind, settings: OrgSettings) -> Self {
        Self {
            id: OrgId::new(),
            name: name.into(),
            kind,
            settings,
            version: 0,
        }
    }

    /// Whether this is an MSP.
    pub fn is_msp(&self) -> bool {
        matches!(self.kind, OrgKind::Msp)
    }

    /// A new organization (R1.1, R1.2), its name trimmed and its settings within
    /// [`bounds`]. Whether a client's MSP exists is the decision's to check.
    pub fn registered(name: &str, kind: OrgKind, settings: OrgSettings) -> Result<Self, Refusal> {
        let name = bounds::check_name("name", name)?;
        bounds::check_settings(&settings)?;
        Ok(Self::new(name, kind, settings))
    }

    /// The seat limit set to `limit` (R1.2). Lowering it below the seats used is allowed
    /// (R3.6).
    pub fn with_seat_limit(&self, limit: u32) -> Result<Self, Refusal> {
        self.with_settings(OrgSettings {
            seat_limit: limit,
            ..self.settings.clone()
        })
    }

    /// The seat policy set to `policy` (R3.5).
    pub fn with_seat_policy(&self, policy: SeatPolicy) -> Self {
        let mut next = self.clone();
        next.settings.seat_policy = policy;
        next
    }

    /// Daily reminders switched on or off at `now` (R8.4). Switching on starts a new period:
    /// reminders queued before it are not sent.
    pub fn reminders_switched(&self, enabled: bool, now: DateTime<Utc>) -> Self {
        let mut next = self.clone();
        if enabled && !self.settings.reminders_enabled {
            next.settings.reminders_on_since = Some(now);
        }
        next.settings.reminders_enabled = enabled;
        next
    }

    /// Accepted notices to senders switched on or off.
    pub fn accepted_notices_switched(&self, enabled: bool) -> Self {
        let mut next = self.clone();
        next.settings.accepted_notices = enabled;
        next
    }

    /// The settings an admin changes (everything but seats), within [`bounds`].
    pub fn settings_updated(&self, update: &SettingsUpdate) -> Result<Self, Refusal> {
        let current = &self.settings;
        self.with_settings(OrgSettings {
            validity: update.validity.unwrap_or(current.validity),
            reminder_time: update.reminder_time.unwrap_or(current.reminder_time),
            time_zone: update.time_zone.unwrap_or(current.time_zone),
            channels: update.channels.unwrap_or(current.channels),
            language: update.language.unwrap_or(current.language),
            resend_cooldown: update.resend_cooldown.unwrap_or(current.resend_cooldown),
            min_validity: update.min_validity.unwrap_or(current.min_validity),
            max_validity: update.max_validity.unwrap_or(current.max_validity),
            ..current.clone()
        })
    }

    /// The same organization as stored at `version` (the store's bookkeeping).
    pub fn at_version(mut self, version: u64) -> Self {
        self.version = version;
        self
    }

    fn with_settings(&self, settings: OrgSettings) -> Result<Self, Refusal> {
        bounds::check_settings(&settings)?;
        Ok(Self {
            settings,
            ..self.clone()
        })
    }
}

/// Settings an organization's admins may change (everything but seats, which are the
/// vendor's). `None` leaves a setting as it is.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SettingsUpdate {
    /// Link validity (in JSON, whole seconds).
    #[serde(default, with = "optional_seconds")]
    pub validity: Option<TimeDelta>,
    /// Reminder local time.
    pub reminder_time: Option<NaiveTime>,
    /// Time zone.
    pub time_zone: Option<Tz>,
    /// Allowed channels.
    pub channels: Option<AllowedChannels>,
    /// Message language.
    pub language: Option<Language>,
    /// Resend cool-down (in JSON, whole seconds).
    #[serde(default, with = "optional_seconds")]
    pub resend_cooldown: Option<TimeDelta>,
    /// The shortest validity one invitation may ask for (in JSON, whole seconds).
    #[serde(default, with = "optional_seconds")]
    pub min_validity: Option<TimeDelta>,
    /// The longest validity one invitation may ask for (in JSON, whole seconds).
    #[serde(default, with = "optional_seconds")]
    pub max_validity: Option<TimeDelta>,
}

/// A duration in JSON as whole seconds; reads the `[seconds, nanoseconds]` pair that earlier
/// versions wrote too, so settings stored by them still load.
mod seconds {
    use chrono::TimeDelta;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &TimeDelta, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.num_seconds())
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Seconds(i64),
        Pair(i64, i32),
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TimeDelta, D::Error> {
        let (secs, nanos) = match Stored::deserialize(d)? {
            Stored::Seconds(s) => (s, 0),
            Stored::Pair(s, n) => (s, n),
        };
        TimeDelta::try_seconds(secs)
            .and_then(|t| t.checked_add(&TimeDelta::nanoseconds(i64::from(nanos))))
            .ok_or_else(|| serde::de::Error::custom("a duration out of range"))
    }
}

/// An optional duration in JSON as whole seconds or `null`.
mod optional_seconds {
    use chrono::TimeDelta;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Option<TimeDelta>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::seconds::serialize(d, s),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<TimeDelta>, D::Error> {
        match Option::<i64>::deserialize(d)? {
            None => Ok(None),
            Some(secs) => TimeDelta::try_seconds(secs)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("a duration out of range")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r1_2_settings_read_durations_in_seconds_and_in_the_old_pair_form() {
        let s = OrgSettings::with_seats(5);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["validity"], 259_200);
        let mut old = json.clone();
        old["validity"] = serde_json::json!([3600, 0]);
        let back: OrgSettings = serde_json::from_value(old).unwrap();
        assert_eq!(back.validity, TimeDelta::hours(1));
        assert_eq!(serde_json::from_value::<OrgSettings>(json).unwrap(), s);
    }
}
