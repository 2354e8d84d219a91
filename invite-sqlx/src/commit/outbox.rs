//! The rest of a commit: its new links, the outcomes of claimed messages under their leases
//! (R7.3), reminder marks (R8.2), new messages and audit events.

use super::{absent, db_error, refuse, returned_ids};
use crate::arrays::{AuditArrays, FinishArrays, LinkArrays, MessageArrays};
use crate::codec::{self};
use crate::sql::Statements;
use chrono::NaiveDate;
use invite_core::store::{Commit, CommitOutcome, Conflict, StoreError};
use sqlx::PgConnection;
use std::collections::HashSet;
use uuid::Uuid;

pub(super) async fn write_links(
    tx: &mut PgConnection,
    sql: &Statements,
    c: &Commit,
) -> Result<(), StoreError> {
    if c.links.is_empty() {
        return Ok(());
    }
    let inserted = LinkArrays::of(&c.links)?
        .bind_to(sqlx::query(&sql.INSERT_LINKS))
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| db_error(e, c))?;
    if inserted.len() != c.links.len() {
        return refuse(Conflict::DuplicateLink);
    }
    Ok(())
}

/// Finishes claimed messages, each only under the lease it was claimed with (R7.3).
pub(super) async fn finish_messages(
    tx: &mut PgConnection,
    sql: &Statements,
    c: &Commit,
) -> Result<(), StoreError> {
    if c.outbox_updates.is_empty() {
        return Ok(());
    }
    let arrays = FinishArrays::of(&c.outbox_updates);
    let done = returned_ids(tx, arrays.bind_to(sqlx::query(&sql.FINISH_MESSAGES)), c).await?;
    let done: HashSet<Uuid> = done.into_iter().collect();
    if let Some(lost) = c.outbox_updates.iter().find(|u| !done.contains(&u.id.0)) {
        return refuse(Conflict::LeaseLost(lost.id));
    }
    Ok(())
}

/// Reminder marks, inserted if absent (R8.2). Answers the outcome (skipped ones, in commit
/// order) and the indexes of the marks that were inserted, whose messages and audit events
/// are then written.
pub(super) async fn write_reminder_marks(
    tx: &mut PgConnection,
    sql: &Statements,
    c: &Commit,
) -> Result<(CommitOutcome, Vec<usize>), StoreError> {
    let mut outcome = CommitOutcome::default();
    if c.reminders.is_empty() {
        return Ok((outcome, Vec::new()));
    }
    let invitation: Vec<Uuid> = c.reminders.iter().map(|r| r.invitation.0).collect();
    let day: Vec<NaiveDate> = c.reminders.iter().map(|r| r.day).collect();
    let rows = sqlx::query(&sql.INSERT_REMINDER_MARKS)
        .bind(invitation)
        .bind(day)
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| db_error(e, c))?;
    let mut inserted: HashSet<(Uuid, NaiveDate)> = HashSet::with_capacity(rows.len());
    for row in &rows {
        inserted.insert((codec::uuid(row, "invitation_id")?, codec::day(row, "day")?));
    }
    // A mark inserted by this commit is taken by its first mention; later ones skip.
    let mut reminded = Vec::with_capacity(inserted.len());
    for (n, r) in c.reminders.iter().enumerate() {
        if inserted.remove(&(r.invitation.0, r.day)) {
            reminded.push(n);
        } else {
            outcome.reminders_skipped.push(r.invitation);
        }
    }
    Ok((outcome, reminded))
}

/// The commit's messages and those of its newly inserted reminder marks, in one statement.
pub(super) async fn write_messages(
    tx: &mut PgConnection,
    sql: &Statements,
    c: &Commit,
    reminded: &[usize],
) -> Result<(), StoreError> {
    if c.outbox.is_empty() && reminded.is_empty() {
        return Ok(());
    }
    let mut a = MessageArrays::default();
    for m in &c.outbox {
        a.push(m)?;
    }
    for n in reminded {
        a.push(&c.reminders[*n].message)?;
    }
    let wanted = a.id.clone();
    let done = returned_ids(tx, a.bind_to(sqlx::query(&sql.INSERT_MESSAGES)), c).await?;
    if let Some(id) = absent(&wanted, &done).first() {
        return refuse(Conflict::Version {
            entity: "message",
            id: id.to_string(),
        });
    }
    Ok(())
}

/// The audit events of the inserted reminder marks, then the commit's own, in order.
pub(super) async fn write_audit(
    tx: &mut PgConnection,
    sql: &Statements,
    c: &Commit,
    reminded: &[usize],
) -> Result<(), StoreError> {
    let events = reminded
        .iter()
        .map(|n| &c.reminders[*n].audit)
        .chain(c.audit.iter());
    let arrays = AuditArrays::of(events)?;
    if arrays.is_empty() {
        return Ok(());
    }
    arrays
        .bind_to(sqlx::query(&sql.INSERT_AUDIT))
        .execute(&mut *tx)
        .await
        .map_err(|e| db_error(e, c))?;
    Ok(())
}
