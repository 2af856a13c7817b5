//! A message as the rules see it. Every time is given by the caller, in milliseconds since the
//! Unix epoch (UTC), as `relais_core::Timestamp::millis` stores them.

/// One message to check, with what the rules need to know around it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Message<'a> {
    pub text: &'a str,
    /// The author's handle on the network (with or without `@`).
    pub author: &'a str,
    /// The network's name: `facebook`, `instagram`, `youtube`, `mastodon`, `bluesky`…
    pub network: &'a str,
    /// When the author's account was created, if the network says; unknown, a `new_account`
    /// rule does not match.
    pub author_created_at_ms: Option<i64>,
    /// The author's earlier messages (not this one), for `repeated` rules. Those older than the
    /// longest window are ignored, so passing a few more is harmless.
    pub recent: &'a [RecentMessage<'a>],
    /// The message's toxicity score, 0 (harmless) to 1; unknown, a `toxicity` rule does not
    /// match.
    pub toxicity: Option<f32>,
    /// When the message was sent (or received): the reference for windows and ages.
    pub now_ms: i64,
}

impl<'a> Message<'a> {
    /// A message with only a text (what the rules editor's test box has).
    pub fn text(text: &'a str) -> Self {
        Message {
            text,
            ..Message::default()
        }
    }
}

/// One of the author's earlier messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentMessage<'a> {
    pub text: &'a str,
    pub at_ms: i64,
}
