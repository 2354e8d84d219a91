//! The PostgreSQL schema that holds the store's tables, indexes, functions and migrations
//! bookkeeping (issue 10.3): `invite` by default, another per [`PgStore`](crate::PgStore) if
//! asked. The name is the one piece of SQL not written in this crate, so it is checked here
//! once, at construction, and always used quoted.

use std::fmt;

/// A validated schema name: a plain lower-case SQL identifier.
///
/// Plain means `[a-z_][a-z0-9_]*`, at most 63 bytes (PostgreSQL's identifier limit, past
/// which it would silently truncate), so the quoted and unquoted spellings name the same
/// schema and the name can be spliced into a statement without any escaping. `public` and
/// the system schemas (`pg_*`, `information_schema`) are refused: the point of a schema of
/// its own is not to share one with the application or the server.
///
/// ```
/// use invite_sqlx::SchemaName;
/// assert_eq!(SchemaName::new("inv_alt").unwrap().as_str(), "inv_alt");
/// assert_eq!(SchemaName::default().as_str(), "invite");
/// assert!(SchemaName::new("Invite").is_err()); // upper case folds differently unquoted
/// assert!(SchemaName::new("a\"; DROP TABLE x; --").is_err());
/// assert!(SchemaName::new("public").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SchemaName(String);

/// The schema used by [`PgStore::new`](crate::PgStore::new).
pub const DEFAULT_SCHEMA: &str = "invite";

/// PostgreSQL truncates longer identifiers (`NAMEDATALEN - 1`).
const MAX_IDENTIFIER_BYTES: usize = 63;

impl SchemaName {
    /// Checks `name` (see the type's documentation for the rules).
    pub fn new(name: &str) -> Result<Self, InvalidSchemaName> {
        let refuse = |why: &'static str| {
            Err(InvalidSchemaName {
                name: name.to_owned(),
                why,
            })
        };
        let mut chars = name.chars();
        match chars.next() {
            None => return refuse("it is empty"),
            Some(c) if c.is_ascii_lowercase() || c == '_' => {}
            Some(_) => return refuse("it must start with a lower-case letter or `_`"),
        }
        if !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            return refuse("only lower-case ASCII letters, digits and `_` are allowed");
        }
        if name.len() > MAX_IDENTIFIER_BYTES {
            return refuse("PostgreSQL identifiers have at most 63 bytes");
        }
        if name == "public" || name == "information_schema" || name.starts_with("pg_") {
            return refuse("it is the application's or the server's schema");
        }
        Ok(Self(name.to_owned()))
    }

    /// The name as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as a quoted identifier, `"invite"`, ready to splice into a statement. Safe by
    /// construction: a valid name contains no quote.
    pub(crate) fn quoted(&self) -> String {
        ["\"", &self.0, "\""].concat()
    }
}

impl Default for SchemaName {
    fn default() -> Self {
        Self(DEFAULT_SCHEMA.to_owned())
    }
}

impl fmt::Display for SchemaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A schema name [`SchemaName::new`] refused, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{name:?} is not a valid schema name for invite-sqlx: {why}")]
pub struct InvalidSchemaName {
    name: String,
    why: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_identifiers_are_accepted() {
        for ok in ["invite", "inv_alt", "_x", "a1", &"a".repeat(63)] {
            assert!(SchemaName::new(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn anything_that_would_need_escaping_or_is_taken_is_refused() {
        for bad in [
            "",
            "1abc",
            "Invite",
            "in vite",
            "in-vite",
            "inv\"ite",
            "inv'ite",
            "inv\0ite",
            "invité",
            "public",
            "pg_catalog",
            "pg_x",
            "information_schema",
            &"a".repeat(64),
        ] {
            assert!(SchemaName::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn quoted_wraps_the_name() {
        assert_eq!(SchemaName::default().quoted(), "\"invite\"");
    }
}
