//! The store conformance suite: the one set of tests every [`Store`](crate::Store) must pass.
//!
//! Each case is a `pub async fn case<S: Store + 'static>(store: S)` that panics when the store
//! breaks an obligation. It drives the store through the public API (the
//! [`InvitationService`](crate::InvitationService), the [`Dispatcher`](crate::Dispatcher), a
//! [`ManualClock`](crate::ManualClock) and a [`RecordingNotifier`](crate::RecordingNotifier))
//! and, where the obligation is the store's own, through direct [`Store`](crate::Store) calls.
//! Cases are deterministic: time moves only through the manual clock, and races are real
//! `tokio::spawn`ed tasks, so run them on a multi-threaded runtime.
//!
//! [`store_conformance_tests!`](crate::store_conformance_tests) expands to one test per case.
//! In the test of a store crate:
//!
//! ```ignore
//! // The in-memory store (invite-core's tests/conformance_memory.rs):
//! invite_core::store_conformance_tests! {
//!     attr: #[tokio::test(flavor = "multi_thread", worker_threads = 2)],
//!     args: (),
//!     store: invite_core::MemoryStore::new(),
//! }
//!
//! // PostgreSQL: each test gets its own migrated database and a pool.
//! invite_core::store_conformance_tests! {
//!     attr: #[sqlx::test(migrator = "invite_sqlx::MIGRATOR")],
//!     args: (pool: sqlx::PgPool),
//!     store: invite_sqlx::PgStore::new(pool),
//! }
//! ```
//!
//! A case is named after the SPEC rule it proves (`r3_4_...` proves R3.4); cases without a
//! rule prove the [`Store`](crate::Store) trait's own contract (atomic commits, versions).
//! The building blocks ([`Harness`], [`TestOrg`], the record helpers) are public too, for a
//! store crate's own extra tests; invite-core's rule tests (`tests/rules/`) run on the same
//! [`Harness`].
//!
//! [`properties`] holds the property tests, generic over the store too: random command
//! sequences with every invariant checked after every step, each property a function taking
//! a store factory (a fresh store per case) and a number of cases.

mod attempts;
mod commit_count;
mod commits;
mod delivery;
mod edges;
mod extremes;
mod feed;
mod filters;
mod fixtures;
mod invariants;
mod links;
mod loads;
mod members;
pub mod properties;
mod race_gate;
mod reminders;
mod reports;
mod seats;
mod selection;
mod truth_table;
mod views;
mod waitlist;

pub use attempts::*;
pub use commit_count::*;
pub use commits::*;
pub use delivery::*;
pub use edges::*;
pub use extremes::*;
pub use feed::*;
pub use filters::*;
pub use fixtures::*;
pub use invariants::*;
pub use links::*;
pub use loads::*;
pub use members::*;
pub use race_gate::*;
pub use reminders::*;
pub use reports::*;
pub use seats::*;
pub use selection::*;
pub use truth_table::*;
pub use views::*;
pub use waitlist::*;

/// Expands to one test function per conformance case, each building its store with the given
/// expression and running [`testkit`](crate::testkit)'s case of the same name.
///
/// - `attr`: the test attribute(s), e.g. `#[tokio::test(flavor = "multi_thread")]` or
///   `#[sqlx::test(migrator = "...")]`. Cases spawn tasks to race each other: give the runtime
///   more than one worker thread.
/// - `args`: the test function's parameters in parentheses, e.g. `()` or
///   `(pool: sqlx::PgPool)`; the store expression may use them.
/// - `store`: an expression of a type implementing [`Store`](crate::Store) + `'static`,
///   evaluated once per test.
///
/// See the [module documentation](crate::testkit) for both uses in this project.
#[macro_export]
macro_rules! store_conformance_tests {
    (@case [$($attr:tt)*] ($($arg:tt)*) [$store:expr] $case:ident) => {
        $($attr)*
        async fn $case($($arg)*) {
            $crate::testkit::$case($store).await;
        }
    };
    (@cases $attrs:tt $args:tt $store:tt [$($case:ident),+ $(,)?]) => {
        $( $crate::store_conformance_tests! { @case $attrs $args $store $case } )+
    };
    (
        attr: $(#[$attr:meta])+ ,
        args: $args:tt ,
        store: $store:expr $(,)?
    ) => {
        // Every case of the suite. A case missing here does not run: keep the list whole.
        $crate::store_conformance_tests! {
            @cases [$(#[$attr])+] $args [$store] [
                // Commits: all or nothing, versions, one open invitation per address.
                commit_refused_for_a_stale_organization_version_writes_nothing,
                commit_refused_for_a_stale_invitation_version_writes_nothing,
                commit_update_of_a_missing_record_is_refused,
                r2_7_store_refuses_a_second_open_invitation_for_one_address,
                r2_7_replacing_the_open_invitation_in_one_commit_is_accepted,
                r2_7_two_concurrent_invites_of_one_address_make_one_invitation,
                r2_7_inviting_an_active_member_by_any_contact_is_refused,
                r2_8_the_store_refuses_a_commit_that_changes_an_invitations_address,
                // The reads a decision asks for at once (issue 8.4).
                invite_and_signup_reads_answer_what_the_single_reads_answer,
                // Seats.
                r3_1_seats_count_active_members_and_add_up_to_the_limit,
                r3_4_two_signups_for_the_last_seat_make_one_member,
                r3_4_sixteen_concurrent_signups_for_five_seats_make_five_members,
                r3_5_reserved_seats_admit_exactly_the_limit_and_every_reserved_signup,
                r3_5_live_invitations_hold_seats_until_they_end,
                r3_6_removing_members_frees_seats_and_a_lowered_limit_admits_no_one,
                r3_4_reserved_signups_never_push_members_past_the_limit,
                // Links and delivery.
                r5_2_a_resend_kills_the_previous_link,
                r6_1_r7_4_links_are_found_by_hash_and_no_token_is_stored,
                r6_3_a_link_signs_up_once,
                r6_2_a_link_preview_shows_the_invitation_and_refuses_as_sign_up_would,
                r6_3_a_signup_retried_with_the_same_user_id_answers_the_same_signup,
                r6_3_racing_submissions_of_one_link_lose_with_link_already_used,
                r7_1_a_dead_dispatchers_message_is_delivered_after_its_lease,
                r7_2_transient_failures_are_retried_with_growing_delay,
                r7_2_a_permanent_failure_marks_the_invitation_failed,
                r7_2_too_many_transient_failures_mark_the_invitation_failed,
                r7_3_two_dispatchers_deliver_every_message_exactly_once,
                r7_3_concurrent_claims_never_hand_out_a_message_twice,
                r7_3_a_lease_is_exclusive_and_only_its_holder_finishes,
                r7_3_a_drain_overlaps_batches_within_its_window_and_delivers_each_message_once,
                r4_4_r7_2_a_late_delivery_report_fails_the_invitation,
                // Reminders.
                r8_1_reminder_candidates_are_pending_and_never_used_invitations,
                r8_2_concurrent_sweeps_queue_one_reminder_per_invitation_and_local_day,
                r8_2_after_three_days_down_one_reminder_not_a_backlog,
                r8_2_store_skips_a_second_reminder_mark_for_one_day,
                r8_3_hourly_sweeps_across_a_dst_change_remind_once_per_local_day,
                r8_4_only_organizations_with_reminders_on_are_swept,
                // Views and the audit trail.
                r2_6_an_msp_and_its_clients_see_only_their_own_invitations,
                r2_11_users_without_an_invitation_are_not_invited,
                r9_1_dashboard_counts_equal_a_tally_of_the_organizations_invitations,
                r9_2_paging_visits_every_row_once_while_invitations_arrive,
                r9_2_search_by_address_is_case_insensitive,
                r9_2_lists_sort_by_signup_or_last_invitation_in_both_orders,
                r9_3_daily_activity_buckets_by_local_day_with_zero_days,
                r10_2_every_change_is_audited_with_actor_time_and_statuses,
                r10_2_the_event_feed_holds_every_change_once_in_one_order,
                r10_2_a_feed_reader_never_skips_or_repeats_under_concurrent_writers,
                // The truth table: every SQL twin of a core rule, on every combination of facts.
                r4_8_r3_5_r8_1_r9_3_store_views_agree_with_the_core_on_every_combination_of_facts,
                // Inputs at the edges: the calendar's ends, NUL in a search, extreme cursors.
                daily_activity_at_the_edges_of_the_calendar_never_panics,
                r9_2_a_search_containing_nul_matches_nothing,
                r9_2_cursors_at_extreme_instants_page_as_the_rules_say,
                // Members after signup and accepted notices (issue 11).
                r4_5_r4_6_member_states_agree_with_the_core_on_every_combination_of_facts,
                r9_2_member_lists_page_once_while_members_join_and_search_addresses_and_user_ids,
                r2_11_members_are_found_by_user_id_and_address_with_their_details,
                r2_4_an_edited_member_access_is_stored_and_audited,
                r7_1_an_accepted_notice_is_committed_with_the_signup_and_delivered_to_the_sender,
                // Extremes: nothing stored stops a worker or a read; no message holds up others.
                r7_1_r8_1_r9_1_extreme_stored_values_never_stop_a_worker_or_a_read,
                r7_2_a_message_the_store_will_not_take_never_holds_up_the_others,
                // Issue 11: selections, directory imports, filters and splits, dry runs.
                issue_11_1_a_selection_is_one_commit_and_a_second_submission_changes_nothing,
                issue_11_3_an_import_of_any_size_is_committed_in_chunks_with_an_answer_per_user,
                issue_11_4_list_filters_agree_with_the_core_on_every_combination,
                issue_11_4_dashboard_splits_agree_with_the_core,
                issue_11_9_dry_runs_commit_nothing_and_answer_as_the_real_run,
                // Issue 11: per-invitation options and the seat waitlist.
                options_are_stored_with_the_invitation_and_carried_to_the_signup,
                waitlist_entries_are_one_per_address_in_order_and_removed_once,
                r3_3_invites_without_a_seat_wait_and_move_in_order_as_seats_free,
                r3_2_a_signup_refused_for_seats_waits_and_is_resent_when_a_seat_frees,
                r3_4_racing_moves_of_one_waitlist_move_each_entry_once,
            ]
        }
    };
}
