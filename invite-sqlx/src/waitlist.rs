//! The seat waitlist in PostgreSQL (issue 11): its statements, a commit's waitlist writes
//! and the reads of the view port. The store decides nothing: a commit removes the entries it
//! names (all of them, or it is refused with `Conflict::Missing`: another commit moved one)
//! and adds new ones (an entry whose id, or organization and address key, is taken is a
//! `Conflict::Version`). Entries are answered by `position`, their insertion order.

use crate::codec::{backend, to_json_text};
use crate::sql::Statements;
use invite_core::ids::{OrgId, WaitlistId};
use invite_core::store::{Commit, Conflict, StoreError};
use invite_core::waitlist::{WaitlistEntry, WaitlistWrite};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

/// The waitlist's statements, listed in `sql::statements!` with the others.
pub(crate) mod statements {
    macro_rules! waitlist_columns {
        () => {
            "w.position, w.id, w.org_id, w.address_key, w.joined_at, w.request"
        };
    }

    pub(crate) const WAITLIST_FIRST: &str = concat!(
        "SELECT ",
        waitlist_columns!(),
        " FROM {schema}.waitlist w WHERE w.org_id = $1 ORDER BY w.position LIMIT $2"
    );

    pub(crate) const WAITLIST_AFTER: &str = concat!(
        "SELECT ",
        waitlist_columns!(),
        " FROM {schema}.waitlist w WHERE w.org_id = $1 AND w.position > $2 \
         ORDER BY w.position LIMIT $3"
    );

    pub(crate) const WAITLIST_ENTRY: &str = concat!(
        "SELECT ",
        waitlist_columns!(),
        " FROM {schema}.waitlist w WHERE w.id = $1"
    );

    pub(crate) const WAITLIST_AT_KEYS: &str = concat!(
        "SELECT ",
        waitlist_columns!(),
        " FROM {schema}.waitlist w WHERE w.org_id = $1 AND w.address_key = ANY($2) \
         ORDER BY w.position"
    );

    pub(crate) const WAITLIST_COUNT: &str =
        "SELECT count(*) AS n FROM {schema}.waitlist w WHERE w.org_id = $1";

    pub(crate) const ORGANIZATIONS_WITH_WAITLIST_FIRST: &str =
        "SELECT DISTINCT w.org_id FROM {schema}.waitlist w ORDER BY w.org_id LIMIT $1";

    pub(crate) const ORGANIZATIONS_WITH_WAITLIST_AFTER: &str = "SELECT DISTINCT w.org_id \
         FROM {schema}.waitlist w WHERE w.org_id > $1 ORDER BY w.org_id LIMIT $2";

    /// Moved or removed entries; the ids answered are those that were there.
    pub(crate) const DELETE_WAITLIST: &str =
        "DELETE FROM {schema}.waitlist w WHERE w.id = ANY($1) RETURNING w.id";

    /// New entries, positions given in the commit's order.
    pub(crate) const INSERT_WAITLIST: &str = "INSERT INTO {schema}.waitlist \
         (id, org_id, address_key, joined_at, request) \
         SELECT u.id, u.org_id, u.address_key, u.joined_at, u.request::jsonb \
         FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], $5::text[]) \
           WITH ORDINALITY AS u(id, org_id, address_key, joined_at, request, n) \
         ORDER BY u.n";
}

/// Applies the commit's waitlist writes: removals first, so an entry moved and a new one for
/// the same address may share a commit.
pub(crate) async fn write(
    tx: &mut PgConnection,
    sql: &Statements,
    c: &Commit,
) -> Result<(), StoreError> {
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for w in &c.waitlist {
        match w {
            WaitlistWrite::Remove(id) => removed.push(id.0),
            WaitlistWrite::Add(e) => added.push(e),
        }
    }
    if !removed.is_empty() {
        let rows = sqlx::query(&sql.DELETE_WAITLIST)
            .bind(&removed)
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?;
        let gone: Vec<Uuid> = rows.iter().map(|r| r.get::<Uuid, _>(0)).collect();
        if let Some(missing) = removed.iter().find(|id| !gone.contains(id)) {
            return Err(StoreError::Conflict(Conflict::Missing {
                entity: "waitlist entry",
                id: missing.to_string(),
            }));
        }
        // The same id twice in one commit was removed once.
        if gone.len() != removed.len() {
            return Err(StoreError::Conflict(Conflict::Missing {
                entity: "waitlist entry",
                id: removed[0].to_string(),
            }));
        }
    }
    if added.is_empty() {
        return Ok(());
    }
    let mut id = Vec::with_capacity(added.len());
    let mut org = Vec::with_capacity(added.len());
    let mut key = Vec::with_capacity(added.len());
    let mut joined = Vec::with_capacity(added.len());
    let mut request = Vec::with_capacity(added.len());
    for e in &added {
        id.push(e.id.0);
        org.push(e.org.0);
        key.push(e.address_key.clone());
        joined.push(e.joined_at);
        request.push(to_json_text(&e.request)?);
    }
    let inserted = sqlx::query(&sql.INSERT_WAITLIST)
        .bind(id)
        .bind(org)
        .bind(key)
        .bind(joined)
        .bind(request)
        .execute(&mut *tx)
        .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(e) => {
            let taken = e
                .as_database_error()
                .and_then(|d| d.constraint())
                .is_some_and(|n| n == "waitlist_pkey" || n == "waitlist_one_per_address");
            match taken {
                true => Err(StoreError::Conflict(Conflict::Version {
                    entity: "waitlist entry",
                    id: added[0].id.to_string(),
                })),
                false => Err(backend(e)),
            }
        }
    }
}

/// One entry from a row of `waitlist_columns!`.
pub(crate) fn entry(row: &PgRow) -> Result<WaitlistEntry, StoreError> {
    let position: i64 = row.try_get("position").map_err(backend)?;
    let request: serde_json::Value = row.try_get("request").map_err(backend)?;
    Ok(WaitlistEntry {
        id: WaitlistId(row.try_get("id").map_err(backend)?),
        org: OrgId(row.try_get("org_id").map_err(backend)?),
        address_key: row.try_get("address_key").map_err(backend)?,
        joined_at: row.try_get("joined_at").map_err(backend)?,
        request: serde_json::from_value(request).map_err(backend)?,
        position: u64::try_from(position).map_err(backend)?,
    })
}

/// Entries from rows.
pub(crate) fn entries(rows: &[PgRow]) -> Result<Vec<WaitlistEntry>, StoreError> {
    rows.iter().map(entry).collect()
}
