//! Checking a message against a workspace's compiled rules.

use std::cell::OnceCell;

use relais_listen::query::Doc;
use serde::{Deserialize, Serialize};

use super::compile::{RuleSet, Test, normalise_handle};
use super::links::{Link, find_links, is_allowed};
use super::repeated::{Recent, Shape};
use super::shouting::Caps;
use super::{Action, Message, Reason, Rule, RuleError, merge_actions, regex_rule, watched};

/// Most distinct hosts named in a links reason.
const MAX_HOSTS_SHOWN: usize = 5;

/// What the rules say about a message: every rule that matched, in the rules' order, and
/// their actions merged (see [`merge_actions`]). Empty when no rule matched.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Verdict {
    pub matched: Vec<Matched>,
    pub actions: Vec<Action>,
}

impl Verdict {
    /// No rule matched.
    pub fn is_empty(&self) -> bool {
        self.matched.is_empty()
    }
}

/// One rule that matched, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Matched {
    pub rule_id: u64,
    pub rule_name: String,
    pub reason: Reason,
}

impl RuleSet {
    /// The enabled rules that match `message`, and what to do.
    pub fn check(&self, message: &Message<'_>) -> Verdict {
        let context = Context::new(self, message);
        let mut matched = Vec::new();
        let mut actions = Vec::new();
        for (index, rule) in self.rules.iter().enumerate() {
            if !rule.enabled {
                continue;
            }
            if let Some(reason) = context.test(index, &rule.test) {
                actions.extend(rule.actions.iter());
                matched.push(Matched {
                    rule_id: rule.id,
                    rule_name: rule.name.clone(),
                    reason,
                });
            }
        }
        Verdict {
            actions: merge_actions(actions),
            matched,
        }
    }
}

/// The rules editor's "test this rule" box: whether `rule` (enabled or not) matches a message
/// made of `text` alone, and why. Rules that need more than a text (repeats, account age,
/// toxicity score, author) never match here: use [`test_rule_with`].
pub fn test_rule(rule: &Rule, text: &str) -> Result<Option<Reason>, RuleError> {
    test_rule_with(rule, &Message::text(text))
}

/// Like [`test_rule`], with a whole message.
pub fn test_rule_with(rule: &Rule, message: &Message<'_>) -> Result<Option<Reason>, RuleError> {
    let rule = Rule {
        enabled: true,
        ..rule.clone()
    };
    let set = RuleSet::compile(std::slice::from_ref(&rule))?;
    Ok(set
        .check(message)
        .matched
        .into_iter()
        .next()
        .map(|matched| matched.reason))
}

/// What several rules read from one message, worked out once and only when a rule needs it.
struct Context<'a> {
    set: &'a RuleSet,
    message: &'a Message<'a>,
    /// For each rule (by index), the indices of its terms found.
    terms_found: OnceCell<Vec<(usize, usize)>>,
    links: OnceCell<Vec<Link>>,
    caps: OnceCell<Caps>,
    shape: OnceCell<Shape>,
    recent: OnceCell<Recent>,
}

impl<'a> Context<'a> {
    fn new(set: &'a RuleSet, message: &'a Message<'a>) -> Self {
        Context {
            set,
            message,
            terms_found: OnceCell::new(),
            links: OnceCell::new(),
            caps: OnceCell::new(),
            shape: OnceCell::new(),
            recent: OnceCell::new(),
        }
    }

    fn test(&self, index: usize, test: &Test) -> Option<Reason> {
        let message = self.message;
        match test {
            Test::Words { terms } => {
                let found: Vec<String> = self
                    .terms_found()
                    .iter()
                    .filter(|(rule, _)| *rule == index)
                    .filter_map(|(_, term)| terms.get(*term).cloned())
                    .collect();
                (!found.is_empty()).then_some(Reason::WatchedWords { terms: found })
            }
            Test::Regex { pattern, regex } => {
                regex_rule::first_found(regex, message.text).map(|found| Reason::Regex {
                    pattern: pattern.clone(),
                    found,
                })
            }
            Test::Links { allowed } => {
                let mut hosts: Vec<String> = Vec::new();
                for link in self.links() {
                    if !is_allowed(&link.host, allowed) && !hosts.contains(&link.host) {
                        hosts.push(link.host.clone());
                        if hosts.len() == MAX_HOSTS_SHOWN {
                            break;
                        }
                    }
                }
                (!hosts.is_empty()).then_some(Reason::Links { hosts })
            }
            Test::Shouting { min_letters, ratio } => {
                let caps = *self
                    .caps
                    .get_or_init(|| Caps::of(message.text, self.links()));
                (caps.letters >= *min_letters && caps.reaches(*ratio)).then_some(Reason::Shouting {
                    percent: caps.percent(),
                    letters: caps.letters,
                })
            }
            Test::Repeated {
                window_ms,
                within,
                times,
            } => {
                let shape = self.shape.get_or_init(|| Shape::of(message.text));
                let recent = self.recent.get_or_init(|| {
                    Recent::of(message.recent, message.now_ms, self.set.longest_window_ms)
                });
                let sent = recent.times(shape, message.now_ms, *window_ms);
                (sent >= *times).then_some(Reason::Repeated {
                    times: sent,
                    within: *within,
                })
            }
            Test::NewAccount { younger_than_ms } => {
                let created = message.author_created_at_ms?;
                // A creation time ahead of the message (clocks differ) is an account of 0 days.
                let age_ms = message.now_ms.saturating_sub(created).max(0);
                (age_ms < *younger_than_ms).then_some(Reason::NewAccount {
                    age_days: u64::try_from(age_ms / (24 * 3600 * 1000)).unwrap_or(0),
                })
            }
            Test::Toxicity { min_score } => {
                let score = message.toxicity?;
                (score.is_finite() && score >= *min_score).then_some(Reason::Toxicity {
                    score,
                    min_score: *min_score,
                })
            }
            Test::BlockList { handles, network } => {
                if let Some(network) = network
                    && !message.network.trim().eq_ignore_ascii_case(network)
                {
                    return None;
                }
                let author = normalise_handle(message.author);
                handles.contains(&author).then(|| Reason::BlockedAuthor {
                    handle: message.author.trim().to_string(),
                })
            }
        }
    }

    /// `(rule index, term index)` of every watched term the text holds, in the rules' and
    /// terms' order.
    fn terms_found(&self) -> &[(usize, usize)] {
        self.terms_found.get_or_init(|| {
            let mut found: Vec<(usize, usize)> = self
                .set
                .terms
                .matching(&Doc::text(self.message.text))
                .into_iter()
                .map(watched::split_term_id)
                .collect();
            found.sort_unstable();
            found
        })
    }

    fn links(&self) -> &[Link] {
        self.links.get_or_init(|| find_links(self.message.text))
    }
}
