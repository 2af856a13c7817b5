//! Filters compiled against a segment's dictionaries: each condition is evaluated once per
//! distinct value, and rows are then tested with a table lookup.

use regex::RegexBuilder;

use super::dict::{Dict, NONE};
use super::goal::{Goal, GoalIndex};
use super::segment::Segment;
use crate::query::{Condition, Dimension, EventDimension, Filter, Operator, VisitDimension};

/// Why a filter cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FilterError(pub String);

/// A filter ready to test the rows of one segment.
#[derive(Debug)]
pub enum Compiled {
    All(Vec<Compiled>),
    Any(Vec<Compiled>),
    Not(Box<Compiled>),
    /// `mask[code]` of an event column.
    Event(EventColumn, Vec<bool>),
    /// `mask[code]` of the event's visit's column.
    Visit(VisitDimension, Vec<bool>),
    /// The value of one property key (absent = "no value"), tested by `mask[code]`.
    Prop(Option<u32>, Vec<bool>),
    /// The event reaches one of these goals (indexes in the site's goals).
    Goal(Vec<bool>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventColumn {
    Name,
    Page,
    Hostname,
}

/// Compiles a filter for a segment and a site's goals.
pub fn compile(filter: &Filter, seg: &Segment, goals: &[Goal]) -> Result<Compiled, FilterError> {
    Ok(match filter {
        Filter::And(parts) => Compiled::All(
            parts
                .iter()
                .map(|f| compile(f, seg, goals))
                .collect::<Result<_, _>>()?,
        ),
        Filter::Or(parts) => Compiled::Any(
            parts
                .iter()
                .map(|f| compile(f, seg, goals))
                .collect::<Result<_, _>>()?,
        ),
        Filter::Not(inner) => Compiled::Not(Box::new(compile(inner, seg, goals)?)),
        Filter::Condition(c) => condition(c, seg, goals)?,
    })
}

fn condition(c: &Condition, seg: &Segment, goals: &[Goal]) -> Result<Compiled, FilterError> {
    let test = Test::new(c)?;
    let d = &seg.dicts;
    Ok(match &c.dimension {
        Dimension::Event(EventDimension::Name) => {
            Compiled::Event(EventColumn::Name, test.mask(&d.name))
        }
        Dimension::Event(EventDimension::Page) => {
            Compiled::Event(EventColumn::Page, test.mask(&d.page))
        }
        Dimension::Event(EventDimension::Hostname) => {
            Compiled::Event(EventColumn::Hostname, test.mask(&d.hostname))
        }
        Dimension::Event(EventDimension::Prop(key)) => {
            Compiled::Prop(d.prop_key.find(key), test.mask(&d.prop_value))
        }
        Dimension::Event(EventDimension::Goal) => Compiled::Goal(
            goals
                .iter()
                .map(|g| test.accepts(Some(&g.display_name())))
                .collect(),
        ),
        Dimension::Visit(v) => Compiled::Visit(*v, test.mask(d.of_visit(*v))),
        Dimension::Time(_) => {
            return Err(FilterError(
                "time dimensions cannot be filtered on; use date_range".into(),
            ));
        }
    })
}

/// One condition's test of a text.
struct Test {
    operator: Operator,
    clauses: Vec<String>,
    regexes: Vec<regex::Regex>,
    case_sensitive: bool,
}

impl Test {
    fn new(c: &Condition) -> Result<Test, FilterError> {
        let regexes = match c.operator {
            Operator::Matches | Operator::MatchesNot => c
                .clauses
                .iter()
                .map(|p| {
                    RegexBuilder::new(p)
                        .case_insensitive(!c.case_sensitive)
                        .size_limit(1 << 20)
                        .build()
                        .map_err(|e| {
                            FilterError(format!(
                                "`{p}` is not a regular expression Relais can run: {e}"
                            ))
                        })
                })
                .collect::<Result<_, _>>()?,
            _ => Vec::new(),
        };
        let clauses = if c.case_sensitive {
            c.clauses.clone()
        } else {
            c.clauses.iter().map(|s| s.to_lowercase()).collect()
        };
        Ok(Test {
            operator: c.operator,
            clauses,
            regexes,
            case_sensitive: c.case_sensitive,
        })
    }

    /// The test applied to every value of a dictionary, by code.
    fn mask(&self, dict: &Dict) -> Vec<bool> {
        dict.values()
            .iter()
            .enumerate()
            .map(|(code, v)| self.accepts((code as u32 != NONE).then_some(v.as_str())))
            .collect()
    }

    /// Whether a value (`None`: the row has no value) passes. "No value" is the text `(none)`
    /// for `is` (as in Plausible) and the empty text for the other operators.
    fn accepts(&self, value: Option<&str>) -> bool {
        let positive = match self.operator {
            Operator::Is | Operator::IsNot => {
                let text = self.fold(value.unwrap_or("(none)"));
                self.clauses.contains(&text)
            }
            Operator::Contains | Operator::ContainsNot => {
                let text = self.fold(value.unwrap_or(""));
                value.is_some() && self.clauses.iter().any(|c| text.contains(c.as_str()))
            }
            Operator::Matches | Operator::MatchesNot => {
                value.is_some_and(|v| self.regexes.iter().any(|r| r.is_match(v)))
            }
        };
        match self.operator {
            Operator::Is | Operator::Contains | Operator::Matches => positive,
            Operator::IsNot | Operator::ContainsNot | Operator::MatchesNot => !positive,
        }
    }

    fn fold(&self, text: &str) -> String {
        if self.case_sensitive {
            text.to_string()
        } else {
            text.to_lowercase()
        }
    }
}

impl Compiled {
    /// Whether event `i` of the segment passes.
    pub fn accepts(&self, seg: &Segment, i: usize, goals: &GoalIndex) -> bool {
        match self {
            Compiled::All(parts) => parts.iter().all(|p| p.accepts(seg, i, goals)),
            Compiled::Any(parts) => parts.iter().any(|p| p.accepts(seg, i, goals)),
            Compiled::Not(inner) => !inner.accepts(seg, i, goals),
            Compiled::Event(column, mask) => {
                let e = &seg.events;
                let code = match column {
                    EventColumn::Name => e.name[i],
                    EventColumn::Page => e.page[i],
                    EventColumn::Hostname => e.hostname[i],
                };
                mask.get(code as usize).copied().unwrap_or(false)
            }
            Compiled::Visit(dimension, mask) => {
                let session = seg.events.session[i] as usize;
                let code = seg.sessions.dims[dimension.index()][session];
                mask.get(code as usize).copied().unwrap_or(false)
            }
            Compiled::Prop(key, mask) => {
                let value = key.map_or(NONE, |k| prop_value(seg, i, k));
                mask.get(value as usize).copied().unwrap_or(false)
            }
            Compiled::Goal(wanted) => goals
                .of(seg, i)
                .iter()
                .any(|&g| wanted.get(g).copied().unwrap_or(false)),
        }
    }
}

/// The code of the value event `i` has for a property key, or [`NONE`].
pub fn prop_value(seg: &Segment, i: usize, key: u32) -> u32 {
    let e = &seg.events;
    let (from, to) = (e.prop_start[i] as usize, e.prop_start[i + 1] as usize);
    (from..to)
        .find(|&p| e.prop_key[p] == key)
        .map_or(NONE, |p| e.prop_value[p])
}
