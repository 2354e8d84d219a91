//! One [`Commit`] in one transaction.
//!
//! The order follows `MemoryStore`'s checks, so a refused commit names the same conflict:
//! the organization's version, the invitations' versions and open addresses (R2.7), the
//! members' versions and contacts, the links, the seats (R3.4), the outbox leases (R7.3) and
//! message ids. Any conflict rolls the transaction back: nothing is written.
//!
//! Seats are counted before anything is written, under a `FOR NO KEY UPDATE` lock on the
//! organization's row taken first (R3.4). The active members are a counter on that row,
//! kept by triggers on `members` in the same transaction as every member write, so the
//! locking statement itself returns them, current as the previous lock holder committed
//! them, whatever the organization's size (issue 8.5). Live reservations under
//! `ReserveOnInvite` depend on the time, so they are counted, in the next statement (which
//! sees everything the previous holder committed), from an index holding only the
//! invitations that can reserve. Two signups racing for the last seat count one after the
//! other.

use crate::codec::{backend, int, org_kind, seat_policy_name, to_json};
use crate::seats;
use crate::sql::Statements;
use invite_core::store::{Commit, CommitOutcome, Conflict, StoreError, StoredVersions, Write};
use invite_core::{Invitation, Organization};
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{PgConnection, Postgres, Row};
use std::collections::HashSet;
use uuid::Uuid;

mod outbox;
mod records;

use self::outbox::{
    finish_messages, write_audit, write_links, write_messages, write_reminder_marks,
};
use self::records::{write_invitations, write_members};

pub(super) fn refuse<T>(c: Conflict) -> Result<T, StoreError> {
    Err(StoreError::Conflict(c))
}

/// Maps a violated unique rule to its conflict, by constraint name (never by message text);
/// anything else is a backend failure. The main paths explain their conflicts more precisely
/// (invitation inserts in a savepoint, other inserts by the rows they skipped, updates by
/// version), but a rule broken some other way is still a conflict.
pub(crate) fn db_error(e: sqlx::Error, commit: &Commit) -> StoreError {
    let conflict = e
        .as_database_error()
        .and_then(|d| d.constraint())
        .and_then(|name| match name {
            "invitations_one_open_per_address" => Some(Conflict::OpenInvitationExists {
                address_key: commit
                    .invitations
                    .iter()
                    .map(Write::record)
                    .find(|i| i.is_open())
                    .map(Invitation::address_key)
                    .unwrap_or_default(),
            }),
            "members_one_active_per_email" | "members_one_active_per_phone" => {
                Some(Conflict::Version {
                    entity: "member",
                    id: commit
                        .members
                        .first()
                        .map(|m| m.record().id.to_string())
                        .unwrap_or_default(),
                })
            }
            "links_pkey" => Some(Conflict::DuplicateLink),
            _ => None,
        });
    match conflict {
        Some(c) => StoreError::Conflict(c),
        None => backend(e),
    }
}

/// Runs `commit` on `tx`, an open transaction; the caller commits it on `Ok` and rolls it
/// back otherwise.
pub(crate) async fn apply(
    tx: &mut PgConnection,
    sql: &Statements,
    c: &Commit,
) -> Result<CommitOutcome, StoreError> {
    precheck(c)?;

    // The organization's row first, before anything changes: the seat lock, with the counts
    // as they are before this commit.
    let seats = seats::lock(tx, sql, c).await?;

    if let Some(w) = &c.organization {
        write_organization(tx, sql, w).await?;
    }
    write_invitations(tx, sql, c).await?;
    write_members(tx, sql, c).await?;
    write_links(tx, sql, c).await?;
    crate::waitlist::write(tx, sql, c).await?;

    if let Some(check) = c.seat_check {
        let Some(seats) = seats else {
            return refuse(Conflict::Missing {
                entity: "organization",
                id: c.org.to_string(),
            });
        };
        // The core's verdict (R3.3 to R3.6), on the counts taken under the lock.
        check
            .verdict(seats.limit, seats.members, seats.reserved)
            .map_err(StoreError::Conflict)?;
    }

    finish_messages(tx, sql, c).await?;
    let (mut outcome, reminded) = write_reminder_marks(tx, sql, c).await?;
    write_messages(tx, sql, c, &reminded).await?;
    write_audit(tx, sql, c, &reminded).await?;
    outcome.versions = stored_versions(c);
    Ok(outcome)
}

/// The versions the commit's records are stored at: 0 for an insert, one more than the
/// version read for an update (`version = version + 1` in every update statement).
pub(crate) fn stored_versions(c: &Commit) -> StoredVersions {
    fn next(insert: bool, read: u64) -> u64 {
        if insert { 0 } else { read + 1 }
    }
    StoredVersions {
        organization: c.organization.as_ref().map(|w| {
            let o = w.record();
            (o.id, next(matches!(w, Write::Insert(_)), o.version))
        }),
        invitations: c
            .invitations
            .iter()
            .map(|w| {
                let i = w.record();
                (i.id, next(matches!(w, Write::Insert(_)), i.version()))
            })
            .collect(),
        members: c
            .members
            .iter()
            .map(|w| {
                let m = w.record();
                (m.id, next(matches!(w, Write::Insert(_)), m.version))
            })
            .collect(),
    }
}

/// What can be refused without looking at the database: inserts must be at version 0, and
/// one commit writes each invitation once.
pub(crate) fn precheck(c: &Commit) -> Result<(), StoreError> {
    if let Some(Write::Insert(o)) = &c.organization {
        if o.version != 0 {
            return refuse(Conflict::Version {
                entity: "organization",
                id: o.id.to_string(),
            });
        }
    }
    precheck_group(&[c])
}

/// [`precheck`]'s invitation rule over a group applied in one call (`group.rs`): each
/// invitation is written once by the whole group.
pub(crate) fn precheck_group(group: &[&Commit]) -> Result<(), StoreError> {
    let mut seen = HashSet::new();
    for w in group.iter().flat_map(|c| &c.invitations) {
        let inv = w.record();
        if matches!(w, Write::Insert(_)) && inv.version() != 0 || !seen.insert(inv.id) {
            return refuse(Conflict::Version {
                entity: "invitation",
                id: inv.id.to_string(),
            });
        }
    }
    Ok(())
}

async fn write_organization(
    tx: &mut PgConnection,
    sql: &Statements,
    w: &Write<Organization>,
) -> Result<(), StoreError> {
    let o = w.record();
    let (kind, msp) = org_kind(o.kind);
    let statement = match w {
        Write::Insert(_) => &sql.INSERT_ORGANIZATION,
        Write::Update(_) => &sql.UPDATE_ORGANIZATION,
    };
    let mut q = sqlx::query(statement)
        .bind(o.id.0)
        .bind(&o.name)
        .bind(kind)
        .bind(msp)
        .bind(int(o.settings.seat_limit)?)
        .bind(seat_policy_name(o.settings.seat_policy))
        .bind(o.settings.reminders_enabled)
        .bind(to_json(&o.settings)?);
    if let Write::Update(_) = w {
        q = q.bind(int(o.version)?);
    }
    let done = q.execute(&mut *tx).await.map_err(backend)?;
    if done.rows_affected() == 1 {
        return Ok(());
    }
    let exists: bool = sqlx::query_scalar(&sql.ORGANIZATION_EXISTS)
        .bind(o.id.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
    let (entity, id) = ("organization", o.id.to_string());
    match (w, exists) {
        (Write::Update(_), false) => refuse(Conflict::Missing { entity, id }),
        _ => refuse(Conflict::Version { entity, id }),
    }
}

/// The ids of `wanted` that are not among `got`, in `wanted`'s order.
pub(super) fn absent(wanted: &[Uuid], got: &[Uuid]) -> Vec<Uuid> {
    let got: HashSet<&Uuid> = got.iter().collect();
    wanted
        .iter()
        .filter(|id| !got.contains(id))
        .copied()
        .collect()
}

/// Runs a bulk statement that returns the id of each row it wrote (`RETURNING id`): the rows
/// it did not write are how a conflict shows.
pub(super) async fn returned_ids<'q>(
    tx: &mut PgConnection,
    query: Query<'q, Postgres, PgArguments>,
    c: &Commit,
) -> Result<Vec<Uuid>, StoreError> {
    query
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| db_error(e, c))?
        .iter()
        .map(|r| r.try_get::<Uuid, _>(0))
        .collect::<Result<_, _>>()
        .map_err(backend)
}

/// After a version-checked bulk `UPDATE` that returned the ids it changed (`done` of `ids`):
/// if some rows were not changed, the first of them in commit order (`order`, as MemoryStore
/// reports it) is a [`Conflict::Version`] if the row exists (another writer changed it) and a
/// [`Conflict::Missing`] if not.
pub(super) async fn check_updated(
    tx: &mut PgConnection,
    entity: &'static str,
    existing_statement: &str,
    ids: &[Uuid],
    done: &[Uuid],
    mut order: impl Iterator<Item = Uuid>,
) -> Result<(), StoreError> {
    if done.len() == ids.len() {
        return Ok(());
    }
    let missing = absent(ids, done);
    let there = existing(tx, existing_statement, &missing).await?;
    let first = order.find(|id| missing.contains(id)).unwrap_or(missing[0]);
    let id = first.to_string();
    match there.contains(&first) {
        true => refuse(Conflict::Version { entity, id }),
        false => refuse(Conflict::Missing { entity, id }),
    }
}

pub(super) async fn existing(
    tx: &mut PgConnection,
    statement: &str,
    ids: &[Uuid],
) -> Result<HashSet<Uuid>, StoreError> {
    let rows: Vec<Uuid> = sqlx::query_scalar(statement)
        .bind(ids)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
    Ok(rows.into_iter().collect())
}
