//! Jobs that keep the database tidy.

use std::sync::Arc;

use async_trait::async_trait;
use relais_core::Timestamp;
use relais_store::{Job, NewJob, Store};

use crate::{JobError, JobHandler};

pub const PURGE_SESSIONS: &str = "housekeeping.purge_sessions";

/// Deletes expired sessions, then schedules itself again an hour later.
pub struct PurgeSessions;

#[async_trait]
impl JobHandler for PurgeSessions {
    async fn run(&self, _job: &Job, store: &Arc<dyn Store>) -> Result<(), JobError> {
        let retry = |e: relais_store::StoreError| JobError::Retry {
            reason: e.to_string(),
            at: None,
        };
        let n = store
            .purge_expired_sessions(Timestamp::now())
            .await
            .map_err(retry)?;
        tracing::debug!(purged = n, "expired sessions purged");
        store
            .enqueue_job(NewJob {
                workspace_id: None,
                kind: PURGE_SESSIONS.into(),
                payload: serde_json::Value::Null,
                run_at: Timestamp::now().plus_seconds(3600),
                max_attempts: 5,
            })
            .await
            .map_err(retry)?;
        Ok(())
    }
}
