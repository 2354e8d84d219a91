#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod access;
pub mod actor;
pub mod audit;
pub mod bounds;
pub mod clock;
pub mod contact;
pub mod dashboard;
pub mod decide;
pub mod dispatcher;
pub mod error;
pub mod feed;
pub mod filter;
pub mod guide;
pub mod ids;
pub mod invitation;
pub mod member;
pub mod member_list;
pub mod memory;
pub mod notifier;
pub mod org;
pub mod outbox;
pub mod prelude;
pub mod refusal;
pub mod reminders;
mod retry;
pub mod router;
pub mod service;
pub mod store;
pub mod token;
pub mod waitlist;

#[cfg(feature = "testkit")]
pub mod testkit;

// The foreign crates whose types are in this crate's public signatures, so an application
// names the very versions the library uses.
pub use chrono;
pub use chrono_tz;
pub use uuid;

// For `forward_outbox_and_views!`, so a crate using it needs none of these by name.
#[doc(hidden)]
pub use async_trait::async_trait as __async_trait;
#[doc(hidden)]
pub use chrono as __chrono;
#[doc(hidden)]
pub use chrono_tz as __chrono_tz;

pub use access::{
    Access, AccessError, AccessScope, ClientGrant, InvitationType, PermissionLevel, Role,
};
pub use actor::Actor;
pub use audit::{AuditAction, AuditEvent};
pub use clock::{Clock, ManualClock, SystemClock};
pub use contact::{Channel, Contact, ContactError, Email, Phone, parse_address};
pub use dashboard::{
    CountSplits, CountsByChannel, CountsByType, Cursor, Dashboard, DayActivity, ListQuery, Page,
    Row, Series, SortKey, SortOrder, TabCounts,
};
pub use decide::Decision;
pub use decide::delivery::ReportOutcome;
pub use decide::dry_run::{DryRun, PlannedMessage};
pub use decide::invite::InviteOutcome;
pub use decide::selection::{SelectionAction, SelectionOutcome};
pub use decide::signup::{LinkPreview, Signup};
pub use dispatcher::{
    BreakerConfig, DispatchReport, Dispatcher, DispatcherConfig, DispatcherHealth,
};
pub use error::Error;
pub use ids::{AuditId, InvitationId, MemberId, MessageId, OrgId, UserRef, WaitlistId};
pub use invitation::{
    Action, CloseReason, CompletedBy, FailureReason, Invitation, InvitationOptions,
    InvitationRecord, InviteOptions, NewInvitation, ReturnPath, Sender, Sending, Status, Tab,
    Transition,
};
pub use member::{Member, Seats};
pub use member_list::{MemberCursor, MemberPage, MemberQuery, MemberRow, MemberState, MemberTab};
pub use memory::MemoryStore;
pub use notifier::{
    Delivered, DeliveryReport, DeliveryReportOutcome, GrantSummary, Notification, Notifier,
    NotifyError, RecordingNotifier, Scripted, SignupUrl,
};
pub use org::{
    AllowedChannels, Language, OrgKind, OrgSettings, Organization, SeatPolicy, SettingsUpdate,
};
pub use outbox::{MessageKind, OutboxMessage, OutboxState, RetryPolicy};
pub use refusal::Refusal;
pub use router::ChannelRouter;
pub use service::{
    DirectoryUser, InvitationService, InvitationView, MemberDetails, ServiceConfig, SweepReport,
    UserOutcome, UserStanding, UserStatus, WaitlistReport,
};
pub use store::{
    Commit, CommitOutcome, Conflict, InvariantViolation, OutboxStore, RecordStore, SeatCheck,
    Store, StoreError, StoredVersions, ViewStore, Write,
};
pub use token::{LinkToken, TokenHash};
pub use waitlist::{WaitingFor, WaitingInvite, WaitlistEntry, WaitlistMove, WaitlistWrite};
