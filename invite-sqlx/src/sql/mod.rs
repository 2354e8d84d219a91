//! Every statement the store runs, as constant templates. Nothing is built from input at run
//! time: the variants a query needs (sort direction, with or without a keyset position) are
//! separate constants, so each keeps a plan that uses its index.
//!
//! Multi-row writes take one array per column and `UNNEST` them, so a commit of N records
//! costs one round trip per table, not one per record.
//!
//! Every table and function is named through its schema, written `{schema}.` in the
//! templates here; [`Statements::render`] fills in the store's schema once, when the store
//! is made (see the crate README: no `search_path`, so no extra round trip and no reliance
//! on how the application's connections are set up).
//!
//! The templates live by what they serve: `records.rs` (single records, seats, claims,
//! reminder candidates), `loads.rs` (what an invite and a signup decide from, in one
//! statement each), `views.rs` (dashboard, list pages, activity, audit trail, feed, member
//! pages), `writes.rs` (a commit's statements and the `apply_commit_rows` call). The column
//! macros shared by all of them are here. (Migrations written before this split name its
//! templates as in `src/sql.rs`; applied migrations keep their text.)

/// The invitation columns, in the order `rows::invitation` reads them.
macro_rules! invitation_columns {
    () => {
        "i.id, i.org_id, i.channel, i.contact, i.access, i.user_ref, i.sender, i.created_at, \
         i.last_invited_at, i.send_count, i.last_sent_at, i.expires_at, i.awaiting_delivery, \
         i.link_generation, i.failure, i.signed_up_at, i.member_id, i.first_login_at, \
         i.completed_at, i.completed_by, i.last_follow_up_at, i.closed_at, i.close_reason, \
         i.version, i.options"
    };
}

/// The organization columns, in the order `rows::organization` reads them.
macro_rules! organization_columns {
    () => {
        "o.id, o.name, o.kind, o.msp_id, o.settings, o.version"
    };
}

/// The member columns, in the order `rows::member` reads them.
macro_rules! member_columns {
    () => {
        "m.id, m.org_id, m.contact, m.user_ref, m.access, m.invitation_id, m.joined_at, \
         m.removed_at, m.version"
    };
}

/// The outbox columns, in the order `rows::message` reads them.
macro_rules! outbox_columns {
    () => {
        "o.id, o.org_id, o.invitation_id, o.kind, o.link_generation, o.reminder_day, \
         o.created_at, o.due_at, o.attempts, o.last_error, o.state, o.sent_at, o.state_reason, \
         o.lease_token, o.lease_until, o.provider_id, o.parts"
    };
}

/// The status of invitation `i` at `$at` (R4), for rows known not to be closed.
macro_rules! open_status {
    ($at:literal) => {
        concat!(
            "{schema}.invitation_status(NULL, i.signed_up_at, i.completed_at, i.failed, \
             i.awaiting_delivery, i.expires_at, ",
            $at,
            ")"
        )
    };
}

// The statements by what they serve; every constant is listed in `statements!` below.
// The column macros above are defined before these modules, so each of them can use them.
mod loads;
mod records;
mod views;
mod writes;

pub(crate) use self::loads::*;
pub(crate) use self::records::*;
pub(crate) use self::views::*;
pub(crate) use self::writes::*;
use crate::schema::SchemaName;
use crate::waitlist::statements::*;

/// Where a template names the store's schema; [`Statements::render`] puts the quoted
/// identifier in its place.
pub(crate) const SCHEMA_PLACEHOLDER: &str = "{schema}";

/// Renders `template` for `schema`: the placeholder replaced by the quoted, validated
/// identifier. The only text spliced into any statement, and it is not user input but a
/// name [`SchemaName::new`] accepted.
pub(crate) fn render(template: &str, schema: &SchemaName) -> String {
    template.replace(SCHEMA_PLACEHOLDER, &schema.quoted())
}

/// Declares [`Statements`] with one field per template constant, and its rendering.
macro_rules! statements {
    ($($name:ident),+ $(,)?) => {
        /// Every statement rendered once for a schema, when a `PgStore` is made: constant
        /// text per store, so each keeps its prepared statement on every connection.
        #[allow(non_snake_case)]
        pub(crate) struct Statements {
            $(pub(crate) $name: Box<str>,)+
        }

        impl Statements {
            pub(crate) fn render(schema: &SchemaName) -> Self {
                Self { $($name: render($name, schema).into_boxed_str(),)+ }
            }

            /// Every statement by name, for tools and tests (prepare, `EXPLAIN`).
            pub(crate) fn all(&self) -> Vec<(&'static str, &str)> {
                vec![$((stringify!($name), &*self.$name),)+]
            }
        }

        impl std::fmt::Debug for Statements {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("Statements { .. }")
            }
        }
    };
}

// Every statement above, rendered for one schema: what a `PgStore` runs. One field per
// statement, named as its template.
statements! {
    ORGANIZATIONS_BY_IDS,
    INVITATIONS_BY_IDS,
    ORGANIZATION,
    ORGANIZATIONS_WITH_REMINDERS_FIRST,
    ORGANIZATIONS_WITH_REMINDERS_AFTER,
    INVITATION,
    OPEN_INVITATIONS,
    INVITATIONS_FOR_USERS,
    LINK,
    MEMBER,
    ACTIVE_MEMBERS,
    SEATS,
    LOCK_SEATS,
    RESERVED_SEATS,
    MESSAGE,
    CLAIM_DUE,
    REMINDER_CANDIDATES_FIRST,
    REMINDER_CANDIDATES_AFTER,
    DASHBOARD,
    DASHBOARD_SPLITS,
    LIST_INVITED_DESC_FIRST,
    LIST_INVITED_DESC_AFTER,
    LIST_INVITED_ASC_FIRST,
    LIST_INVITED_ASC_AFTER,
    LIST_SIGNED_UP_DESC_FIRST,
    LIST_SIGNED_UP_DESC_AFTER,
    LIST_SIGNED_UP_ASC_FIRST,
    LIST_SIGNED_UP_ASC_AFTER,
    DAILY_ACTIVITY,
    AUDIT_OF_ORG,
    AUDIT_OF_INVITATION,
    MESSAGE_BY_PROVIDER_ID,
    FEED_ALL,
    FEED_OF_ORG,
    INSERT_ORGANIZATION,
    UPDATE_ORGANIZATION,
    ORGANIZATION_EXISTS,
    INSERT_INVITATIONS,
    UPDATE_INVITATIONS,
    INVITATION_IDENTITIES,
    INVITATION_INSERT_CONFLICTS,
    INSERT_MEMBERS,
    UPDATE_MEMBERS,
    EXISTING_MEMBERS,
    INSERT_LINKS,
    FINISH_MESSAGES,
    INSERT_MESSAGES,
    INSERT_REMINDER_MARKS,
    INSERT_AUDIT,
    MEMBERS_DESC_FIRST,
    MEMBERS_DESC_AFTER,
    MEMBERS_ASC_FIRST,
    MEMBERS_ASC_AFTER,
    MEMBERS_BY_USER,
    WAITLIST_FIRST,
    WAITLIST_AFTER,
    WAITLIST_ENTRY,
    WAITLIST_AT_KEYS,
    WAITLIST_COUNT,
    ORGANIZATIONS_WITH_WAITLIST_FIRST,
    ORGANIZATIONS_WITH_WAITLIST_AFTER,
    DELETE_WAITLIST,
    INSERT_WAITLIST,
    APPLY_COMMIT,
    APPLY_COMMIT_SEATS,
    ROW_TYPES,
    INVITE_READS,
    SIGNUP_READS,
    MEMBERS_BY_IDS,
}
