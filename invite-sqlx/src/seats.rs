//! Seats under the organization's lock (R3.4, R3.5), and seats read outside a commit.
//!
//! Active members are a counter on the organization's row (`active_members`), kept by
//! triggers on `members` in the transaction of every member write (migration
//! `seat_counter`), so reading them costs the same in an organization of 10 members as in
//! one of 100,000 (issue 8.5). Live reservations under `ReserveOnInvite` depend on the
//! time, so they are counted, from `invitations_reserving`, an index holding only the
//! invitations that can reserve, keyed by the instant they stop: the count reads exactly
//! the invitations that hold a seat at that instant.

use crate::codec::{self, backend};
use crate::sql::Statements;
use invite_core::store::{Commit, StoreError};
use invite_core::{SeatPolicy, Seats};
use sqlx::PgConnection;

/// The seat counts of an organization under its lock, before the commit applies.
pub(crate) struct LockedSeats {
    pub(crate) limit: u32,
    pub(crate) members: u32,
    /// Live reservations under `ReserveOnInvite`, 0 under `ClaimOnSignup` (except for a
    /// check that counts live invitations, `SeatCheck::counts_live`).
    pub(crate) reserved: u32,
}

/// Takes the organization's seat lock if the commit needs seats or adds or removes members,
/// and answers the counts (`None` if the organization does not exist, or no lock was
/// needed). One statement under `ClaimOnSignup` (the lock returns the member counter), two
/// under `ReserveOnInvite` (the live reservations, counted after the lock).
///
/// Member writes take the lock even without a seat check because the member triggers
/// update the organization's counter: taking it first, like every seat-checked commit does,
/// keeps one lock order (organization, then invitations and members), so a removal cannot
/// deadlock against a signup waiting on the removed member's contact.
pub(crate) async fn lock(
    tx: &mut PgConnection,
    sql: &Statements,
    c: &Commit,
) -> Result<Option<LockedSeats>, StoreError> {
    if c.seat_check.is_none() && c.members.is_empty() {
        return Ok(None);
    }
    let Some(row) = sqlx::query(&sql.LOCK_SEATS)
        .bind(c.org.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
    else {
        return Ok(None);
    };
    let members = u32::try_from(codec::count(&row, "active_members")?).unwrap_or(u32::MAX);
    let reserve = codec::is_reserve_on_invite(&codec::text(&row, "seat_policy")?);
    let policy = match reserve {
        true => SeatPolicy::ReserveOnInvite,
        false => SeatPolicy::ClaimOnSignup,
    };
    // Live invitations are counted for a check that says they hold seats: always under
    // `ReserveOnInvite`, and for a waitlist move under either policy (issue 11).
    let reserved = match c.seat_check {
        Some(check) if check.counts_live(policy) => {
            let n: i64 = sqlx::query_scalar(&sql.RESERVED_SEATS)
                .bind(c.org.0)
                .bind(c.now)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
            u32::try_from(n).unwrap_or(u32::MAX)
        }
        _ => 0,
    };
    Ok(Some(LockedSeats {
        limit: codec::limit(&row, "seat_limit")?,
        members,
        reserved,
    }))
}

/// Seats from a `SEATS` row (`Store::seats`): members plus, under `ReserveOnInvite`, live
/// reservations.
pub(crate) fn from_row(row: &sqlx::postgres::PgRow) -> Result<Seats, StoreError> {
    let limit = codec::limit(row, "seat_limit")?;
    let members = codec::count(row, "members")?;
    let reserved = codec::count(row, "reserved")?;
    let used = u32::try_from(members + reserved).unwrap_or(u32::MAX);
    Ok(Seats::new(limit, used))
}
