//! What an application using the library names most: the service, the dispatcher, the
//! records and their statuses, the errors, and the traits whose methods it calls (the store
//! ports, the notifier, the clock).
//!
//! ```
//! use invite_core::prelude::*;
//! let store = MemoryStore::new();
//! let _service = InvitationService::new(store, SystemClock);
//! ```

pub use crate::access::{Access, ClientGrant, InvitationType, PermissionLevel, Role};
pub use crate::actor::Actor;
pub use crate::clock::{Clock, ManualClock, SystemClock};
pub use crate::contact::{Channel, Contact};
pub use crate::dashboard::{Dashboard, ListQuery, Page};
pub use crate::decide::invite::InviteOutcome;
pub use crate::decide::signup::Signup;
pub use crate::dispatcher::{Dispatcher, DispatcherConfig};
pub use crate::error::Error;
pub use crate::ids::{InvitationId, MemberId, OrgId, UserRef};
pub use crate::invitation::{Action, Invitation, Status, Tab};
pub use crate::member::{Member, Seats};
pub use crate::memory::MemoryStore;
pub use crate::notifier::{Notification, Notifier, NotifyError, RecordingNotifier};
pub use crate::org::{OrgKind, OrgSettings, Organization, SeatPolicy, SettingsUpdate};
pub use crate::refusal::Refusal;
pub use crate::service::{InvitationService, ServiceConfig};
pub use crate::store::{OutboxStore, RecordStore, Store, ViewStore};
