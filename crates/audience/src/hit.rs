//! One request of a tracker, read and checked, before anything is derived from it.

use url::Url;

/// Which registered site a hit is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteRef {
    /// Plausible's trackers name the site by its domain.
    Domain(String),
    /// Umami's tracker names it by the site's id (a UUID).
    Id(String),
}

/// The name Plausible's trackers give to a page view.
pub const PAGEVIEW: &str = "pageview";
/// The name of the event Plausible's tracker sends when a page is left: scroll depth and
/// engaged time, not a page view and not a custom event.
pub const ENGAGEMENT: &str = "engagement";

/// Most custom properties one event may carry (Plausible's limit).
pub const MAX_PROPS: usize = 30;
/// Longest property key and value kept, in characters (Plausible's limits).
pub const MAX_PROP_KEY: usize = 300;
pub const MAX_PROP_VALUE: usize = 2_000;
/// Longest event name, in characters.
pub const MAX_NAME: usize = 120;
/// Longest URL accepted, in bytes.
pub const MAX_URL: usize = 2_000;

/// A tracker's request, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// One or several sites (Plausible's `d` may list several, comma-separated).
    pub sites: Vec<SiteRef>,
    /// [`PAGEVIEW`], [`ENGAGEMENT`] or a custom event name.
    pub name: String,
    /// The page the event happened on.
    pub url: Url,
    pub referrer: Option<Url>,
    /// Custom properties, keys unique, in the order sent.
    pub props: Vec<(String, String)>,
    pub revenue: Option<Revenue>,
    /// False when the tracker says the event does not count as an interaction (it then does
    /// not stop a visit from being a bounce).
    pub interactive: bool,
    /// The site routes by `#fragment`: the fragment is part of the page.
    pub hash_mode: bool,
    /// Engagement events: deepest scroll, in percent.
    pub scroll_depth: Option<u8>,
    /// Engagement events: time the page was in view and active, in milliseconds.
    pub engaged_ms: Option<u32>,
}

/// A purchase's value attached to a goal.
#[derive(Debug, Clone, PartialEq)]
pub struct Revenue {
    pub amount: f64,
    /// ISO 4217, upper case.
    pub currency: String,
}

impl Hit {
    pub fn is_pageview(&self) -> bool {
        self.name == PAGEVIEW
    }

    pub fn is_engagement(&self) -> bool {
        self.name == ENGAGEMENT
    }

    /// The page path as the statistics show it: the URL's path, with the fragment in hash mode;
    /// never empty.
    pub fn pathname(&self) -> String {
        let path = match self.url.path() {
            "" => "/",
            p => p,
        };
        let decoded = percent_decoded(path);
        match (self.hash_mode, self.url.fragment()) {
            (true, Some(fragment)) if !fragment.is_empty() => format!("{decoded}#{fragment}"),
            _ => decoded,
        }
    }

    /// The page's host name, without a leading `www.`.
    pub fn hostname(&self) -> String {
        self.url
            .host_str()
            .map(strip_www)
            .unwrap_or_default()
            .to_string()
    }
}

/// `www.example.com` → `example.com`, as Plausible shows hosts.
pub fn strip_www(host: &str) -> &str {
    host.strip_prefix("www.").unwrap_or(host)
}

/// A path as people read it (`/caf%C3%A9` → `/café`); left as sent when it is not UTF-8.
fn percent_decoded(path: &str) -> String {
    match percent_encoding::percent_decode_str(path).decode_utf8() {
        Ok(decoded) => decoded.into_owned(),
        Err(_) => path.to_string(),
    }
}

/// Why a request was refused, as the trackers' servers say it: the field and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct HitError {
    pub field: &'static str,
    pub problem: String,
}

impl HitError {
    pub fn new(field: &'static str, problem: impl Into<String>) -> Self {
        HitError {
            field,
            problem: problem.into(),
        }
    }
}

/// Reads a page URL: absolute http(s), at most [`MAX_URL`] bytes.
pub fn page_url(field: &'static str, raw: &str) -> Result<Url, HitError> {
    if raw.len() > MAX_URL {
        return Err(HitError::new(
            field,
            format!("is longer than {MAX_URL} bytes"),
        ));
    }
    let url = Url::parse(raw.trim()).map_err(|e| {
        HitError::new(
            field,
            format!("is not a URL ({e}); send the page's full address"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(HitError::new(
            field,
            "must be an http or https address with a host",
        ));
    }
    Ok(url)
}

/// Reads a referrer: like a page URL, but anything unreadable is treated as no referrer (a
/// browser may send `android-app://…` or nothing useful, and the page view still counts).
pub fn referrer_url(raw: Option<&str>) -> Option<Url> {
    let raw = raw?.trim();
    if raw.is_empty() || raw.len() > MAX_URL {
        return None;
    }
    let url = Url::parse(raw).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.host_str().is_some()).then_some(url)
}

/// Checks an event name: not empty, at most [`MAX_NAME`] characters.
pub fn event_name(field: &'static str, raw: &str) -> Result<String, HitError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(HitError::new(field, "is required"));
    }
    if name.chars().count() > MAX_NAME {
        return Err(HitError::new(
            field,
            format!("is longer than {MAX_NAME} characters"),
        ));
    }
    Ok(name.to_string())
}

/// Checks custom properties: at most [`MAX_PROPS`], keys and values non-empty and not too long.
/// Scalars other than strings are written as JSON (`true`, `42`); nested objects and arrays are
/// refused, as Plausible does.
pub fn props(
    field: &'static str,
    object: &serde_json::Map<String, serde_json::Value>,
) -> Result<Vec<(String, String)>, HitError> {
    if object.len() > MAX_PROPS {
        return Err(HitError::new(
            field,
            format!(
                "has {} properties; at most {MAX_PROPS} may be sent with one event",
                object.len()
            ),
        ));
    }
    let mut kept = Vec::with_capacity(object.len());
    for (key, value) in object {
        let value = match value {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Bool(_) | serde_json::Value::Number(_) => value.to_string(),
            serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
                return Err(HitError::new(
                    field,
                    format!(
                        "property `{}` must be a string, number or boolean",
                        clip(key, 40)
                    ),
                ));
            }
        };
        if key.is_empty() || value.is_empty() {
            continue;
        }
        if key.chars().count() > MAX_PROP_KEY || value.chars().count() > MAX_PROP_VALUE {
            return Err(HitError::new(
                field,
                format!(
                    "property `{}` is too long (keys up to {MAX_PROP_KEY} characters, values up to {MAX_PROP_VALUE})",
                    clip(key, 40)
                ),
            ));
        }
        kept.push((key.clone(), value));
    }
    Ok(kept)
}

/// The first `max` characters of a text, for quoting it in a message.
pub(crate) fn clip(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(url: &str, hash_mode: bool) -> Hit {
        Hit {
            sites: vec![SiteRef::Domain("example.com".into())],
            name: PAGEVIEW.into(),
            url: page_url("u", url).unwrap(),
            referrer: None,
            props: vec![],
            revenue: None,
            interactive: true,
            hash_mode,
            scroll_depth: None,
            engaged_ms: None,
        }
    }

    #[test]
    fn the_page_is_the_decoded_path_with_the_fragment_only_in_hash_mode() {
        assert_eq!(
            hit("https://www.example.com/caf%C3%A9?x=1#top", false).pathname(),
            "/café"
        );
        assert_eq!(
            hit("https://example.com/#/pricing", true).pathname(),
            "/#/pricing"
        );
        assert_eq!(hit("https://example.com", false).pathname(), "/");
        assert_eq!(
            hit("https://www.example.com/a", false).hostname(),
            "example.com"
        );
        assert_eq!(hit("https://example.com/a+b", false).pathname(), "/a+b");
    }

    #[test]
    fn page_urls_must_be_absolute_web_addresses() {
        assert!(page_url("u", "/relative").is_err());
        assert!(page_url("u", "javascript:alert(1)").is_err());
        assert!(page_url("u", &format!("https://e.com/{}", "a".repeat(MAX_URL))).is_err());
        let err = page_url("u", "not a url").unwrap_err();
        assert_eq!(err.field, "u");
        assert!(err.problem.contains("full address"), "{err}");
    }

    #[test]
    fn unreadable_referrers_are_no_referrer() {
        assert!(referrer_url(Some("android-app://com.google.android.gm")).is_none());
        assert!(referrer_url(Some("")).is_none());
        assert_eq!(
            referrer_url(Some("https://t.co/abc")).unwrap().host_str(),
            Some("t.co")
        );
    }

    #[test]
    fn props_are_limited_and_scalars_written_as_json() {
        let object = serde_json::json!({"plan": "pro", "seats": 3, "trial": true, "empty": "", "none": null});
        let kept = props("p", object.as_object().unwrap()).unwrap();
        assert_eq!(
            kept,
            vec![
                ("plan".to_string(), "pro".to_string()),
                ("seats".to_string(), "3".to_string()),
                ("trial".to_string(), "true".to_string()),
            ]
        );
        let nested = serde_json::json!({"a": {"b": 1}});
        assert!(props("p", nested.as_object().unwrap()).is_err());
        let many: serde_json::Map<_, _> = (0..10_000)
            .map(|i| (format!("k{i}"), serde_json::Value::from(i)))
            .collect();
        let err = props("p", &many).unwrap_err();
        assert!(err.problem.contains("10000 properties"), "{err}");
    }
}
