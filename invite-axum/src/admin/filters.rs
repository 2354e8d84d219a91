//! The table's filter form (issue 13: type, permission level, role, client, sender, channel)
//! and the query string every link of the table carries, so that a tab, the next page or the
//! first page keeps the search, the sort and the filters the admin chose.

use crate::api::invitations::ListParams;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

/// What a query value escapes: all but the characters URLs leave alone (RFC 3986's
/// unreserved), so `last_invited` stays readable.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The filters as the form shows them: each the value chosen, or empty for "any".
#[derive(Debug, Default, Serialize)]
pub(crate) struct FilterView {
    /// `admin`, `user` or empty.
    pub(crate) kind: String,
    /// A permission level, as typed.
    pub(crate) permission_level: String,
    /// `admin`, `read_only` or empty.
    pub(crate) role: String,
    /// A client organization's id, or empty.
    pub(crate) client: String,
    /// A sender's application user id, as typed.
    pub(crate) sender: String,
    /// `email`, `sms` or empty.
    pub(crate) channel: String,
    /// Whether any filter is set (the form then offers to clear them).
    pub(crate) active: bool,
}

fn text(o: &Option<String>) -> String {
    o.as_deref().map(str::trim).unwrap_or_default().to_owned()
}

impl FilterView {
    /// The form's values of a list query the core accepted.
    pub(crate) fn of(list: &ListParams) -> Self {
        let mut view = Self {
            kind: text(&list.invitation_type),
            permission_level: text(&list.permission_level),
            role: text(&list.role),
            client: list.client.map(|c| c.to_string()).unwrap_or_default(),
            sender: text(&list.sender),
            channel: text(&list.channel),
            active: false,
        };
        view.active = [
            &view.kind,
            &view.permission_level,
            &view.role,
            &view.client,
            &view.sender,
            &view.channel,
        ]
        .iter()
        .any(|v| !v.is_empty());
        view
    }

    /// `&name=value` for each filter set, percent-encoded.
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("type", self.kind.as_str()),
            ("permission_level", &self.permission_level),
            ("role", &self.role),
            ("client", &self.client),
            ("sender", &self.sender),
            ("channel", &self.channel),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect()
    }
}

/// The query string a tab or a page link appends after its `tab`: search, sort, order, the
/// page size if one was asked, and the filters, each `&name=value` percent-encoded (the template escapes the `&` for HTML).
pub(crate) fn keep(list: &ListParams, filters: &FilterView) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(q) = list.q.as_deref().filter(|q| !q.trim().is_empty()) {
        pairs.push(("q", q.to_owned()));
    }
    pairs.push((
        "sort",
        list.sort.clone().unwrap_or_else(|| "last_invited".into()),
    ));
    pairs.push((
        "order",
        list.order.clone().unwrap_or_else(|| "newest".into()),
    ));
    if let Some(limit) = list.limit {
        pairs.push(("limit", limit.to_string()));
    }
    pairs.extend(filters.pairs().into_iter().map(|(k, v)| (k, v.to_owned())));
    pairs
        .iter()
        .map(|(k, v)| format!("&{k}={}", utf8_percent_encode(v, VALUE)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_search_the_sort_and_every_filter_set() {
        let list = ListParams {
            q: Some("a&b".into()),
            invitation_type: Some("admin".into()),
            permission_level: Some(" billing ".into()),
            channel: Some("sms".into()),
            ..ListParams::default()
        };
        let view = FilterView::of(&list);
        assert!(view.active);
        assert_eq!(view.permission_level, "billing");
        assert_eq!(
            keep(&list, &view),
            "&q=a%26b&sort=last_invited&order=newest&type=admin&permission_level=billing&channel=sms"
        );
        let none = ListParams::default();
        assert!(!FilterView::of(&none).active);
        assert_eq!(
            keep(&none, &FilterView::of(&none)),
            "&sort=last_invited&order=newest"
        );
    }
}
