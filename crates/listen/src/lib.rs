//! Listening, the pure core: what a community manager watches for (queries), what each mention
//! is (language, sentiment, duplicates) and when to worry (spikes). Adapters (feeds, network
//! searches, storage, alerts by mail and webhook) live in other crates and call this one.

pub mod alert;
pub mod duplicate;
pub mod found;
pub mod lang;
pub mod pipeline;
pub mod query;
pub mod sentiment;
pub mod spike;
pub mod text;
pub mod workload;
