//! Identifiers. Each is a distinct type so an invitation id can never be passed where an
//! organization id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new random id (UUID v4). Not v7: that would read the wall clock, and only
            /// the injected `Clock` may.
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(
    /// An organization: standalone, MSP or client (R1.1).
    OrgId
);
uuid_id!(
    /// One invitation record.
    InvitationId
);
uuid_id!(
    /// A registered user holding a seat of an organization (R3.1).
    MemberId
);
uuid_id!(
    /// One outbox message. Stable across delivery attempts, so a receiver can spot duplicates
    /// (R7.1).
    MessageId
);
uuid_id!(
    /// One audit event.
    AuditId
);
uuid_id!(
    /// One entry of an organization's seat waitlist.
    WaitlistId
);

/// The embedding application's own user id (R2.11). Opaque to the library.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserRef(pub String);

impl UserRef {
    /// Wraps an application user id.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id as the application gave it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for UserRef {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}
