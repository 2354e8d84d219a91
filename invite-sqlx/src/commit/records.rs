//! The records a commit writes under the versions they were read at: invitations (updates
//! before inserts, and why a refused insert was refused, R2.7) and members.

use super::{absent, check_updated, db_error, refuse, returned_ids};
use crate::arrays::{InvitationArrays, MemberArrays};
use crate::codec::{self, backend, channel_name};
use crate::sql::{ROLLBACK_TO_INVITATIONS, SAVEPOINT_INVITATIONS, Statements};
use invite_core::store::{Commit, Conflict, InvariantViolation, StoreError, Write};
use invite_core::{Invitation, Member};
use sqlx::{PgConnection, Row};
use std::collections::HashSet;
use uuid::Uuid;

/// Updates (which only ever close an open invitation) go before inserts, so a replacement
/// (close the expired one, open a new one to the same address) never trips the open-address
/// index. Inserts are one plain `INSERT` in a savepoint: a unique violation (by constraint
/// name) rolls back to it and [`explain_insert_conflict`] says which rule broke: an existing
/// id is a version conflict, a taken address an open invitation to it (R2.7).
pub(super) async fn write_invitations(
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
pub(super) async fn write_members(
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
