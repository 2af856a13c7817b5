//! Workspace moderation rules: what a workspace's netiquette forbids, checked on every message
//! the inbox ingests, and what to do when a rule matches.
//!
//! A workspace keeps a list of [`Rule`]s. They are compiled together once, when they change
//! ([`RuleSet::compile`], which also says what to fix in a rule that cannot work), and every
//! message is then checked against all of them ([`RuleSet::check`]). The [`Verdict`] lists every
//! rule that matched with a [`Reason`] (shown to people in French or English by
//! [`Reason::describe`]) and the [`Action`]s of those rules merged. The rules editor's "test this
//! rule" box calls [`test_rule`].
//!
//! Nothing here reads a clock, a store or a network: the message's time, the author's account
//! age, the author's recent messages and the toxicity score are inputs ([`Message`]).
//!
//! # The kinds of rule
//!
//! | kind | matches when |
//! |---|---|
//! | `watched_words` | the text holds one of the words or phrases (see below) |
//! | `regex` | the regular expression finds something in the text (as written, not folded) |
//! | `links` | the text links to a host that is neither an allowed domain nor a subdomain of one |
//! | `shouting` | at least `min_letters` letters, and at least `min_caps_ratio` of them capitals |
//! | `repeated` | the author sent the same (or nearly the same) text `times` times within `within` seconds |
//! | `new_account` | the author's account is younger than `younger_than_days` days |
//! | `toxicity` | the message's toxicity score is at least `min_score` |
//! | `block_list` | the author's handle is on the list |
//!
//! **Watched words** are listening's query words ([`relais_listen::query`]): case and accents
//! never matter, a term of several words is a phrase (the words next to each other, in that
//! order), and `rembours*` stands for every word beginning with `rembours` (at least 3
//! letters before the `*`, which may only end a word). `#promo` matches only the hashtag,
//! `promo` the word, the hashtag and the mention. Each term is quoted before it is read, so a
//! term is always words to find, never an operator: `a OR b` is the phrase "a or b", `NEAR/2`
//! the phrase "near 2", `(` or a lone `"` has nothing to find (an error says so).
//!
//! Accent folding works both ways and knows no grammar: `reputation` matches `Réputation`, and
//! `arnaque` matches `ARNAQUÉ` (the participle, folded to the same letters) as well as
//! `arnaqué` matches `arnaque`. To catch every form, write `arnaq*`.
//!
//! **Links** are `http://` and `https://` addresses and bare domains: `www.` anything, a domain
//! followed by a path (`exemple.fr/x`), or a domain whose last part is a common top-level
//! domain (`exemple.fr`, `promo.shop`; see [`links`]). Hosts are read the way browsers read
//! them (`https://exemple.fr@evil.com` goes to `evil.com`). Handles (`@alice.bsky.social`) and
//! mail addresses are not links. An allowed `exemple.fr` allows `www.exemple.fr` and
//! `shop.exemple.fr`, not `exemple.fr.evil.com` nor `monexemple.fr`; with no allowed domain,
//! every link matches.
//!
//! **Shouting** counts letters that have a case (`É` counts, `3` and `😀` do not), leaving out
//! `@handles`, `#tags` and links.
//!
//! **Repeated** compares the message with the author's recent messages (given by the caller,
//! without the message itself), folded: the same words, or (from five words on) at most one word
//! in five changed, added or removed. Messages without any word compare by their symbols
//! (`🤬🤬🤬`). `times` counts the message itself: `times: 3` matches the third sending.
//!
//! # Actions, merged
//!
//! Several rules may match one message. The verdict's actions are those of every matched rule,
//! each once, strongest first: [`Action::Delete`], [`Action::Hide`], [`Action::Block`],
//! [`Action::Mute`], [`Action::Report`], [`Action::Review`], [`Action::AutoReply`],
//! [`Action::Tag`] (see [`Action`] for why). A weaker action is kept beside a stronger one
//! (`Delete` and `Hide`): where a network's API cannot delete, the inbox can still hide. Only
//! one automatic reply is kept (the first matched rule's): answering twice is noise.
//!
//! # Stored as JSON
//!
//! A rule is a flat object, its `kind` choosing the other fields:
//!
//! ```json
//! {"id": 7, "name": "Arnaques", "enabled": true, "kind": "watched_words",
//!  "terms": ["arnaque", "rembours*", "service client nul"],
//!  "actions": [{"type": "hide"}, {"type": "auto_reply", "text": "Merci de lire {{netiquette_url}}"}]}
//! {"id": 8, "name": "Codes promo", "kind": "regex", "pattern": "code\\s*promo", "case_insensitive": true, "actions": [{"type": "review"}]}
//! {"id": 9, "name": "Liens", "kind": "links", "allowed_domains": ["exemple.fr"], "actions": [{"type": "review"}]}
//! {"id": 10, "name": "Cris", "kind": "shouting", "min_letters": 12, "min_caps_ratio": 0.7, "actions": [{"type": "tag", "name": "cris"}]}
//! {"id": 11, "name": "Répétitions", "kind": "repeated", "within": 600, "times": 3, "actions": [{"type": "hide"}]}
//! {"id": 12, "name": "Comptes neufs", "kind": "new_account", "younger_than_days": 7, "actions": [{"type": "review"}]}
//! {"id": 13, "name": "Insultes", "kind": "toxicity", "min_score": 0.8, "actions": [{"type": "hide"}, {"type": "report"}]}
//! {"id": 14, "name": "Bloqués", "kind": "block_list", "handles": ["@troll"], "network": "mastodon", "actions": [{"type": "block"}]}
//! ```
//!
//! `enabled` defaults to `true`, `case_insensitive` to `true`, `network` to none (every
//! network). Actions are `{"type": …}` with `review`, `hide`, `delete`, `mute`, `block`,
//! `report`, `auto_reply` (with `text`, where `{{netiquette_url}}` is replaced by
//! [`fill_netiquette`]) and `tag` (with `name`).

mod action;
mod check;
mod compile;
mod error;
pub mod links;
mod message;
mod reason;
mod regex_rule;
mod repeated;
mod shouting;
mod watched;

use serde::{Deserialize, Serialize};

pub use action::{Action, fill_netiquette, merge_actions};
pub use check::{Matched, Verdict, test_rule, test_rule_with};
pub use compile::RuleSet;
pub use error::{RuleError, RuleProblem};
pub use message::{Message, RecentMessage};
pub use reason::Reason;

/// Longest regular expression accepted, in characters.
pub const MAX_PATTERN_CHARS: usize = 1000;
/// Largest compiled regular expression accepted, in bytes (the regex crate's `size_limit`).
pub const MAX_REGEX_BYTES: usize = 256 * 1024;
/// Most terms in one watched-words rule.
pub const MAX_TERMS_PER_RULE: usize = 5000;
/// Most handles in one block list, and most allowed domains in one links rule.
pub const MAX_LIST_ENTRIES: usize = 100_000;

/// One rule of a workspace. See the [module documentation](self) for the kinds and the JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub id: u64,
    /// What the community manager calls it; errors and verdicts name the rule by it.
    pub name: String,
    #[serde(flatten)]
    pub kind: RuleKind,
    /// What to do when the rule matches (at least one).
    pub actions: Vec<Action>,
    /// A disabled rule is still checked for errors when compiled, but never matches.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

fn case_insensitive_by_default() -> bool {
    true
}

/// What a rule looks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleKind {
    /// Words and phrases, with `*` ending a word as wildcard; case and accents folded.
    WatchedWords { terms: Vec<String> },
    /// A regular expression (the regex crate's syntax), matched on the text as written.
    Regex {
        pattern: String,
        #[serde(default = "case_insensitive_by_default")]
        case_insensitive: bool,
    },
    /// Links to any host outside these domains (and their subdomains).
    Links { allowed_domains: Vec<String> },
    /// Texts mostly in capitals.
    Shouting {
        /// Fewest letters for a text to be judged (`OK` or `MDR` is not shouting).
        min_letters: u32,
        /// Share of capitals among the letters, from 0 (exclusive) to 1.
        min_caps_ratio: f32,
    },
    /// The same author sending the same text again and again.
    Repeated {
        /// The window, in seconds before the message.
        within: u64,
        /// Sendings within the window, this message included (2 at least).
        times: u32,
    },
    /// Authors whose account is recent.
    NewAccount { younger_than_days: u32 },
    /// Messages whose toxicity score (0 to 1, computed elsewhere) is high.
    Toxicity { min_score: f32 },
    /// Authors by handle (case ignored, with or without `@`), on one network or on all.
    BlockList {
        handles: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        network: Option<String>,
    },
}
