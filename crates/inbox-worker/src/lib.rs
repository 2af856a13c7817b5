//! The team inbox's adapters: the worker side of `relais-inbox`.
//!
//! - [`tick`]: the `inbox.tick` job reads every connected channel's inbox that no live stream
//!   follows ([`read`]), stores what is new ([`ingest`], threaded by `relais_inbox::thread`)
//!   and moderates it ([`moderate`]).
//! - [`streams`]: one follower per channel whose network streams (Bluesky, Mastodon).
//! - [`reply`]: the `inbox.reply` job sends a member's reply, threaded, exactly once.
//! - [`act`]: the `inbox.act` job likes, reposts, hides, deletes, mutes, blocks or reports on the
//!   network, audited.

pub mod act;
mod credentials;
pub mod incoming;
pub mod ingest;
pub mod moderate;
pub mod read;
pub mod reply;
pub mod streams;
pub mod tick;
