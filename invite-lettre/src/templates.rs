//! Message templates (R7.5): a subject, a plain-text part and an HTML part per message kind and
//! language, rendered with [minijinja].
//!
//! Every template is parsed, and rendered once against sample messages, when it is added: a
//! broken template is an error at start-up, never at send time. HTML parts are auto-escaped, so
//! names and organization names written by users cannot inject markup.
//!
//! # Template names
//!
//! Built-in templates are named `{kind}.{lang}.{part}`, for example `invitation.en.html`,
//! `reminder.ru.txt` or `followup.en.subject`, with `kind` one of `invitation`, `resend`,
//! `reminder`, `followup`, `accepted` (the notice to a sender that their invitee signed up),
//! `lang` one of `en`, `ru`, and `part` one of `subject`, `txt`, `html`.
//! HTML parts extend `layout.html` (blocks: `content`) and may import `_macros.html`
//! (`grant_list(grants)`, `button(url, label)`).
//!
//! # Variables
//!
//! | name | value |
//! |------|-------|
//! | `kind` | `invitation`, `resend`, `reminder`, `followup` or `accepted` |
//! | `language` | `en` or `ru` |
//! | `to` | the recipient's address (for `accepted`, the sender's) |
//! | `invitee` | the invitee's address (for `accepted`, who signed up) |
//! | `org_name` | the inviting organization |
//! | `sender_name` | who invited (for `accepted`, the recipient) |
//! | `is_admin` | whether the invitation makes an admin |
//! | `admin_level` | the admin's permission level, or none |
//! | `grants` | a list of `{org_name, role}`, the role in the message's language |
//! | `signup_url` | the signup link, or none (a reminder to a member who signed up, a follow-up) |
//! | `expires_at` | when the link expires, in the organization's time zone and language, or none |
//! | `time_zone` | the organization's time zone, e.g. `Europe/Moscow` |
//! | `subject` | the rendered subject (text and HTML parts only) |
//!
//! Undefined variables are errors, so a typo in a replaced template fails at start-up.

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use invite_core::{InvitationType, Language, MessageKind, Notification, Role};
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;
use std::fmt::Write as _;
use thiserror::Error;

/// One part of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    /// The `Subject` header (rendered as plain text; line breaks are removed).
    Subject,
    /// The `text/plain` part.
    Text,
    /// The `text/html` part, auto-escaped.
    Html,
}

impl Part {
    fn extension(self) -> &'static str {
        match self {
            Part::Subject => "subject",
            Part::Text => "txt",
            Part::Html => "html",
        }
    }
}

/// A template that does not parse or does not render.
#[derive(Debug, Error)]
#[error("template {name}: {source}")]
pub struct TemplateError {
    /// The template's name, e.g. `invitation.en.html`.
    pub name: String,
    /// What minijinja said.
    #[source]
    pub source: minijinja::Error,
}

/// A rendered message: subject, plain text and HTML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The subject, on one line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

/// The templates of every message kind, language and part. Cheap to share behind the notifier;
/// build it once at start-up.
#[derive(Clone, Debug)]
pub struct Templates {
    env: Environment<'static>,
}

const KINDS: [MessageKind; 5] = [
    MessageKind::Invitation,
    MessageKind::Resend,
    MessageKind::Reminder,
    MessageKind::FollowUp,
    MessageKind::AcceptedNotice,
];
const LANGUAGES: [Language; 2] = [Language::En, Language::Ru];
#[cfg(test)]
const PARTS: [Part; 3] = [Part::Subject, Part::Text, Part::Html];

macro_rules! builtin {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/", $name)))),*]
    };
}

/// The built-in templates, by name.
const BUILTIN: &[(&str, &str)] = builtin!(
    "layout.html",
    "_macros.html",
    "invitation.en.subject",
    "invitation.en.txt",
    "invitation.en.html",
    "invitation.ru.subject",
    "invitation.ru.txt",
    "invitation.ru.html",
    "resend.en.subject",
    "resend.en.txt",
    "resend.en.html",
    "resend.ru.subject",
    "resend.ru.txt",
    "resend.ru.html",
    "reminder.en.subject",
    "reminder.en.txt",
    "reminder.en.html",
    "reminder.ru.subject",
    "reminder.ru.txt",
    "reminder.ru.html",
    "followup.en.subject",
    "followup.en.txt",
    "followup.en.html",
    "followup.ru.subject",
    "followup.ru.txt",
    "followup.ru.html",
    "accepted.en.subject",
    "accepted.en.txt",
    "accepted.en.html",
    "accepted.ru.subject",
    "accepted.ru.txt",
    "accepted.ru.html",
);

/// The name of the template for one kind, language and part, e.g. `reminder.ru.html`.
pub fn template_name(kind: MessageKind, language: Language, part: Part) -> String {
    format!(
        "{}.{}.{}",
        kind_name(kind),
        language_code(language),
        part.extension()
    )
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

/// The language's code, as in `Content-Language` and template names.
pub fn language_code(language: Language) -> &'static str {
    match language {
        Language::En => "en",
        Language::Ru => "ru",
    }
}

impl Templates {
    /// The built-in English and Russian templates.
    pub fn builtin() -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_formatter(html_formatter);
        for (name, source) in BUILTIN {
            // Checked by the unit tests; a failure here is a bug in this crate.
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("built-in template {name}: {e}"));
        }
        Self { env }
    }

    /// Replaces (or adds) the template of one kind, language and part. The template is parsed
    /// and rendered against sample messages now, so a broken template is an error here.
    pub fn with_template(
        self,
        kind: MessageKind,
        language: Language,
        part: Part,
        source: impl Into<String>,
    ) -> Result<Self, TemplateError> {
        self.with_named_template(template_name(kind, language, part), source)
    }

    /// Replaces (or adds) a template by name: a part (`invitation.en.html`), the HTML layout
    /// (`layout.html`) or a template your templates include or import. Every message template
    /// is rendered against sample messages again, so an error anywhere is reported here.
    pub fn with_named_template(
        mut self,
        name: impl Into<String>,
        source: impl Into<String>,
    ) -> Result<Self, TemplateError> {
        let name = name.into();
        self.env
            .add_template_owned(name.clone(), source.into())
            .map_err(|source| TemplateError {
                name: name.clone(),
                source,
            })?;
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

    /// Renders the subject and both parts of a message.
    pub fn render(&self, n: &Notification) -> Result<Rendered, TemplateError> {
        let mut ctx = Context::of(n);
        let subject = self.render_part(n, Part::Subject, &ctx)?;
        ctx.subject = Some(single_line(&subject));
        let text = self.render_part(n, Part::Text, &ctx)?;
        let html = self.render_part(n, Part::Html, &ctx)?;
        Ok(Rendered {
            subject: ctx.subject.unwrap_or_default(),
            text,
            html,
        })
    }

    fn render_part(
        &self,
        n: &Notification,
        part: Part,
        ctx: &Context,
    ) -> Result<String, TemplateError> {
        let name = template_name(n.kind, n.language, part);
        let err = |source| TemplateError {
            name: name.clone(),
            source,
        };
        let template = self.env.get_template(&name).map_err(err)?;
        template.render(ctx).map_err(err)
    }
}

impl Default for Templates {
    fn default() -> Self {
        Self::builtin()
    }
}

/// Escapes `& < > " '` in HTML templates (minijinja's default also escapes `/`, which makes
/// links in the text of a message unreadable for no gain); everything else as minijinja does.
fn html_formatter(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    if matches!(state.auto_escape(), minijinja::AutoEscape::Html) && !value.is_safe() {
        if let Some(s) = value.as_str() {
            let write_failed = |_| minijinja::Error::from(minijinja::ErrorKind::WriteFailure);
            for c in s.chars() {
                match c {
                    '&' => out.write_str("&amp;"),
                    '<' => out.write_str("&lt;"),
                    '>' => out.write_str("&gt;"),
                    '"' => out.write_str("&quot;"),
                    '\'' => out.write_str("&#39;"),
                    c => out.write_char(c),
                }
                .map_err(write_failed)?;
            }
            return Ok(());
        }
    }
    minijinja::escape_formatter(out, state, value)
}

/// Collapses all whitespace, CR and LF included, and drops other control characters: a header
/// value stays on one line whatever a user typed.
pub(crate) fn single_line(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
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
    subject: Option<String>,
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
                .map(|t| format_instant(t, n.time_zone, n.language)),
            time_zone: n.time_zone.name().to_owned(),
            subject: None,
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

/// An instant as the invitee reads it: in the organization's time zone, in the message's
/// language, with the zone named. English: `Thursday 5 March 2026, 12:00 (Europe/Moscow)`;
/// Russian: `5 марта 2026 г., 12:00 (Europe/Moscow)`.
pub fn format_instant(t: DateTime<Utc>, zone: Tz, language: Language) -> String {
    const EN_MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const RU_MONTHS: [&str; 12] = [
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
    let month = local.month0() as usize;
    let time = local.format("%H:%M");
    match language {
        Language::En => format!(
            "{} {} {} {}, {time} ({})",
            local.format("%A"),
            local.day(),
            EN_MONTHS[month],
            local.year(),
            zone.name()
        ),
        Language::Ru => format!(
            "{} {} {} г., {time} ({})",
            local.day(),
            RU_MONTHS[month],
            local.year(),
            zone.name()
        ),
    }
}

/// Sample messages every template must render: a user with a link and an admin without one.
fn samples(kind: MessageKind, language: Language) -> [Notification; 2] {
    use invite_core::{Channel, GrantSummary, InvitationId, MessageId, PermissionLevel, SignupUrl};
    let with_link = Notification {
        message_id: MessageId::new(),
        invitation: InvitationId::new(),
        kind,
        channel: Channel::Email,
        to: "sample@example.com".into(),
        invitee: "sample@example.com".into(),
        language,
        org_name: "Sample <Org> & Co".into(),
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
        Templates::builtin()
            .check()
            .expect("built-in templates render");
        for kind in KINDS {
            for language in LANGUAGES {
                for part in PARTS {
                    let name = template_name(kind, language, part);
                    assert!(
                        BUILTIN.iter().any(|(n, _)| *n == name),
                        "missing built-in {name}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_broken_template_is_an_error_when_added() {
        let syntax = Templates::builtin().with_template(
            MessageKind::Invitation,
            Language::En,
            Part::Html,
            "{% if %}",
        );
        let err = syntax.expect_err("syntax error");
        assert_eq!(err.name, "invitation.en.html");
        let undefined = Templates::builtin().with_template(
            MessageKind::Reminder,
            Language::Ru,
            Part::Text,
            "{{ no_such_variable }}",
        );
        assert!(undefined.is_err(), "undefined variables are errors");
        let filter = Templates::builtin().with_template(
            MessageKind::FollowUp,
            Language::En,
            Part::Subject,
            "{{ org_name | no_such_filter }}",
        );
        assert!(filter.is_err(), "unknown filters are errors");
    }

    #[test]
    fn replaced_templates_are_used() {
        let t = Templates::builtin()
            .with_template(
                MessageKind::Invitation,
                Language::En,
                Part::Subject,
                "Join {{ org_name }}!",
            )
            .expect("valid");
        let [n, _] = samples(MessageKind::Invitation, Language::En);
        let r = t.render(&n).expect("renders");
        assert_eq!(r.subject, "Join Sample <Org> & Co!");
        assert!(r.html.contains("Sample &lt;Org&gt; &amp; Co"), "{}", r.html);
        assert!(!r.html.contains("<Org>"));
    }

    #[test]
    fn an_accepted_notice_names_the_invitee_in_both_languages_and_carries_no_link() {
        let t = Templates::builtin();
        for (language, words) in [(Language::En, "accepted"), (Language::Ru, "принял(а)")] {
            let [with_link, _] = samples(MessageKind::AcceptedNotice, language);
            let n = Notification {
                to: "ann@example.com".into(),
                invitee: "bob@example.com".into(),
                sender_name: "Ann Lee".into(),
                signup_url: None,
                expires_at: None,
                ..with_link
            };
            let r = t.render(&n).expect("renders");
            assert!(r.subject.contains("bob@example.com"), "{}", r.subject);
            assert!(r.subject.contains(words), "{}", r.subject);
            for body in [&r.text, &r.html] {
                assert!(
                    body.contains("bob@example.com") && body.contains("Ann Lee"),
                    "{body}"
                );
                assert!(!body.contains("http"), "no link in a notice: {body}");
            }
            assert!(r.html.contains("Sample &lt;Org&gt; &amp; Co"), "{}", r.html);
        }
    }

    #[test]
    fn dates_are_local_and_localized() {
        let t = DateTime::parse_from_rfc3339("2026-03-05T09:00:00Z")
            .expect("valid")
            .with_timezone(&Utc);
        let moscow = chrono_tz::Europe::Moscow;
        assert_eq!(
            format_instant(t, moscow, Language::En),
            "Thursday 5 March 2026, 12:00 (Europe/Moscow)"
        );
        assert_eq!(
            format_instant(t, moscow, Language::Ru),
            "5 марта 2026 г., 12:00 (Europe/Moscow)"
        );
    }

    #[test]
    fn subjects_stay_on_one_line() {
        assert_eq!(
            single_line("Eve\r\nBcc: evil@x\u{0}  invited"),
            "Eve Bcc: evil@x invited"
        );
    }
}
