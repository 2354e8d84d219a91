//! The story's inbox: the messages the notifiers accepted, printed as they arrive, and the
//! links the invitees "click".

use crate::Res;
use crate::output::{language, short_link, table};
use invite_core::{Notification, RecordingNotifier};
use std::sync::Arc;

/// The messages the notifiers accepted, as `RecordingNotifier` kept them beside the real
/// delivery: a real application has no such copy; the story needs one to print the messages
/// and "click" their links.
pub(crate) struct Inbox {
    /// The copy of every delivered message.
    pub(crate) notifier: Arc<RecordingNotifier>,
    /// How many of them were printed already.
    pub(crate) shown: usize,
}

impl Inbox {
    /// Prints the messages delivered since the last call.
    pub(crate) fn print_new(&mut self) {
        let delivered = self.notifier.delivered();
        table(
            ["message", "by", "to", "lang", "link"],
            delivered[self.shown..].iter().map(|n| {
                [
                    n.kind.to_string(),
                    n.channel.to_string(),
                    n.to.clone(),
                    language(n.language).to_owned(),
                    short_link(n),
                ]
            }),
        );
        self.shown = delivered.len();
    }

    /// The token of the newest link delivered to `to`: what the invitee clicks.
    pub(crate) fn token_for(&self, to: &str) -> Res<String> {
        let mut delivered = self.notifier.delivered_to(to);
        delivered.reverse();
        token_of(delivered, to)
    }

    /// The token of the first link delivered to `to`: the one an invitee kept from their
    /// first message.
    pub(crate) fn first_token_for(&self, to: &str) -> Res<String> {
        token_of(self.notifier.delivered_to(to), to)
    }
}

/// The token of the first message of `messages` that carries a link.
fn token_of(messages: Vec<Notification>, to: &str) -> Res<String> {
    let url = (messages.into_iter())
        .find_map(|n| n.signup_url)
        .ok_or_else(|| format!("no link was delivered to {to}"))?;
    let (_, token) = url
        .expose()
        .rsplit_once("token=")
        .ok_or("a link without a token")?;
    Ok(token.to_owned())
}
