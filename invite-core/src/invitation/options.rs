//! Per-invitation options (issue 11, point 5): a validity within the organization's bounds,
//! the application's metadata for the new member, a return path for after signup, the
//! invitee's language, a link handed out by an admin instead of a message, and a place on the
//! seat waitlist when no seat is free.
//!
//! [`InviteOptions`] is what a caller asks for; [`InviteOptions::checked`] validates it
//! against the organization ([`crate::bounds`] holds the limits) and answers the
//! [`InvitationOptions`] an invitation keeps for life: they are fixed at creation, never
//! edited, and stored with the record.

use crate::bounds;
use crate::org::{Language, OrgSettings};
use crate::refusal::Refusal;
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

/// How the first link reaches the invitee.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sending {
    /// A message through the outbox, by the invitation's channel. The default.
    #[default]
    Message,
    /// No message: the link is minted at creation and answered once, for an admin to share by
    /// hand. The invitation counts as delivered at creation, so it is Pending at once and its
    /// validity period starts then.
    ByHand,
}

/// What a caller may ask of one invite call, for every invitation it creates. The default is
/// an invite as without options.
///
/// ```
/// use invite_core::{InviteOptions, OrgSettings};
/// let options = InviteOptions {
///     validity: Some(chrono::TimeDelta::days(7)),
///     return_path: Some("/welcome?team=blue".into()),
///     metadata: Some(serde_json::json!({"plan": "pro"})),
///     ..InviteOptions::default()
/// };
/// let kept = options.checked(&OrgSettings::with_seats(5)).unwrap();
/// assert_eq!(kept.return_path.unwrap().as_str(), "/welcome?team=blue");
/// let bad = InviteOptions { return_path: Some("//evil.example".into()), ..InviteOptions::default() };
/// assert!(bad.checked(&OrgSettings::with_seats(5)).is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InviteOptions {
    /// How long the link stays valid after delivery, within the organization's
    /// `min_validity..=max_validity`; `None`: the organization's `validity`. In JSON, whole
    /// seconds.
    #[serde(with = "opt_seconds", skip_serializing_if = "Option::is_none")]
    pub validity: Option<TimeDelta>,
    /// The application's data for the new member (a JSON object of at most
    /// [`bounds::MAX_METADATA_BYTES`]), answered with the signup.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    /// Where the application sends the new member after signup: a relative path
    /// ([`ReturnPath`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_path: Option<String>,
    /// The invitee's language for messages and the signup page, instead of the
    /// organization's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    /// How the first link reaches the invitee.
    pub sending: Sending,
    /// With no seat free, put the invitee on the organization's waitlist instead of refusing
    /// for good: an invite refused with `NoSeatsAvailable`, or later a signup refused with
    /// `SeatsExhausted`, waits for a seat (see [`crate::waitlist`]).
    pub waitlist: bool,
}

/// The options an invitation keeps: [`InviteOptions`] as checked. In JSON, only those set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InvitationOptions {
    /// Its own link validity; `None`: the organization's at each delivery.
    #[serde(with = "opt_seconds", skip_serializing_if = "Option::is_none")]
    pub validity: Option<TimeDelta>,
    /// The application's data for the new member.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    /// Where to send the new member after signup.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_path: Option<ReturnPath>,
    /// The invitee's language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    /// The first link was handed out by an admin, not sent.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub by_hand: bool,
    /// A signup refused for seats puts the invitee on the waitlist.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub waitlist: bool,
}

impl InvitationOptions {
    /// No option set: an invitation as without options.
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

impl InviteOptions {
    /// The options as an invitation of an organization with `settings` keeps them, or the
    /// [`Refusal::OutOfRange`] naming the first field that is not allowed: `validity` outside
    /// the organization's bounds, `metadata` that is not a JSON object or is over
    /// [`bounds::MAX_METADATA_BYTES`] (or holds a NUL character, which no store keeps),
    /// `return_path` that is not a [`ReturnPath`].
    pub fn checked(&self, settings: &OrgSettings) -> Result<InvitationOptions, Refusal> {
        if let Some(v) = self.validity {
            bounds::check_invitation_validity(settings, v)?;
        }
        if let Some(m) = &self.metadata {
            bounds::check_metadata(m)?;
        }
        let return_path = self
            .return_path
            .as_deref()
            .map(ReturnPath::parse)
            .transpose()?;
        Ok(InvitationOptions {
            validity: self.validity,
            metadata: self.metadata.clone(),
            return_path,
            language: self.language,
            by_hand: self.sending == Sending::ByHand,
            waitlist: self.waitlist,
        })
    }
}

/// A path on the application's own site to send a new member to after signup: it starts with
/// exactly one `/`, has no backslash, no control character and no whitespace, and is at most
/// [`bounds::MAX_RETURN_PATH_CHARS`] long. So it names no scheme and no host: a link cannot
/// redirect anyone off the site (`//evil.example` and `/\evil.example` are host names to a
/// browser, `https://...` is absolute; all are refused).
///
/// ```
/// use invite_core::ReturnPath;
/// assert!(ReturnPath::parse("/projects/7?tab=team#top").is_ok());
/// for bad in ["https://evil.example/", "//evil.example", "/\\evil.example", "welcome", "/a b"] {
///     assert!(ReturnPath::parse(bad).is_err(), "{bad}");
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReturnPath(String);

impl ReturnPath {
    /// Validates a return path; the refusal names the field `return_path`.
    pub fn parse(path: &str) -> Result<Self, Refusal> {
        let refuse = || Refusal::OutOfRange {
            field: "return_path".into(),
            allowed: format!(
                "a relative path starting with one /, without backslash, whitespace or \
                 control characters, at most {} characters",
                bounds::MAX_RETURN_PATH_CHARS
            ),
        };
        let starts_right = path.starts_with('/') && !path.starts_with("//");
        let clean = !path
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace());
        if !starts_right || !clean || path.chars().count() > bounds::MAX_RETURN_PATH_CHARS {
            return Err(refuse());
        }
        Ok(Self(path.to_owned()))
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ReturnPath {
    type Error = Refusal;
    fn try_from(s: String) -> Result<Self, Refusal> {
        Self::parse(&s)
    }
}

impl From<ReturnPath> for String {
    fn from(p: ReturnPath) -> Self {
        p.0
    }
}

/// An optional duration as whole seconds.
mod opt_seconds {
    use chrono::TimeDelta;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Option<TimeDelta>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.num_seconds()),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<TimeDelta>, D::Error> {
        Option::<i64>::deserialize(d)?
            .map(|s| {
                TimeDelta::try_seconds(s)
                    .ok_or_else(|| serde::de::Error::custom("a duration out of range"))
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_must_be_within_the_organizations_bounds() {
        let mut settings = OrgSettings::with_seats(1);
        settings.min_validity = TimeDelta::hours(1);
        settings.max_validity = TimeDelta::days(7);
        let ask = |v| InviteOptions {
            validity: Some(v),
            ..InviteOptions::default()
        };
        assert!(ask(TimeDelta::days(7)).checked(&settings).is_ok());
        for v in [
            TimeDelta::minutes(59),
            TimeDelta::days(8),
            TimeDelta::zero(),
        ] {
            assert!(matches!(
                ask(v).checked(&settings),
                Err(Refusal::OutOfRange { field, .. }) if field == "validity"
            ));
        }
    }

    #[test]
    fn metadata_is_an_object_within_its_size() {
        let settings = OrgSettings::with_seats(1);
        let ask = |m| InviteOptions {
            metadata: Some(m),
            ..InviteOptions::default()
        };
        assert!(
            ask(serde_json::json!({"plan": "pro"}))
                .checked(&settings)
                .is_ok()
        );
        let big = "x".repeat(bounds::MAX_METADATA_BYTES);
        for m in [
            serde_json::json!([1, 2]),
            serde_json::json!({ "big": big }),
            serde_json::json!({ "nul": "a\u{0}b" }),
        ] {
            assert!(matches!(
                ask(m).checked(&settings),
                Err(Refusal::OutOfRange { field, .. }) if field == "metadata"
            ));
        }
    }

    #[test]
    fn options_in_json_show_only_what_is_set() {
        assert_eq!(
            serde_json::to_string(&InvitationOptions::default()).unwrap(),
            "{}"
        );
        let kept = InvitationOptions {
            validity: Some(TimeDelta::days(1)),
            by_hand: true,
            ..InvitationOptions::default()
        };
        let json = serde_json::to_string(&kept).unwrap();
        assert_eq!(json, r#"{"validity":86400,"by_hand":true}"#);
        assert_eq!(
            serde_json::from_str::<InvitationOptions>(&json).unwrap(),
            kept
        );
        assert!(serde_json::from_str::<InvitationOptions>(r#"{"return_path":"//x"}"#).is_err());
    }
}
