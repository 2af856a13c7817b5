//! What happens to each item a source found, in order: its language (declared by the source
//! when it is one Relais knows, detected otherwise), the queries it matches, its sentiment and
//! its near-duplicate fingerprint. One [`Pipeline`] holds every query of every workspace, built
//! again when queries change; [`Pipeline::analyze`] takes `&self`, so threads share it.

use crate::duplicate;
use crate::found::Found;
use crate::lang::{Lang, LanguageSet};
use crate::query::{Doc, MatchScratch, Query, QuerySet};
use crate::sentiment::{Sentiment, SentimentAnalyzer, SentimentError};

/// What Relais makes of one found item.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// `None` when the text is in none of the configured languages (or too short to tell).
    pub lang: Option<Lang>,
    /// The ids of the queries it matches, in the order the queries were given.
    pub matches: Vec<u64>,
    /// Neutral with score 0 for a language without a sentiment model.
    pub sentiment: Sentiment,
    /// See [`duplicate::fingerprint`], of the text; `None` for a text without words.
    pub fingerprint: Option<u64>,
}

/// The languages, the queries and the sentiment models, ready to analyse items.
#[derive(Debug)]
pub struct Pipeline {
    languages: LanguageSet,
    queries: QuerySet,
    sentiment: SentimentAnalyzer,
}

/// Working buffers of one thread's analyses (reused from one item to the next).
#[derive(Debug, Default)]
pub struct PipelineScratch {
    matching: MatchScratch,
    joined: String,
}

impl Pipeline {
    /// A pipeline over `queries` (each with the id the caller knows it by).
    pub fn new(
        languages: LanguageSet,
        queries: impl IntoIterator<Item = (u64, Query)>,
    ) -> Result<Pipeline, SentimentError> {
        Ok(Pipeline {
            languages,
            queries: QuerySet::new(queries),
            sentiment: SentimentAnalyzer::new()?,
        })
    }

    /// The same languages and sentiment models over other queries (the models are not loaded
    /// again).
    pub fn with_queries(&self, queries: impl IntoIterator<Item = (u64, Query)>) -> Pipeline {
        Pipeline {
            languages: self.languages.clone(),
            queries: QuerySet::new(queries),
            sentiment: self.sentiment.clone(),
        }
    }

    pub fn queries(&self) -> &QuerySet {
        &self.queries
    }

    /// The item's language: the one its source declares if it is configured (a network's own
    /// detection has more text to go on, such as the author's other posts), else detected.
    pub fn language(&self, found: &Found) -> Option<Lang> {
        let declared = found
            .lang
            .as_deref()
            .and_then(|code| Lang::from_code(code.split(['-', '_']).next().unwrap_or(code)))
            .filter(|lang| self.languages.languages().contains(lang));
        declared.or_else(|| self.languages.detect(&found.text))
    }

    /// The ids of the queries `found` matches (title and text together), knowing its language
    /// and where it comes from (`source`: `rss`, `bluesky`…).
    pub fn matching(
        &self,
        found: &Found,
        lang: Option<Lang>,
        source: &str,
        scratch: &mut PipelineScratch,
    ) -> Vec<u64> {
        let text = match found.title.as_deref().filter(|_| has_title(found)) {
            // Title and text are matched as one text: a query's words may be split between them.
            Some(title) => {
                scratch.joined.clear();
                scratch.joined.push_str(title);
                scratch.joined.push('\n');
                scratch.joined.push_str(&found.text);
                scratch.joined.as_str()
            }
            None => found.text.as_str(),
        };
        let doc = Doc {
            text,
            lang: lang.map(Lang::code),
            author: found.author.as_deref(),
            site: found.site.as_deref(),
            source: Some(source),
        };
        let mut out = Vec::new();
        self.queries
            .matching_into(&doc, &mut scratch.matching, &mut out);
        out
    }

    /// The sentiment of a text in `lang` (neutral when unknown).
    pub fn sentiment(&self, text: &str, lang: Option<Lang>) -> Sentiment {
        lang.map_or(Sentiment::UNKNOWN, |lang| {
            self.sentiment.analyze(text, lang)
        })
    }

    /// Every step on one item. Items that match no query are not kept by Relais, so their
    /// sentiment and fingerprint are left out (neutral, `None`) unless `all_steps` is set
    /// (the benchmark measures every step on every item).
    pub fn analyze(
        &self,
        found: &Found,
        source: &str,
        all_steps: bool,
        scratch: &mut PipelineScratch,
    ) -> Analysis {
        let lang = self.language(found);
        let matches = self.matching(found, lang, source, scratch);
        let fingerprint = (all_steps || !matches.is_empty())
            .then(|| self.fingerprint(found, scratch))
            .flatten();
        let sentiment = if all_steps || !matches.is_empty() {
            self.sentiment(&found.text, lang)
        } else {
            Sentiment::UNKNOWN
        };
        Analysis {
            lang,
            matches,
            sentiment,
            fingerprint,
        }
    }

    /// [`Pipeline::analyze`] on many items, step by step: every item's language, then every
    /// item's matches, then the sentiments. Each step's tables (letter statistics, the queries'
    /// index, the lexicons and weights) then stay in the processor's caches for the whole batch
    /// instead of evicting each other at every item. The analyses are the same, in order.
    pub fn analyze_batch(
        &self,
        items: &[Found],
        source: &str,
        all_steps: bool,
        scratch: &mut PipelineScratch,
    ) -> Vec<Analysis> {
        let mut analyses: Vec<Analysis> = items
            .iter()
            .map(|found| Analysis {
                lang: self.language(found),
                matches: Vec::new(),
                sentiment: Sentiment::UNKNOWN,
                fingerprint: None,
            })
            .collect();
        for (found, analysis) in items.iter().zip(&mut analyses) {
            analysis.matches = self.matching(found, analysis.lang, source, scratch);
            if all_steps || !analysis.matches.is_empty() {
                analysis.fingerprint = self.fingerprint(found, scratch);
            }
        }
        for (found, analysis) in items.iter().zip(&mut analyses) {
            if all_steps || !analysis.matches.is_empty() {
                analysis.sentiment = self.sentiment(&found.text, analysis.lang);
            }
        }
        analyses
    }

    /// The fingerprint of the text alone (a syndicated article may lose or change its title),
    /// right after [`Pipeline::matching`] on the same item: without a title, the words matching
    /// cut are the text's and serve again.
    fn fingerprint(&self, found: &Found, scratch: &PipelineScratch) -> Option<u64> {
        if has_title(found) {
            duplicate::fingerprint(&found.text)
        } else {
            duplicate::fingerprint_of_words(scratch.matching.last_doc().words())
        }
    }
}

fn has_title(found: &Found) -> bool {
    found.title.as_deref().is_some_and(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sentiment::Label;

    fn pipeline(queries: &[(u64, &str)]) -> Pipeline {
        Pipeline::new(
            LanguageSet::french_english(),
            queries
                .iter()
                .map(|(id, text)| (*id, Query::parse(text).expect("test queries parse"))),
        )
        .expect("the shipped sentiment data loads")
    }

    fn found(text: &str) -> Found {
        Found {
            key: "k".into(),
            text: text.into(),
            ..Found::default()
        }
    }

    #[test]
    fn an_item_gets_its_language_matches_sentiment_and_fingerprint() {
        let p = pipeline(&[(7, "relais"), (8, "relais lang:en"), (9, "concurrent")]);
        let mut scratch = PipelineScratch::default();
        let item = found("Je déteste Relais, le service client est horrible et lent");
        let analysis = p.analyze(&item, "rss", false, &mut scratch);
        assert_eq!(analysis.lang, Some(Lang::French));
        assert_eq!(analysis.matches, vec![7]);
        assert_eq!(analysis.sentiment.label, Label::Negative);
        assert!(analysis.fingerprint.is_some());
    }

    #[test]
    fn the_declared_language_wins_when_it_is_configured() {
        let p = pipeline(&[(1, "bonjour lang:en")]);
        let mut scratch = PipelineScratch::default();
        let mut item = found("bonjour tout le monde, quelle belle journée");
        item.lang = Some("en-GB".into());
        assert_eq!(p.language(&item), Some(Lang::English));
        assert_eq!(p.analyze(&item, "x", false, &mut scratch).matches, vec![1]);
        // A declared language outside the configured ones is not trusted: detected instead.
        item.lang = Some("de".into());
        assert_eq!(p.language(&item), Some(Lang::French));
    }

    #[test]
    fn title_and_text_are_matched_together_and_fields_are_known() {
        let p = pipeline(&[
            (1, "\"relais lance\""),
            (2, "site:example.com AND relais"),
            (3, "source:bluesky"),
        ]);
        let mut scratch = PipelineScratch::default();
        let mut item = found("lance une offre pour les associations");
        item.title = Some("Relais".into());
        item.site = Some("news.example.com".into());
        assert_eq!(
            p.analyze(&item, "rss", false, &mut scratch).matches,
            vec![1, 2]
        );
        assert_eq!(
            p.analyze(&item, "bluesky", false, &mut scratch).matches,
            vec![1, 2, 3]
        );
        // The fingerprint is the text's alone: the same article under another title folds.
        let analysis = p.analyze(&item, "rss", false, &mut scratch);
        assert_eq!(analysis.fingerprint, duplicate::fingerprint(&item.text));
        let untitled = Found {
            title: None,
            ..item.clone()
        };
        let words_reused = p.analyze(&untitled, "rss", true, &mut scratch);
        assert_eq!(words_reused.fingerprint, analysis.fingerprint);
    }

    #[test]
    fn a_batch_is_analysed_as_each_item_alone() {
        let p = pipeline(&[(1, "relais"), (2, "service lang:fr"), (3, "wonderful")]);
        let mut titled = found("lance une offre, le service est excellent");
        titled.title = Some("Relais".into());
        let items = vec![
            found("Je déteste Relais, le service client est horrible"),
            found("What a wonderful day with Relais"),
            found("nothing to see here at all"),
            titled,
            found(""),
        ];
        for all_steps in [false, true] {
            let mut scratch = PipelineScratch::default();
            let one_by_one: Vec<Analysis> = items
                .iter()
                .map(|item| p.analyze(item, "rss", all_steps, &mut scratch))
                .collect();
            let batch = p.analyze_batch(&items, "rss", all_steps, &mut scratch);
            assert_eq!(batch, one_by_one, "all_steps = {all_steps}");
        }
        assert!(
            p.analyze_batch(&[], "rss", true, &mut PipelineScratch::default())
                .is_empty()
        );
    }

    #[test]
    fn unmatched_items_skip_sentiment_unless_every_step_is_asked() {
        let p = pipeline(&[(1, "relais")]);
        let mut scratch = PipelineScratch::default();
        let item = found("What a wonderful, lovely day, I love it");
        let skipped = p.analyze(&item, "rss", false, &mut scratch);
        assert!(skipped.matches.is_empty());
        assert_eq!(skipped.sentiment, Sentiment::UNKNOWN);
        assert_eq!(skipped.fingerprint, None);
        let all = p.analyze(&item, "rss", true, &mut scratch);
        assert_eq!(all.sentiment.label, Label::Positive);
        assert!(all.fingerprint.is_some());
        // Other queries, same models.
        let other = p.with_queries([(5, Query::parse("wonderful").expect("parses"))]);
        assert_eq!(
            other.analyze(&item, "rss", false, &mut scratch).matches,
            vec![5]
        );
    }
}
