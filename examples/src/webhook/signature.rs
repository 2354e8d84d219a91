//! The `Invite-Signature` header: an HMAC-SHA256 of the timestamp and the body with the
//! shared secret, as Stripe and Clerk sign theirs.
//!
//! The header is `t=<unix seconds>,v1=<hex>`, where the MAC is computed over the bytes
//! `<t>.<body>`. A receiver recomputes it with its copy of the secret over the body exactly
//! as received (before any JSON parsing), compares in constant time, and refuses timestamps
//! too far from its own clock, so a captured request cannot be replayed later. During a
//! secret rotation a header may carry several `v1=` entries; one match is enough.
//!
//! ```
//! use invite_examples::webhook::signature::{sign, verify};
//! let header = sign(b"whsec_test", 1_772_442_000, br#"{"name":"invitation.created"}"#);
//! assert!(header.starts_with("t=1772442000,v1="));
//! let body = br#"{"name":"invitation.created"}"#;
//! assert!(verify(b"whsec_test", &header, body, 1_772_442_030, 300).is_ok());
//! assert!(verify(b"another", &header, body, 1_772_442_030, 300).is_err());
//! assert!(verify(b"whsec_test", &header, body, 1_772_443_000, 300).is_err()); // too old
//! ```

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt::Write as _;

type HmacSha256 = Hmac<Sha256>;

/// Why a signature header does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is not `t=<unix>,v1=<hex>[,v1=<hex>...]`.
    #[error("malformed signature header")]
    Malformed,
    /// The timestamp is further from the receiver's clock than the tolerance.
    #[error("signature timestamp outside the tolerance")]
    Stale,
    /// No `v1` entry matches the body and the secret.
    #[error("signature does not match")]
    Mismatch,
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length: `new_from_slice` cannot fail for it.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `Invite-Signature` header value for `body` sent at `timestamp` (unix seconds).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    let mut header = format!("t={timestamp},v1=");
    for byte in tag {
        let _ = write!(header, "{byte:02x}");
    }
    header
}

/// Checks a received `Invite-Signature` header against the raw `body`, the receiver's clock
/// `now` (unix seconds) and a replay `tolerance` in seconds (300 is usual).
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: i64,
    tolerance: i64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut tags = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => {
                timestamp = Some(t.parse::<i64>().map_err(|_| SignatureError::Malformed)?)
            }
            Some(("v1", hex)) => tags.push(decode_hex(hex).ok_or(SignatureError::Malformed)?),
            // Other schemes, or later versions, are for other receivers: ignore them.
            Some(_) => {}
            None => return Err(SignatureError::Malformed),
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if tags.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if now.abs_diff(timestamp) > tolerance.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    let expected = mac(secret, timestamp, body);
    // `verify_slice` compares in constant time.
    if tags
        .iter()
        .any(|tag| expected.clone().verify_slice(tag).is_ok())
    {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.len() % 2 != 0 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_vector() {
        // HMAC-SHA256(key "secret", message "1.{}"), computed independently (Python's hmac).
        assert_eq!(
            sign(b"secret", 1, b"{}"),
            "t=1,v1=1122767b193110cfec322b6f199b599edbf608ed087f2d27afb0b97d99523908"
        );
    }

    #[test]
    fn a_changed_body_or_a_rotated_secret() {
        let header = sign(b"old", 100, b"body");
        assert_eq!(
            verify(b"old", &header, b"bodY", 100, 0),
            Err(SignatureError::Mismatch)
        );
        let rotated = format!("{header},{}", &sign(b"new", 100, b"body")[6..]);
        assert_eq!(verify(b"new", &rotated, b"body", 100, 0), Ok(()));
        assert_eq!(verify(b"old", &rotated, b"body", 100, 0), Ok(()));
    }

    #[test]
    fn malformed_headers() {
        for header in [
            "",
            "v1=00",
            "t=1",
            "t=x,v1=00",
            "t=1,v1=0",
            "t=1,v1=zz",
            "t=1;v1=00",
        ] {
            assert_eq!(
                verify(b"k", header, b"", 1, 10),
                Err(SignatureError::Malformed),
                "{header}"
            );
        }
    }
}
