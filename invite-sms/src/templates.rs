//! SMS texts (R7.5): one plain-text template per message kind and language, rendered with
//! [minijinja].
//!
//! Every template is parsed, and rendered once against sample messages, when it is added: a
//! broken template is an error at start-up, never at send time. Nothing is escaped or
//! replaced: the signup link reaches the phone exactly as rendered.
//!
//! # Template names
//!
//! `{kind}.{lang}.txt`, for example `invitation.en.txt` or `reminder.ru.txt`, with `kind` one
//! of `invitation`, `resend`, `reminder`, `followup`, `accepted` (the notice to a sender that
//! their invitee signed up) and `lang` one of `en`, `ru`.
//!
//! # Variables
//!
//! | name | value |
//! |------|-------|
//! | `kind` | `invitation`, `resend`, `reminder`, `followup` or `accepted` |
//! | `language` | `en` or `ru` |
//! | `to` | the recipient's number, E.164 (for `accepted`, the sender's) |
//! | `invitee` | the invitee's address (for `accepted`, who signed up) |
//! | `org_name` | the inviting organization |
//! | `sender_name` | who invited (for `accepted`, the recipient) |
//! | `is_admin` | whether the invitation makes an admin |
//! | `admin_level` | the admin's permission level, or none |
//! | `grants` | a list of `{org_name, role}`, the role in the message's language |
//! | `signup_url` | the signup link, or none (a reminder to a member who signed up, a follow-up) |
//! | `expires_at` | when the link expires, short, in the organization's time zone, or none |
//! | `time_zone` | the organization's time zone, e.g. `Europe/Moscow` |
//!
//! Undefined variables are errors, so a typo in a replaced template fails at start-up. The
//! rendered text is trimmed; keep templates short, since every 153 GSM or 67 UCS-2 characters
//! more is one more SMS billed ([`crate::encoding`]).

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use invite_core::{InvitationType, Language, MessageKind, Notification, Role};
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;
use thiserror::Error;

/// A template that does not parse or does not render.
#[derive(Debug, Error)]
#[error("SMS template {name}: {source}")]
pub struct TemplateError {
    /// The template's name, e.g. `invitation.en.txt`.
    pub name: String,
    /// What minijinja said.
    #[source]
    pub source: minijinja::Error,
}

/// The SMS templates of every message kind and language. Build once at start-up.
#[derive(Clone, Debug)]
pub struct SmsTemplates {
    env: Environment<'static>,
}

pub(crate) const KINDS: [MessageKind; 5] = [
    MessageKind::Invitation,
    MessageKind::Resend,
    MessageKind::Reminder,
    MessageKind::FollowUp,
    MessageKind::AcceptedNotice,
];
pub(crate) const LANGUAGES: [Language; 2] = [Language::En, Language::Ru];

macro_rules! builtin {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/", $name)))),*]
    };
}

/// The built-in templates, by name.
const BUILTIN: &[(&str, &str)] = builtin!(
    "invitation.en.txt",
    "invitation.ru.txt",
    "resend.en.txt",
    "resend.ru.txt",
    "reminder.en.txt",
    "reminder.ru.txt",
    "followup.en.txt",
    "followup.ru.txt",
    "accepted.en.txt",
    "accepted.ru.txt",
);

/// The name of the template for one kind and language, e.g. `reminder.ru.txt`.
pub fn template_name(kind: MessageKind, language: Language) -> String {
    format!("{}.{}.txt", kind_name(kind), language_code(language))
}

fn kind_name(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Invitation => "invitation",
        MessageKind::Resend => "resend",
        MessageKind::Reminder => "reminder",
        MessageKind::FollowUp => "followup",
        MessageKind::AcceptedNotice => "accepted",
    }
}

fn language_code(language: Language) -> &'static str {
    match language {
        Language::En => "en",
        Language::Ru => "ru",
    }
}

impl SmsTemplates {
    /// The built-in English and Russian templates.
    pub fn builtin() -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        // Plain text whatever the name: a link must reach the phone unescaped.
        env.set_auto_escape_callback(|_| AutoEscape::None);
        for (name, source) in BUILTIN {
            // Checked by the unit tests; a failure here is a bug in this crate.
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("built-in SMS template {name}: {e}"));
        }
        Self { env }
    }

    /// Replaces the template of one kind and language. It is parsed and rendered against
    /// sample messages now, so a broken template is an error here, at start-up.
    ///
    /// ```
    /// use invite_core::{Language, MessageKind};
    /// use invite_sms::SmsTemplates;
    ///
    /// let templates = SmsTemplates::builtin()
    ///     .with_template(MessageKind::Invitation, Language::En, "Join {{ org_name }}: {{ signup_url }}")
    ///     .unwrap();
    /// assert!(SmsTemplates::builtin()
    ///     .with_template(MessageKind::Reminder, Language::Ru, "{{ no_such_variable }}")
    ///     .is_err());
    /// # drop(templates);
    /// ```
    pub fn with_template(
        mut self,
        kind: MessageKind,
        language: Language,
        source: impl Into<String>,
    ) -> Result<Self, TemplateError> {
        let name = template_name(kind, language);
        self.env
            .add_template_owned(name.clone(), source.into())
            .map_err(|source| TemplateError { name, source })?;
        self.check()?;
        Ok(self)
    }

    /// Renders every template against sample messages (with and without a link, user and
    /// admin), returning the first error.
    pub fn check(&self) -> Result<(), TemplateError> {
        for kind in KINDS {
            for language in LANGUAGES {
                for sample in samples(kind, language) {
                    self.render(&sample)?;
                }
            }
        }
        Ok(())
    }

    /// Renders the text of a message, trimmed.
    pub fn render(&self, n: &Notification) -> Result<String, TemplateError> {
        let name = template_name(n.kind, n.language);
        let err = |source| TemplateError {
            name: name.clone(),
            source,
        };
        let template = self.env.get_template(&name).map_err(err)?;
        let text = template.render(Context::of(n)).map_err(err)?;
        Ok(text.trim().to_owned())
    }
}

impl Default for SmsTemplates {
    fn default() -> Self {
        Self::builtin()
    }
}

#[derive(Serialize)]
struct Context {
    kind: &'static str,
    language: &'static str,
    to: String,
    invitee: String,
    org_name: String,
    sender_name: String,
    is_admin: bool,
    admin_level: Option<String>,
    grants: Vec<GrantCtx>,
    signup_url: Option<String>,
    expires_at: Option<String>,
    time_zone: String,
}

#[derive(Serialize)]
struct GrantCtx {
    org_name: String,
    role: &'static str,
}

impl Context {
    fn of(n: &Notification) -> Self {
        let (is_admin, admin_level) = match &n.invitation_type {
            InvitationType::User => (false, None),
            InvitationType::Admin(level) => (true, Some(level.as_str().to_owned())),
        };
        Self {
            kind: kind_name(n.kind),
            language: language_code(n.language),
            to: n.to.clone(),
            invitee: n.invitee.clone(),
            org_name: n.org_name.clone(),
            sender_name: n.sender_name.clone(),
            is_admin,
            admin_level,
            grants: n
                .grants
                .iter()
                .map(|g| GrantCtx {
                    org_name: g.org_name.clone(),
                    role: role_name(g.role, n.language),
                })
                .collect(),
            signup_url: n.signup_url.as_ref().map(|u| u.expose().to_owned()),
            expires_at: n
                .expires_at
                .map(|t| short_instant(t, n.time_zone, n.language)),
            time_zone: n.time_zone.name().to_owned(),
        }
    }
}

fn role_name(role: Role, language: Language) -> &'static str {
    match (role, language) {
        (Role::ReadOnly, Language::En) => "read only",
        (Role::Admin, Language::En) => "admin",
        (Role::ReadOnly, Language::Ru) => "только чтение",
        (Role::Admin, Language::Ru) => "администратор",
    }
}

/// An instant, short, as the invitee reads it: in the organization's time zone, with the zone
/// named and without the year (links live days, not years). English `5 Mar 12:00
/// Europe/Moscow`, Russian `5 марта 12:00 Europe/Moscow`.
pub fn short_instant(t: DateTime<Utc>, zone: Tz, language: Language) -> String {
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const RU: [&str; 12] = [
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ];
    let local = t.with_timezone(&zone);
    let months = match language {
        Language::En => &EN,
        Language::Ru => &RU,
    };
    format!(
        "{} {} {} {}",
        local.day(),
        months[local.month0() as usize],
        local.format("%H:%M"),
        zone.name()
    )
}

/// Sample messages every template must render: a user with a link and an admin without one.
fn samples(kind: MessageKind, language: Language) -> [Notification; 2] {
    use invite_core::{Channel, GrantSummary, InvitationId, MessageId, PermissionLevel, SignupUrl};
    let with_link = Notification {
        message_id: MessageId::new(),
        invitation: InvitationId::new(),
        kind,
        channel: Channel::Sms,
        to: "+79051111111".into(),
        invitee: "+79051111111".into(),
        language,
        org_name: "Sample Org".into(),
        sender_name: "Sample Sender".into(),
        invitation_type: InvitationType::User,
        grants: vec![GrantSummary {
            org_name: "Sample Client".into(),
            role: Role::ReadOnly,
        }],
        signup_url: Some(SignupUrl::new(
            "https://app.example.com/signup?token=sample".into(),
        )),
        expires_at: Some(DateTime::<Utc>::UNIX_EPOCH),
        time_zone: chrono_tz::UTC,
        attempt: 1,
    };
    let admin = PermissionLevel::new("owner").ok();
    let without_link = Notification {
        invitation_type: admin.map_or(InvitationType::User, InvitationType::Admin),
        grants: Vec::new(),
        signup_url: None,
        expires_at: None,
        ..with_link.clone()
    };
    [with_link, without_link]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_template_renders() {
        SmsTemplates::builtin()
            .check()
            .expect("built-in templates render");
        for kind in KINDS {
            for language in LANGUAGES {
                let name = template_name(kind, language);
                assert!(BUILTIN.iter().any(|(n, _)| *n == name), "missing {name}");
            }
        }
    }

    #[test]
    fn a_broken_template_is_an_error_when_added() {
        let err = SmsTemplates::builtin()
            .with_template(MessageKind::Invitation, Language::En, "{% if %}")
            .expect_err("syntax error");
        assert_eq!(err.name, "invitation.en.txt");
        for source in ["{{ no_such_variable }}", "{{ org_name | no_such_filter }}"] {
            let t =
                SmsTemplates::builtin().with_template(MessageKind::FollowUp, Language::Ru, source);
            assert!(t.is_err(), "{source} is refused");
        }
    }

    #[test]
    fn links_and_names_are_not_escaped() {
        let t = SmsTemplates::builtin()
            .with_template(
                MessageKind::Invitation,
                Language::En,
                "{{ org_name }} {{ signup_url }}",
            )
            .expect("valid");
        let [mut n, _] = samples(MessageKind::Invitation, Language::En);
        n.org_name = "A & <B>".into();
        n.signup_url = Some(invite_core::SignupUrl::new(
            "https://x.example/s?a=1&token=q/r".into(),
        ));
        assert_eq!(
            t.render(&n).expect("renders"),
            "A & <B> https://x.example/s?a=1&token=q/r"
        );
    }

    #[test]
    fn a_reminder_without_a_link_says_log_in() {
        let [_, n] = samples(MessageKind::Reminder, Language::En);
        let text = SmsTemplates::builtin().render(&n).expect("renders");
        assert_eq!(
            text,
            "Reminder: your Sample Org account is ready. Log in to start."
        );
    }

    #[test]
    fn an_accepted_notice_names_the_invitee_in_both_languages_and_carries_no_link() {
        let t = SmsTemplates::builtin();
        for (language, want) in [
            (
                Language::En,
                "bob@example.com accepted your invitation to Sample Org and signed up.",
            ),
            (
                Language::Ru,
                "bob@example.com принял(а) ваше приглашение в Sample Org.",
            ),
        ] {
            let [with_link, _] = samples(MessageKind::AcceptedNotice, language);
            let n = Notification {
                invitee: "bob@example.com".into(),
                ..with_link
            };
            // Even handed a link, the notice's text has none.
            assert_eq!(t.render(&n).expect("renders"), want);
        }
    }

    #[test]
    fn dates_are_short_local_and_localized() {
        let t = DateTime::parse_from_rfc3339("2026-03-05T09:00:00Z")
            .expect("valid")
            .with_timezone(&Utc);
        let moscow = chrono_tz::Europe::Moscow;
        assert_eq!(
            short_instant(t, moscow, Language::En),
            "5 Mar 12:00 Europe/Moscow"
        );
        assert_eq!(
            short_instant(t, moscow, Language::Ru),
            "5 марта 12:00 Europe/Moscow"
        );
    }
}
