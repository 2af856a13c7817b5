//! The audience capability's adapters: where events are kept ([`EventStore`], embedded in
//! [`embedded::Embedded`]) and how tracker requests become events ([`ingest`]). The pure rules
//! (tracker bodies, classification, the query engine) are in `relais-audience`.

pub mod arrow_io;
pub mod durability;
pub mod embedded;
pub mod ingest;
pub mod summary_io;
pub mod wal;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use relais_audience::engine::answer::Answer;
use relais_audience::engine::funnel::Step;
use relais_audience::engine::goal::Goal;
use relais_audience::event::Event;
use relais_audience::query::{DateRange, Filter, Query};

/// What the event store needs to know of a site to answer about it.
#[derive(Debug, Clone)]
pub struct SiteInfo {
    /// The site's id (a UUID): events carry it.
    pub id: String,
    pub goals: Vec<Goal>,
    pub tz: Tz,
    /// First day of statistics, in the site's zone (where `"all"` starts).
    pub start: NaiveDate,
}

/// Why events cannot be kept or read.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// The question cannot be answered as asked (a filter, a range): the caller's to fix.
    #[error("{0}")]
    Query(String),
    /// The disk or the database failed: nothing was accepted.
    #[error("the event store cannot be used: {0}")]
    Storage(String),
}

/// Where events are kept and questions about them answered. The embedded store is the default;
/// a server-side column store (ClickHouse) can be added behind the same trait for very large
/// installations.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Keeps events. When it returns `Ok`, they are durable: on disk, synced.
    async fn append(&self, events: Vec<Event>) -> Result<(), AnalyticsError>;
    /// Answers a question about one site.
    async fn answer(
        &self,
        site: &SiteInfo,
        query: &Query,
        now: DateTime<Utc>,
    ) -> Result<Answer, AnalyticsError>;
    /// How many visitors went through `steps` in order within a visit, over a period.
    async fn funnel(
        &self,
        site: &SiteInfo,
        steps: &[Goal],
        range: &DateRange,
        filter: Option<&Filter>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Step>, AnalyticsError>;
    /// Distinct visitors of the site in the last five minutes before `now`.
    async fn current_visitors(&self, site: &str, now: DateTime<Utc>)
    -> Result<u64, AnalyticsError>;
    /// Every event of a site, oldest first (for export).
    async fn export(&self, site: &str) -> Result<Vec<Event>, AnalyticsError>;
    /// Visits with an event since `since_ms`: `(site, visitor hash, visit id, last event)`, so
    /// that a restarted process goes on counting them.
    async fn recent_visits(
        &self,
        since_ms: i64,
    ) -> Result<Vec<(String, u64, u64, i64)>, AnalyticsError>;
}
