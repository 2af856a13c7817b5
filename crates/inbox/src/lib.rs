//! The team inbox, the pure core: decisions that need no network and no database, so that the
//! worker, the pages and the command line make them the same way and tests can check each.
//!
//! - [`thread`]: which conversation a new message belongs to, as the network threads it.
//! - [`canned`]: canned replies with variables (`{{first_name}}`, `{{brand}}`).
//! - [`reply`]: whether a reply can go out on its network (empty, too long).
//! - [`sla`]: response and resolution times against the workspace's targets, overdue
//!   conversations, figures per member and per channel.

pub mod canned;
pub mod reply;
pub mod sla;
pub mod thread;
