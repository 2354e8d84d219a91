#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod access;
pub mod actor;
pub mod audit;
pub mod clock;
pub mod contact;
pub mod dashboard;
pub mod dispatcher;
pub mod error;
pub mod ids;
pub mod invitation;
pub mod member;
pub mod memory;
pub mod notifier;
pub mod org;
pub mod outbox;
pub mod reminders;
pub mod router;
pub mod service;
pub mod store;
pub mod token;

#[cfg(feature = "testkit")]
pub mod testkit;

pub use access::{
    Access, AccessError, AccessScope, ClientGrant, InvitationType, PermissionLevel, Role,
};
pub use actor::Actor;
pub use audit::{AuditAction, AuditEvent};
pub use clock::{Clock, ManualClock, SystemClock};
pub use contact::{Channel, Contact, ContactError, Email, Phone, parse_address};
pub use dashboard::{
    Cursor, Dashboard, DayActivity, ListQuery, Page, Row, Series, SortKey, SortOrder, TabCounts,
};
pub use dispatcher::{DispatchReport, Dispatcher, DispatcherConfig};
pub use error::{Error, Refusal};
pub use ids::{AuditId, InvitationId, MemberId, MessageId, OrgId, UserRef};
pub use invitation::{
    Action, CloseReason, CompletedBy, FailureReason, Invitation, Sender, Status, Tab,
};
pub use member::{Member, Seats};
pub use memory::MemoryStore;
pub use notifier::{
    Delivered, DeliveryReport, DeliveryReportOutcome, GrantSummary, Notification, Notifier,
    NotifyError, RecordingNotifier, Scripted, SignupUrl,
};
pub use org::{AllowedChannels, Language, OrgKind, OrgSettings, Organization, SeatPolicy};
pub use outbox::{MessageKind, OutboxMessage, OutboxState, RetryPolicy};
pub use router::ChannelRouter;
pub use service::{
    DirectoryUser, InvitationService, InvitationView, InviteOutcome, ServiceConfig, SettingsUpdate,
    Signup, SweepReport, UserStatus,
};
pub use store::{Commit, CommitOutcome, Conflict, SeatCheck, Store, StoreError, Write};
pub use token::{LinkToken, TokenHash};
