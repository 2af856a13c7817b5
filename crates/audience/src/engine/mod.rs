//! The engine: a site's events kept in columns ([`segment`]) and queries answered over them
//! ([`answer`]). It is pure; the adapter that keeps segments on disk is crate
//! `relais-analytics`.

pub mod aggregate;
pub mod answer;
pub mod dict;
pub mod filter;
pub mod funnel;
pub mod goal;
pub mod period;
pub mod segment;
pub mod summary;

#[cfg(test)]
mod tests;
