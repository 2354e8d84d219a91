//! The store's statements by name, for the tests that run them outside the store
//! (`EXPLAIN`).

use invite_sqlx::PgStore;

/// The store's statement `name`, as rendered for its schema.
pub(crate) fn statement(store: &PgStore, name: &str) -> String {
    store
        .statements()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, sql)| sql.to_owned())
        .unwrap_or_else(|| panic!("the store has no statement {name}"))
}
