//! From what a network says to what the inbox stores: a message in the store's shape, with the
//! conversations it may belong to (decided by `relais_inbox::thread`).

use relais_core::{InboxMessageId, Timestamp};
use relais_inbox::thread::{Arrival, ThreadRefs, threading};
use relais_networks::inbox::{IncomingMessage, MessageKind as NetworkKind};
use relais_store::inbox::{MessageKind, NewContactAccount, NewInboxMessage};
use relais_store::listening::Mention;

/// The most characters of a message kept: far above every network's limit, so only a
/// misbehaving API is cut.
const MAX_TEXT_CHARS: usize = 20_000;

fn arrival_of(kind: NetworkKind) -> (Arrival, MessageKind) {
    match kind {
        NetworkKind::Mention => (Arrival::Mention, MessageKind::Mention),
        NetworkKind::Reply => (Arrival::Reply, MessageKind::Reply),
        NetworkKind::Comment => (Arrival::Comment, MessageKind::Comment),
        NetworkKind::Quote => (Arrival::Quote, MessageKind::Quote),
        NetworkKind::Repost => (Arrival::Repost, MessageKind::Repost),
        NetworkKind::Direct => (Arrival::Direct, MessageKind::Direct),
    }
}

fn cut(text: &str) -> String {
    match text.char_indices().nth(MAX_TEXT_CHARS) {
        Some((at, _)) => text[..at].to_owned(),
        None => text.to_owned(),
    }
}

/// The store's shape of a message read on `network`.
pub fn to_new_message(network: &str, message: &IncomingMessage) -> NewInboxMessage {
    let (arrival, kind) = arrival_of(message.kind);
    let threading = threading(&ThreadRefs {
        arrival,
        network_id: &message.network_id,
        author_id: &message.author.id,
        parent: message.parent.as_ref().map(|p| p.id.as_str()),
        root: message.root.as_ref().map(|r| r.id.as_str()),
        subject: message.subject.as_ref().map(|s| s.id.as_str()),
        direct_thread: message.direct_thread.as_deref(),
    });
    let author = &message.author;
    NewInboxMessage {
        id: InboxMessageId::new(),
        network_id: message.network_id.clone(),
        kind,
        author: NewContactAccount {
            network: network.to_owned(),
            author_id: author.id.clone(),
            handle: author.handle.clone(),
            display_name: author.display_name.clone().filter(|n| !n.trim().is_empty()),
            avatar_url: author.avatar_url.clone(),
            profile_url: author.profile_url.clone(),
            followers: author.followers,
            account_created_at: author.created_at.map(Timestamp::from_millis),
        },
        text: cut(&message.text),
        lang: message.lang.clone(),
        url: message.url.clone(),
        version: message.version.clone(),
        parent_id: message.parent.as_ref().map(|p| p.id.clone()),
        root_id: message.root.as_ref().map(|r| r.id.clone()),
        root_version: message.root.as_ref().and_then(|r| r.version.clone()),
        sent_at: Timestamp::from_millis(message.created_at),
        thread_candidates: threading.candidates,
        new_thread_key: threading.new_key,
    }
}

/// A mention found by listening, sent to the inbox by a person: a conversation of its own
/// under the mention's key (a network search's key is the post's network id, so the same post
/// arriving later through the channel's inbox is recognised and stored once).
pub fn from_mention(mention: &Mention) -> NewInboxMessage {
    let handle = mention
        .author
        .clone()
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(|| mention.site.clone().unwrap_or_else(|| "?".into()));
    let text = match &mention.title {
        Some(title) if !title.trim().is_empty() && !mention.text.contains(title.as_str()) => {
            format!("{title}\n\n{}", mention.text)
        }
        _ => mention.text.clone(),
    };
    let threading = threading(&ThreadRefs {
        arrival: Arrival::Listening,
        network_id: &mention.key,
        author_id: &handle,
        parent: None,
        root: None,
        subject: None,
        direct_thread: None,
    });
    NewInboxMessage {
        id: InboxMessageId::new(),
        network_id: mention.key.clone(),
        kind: MessageKind::Listening,
        author: NewContactAccount {
            network: mention.source_kind.as_str().to_owned(),
            author_id: handle.clone(),
            handle,
            followers: mention.reach,
            ..NewContactAccount::default()
        },
        text: cut(&text),
        lang: mention.lang.clone(),
        url: mention.url.clone(),
        version: None,
        parent_id: None,
        root_id: None,
        root_version: None,
        sent_at: mention.at,
        thread_candidates: threading.candidates,
        new_thread_key: threading.new_key,
    }
}

/// Messages in the order the store wants them: oldest first, so that an answer finds the
/// message it answers in the same batch.
pub fn oldest_first(mut messages: Vec<IncomingMessage>) -> Vec<IncomingMessage> {
    messages.sort_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then_with(|| a.network_id.cmp(&b.network_id))
    });
    messages
}

#[cfg(test)]
mod tests {
    use super::*;
    use relais_networks::inbox::{Author, PostRef};

    fn message(kind: NetworkKind) -> IncomingMessage {
        IncomingMessage {
            network_id: "at://did:plc:fan/app.bsky.feed.post/2".into(),
            version: Some("bafy2".into()),
            url: Some("https://bsky.app/profile/did:plc:fan/post/2".into()),
            kind,
            author: Author {
                id: "did:plc:fan".into(),
                handle: "fan.test".into(),
                display_name: Some("  ".into()),
                created_at: Some(1_000),
                ..Author::default()
            },
            text: "é".repeat(MAX_TEXT_CHARS + 5),
            lang: Some("fr".into()),
            created_at: 5_000,
            parent: Some(PostRef {
                id: "at://did:plc:brand/app.bsky.feed.post/1".into(),
                ..PostRef::default()
            }),
            root: Some(PostRef {
                id: "at://did:plc:brand/app.bsky.feed.post/1".into(),
                version: Some("bafy1".into()),
                ..PostRef::default()
            }),
            subject: None,
            direct_thread: None,
        }
    }

    #[test]
    fn a_reply_keeps_its_refs_and_looks_for_its_parent() {
        let new = to_new_message("bluesky", &message(NetworkKind::Reply));
        assert_eq!(new.kind, MessageKind::Reply);
        assert_eq!(
            new.thread_candidates,
            ["at://did:plc:brand/app.bsky.feed.post/1"]
        );
        assert_eq!(new.new_thread_key, new.network_id);
        assert_eq!(new.root_version.as_deref(), Some("bafy1"));
        assert_eq!(new.author.network, "bluesky");
        assert_eq!(new.author.display_name, None, "a blank name is no name");
        assert_eq!(
            new.author.account_created_at,
            Some(Timestamp::from_millis(1_000))
        );
        assert_eq!(new.text.chars().count(), MAX_TEXT_CHARS);
        assert_eq!(new.sent_at, Timestamp::from_millis(5_000));
    }

    #[test]
    fn batches_go_oldest_first() {
        let mut late = message(NetworkKind::Mention);
        late.created_at = 9;
        let mut early = message(NetworkKind::Mention);
        early.created_at = 1;
        let sorted = oldest_first(vec![late, early]);
        assert_eq!(sorted[0].created_at, 1);
    }
}
