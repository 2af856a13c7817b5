//! Every workspace's queries compiled into one pipeline, built again only when a query changed.

use relais_core::{ListenQueryId, Timestamp, WorkspaceId};
use relais_listen::lang::LanguageSet;
use relais_listen::pipeline::Pipeline;
use relais_listen::query::Query;
use relais_listen::sentiment::SentimentError;
use relais_store::listening::ListenQuery;

/// The pipeline over the stored queries, and whose each query is.
pub struct CompiledQueries {
    pipeline: Pipeline,
    /// By the pipeline's query number.
    owners: Vec<(ListenQueryId, WorkspaceId)>,
    /// What it was built from, to tell when to build again.
    signature: Vec<(ListenQueryId, Timestamp)>,
}

fn signature_of(queries: &[ListenQuery]) -> Vec<(ListenQueryId, Timestamp)> {
    let mut signature: Vec<_> = queries.iter().map(|q| (q.id, q.updated_at)).collect();
    signature.sort();
    signature
}

impl CompiledQueries {
    /// Loads the language and sentiment models, with no query yet.
    pub fn new(languages: LanguageSet) -> Result<Self, SentimentError> {
        Ok(CompiledQueries {
            pipeline: Pipeline::new(languages, [])?,
            owners: Vec::new(),
            signature: Vec::new(),
        })
    }

    /// Compiles `queries` unless they are the ones already compiled. A stored query that no
    /// longer parses (the language changed since it was saved) is left out and logged: the
    /// others keep working.
    pub fn refresh(&mut self, queries: &[ListenQuery]) {
        let signature = signature_of(queries);
        if signature == self.signature {
            return;
        }
        let mut owners = Vec::with_capacity(queries.len());
        let mut parsed = Vec::with_capacity(queries.len());
        for query in queries {
            match Query::parse(&query.query) {
                Ok(compiled) => {
                    parsed.push((owners.len() as u64, compiled));
                    owners.push((query.id, query.workspace_id));
                }
                Err(err) => tracing::warn!(
                    query = %query.id,
                    workspace = %query.workspace_id,
                    %err,
                    "a stored listening query does not parse; it is skipped until it is fixed"
                ),
            }
        }
        self.pipeline = self.pipeline.with_queries(parsed);
        self.owners = owners;
        self.signature = signature;
    }

    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The stored queries of `workspace` among the pipeline's matches.
    pub fn of_workspace(&self, matches: &[u64], workspace: WorkspaceId) -> Vec<ListenQueryId> {
        matches
            .iter()
            .filter_map(|&n| self.owners.get(n as usize))
            .filter(|(_, ws)| *ws == workspace)
            .map(|(id, _)| *id)
            .collect()
    }
}
