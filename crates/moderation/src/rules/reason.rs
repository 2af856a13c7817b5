//! Why a rule matched, with the values, and its wording in French or English for the pages and
//! the audit log ("who and why").

use serde::{Deserialize, Serialize};

use super::error::is_french;

/// Why a rule matched a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// The watched terms found, as the rule writes them, in the rule's order.
    WatchedWords { terms: Vec<String> },
    /// The expression, and the first text it found (cut to 80 characters).
    Regex { pattern: String, found: String },
    /// The hosts linked to that are not allowed (the first few, each once).
    Links { hosts: Vec<String> },
    /// Capitals among the letters, in percent (rounded down), and how many letters.
    Shouting { percent: u8, letters: u32 },
    /// How many times the author sent it within the window (this message included).
    Repeated { times: u32, within: u64 },
    /// The account's age in whole days (0: less than a day).
    NewAccount { age_days: u64 },
    /// The message's score and the rule's threshold.
    Toxicity { score: f32, min_score: f32 },
    /// The author's handle, as the message gives it.
    BlockedAuthor { handle: String },
}

/// The two languages of the interface.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Fr,
    En,
}

impl Lang {
    /// `fr`, `fr-CA`, `FR`… are French; anything else is English.
    fn of(code: &str) -> Lang {
        if is_french(code) { Lang::Fr } else { Lang::En }
    }

    fn quote(self, text: &str) -> String {
        match self {
            // Non-breaking spaces inside French quotation marks.
            Lang::Fr => format!("«\u{a0}{text}\u{a0}»"),
            Lang::En => format!("“{text}”"),
        }
    }

    fn quote_all(self, texts: &[String]) -> String {
        let quoted: Vec<String> = texts.iter().map(|text| self.quote(text)).collect();
        quoted.join(", ")
    }

    fn number(self, value: f32) -> String {
        let text = format!("{value:.2}");
        match self {
            Lang::Fr => text.replace('.', ","),
            Lang::En => text,
        }
    }
}

impl Reason {
    /// The reason in words, for `lang` (`fr` or `en`; other languages get English).
    pub fn describe(&self, lang: &str) -> String {
        let lang = Lang::of(lang);
        match (self, lang) {
            (Reason::WatchedWords { terms }, _) => describe_terms(terms, lang),
            (Reason::Regex { pattern, found }, Lang::Fr) => format!(
                "correspond à l’expression {} ({})",
                lang.quote(pattern),
                lang.quote(found)
            ),
            (Reason::Regex { pattern, found }, Lang::En) => format!(
                "matches the expression {} ({})",
                lang.quote(pattern),
                lang.quote(found)
            ),
            (Reason::Links { hosts }, Lang::Fr) => {
                format!(
                    "contient un lien vers un domaine non autorisé\u{a0}: {}",
                    lang.quote_all(hosts)
                )
            }
            (Reason::Links { hosts }, Lang::En) => {
                format!("links to a domain not allowed: {}", lang.quote_all(hosts))
            }
            (Reason::Shouting { percent, .. }, Lang::Fr) => {
                format!("{percent}\u{a0}% de majuscules")
            }
            (Reason::Shouting { percent, .. }, Lang::En) => format!("{percent}% capitals"),
            (Reason::Repeated { times, within }, Lang::Fr) => {
                format!(
                    "même message envoyé {times} fois en {}",
                    duration_fr(*within)
                )
            }
            (Reason::Repeated { times, within }, Lang::En) => {
                format!(
                    "same message sent {times} times in {}",
                    duration_en(*within)
                )
            }
            (Reason::NewAccount { age_days: 0 }, Lang::Fr) => {
                "compte créé il y a moins d’un jour".to_string()
            }
            (Reason::NewAccount { age_days: 0 }, Lang::En) => {
                "account less than a day old".to_string()
            }
            (Reason::NewAccount { age_days: 1 }, Lang::Fr) => "compte créé il y a 1 jour".into(),
            (Reason::NewAccount { age_days: 1 }, Lang::En) => "account 1 day old".into(),
            (Reason::NewAccount { age_days }, Lang::Fr) => {
                format!("compte créé il y a {age_days} jours")
            }
            (Reason::NewAccount { age_days }, Lang::En) => format!("account {age_days} days old"),
            (Reason::Toxicity { score, min_score }, Lang::Fr) => format!(
                "score de toxicité {} (seuil {})",
                lang.number(*score),
                lang.number(*min_score)
            ),
            (Reason::Toxicity { score, min_score }, Lang::En) => format!(
                "toxicity score {} (threshold {})",
                lang.number(*score),
                lang.number(*min_score)
            ),
            (Reason::BlockedAuthor { handle }, Lang::Fr) => {
                format!("l’auteur {} est sur la liste de blocage", at_handle(handle))
            }
            (Reason::BlockedAuthor { handle }, Lang::En) => {
                format!("the author {} is on the block list", at_handle(handle))
            }
        }
    }
}

fn describe_terms(terms: &[String], lang: Lang) -> String {
    let phrase = |term: &String| term.split_whitespace().nth(1).is_some();
    let (what_fr, what_en) = match terms {
        [one] if phrase(one) => ("l’expression surveillée", "the watched phrase"),
        [_] => ("le mot surveillé", "the watched word"),
        _ => ("les termes surveillés", "the watched terms"),
    };
    match lang {
        Lang::Fr => format!("contient {what_fr} {}", lang.quote_all(terms)),
        Lang::En => format!("contains {what_en} {}", lang.quote_all(terms)),
    }
}

fn at_handle(handle: &str) -> String {
    format!("@{}", handle.trim().trim_start_matches('@'))
}

/// A window in the largest whole unit: `10 minutes`, `2 heures`, `45 secondes`.
fn duration_fr(seconds: u64) -> String {
    let (count, one, many) = unit_of(
        seconds,
        ("heure", "heures"),
        ("minute", "minutes"),
        ("seconde", "secondes"),
    );
    format!("{count} {}", if count == 1 { one } else { many })
}

fn duration_en(seconds: u64) -> String {
    let (count, one, many) = unit_of(
        seconds,
        ("hour", "hours"),
        ("minute", "minutes"),
        ("second", "seconds"),
    );
    format!("{count} {}", if count == 1 { one } else { many })
}

fn unit_of(
    seconds: u64,
    hours: (&'static str, &'static str),
    minutes: (&'static str, &'static str),
    secs: (&'static str, &'static str),
) -> (u64, &'static str, &'static str) {
    if seconds >= 3600 && seconds.is_multiple_of(3600) {
        (seconds / 3600, hours.0, hours.1)
    } else if seconds >= 60 && seconds.is_multiple_of(60) {
        (seconds / 60, minutes.0, minutes.1)
    } else {
        (seconds, secs.0, secs.1)
    }
}
