//! Header values that every SMTP server accepts, whatever users typed into names.
//!
//! RFC 5322 allows at most 998 octets a line (2.1.1), and servers enforce it (`500 Line too
//! long`). lettre folds header values only between words and writes a word of plain ASCII as
//! it is, so an organization or sender name of 990 letters without a space made a Subject
//! line over the limit; a display name of plain ASCII becomes one quoted string, never folded.
//! Here, every word that is not short printable ASCII is written as RFC 2047 encoded-words of
//! at most 75 characters (base64 of UTF-8), and lines are folded at 78: so no line is ever
//! longer than 998 octets, and no value can carry a line break (no header injection).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use lettre::message::Mailbox;

/// The line length RFC 5322 asks for (2.1.1, SHOULD), where we fold.
const FOLD_AT: usize = 78;
/// The longest line holding an encoded-word (RFC 2047, 2).
const ENCODED_LINE: usize = 76;
/// `=?utf-8?b?` and `?=`.
const ENCODED_OVERHEAD: usize = 12;
/// The longest word written as it is: it fits a folded line (` word`).
const PLAIN_WORD: usize = FOLD_AT - 1;

/// Collapses whitespace to single spaces and drops control characters, as the Subject is
/// already: a display name keeps its words, never a line break.
pub(crate) fn normalize(s: &str) -> String {
    crate::templates::single_line(s)
}

/// The encoded value of an unstructured header (`Subject`), `text` being on one line.
pub(crate) fn unstructured(name: &str, text: &str) -> String {
    let mut out = Folder::new(name);
    let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    let mut i = 0;
    while i < words.len() {
        if is_plain(words[i]) {
            out.plain(words[i]);
            i += 1;
        } else {
            // A run of words to encode, spaces included: whitespace between two
            // encoded-words is dropped by decoders, so it must be inside them.
            let start = i;
            while i < words.len() && !is_plain(words[i]) {
                i += 1;
            }
            out.encoded(&words[start..i].join(" "));
        }
    }
    out.finish()
}

/// The encoded value of an address header (`From`, `To`) with one mailbox: `"Name" <a@b>`
/// when the name is short printable ASCII (as lettre writes it), otherwise the name as
/// encoded-words, folded; the bare address without a name.
pub(crate) fn mailbox(name: &str, mailbox: &Mailbox) -> String {
    let address = format!("<{}>", mailbox.email);
    let display = mailbox.name.as_deref().map(normalize).unwrap_or_default();
    if display.is_empty() {
        return mailbox.email.to_string();
    }
    let quoted = quote(&display);
    let mut out = Folder::new(name);
    let fits = out.line + quoted.len() + 1 + address.len() <= FOLD_AT;
    if display.bytes().all(|b| (0x20..0x7f).contains(&b)) && fits {
        out.plain(&quoted);
    } else {
        out.encoded(&display);
    }
    out.plain(&address);
    out.finish()
}

/// A word written as it is: printable ASCII, short enough to fold, and not looking like an
/// encoded-word (which a reader would decode).
fn is_plain(word: &str) -> bool {
    word.len() <= PLAIN_WORD && word.bytes().all(|b| b.is_ascii_graphic()) && !word.contains("=?")
}

fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        if matches!(c, '"' | '\\') {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    q
}

/// Writes tokens separated by spaces, folding (`CRLF SP`) before a token that would not fit.
struct Folder {
    out: String,
    /// Octets on the current line, the header name and `: ` included.
    line: usize,
    empty: bool,
}

impl Folder {
    fn new(name: &str) -> Self {
        Self {
            out: String::new(),
            line: name.len() + 2,
            empty: true,
        }
    }

    fn plain(&mut self, word: &str) {
        self.separate(word.len(), FOLD_AT);
        self.out.push_str(word);
        self.line += word.len();
    }

    /// `text` as one or more encoded-words, each filling what is left of its line.
    fn encoded(&mut self, mut text: &str) {
        while !text.is_empty() {
            let first = first_char_len(text);
            // Room for the word after the separating space on this line, or else on a new
            // line; the first token of the header never folds (it follows `Name: `).
            let room_here = ENCODED_LINE.saturating_sub(self.line + usize::from(!self.empty));
            let room = if capacity(room_here) >= first || self.empty {
                room_here
            } else {
                ENCODED_LINE - 1
            };
            let take = prefix_len(text, capacity(room).max(first));
            let word = format!("=?utf-8?b?{}?=", STANDARD.encode(&text[..take]));
            self.separate(word.len(), ENCODED_LINE);
            self.out.push_str(&word);
            self.line += word.len();
            text = &text[take..];
        }
    }

    fn separate(&mut self, len: usize, limit: usize) {
        if self.empty {
            self.empty = false;
        } else if self.line + 1 + len > limit {
            self.out.push_str("\r\n ");
            self.line = 1;
        } else {
            self.out.push(' ');
            self.line += 1;
        }
    }

    fn finish(self) -> String {
        self.out
    }
}

/// How many octets of UTF-8 an encoded-word of `room` characters holds.
fn capacity(room: usize) -> usize {
    room.saturating_sub(ENCODED_OVERHEAD) / 4 * 3
}

fn first_char_len(s: &str) -> usize {
    s.chars().next().map_or(0, char::len_utf8)
}

/// The longest prefix of `s` of at most `max` octets that ends on a character boundary.
fn prefix_len(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(name: &str, value: &str) -> Vec<String> {
        format!("{name}: {value}")
            .split("\r\n")
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn short_ascii_stays_readable() {
        let v = unstructured("Subject", "Ann Admin invited you to join Acme & Sons");
        assert_eq!(v, "Ann Admin invited you to join Acme & Sons");
    }

    #[test]
    fn a_long_unbroken_word_is_encoded_and_folded() {
        for name in ["A".repeat(10_000), "Я".repeat(10_000), "x😀".repeat(3_000)] {
            let text = format!("Ann invited you to join {name} today");
            let v = unstructured("Subject", &text);
            for line in lines("Subject", &v) {
                assert!(line.len() <= ENCODED_LINE.max(FOLD_AT), "{}", line.len());
                assert!(line.is_ascii());
            }
            assert!(v.starts_with("Ann invited you to join =?utf-8?b?"));
            assert!(v.ends_with("?= today"));
        }
    }

    #[test]
    fn mailboxes_quote_short_names_and_encode_long_ones() {
        let m: Mailbox = "Acme Invitations <no-reply@acme.example>"
            .parse()
            .expect("ok");
        assert_eq!(
            mailbox("From", &m),
            "\"Acme Invitations\" <no-reply@acme.example>"
        );
        let m = Mailbox::new(
            Some("Eve \"the\" \\ one".into()),
            "e@x.example".parse().expect("ok"),
        );
        assert_eq!(mailbox("To", &m), r#""Eve \"the\" \\ one" <e@x.example>"#);
        let m = Mailbox::new(None, "e@x.example".parse().expect("ok"));
        assert_eq!(mailbox("To", &m), "e@x.example");
        let m = Mailbox::new(Some("B".repeat(5_000)), "e@x.example".parse().expect("ok"));
        let v = mailbox("From", &m);
        assert!(lines("From", &v).iter().all(|l| l.len() <= FOLD_AT));
        assert!(v.ends_with(" <e@x.example>"));
    }
}
