//! Validated contacts (R2.1, R2.2): e-mail addresses and E.164 phone numbers.
//!
//! Validation is delegated to well-kept crates rather than a home-made regex:
//! [`email_address`] implements RFC 5321/5322 address syntax and [`phonenumber`] is a port of
//! Google's libphonenumber, which knows the numbering plan of every country.

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// Why an address given by a caller is not usable. Returned per address by bulk invites (R2.9).
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ContactError {
    /// The e-mail address is empty or not valid RFC 5322 syntax.
    #[error("invalid e-mail address {input:?}: {reason}")]
    InvalidEmail {
        /// What the caller gave, trimmed.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The phone number has no country code (`9051111111` instead of `+79051111111`).
    #[error(
        "phone number {input:?} has no country code: write it in E.164 form, e.g. +79051111111"
    )]
    MissingCountryCode {
        /// What the caller gave, trimmed.
        input: String,
    },
    /// The phone number is not a possible number in its country's numbering plan.
    #[error("invalid phone number {input:?}: {reason}")]
    InvalidPhone {
        /// What the caller gave, trimmed.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Neither an e-mail address nor a phone number was given.
    #[error("no e-mail address or phone number given")]
    Empty,
}

/// A syntactically valid e-mail address.
///
/// It keeps the address as typed (trimmed) for display and compares by its lower-cased form,
/// so `Ann@Example.com` and ` ann@example.com ` are the same invitee (R2.2).
///
/// ```
/// use invite_core::Email;
/// let a = Email::parse(" Ann@Example.COM ").unwrap();
/// assert_eq!(a.as_str(), "Ann@Example.COM");
/// assert_eq!(a.key(), "ann@example.com");
/// assert_eq!(a, Email::parse("ann@example.com").unwrap());
/// assert!(Email::parse("ann@").is_err());
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Email {
    display: String,
    key: String,
}

impl Email {
    /// Trims and validates an address.
    pub fn parse(input: &str) -> Result<Self, ContactError> {
        let trimmed = input.trim();
        let invalid = |reason: String| ContactError::InvalidEmail {
            input: trimmed.to_owned(),
            reason,
        };
        if trimmed.is_empty() {
            return Err(invalid("it is empty".into()));
        }
        // No display names ("Ann <ann@x>"), no IP literals, and a dot in the domain: an
        // invitation goes to a mailbox on the Internet, not to `root@localhost`.
        let options = email_address::Options::default()
            .without_display_text()
            .without_domain_literal()
            .with_required_tld();
        let parsed = email_address::EmailAddress::parse_with_options(trimmed, options)
            .map_err(|e| invalid(e.to_string()))?;
        let display = parsed.as_str().to_owned();
        Ok(Self {
            key: display.to_lowercase(),
            display,
        })
    }

    /// The address as typed, trimmed.
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The lower-cased form used to compare addresses.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl PartialEq for Email {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Email {}
impl std::hash::Hash for Email {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key.hash(state)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

/// A valid phone number in E.164 form (`+79051111111`): `+`, a country code that does not
/// start with 0, and at most 15 digits in all.
///
/// [`Phone::parse`] accepts what people type between the digits (spaces, dashes, dots,
/// parentheses: `+7 (905) 111-11-11`) and nothing else: no letters (keypad letters are not
/// turned into digits), no brackets, no second `+`, no extension.
///
/// ```
/// use invite_core::{Phone, ContactError};
/// assert_eq!(Phone::parse("+7 905 111-11-11").unwrap().as_str(), "+79051111111");
/// assert!(matches!(Phone::parse("9051111111"), Err(ContactError::MissingCountryCode { .. })));
/// // Letters and brackets are not part of a phone number.
/// assert!(matches!(Phone::parse("+496[127.0.0.1].llsxvthh"), Err(ContactError::InvalidPhone { .. })));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

/// The most digits an E.164 number has, country code included.
pub const MAX_PHONE_DIGITS: usize = 15;

/// What may stand between the digits of a phone number as typed: spaces, dashes, dots and
/// parentheses. They are dropped.
fn is_phone_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '(' | ')')
}

/// Whether `s` is in E.164 form: `+`, a first digit 1 to 9, then 1 to 14 more digits.
fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (2..=MAX_PHONE_DIGITS).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

impl Phone {
    /// Validates a number and normalizes it to E.164 (`+` and digits only).
    ///
    /// - Between the digits, spaces, dashes, dots and parentheses are allowed and dropped;
    ///   any other character (a letter, a bracket, a second `+`) makes it
    ///   [`ContactError::InvalidPhone`], as do more than 15 digits.
    /// - With `+`, the number must be valid in its country's numbering plan and written in
    ///   full: the digits typed are the number (no trunk zero to drop, no area code to add),
    ///   otherwise it is [`ContactError::InvalidPhone`].
    /// - Without `+`, it is accepted only if it already starts with a country code that makes
    ///   it a valid number (`79051111111`, as users of one seed product write); otherwise it
    ///   is [`ContactError::MissingCountryCode`].
    pub fn parse(input: &str) -> Result<Self, ContactError> {
        let trimmed = input.trim();
        let invalid = |reason: &str| ContactError::InvalidPhone {
            input: trimmed.to_owned(),
            reason: reason.to_owned(),
        };
        if trimmed.is_empty() {
            return Err(invalid("it is empty"));
        }
        let (has_plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        if rest
            .chars()
            .any(|c| !c.is_ascii_digit() && !is_phone_separator(c))
        {
            return Err(invalid(
                "only digits may follow the +, with spaces, dashes, dots or parentheses between them",
            ));
        }
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        if digits.is_empty() {
            return Err(invalid("it has no digits"));
        }
        if digits.len() > MAX_PHONE_DIGITS {
            return Err(invalid("an E.164 number has at most 15 digits"));
        }
        // Only `+` and digits reach the numbering plans: nothing there can turn letters into
        // digits or read an extension.
        let parsed = phonenumber::parse(None, format!("+{digits}"));
        let e164 = match &parsed {
            Ok(number) if phonenumber::is_valid(number) => {
                Some(number.format().mode(phonenumber::Mode::E164).to_string())
            }
            _ => None,
        };
        // The number must be the digits as typed: numbering plans may add an area code to a
        // short local number (+1 758 9811 becomes +1 758 758 9811) or drop a trunk zero
        // (+44 (0)20 ...), and an SMS must go to the number the admin wrote.
        let typed = format!("+{digits}");
        match (e164, parsed) {
            (Some(e164), _) if is_e164(&e164) && e164 == typed => Ok(Self(e164)),
            // Without `+` we cannot tell a wrong number from a missing country code; the
            // missing code is by far the common mistake, so that is what we report.
            _ if !has_plus => Err(ContactError::MissingCountryCode {
                input: trimmed.to_owned(),
            }),
            (_, Err(e)) => Err(invalid(&e.to_string())),
            (Some(e164), Ok(_)) if is_e164(&e164) => Err(invalid(&format!(
                "not in E.164 form: written in full it would be {e164}"
            ))),
            (_, Ok(_)) => Err(invalid(
                "not a valid number in its country's numbering plan",
            )),
        }
    }

    /// The number in E.164 form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The channel an invitation is delivered by (R2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Channel {
    /// E-mail.
    Email,
    /// SMS text message.
    Sms,
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Channel::Email => "e-mail",
            Channel::Sms => "SMS",
        })
    }
}

/// Where an invitee can be reached: an e-mail address, a phone number, or both (R2.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    email: Option<Email>,
    phone: Option<Phone>,
}

impl Contact {
    /// A contact with at least one of the two.
    pub fn new(email: Option<Email>, phone: Option<Phone>) -> Result<Self, ContactError> {
        if email.is_none() && phone.is_none() {
            return Err(ContactError::Empty);
        }
        Ok(Self { email, phone })
    }

    /// An e-mail-only contact.
    pub fn email(email: Email) -> Self {
        Self {
            email: Some(email),
            phone: None,
        }
    }

    /// A phone-only contact.
    pub fn phone(phone: Phone) -> Self {
        Self {
            email: None,
            phone: Some(phone),
        }
    }

    /// Parses an e-mail address into a contact.
    pub fn parse_email(input: &str) -> Result<Self, ContactError> {
        Email::parse(input).map(Self::email)
    }

    /// Parses a phone number into a contact.
    pub fn parse_phone(input: &str) -> Result<Self, ContactError> {
        Phone::parse(input).map(Self::phone)
    }

    /// The e-mail address, if any.
    pub fn email_address(&self) -> Option<&Email> {
        self.email.as_ref()
    }

    /// The phone number, if any.
    pub fn phone_number(&self) -> Option<&Phone> {
        self.phone.as_ref()
    }

    /// Whether this contact can be reached by `channel`.
    pub fn reachable_by(&self, channel: Channel) -> bool {
        match channel {
            Channel::Email => self.email.is_some(),
            Channel::Sms => self.phone.is_some(),
        }
    }

    /// The address an invitation by `channel` goes to, as a comparison key: the lower-cased
    /// e-mail or the E.164 number. Uniqueness of live invitations (R2.7) is per this key.
    pub fn key_for(&self, channel: Channel) -> Option<String> {
        match channel {
            Channel::Email => self.email.as_ref().map(|e| e.key().to_owned()),
            Channel::Sms => self.phone.as_ref().map(|p| p.as_str().to_owned()),
        }
    }

    /// Every comparison key of this contact (e-mail key and phone), used to find an existing
    /// member however they were reached.
    pub fn keys(&self) -> Vec<String> {
        let mut keys = Vec::with_capacity(2);
        if let Some(e) = &self.email {
            keys.push(e.key().to_owned());
        }
        if let Some(p) = &self.phone {
            keys.push(p.as_str().to_owned());
        }
        keys
    }
}

impl fmt::Display for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.email, &self.phone) {
            (Some(e), Some(p)) => write!(f, "{e} / {p}"),
            (Some(e), None) => write!(f, "{e}"),
            (None, Some(p)) => write!(f, "{p}"),
            (None, None) => f.write_str("(no contact)"),
        }
    }
}

/// Parses a free-form address from a bulk invite box: an `@` makes it an e-mail, anything else
/// a phone number.
pub fn parse_address(input: &str) -> Result<Contact, ContactError> {
    if input.contains('@') {
        Contact::parse_email(input)
    } else if input.trim().is_empty() {
        Err(ContactError::Empty)
    } else {
        Contact::parse_phone(input)
    }
}
