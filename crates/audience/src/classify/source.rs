//! The source of a visit: which site or network sent the visitor.
//!
//! Like Plausible: a tagged source (`utm_source`, else `source`, else `ref`) wins over the
//! `Referer` header, because whoever tagged the link said where it was posted; a known network
//! is shown by its name ("Google" for every google.<tld>), anything else by its host.

use super::utm::clean_value;
use url::Url;

/// The kind of site a known source is; the channel rules are written over these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    Search,
    Social,
    Video,
    Shopping,
    Email,
    AiAssistant,
    /// Known by name but outside every channel category (it counts as a referral).
    Other,
}

use Category::{AiAssistant, Email, Other, Search, Shopping, Social, Video};

/// Every name this module gives a source, spelled as Plausible shows it (so "Youtube" and
/// "Yahoo!", the spellings of the referrer database Plausible uses), with its category.
const KNOWN_SOURCES: &[(&str, Category)] = &[
    ("Google", Search),
    ("Bing", Search),
    ("DuckDuckGo", Search),
    ("Yahoo!", Search),
    ("Baidu", Search),
    ("Yandex", Search),
    ("Qwant", Search),
    ("Ecosia", Search),
    ("Brave", Search),
    ("Startpage", Search),
    ("Naver", Search),
    ("Seznam", Search),
    ("Sogou", Search),
    ("ChatGPT", AiAssistant),
    ("Perplexity", AiAssistant),
    ("Claude", AiAssistant),
    ("Google Gemini", AiAssistant),
    ("Copilot", AiAssistant),
    ("DeepSeek", AiAssistant),
    ("Facebook", Social),
    ("Instagram", Social),
    ("Twitter", Social),
    ("LinkedIn", Social),
    ("Reddit", Social),
    ("Pinterest", Social),
    ("TikTok", Social),
    ("Threads", Social),
    ("Bluesky", Social),
    ("Mastodon", Social),
    ("Hacker News", Social),
    ("GitHub", Social),
    ("Telegram", Social),
    ("Slack", Social),
    ("Discord", Social),
    ("WhatsApp", Social),
    ("Tumblr", Social),
    ("Vkontakte", Social),
    ("Quora", Social),
    ("Snapchat", Social),
    ("Microsoft Teams", Social),
    ("Youtube", Video),
    ("Vimeo", Video),
    ("Twitch", Video),
    ("Dailymotion", Video),
    ("Amazon", Shopping),
    ("eBay", Shopping),
    ("Etsy", Shopping),
    ("AliExpress", Shopping),
    ("Temu", Shopping),
    ("Gmail", Email),
    ("Outlook.com", Email),
    ("Yahoo! Mail", Email),
    ("Proton", Email),
    ("Wikipedia", Other),
];

/// Referrer domains and the source they mean. A domain also covers its subdomains
/// (facebook.com covers m., l. and lm.facebook.com; reddit.com covers old. and out.); the most
/// specific listed domain wins. Sites present under many country domains are handled by
/// [`BRANDS_UNDER_ANY_TLD`] instead.
const HOSTS: &[(&str, &str)] = &[
    ("ntp.msn.com", "Bing"),
    ("duckduckgo.com", "DuckDuckGo"),
    ("ya.ru", "Yandex"),
    ("search.brave.com", "Brave"),
    ("startpage.com", "Startpage"),
    ("naver.com", "Naver"),
    ("seznam.cz", "Seznam"),
    ("sogou.com", "Sogou"),
    ("chatgpt.com", "ChatGPT"),
    ("chat.openai.com", "ChatGPT"),
    ("perplexity.ai", "Perplexity"),
    ("claude.ai", "Claude"),
    ("gemini.google.com", "Google Gemini"),
    ("copilot.microsoft.com", "Copilot"),
    ("chat.deepseek.com", "DeepSeek"),
    ("facebook.com", "Facebook"),
    ("fb.com", "Facebook"),
    ("fb.me", "Facebook"),
    ("instagram.com", "Instagram"),
    ("threads.net", "Threads"),
    ("threads.com", "Threads"),
    ("twitter.com", "Twitter"),
    // Links posted on X go through the t.co shortener; x.com is the site's current domain.
    ("t.co", "Twitter"),
    ("x.com", "Twitter"),
    ("linkedin.com", "LinkedIn"),
    ("lnkd.in", "LinkedIn"),
    ("reddit.com", "Reddit"),
    ("redd.it", "Reddit"),
    ("pin.it", "Pinterest"),
    ("tiktok.com", "TikTok"),
    // bsky.app also covers go.bsky.app, Bluesky's link redirector.
    ("bsky.app", "Bluesky"),
    ("bsky.social", "Bluesky"),
    ("news.ycombinator.com", "Hacker News"),
    ("github.com", "GitHub"),
    ("t.me", "Telegram"),
    ("telegram.org", "Telegram"),
    ("slack.com", "Slack"),
    ("discord.com", "Discord"),
    ("discordapp.com", "Discord"),
    ("whatsapp.com", "WhatsApp"),
    ("wa.me", "WhatsApp"),
    ("tumblr.com", "Tumblr"),
    ("vk.com", "Vkontakte"),
    ("quora.com", "Quora"),
    ("snapchat.com", "Snapchat"),
    ("teams.microsoft.com", "Microsoft Teams"),
    ("statics.teams.cdn.office.net", "Microsoft Teams"),
    // Mastodon is federated: only a few large or French-speaking instances are listed, next to
    // the mastodon.* and mstdn.* rule of `is_mastodon_host`. An instance not listed shows as
    // its own host, like any other site.
    ("mas.to", "Mastodon"),
    ("fosstodon.org", "Mastodon"),
    ("hachyderm.io", "Mastodon"),
    ("infosec.exchange", "Mastodon"),
    ("chaos.social", "Mastodon"),
    ("piaille.fr", "Mastodon"),
    ("framapiaf.org", "Mastodon"),
    ("mamot.fr", "Mastodon"),
    ("youtube.com", "Youtube"),
    ("youtu.be", "Youtube"),
    ("vimeo.com", "Vimeo"),
    ("twitch.tv", "Twitch"),
    ("dailymotion.com", "Dailymotion"),
    ("dai.ly", "Dailymotion"),
    ("etsy.com", "Etsy"),
    ("aliexpress.com", "AliExpress"),
    ("temu.com", "Temu"),
    ("outlook.live.com", "Outlook.com"),
    ("mail.live.com", "Outlook.com"),
    ("mail.proton.me", "Proton"),
    ("wikipedia.org", "Wikipedia"),
];

/// Sites that live under many country domains (google.fr, google.co.uk, yandex.com.tr,
/// amazon.de…): the brand label followed by a country-like ending is enough.
const BRANDS_UNDER_ANY_TLD: &[(&str, &str)] = &[
    ("google", "Google"),
    ("bing", "Bing"),
    ("yahoo", "Yahoo!"),
    ("yandex", "Yandex"),
    ("baidu", "Baidu"),
    ("qwant", "Qwant"),
    ("ecosia", "Ecosia"),
    ("pinterest", "Pinterest"),
    ("amazon", "Amazon"),
    ("ebay", "eBay"),
];

/// The webmail of a brand, which is email, not search.
const BRAND_MAIL: &[(&str, &str)] = &[("Google", "Gmail"), ("Yahoo!", "Yahoo! Mail")];

/// Second-level labels under which countries register names (google.co.uk, google.com.br).
const COUNTRY_SECOND_LEVELS: &[&str] = &["co", "com", "net", "org", "ne", "or"];

/// Android apps, which send `android-app://<package>` as the referrer.
const ANDROID_APPS: &[(&str, &str)] = &[
    ("com.google.android.googlequicksearchbox", "Google"),
    ("com.google.android.gm", "Gmail"),
    ("com.google.android.youtube", "Youtube"),
    ("com.facebook.katana", "Facebook"),
    ("com.instagram.android", "Instagram"),
    ("com.instagram.barcelona", "Threads"),
    ("com.twitter.android", "Twitter"),
    ("com.linkedin.android", "LinkedIn"),
    ("com.reddit.frontpage", "Reddit"),
    ("com.zhiliaoapp.musically", "TikTok"),
    ("xyz.blueskyweb.app", "Bluesky"),
    ("org.joinmastodon.android", "Mastodon"),
    ("org.telegram.messenger", "Telegram"),
    ("com.whatsapp", "WhatsApp"),
    ("com.slack", "Slack"),
    ("com.discord", "Discord"),
    ("com.microsoft.office.outlook", "Outlook.com"),
];

/// Shorthands people write in `utm_source`, lowercase, and the source they mean. Names in
/// [`KNOWN_SOURCES`] are recognised in any case without being listed here.
const TAG_ALIASES: &[(&str, &str)] = &[
    ("fb", "Facebook"),
    ("fcb", "Facebook"),
    ("ig", "Instagram"),
    ("insta", "Instagram"),
    ("x", "Twitter"),
    ("linked-in", "LinkedIn"),
    ("yt", "Youtube"),
    ("bsky", "Bluesky"),
    ("hn", "Hacker News"),
    ("hackernews", "Hacker News"),
    ("ddg", "DuckDuckGo"),
    ("yahoo", "Yahoo!"),
    ("vk", "Vkontakte"),
    ("teams", "Microsoft Teams"),
    ("gemini", "Google Gemini"),
    ("outlook", "Outlook.com"),
];

/// Tags that name Google's ad network outright; other ad tags are a network's name followed by
/// one of [`AD_TAG_SUFFIXES`] ("fb-ads", "tiktokads", "yt_ad").
const AD_NETWORK_TAGS: &[(&str, &str)] = &[("adwords", "Google"), ("gads", "Google")];

/// Longest first, so "fb-ads" loses "-ads" rather than "s".
const AD_TAG_SUFFIXES: &[&str] = &["-ads", "_ads", " ads", "ads", "-ad", "_ad", " ad", "ad"];

/// The source Plausible would show for a visit: the tagged source (`utm_source`, else `source`,
/// else `ref`, see [`super::utm::utm_of`]) under its known name when it has one, else the
/// referring site recognised by name, else the referrer's host without "www."; `None` for a
/// direct visit. The caller passes no referrer when it is the site itself.
pub fn source_of(referrer: Option<&Url>, utm_source: Option<&str>) -> Option<String> {
    match utm_source.and_then(clean_value) {
        Some(tag) => Some(known_tag(&tag).map_or(tag, |(name, _)| name.to_owned())),
        None => referrer.and_then(source_of_referrer),
    }
}

/// Whether a source (a name this module gives, a known shorthand or a host) is a search engine.
pub fn is_search_engine(source: &str) -> bool {
    category_of(source) == Some(Search)
}

/// Whether a source is a social network, forum or messaging app.
pub fn is_social(source: &str) -> bool {
    category_of(source) == Some(Social)
}

/// Whether a source is a video site.
pub fn is_video(source: &str) -> bool {
    category_of(source) == Some(Video)
}

/// Whether a source is a shopping site.
pub fn is_shopping(source: &str) -> bool {
    category_of(source) == Some(Shopping)
}

/// Whether a source is a webmail or mail app.
pub fn is_email_provider(source: &str) -> bool {
    category_of(source) == Some(Email)
}

/// Whether a source is an AI assistant (ChatGPT, Perplexity…), which Plausible gives a channel.
pub fn is_ai_assistant(source: &str) -> bool {
    category_of(source) == Some(AiAssistant)
}

/// Whether a `utm_source` value is one of the tags that mean paid traffic whatever the medium
/// ("adwords", "fb-ads", "yt_ad"…), as Plausible counts them.
pub fn is_paid_tag(utm_source: &str) -> bool {
    known_tag(utm_source.trim()).is_some_and(|(_, paid)| paid)
}

/// The name this module gives a source written as a name in any case, a shorthand or a host
/// ("google", "fb", "l.facebook.com" → "Facebook"); `None` when it is not a known site.
pub fn known_source_name(source: &str) -> Option<&'static str> {
    let source = source.trim();
    known_tag(source)
        .map(|(name, _)| name)
        .or_else(|| name_of_host(&normalise_host(source)))
}

fn category_of(source: &str) -> Option<Category> {
    let name = known_source_name(source)?;
    KNOWN_SOURCES
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, category)| *category)
}

/// A tag's known name and whether it marks paid traffic.
fn known_tag(tag: &str) -> Option<(&'static str, bool)> {
    if let Some(name) = name_of_unpaid_tag(tag) {
        return Some((name, false));
    }
    let lower = tag.to_lowercase();
    if let Some(name) = lookup(AD_NETWORK_TAGS, &lower) {
        return Some((name, true));
    }
    // A host is never an ad tag: "fb.ad" is a site in Andorra, not a Facebook ad.
    if lower.contains('.') {
        return None;
    }
    AD_TAG_SUFFIXES
        .iter()
        .filter_map(|suffix| lower.strip_suffix(suffix))
        .find_map(|network| name_of_unpaid_tag(network))
        .map(|name| (name, true))
}

fn name_of_unpaid_tag(tag: &str) -> Option<&'static str> {
    if tag.is_empty() {
        return None;
    }
    let by_name = KNOWN_SOURCES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(tag))
        .map(|&(name, _)| name);
    let lower = tag.to_lowercase();
    by_name.or_else(|| lookup(TAG_ALIASES, &lower)).or_else(|| {
        Some(&lower)
            .filter(|tag| looks_like_host(tag))
            .and_then(|host| name_of_host(&normalise_host(host)))
    })
}

/// Tags such as "news.ycombinator.com" are hosts; a sentence with a dot is not.
fn looks_like_host(tag: &str) -> bool {
    tag.contains('.') && !tag.contains(char::is_whitespace)
}

fn source_of_referrer(referrer: &Url) -> Option<String> {
    let host = normalise_host(referrer.host_str()?);
    // A page opened from a local file or a dev server says nothing about acquisition.
    if host.is_empty() || host == "localhost" {
        return None;
    }
    match referrer.scheme() {
        "http" | "https" => Some(name_of_host(&host).map_or(host, str::to_owned)),
        "android-app" => Some(
            name_of_android_app(&host)
                .map_or_else(|| format!("android-app://{host}"), str::to_owned),
        ),
        _ => None,
    }
}

/// Lowercase, without the root's trailing dot nor a leading "www.".
fn normalise_host(host: &str) -> String {
    let lower = host.to_lowercase();
    let rooted = lower.trim_end_matches('.');
    rooted.strip_prefix("www.").unwrap_or(rooted).to_owned()
}

fn name_of_host(host: &str) -> Option<&'static str> {
    name_of_listed_domain(host)
        .or_else(|| name_of_brand_domain(host))
        .or_else(|| is_mastodon_host(host).then_some("Mastodon"))
}

/// The host or its nearest listed parent domain.
fn name_of_listed_domain(host: &str) -> Option<&'static str> {
    let mut domain = host;
    loop {
        if let Some(name) = lookup(HOSTS, domain) {
            return Some(name);
        }
        domain = domain.split_once('.')?.1;
    }
}

fn name_of_brand_domain(host: &str) -> Option<&'static str> {
    let labels: Vec<&str> = host.split('.').collect();
    labels.iter().enumerate().find_map(|(at, label)| {
        let brand = lookup(BRANDS_UNDER_ANY_TLD, label)?;
        if !is_country_ending(&labels[at + 1..]) {
            return None;
        }
        let subdomain = at.checked_sub(1).and_then(|before| labels.get(before));
        Some(webmail_of(brand, subdomain.copied()).unwrap_or(brand))
    })
}

fn webmail_of(brand: &str, subdomain: Option<&str>) -> Option<&'static str> {
    if subdomain != Some("mail") {
        return None;
    }
    lookup(BRAND_MAIL, brand)
}

/// ".fr", ".com", ".co.uk", ".com.br": what may follow a brand label for the brand to be meant.
fn is_country_ending(labels: &[&str]) -> bool {
    match labels {
        [top] => is_short_alphabetic(top, 2..=3),
        [second, country] => {
            COUNTRY_SECOND_LEVELS.contains(second) && is_short_alphabetic(country, 2..=2)
        }
        _ => false,
    }
}

fn is_short_alphabetic(label: &str, lengths: std::ops::RangeInclusive<usize>) -> bool {
    lengths.contains(&label.len()) && label.bytes().all(|b| b.is_ascii_lowercase())
}

/// Instances named mastodon.<anything> or mstdn.<anything> (mastodon.social, mastodon.online,
/// mstdn.jp…) are, by convention, Mastodon servers.
fn is_mastodon_host(host: &str) -> bool {
    host.split_once('.')
        .is_some_and(|(first, rest)| matches!(first, "mastodon" | "mstdn") && !rest.is_empty())
}

fn name_of_android_app(package: &str) -> Option<&'static str> {
    lookup(ANDROID_APPS, package)
}

/// The value a table gives a key, the tables being small enough that a scan beats building a
/// map at every call.
fn lookup(table: &[(&str, &'static str)], key: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|(listed, _)| *listed == key)
        .map(|&(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_referrer(referrer: &str) -> Option<String> {
        let parsed = Url::parse(referrer);
        assert!(parsed.is_ok(), "test referrer must parse: {referrer}");
        parsed.ok().and_then(|url| source_of(Some(&url), None))
    }

    fn named(name: &str) -> Option<String> {
        Some(name.to_owned())
    }

    #[test]
    fn search_engines_by_referrer() {
        assert_eq!(from_referrer("https://www.google.fr/"), named("Google"));
        assert_eq!(from_referrer("https://www.google.co.uk/"), named("Google"));
        assert_eq!(
            from_referrer("https://www.google.com.br/search?q=x"),
            named("Google")
        );
        assert_eq!(from_referrer("https://google.de"), named("Google"));
        assert_eq!(from_referrer("https://www.bing.com/"), named("Bing"));
        assert_eq!(from_referrer("https://cn.bing.com/"), named("Bing"));
        assert_eq!(
            from_referrer("https://duckduckgo.com/"),
            named("DuckDuckGo")
        );
        assert_eq!(from_referrer("https://www.qwant.com/"), named("Qwant"));
        assert_eq!(from_referrer("https://lite.qwant.com/"), named("Qwant"));
        assert_eq!(from_referrer("https://www.ecosia.org/"), named("Ecosia"));
        assert_eq!(
            from_referrer("https://fr.search.yahoo.com/"),
            named("Yahoo!")
        );
        assert_eq!(from_referrer("https://yandex.com.tr/"), named("Yandex"));
        assert_eq!(from_referrer("https://ya.ru/"), named("Yandex"));
        assert_eq!(
            from_referrer("https://www.baidu.com/link?url=x"),
            named("Baidu")
        );
        assert_eq!(from_referrer("https://search.brave.com/"), named("Brave"));
    }

    #[test]
    fn webmail_is_not_search() {
        assert_eq!(from_referrer("https://mail.google.com/"), named("Gmail"));
        assert_eq!(
            from_referrer("https://mail.yahoo.co.jp/"),
            named("Yahoo! Mail")
        );
        assert_eq!(
            from_referrer("https://outlook.live.com/"),
            named("Outlook.com")
        );
        assert!(is_email_provider("Gmail"));
        assert!(!is_search_engine("Gmail"));
    }

    #[test]
    fn social_networks_by_referrer() {
        let cases = [
            (
                "https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.fr%2F&h=AT0",
                "Facebook",
            ),
            ("https://m.facebook.com/", "Facebook"),
            ("https://lm.facebook.com/", "Facebook"),
            (
                "https://l.instagram.com/?u=https%3A%2F%2Fexample.fr",
                "Instagram",
            ),
            ("https://t.co/abc", "Twitter"),
            ("https://x.com/someone/status/1", "Twitter"),
            ("https://www.linkedin.com/feed/", "LinkedIn"),
            ("https://lnkd.in/eXyZ", "LinkedIn"),
            ("https://out.reddit.com/t3_abc", "Reddit"),
            ("https://old.reddit.com/r/rust/", "Reddit"),
            ("https://fr.pinterest.com/pin/1/", "Pinterest"),
            ("https://www.pinterest.fr/", "Pinterest"),
            ("https://www.tiktok.com/@a", "TikTok"),
            ("https://www.threads.net/@a", "Threads"),
            ("https://bsky.app/profile/x", "Bluesky"),
            ("https://go.bsky.app/redirect?u=x", "Bluesky"),
            ("https://news.ycombinator.com/", "Hacker News"),
            ("https://github.com/rust-lang/rust", "GitHub"),
            ("https://web.telegram.org/", "Telegram"),
            ("https://app.slack.com/client/T1", "Slack"),
            ("https://discord.com/channels/1", "Discord"),
            ("https://web.whatsapp.com/", "WhatsApp"),
            ("https://www.youtube.com/watch?v=x", "Youtube"),
            ("https://m.youtube.com/", "Youtube"),
            ("https://fr.wikipedia.org/wiki/Rust", "Wikipedia"),
            ("https://en.m.wikipedia.org/wiki/Rust", "Wikipedia"),
            ("https://chatgpt.com/", "ChatGPT"),
            ("https://gemini.google.com/app", "Google Gemini"),
        ];
        for (referrer, name) in cases {
            assert_eq!(from_referrer(referrer), named(name), "{referrer}");
        }
    }

    #[test]
    fn mastodon_instances() {
        assert_eq!(from_referrer("https://piaille.fr/@y"), named("Mastodon"));
        assert_eq!(from_referrer("https://framapiaf.org/@z"), named("Mastodon"));
        assert_eq!(from_referrer("https://mamot.fr/"), named("Mastodon"));
        assert_eq!(
            from_referrer("https://mastodon.social/@a"),
            named("Mastodon")
        );
        assert_eq!(from_referrer("https://mastodon.online/"), named("Mastodon"));
        assert_eq!(from_referrer("https://mstdn.jp/"), named("Mastodon"));
        assert_eq!(
            from_referrer("https://toot.example.net/"),
            named("toot.example.net")
        );
    }

    #[test]
    fn unknown_sites_show_their_host_without_www() {
        assert_eq!(
            from_referrer("https://www.markosaric.com/post/"),
            named("markosaric.com")
        );
        assert_eq!(
            from_referrer("https://blog.example.org/a"),
            named("blog.example.org")
        );
        assert_eq!(
            from_referrer("http://192.168.1.20:8080/"),
            named("192.168.1.20")
        );
        assert_eq!(
            from_referrer("https://WWW.Example.COM./"),
            named("example.com")
        );
    }

    #[test]
    fn lookalike_domains_are_not_brands() {
        assert_eq!(
            from_referrer("https://google.evil.com/"),
            named("google.evil.com")
        );
        assert_eq!(from_referrer("https://mygoogle.fr/"), named("mygoogle.fr"));
        assert_eq!(
            from_referrer("https://notfacebook.com/"),
            named("notfacebook.com")
        );
        assert_eq!(from_referrer("https://github.io/"), named("github.io"));
        assert_eq!(
            from_referrer("https://x.com.evil.io/"),
            named("x.com.evil.io")
        );
    }

    #[test]
    fn android_apps() {
        assert_eq!(
            from_referrer("android-app://com.google.android.gm/"),
            named("Gmail")
        );
        assert_eq!(
            from_referrer("android-app://com.reddit.frontpage"),
            named("Reddit")
        );
        assert_eq!(
            from_referrer("android-app://org.example.reader/"),
            named("android-app://org.example.reader")
        );
    }

    #[test]
    fn referrers_that_are_not_sites_give_nothing() {
        assert_eq!(from_referrer("http://localhost:3000/"), None);
        assert_eq!(from_referrer("file:///home/me/index.html"), None);
        assert_eq!(from_referrer("chrome-extension://abcdef/popup.html"), None);
        assert_eq!(from_referrer("about:blank"), None);
        assert_eq!(source_of(None, None), None);
    }

    #[test]
    fn tagged_source_wins_over_referrer() {
        let facebook = Url::parse("https://l.facebook.com/").ok();
        assert_eq!(
            source_of(facebook.as_ref(), Some("newsletter")),
            named("newsletter")
        );
        assert_eq!(source_of(facebook.as_ref(), Some("  ")), named("Facebook"));
        assert_eq!(source_of(facebook.as_ref(), None), named("Facebook"));
    }

    #[test]
    fn tags_are_normalised_to_known_names() {
        let cases = [
            ("fb", "Facebook"),
            ("facebook", "Facebook"),
            ("FACEBOOK", "Facebook"),
            ("ig", "Instagram"),
            ("twitter", "Twitter"),
            ("x", "Twitter"),
            ("linkedin", "LinkedIn"),
            ("bsky", "Bluesky"),
            ("bluesky", "Bluesky"),
            ("yt", "Youtube"),
            ("YouTube", "Youtube"),
            ("google", "Google"),
            ("adwords", "Google"),
            ("fb-ads", "Facebook"),
            ("tiktokads", "TikTok"),
            ("news.ycombinator.com", "Hacker News"),
            (" hacker news ", "Hacker News"),
        ];
        for (tag, name) in cases {
            assert_eq!(source_of(None, Some(tag)), named(name), "{tag}");
        }
    }

    #[test]
    fn unknown_tags_stay_as_written() {
        assert_eq!(source_of(None, Some("newsletter")), named("newsletter"));
        assert_eq!(
            source_of(None, Some("Lettre d'info")),
            named("Lettre d'info")
        );
        assert_eq!(source_of(None, Some("ads")), named("ads"));
        assert_eq!(source_of(None, Some("my blog.post")), named("my blog.post"));
        let huge = "z".repeat(5000);
        assert_eq!(source_of(None, Some(&huge)).map(|s| s.len()), Some(1000));
    }

    #[test]
    fn paid_tags() {
        for tag in [
            "adwords",
            "gads",
            "google-ads",
            "google_ads",
            "fb-ads",
            "fbad",
            "yt-ads",
            "tiktokads",
            "Facebook_Ads",
        ] {
            assert!(is_paid_tag(tag), "{tag}");
        }
        for tag in [
            "google",
            "facebook",
            "ads",
            "newsletter",
            "bad",
            "fb.ad",
            "",
        ] {
            assert!(!is_paid_tag(tag), "{tag}");
        }
    }

    #[test]
    fn categories() {
        assert!(is_search_engine("Google"));
        assert!(is_search_engine("google.com"));
        assert!(is_search_engine("yahoo"));
        assert!(is_search_engine("DuckDuckGo"));
        assert!(is_social("Facebook"));
        assert!(is_social("l.facebook.com"));
        assert!(is_social("Hacker News"));
        assert!(is_social("Mastodon"));
        assert!(is_video("Youtube"));
        assert!(is_video("youtu.be"));
        assert!(is_shopping("Amazon"));
        assert!(is_shopping("www.amazon.co.jp"));
        assert!(is_ai_assistant("Perplexity"));
        assert!(!is_social("Google"));
        assert!(!is_search_engine("Wikipedia"));
        assert!(!is_search_engine("newsletter"));
        assert!(!is_social(""));
    }

    #[test]
    fn every_host_and_alias_names_a_known_source() {
        let names = HOSTS
            .iter()
            .chain(BRANDS_UNDER_ANY_TLD)
            .chain(BRAND_MAIL)
            .chain(ANDROID_APPS)
            .chain(TAG_ALIASES)
            .chain(AD_NETWORK_TAGS)
            .map(|(_, name)| *name);
        for name in names {
            assert!(
                KNOWN_SOURCES.iter().any(|(known, _)| *known == name),
                "{name}"
            );
        }
    }

    #[test]
    fn garbage_does_not_panic() {
        for source in [
            "",
            ".",
            "..",
            "...com",
            "é.ü",
            "\u{0}",
            "www.",
            "a.b.c.d.e.f.g",
        ] {
            let _ = known_source_name(source);
            let _ = is_social(source);
            let _ = source_of(None, Some(source));
        }
        let long_host = format!("https://{}example.com/", "a.".repeat(100));
        assert!(from_referrer(&long_host).is_some());
        let idn = from_referrer("https://www.bücher.de/");
        assert_eq!(idn, named("xn--bcher-kva.de"));
    }
}
