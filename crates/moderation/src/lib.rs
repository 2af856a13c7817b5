//! Moderation, the pure core: what a workspace's netiquette forbids (rules) and how hostile a
//! message reads (toxicity). The inbox calls it on every message it ingests and acts on the
//! verdict (review queue, hide, delete, auto-reply); nothing here touches a network or a store.

pub mod rules;
pub mod toxicity;
