//! A commit in one statement (issue 8.4). The step-by-step commit (`commit/`) costs a
//! round trip per table it writes, plus `BEGIN`, the seat lock and `COMMIT`: an invite was
//! seven, a signup six. `apply_commit` (migration `commit_in_one_statement`) runs the same
//! statements in one call, its own transaction, so a commit is one round trip. With a seat
//! check, the call's counts under the lock go to `seat_verdict_ok` in the same statement
//! (migration `seat_verdict_in_the_commit`), the SQL twin of `SeatCheck::verdict` that
//! `tests/seat_verdict.rs` compares with it over every case; it only admits the fast way, and
//! the organization's row is locked only while the server runs the call. With a commit hook
//! the call runs inside `BEGIN` … `COMMIT` and the core's verdict decides, as before.
//! (Migration `commit_without_empty_insert` replaced the function so that a commit with no
//! new invitation runs no invitation insert; migration `commit_rows` added `apply_commit_rows`,
//! the same statements taking each table's rows as one array of its composite type, the call
//! the store makes now: 11 parameters where `apply_commit` took 80; migration
//! `commit_one_update_by_key` makes a commit's single invitation update by its key, a plan
//! that stays cached, instead of a join planned anew for every call.)
//!
//! The call decides nothing and explains nothing: whatever the step-by-step commit would
//! refuse makes it raise and write nothing, and the store runs the step-by-step commit
//! instead, which finds the conflict and names it as it always did. A conflict costs a few
//! round trips more; a commit that goes through costs the fewest.

use crate::arrays::{
    AuditArrays, FinishArrays, InvitationArrays, LinkArrays, MemberArrays, MessageArrays,
};
use crate::codec;
use crate::rows::RowTypes;
use crate::seats::LockedSeats;
use crate::sql::Statements;
use invite_core::store::{Commit, StoreError, Write};
use invite_core::{Invitation, SeatCheck, SeatPolicy};
use sqlx::Row;

/// Whether the one-statement commit covers `c`: every commit but those that write an
/// organization, update a member, queue reminders or touch a seat waitlist (settings,
/// removals, access edits, the sweep, waitlist moves: rare, or bulk already), which go step
/// by step.
pub(crate) fn covers(c: &Commit) -> bool {
    c.organization.is_none()
        && c.reminders.is_empty()
        && c.waitlist.is_empty()
        // A waitlist move's check counts live invitations under either policy.
        && !c
            .seat_check
            .is_some_and(|check| check.counts_live(SeatPolicy::ClaimOnSignup))
        && c.members
            .iter()
            .all(|w| matches!(w, Write::Insert(m) if m.version == 0))
}

/// Whether the commit takes the seat lock: as `seats::lock` decides.
pub(crate) fn locks(c: &Commit) -> bool {
    c.seat_check.is_some() || !c.members.is_empty()
}

/// The call for `group`, commits of one organization applied together (one commit, or a
/// group from `group.rs`), its parameters bound, each table's rows as one array of its
/// composite type in `types`. The lock is taken if any commit takes it, live reservations
/// are counted if any has a seat check, at the earliest instant of those (a reservation
/// live later is live then too, so the count is never too low). Fails only on a record it
/// cannot encode.
pub(crate) fn call<'q>(
    statement: &'q str,
    group: &[&Commit],
    types: &RowTypes,
) -> Result<sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>, StoreError> {
    let first = group
        .first()
        .ok_or_else(|| StoreError::Backend("a commit call needs at least one commit".into()))?;
    // Updates first, in id order (row locks in one order), then inserts.
    let mut updates: Vec<&Invitation> = Vec::new();
    let mut inserts: Vec<&Invitation> = Vec::new();
    for w in group.iter().flat_map(|c| &c.invitations) {
        match w {
            Write::Update(i) => updates.push(i),
            Write::Insert(i) => inserts.push(i),
        }
    }
    updates.sort_by_key(|i| i.id);
    let mut invitations = InvitationArrays::default();
    let mut is_insert = Vec::with_capacity(updates.len() + inserts.len());
    for (i, insert) in updates
        .iter()
        .map(|i| (i, false))
        .chain(inserts.iter().map(|i| (i, true)))
    {
        invitations.push(i)?;
        is_insert.push(insert);
    }
    let mut members = MemberArrays::default();
    for w in group.iter().flat_map(|c| &c.members) {
        members.push(w.record())?;
    }
    let mut messages = MessageArrays::default();
    for m in group.iter().flat_map(|c| &c.outbox) {
        messages.push(m)?;
    }
    let now = group
        .iter()
        .filter(|c| c.seat_check.is_some())
        .map(|c| c.now)
        .min()
        .unwrap_or(first.now);
    Ok(sqlx::query(statement)
        .bind(first.org.0)
        .bind(group.iter().any(|c| locks(c)))
        .bind(group.iter().any(|c| c.seat_check.is_some()))
        .bind(now)
        .bind(is_insert)
        .bind(invitations.rows(types.invitation)?)
        .bind(members.rows(types.member)?)
        .bind(LinkArrays::of(group.iter().flat_map(|c| &c.links))?.rows(types.link)?)
        .bind(FinishArrays::of(group.iter().flat_map(|c| &c.outbox_updates)).rows(types.finish)?)
        .bind(messages.rows(types.message)?)
        .bind(AuditArrays::of(group.iter().flat_map(|c| &c.audit))?.rows(types.audit)?))
}

/// The call for `group` as its own transaction, on `sql`: `APPLY_COMMIT`, or with a seat
/// check `APPLY_COMMIT_SEATS`, the verdict's SQL twin in the same statement (`$12` seats
/// required, `$13` members added) on the group's checks together
/// ([`SeatCheck::together`]).
pub(crate) fn call_alone<'q>(
    sql: &'q Statements,
    group: &[&Commit],
    types: &RowTypes,
) -> Result<sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>, StoreError> {
    Ok(
        match SeatCheck::together(group.iter().filter_map(|c| c.seat_check)) {
            None => call(&sql.APPLY_COMMIT, group, types)?,
            Some(check) => call(&sql.APPLY_COMMIT_SEATS, group, types)?
                .bind(i64::from(check.required))
                .bind(i64::from(check.new_members)),
        },
    )
}

/// The seat counts the call read under the lock: `None` without a lock, or when the
/// organization does not exist.
pub(crate) fn locked_seats(row: &sqlx::postgres::PgRow) -> Result<Option<LockedSeats>, StoreError> {
    let limit: Option<i64> = row.try_get("lock_limit").map_err(codec::backend)?;
    if limit.is_none() {
        return Ok(None);
    }
    Ok(Some(LockedSeats {
        limit: codec::limit(row, "lock_limit")?,
        members: u32::try_from(codec::count(row, "lock_members")?).unwrap_or(u32::MAX),
        reserved: u32::try_from(codec::count(row, "lock_reserved")?).unwrap_or(u32::MAX),
    }))
}
