//! The dashboard's split counts (issue 13): the core's `CountSplits` as rows of a small table
//! under the tiles, admins and general users, e-mail and SMS, each counted per tab.

use invite_core::{CountSplits, TabCounts};
use serde::Serialize;
use std::collections::BTreeMap;

/// One row of the split table: which part, and its counts per tab.
#[derive(Debug, Serialize)]
pub(crate) struct SplitView {
    /// `admins`, `users`, `email` or `sms` (the row's id is `split-{key}`).
    pub(crate) key: &'static str,
    /// The row's heading, in the page's language.
    pub(crate) label: &'static str,
    /// Its counts per tab.
    pub(crate) counts: TabCounts,
}

/// The four rows, by type then by channel.
pub(crate) fn rows(t: &BTreeMap<&'static str, &'static str>, s: &CountSplits) -> Vec<SplitView> {
    let row = |key: &'static str, counts: TabCounts| SplitView {
        key,
        label: t
            .get(format!("split_{key}").as_str())
            .copied()
            .unwrap_or("?"),
        counts,
    };
    vec![
        row("admins", s.by_type.admins),
        row("users", s.by_type.users),
        row("email", s.by_channel.email),
        row("sms", s.by_channel.sms),
    ]
}
