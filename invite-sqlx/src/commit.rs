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

use crate::arrays::{
    AuditArrays, FinishArrays, InvitationArrays, LinkArrays, MemberArrays, MessageArrays,
};
use crate::codec::{self, backend, channel_name, int, org_kind, seat_policy_name, to_json};
use crate::seats;
use crate::sql::{ROLLBACK_TO_INVITATIONS, SAVEPOINT_INVITATIONS, Statements};
use chrono::NaiveDate;
use invite_core::store::{
    Commit, CommitOutcome, Conflict, InvariantViolation, StoreError, StoredVersions, Write,
};
use invite_core::{Invitation, Member, Organization};
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{PgConnection, Postgres, Row};
use std::collections::HashSet;
use uuid::Uuid;

fn refuse<T>(c: Conflict) -> Result<T, StoreError> {
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
fn absent(wanted: &[Uuid], got: &[Uuid]) -> Vec<Uuid> {
    let got: HashSet<&Uuid> = got.iter().collect();
    wanted
        .iter()
        .filter(|id| !got.contains(id))
        .copied()
        .collect()
}

/// Runs a bulk statement that returns the id of each row it wrote (`RETURNING id`): the rows
/// it did not write are how a conflict shows.
async fn returned_ids<'q>(
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
async fn check_updated(
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

async fn existing(
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

/// Updates (which only ever close an open invitation) go before inserts, so a replacement
/// (close the expired one, open a new one to the same address) never trips the open-address
/// index. Inserts are one plain `INSERT` in a savepoint: a unique violation (by constraint
/// name) rolls back to it and [`explain_insert_conflict`] says which rule broke: an existing
/// id is a version conflict, a taken address an open invitation to it (R2.7).
async fn write_invitations(
    tx: &mut PgConnection,
    sql: &Statements,
    c: &Commit,
) -> Result<(), StoreError> {
    let mut updates: Vec<&Invitation> = Vec::new();
    let mut inserts: Vec<&Invitation> = Vec::new();
    for w in &c.invitations {
        match w {
            Write::Update(i) => updates.push(i),
            Write::Insert(i) => inserts.push(i),
        }
    }
    if !updates.is_empty() {
        // Row locks in id order, so two commits touching the same invitations cannot
        // deadlock.
        updates.sort_by_key(|i| i.id);
        let ids: Vec<Uuid> = updates.iter().map(|i| i.id.0).collect();
        let mut arrays = InvitationArrays::default();
        for i in &updates {
            arrays.push(i)?;
        }
        let done = returned_ids(tx, arrays.bind(&sql.UPDATE_INVITATIONS), c).await?;
        if done.len() != ids.len() {
            return Err(explain_invitation_update(tx, sql, c, &updates, &done).await);
        }
    }
    if !inserts.is_empty() {
        let mut arrays = InvitationArrays::default();
        for i in &inserts {
            arrays.push(i)?;
        }
        // A savepoint, so that after a unique violation the transaction can still ask why.
        sqlx::query(SAVEPOINT_INVITATIONS)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        match arrays.bind(&sql.INSERT_INVITATIONS).execute(&mut *tx).await {
            Ok(_) => {}
            Err(e) if is_unique_violation_of(&e, &["invitations_pkey", OPEN_ADDRESS]) => {
                sqlx::query(ROLLBACK_TO_INVITATIONS)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                return Err(explain_insert_conflict(tx, sql, &inserts).await);
            }
            Err(e) => return Err(db_error(e, c)),
        }
    }
    Ok(())
}

/// Why some invitation updates changed no row, for the first of them in commit order (as
/// MemoryStore reports it): gone ([`Conflict::Missing`]), changed by another writer
/// ([`Conflict::Version`]), or an update that would change what never changes, R2.8
/// ([`InvariantViolation::ImmutableChanged`]).
async fn explain_invitation_update(
    tx: &mut PgConnection,
    sql: &Statements,
    c: &Commit,
    updates: &[&Invitation],
    done: &[Uuid],
) -> StoreError {
    let ids: Vec<Uuid> = updates.iter().map(|i| i.id.0).collect();
    let missing = absent(&ids, done);
    let Some(first) = c
        .invitations
        .iter()
        .map(Write::record)
        .find(|i| missing.contains(&i.id.0))
    else {
        return backend("an invitation update changed no row, yet none is missing");
    };
    let row = match sqlx::query(&sql.INVITATION_IDENTITIES)
        .bind(vec![first.id.0])
        .fetch_optional(&mut *tx)
        .await
    {
        Ok(row) => row,
        Err(e) => return backend(e),
    };
    let (entity, id) = ("invitation", first.id.to_string());
    let Some(row) = row else {
        return StoreError::Conflict(Conflict::Missing { entity, id });
    };
    let stored = (|| -> Result<_, StoreError> {
        Ok((
            codec::count(&row, "version")?,
            codec::uuid(&row, "org_id")?,
            codec::text(&row, "channel")?,
            row.try_get::<Option<String>, _>("email_key")
                .map_err(backend)?,
            row.try_get::<Option<String>, _>("phone").map_err(backend)?,
        ))
    })();
    let (version, org, channel, email_key, phone) = match stored {
        Ok(s) => s,
        Err(e) => return e,
    };
    if version != first.version() {
        return StoreError::Conflict(Conflict::Version { entity, id });
    }
    let field = if org != first.org.0 {
        "organization"
    } else if channel != channel_name(first.channel) {
        "channel"
    } else if email_key != first.contact.email_address().map(|e| e.key().to_owned())
        || phone != first.contact.phone_number().map(|p| p.as_str().to_owned())
    {
        "contact"
    } else {
        return backend("an invitation update changed no row for no reason the store knows");
    };
    StoreError::Invariant(InvariantViolation::ImmutableChanged { entity, id, field })
}

/// The partial unique index of R2.7.
const OPEN_ADDRESS: &str = "invitations_one_open_per_address";

fn is_unique_violation_of(e: &sqlx::Error, constraints: &[&str]) -> bool {
    e.as_database_error()
        .and_then(|d| d.constraint())
        .is_some_and(|name| constraints.contains(&name))
}

/// Which insert broke which rule, in MemoryStore's order: an id that exists is a version
/// conflict; then an address an open invitation holds (another one, or an earlier insert of
/// this commit) is `OpenInvitationExists`.
async fn explain_insert_conflict(
    tx: &mut PgConnection,
    sql: &Statements,
    inserts: &[&Invitation],
) -> StoreError {
    let ids: Vec<Uuid> = inserts.iter().map(|i| i.id.0).collect();
    let open: Vec<&&Invitation> = inserts.iter().filter(|i| i.is_open()).collect();
    let orgs: Vec<Uuid> = open.iter().map(|i| i.org.0).collect();
    let keys: Vec<String> = open.iter().map(|i| i.address_key()).collect();
    let rows = match sqlx::query(&sql.INVITATION_INSERT_CONFLICTS)
        .bind(&ids)
        .bind(&orgs)
        .bind(&keys)
        .fetch_all(&mut *tx)
        .await
    {
        Ok(rows) => rows,
        Err(e) => return backend(e),
    };
    let mut taken_ids = HashSet::new();
    let mut taken_keys = HashSet::new();
    for row in &rows {
        let (what, value) = match (codec::text(row, "what"), codec::text(row, "value")) {
            (Ok(w), Ok(v)) => (w, v),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        match what.as_str() {
            "id" => taken_ids.insert(value),
            _ => taken_keys.insert(value),
        };
    }
    if let Some(i) = inserts
        .iter()
        .find(|i| taken_ids.contains(&i.id.to_string()))
    {
        return StoreError::Conflict(Conflict::Version {
            entity: "invitation",
            id: i.id.to_string(),
        });
    }
    let mut claimed = HashSet::new();
    for (i, key) in open.iter().zip(keys) {
        if taken_keys.contains(&key) || !claimed.insert((i.org, key.clone())) {
            return StoreError::Conflict(Conflict::OpenInvitationExists { address_key: key });
        }
    }
    // Not explained by the state now (the holder changed since): still a conflict on R2.7.
    StoreError::Conflict(Conflict::OpenInvitationExists {
        address_key: open.first().map(|i| i.address_key()).unwrap_or_default(),
    })
}

/// Members as invitations: updates (removals) first, then inserts that skip a taken
/// contact. Every refusal is a version conflict on the member, as in MemoryStore.
async fn write_members(
    tx: &mut PgConnection,
    sql: &Statements,
    c: &Commit,
) -> Result<(), StoreError> {
    let mut updates: Vec<&Member> = Vec::new();
    let mut inserts: Vec<&Member> = Vec::new();
    for w in &c.members {
        match w {
            Write::Update(m) => updates.push(m),
            Write::Insert(m) => inserts.push(m),
        }
    }
    if let Some(m) = inserts.iter().find(|m| m.version != 0) {
        return refuse(Conflict::Version {
            entity: "member",
            id: m.id.to_string(),
        });
    }
    if !updates.is_empty() {
        updates.sort_by_key(|m| m.id);
        let ids: Vec<Uuid> = updates.iter().map(|m| m.id.0).collect();
        let mut arrays = MemberArrays::default();
        for m in &updates {
            arrays.push(m)?;
        }
        let done = returned_ids(tx, arrays.bind(&sql.UPDATE_MEMBERS), c).await?;
        let order = c.members.iter().map(|w| w.record().id.0);
        check_updated(tx, "member", &sql.EXISTING_MEMBERS, &ids, &done, order).await?;
    }
    if !inserts.is_empty() {
        let ids: Vec<Uuid> = inserts.iter().map(|m| m.id.0).collect();
        let mut arrays = MemberArrays::default();
        for m in &inserts {
            arrays.push(m)?;
        }
        let done = returned_ids(tx, arrays.bind(&sql.INSERT_MEMBERS), c).await?;
        if let Some(id) = absent(&ids, &done).first() {
            return refuse(Conflict::Version {
                entity: "member",
                id: id.to_string(),
            });
        }
    }
    Ok(())
}

async fn write_links(
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
async fn finish_messages(
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
async fn write_reminder_marks(
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
async fn write_messages(
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
async fn write_audit(
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
