//! [`PgStore`]'s record port: each read one statement on the pool, each commit one
//! transaction (`commit/`). The outbox and view ports are in `views.rs`.

use crate::codec::{self, backend};
use crate::rows::RowTypes;
use crate::{PgStore, aborted_is_conflict, commit, fast, seats};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use invite_core::store::{
    Commit, CommitOutcome, InviteReads, RecordStore, SignupReads, StoreError,
};
use invite_core::token::{LinkRecord, TokenHash};
use invite_core::{
    Invitation, InvitationId, Member, MemberId, OrgId, Organization, Seats, UserRef,
};
use sqlx::Row as _;
use sqlx::postgres::PgRow;
use std::collections::{HashMap, HashSet};

impl PgStore {
    pub(crate) async fn query_invitations(
        &self,
        query: sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> Result<Vec<Invitation>, StoreError> {
        let rows = query.fetch_all(&self.pool).await.map_err(backend)?;
        rows.iter().map(codec::invitation).collect()
    }
}

pub(crate) fn limit_of(n: u32) -> i64 {
    i64::from(n)
}

/// PostgreSQL's `text` holds no NUL character and refuses a parameter with one.
pub(crate) fn has_nul(s: &str) -> bool {
    s.contains('\0')
}

/// The lookup keys a text column could hold: a key with a NUL matches no stored row, so it
/// is left out rather than sent (PostgreSQL would refuse the whole statement).
pub(crate) fn storable_keys<'k>(keys: impl IntoIterator<Item = &'k str>) -> Vec<&'k str> {
    keys.into_iter().filter(|k| !has_nul(k)).collect()
}

impl PgStore {
    /// Applies `commit` in one transaction; `hook`, if given, runs the application's own
    /// statements in that same transaction before it commits (see [`crate::CommitHook`]).
    pub(crate) async fn commit_in_transaction(
        &self,
        commit: Commit,
        hook: Option<&dyn crate::CommitHook>,
    ) -> Result<CommitOutcome, StoreError> {
        if let (None, Some(groups)) = (hook, &self.groups) {
            // `commit_alone` prechecks each commit a group gives back, and the group's call
            // prechecks the group (`commit::precheck_group`), so nothing is checked twice.
            if crate::group::joins(&commit) {
                return self.commit_in_group(groups, commit).await;
            }
        }
        self.commit_alone(commit, hook).await
    }

    /// [`PgStore::commit_in_transaction`] for this commit alone, never grouped.
    pub(crate) async fn commit_alone(
        &self,
        commit: Commit,
        hook: Option<&dyn crate::CommitHook>,
    ) -> Result<CommitOutcome, StoreError> {
        if fast::covers(&commit) {
            commit::precheck(&commit)?;
            // `None`: refused somewhere; step by step, which says why.
            if let Some(outcome) = self.commit_in_one_statement(&commit, hook).await? {
                return Ok(outcome);
            }
            // Refused somewhere: step by step, which says why.
        }
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let applied = match commit::apply(&mut tx, &self.sql, &commit).await {
            Ok(outcome) => match hook {
                Some(hook) => hook
                    .before_commit(&mut tx, &commit)
                    .await
                    .map(|()| outcome)
                    .map_err(|e| StoreError::Backend(Box::new(crate::HookFailed(e)))),
                None => Ok(outcome),
            },
            Err(e) => Err(e),
        };
        match applied {
            Ok(outcome) => {
                tx.commit()
                    .await
                    .map_err(|e| aborted_is_conflict(commit::db_error(e, &commit)))?;
                Ok(outcome)
            }
            Err(e) => {
                // Dropping the transaction would roll it back too, but only once the
                // connection is used again; roll back now and release the locks.
                let _ = tx.rollback().await;
                Err(aborted_is_conflict(e))
            }
        }
    }
}

impl PgStore {
    /// The one-statement commit's composite types (`rows.rs`), looked up once per store;
    /// `None` while the schema lacks them, so nothing is remembered until it has them.
    pub(crate) async fn row_types(&self) -> Result<Option<RowTypes>, StoreError> {
        if let Some(types) = self.row_types.get() {
            return Ok(Some(*types));
        }
        let rows = sqlx::query(&self.sql.ROW_TYPES)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        Ok(RowTypes::of(&rows)?.map(|types| *self.row_types.get_or_init(|| types)))
    }

    /// The commit as one call of `apply_commit_rows` (`fast.rs`): on its own without a seat check
    /// or hook (one round trip), else in a transaction that commits once the core's verdict
    /// on the counts under the lock said yes and the hook ran. `Ok(None)` when PostgreSQL
    /// refused the call (nothing of it is written): the caller commits step by step, which
    /// finds and names the conflict.
    async fn commit_in_one_statement(
        &self,
        commit: &Commit,
        hook: Option<&dyn crate::CommitHook>,
    ) -> Result<Option<CommitOutcome>, StoreError> {
        let done = || CommitOutcome {
            reminders_skipped: Vec::new(),
            versions: commit::stored_versions(commit),
        };
        // A schema not yet migrated to `commit_rows` has no row types: step by step.
        let Some(types) = self.row_types().await? else {
            return Ok(None);
        };
        if hook.is_none() {
            // One statement, its own transaction; with a seat check, the verdict's SQL twin
            // in it. Refused (seats included): `None`, and the step-by-step commit says why.
            return match fast::call_alone(&self.sql, &[commit], &types)?
                .fetch_one(&self.pool)
                .await
            {
                Ok(_) => Ok(Some(done())),
                Err(e) if e.as_database_error().is_some() => Ok(None),
                Err(e) => Err(backend(e)),
            };
        }
        let call = fast::call(&self.sql.APPLY_COMMIT, &[commit], &types)?;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let row = match call.fetch_one(&mut *tx).await {
            Ok(row) => row,
            Err(e) if e.as_database_error().is_some() => {
                let _ = tx.rollback().await;
                return Ok(None);
            }
            Err(e) => return Err(backend(e)),
        };
        if let Some(check) = commit.seat_check {
            let verdict = match fast::locked_seats(&row)? {
                // The core's verdict (R3.3 to R3.6), on the counts taken under the lock.
                Some(seats) => check.verdict(seats.limit, seats.members, seats.reserved),
                // No organization: the step-by-step commit names what is missing.
                None => {
                    let _ = tx.rollback().await;
                    return Ok(None);
                }
            };
            if let Err(conflict) = verdict {
                let _ = tx.rollback().await;
                return Err(StoreError::Conflict(conflict));
            }
        }
        if let Some(hook) = hook {
            if let Err(e) = hook.before_commit(&mut tx, commit).await {
                let _ = tx.rollback().await;
                return Err(aborted_is_conflict(StoreError::Backend(Box::new(
                    crate::HookFailed(e),
                ))));
            }
        }
        tx.commit()
            .await
            .map_err(|e| aborted_is_conflict(commit::db_error(e, commit)))?;
        Ok(Some(done()))
    }
}

#[async_trait]
impl RecordStore for PgStore {
    async fn commit(&self, commit: Commit) -> Result<CommitOutcome, StoreError> {
        self.commit_in_transaction(commit, None).await
    }

    async fn organization(&self, id: OrgId) -> Result<Option<Organization>, StoreError> {
        let row = sqlx::query(&self.sql.ORGANIZATION)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(codec::organization).transpose()
    }

    async fn invitation(&self, id: InvitationId) -> Result<Option<Invitation>, StoreError> {
        let row = sqlx::query(&self.sql.INVITATION)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(codec::invitation).transpose()
    }

    async fn open_invitations(
        &self,
        org: OrgId,
        address_keys: &[String],
    ) -> Result<Vec<Invitation>, StoreError> {
        let keys = storable_keys(address_keys.iter().map(String::as_str));
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(&self.sql.OPEN_INVITATIONS)
            .bind(org.0)
            .bind(keys)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        open_in_key_order(rows.iter(), address_keys)
    }

    async fn invitations_for_users(
        &self,
        org: OrgId,
        users: &[UserRef],
    ) -> Result<Vec<Invitation>, StoreError> {
        let refs = storable_keys(users.iter().map(UserRef::as_str));
        if refs.is_empty() {
            return Ok(Vec::new());
        }
        self.query_invitations(
            sqlx::query(&self.sql.INVITATIONS_FOR_USERS)
                .bind(org.0)
                .bind(refs),
        )
        .await
    }

    async fn link(&self, hash: &TokenHash) -> Result<Option<LinkRecord>, StoreError> {
        let row = sqlx::query(&self.sql.LINK)
            .bind(hash.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(codec::link).transpose()
    }

    async fn member(&self, id: MemberId) -> Result<Option<Member>, StoreError> {
        let row = sqlx::query(&self.sql.MEMBER)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(codec::member).transpose()
    }

    async fn active_members(
        &self,
        org: OrgId,
        contact_keys: &[String],
    ) -> Result<Vec<Member>, StoreError> {
        let keys = storable_keys(contact_keys.iter().map(String::as_str));
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(&self.sql.ACTIVE_MEMBERS)
            .bind(org.0)
            .bind(keys)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        members_in_key_order(rows.iter(), contact_keys)
    }

    async fn seats(&self, org: OrgId, now: DateTime<Utc>) -> Result<Seats, StoreError> {
        let row = sqlx::query(&self.sql.SEATS)
            .bind(org.0)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        match row {
            Some(row) => seats::from_row(&row),
            None => Ok(Seats::new(0, 0)),
        }
    }

    async fn organizations(&self, ids: &[OrgId]) -> Result<Vec<Organization>, StoreError> {
        let ids: Vec<uuid::Uuid> = ids.iter().map(|id| id.0).collect();
        let rows = sqlx::query(&self.sql.ORGANIZATIONS_BY_IDS)
            .bind(ids)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(codec::organization).collect()
    }

    async fn invitations(&self, ids: &[InvitationId]) -> Result<Vec<Invitation>, StoreError> {
        let ids: Vec<uuid::Uuid> = ids.iter().map(|id| id.0).collect();
        self.query_invitations(sqlx::query(&self.sql.INVITATIONS_BY_IDS).bind(ids))
            .await
    }

    async fn invite_reads(
        &self,
        org: OrgId,
        clients: &[OrgId],
        address_keys: &[String],
        contact_keys: &[String],
        now: DateTime<Utc>,
    ) -> Result<InviteReads, StoreError> {
        let clients: Vec<uuid::Uuid> = clients.iter().map(|id| id.0).collect();
        let rows = sqlx::query(&self.sql.INVITE_READS)
            .bind(org.0)
            .bind(clients)
            .bind(storable_keys(address_keys.iter().map(String::as_str)))
            .bind(storable_keys(contact_keys.iter().map(String::as_str)))
            .bind(now)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let rows = Rows::sort(&rows)?;
        let Some(org_row) = rows.of("org").next() else {
            return Ok(InviteReads {
                org: None,
                clients: Vec::new(),
                open: Vec::new(),
                members: Vec::new(),
                seats: Seats::new(0, 0),
            });
        };
        Ok(InviteReads {
            org: Some(codec::organization(org_row)?),
            seats: seats::from_row(org_row)?,
            clients: rows
                .of("client")
                .map(codec::organization)
                .collect::<Result<_, _>>()?,
            open: open_in_key_order(rows.of("open"), address_keys)?,
            members: members_in_key_order(rows.of("member"), contact_keys)?,
        })
    }

    async fn signup_reads(
        &self,
        hash: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<SignupReads>, StoreError> {
        let Some(row) = sqlx::query(&self.sql.SIGNUP_READS)
            .bind(hash.0)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let link = codec::link(&row)?;
        // The joins' columns are NULL where the invitation or organization is missing.
        let invitation_id: Option<uuid::Uuid> = row.try_get("id").map_err(backend)?;
        let invitation = invitation_id.map(|_| codec::invitation(&row)).transpose()?;
        let org_id: Option<uuid::Uuid> = row.try_get("o_id").map_err(backend)?;
        let invitation = match (invitation, org_id) {
            (Some(invitation), Some(_)) => invitation,
            (invitation, _) => {
                return Ok(Some(SignupReads {
                    link,
                    invitation,
                    org: None,
                    members: Vec::new(),
                    seats: Seats::new(0, 0),
                }));
            }
        };
        let member_ids: Vec<uuid::Uuid> = row.try_get("member_ids").map_err(backend)?;
        let members = match member_ids.is_empty() {
            true => Vec::new(),
            // Already a member at the address: rare, so a statement of its own.
            false => {
                let rows = sqlx::query(&self.sql.MEMBERS_BY_IDS)
                    .bind(member_ids)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                members_in_key_order(rows.iter(), &invitation.contact.keys())?
            }
        };
        Ok(Some(SignupReads {
            link,
            org: Some(codec::organization_in(
                &row,
                &codec::OrganizationColumns::PREFIXED,
            )?),
            seats: seats::from_row(&row)?,
            invitation: Some(invitation),
            members,
        }))
    }
}

/// The rows of a statement that answers several kinds of records, by their `what`.
struct Rows<'r> {
    rows: Vec<(String, &'r PgRow)>,
}

impl<'r> Rows<'r> {
    fn sort(rows: &'r [PgRow]) -> Result<Self, StoreError> {
        let rows = rows
            .iter()
            .map(|r| Ok((codec::text(r, "what")?, r)))
            .collect::<Result<_, StoreError>>()?;
        Ok(Rows { rows })
    }

    fn of<'a>(&'a self, what: &'a str) -> impl Iterator<Item = &'r PgRow> + 'a {
        self.rows
            .iter()
            .filter(move |(w, _)| w == what)
            .map(|(_, r)| *r)
    }
}

/// Open invitations from rows with their `address_key`, in the order of the keys asked
/// for, each invitation once, as MemoryStore answers.
fn open_in_key_order<'r>(
    rows: impl Iterator<Item = &'r PgRow>,
    address_keys: &[String],
) -> Result<Vec<Invitation>, StoreError> {
    let mut by_key: HashMap<String, Invitation> = HashMap::new();
    for row in rows {
        by_key.insert(codec::text(row, "address_key")?, codec::invitation(row)?);
    }
    let mut seen = HashSet::new();
    Ok(address_keys
        .iter()
        .filter_map(|k| by_key.get(k))
        .filter(|i| seen.insert(i.id))
        .cloned()
        .collect())
}

/// Members from rows with their `email_key` and `phone`, in the order of the keys asked
/// for, each member once, as MemoryStore answers.
fn members_in_key_order<'r>(
    rows: impl Iterator<Item = &'r PgRow>,
    contact_keys: &[String],
) -> Result<Vec<Member>, StoreError> {
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut members = Vec::new();
    for (n, row) in rows.enumerate() {
        let email: Option<String> = row.try_get("email_key").map_err(backend)?;
        let phone: Option<String> = row.try_get("phone").map_err(backend)?;
        for key in email.into_iter().chain(phone) {
            by_key.insert(key, n);
        }
        members.push(codec::member(row)?);
    }
    let mut seen = HashSet::new();
    Ok(contact_keys
        .iter()
        .filter_map(|k| by_key.get(k))
        .filter(|n| seen.insert(**n))
        .map(|n| members[*n].clone())
        .collect())
}
