//! The publishing capability of Relais.
//!
//! This crate is its pure core: no I/O, no clock, no network. [`rules`] says whether a draft
//! fits a network and, when it does not, what to change (with the figures, in English and
//! French); [`richtext`] computes the facets a Bluesky post needs for its links, mentions and
//! hashtags. The web composer and `relais post` both call them, so they agree.

pub mod feeds;
pub mod plan;
pub mod preview;
pub mod richtext;
pub mod rules;

pub use richtext::{Facet, FacetKind, facets};
pub use rules::{
    CheckOptions, Count, Draft, MastodonInstance, MediaInfo, MediaKind, Network, Problem,
    ProblemCode, check, check_thread, check_thread_with, check_with, count, count_draft,
};
