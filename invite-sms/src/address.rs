//! SMPP addresses: the sender id (source) and the recipient (destination), each with its type
//! of number (TON) and numbering plan (NPI).

use std::fmt;
use thiserror::Error;

/// Type of number: international (1).
pub(crate) const TON_INTERNATIONAL: u8 = 0x01;
/// Type of number: network specific (3), used for short codes.
pub(crate) const TON_NETWORK_SPECIFIC: u8 = 0x03;
/// Type of number: alphanumeric (5).
pub(crate) const TON_ALPHANUMERIC: u8 = 0x05;
/// Numbering plan: unknown (0).
pub(crate) const NPI_UNKNOWN: u8 = 0x00;
/// Numbering plan: ISDN / E.164 (1).
pub(crate) const NPI_ISDN: u8 = 0x01;

/// An address that SMPP cannot carry.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressError {
    /// The sender id is empty, too long, or has characters an SMSC will not take.
    #[error(
        "invalid sender id {0:?}: use up to 11 letters, digits, spaces or `.-_&`, a short code, or +E.164"
    )]
    Source(String),
    /// The recipient is not an E.164 number (`+` and 8 to 15 digits).
    #[error("invalid destination {0:?}: expected an E.164 number such as +79051111111")]
    Destination(String),
}

/// The sender id an SMS shows, with its TON and NPI.
///
/// ```
/// use invite_sms::SourceAddress;
///
/// let alpha = SourceAddress::parse("Acme").unwrap();
/// assert_eq!((alpha.ton(), alpha.npi(), alpha.address()), (5, 0, "Acme"));
/// let number = SourceAddress::parse("+79050000000").unwrap();
/// assert_eq!((number.ton(), number.npi(), number.address()), (1, 1, "79050000000"));
/// let short_code = SourceAddress::parse("7575").unwrap();
/// assert_eq!((short_code.ton(), short_code.npi()), (3, 0));
/// assert!(SourceAddress::parse("Far Too Long A Name").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SourceAddress {
    address: String,
    ton: u8,
    npi: u8,
}

impl SourceAddress {
    /// Reads a sender id:
    /// - `+` and digits: an international number (TON 1, NPI 1), sent without the `+`;
    /// - up to 8 digits: a short code (TON 3, NPI 0);
    /// - 9 to 15 digits: an international number without its `+` (TON 1, NPI 1);
    /// - otherwise an alphanumeric sender id of up to 11 characters (TON 5, NPI 0).
    pub fn parse(s: &str) -> Result<Self, AddressError> {
        let bad = || AddressError::Source(s.to_owned());
        let s = s.trim();
        if let Some(digits) = s.strip_prefix('+') {
            return e164_digits(digits)
                .map(|d| Self::new(d, TON_INTERNATIONAL, NPI_ISDN))
                .ok_or_else(bad);
        }
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            return match s.len() {
                1..=8 => Ok(Self::new(s, TON_NETWORK_SPECIFIC, NPI_UNKNOWN)),
                9..=15 => Ok(Self::new(s, TON_INTERNATIONAL, NPI_ISDN)),
                _ => Err(bad()),
            };
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || " .-_&".contains(c);
        if s.is_empty() || s.chars().count() > 11 || !s.chars().all(allowed) {
            return Err(bad());
        }
        Ok(Self::new(s, TON_ALPHANUMERIC, NPI_UNKNOWN))
    }

    /// A sender id with the TON and NPI your SMSC asks for, taken as given (up to 20 ASCII
    /// characters).
    pub fn with_ton_npi(address: &str, ton: u8, npi: u8) -> Result<Self, AddressError> {
        let ok = !address.is_empty()
            && address.len() <= 20
            && address.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
        if !ok {
            return Err(AddressError::Source(address.to_owned()));
        }
        Ok(Self::new(address, ton, npi))
    }

    fn new(address: &str, ton: u8, npi: u8) -> Self {
        Self {
            address: address.to_owned(),
            ton,
            npi,
        }
    }

    /// The address as sent in `source_addr`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// `source_addr_ton`.
    pub fn ton(&self) -> u8 {
        self.ton
    }

    /// `source_addr_npi`.
    pub fn npi(&self) -> u8 {
        self.npi
    }
}

impl fmt::Debug for SourceAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (TON {}, NPI {})", self.address, self.ton, self.npi)
    }
}

/// A recipient: an E.164 number, sent as its digits with TON international and NPI ISDN.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Destination {
    digits: String,
}

impl Destination {
    /// Reads `+79051111111`. Spaces, dashes and parentheses are tolerated; the `+` is not
    /// optional, since without it a number and a missing country code cannot be told apart.
    ///
    /// ```
    /// use invite_sms::Destination;
    /// assert_eq!(Destination::parse("+7 905 111-11-11").unwrap().digits(), "79051111111");
    /// assert!(Destination::parse("89051111111").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self, AddressError> {
        let digits = s
            .trim()
            .strip_prefix('+')
            .map(|rest| {
                rest.chars()
                    .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
                    .collect::<String>()
            })
            .and_then(|d| e164_digits(&d).map(str::to_owned))
            .ok_or_else(|| AddressError::Destination(s.to_owned()))?;
        Ok(Self { digits })
    }

    /// The digits, without `+`: `destination_addr`.
    pub fn digits(&self) -> &str {
        &self.digits
    }

    /// `dest_addr_ton`: international.
    pub fn ton(&self) -> u8 {
        TON_INTERNATIONAL
    }

    /// `dest_addr_npi`: ISDN (E.164).
    pub fn npi(&self) -> u8 {
        NPI_ISDN
    }
}

/// `digits` if it is 8 to 15 digits not starting with 0, as E.164 numbers are.
fn e164_digits(digits: &str) -> Option<&str> {
    let ok = (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    ok.then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources() {
        assert_eq!(SourceAddress::parse("Acme Co.").map(|s| s.ton), Ok(5));
        assert_eq!(SourceAddress::parse("79051234567").map(|s| s.ton), Ok(1));
        for bad in [
            "",
            "Акме",
            "twelve chars",
            "+12",
            "1234567890123456",
            "a\0b",
        ] {
            assert!(SourceAddress::parse(bad).is_err(), "{bad:?}");
        }
        let custom = SourceAddress::with_ton_npi("12345", 0, 1).expect("valid");
        assert_eq!((custom.ton(), custom.npi()), (0, 1));
        assert!(SourceAddress::with_ton_npi("", 0, 1).is_err());
    }

    #[test]
    fn destinations() {
        let d = Destination::parse("+79051111111").expect("valid");
        assert_eq!((d.digits(), d.ton(), d.npi()), ("79051111111", 1, 1));
        for bad in [
            "",
            "+",
            "+0123456789",
            "+7905",
            "+7905111111111111",
            "+7905abc1111",
            "bob@example.com",
        ] {
            assert!(Destination::parse(bad).is_err(), "{bad:?}");
        }
    }
}
