//! The audience of a brand's site, measured without cookies and without keeping personal data.
//!
//! Data flows one way: a tracker's request ([`ingest`]) becomes a [`hit::Hit`]; the hit is
//! classified ([`classify`]: source, channel, campaign, browser, country, bot) and given a
//! visitor hash that changes every day ([`visitor`]) and a session ([`session`]); the resulting
//! [`event::Event`] is stored by an adapter (crate `relais-analytics`); questions asked in the
//! shape of Plausible's Stats API v2 ([`query`]) are answered by the [`engine`] over columns.
//! Nothing here does I/O.

pub mod classify;
pub mod engine;
pub mod event;
pub mod hit;
pub mod import;
pub mod ingest;
pub mod links;
pub mod query;
pub mod session;
pub mod site;
pub mod visitor;
