//! From what a source found to mentions: each item analysed once, kept when it matches a
//! query of the source's workspace, folded with an earlier mention of the same content, then
//! stored (an item already stored, by this source or another, is not stored again).

use std::collections::HashMap;

use relais_core::{MentionId, Timestamp, WorkspaceId};
use relais_listen::duplicate::Folder;
use relais_listen::found::Found;
use relais_listen::pipeline::PipelineScratch;
use relais_listen::sentiment::Label;
use relais_store::listening::{ListenSource, NewMention, Sentiment, SourceKind};

use crate::queries::CompiledQueries;

/// Fingerprints remembered per workspace for folding near-duplicates.
pub const FOLDER_CAPACITY: usize = 20_000;
/// A publication date further ahead than this is not believed (a wrong clock, a feed's
/// placeholder): the mention counts when it was found.
const FUTURE_TOLERANCE_MS: i64 = 60 * 60 * 1000;
const MAX_TEXT_CHARS: usize = 20_000;

/// A workspace's recent contents, to tell a repost from a new mention. The folder works on
/// numbers that grow with arrival; `ids` maps them back to mention ids.
pub struct WorkspaceFolder {
    folder: Folder,
    ids: HashMap<u64, MentionId>,
    next: u64,
}

impl WorkspaceFolder {
    /// Remembers `known` (oldest first), as the store's `latest_fingerprints` lists them.
    pub fn warmed(known: &[(MentionId, u64)]) -> Self {
        let mut folder = WorkspaceFolder {
            folder: Folder::new(FOLDER_CAPACITY),
            ids: HashMap::new(),
            next: 0,
        };
        for &(id, fingerprint) in known {
            folder.fold(id, fingerprint);
        }
        folder
    }

    /// The first mention of the same content, or `None` when `id` is the first (remembered).
    fn fold(&mut self, id: MentionId, fingerprint: u64) -> Option<MentionId> {
        let number = self.next;
        self.next += 1;
        match self.folder.fold(number, fingerprint) {
            Some(first) => self.ids.get(&first).copied(),
            None => {
                self.ids.insert(number, id);
                // The folder forgets the oldest beyond its capacity: so does the map.
                if self.ids.len() > FOLDER_CAPACITY * 2 {
                    let horizon = number.saturating_sub(FOLDER_CAPACITY as u64);
                    self.ids.retain(|n, _| *n >= horizon);
                }
                None
            }
        }
    }
}

/// Folders by workspace, warmed from the store the first time a workspace is seen.
#[derive(Default)]
pub struct Folders {
    by_workspace: HashMap<WorkspaceId, WorkspaceFolder>,
}

impl Folders {
    pub fn insert(&mut self, workspace: WorkspaceId, folder: WorkspaceFolder) {
        self.by_workspace.insert(workspace, folder);
    }

    pub fn get_mut(&mut self, workspace: WorkspaceId) -> Option<&mut WorkspaceFolder> {
        self.by_workspace.get_mut(&workspace)
    }
}

fn stored_sentiment(label: Label) -> Sentiment {
    match label {
        Label::Negative => Sentiment::Negative,
        Label::Neutral => Sentiment::Neutral,
        Label::Positive => Sentiment::Positive,
    }
}

/// The key a mention is stored under. A feed's entry ids are often only unique within the
/// feed ("1", "42" from a small CMS): unless an id is globally unique by its form (an address,
/// a `tag:` or `urn:` URI), it is prefixed with its source, so that two feeds' "1" stay apart.
/// Networks' ids are unique on the network already.
fn stored_key(source: &ListenSource, key: &str) -> String {
    let global = key.contains("://") || key.starts_with("tag:") || key.starts_with("urn:");
    match source.kind {
        SourceKind::Feed | SourceKind::Page if !global => format!("{}#{key}", source.id),
        _ => key.to_owned(),
    }
}

fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => text[..at].to_owned(),
        None => text.to_owned(),
    }
}

/// The mentions `found` holds for `source`'s workspace: items that match none of its queries
/// are dropped. Near-duplicates are folded against `folder` (and against each other).
pub fn mentions_of(
    source: &ListenSource,
    found: &[Found],
    queries: &CompiledQueries,
    folder: &mut WorkspaceFolder,
    now: Timestamp,
) -> Vec<NewMention> {
    let mut scratch = PipelineScratch::default();
    let pipeline = queries.pipeline();
    let mut mentions = Vec::new();
    // The whole poll's items at once: each step's tables stay in the caches for the batch.
    let analyses = pipeline.analyze_batch(found, source.kind.as_str(), false, &mut scratch);
    for (item, analysis) in found.iter().zip(analyses) {
        if item.key.trim().is_empty() || (item.text.trim().is_empty() && item.title.is_none()) {
            continue;
        }
        let query_ids = queries.of_workspace(&analysis.matches, source.workspace_id);
        if query_ids.is_empty() {
            continue;
        }
        let id = MentionId::new();
        let duplicate_of = analysis
            .fingerprint
            .and_then(|fingerprint| folder.fold(id, fingerprint));
        let at = item
            .published_at
            .filter(|&published| published <= now.millis() + FUTURE_TOLERANCE_MS)
            .map_or(now, |published| {
                Timestamp::from_millis(published.min(now.millis()))
            });
        mentions.push(NewMention {
            id,
            workspace_id: source.workspace_id,
            source_id: Some(source.id),
            source_kind: source.kind,
            key: stored_key(source, &item.key),
            url: item.url.clone(),
            title: item.title.clone(),
            text: truncate_chars(&item.text, MAX_TEXT_CHARS),
            author: item.author.clone(),
            reach: item.reach,
            site: item.site.clone(),
            lang: analysis.lang.map(|l| l.code().to_owned()),
            sentiment: stored_sentiment(analysis.sentiment.label),
            score_milli: (f64::from(analysis.sentiment.score) * 1000.0).round() as i64,
            fingerprint: analysis.fingerprint,
            duplicate_of,
            at,
            found_at: now,
            query_ids,
        });
    }
    mentions
}
