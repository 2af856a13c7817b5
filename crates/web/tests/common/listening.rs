//! Listening's test data for the page tests: mentions as the pipeline would store them.
#![allow(dead_code, clippy::unwrap_used)]

use relais_core::{MentionId, Timestamp};
use relais_store::Workspace;
use relais_store::listening::{NewMention, Sentiment, SourceKind};

use super::App;

/// A neutral feed mention of `ws` with this text, counting at `at` (ms), under a key of its own.
pub fn mention(ws: &Workspace, text: &str, at: i64) -> NewMention {
    NewMention {
        id: MentionId::new(),
        workspace_id: ws.id,
        source_id: None,
        source_kind: SourceKind::Feed,
        key: format!("key-{}", MentionId::new()),
        url: Some("https://news.example/a".into()),
        title: None,
        text: text.into(),
        author: None,
        reach: None,
        site: Some("news.example".into()),
        lang: None,
        sentiment: Sentiment::Neutral,
        score_milli: 0,
        fingerprint: None,
        duplicate_of: None,
        at: Timestamp::from_millis(at),
        found_at: Timestamp::from_millis(at + 1000),
        query_ids: Vec::new(),
    }
}

/// Stores mentions that must all be new; returns their ids.
pub async fn insert(app: &App, mentions: Vec<NewMention>) -> Vec<MentionId> {
    app.store
        .insert_mentions(mentions)
        .await
        .unwrap()
        .into_iter()
        .map(|stored| stored.expect("a new mention"))
        .collect()
}
