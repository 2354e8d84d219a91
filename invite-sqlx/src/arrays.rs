//! A commit's records as one array per column, the shape every multi-row statement of the
//! store takes (`UNNEST`): the step-by-step commit (`commit/`) binds them statement by
//! statement, one parameter per column; the one-statement commit (`fast.rs`) sends each
//! table's as one array of rows of its composite type (`rows.rs`).

use crate::codec::{
    self, backend, channel_name, completed_by_name, int, kind_name, outbox_state, status_name,
    to_json_text,
};
use crate::rows::{RowArray, RowType};
use chrono::{DateTime, NaiveDate, Utc};
use invite_core::audit::AuditEvent;
use invite_core::outbox::{OutboxMessage, OutboxOutcome, OutboxUpdate};
use invite_core::store::StoreError;
use invite_core::token::LinkRecord;
use invite_core::{Invitation, InvitationId, Member};
use sqlx::Postgres;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use uuid::Uuid;

/// Declares a table's columns once, in the order of its statements' parameters and of its
/// composite type (migration `commit_rows`): the struct of one `Vec` per column, its binding
/// as one parameter per column (`bind_to`), and its rows as one parameter (`rows`).
macro_rules! columns {
    (
        $(#[$doc:meta])*
        $name:ident $(<$lt:lifetime>)? { $($vis:vis $field:ident: $ty:ty,)+ }
    ) => {
        $(#[$doc])*
        #[derive(Default)]
        pub(crate) struct $name $(<$lt>)? { $($vis $field: Vec<$ty>,)+ }

        impl $(<$lt>)? $name $(<$lt>)? {
            /// The columns' names, in order: the fields of the composite type too.
            pub(crate) const FIELDS: &'static [&'static str] = &[$(stringify!($field)),+];

            /// The arrays bound as the next parameters of `q`, in column order.
            pub(crate) fn bind_to<'q>(
                self,
                q: Query<'q, Postgres, PgArguments>,
            ) -> Query<'q, Postgres, PgArguments>
            where
                Self: 'q,
            {
                q$(.bind(self.$field))+
            }

            /// The same values as rows of the table's composite type `ty`, one parameter.
            pub(crate) fn rows(&self, ty: RowType) -> Result<RowArray, StoreError> {
                let mut rows = RowArray::new(ty);
                for n in 0..[$(self.$field.len()),+][0] {
                    let row = rows.begin_row(Self::FIELDS.len() as i32);
                    $(rows.field(&self.$field[n])?;)+
                    rows.end_row(row)?;
                }
                Ok(rows)
            }
        }
    };
}

columns! {
    /// One array per invitation column, in `invitation_batch!` order (`sql/writes.rs`).
    InvitationArrays {
        id: Uuid,
        org_id: Uuid,
        channel: &'static str,
        address_key: String,
        email_key: Option<String>,
        phone: Option<String>,
        contact: String,
        access: String,
        user_ref: Option<String>,
        sender: String,
        created_at: DateTime<Utc>,
        last_invited_at: DateTime<Utc>,
        send_count: i64,
        last_sent_at: Option<DateTime<Utc>>,
        expires_at: Option<DateTime<Utc>>,
        awaiting_delivery: bool,
        link_generation: i64,
        failure: Option<String>,
        signed_up_at: Option<DateTime<Utc>>,
        member_id: Option<Uuid>,
        first_login_at: Option<DateTime<Utc>>,
        completed_at: Option<DateTime<Utc>>,
        completed_by: Option<&'static str>,
        last_follow_up_at: Option<DateTime<Utc>>,
        closed_at: Option<DateTime<Utc>>,
        close_reason: Option<String>,
        version: i64,
        options: String,
    }
}

impl InvitationArrays {
    pub(crate) fn push(&mut self, invitation: &Invitation) -> Result<(), StoreError> {
        let i = invitation.to_record();
        self.id.push(i.id.0);
        self.org_id.push(i.org.0);
        self.channel.push(channel_name(i.channel));
        let key = i.contact.key_for(i.channel).ok_or_else(|| {
            backend(format!(
                "invitation {} cannot be reached by its channel {}",
                i.id, i.channel
            ))
        })?;
        self.address_key.push(key);
        self.email_key
            .push(i.contact.email_address().map(|e| e.key().to_owned()));
        self.phone
            .push(i.contact.phone_number().map(|p| p.as_str().to_owned()));
        self.contact.push(to_json_text(&i.contact)?);
        self.access.push(to_json_text(&i.access)?);
        self.user_ref.push(i.user_ref.as_ref().map(|u| u.0.clone()));
        self.sender.push(to_json_text(&i.sender)?);
        self.created_at.push(i.created_at);
        self.last_invited_at.push(i.last_invited_at);
        self.send_count.push(int(i.send_count)?);
        self.last_sent_at.push(i.last_sent_at);
        self.expires_at.push(i.expires_at);
        self.awaiting_delivery.push(i.awaiting_delivery);
        self.link_generation.push(int(i.link_generation)?);
        self.failure
            .push(i.failure.as_ref().map(to_json_text).transpose()?);
        self.signed_up_at.push(i.signed_up_at);
        self.member_id.push(i.member.map(|m| m.0));
        self.first_login_at.push(i.first_login_at);
        self.completed_at.push(i.completed.map(|(at, _)| at));
        self.completed_by
            .push(i.completed.map(|(_, by)| completed_by_name(by)));
        self.last_follow_up_at.push(i.last_follow_up_at);
        self.closed_at.push(i.closed.as_ref().map(|(at, _)| *at));
        self.close_reason.push(
            i.closed
                .as_ref()
                .map(|(_, r)| to_json_text(r))
                .transpose()?,
        );
        self.version.push(int(i.version)?);
        self.options.push(to_json_text(&i.options)?);
        Ok(())
    }

    /// A statement taking the arrays as its first parameters.
    pub(crate) fn bind(self, statement: &str) -> Query<'_, Postgres, PgArguments> {
        self.bind_to(sqlx::query(statement))
    }
}

columns! {
    MemberArrays {
        id: Uuid,
        org_id: Uuid,
        email_key: Option<String>,
        phone: Option<String>,
        contact: String,
        user_ref: Option<String>,
        access: String,
        invitation_id: Option<Uuid>,
        joined_at: DateTime<Utc>,
        removed_at: Option<DateTime<Utc>>,
        version: i64,
    }
}

impl MemberArrays {
    pub(crate) fn push(&mut self, m: &Member) -> Result<(), StoreError> {
        self.id.push(m.id.0);
        self.org_id.push(m.org.0);
        self.email_key
            .push(m.contact.email_address().map(|e| e.key().to_owned()));
        self.phone
            .push(m.contact.phone_number().map(|p| p.as_str().to_owned()));
        self.contact.push(to_json_text(&m.contact)?);
        self.user_ref.push(m.user_ref.as_ref().map(|u| u.0.clone()));
        self.access.push(to_json_text(&m.access)?);
        self.invitation_id.push(m.invitation.map(|i| i.0));
        self.joined_at.push(m.joined_at);
        self.removed_at.push(m.removed_at);
        self.version.push(int(m.version)?);
        Ok(())
    }

    /// A statement taking the arrays as its first parameters.
    pub(crate) fn bind(self, statement: &str) -> Query<'_, Postgres, PgArguments> {
        self.bind_to(sqlx::query(statement))
    }
}

columns! {
    MessageArrays {
        pub(crate) id: Uuid,
        org_id: Uuid,
        invitation_id: Uuid,
        kind: &'static str,
        link_generation: i64,
        reminder_day: Option<NaiveDate>,
        created_at: DateTime<Utc>,
        due_at: DateTime<Utc>,
        attempts: i64,
        last_error: Option<String>,
        state: &'static str,
        sent_at: Option<DateTime<Utc>>,
        state_reason: Option<String>,
        lease_token: Option<Uuid>,
        lease_until: Option<DateTime<Utc>>,
    }
}

impl MessageArrays {
    pub(crate) fn push(&mut self, m: &OutboxMessage) -> Result<(), StoreError> {
        self.id.push(m.id.0);
        self.org_id.push(m.org.0);
        self.invitation_id.push(m.invitation.0);
        self.kind.push(kind_name(m.kind));
        self.link_generation.push(int(m.link_generation)?);
        self.reminder_day.push(m.reminder_day);
        self.created_at.push(m.created_at);
        self.due_at.push(m.due_at);
        self.attempts.push(int(m.attempts)?);
        self.last_error.push(m.last_error.clone());
        let (state, sent_at, reason) = outbox_state(&m.state);
        self.state.push(state);
        self.sent_at.push(sent_at);
        self.state_reason.push(reason.map(str::to_owned));
        self.lease_token.push(m.lease.map(|l| l.token));
        self.lease_until.push(m.lease.map(|l| l.until));
        Ok(())
    }
}

columns! {
    /// New link hashes, in `INSERT_LINKS` order.
    LinkArrays {
        hash: [u8; 32],
        invitation_id: Uuid,
        generation: i64,
        issued_at: DateTime<Utc>,
    }
}

impl LinkArrays {
    pub(crate) fn of<'l>(
        links: impl IntoIterator<Item = &'l LinkRecord>,
    ) -> Result<Self, StoreError> {
        let mut a = Self::default();
        for l in links {
            a.hash.push(l.hash.0);
            a.invitation_id.push(l.invitation.0);
            a.generation.push(int(l.generation)?);
            a.issued_at.push(l.issued_at);
        }
        Ok(a)
    }
}

columns! {
    /// Finished messages, in id order (row locks in one order), in `FINISH_MESSAGES` order.
    FinishArrays<'c> {
        pub(crate) id: Uuid,
        outcome: &'static str,
        at: Option<DateTime<Utc>>,
        due_at: Option<DateTime<Utc>>,
        text: Option<&'c str>,
        lease: Uuid,
        provider_id: Option<&'c str>,
        parts: Option<i64>,
    }
}

impl<'c> FinishArrays<'c> {
    pub(crate) fn of(updates: impl IntoIterator<Item = &'c OutboxUpdate>) -> Self {
        let mut updates: Vec<&OutboxUpdate> = updates.into_iter().collect();
        updates.sort_by_key(|u| u.id);
        let mut a = Self::default();
        for u in updates {
            a.id.push(u.id.0);
            a.lease.push(u.lease);
            let receipt = match &u.outcome {
                OutboxOutcome::Sent { receipt, .. } => receipt.as_ref(),
                _ => None,
            };
            a.provider_id
                .push(receipt.and_then(|r| r.provider_id.as_deref()));
            a.parts.push(receipt.map(|r| i64::from(r.parts)));
            let (name, when, due, words) = match &u.outcome {
                OutboxOutcome::Sent { at, .. } => ("sent", Some(*at), None, None::<&str>),
                OutboxOutcome::Retry { due_at, error } => {
                    ("retry", None, Some(*due_at), Some(error.as_str()))
                }
                OutboxOutcome::Released { due_at, error } => {
                    ("release", None, Some(*due_at), Some(error.as_str()))
                }
                OutboxOutcome::Dead { reason } => ("dead", None, None, Some(reason.as_str())),
                OutboxOutcome::Dropped { reason } => ("dropped", None, None, Some(reason.as_str())),
            };
            a.outcome.push(name);
            a.at.push(when);
            a.due_at.push(due);
            a.text.push(words);
        }
        a
    }
}

columns! {
    /// Audit events, in the order given, in `INSERT_AUDIT` order.
    AuditArrays {
        id: Uuid,
        org_id: Uuid,
        invitation_id: Option<Uuid>,
        at: DateTime<Utc>,
        kind: String,
        action: String,
        actor: String,
        before_status: Option<&'static str>,
        after_status: Option<&'static str>,
    }
}

impl AuditArrays {
    pub(crate) fn of<'e>(
        events: impl IntoIterator<Item = &'e AuditEvent>,
    ) -> Result<Self, StoreError> {
        let mut a = Self::default();
        for e in events {
            a.id.push(e.id.0);
            a.org_id.push(e.org.0);
            a.invitation_id
                .push(e.invitation.map(|i: InvitationId| i.0));
            a.at.push(e.at);
            let action = to_json_text(&e.action)?;
            a.kind.push(codec::audit_kind(&action)?);
            a.action.push(action);
            a.actor.push(to_json_text(&e.actor)?);
            a.before_status.push(e.before.map(status_name));
            a.after_status.push(e.after.map(status_name));
        }
        Ok(a)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.id.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PgStore;
    use sqlx::PgPool;

    /// Each composite type of migration `commit_rows` has its struct's columns, by name and
    /// in order. Two fields of one type swapped would pass every type check on the way in and
    /// write each one's values into the other's column.
    #[sqlx::test(migrations = false)]
    async fn each_row_type_has_the_columns_of_its_arrays_in_their_order(pool: PgPool) {
        PgStore::new(pool.clone())
            .migrate()
            .await
            .expect("the migrations apply");
        for (ty, fields) in [
            ("invitation_row", InvitationArrays::FIELDS),
            ("member_row", MemberArrays::FIELDS),
            ("link_row", LinkArrays::FIELDS),
            ("finish_row", FinishArrays::FIELDS),
            ("message_row", MessageArrays::FIELDS),
            ("audit_row", AuditArrays::FIELDS),
        ] {
            let names: Vec<String> = sqlx::query_scalar(
                "SELECT a.attname::text FROM pg_attribute a \
                 WHERE a.attrelid = (SELECT typrelid FROM pg_type WHERE oid = to_regtype($1)) \
                   AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            )
            .bind(format!("invite.{ty}"))
            .fetch_all(&pool)
            .await
            .expect("the catalog answers");
            assert_eq!(names, fields, "the fields of {ty}");
        }
    }
}
