//! What the inbox does when a rule matches, and how the actions of several rules merge.

use serde::{Deserialize, Serialize};

/// An action of a rule. The inbox carries it out where the network's API allows it (Facebook
/// and Instagram hide comments, YouTube sets a moderation status, Mastodon and Bluesky mute,
/// block and report) and records it in the audit log.
///
/// The variants are declared strongest first, and [`Action::strength`] follows that order:
/// what removes the message for everyone, then what hides it, then what acts on the author
/// (blocking stops them for good, muting only from our view), then asking others to judge (the
/// network's moderators, then our own review queue), then what only adds something (a reply,
/// a tag).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Delete the message on the network.
    Delete,
    /// Hide the message on the network (still visible to its author on most networks).
    Hide,
    /// Block the author.
    Block,
    /// Mute the author.
    Mute,
    /// Report the message to the network's moderators.
    Report,
    /// Send the message to the workspace's review queue.
    Review,
    /// Reply publicly; `{{netiquette_url}}` in the text is replaced by the workspace's
    /// netiquette address ([`fill_netiquette`]).
    AutoReply { text: String },
    /// Label the message in the inbox.
    Tag { name: String },
}

impl Action {
    /// Its rank when merging: 0 is the strongest.
    pub fn strength(&self) -> u8 {
        match self {
            Action::Delete => 0,
            Action::Hide => 1,
            Action::Block => 2,
            Action::Mute => 3,
            Action::Report => 4,
            Action::Review => 5,
            Action::AutoReply { .. } => 6,
            Action::Tag { .. } => 7,
        }
    }
}

/// The actions of several matched rules, in the rules' order, merged: each action once,
/// strongest first; a single automatic reply (the first one given); tags in the order first
/// met. The sort is stable, so equal ranks keep the rules' order.
pub fn merge_actions<'a>(actions: impl IntoIterator<Item = &'a Action>) -> Vec<Action> {
    let mut merged: Vec<Action> = Vec::new();
    for action in actions {
        let already = merged.iter().any(|kept| match (kept, action) {
            (Action::AutoReply { .. }, Action::AutoReply { .. }) => true,
            (Action::Tag { name: kept }, Action::Tag { name }) => kept.trim() == name.trim(),
            (kept, action) => kept == action,
        });
        if !already {
            merged.push(action.clone());
        }
    }
    merged.sort_by_key(Action::strength);
    merged
}

/// An automatic reply's text with each `{{netiquette_url}}` replaced by `url`.
pub fn fill_netiquette(text: &str, url: &str) -> String {
    text.replace("{{netiquette_url}}", url)
}
