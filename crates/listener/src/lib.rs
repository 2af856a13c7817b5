//! Listening at work: the job that polls the sources that are due, analyses what they found
//! (with `relais-listen`'s pipeline over every workspace's queries), stores the mentions, and
//! raises and sends the alerts.
//!
//! - [`tick`]: the job, every minute; its state (compiled queries, near-duplicate folders)
//!   lives between runs.
//! - [`fetch`]: one poll of one source (feed, page, network search) into items and a state.
//! - [`ingest`]: items into mentions (matched, analysed, folded).
//! - [`alerts`] and [`deliver`]: alerts raised, and sent by mail and webhook.

pub mod alerts;
pub mod deliver;
pub mod fetch;
pub mod ingest;
pub mod queries;
pub mod tick;

pub use deliver::Courier;
pub use tick::{LISTEN_TICK, ListenTick, TickReport, TickSettings, tick_job};
