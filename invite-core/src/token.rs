//! Signup links (R6.1): 256 bits from the operating system's random source, shown once in the
//! message, stored only as a SHA-256 hash and looked up by that hash.
//!
//! A fast hash is right here: the token has 256 bits of entropy, so there is nothing to
//! brute-force; a slow password hash would only slow every signup down.

use crate::ids::InvitationId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// A plaintext link token. It exists only in memory between minting and the message; its
/// `Debug` output is redacted so it cannot reach a log line by accident (R7.4).
#[derive(Clone, PartialEq, Eq)]
pub struct LinkToken(String);

impl LinkToken {
    /// Mints a token from 32 bytes of OS randomness.
    ///
    /// ```
    /// let t = invite_core::LinkToken::mint().unwrap();
    /// assert_eq!(t.expose().len(), 43); // 256 bits, base64url without padding
    /// assert_eq!(format!("{t:?}"), "LinkToken(<redacted>)");
    /// ```
    pub fn mint() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Wraps a token received from a link, e.g. a signup request's query string.
    pub fn from_link(token: impl Into<String>) -> Self {
        Self(token.into().trim().to_owned())
    }

    /// The token text, for putting into the link. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The hash stored and looked up in place of the token.
    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0.as_bytes()).into())
    }
}

impl fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkToken(<redacted>)")
    }
}

/// SHA-256 of a link token: what the store keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TokenHash(pub [u8; 32]);

/// A link as the store keeps it: the hash, the invitation and the link generation it belongs
/// to. A resend bumps the invitation's generation, which kills every older link (R5.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRecord {
    /// Hash of the token.
    pub hash: TokenHash,
    /// The invitation it signs up for.
    pub invitation: InvitationId,
    /// The invitation's link generation when it was minted.
    pub generation: u32,
    /// When it was minted.
    pub issued_at: DateTime<Utc>,
}
