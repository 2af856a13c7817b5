//! Listening's sources: where mentions come from. Feeds and watched pages are fetched here,
//! through [`relais_outbound::HttpClient`] (so every fetch is guarded against SSRF, bounded in
//! time and size); what they hold becomes [`relais_listen::found::Found`] items for the
//! pipeline. The parsing and scheduling parts do no I/O and are fuzzed.
//!
//! - [`feed`]: RSS/Atom/JSON Feed documents → items ([`parse_feed`]);
//! - [`opml`]: subscription lists → feed addresses ([`parse_opml`]);
//! - [`page`]: watched pages → snapshots and what changed ([`PageSnapshot`], [`page_change`]);
//! - [`schedule`]: when to poll again, back-off, health ([`PollState`]);
//! - [`poll`]: the fetching itself ([`poll_feed`], [`poll_page`], [`poll_many`]).

mod charset;
mod digest;
pub mod feed;
mod markup;
pub mod opml;
pub mod page;
pub mod poll;
pub mod schedule;

pub use feed::{FeedError, ParsedFeed, parse_feed};
pub use opml::{OpmlError, OpmlList, OpmlOutline, parse_opml};
pub use page::{PageSnapshot, page_change};
pub use poll::{
    FeedOutcome, FeedPoll, JobKind, PageOutcome, PagePoll, PollError, PollJob, Polled, now_ms,
    poll_feed, poll_many, poll_page,
};
pub use schedule::{Health, PollState};
