//! The stream's filters as GET parameters: read into the store's [`MentionFilter`], and written
//! back into addresses (the next page, the CSV, the live count, the return after an action).
//! Values that cannot be read are left out of the filter and named, so that the page can say
//! so rather than pretend.

use chrono::NaiveDate;
use relais_core::{ListenQueryId, MentionId, Timestamp};
use relais_store::listening::{MentionFilter, Sentiment, SourceKind};
use serde::Deserialize;

use super::DAY_MS;

/// The parameters as typed (kept as text, so that the form shows them back as they were).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct StreamParams {
    pub query: String,
    pub sentiment: String,
    pub lang: String,
    pub kind: String,
    pub author: String,
    /// A UTC day, `YYYY-MM-DD`, included.
    pub from: String,
    /// A UTC day, `YYYY-MM-DD`, included.
    pub to: String,
    pub tag: String,
    pub text: String,
    /// `1` to show muted mentions too.
    pub muted: String,
    /// `1` to show duplicates too.
    pub dups: String,
    /// A page's end: [`cursor`] of the last mention shown.
    pub before: String,
}

/// Which parameters could not be read.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Unread {
    pub fields: Vec<&'static str>,
}

/// A mention's place in the stream's order, `{at_ms}.{id}`: where a page ends, or the newest
/// mention a page showed.
pub fn cursor(at: Timestamp, id: MentionId) -> String {
    format!("{}.{id}", at.millis())
}

pub fn parse_cursor(raw: &str) -> Option<(Timestamp, MentionId)> {
    let (at, id) = raw.trim().split_once('.')?;
    Some((Timestamp::from_millis(at.parse().ok()?), id.parse().ok()?))
}

fn text(raw: &str, max_chars: usize) -> Option<String> {
    let t = raw.trim();
    (!t.is_empty()).then(|| t.chars().take(max_chars).collect())
}

fn date(raw: &str) -> Result<Option<Timestamp>, ()> {
    match raw.trim() {
        "" => Ok(None),
        d => {
            let day = d.parse::<NaiveDate>().map_err(|_| ())?;
            let start = day.and_hms_opt(0, 0, 0).ok_or(())?.and_utc();
            Ok(Some(Timestamp::from_millis(start.timestamp_millis())))
        }
    }
}

fn on(raw: &str) -> bool {
    matches!(raw, "1" | "on" | "true")
}

impl StreamParams {
    /// The store's filter, and what was left out of it.
    pub fn filter(&self) -> (MentionFilter, Unread) {
        let mut unread = Unread::default();
        let mut bad = |name| unread.fields.push(name);
        let mut f = MentionFilter {
            include_muted: on(&self.muted),
            include_duplicates: on(&self.dups),
            lang: text(&self.lang, 20).map(|l| l.to_ascii_lowercase()),
            author: text(&self.author, 200),
            tag: text(&self.tag, 50),
            text: text(&self.text, 200),
            ..MentionFilter::default()
        };
        if !self.query.trim().is_empty() {
            match self.query.trim().parse::<ListenQueryId>() {
                Ok(id) => f.query = Some(id),
                Err(_) => bad("query"),
            }
        }
        if !self.sentiment.is_empty() {
            match Sentiment::parse(&self.sentiment) {
                Some(s) => f.sentiment = Some(s),
                None => bad("sentiment"),
            }
        }
        if !self.kind.is_empty() {
            match SourceKind::parse(&self.kind) {
                Some(k) => f.source_kind = Some(k),
                None => bad("kind"),
            }
        }
        match date(&self.from) {
            Ok(from) => f.from = from,
            Err(()) => bad("from"),
        }
        // `to` is a day included: the filter's end is the next day's start.
        match date(&self.to) {
            Ok(to) => f.to = to.map(|t| Timestamp::from_millis(t.millis() + DAY_MS)),
            Err(()) => bad("to"),
        }
        if !self.before.is_empty() {
            match parse_cursor(&self.before) {
                Some(before) => f.before = Some(before),
                None => bad("before"),
            }
        }
        (f, unread)
    }

    /// The filter from the newest mention on, whatever page the parameters were at (for the
    /// CSV and the live count); what could not be read is left out, as on the page.
    pub fn unpaged_filter(&self) -> MentionFilter {
        let (mut filter, _) = self.filter();
        filter.before = None;
        filter
    }

    /// The parameters that are set, as a query string (without `?`); `before` only if asked.
    pub fn query_string(&self, with_before: bool) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("query", self.query.as_str()),
            ("sentiment", &self.sentiment),
            ("lang", &self.lang),
            ("kind", &self.kind),
            ("author", &self.author),
            ("from", &self.from),
            ("to", &self.to),
            ("tag", &self.tag),
            ("text", &self.text),
            ("muted", &self.muted),
            ("dups", &self.dups),
            ("before", if with_before { &self.before } else { "" }),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    /// Read back from a query string (a form's `back` field); unreadable text gives no filter.
    pub fn from_query_string(raw: &str) -> Self {
        serde_urlencoded::from_str(raw).unwrap_or_default()
    }

    pub fn show_muted(&self) -> bool {
        on(&self.muted)
    }

    pub fn show_duplicates(&self) -> bool {
        on(&self.dups)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_become_the_store_filter() {
        let id = ListenQueryId::new();
        let p = StreamParams {
            query: id.to_string(),
            sentiment: "negative".into(),
            lang: " FR ".into(),
            kind: "bluesky".into(),
            author: "@jean".into(),
            from: "2024-05-01".into(),
            to: "2024-05-01".into(),
            muted: "1".into(),
            ..StreamParams::default()
        };
        let (f, unread) = p.filter();
        assert!(unread.fields.is_empty());
        assert_eq!(f.query, Some(id));
        assert_eq!(f.sentiment, Some(Sentiment::Negative));
        assert_eq!(f.lang.as_deref(), Some("fr"));
        assert_eq!(f.source_kind, Some(SourceKind::Bluesky));
        assert_eq!(f.author.as_deref(), Some("@jean"));
        // One whole UTC day.
        let (from, to) = (f.from.unwrap().millis(), f.to.unwrap().millis());
        assert_eq!(to - from, DAY_MS);
        assert_eq!(from, 1_714_521_600_000);
        assert!(f.include_muted && !f.include_duplicates);
    }

    #[test]
    fn unreadable_values_are_left_out_and_named() {
        let p = StreamParams {
            query: "nope".into(),
            sentiment: "angry".into(),
            from: "2024-13-01".into(),
            before: "x".into(),
            ..StreamParams::default()
        };
        let (f, unread) = p.filter();
        assert_eq!(unread.fields, ["query", "sentiment", "from", "before"]);
        assert!(f.query.is_none() && f.sentiment.is_none() && f.from.is_none());
        assert!(f.before.is_none());
    }

    #[test]
    fn query_strings_round_trip_and_drop_what_is_empty() {
        let id = MentionId::new();
        let p = StreamParams {
            text: "a&b=c #x".into(),
            sentiment: "positive".into(),
            before: cursor(Timestamp::from_millis(5), id),
            ..StreamParams::default()
        };
        let with = p.query_string(true);
        assert_eq!(StreamParams::from_query_string(&with), p);
        let without = p.query_string(false);
        assert!(!without.contains("before"), "{without}");
        assert_eq!(without, "sentiment=positive&text=a%26b%3Dc+%23x");
        assert_eq!(
            parse_cursor(&p.before),
            Some((Timestamp::from_millis(5), id))
        );
        assert_eq!(
            StreamParams::from_query_string("%%%"),
            StreamParams::default()
        );
    }
}
