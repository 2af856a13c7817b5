//! Many queries (all those of all workspaces) matched together.
//!
//! Each query is reduced to its anchors ([`super::anchors`]): words one of which must be in a
//! mention for the query to match. The anchors of all queries are indexed by word: whole
//! words by their hash, wildcards' beginnings by their first three bytes. A mention is already
//! cut into words (once, for all queries), so finding the anchors it holds is one or two
//! table probes per word. Only the queries whose anchors were found, and those without
//! anchors, are then evaluated exactly. With ten thousand queries a short mention finds a
//! handful of anchors: it costs its words' probes plus a few evaluations.
//!
//! Why not an Aho-Corasick automaton over the text, the usual multi-pattern tool: anchors are
//! whole words (or word beginnings), and the words are known once the mention is cut, so a
//! probe per word finds the same anchors as an automaton walking every byte with its failure
//! links, in less than half the time (measured on ten thousand queries' anchors and real
//! tweets by the `query_bench` example).

use std::collections::HashMap;

use super::anchors::{Anchor, anchors};
use super::ast::WordPattern;
use super::eval::eval;
use super::program::{Pattern, Program};
use super::table::KeyTable;
use super::{Doc, PreparedDoc, Query};
use crate::text::{Span, head_of, word_hash};

/// The bytes of a wildcard's beginning that index it: [`super::MIN_WILDCARD_STEM`] characters
/// are at least this many bytes.
const STEM_KEY_BYTES: usize = 3;
const STEM_KEY_MASK: u64 = (1 << (8 * STEM_KEY_BYTES)) - 1;

/// Queries compiled together for matching. Build it once when queries change; share it
/// between threads (it is read-only), each thread keeping its own [`MatchScratch`].
#[derive(Debug, Clone)]
pub struct QuerySet {
    ids: Vec<u64>,
    /// All queries, compiled one after the other; query `q` is evaluated from `entries[q]`.
    /// The wildcards' beginnings of `stems` keep their text here too.
    program: Program,
    entries: Vec<u32>,
    /// Each distinct anchor.
    anchors: Vec<Anchor>,
    /// Whole-word anchors: [`word_hash`] of the word → list of queries (see `members`).
    words: KeyTable,
    /// Wildcard anchors: first bytes → bucket (index into `bucket_starts`).
    stem_buckets: KeyTable,
    /// Bucket `b` is `stems[bucket_starts[b]..bucket_starts[b + 1]]`: each wildcard's
    /// beginning (to check against the word) and its list.
    bucket_starts: Vec<u32>,
    stems: Vec<(Pattern, u32)>,
    /// The lists of queries anchors may start, each where the tables point: its length, then
    /// the queries' indices (length and queries read together, from one cache line).
    members: Vec<u32>,
    /// Queries without anchors, evaluated on every mention.
    always: Vec<u32>,
}

/// What one thread needs to match mentions without allocating: the prepared mention and the
/// marks of candidate queries. Reuse it from mention to mention.
#[derive(Debug, Clone, Default)]
pub struct MatchScratch {
    doc: PreparedDoc,
    /// `seen[q] == round` when query `q` is already a candidate for this mention.
    seen: Vec<u32>,
    round: u32,
    candidates: Vec<u32>,
}

impl MatchScratch {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many queries were evaluated exactly for the last mention (those the prefilter let
    /// through, and those without anchors): what the prefilter saves is visible here.
    pub fn last_candidates(&self) -> usize {
        self.candidates.len()
    }

    /// The mention last prepared by [`QuerySet::matching_into`] (its words, for the steps of
    /// the pipeline that read them too).
    pub fn last_doc(&self) -> &PreparedDoc {
        &self.doc
    }

    fn begin(&mut self, queries: usize) {
        self.candidates.clear();
        if self.seen.len() != queries {
            self.seen.clear();
            self.seen.resize(queries, 0);
            self.round = 0;
        }
        self.round = self.round.wrapping_add(1);
        if self.round == 0 {
            // After four billion mentions the marks could collide: start afresh.
            self.seen.fill(0);
            self.round = 1;
        }
    }

    #[inline]
    fn mark(&mut self, query: u32) {
        if let Some(seen) = self.seen.get_mut(query as usize)
            && *seen != self.round
        {
            *seen = self.round;
            self.candidates.push(query);
        }
    }
}

impl QuerySet {
    /// Compiles the queries, each with the id [`QuerySet::matching`] reports for it.
    pub fn new(queries: impl IntoIterator<Item = (u64, Query)>) -> QuerySet {
        let mut builder = Builder::default();
        let mut ids = Vec::new();
        let mut entries = Vec::new();
        let mut always = Vec::new();
        for (index, (id, query)) in queries.into_iter().enumerate() {
            ids.push(id);
            entries.push(builder.program.compile(query.root()));
            let index = small_index(index);
            match anchors(query.root()) {
                Some(set) => {
                    for anchor in set {
                        builder.add(anchor, index);
                    }
                }
                None => always.push(index),
            }
        }
        builder.finish(ids, entries, always)
    }

    /// How many queries.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// How many queries have no anchor and are evaluated on every mention.
    pub fn unanchored(&self) -> usize {
        self.always.len()
    }

    /// The distinct anchors of all queries: a folded word, and whether it stands for the words
    /// it begins (a wildcard). For inspection and measurement.
    pub fn anchors(&self) -> impl Iterator<Item = (&str, bool)> + '_ {
        self.anchors
            .iter()
            .map(|anchor| (&*anchor.text, anchor.prefix))
    }

    /// The ids of the queries `doc` matches, in the order the queries were given.
    pub fn matching(&self, doc: &Doc<'_>) -> Vec<u64> {
        let mut out = Vec::new();
        self.matching_into(doc, &mut MatchScratch::new(), &mut out);
        out
    }

    /// Like [`QuerySet::matching`], reusing the caller's buffers: `out` is replaced by the
    /// ids of the matching queries.
    pub fn matching_into(&self, doc: &Doc<'_>, scratch: &mut MatchScratch, out: &mut Vec<u64>) {
        let mut prepared = std::mem::take(&mut scratch.doc);
        prepared.prepare(doc);
        self.matching_prepared(&prepared, scratch, out);
        scratch.doc = prepared;
    }

    /// Like [`QuerySet::matching_into`], for a mention already prepared (when other steps
    /// of the pipeline use its words too).
    pub fn matching_prepared(
        &self,
        doc: &PreparedDoc,
        scratch: &mut MatchScratch,
        out: &mut Vec<u64>,
    ) {
        out.clear();
        scratch.begin(self.ids.len());
        let words = doc.words();
        let joined = words.joined().as_bytes();
        let has_stems = !self.stems.is_empty();
        for span in words.spans() {
            if let Some(list) = self.words.get(span.hash) {
                self.mark_list(list, scratch);
            }
            if has_stems
                && span.end.saturating_sub(span.start) >= STEM_KEY_BYTES as u32
                && let Some(bucket) = self.stem_buckets.get(span.head & STEM_KEY_MASK)
            {
                self.mark_stems(bucket, span, joined, scratch);
            }
        }
        for &query in &self.always {
            scratch.mark(query);
        }
        scratch.candidates.sort_unstable();
        for &candidate in &scratch.candidates {
            let index = candidate as usize;
            if let (Some(&entry), Some(&id)) = (self.entries.get(index), self.ids.get(index))
                && eval(&self.program, entry, doc)
            {
                out.push(id);
            }
        }
    }
}

impl QuerySet {
    fn mark_list(&self, list: u32, scratch: &mut MatchScratch) {
        let start = list as usize + 1;
        let len = self
            .members
            .get(list as usize)
            .map_or(0, |&len| len as usize);
        for &query in self.members.get(start..start + len).unwrap_or(&[]) {
            scratch.mark(query);
        }
    }

    fn mark_stems(&self, bucket: u32, span: &Span, joined: &[u8], scratch: &mut MatchScratch) {
        let bucket = bucket as usize;
        let (Some(&start), Some(&end)) = (
            self.bucket_starts.get(bucket),
            self.bucket_starts.get(bucket + 1),
        ) else {
            return;
        };
        for (stem, list) in self.stems.get(start as usize..end as usize).unwrap_or(&[]) {
            if stem.accepts(span, joined, self.program.texts.as_bytes()) {
                self.mark_list(*list, scratch);
            }
        }
    }
}

/// Gathers the anchors of all queries, then lays them out for [`QuerySet`].
#[derive(Default)]
struct Builder {
    program: Program,
    anchors: Vec<(Anchor, u32)>,
    anchor_index: HashMap<Anchor, usize>,
    /// Queries of each list.
    lists: Vec<Vec<u32>>,
    /// Whole words: hash → list. Two words with the same hash (never seen, but possible)
    /// share a list: their queries are candidates for both, which costs only an evaluation.
    word_lists: HashMap<u64, u32>,
    /// Wildcards' beginnings grouped by their first bytes.
    stem_groups: HashMap<u64, Vec<(Pattern, u32)>>,
}

impl Builder {
    fn add(&mut self, anchor: Anchor, query: u32) {
        let list = match self.anchor_index.get(&anchor) {
            Some(&at) => self.anchors[at].1,
            None => {
                let list = self.list_for(&anchor);
                self.anchor_index.insert(anchor.clone(), self.anchors.len());
                self.anchors.push((anchor, list));
                list
            }
        };
        if let Some(queries) = self.lists.get_mut(list as usize)
            && queries.last() != Some(&query)
        {
            queries.push(query);
        }
    }

    /// The list a new anchor's queries go in, filed in the word or wildcard index.
    fn list_for(&mut self, anchor: &Anchor) -> u32 {
        let bytes = anchor.text.as_bytes();
        if !anchor.prefix
            && let Some(&list) = self.word_lists.get(&word_hash(bytes))
        {
            return list;
        }
        let list = small_index(self.lists.len());
        self.lists.push(Vec::new());
        if anchor.prefix {
            let key = head_of(bytes) & STEM_KEY_MASK;
            let stem = self.program.pattern(&WordPattern {
                text: anchor.text.clone(),
                prefix: true,
                kind: None,
            });
            self.stem_groups.entry(key).or_default().push((stem, list));
        } else {
            self.word_lists.insert(word_hash(bytes), list);
        }
        list
    }

    fn finish(self, ids: Vec<u64>, entries: Vec<u32>, always: Vec<u32>) -> QuerySet {
        // Lists laid out one after the other, each prefixed by its length; tables point to
        // where each list starts.
        let mut members = Vec::new();
        let mut list_start = Vec::with_capacity(self.lists.len());
        for list in self.lists {
            list_start.push(small_index(members.len()));
            members.push(small_index(list.len()));
            members.extend(list);
        }
        let start_of = |list: u32| list_start.get(list as usize).copied().unwrap_or(u32::MAX);
        let word_entries: Vec<(u64, u32)> = self
            .word_lists
            .into_iter()
            .map(|(hash, list)| (hash, start_of(list)))
            .collect();
        let mut bucket_entries = Vec::with_capacity(self.stem_groups.len());
        let mut bucket_starts = vec![0];
        let mut stems = Vec::new();
        for (key, group) in self.stem_groups {
            bucket_entries.push((key, small_index(bucket_starts.len() - 1)));
            stems.extend(group.into_iter().map(|(stem, list)| (stem, start_of(list))));
            bucket_starts.push(small_index(stems.len()));
        }
        QuerySet {
            ids,
            program: self.program,
            entries,
            anchors: self.anchors.into_iter().map(|(anchor, _)| anchor).collect(),
            words: KeyTable::new(&word_entries),
            stem_buckets: KeyTable::new(&bucket_entries),
            bucket_starts,
            stems,
            members,
            always,
        }
    }
}

/// Indices are kept in 32 bits (half the memory of the lists); four billion queries or
/// anchors would not fit in memory anyway.
fn small_index(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}
