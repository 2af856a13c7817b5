//! Why a rule cannot be compiled, naming the rule and saying what to change.

use std::fmt;

/// A rule that cannot work as written. Displays as
/// `rule “Arnaques” (#7): the word list is empty: add at least one word or phrase`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RuleError {
    pub rule_id: u64,
    pub rule_name: String,
    pub problem: RuleProblem,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rule “{}” (#{}): {}",
            self.rule_name, self.rule_id, self.problem
        )
    }
}

impl RuleError {
    /// The error in words for `lang` (`fr` or `en`), for the rules editor.
    pub fn describe(&self, lang: &str) -> String {
        if is_french(lang) {
            format!(
                "règle «\u{a0}{}\u{a0}» (n°\u{a0}{})\u{a0}: {}",
                self.rule_name,
                self.rule_id,
                self.problem.describe(lang)
            )
        } else {
            self.to_string()
        }
    }
}

/// What is wrong in a rule. Its `Display` is English; [`RuleProblem::describe`] also speaks
/// French (the regex crate's own message stays English).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleProblem {
    #[error("the rule has no action: choose at least one (review, hide, delete…)")]
    NoActions,
    #[error("the word list is empty: add at least one word or phrase")]
    NoTerms,
    #[error("the list has {count} entries, more than {max}: split it into several rules")]
    TooManyEntries { count: usize, max: usize },
    #[error("the term “{term}” cannot be used: {message}")]
    BadTerm { term: String, message: String },
    #[error("the expression is empty: write what to look for")]
    EmptyPattern,
    #[error(
        "the expression has {chars} characters, more than {max}: shorten it or split it into several rules"
    )]
    PatternTooLong { chars: usize, max: usize },
    #[error("the expression cannot be read, line {line}, column {column}: {message}")]
    RegexSyntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "the expression is too large once compiled: lower its repetition counts (such as {{1000}}) or split it into several rules"
    )]
    RegexTooBig,
    #[error(
        "the expression also matches an empty text, so it would match every message: make sure it needs at least one character (use + rather than *)"
    )]
    RegexMatchesEverything,
    #[error("“{domain}” is not a domain: write it as exemple.fr")]
    BadDomain { domain: String },
    #[error("the block list is empty: add at least one handle")]
    NoHandles,
    #[error("a handle of the list is empty: remove it")]
    EmptyHandle,
    #[error("the network is empty: name it (mastodon, bluesky…) or leave it out for every network")]
    EmptyNetwork,
    #[error("the fewest letters must be at least 1")]
    MinLetters,
    #[error(
        "the share of capitals must be above 0 and at most 1 (0.7 means 70% capitals), not {value}"
    )]
    CapsRatio { value: String },
    #[error("the number of times must be at least 2 (the message and one earlier), not {value}")]
    RepeatTimes { value: u32 },
    #[error("the window must be at least 1 second and at most 30 days, not {value} seconds")]
    RepeatWindow { value: u64 },
    #[error("the account age must be at least 1 day")]
    AccountDays,
    #[error("the toxicity threshold must be above 0 and at most 1, not {value}")]
    ToxicityScore { value: String },
}

impl RuleProblem {
    /// The problem in words for `lang` (`fr` or `en`).
    pub fn describe(&self, lang: &str) -> String {
        if !is_french(lang) {
            return self.to_string();
        }
        match self {
            RuleProblem::NoActions => {
                "la règle n’a aucune action\u{a0}: choisissez-en au moins une (revue, masquer, supprimer…)".into()
            }
            RuleProblem::NoTerms => {
                "la liste de mots est vide\u{a0}: ajoutez au moins un mot ou une expression".into()
            }
            RuleProblem::TooManyEntries { count, max } => format!(
                "la liste compte {count} entrées, plus de {max}\u{a0}: répartissez-la en plusieurs règles"
            ),
            RuleProblem::BadTerm { term, message } => {
                format!("le terme «\u{a0}{term}\u{a0}» ne peut pas servir\u{a0}: {message}")
            }
            RuleProblem::EmptyPattern => "l’expression est vide\u{a0}: écrivez ce qu’il faut chercher".into(),
            RuleProblem::PatternTooLong { chars, max } => format!(
                "l’expression compte {chars} caractères, plus de {max}\u{a0}: raccourcissez-la ou répartissez-la en plusieurs règles"
            ),
            RuleProblem::RegexSyntax {
                line,
                column,
                message,
            } => format!("l’expression est illisible, ligne {line}, colonne {column}\u{a0}: {message}"),
            RuleProblem::RegexTooBig => {
                "l’expression est trop grande une fois compilée\u{a0}: réduisez ses répétitions (comme {1000}) ou répartissez-la en plusieurs règles".into()
            }
            RuleProblem::RegexMatchesEverything => {
                "l’expression correspond aussi à un texte vide, donc à tous les messages\u{a0}: faites-lui exiger au moins un caractère (+ plutôt que *)".into()
            }
            RuleProblem::BadDomain { domain } => {
                format!("«\u{a0}{domain}\u{a0}» n’est pas un domaine\u{a0}: écrivez-le comme exemple.fr")
            }
            RuleProblem::NoHandles => {
                "la liste de blocage est vide\u{a0}: ajoutez au moins un identifiant".into()
            }
            RuleProblem::EmptyHandle => "un identifiant de la liste est vide\u{a0}: retirez-le".into(),
            RuleProblem::EmptyNetwork => {
                "le réseau est vide\u{a0}: nommez-le (mastodon, bluesky…) ou retirez-le pour tous les réseaux".into()
            }
            RuleProblem::MinLetters => "le nombre minimal de lettres doit être au moins 1".into(),
            RuleProblem::CapsRatio { value } => format!(
                "la part de majuscules doit être supérieure à 0 et au plus 1 (0,7 pour 70\u{a0}% de majuscules), pas {value}"
            ),
            RuleProblem::RepeatTimes { value } => format!(
                "le nombre de fois doit être au moins 2 (le message et un précédent), pas {value}"
            ),
            RuleProblem::RepeatWindow { value } => format!(
                "la fenêtre doit durer entre 1 seconde et 30 jours, pas {value} secondes"
            ),
            RuleProblem::AccountDays => "l’âge du compte doit être d’au moins 1 jour".into(),
            RuleProblem::ToxicityScore { value } => format!(
                "le seuil de toxicité doit être supérieur à 0 et au plus 1, pas {value}"
            ),
        }
    }
}

pub(crate) fn is_french(lang: &str) -> bool {
    lang.split(['-', '_'])
        .next()
        .is_some_and(|primary| primary.eq_ignore_ascii_case("fr"))
}
