//! An event as it is kept: the hit, classified, with its visitor and visit, and nothing that
//! could identify a person (no IP address, no user agent, no full referrer query).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::classify::{agent, channel, country, source, utm};
use crate::hit::{Hit, strip_www};

/// One recorded event of one site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The site's id (a UUID).
    pub site: String,
    /// When it happened, in milliseconds since 1970 (UTC).
    pub at_ms: i64,
    /// The day's visitor hash ([`crate::visitor`]).
    pub visitor: u64,
    /// The visit ([`crate::session`]).
    pub session: u64,
    pub name: String,
    pub hostname: String,
    pub pathname: String,
    /// The referring page as shown: host and path, without scheme, `www.` or query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub channel: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm_medium: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm_campaign: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm_content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm_term: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<(String, String)>,
    /// Revenue in the currency's unit, and the currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue: Option<(f64, String)>,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub interactive: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scroll_depth: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engaged_ms: Option<u32>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// What the server knows of a request besides its body.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    pub at_ms: i64,
    pub ip: IpAddr,
    pub user_agent: &'a str,
}

/// Classifies a hit for one site. The visitor and visit are given by the caller, which holds the
/// day's salt and the open visits.
pub fn classify(hit: &Hit, site: &str, seen: Seen<'_>, visitor: u64, session: u64) -> Event {
    classify_with(
        hit,
        site,
        seen,
        visitor,
        session,
        &agent::agent_of(seen.user_agent),
    )
}

/// [`classify`] with the user agent already read (the ingestion keeps the readings of the user
/// agents it sees often: reading one is the costliest part of classifying a hit).
pub fn classify_with(
    hit: &Hit,
    site: &str,
    seen: Seen<'_>,
    visitor: u64,
    session: u64,
    agent: &agent::Agent,
) -> Event {
    let campaign = utm::utm_of(&hit.url);
    let hostname = hit.hostname();
    // A link from one page of the site to another is navigation, not a source.
    let referrer = hit
        .referrer
        .as_ref()
        .filter(|r| r.host_str().map(strip_www) != Some(hostname.as_str()));
    let source = source::source_of(referrer, campaign.source.as_deref());
    let referrer_host = referrer.and_then(|r| r.host_str()).map(strip_www);
    let channel = channel::channel_of(source.as_deref(), referrer_host, &campaign);
    Event {
        site: site.to_string(),
        at_ms: seen.at_ms,
        visitor,
        session,
        name: hit.name.clone(),
        pathname: hit.pathname(),
        hostname,
        referrer: referrer.map(shown_referrer),
        source,
        channel: channel.as_str().to_string(),
        utm_source: campaign.source,
        utm_medium: campaign.medium,
        utm_campaign: campaign.campaign,
        utm_content: campaign.content,
        utm_term: campaign.term,
        country: country::country_of(seen.ip).map(|cc| String::from_utf8_lossy(&cc).into_owned()),
        browser: agent.browser.clone(),
        browser_version: agent.browser_version.clone(),
        os: agent.os.clone(),
        os_version: agent.os_version.clone(),
        device: agent.device.map(|d| d.as_str().to_string()),
        props: hit.props.clone(),
        revenue: hit.revenue.as_ref().map(|r| (r.amount, r.currency.clone())),
        interactive: hit.interactive,
        scroll_depth: hit.scroll_depth,
        engaged_ms: hit.engaged_ms,
    }
}

/// `https://www.example.org/blog/post/?utm=x` → `example.org/blog/post`.
fn shown_referrer(url: &url::Url) -> String {
    let host = url.host_str().map(strip_www).unwrap_or_default();
    let path = url.path().trim_end_matches('/');
    format!("{host}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::plausible;

    const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

    fn seen() -> Seen<'static> {
        Seen {
            at_ms: 1_700_000_000_000,
            ip: "8.8.8.8".parse().unwrap(),
            user_agent: CHROME,
        }
    }

    #[test]
    fn keeps_no_query_of_the_referrer_and_ignores_internal_referrers() {
        let outside = plausible::parse(br#"{"n":"pageview","u":"https://www.example.com/a?utm_campaign=noel","d":"example.com","r":"https://news.ycombinator.com/item?id=1"}"#).unwrap();
        let event = classify(&outside, "site-1", seen(), 7, 9);
        assert_eq!(event.referrer.as_deref(), Some("news.ycombinator.com/item"));
        assert_eq!(
            (event.visitor, event.session, event.at_ms),
            (7, 9, 1_700_000_000_000)
        );
        assert_eq!(event.hostname, "example.com");
        assert_eq!(event.pathname, "/a");
        assert_eq!(event.utm_campaign.as_deref(), Some("noel"));

        let inside = plausible::parse(br#"{"n":"pageview","u":"https://example.com/b","d":"example.com","r":"https://www.example.com/a"}"#).unwrap();
        let event = classify(&inside, "site-1", seen(), 7, 9);
        assert_eq!(event.referrer, None);
        assert_eq!(event.source, None);
    }

    #[test]
    fn round_trips_through_json_lines() {
        let hit = plausible::parse(br#"{"n":"Signup","u":"https://example.com/","d":"example.com","p":{"plan":"pro"},"i":false}"#).unwrap();
        let event = classify(&hit, "site-1", seen(), 1, 2);
        let line = serde_json::to_string(&event).unwrap();
        assert!(
            !line.contains("8.8.8.8") && !line.contains("Mozilla"),
            "{line}"
        );
        assert_eq!(serde_json::from_str::<Event>(&line).unwrap(), event);
    }
}
