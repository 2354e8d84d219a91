//! A table's rows as one parameter: an array of the composite type the migration
//! `commit_rows` declares for it (`invitation_row`, `member_row`, …), in PostgreSQL's binary
//! format. The one-statement commit (`fast.rs`) passes each table's rows this way, so the
//! server decodes one parameter and runs one `unnest` per table, where one array per column
//! cost a parameter and a table function per column.
//!
//! The types live in the store's schema, so their OIDs differ from database to database and
//! schema to schema: a store looks them up once ([`RowTypes`], `ROW_TYPES`) and every value
//! names them. sqlx's own composite support wants a `'static` type name, which a schema
//! chosen at run time cannot give.

use crate::codec::backend;
use invite_core::store::StoreError;
use sqlx::encode::{Encode, IsNull};
use sqlx::error::BoxDynError;
use sqlx::postgres::types::Oid;
use sqlx::postgres::{PgArgumentBuffer, PgRow, PgTypeInfo};
use sqlx::{Postgres, Row, Type};

/// The OIDs of one composite type and of its array type.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RowType {
    element: Oid,
    array: Oid,
}

/// The composite types of the one-statement commit, as the store's schema has them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RowTypes {
    pub(crate) invitation: RowType,
    pub(crate) member: RowType,
    pub(crate) link: RowType,
    pub(crate) finish: RowType,
    pub(crate) message: RowType,
    pub(crate) audit: RowType,
}

impl RowTypes {
    /// The types from the rows of `ROW_TYPES`; `None` while the schema lacks any of them (a
    /// database not yet migrated to `commit_rows`).
    pub(crate) fn of(rows: &[PgRow]) -> Result<Option<Self>, StoreError> {
        let find = |name: &str| -> Result<Option<RowType>, StoreError> {
            for row in rows {
                let found: String = row.try_get("name").map_err(backend)?;
                if found == name {
                    return Ok(Some(RowType {
                        element: row.try_get("element").map_err(backend)?,
                        array: row.try_get("array").map_err(backend)?,
                    }));
                }
            }
            Ok(None)
        };
        let (Some(invitation), Some(member), Some(link), Some(finish), Some(message), Some(audit)) = (
            find("invitation_row")?,
            find("member_row")?,
            find("link_row")?,
            find("finish_row")?,
            find("message_row")?,
            find("audit_row")?,
        ) else {
            return Ok(None);
        };
        Ok(Some(Self {
            invitation,
            member,
            link,
            finish,
            message,
            audit,
        }))
    }
}

/// Rows of one composite type, encoded as they are added, bound as one array parameter.
#[derive(Debug)]
pub(crate) struct RowArray {
    ty: RowType,
    rows: i32,
    bytes: PgArgumentBuffer,
}

impl RowArray {
    pub(crate) fn new(ty: RowType) -> Self {
        Self {
            ty,
            rows: 0,
            bytes: PgArgumentBuffer::default(),
        }
    }

    /// Starts a row of `fields` fields; each is then added with [`RowArray::field`], in the
    /// type's order, and the row closed with [`RowArray::end_row`].
    pub(crate) fn begin_row(&mut self, fields: i32) -> usize {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(&0_i32.to_be_bytes()); // the element's length, patched
        self.bytes.extend_from_slice(&fields.to_be_bytes());
        start
    }

    /// One field: its type's OID, then its value as sqlx encodes it, or NULL.
    pub(crate) fn field<'q, T>(&mut self, value: &T) -> Result<(), StoreError>
    where
        T: Encode<'q, Postgres> + Type<Postgres>,
    {
        let ty = value.produces().unwrap_or_else(T::type_info);
        let oid = ty
            .oid()
            .ok_or_else(|| backend(format!("a row field of type {ty:?} has no fixed OID")))?;
        self.bytes.extend_from_slice(&oid.0.to_be_bytes());
        let at = self.bytes.len();
        self.bytes.extend_from_slice(&0_i32.to_be_bytes());
        match value.encode_by_ref(&mut self.bytes).map_err(backend)? {
            IsNull::No => {
                let len = length(self.bytes.len() - at - 4)?;
                self.bytes[at..at + 4].copy_from_slice(&len.to_be_bytes());
            }
            IsNull::Yes => {
                self.bytes.truncate(at);
                self.bytes.extend_from_slice(&(-1_i32).to_be_bytes());
            }
        }
        Ok(())
    }

    /// Closes the row [`RowArray::begin_row`] started at `start`.
    pub(crate) fn end_row(&mut self, start: usize) -> Result<(), StoreError> {
        let len = length(self.bytes.len() - start - 4)?;
        self.bytes[start..start + 4].copy_from_slice(&len.to_be_bytes());
        self.rows += 1;
        Ok(())
    }
}

fn length(n: usize) -> Result<i32, StoreError> {
    i32::try_from(n).map_err(|_| backend(format!("a row of {n} bytes is too long to send")))
}

impl Type<Postgres> for RowArray {
    /// `record[]`, never sent: every value names its own type ([`Encode::produces`]).
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(Oid(2287))
    }
}

impl Encode<'_, Postgres> for RowArray {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        // PostgreSQL's binary array: one dimension, no NULL element, the element type, the
        // length, lower bound 1, then each element length-prefixed.
        buf.extend_from_slice(&1_i32.to_be_bytes());
        buf.extend_from_slice(&0_i32.to_be_bytes());
        buf.extend_from_slice(&self.ty.element.0.to_be_bytes());
        buf.extend_from_slice(&self.rows.to_be_bytes());
        buf.extend_from_slice(&1_i32.to_be_bytes());
        buf.extend_from_slice(&self.bytes);
        Ok(IsNull::No)
    }

    fn produces(&self) -> Option<PgTypeInfo> {
        Some(PgTypeInfo::with_oid(self.ty.array))
    }
}
