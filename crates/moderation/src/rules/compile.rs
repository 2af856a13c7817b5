//! Rules checked and made ready for matching, once when a workspace's rules change.

use std::collections::HashSet;

use regex::Regex;
use relais_listen::query::QuerySet;

use super::error::{RuleError, RuleProblem};
use super::links::normalise_domain;
use super::{Action, MAX_LIST_ENTRIES, MAX_TERMS_PER_RULE, Rule, RuleKind, regex_rule, watched};

/// Longest `repeated` window: a month (the caller would have to pass a month of messages).
const MAX_WINDOW_SECONDS: u64 = 30 * 24 * 3600;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// A workspace's rules, compiled. Build it when the rules change, then call
/// [`RuleSet::check`] on every message; it is read-only and can be shared between threads.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub(crate) rules: Vec<CompiledRule>,
    /// Every term of every watched-words rule (see [`watched`]).
    pub(crate) terms: QuerySet,
    /// Longest window of the enabled `repeated` rules, in milliseconds (0: none).
    pub(crate) longest_window_ms: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledRule {
    pub id: u64,
    pub name: String,
    pub actions: Vec<Action>,
    pub enabled: bool,
    pub test: Test,
}

/// What a compiled rule tests.
#[derive(Debug, Clone)]
pub(crate) enum Test {
    /// The terms as the rule writes them; their queries are in [`RuleSet::terms`].
    Words {
        terms: Vec<String>,
    },
    Regex {
        pattern: String,
        regex: Regex,
    },
    Links {
        allowed: Vec<String>,
    },
    Shouting {
        min_letters: u32,
        ratio: f32,
    },
    Repeated {
        window_ms: i64,
        within: u64,
        times: u32,
    },
    NewAccount {
        younger_than_ms: i64,
    },
    Toxicity {
        min_score: f32,
    },
    BlockList {
        handles: HashSet<String>,
        network: Option<String>,
    },
}

impl RuleSet {
    /// Checks and compiles the rules (disabled ones too, so that enabling a rule later cannot
    /// fail). The first rule that cannot work is named in the error, with what to fix.
    pub fn compile(rules: &[Rule]) -> Result<RuleSet, RuleError> {
        let mut compiled = Vec::with_capacity(rules.len());
        let mut queries = Vec::new();
        for (index, rule) in rules.iter().enumerate() {
            let error = |problem| RuleError {
                rule_id: rule.id,
                rule_name: rule.name.clone(),
                problem,
            };
            if rule.actions.is_empty() {
                return Err(error(RuleProblem::NoActions));
            }
            let test = compile_kind(&rule.kind, index, &mut queries).map_err(error)?;
            compiled.push(CompiledRule {
                id: rule.id,
                name: rule.name.clone(),
                actions: rule.actions.clone(),
                enabled: rule.enabled,
                test,
            });
        }
        let longest_window_ms = compiled
            .iter()
            .filter(|rule| rule.enabled)
            .filter_map(|rule| match rule.test {
                Test::Repeated { window_ms, .. } => Some(window_ms),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        Ok(RuleSet {
            rules: compiled,
            terms: watched::term_set(queries),
            longest_window_ms,
        })
    }

    /// How many rules, enabled or not.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// One rule's kind checked and made ready; a watched-words rule adds its terms' queries to
/// `queries` under ids of rule `index`.
fn compile_kind(
    kind: &RuleKind,
    index: usize,
    queries: &mut Vec<(u64, relais_listen::query::Query)>,
) -> Result<Test, RuleProblem> {
    Ok(match kind {
        RuleKind::WatchedWords { terms } => {
            if terms.is_empty() {
                return Err(RuleProblem::NoTerms);
            }
            check_count(terms.len(), MAX_TERMS_PER_RULE)?;
            for (term_index, term) in terms.iter().enumerate() {
                queries.push((
                    watched::term_id(index, term_index),
                    watched::term_query(term)?,
                ));
            }
            Test::Words {
                terms: terms.iter().map(|term| term.trim().to_string()).collect(),
            }
        }
        RuleKind::Regex {
            pattern,
            case_insensitive,
        } => Test::Regex {
            pattern: pattern.clone(),
            regex: regex_rule::compile(pattern, *case_insensitive)?,
        },
        RuleKind::Links { allowed_domains } => {
            check_count(allowed_domains.len(), MAX_LIST_ENTRIES)?;
            let allowed = allowed_domains
                .iter()
                .map(|domain| {
                    normalise_domain(domain).ok_or_else(|| RuleProblem::BadDomain {
                        domain: domain.trim().to_string(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Test::Links { allowed }
        }
        RuleKind::Shouting {
            min_letters,
            min_caps_ratio,
        } => {
            if *min_letters == 0 {
                return Err(RuleProblem::MinLetters);
            }
            if !(*min_caps_ratio > 0.0 && *min_caps_ratio <= 1.0) {
                return Err(RuleProblem::CapsRatio {
                    value: min_caps_ratio.to_string(),
                });
            }
            Test::Shouting {
                min_letters: *min_letters,
                ratio: *min_caps_ratio,
            }
        }
        RuleKind::Repeated { within, times } => {
            if *times < 2 {
                return Err(RuleProblem::RepeatTimes { value: *times });
            }
            if *within == 0 || *within > MAX_WINDOW_SECONDS {
                return Err(RuleProblem::RepeatWindow { value: *within });
            }
            Test::Repeated {
                // At most a month: fits an i64 of milliseconds with room to spare.
                window_ms: i64::try_from(*within).unwrap_or(0).saturating_mul(1000),
                within: *within,
                times: *times,
            }
        }
        RuleKind::NewAccount { younger_than_days } => {
            if *younger_than_days == 0 {
                return Err(RuleProblem::AccountDays);
            }
            Test::NewAccount {
                younger_than_ms: i64::from(*younger_than_days).saturating_mul(DAY_MS),
            }
        }
        RuleKind::Toxicity { min_score } => {
            if !(*min_score > 0.0 && *min_score <= 1.0) {
                return Err(RuleProblem::ToxicityScore {
                    value: min_score.to_string(),
                });
            }
            Test::Toxicity {
                min_score: *min_score,
            }
        }
        RuleKind::BlockList { handles, network } => {
            if handles.is_empty() {
                return Err(RuleProblem::NoHandles);
            }
            check_count(handles.len(), MAX_LIST_ENTRIES)?;
            let handles = handles
                .iter()
                .map(|handle| {
                    let handle = normalise_handle(handle);
                    if handle.is_empty() {
                        Err(RuleProblem::EmptyHandle)
                    } else {
                        Ok(handle)
                    }
                })
                .collect::<Result<HashSet<_>, _>>()?;
            let network = match network {
                None => None,
                Some(network) if network.trim().is_empty() => {
                    return Err(RuleProblem::EmptyNetwork);
                }
                Some(network) => Some(network.trim().to_lowercase()),
            };
            Test::BlockList { handles, network }
        }
    })
}

fn check_count(count: usize, max: usize) -> Result<(), RuleProblem> {
    if count > max {
        return Err(RuleProblem::TooManyEntries { count, max });
    }
    Ok(())
}

/// A handle as block lists compare it: trimmed, without its leading `@`, lowercase
/// (`@Troll@Mastodon.social` → `troll@mastodon.social`).
pub(crate) fn normalise_handle(handle: &str) -> String {
    handle.trim().trim_start_matches('@').to_lowercase()
}
