//! What is counted of a click on a tracked link: when, from where, from which country and kind
//! of screen, and whether a robot made it. Like page views, nothing that identifies a person is
//! kept: no IP address, no user agent, no referrer beyond the source's name.

use std::net::IpAddr;

use url::Url;

use crate::classify::agent::{self, Device};
use crate::classify::{country, source};
use crate::hit::MAX_URL;

/// One click, as it is counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Click {
    /// When it happened, in milliseconds since 1970 (UTC).
    pub at_ms: i64,
    /// The referrer's source as the statistics name it ("Facebook", "news.ycombinator.com");
    /// `None` when the link was opened directly (typed, scanned, from an app that sends nothing).
    pub source: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub device: Option<Device>,
    /// Crawlers and link-preview fetchers open links too; their clicks are kept apart, not
    /// counted with people's.
    pub robot: bool,
}

/// The facts of one request for `/l/{slug}`, from what the server saw of it.
pub fn click_of(at_ms: i64, referrer: Option<&str>, ip: IpAddr, user_agent: &str) -> Click {
    let reading = agent::agent_of(user_agent);
    click_with(
        at_ms,
        referrer,
        ip,
        reading.device,
        agent::is_bot(user_agent),
    )
}

/// [`click_of`] with the user agent already read (its device, and whether it is a robot).
pub fn click_with(
    at_ms: i64,
    referrer: Option<&str>,
    ip: IpAddr,
    device: Option<Device>,
    robot: bool,
) -> Click {
    Click {
        at_ms,
        source: referrer
            .and_then(readable_referrer)
            .and_then(|r| source::source_of(Some(&r), None)),
        country: country::country_of(ip).map(|cc| String::from_utf8_lossy(&cc).into_owned()),
        device,
        robot,
    }
}

/// Any absolute address, not only http(s): Android apps send `android-app://<package>`, which
/// names the app the link was opened from.
fn readable_referrer(raw: &str) -> Option<Url> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > MAX_URL {
        return None;
    }
    Url::parse(raw).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
    const WINDOWS_CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
    const FACEBOOK_PREVIEW: &str =
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)";
    const GOOGLEBOT: &str =
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_person_clicking_from_a_social_network_on_a_phone() {
        let click = click_of(
            1_748_736_000_000,
            Some("https://l.facebook.com/l.php?u=https%3A%2F%2Frelais.example%2Fl%2Fete"),
            ip("8.8.8.8"),
            IPHONE,
        );
        assert_eq!(
            click,
            Click {
                at_ms: 1_748_736_000_000,
                source: Some("Facebook".into()),
                country: Some("US".into()),
                device: Some(Device::Mobile),
                robot: false,
            }
        );
    }

    #[test]
    fn a_direct_click_on_a_desktop() {
        let click = click_of(0, None, ip("2a01:e0a::1"), WINDOWS_CHROME);
        assert_eq!(click.source, None);
        assert_eq!(click.country.as_deref(), Some("FR"));
        assert_eq!(click.device, Some(Device::Desktop));
        assert!(!click.robot);
    }

    #[test]
    fn sources_from_sites_and_apps() {
        let source = |referrer: &str| click_of(0, Some(referrer), ip("10.0.0.1"), IPHONE).source;
        assert_eq!(source("https://t.co/AbCdEf"), Some("Twitter".into()));
        assert_eq!(
            source("https://news.ycombinator.com/item?id=1"),
            Some("Hacker News".into())
        );
        assert_eq!(
            source("android-app://com.linkedin.android/"),
            Some("LinkedIn".into())
        );
        assert_eq!(
            source("https://www.blog-inconnu.example/billet"),
            Some("blog-inconnu.example".into())
        );
        for nothing in ["", "   ", "not a url", "/relative/path", "\u{0}🙂"] {
            assert_eq!(source(nothing), None, "{nothing:?}");
        }
        let huge = format!("https://example.com/{}", "a".repeat(MAX_URL));
        assert_eq!(source(&huge), None);
    }

    #[test]
    fn robots_and_previews_are_marked() {
        assert!(click_of(0, None, ip("66.249.66.1"), GOOGLEBOT).robot);
        assert!(click_of(0, None, ip("31.13.24.1"), FACEBOOK_PREVIEW).robot);
        assert!(click_of(0, None, ip("127.0.0.1"), "").robot);
        assert!(click_of(0, None, ip("127.0.0.1"), "curl/8.5.0").robot);
    }

    #[test]
    fn private_addresses_and_garbage_agents_give_unknowns_not_errors() {
        let click = click_of(
            -1,
            Some("https://"),
            ip("192.168.1.20"),
            &"é".repeat(100_000),
        );
        assert_eq!(click.country, None);
        assert_eq!(click.source, None);
        assert_eq!(click.at_ms, -1);
    }
}
