//! The GSM 03.38 default alphabet and its basic extension table (3GPP TS 23.038 §6.2.1).

/// The escape to the extension table: the next septet is read from [`EXTENSION`].
pub(crate) const ESCAPE: u8 = 0x1B;

/// The default alphabet, by septet value. 0x1B is the escape, never a character.
const BASIC: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{1B}', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// The basic extension table: (septet after the escape, character).
const EXTENSION: [(u8, char); 10] = [
    (0x0A, '\u{0C}'), // form feed
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

/// One character in GSM 7-bit: one septet, or the escape and one septet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Septets {
    /// A character of the default alphabet.
    Basic(u8),
    /// A character of the extension table: `ESCAPE` then this septet.
    Extended(u8),
}

impl Septets {
    /// How many septets the character takes: 1, or 2 with the escape.
    pub(crate) fn len(self) -> usize {
        match self {
            Septets::Basic(_) => 1,
            Septets::Extended(_) => 2,
        }
    }

    /// Appends the septets, one per octet (SMPP's unpacked form).
    pub(crate) fn push_to(self, out: &mut Vec<u8>) {
        match self {
            Septets::Basic(s) => out.push(s),
            Septets::Extended(s) => out.extend_from_slice(&[ESCAPE, s]),
        }
    }
}

/// The septets of `c`, or `None` if GSM 7-bit cannot write it.
pub(crate) fn encode_char(c: char) -> Option<Septets> {
    // Letters and digits sit where ASCII has them; look only the rest up.
    if c.is_ascii_alphanumeric() || c == ' ' {
        return Some(Septets::Basic(c as u8));
    }
    if c == '\u{1B}' {
        return None;
    }
    if let Some(i) = BASIC.iter().position(|&b| b == c) {
        return Some(Septets::Basic(i as u8));
    }
    EXTENSION
        .iter()
        .find(|(_, e)| *e == c)
        .map(|(s, _)| Septets::Extended(*s))
}

/// Whether every character of `text` can be written in GSM 7-bit.
pub(crate) fn can_encode(text: &str) -> bool {
    text.chars().all(|c| encode_char(c).is_some())
}

/// Reads unpacked septets back into text. An escape followed by a septet the extension table
/// does not know reads as that septet's default character, as TS 23.038 asks receivers to do;
/// a septet above 0x7F or an escape at the very end is `None`.
pub(crate) fn decode(septets: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(septets.len());
    let mut bytes = septets.iter().copied();
    while let Some(s) = bytes.next() {
        if s > 0x7F {
            return None;
        }
        if s == ESCAPE {
            let next = bytes.next()?;
            if next > 0x7F {
                return None;
            }
            let c = EXTENSION
                .iter()
                .find(|(e, _)| *e == next)
                .map_or(BASIC[next as usize], |(_, c)| *c);
            out.push(c);
        } else {
            out.push(BASIC[s as usize]);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_character_round_trips() {
        for (i, &c) in BASIC.iter().enumerate() {
            if i as u8 == ESCAPE {
                continue;
            }
            assert_eq!(encode_char(c), Some(Septets::Basic(i as u8)), "{c:?}");
            assert_eq!(decode(&[i as u8]).as_deref(), Some(c.to_string().as_str()));
        }
        for (s, c) in EXTENSION {
            assert_eq!(encode_char(c), Some(Septets::Extended(s)), "{c:?}");
            assert_eq!(decode(&[ESCAPE, s]), Some(c.to_string()));
        }
    }

    #[test]
    fn outside_the_alphabet() {
        for c in ['Ж', '`', '\t', '\u{1B}', '😀', 'ç', '\u{0}'] {
            assert_eq!(encode_char(c), None, "{c:?}");
        }
        assert!(can_encode("Hello {world} ~ 5€ @home"));
        assert!(!can_encode("Привет"));
    }

    #[test]
    fn malformed_septets_are_refused() {
        assert_eq!(decode(&[0x80]), None);
        assert_eq!(decode(&[b'a', ESCAPE]), None);
        assert_eq!(decode(&[ESCAPE, 0x41]).as_deref(), Some("A"));
    }
}
