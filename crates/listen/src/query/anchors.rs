//! Anchors: for each query, a few words such that the query cannot match a mention holding
//! none of them. The query set finds all anchors of all queries in one pass over a mention and
//! evaluates only the queries whose anchors were seen.
//!
//! The rules, from the leaves up: a word (or a wildcard's beginning) anchors itself; a phrase
//! is anchored by one of its words (any one will do: all must be present); an AND by one of
//! its children's anchors (all children must hold, so the rarest-looking child is enough); an
//! OR by the union of its children's (any child may be the one that holds); NEAR like an AND
//! of its two sides. A negation or a field gives no anchor: it can hold in a mention without
//! any particular word, and so can an OR with such a child. A query without anchors is
//! evaluated on every mention.
//!
//! Which child is "rarest" is guessed without statistics: longer words are rarer, a handful of
//! frequent French and English words are common whatever their length, and a wildcard's
//! beginning is commoner than the same letters as a whole word.

use super::ast::{Node, Phrase, WordPattern};

/// A word to look for in a mention: whole, or as a word's beginning.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Anchor {
    pub text: Box<str>,
    pub prefix: bool,
}

/// The anchors of `node`, or `None` when it can hold without any word.
pub(crate) fn anchors(node: &Node) -> Option<Vec<Anchor>> {
    match node {
        Node::Phrase(phrase) => Some(vec![phrase_anchor(phrase)?]),
        Node::Field(_) | Node::Not(_) => None,
        Node::And(children) => children
            .iter()
            .filter_map(anchors)
            .min_by(|a, b| set_cost(a).total_cmp(&set_cost(b))),
        Node::Or(children) => {
            let mut union = Vec::new();
            for child in children {
                for anchor in anchors(child)? {
                    if !union.contains(&anchor) {
                        union.push(anchor);
                    }
                }
            }
            Some(union)
        }
        Node::Near { left, right, .. } => {
            let side = |phrases: &[Phrase]| -> Option<Vec<Anchor>> {
                let mut union: Vec<Anchor> = Vec::new();
                for phrase in phrases {
                    let anchor = phrase_anchor(phrase)?;
                    if !union.contains(&anchor) {
                        union.push(anchor);
                    }
                }
                Some(union)
            };
            let (left, right) = (side(left)?, side(right)?);
            Some(if set_cost(&left) <= set_cost(&right) {
                left
            } else {
                right
            })
        }
    }
}

fn phrase_anchor(phrase: &Phrase) -> Option<Anchor> {
    let rarest = phrase
        .iter()
        .min_by(|a, b| word_cost(a).total_cmp(&word_cost(b)))?;
    Some(Anchor {
        text: rarest.text.clone(),
        prefix: rarest.prefix,
    })
}

/// Frequent words whose length says nothing of their rarity.
const COMMON: &[&str] = &[
    "about", "alors", "aussi", "avec", "avez", "avoir", "bien", "cette", "comme", "dans", "elle",
    "encore", "etre", "fait", "from", "have", "http", "https", "just", "leur", "mais", "meme",
    "nous", "only", "pour", "plus", "quand", "that", "their", "there", "they", "this", "tout",
    "tres", "vous", "what", "when", "will", "with", "your",
];

/// A guess of how often a word occurs in a mention, between 0 and 1.
fn frequency(text: &str, prefix: bool) -> f64 {
    if COMMON.contains(&text) {
        return 1.0;
    }
    let base = match text.chars().count() {
        0 | 1 => 1.0,
        2 => 0.3,
        3 => 0.1,
        4 => 0.03,
        5 => 0.01,
        6 => 0.005,
        _ => 0.002,
    };
    if prefix {
        f64::min(base * 4.0, 1.0)
    } else {
        base
    }
}

fn word_cost(word: &WordPattern) -> f64 {
    frequency(&word.text, word.prefix)
}

/// How often a mention may hold one of the anchors: the sum of their guessed frequencies.
fn set_cost(anchors: &[Anchor]) -> f64 {
    anchors
        .iter()
        .map(|anchor| frequency(&anchor.text, anchor.prefix))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Query;

    fn anchor_texts(query: &str) -> Option<Vec<String>> {
        let query = Query::parse(query).expect("the test's query parses");
        anchors(query.root()).map(|set| {
            set.iter()
                .map(|a| format!("{}{}", a.text, if a.prefix { "*" } else { "" }))
                .collect()
        })
    }

    #[test]
    fn and_keeps_the_rarest_child_or_keeps_all() {
        assert_eq!(
            anchor_texts("le remboursement"),
            Some(vec!["remboursement".into()])
        );
        assert_eq!(
            anchor_texts("(a OR bb) remboursement"),
            Some(vec!["remboursement".into()])
        );
        assert_eq!(
            anchor_texts("colis OR rembours*"),
            Some(vec!["colis".into(), "rembours*".into()])
        );
        assert_eq!(
            anchor_texts("\"avec plaisir\" lang:fr"),
            Some(vec!["plaisir".into()])
        );
        assert_eq!(
            anchor_texts("livraison NEAR/3 (lent OR nul)"),
            Some(vec!["livraison".into()])
        );
    }

    #[test]
    fn negations_and_fields_give_none() {
        assert_eq!(anchor_texts("lang:fr"), None);
        assert_eq!(anchor_texts("colis OR author:poste"), None);
        assert_eq!(anchor_texts("colis -retard"), Some(vec!["colis".into()]));
        assert_eq!(anchor_texts("lang:fr -retard"), None);
    }
}
