//! How a text becomes SMS segments, computed before anything is sent.
//!
//! A text is written in **GSM 7-bit** (the GSM 03.38 default alphabet and its basic extension
//! table, `data_coding` 0x00) when every character has a place there, and in **UCS-2**
//! (UTF-16BE, `data_coding` 0x08) otherwise. Nothing is ever replaced or dropped: a link stays
//! exactly what the template rendered.
//!
//! | coding | one segment | each part of a long text |
//! |--------|-------------|--------------------------|
//! | GSM 7-bit | 160 septets | 153 septets |
//! | UCS-2 | 70 UTF-16 units | 67 UTF-16 units |
//!
//! The extension characters (`^ { } \ [ ~ ] | €` and form feed) take two septets, the escape
//! and the character. A long text is cut at character boundaries only, so neither a GSM escape
//! pair nor a UTF-16 surrogate pair is ever split across segments. Each part of a long text
//! carries a 6-octet user data header (IEI 0x00, 8-bit reference, total, sequence) and is sent
//! with the UDHI bit of `esm_class` set.
//!
//! On the SMPP link GSM septets travel unpacked, one per octet, as SMSCs expect for
//! `data_coding` 0; on the air they are packed, so a part of 153 septets behind its header is
//! exactly 140 octets ([`Encoded::air_octets`]).
//!
//! ```
//! use invite_sms::encoding::{segments, Coding};
//!
//! let hello = segments("Your code: {1234}").unwrap();
//! assert_eq!(hello.coding, Coding::Gsm7);
//! assert_eq!(hello.parts.len(), 1);
//! assert_eq!(hello.parts[0].units(), 19); // `{` and `}` take two septets each
//!
//! let russian = segments(&"Привет! ".repeat(10)).unwrap();
//! assert_eq!((russian.coding, russian.parts.len()), (Coding::Ucs2, 2));
//! ```

use crate::gsm;
use thiserror::Error;

/// Septets in a GSM 7-bit text sent as one segment.
pub const GSM_SINGLE_SEPTETS: usize = 160;
/// Septets in each part of a concatenated GSM 7-bit text.
pub const GSM_PART_SEPTETS: usize = 153;
/// UTF-16 units in a UCS-2 text sent as one segment.
pub const UCS2_SINGLE_UNITS: usize = 70;
/// UTF-16 units in each part of a concatenated UCS-2 text.
pub const UCS2_PART_UNITS: usize = 67;
/// The most octets of user data one SMS carries on the air.
pub const MAX_AIR_OCTETS: usize = 140;
/// The most parts a concatenated text may have (the UDH counts them in one octet).
pub const MAX_PARTS: usize = 255;
/// Length of the concatenation user data header: UDHL, IEI 0x00, IEDL, reference, total, seq.
pub const UDH_LEN: usize = 6;

/// The `esm_class` bit that says the short message starts with a user data header.
pub const ESM_CLASS_UDHI: u8 = 0x40;

/// The character set a text is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Coding {
    /// GSM 03.38 7-bit default alphabet with the basic extension table; `data_coding` 0x00.
    Gsm7,
    /// UCS-2, written as UTF-16BE so characters beyond the BMP survive; `data_coding` 0x08.
    Ucs2,
}

impl Coding {
    /// The SMPP `data_coding` value.
    pub fn data_coding(self) -> u8 {
        match self {
            Coding::Gsm7 => 0x00,
            Coding::Ucs2 => 0x08,
        }
    }

    /// The coding of a `data_coding` value this crate writes, or `None`.
    pub fn from_data_coding(data_coding: u8) -> Option<Self> {
        match data_coding {
            0x00 => Some(Coding::Gsm7),
            0x08 => Some(Coding::Ucs2),
            _ => None,
        }
    }

    /// A short name: `GSM 7-bit` or `UCS-2`.
    pub fn name(self) -> &'static str {
        match self {
            Coding::Gsm7 => "GSM 7-bit",
            Coding::Ucs2 => "UCS-2",
        }
    }

    fn limits(self) -> (usize, usize) {
        match self {
            Coding::Gsm7 => (GSM_SINGLE_SEPTETS, GSM_PART_SEPTETS),
            Coding::Ucs2 => (UCS2_SINGLE_UNITS, UCS2_PART_UNITS),
        }
    }
}

/// One segment of a text: its characters and their encoded form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    text: String,
    user_data: Vec<u8>,
    units: usize,
}

impl Segment {
    /// The characters this segment carries.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The encoded characters, without any header: unpacked septets (one per octet) for GSM
    /// 7-bit, UTF-16BE for UCS-2.
    pub fn user_data(&self) -> &[u8] {
        &self.user_data
    }

    /// Septets (GSM 7-bit) or UTF-16 units (UCS-2) in this segment.
    pub fn units(&self) -> usize {
        self.units
    }
}

/// A text split into the segments it will be billed as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    /// The character set of every segment.
    pub coding: Coding,
    /// The segments, in order; one for a text that fits a single SMS.
    pub parts: Vec<Segment>,
}

impl Encoded {
    /// Whether the text needs more than one segment, each with a concatenation header.
    pub fn is_concatenated(&self) -> bool {
        self.parts.len() > 1
    }

    /// The number of segments, as billed.
    pub fn part_count(&self) -> u32 {
        self.parts.len() as u32
    }

    /// The whole text again.
    pub fn text(&self) -> String {
        self.parts.iter().map(|p| p.text.as_str()).collect()
    }

    /// The whole text encoded, without headers: the value of a `message_payload` TLV.
    pub fn payload(&self) -> Vec<u8> {
        self.parts
            .iter()
            .flat_map(|p| p.user_data.clone())
            .collect()
    }

    /// The `short_message` of segment `index` (from 0): the concatenation header with
    /// `reference` (when there are several segments) followed by the segment's user data.
    pub fn short_message(&self, index: usize, reference: u8) -> Vec<u8> {
        let Some(part) = self.parts.get(index) else {
            return Vec::new();
        };
        if !self.is_concatenated() {
            return part.user_data.clone();
        }
        let mut out = Vec::with_capacity(UDH_LEN + part.user_data.len());
        let total = self.parts.len() as u8;
        out.extend_from_slice(&[0x05, 0x00, 0x03, reference, total, index as u8 + 1]);
        out.extend_from_slice(&part.user_data);
        out
    }

    /// Octets of user data segment `index` takes on the air, header included: GSM septets
    /// are packed seven bits each after the header and its fill bits. Never more than
    /// [`MAX_AIR_OCTETS`].
    pub fn air_octets(&self, index: usize) -> usize {
        let Some(part) = self.parts.get(index) else {
            return 0;
        };
        let header = if self.is_concatenated() { UDH_LEN } else { 0 };
        match self.coding {
            Coding::Ucs2 => header + part.user_data.len(),
            Coding::Gsm7 => {
                // The header is padded to a septet boundary, then septets follow.
                let header_septets = (header * 8).div_ceil(7);
                ((header_septets + part.units) * 7).div_ceil(8)
            }
        }
    }
}

/// A text that cannot be sent as concatenated SMS.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// More segments than a one-octet counter allows.
    #[error("the text needs {parts} SMS segments, more than {MAX_PARTS}")]
    TooLong {
        /// Segments it would need.
        parts: usize,
    },
}

/// Splits `text` into SMS segments: GSM 7-bit if every character fits, UCS-2 otherwise; one
/// segment up to 160 septets or 70 UTF-16 units, otherwise parts of 153 or 67, cut between
/// characters. See the [module docs](self).
pub fn segments(text: &str) -> Result<Encoded, EncodeError> {
    let coding = if gsm::can_encode(text) {
        Coding::Gsm7
    } else {
        Coding::Ucs2
    };
    let (single, per_part) = coding.limits();
    let cost = |c: char| match coding {
        Coding::Gsm7 => gsm::encode_char(c).map_or(1, gsm::Septets::len),
        Coding::Ucs2 => c.len_utf16(),
    };
    let total: usize = text.chars().map(cost).sum();
    let limit = if total <= single { single } else { per_part };
    let mut parts = Vec::new();
    let mut current = Segment {
        text: String::new(),
        user_data: Vec::new(),
        units: 0,
    };
    for c in text.chars() {
        let units = cost(c);
        if current.units + units > limit {
            parts.push(std::mem::replace(
                &mut current,
                Segment {
                    text: String::new(),
                    user_data: Vec::new(),
                    units: 0,
                },
            ));
        }
        current.text.push(c);
        current.units += units;
        match coding {
            Coding::Gsm7 => {
                if let Some(septets) = gsm::encode_char(c) {
                    septets.push_to(&mut current.user_data);
                }
            }
            Coding::Ucs2 => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    current.user_data.extend_from_slice(&unit.to_be_bytes());
                }
            }
        }
    }
    parts.push(current);
    if parts.len() > MAX_PARTS {
        return Err(EncodeError::TooLong { parts: parts.len() });
    }
    Ok(Encoded { coding, parts })
}

/// What the concatenation header of a received segment says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Concatenation {
    /// The reference shared by every part of one text (8 or 16 bits).
    pub reference: u16,
    /// How many parts the text has.
    pub total: u8,
    /// This part's number, from 1.
    pub sequence: u8,
}

/// A short message that cannot be read back.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The user data header is shorter than it says, or malformed.
    #[error("malformed user data header")]
    Header,
    /// Not valid septets or UTF-16 for the coding.
    #[error("user data is not valid {0}")]
    Text(&'static str),
    /// The parts do not make one whole text: missing, repeated, or from different texts.
    #[error("the parts do not form one text: {0}")]
    Parts(String),
    /// A `data_coding` this crate does not write.
    #[error("unsupported data_coding {0:#04x}")]
    Coding(u8),
}

/// Splits a received `short_message` into its concatenation header (if `udhi`, the UDHI bit of
/// `esm_class`, is set and the header has a concatenation element) and its user data.
pub fn split_header(
    short_message: &[u8],
    udhi: bool,
) -> Result<(Option<Concatenation>, &[u8]), DecodeError> {
    if !udhi {
        return Ok((None, short_message));
    }
    let (&udhl, rest) = short_message.split_first().ok_or(DecodeError::Header)?;
    let udhl = usize::from(udhl);
    if rest.len() < udhl {
        return Err(DecodeError::Header);
    }
    let (mut header, user_data) = rest.split_at(udhl);
    let mut concatenation = None;
    while let [iei, len, tail @ ..] = header {
        let len = usize::from(*len);
        if tail.len() < len {
            return Err(DecodeError::Header);
        }
        let (value, next) = tail.split_at(len);
        concatenation = match (*iei, value) {
            (0x00, [r, t, s]) => Some((u16::from(*r), *t, *s)),
            (0x08, [r1, r2, t, s]) => Some((u16::from_be_bytes([*r1, *r2]), *t, *s)),
            (0x00 | 0x08, _) => return Err(DecodeError::Header),
            _ => concatenation,
        };
        header = next;
    }
    if !header.is_empty() {
        return Err(DecodeError::Header);
    }
    let concatenation = concatenation.map(|(reference, total, sequence)| Concatenation {
        reference,
        total,
        sequence,
    });
    Ok((concatenation, user_data))
}

/// Reads encoded user data back into text.
pub fn decode_user_data(coding: Coding, user_data: &[u8]) -> Result<String, DecodeError> {
    match coding {
        Coding::Gsm7 => gsm::decode(user_data).ok_or(DecodeError::Text("GSM 7-bit")),
        Coding::Ucs2 => {
            if user_data.len() % 2 != 0 {
                return Err(DecodeError::Text("UTF-16BE"));
            }
            let units: Vec<u16> = user_data
                .chunks_exact(2)
                .map(|b| u16::from_be_bytes([b[0], b[1]]))
                .collect();
            String::from_utf16(&units).map_err(|_| DecodeError::Text("UTF-16BE"))
        }
    }
}

/// Reassembles received segments, given as (`data_coding`, `esm_class`, `short_message`), into
/// the text they carry: headers parsed, parts put in order and checked to form one whole text.
/// Segments may arrive in any order.
pub fn reassemble(segments: &[(u8, u8, &[u8])]) -> Result<String, DecodeError> {
    let mut parts = Vec::with_capacity(segments.len());
    let mut coding = None;
    for &(data_coding, esm_class, short_message) in segments {
        let this = Coding::from_data_coding(data_coding).ok_or(DecodeError::Coding(data_coding))?;
        if coding.is_some_and(|c| c != this) {
            return Err(DecodeError::Parts("mixed codings".into()));
        }
        coding = Some(this);
        let (header, user_data) = split_header(short_message, esm_class & ESM_CLASS_UDHI != 0)?;
        parts.push((header, user_data));
    }
    let coding = coding.ok_or_else(|| DecodeError::Parts("no segments".into()))?;
    if let [(None, user_data)] = parts.as_slice() {
        return decode_user_data(coding, user_data);
    }
    let mut numbered = Vec::with_capacity(parts.len());
    for (header, user_data) in parts {
        let h = header.ok_or_else(|| DecodeError::Parts("a part without a header".into()))?;
        numbered.push((h, user_data));
    }
    numbered.sort_by_key(|(h, _)| h.sequence);
    let first = numbered[0].0;
    let whole = numbered.iter().enumerate().all(|(i, (h, _))| {
        h.reference == first.reference
            && h.total == first.total
            && usize::from(h.sequence) == i + 1
            && usize::from(h.total) == numbered.len()
    });
    if !whole {
        return Err(DecodeError::Parts(format!(
            "{} parts, expected {} numbered from 1 with one reference",
            numbered.len(),
            first.total
        )));
    }
    let user_data: Vec<u8> = numbered.iter().flat_map(|(_, d)| d.to_vec()).collect();
    decode_user_data(coding, &user_data)
}

#[cfg(test)]
mod tests;
