//! Browser, operating system and device from a user agent; robots recognised.
//!
//! Parsing is woothee's; the names given back are the ones Plausible's dashboard shows (it
//! takes them from Matomo's device detector), so that filters and imported data line up:
//! "Microsoft Edge", "Samsung Browser", "Mac", "GNU/Linux", "Mobile App" for in-app webviews.

use woothee::parser::{Parser, WootheeResult};

/// The kind of screen a visit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Device {
    Desktop,
    Mobile,
    Tablet,
}

impl Device {
    /// The name Plausible shows and filters on (`visit:device`).
    pub fn as_str(self) -> &'static str {
        match self {
            Device::Desktop => "Desktop",
            Device::Mobile => "Mobile",
            Device::Tablet => "Tablet",
        }
    }

    /// Reads a name written by [`Device::as_str`], ignoring case (filters are typed by hand).
    pub fn from_name(name: &str) -> Option<Device> {
        [Device::Desktop, Device::Mobile, Device::Tablet]
            .into_iter()
            .find(|device| device.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

/// What a user agent says of itself. Unknown parts are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Agent {
    pub browser: Option<String>,
    pub browser_version: Option<String>,
    pub os: Option<String>,
    pub os_version: Option<String>,
    pub device: Option<Device>,
}

/// Real user agents stay well under this; the rest is padding or an attack, and the parser's
/// regular expressions should not be made to walk it on every request.
const MAX_ANALYSED_BYTES: usize = 512;

/// Shorter than any browser's user agent ("Mozilla/5.0" alone is 11 bytes): a script.
const MIN_BROWSER_UA_BYTES: usize = 12;

/// woothee's placeholder for a field it could not read.
const WOOTHEE_UNKNOWN: &str = "UNKNOWN";

/// The browser name given to in-app webviews, as Plausible does.
const MOBILE_APP: &str = "Mobile App";

/// Reads a user agent.
pub fn agent_of(user_agent: &str) -> Agent {
    let ua = analysed_part(user_agent);
    let Some(parsed) = Parser::new().parse(ua) else {
        return Agent::default();
    };
    let browser = browser_name(&parsed);
    let browser_version = match browser.as_deref() {
        Some(MOBILE_APP) | None => None,
        Some(_) => major_minor(parsed.version),
    };
    let (os, os_version) = os_of(&parsed, ua);
    Agent {
        browser,
        browser_version,
        os,
        os_version,
        device: device_of(parsed.category, ua),
    }
}

/// True for crawlers, monitors, scripts and headless browsers that say what they are.
pub fn is_bot(user_agent: &str) -> bool {
    let ua = analysed_part(user_agent);
    if ua.len() < MIN_BROWSER_UA_BYTES {
        return true;
    }
    let lower = ua.to_ascii_lowercase();
    // The cheap substring pass catches nearly every robot; woothee's regular expressions only
    // run for what is left.
    names_itself_a_bot(&lower) || woothee_says_robot(ua)
}

/// The trimmed user agent, cut to [`MAX_ANALYSED_BYTES`] on a character boundary.
fn analysed_part(user_agent: &str) -> &str {
    let trimmed = user_agent.trim();
    &trimmed[..trimmed.floor_char_boundary(MAX_ANALYSED_BYTES)]
}

/// Words only robots, monitors, link-preview fetchers and HTTP libraries put in a user agent.
/// "bot" is handled apart, because of the Cubot phone brand.
const ROBOT_MARKERS: &[&str] = &[
    "crawl",
    "spider",
    "slurp",
    "headless",
    "phantomjs",
    "puppeteer",
    "playwright",
    "selenium",
    "lighthouse",
    "pingdom",
    "uptime",
    "monitor",
    "gtmetrix",
    "statuscake",
    "curl/",
    "wget/",
    "httpie/",
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "scrapy",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww",
    "httpclient",
    "guzzlehttp",
    "axios/",
    "node-fetch",
    "undici",
    "postmanruntime",
    "facebookexternalhit",
    "facebookcatalog",
    "whatsapp/",
    "skypeuripreview",
    "bingpreview",
    "google web preview",
    "iframely",
    "embedly",
    "mediapartners-google",
    "feedfetcher",
];

/// `lower` is an ASCII-lowercased user agent.
fn names_itself_a_bot(lower: &str) -> bool {
    mentions_bot(lower) || ROBOT_MARKERS.iter().any(|marker| lower.contains(marker))
}

/// "bot" anywhere (Googlebot, AhrefsBot, Slackbot, TelegramBot…), except inside "cubot", a phone
/// maker whose model names appear in ordinary Android user agents.
fn mentions_bot(lower: &str) -> bool {
    lower
        .match_indices("bot")
        .any(|(at, _)| !lower[..at].ends_with("cu"))
}

/// woothee knows a few robots by name that say neither "bot" nor any marker (Yahoo! Slurp's
/// Japanese siblings, feed fetchers), and recognises HTTP libraries by their prefixes.
fn woothee_says_robot(ua: &str) -> bool {
    Parser::new().parse(ua).is_some_and(|parsed| {
        parsed.category == "crawler" || (parsed.category == "misc" && parsed.name == "HTTP Library")
    })
}

/// Plausible's name for the browser woothee found; `None` when it found none.
fn browser_name(parsed: &WootheeResult) -> Option<String> {
    if parsed.browser_type != "browser" || parsed.name == WOOTHEE_UNKNOWN {
        return None;
    }
    let name = match parsed.name {
        "Edge" => "Microsoft Edge",
        "SamsungBrowser" => "Samsung Browser",
        // Android webviews ("; wv)"), iOS in-app browsers without "Safari/" and the Google app
        // are apps showing a page, which Plausible groups under one name.
        "Webview" | "Google Search App" => MOBILE_APP,
        other => other,
    };
    Some(name.to_owned())
}

/// Plausible's operating system name and its major.minor version.
fn os_of(parsed: &WootheeResult, ua: &str) -> (Option<String>, Option<String>) {
    let os = parsed.os;
    let version = parsed.os_version.as_ref();
    if os == WOOTHEE_UNKNOWN || os.is_empty() {
        return (None, None);
    }
    let (name, version) = match os {
        "Windows Phone OS" => ("Windows Phone", major_minor(version)),
        "Windows CE" => ("Windows CE", None),
        windows if windows.starts_with("Windows ") => ("Windows", windows_version(windows)),
        "Mac OSX" => ("Mac", major_minor(version)),
        "iPhone" | "iPod" | "iOS" => ("iOS", major_minor(version)),
        "iPad" => (ipad_os_name(version), major_minor(version)),
        "Android" => ("Android", major_minor(version)),
        "Linux" => (linux_name(ua), None),
        "ChromeOS" => ("Chrome OS", chrome_os_version(version)),
        "BSD" => (bsd_name(ua), major_minor(version)),
        other => (other, major_minor(version)),
    };
    (Some(name.to_owned()), version)
}

/// woothee names Windows by release ("Windows 10", "Windows XP"); Plausible shows "Windows"
/// with the release as version. Windows 11 still says "NT 10.0", hence "10" for both.
fn windows_version(woothee_name: &str) -> Option<String> {
    let release = woothee_name.strip_prefix("Windows ")?;
    match release {
        "UNKNOWN Ver" => None,
        "NT 4.0" => Some("NT".to_owned()),
        other => Some(other.to_owned()),
    }
}

/// iPads have run "iPadOS" since version 13; Plausible names it so.
fn ipad_os_name(version: &str) -> &'static str {
    let major = version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    match major {
        Some(major) if major >= 13 => "iPadOS",
        _ => "iOS",
    }
}

/// Plausible names the distributions that say who they are.
fn linux_name(ua: &str) -> &'static str {
    if ua.contains("Ubuntu") {
        "Ubuntu"
    } else if ua.contains("Fedora") {
        "Fedora"
    } else {
        "GNU/Linux"
    }
}

fn bsd_name(ua: &str) -> &'static str {
    ["FreeBSD", "OpenBSD", "NetBSD"]
        .into_iter()
        .find(|name| ua.contains(name))
        .unwrap_or("BSD")
}

/// woothee gives "x86_64 14541.0.0" (architecture, then platform version).
fn chrome_os_version(woothee_version: &str) -> Option<String> {
    major_minor(woothee_version.split_whitespace().last()?)
}

/// "120.0.6099.109" → "120.0", "17_2_1" → "17.2", "14" → "14"; anything not made of numbers → None.
fn major_minor(version: &str) -> Option<String> {
    let mut parts = version.split(['.', '_']);
    let major = parts.next().filter(|part| is_number(part))?;
    match parts.next().filter(|part| is_number(part)) {
        Some(minor) => Some(format!("{major}.{minor}")),
        None => Some(major.to_owned()),
    }
}

fn is_number(part: &str) -> bool {
    !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit())
}

/// Plausible's three screens from woothee's category, with tablets told apart from phones.
fn device_of(category: &str, ua: &str) -> Option<Device> {
    match category {
        // Consoles and TVs count as desktops in Plausible.
        "pc" | "appliance" => Some(Device::Desktop),
        "smartphone" if looks_like_tablet(ua) => Some(Device::Tablet),
        "smartphone" | "mobilephone" => Some(Device::Mobile),
        _ => None,
    }
}

/// iPads and Kindles say so (even though iPad Safari also says "Mobile/"); Android tablets are
/// the Android devices that do not say "Mobile" (Chrome, Samsung) or "Mobi" (Opera).
fn looks_like_tablet(ua: &str) -> bool {
    const TABLET_NAMES: &[&str] = &["iPad", "Tablet", "Kindle", "Silk/"];
    TABLET_NAMES.iter().any(|name| ua.contains(name))
        || (ua.contains("Android") && !ua.contains("Mobi") && !ua.contains("Opera Mini"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    const SAFARI_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15";
    const FIREFOX_UBUNTU: &str =
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
    const FIREFOX_LINUX: &str =
        "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0";
    const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1";
    const CHROME_ANDROID_PHONE: &str = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36";
    const CHROME_ANDROID_TABLET: &str = "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36";
    const SAMSUNG_INTERNET: &str = "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36";
    const SAFARI_IPAD: &str = "Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1";
    const EDGE_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91";
    const EDGE_ANDROID: &str = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 EdgA/120.0.2210.115";
    const OPERA_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36 OPR/105.0.0.0";
    const FIREFOX_ANDROID: &str =
        "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0";
    const CHROME_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1";
    const CHROME_OS: &str = "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    const ANDROID_WEBVIEW: &str = "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/441.0.0.23.105;]";
    const IE11: &str = "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko";
    const CUBOT_PHONE: &str = "Mozilla/5.0 (Linux; Android 11; CUBOT_X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36";
    const GOOGLEBOT: &str =
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    const HEADLESS_CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36";
    const CURL: &str = "curl/8.4.0";

    fn agent(
        browser: &str,
        browser_version: &str,
        os: &str,
        os_version: Option<&str>,
        device: Device,
    ) -> Agent {
        Agent {
            browser: Some(browser.to_owned()),
            browser_version: Some(browser_version.to_owned()),
            os: Some(os.to_owned()),
            os_version: os_version.map(str::to_owned),
            device: Some(device),
        }
    }

    #[test]
    fn desktop_browsers() {
        assert_eq!(
            agent_of(CHROME_WINDOWS),
            agent("Chrome", "120.0", "Windows", Some("10"), Device::Desktop)
        );
        assert_eq!(
            agent_of(SAFARI_MAC),
            agent("Safari", "17.2", "Mac", Some("10.15"), Device::Desktop)
        );
        assert_eq!(
            agent_of(FIREFOX_UBUNTU),
            agent("Firefox", "121.0", "Ubuntu", None, Device::Desktop)
        );
        assert_eq!(
            agent_of(FIREFOX_LINUX),
            agent("Firefox", "115.0", "GNU/Linux", None, Device::Desktop)
        );
        assert_eq!(
            agent_of(OPERA_WINDOWS),
            agent("Opera", "105.0", "Windows", Some("10"), Device::Desktop)
        );
        assert_eq!(
            agent_of(IE11),
            agent(
                "Internet Explorer",
                "11.0",
                "Windows",
                Some("7"),
                Device::Desktop
            )
        );
        assert_eq!(
            agent_of(CHROME_OS),
            agent(
                "Chrome",
                "120.0",
                "Chrome OS",
                Some("14541.0"),
                Device::Desktop
            )
        );
    }

    #[test]
    fn edge_is_told_apart_from_the_chrome_it_is_built_on() {
        assert_eq!(
            agent_of(EDGE_WINDOWS),
            agent(
                "Microsoft Edge",
                "120.0",
                "Windows",
                Some("10"),
                Device::Desktop
            )
        );
        assert_eq!(
            agent_of(EDGE_ANDROID),
            agent(
                "Microsoft Edge",
                "120.0",
                "Android",
                Some("10"),
                Device::Mobile
            )
        );
    }

    #[test]
    fn phones() {
        assert_eq!(
            agent_of(SAFARI_IPHONE),
            agent("Safari", "17.2", "iOS", Some("17.2"), Device::Mobile)
        );
        assert_eq!(
            agent_of(CHROME_IOS),
            agent("Chrome", "120.0", "iOS", Some("17.2"), Device::Mobile)
        );
        assert_eq!(
            agent_of(CHROME_ANDROID_PHONE),
            agent("Chrome", "120.0", "Android", Some("10"), Device::Mobile)
        );
        assert_eq!(
            agent_of(SAMSUNG_INTERNET),
            agent(
                "Samsung Browser",
                "23.0",
                "Android",
                Some("13"),
                Device::Mobile
            )
        );
        assert_eq!(
            agent_of(FIREFOX_ANDROID),
            agent("Firefox", "121.0", "Android", Some("14"), Device::Mobile)
        );
        assert_eq!(
            agent_of(CUBOT_PHONE),
            agent("Chrome", "120.0", "Android", Some("11"), Device::Mobile)
        );
    }

    #[test]
    fn tablets() {
        assert_eq!(
            agent_of(SAFARI_IPAD),
            agent("Safari", "17.2", "iPadOS", Some("17.2"), Device::Tablet)
        );
        assert_eq!(
            agent_of(CHROME_ANDROID_TABLET),
            agent("Chrome", "119.0", "Android", Some("13"), Device::Tablet)
        );
        let old_ipad = "Mozilla/5.0 (iPad; CPU OS 12_5_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1.2 Mobile/15E148 Safari/604.1";
        assert_eq!(agent_of(old_ipad).os.as_deref(), Some("iOS"));
        assert_eq!(agent_of(old_ipad).device, Some(Device::Tablet));
    }

    #[test]
    fn in_app_webviews_are_mobile_apps_without_version() {
        let webview = agent_of(ANDROID_WEBVIEW);
        assert_eq!(webview.browser.as_deref(), Some(MOBILE_APP));
        assert_eq!(webview.browser_version, None);
        assert_eq!(webview.os.as_deref(), Some("Android"));
        assert_eq!(webview.device, Some(Device::Mobile));

        let ios_facebook = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/442.0.0.38.105;FBBV/540006434]";
        assert_eq!(agent_of(ios_facebook).browser.as_deref(), Some(MOBILE_APP));
        assert_eq!(agent_of(ios_facebook).os.as_deref(), Some("iOS"));
    }

    #[test]
    fn unknown_and_garbage_give_nothing_or_little() {
        assert_eq!(agent_of(""), Agent::default());
        assert_eq!(agent_of("-"), Agent::default());
        let garbage = agent_of("\u{0}\u{fffd}<script>alert(1)</script>");
        assert_eq!(garbage.browser, None);
        assert_eq!(garbage.device, None);
        let accented = agent_of("Navigateur/1.0 (système inconnu; 日本語)");
        assert_eq!(accented.browser, None);
    }

    #[test]
    fn crawlers_have_no_browser_nor_device() {
        let googlebot = agent_of(GOOGLEBOT);
        assert_eq!(googlebot.browser, None);
        assert_eq!(googlebot.device, None);
    }

    #[test]
    fn huge_input_is_cut_without_panicking() {
        let huge = format!("{CHROME_WINDOWS}{}", "é".repeat(100_000));
        assert_eq!(agent_of(&huge).browser.as_deref(), Some("Chrome"));
        assert!(!is_bot(&huge));
        // A multi-byte character straddling the cut.
        let straddling = format!("{}€{}", "a".repeat(MAX_ANALYSED_BYTES - 1), "b".repeat(10));
        assert_eq!(analysed_part(&straddling).len(), MAX_ANALYSED_BYTES - 1);
        // What comes after the cut is not looked at.
        let late_marker = format!("{CHROME_WINDOWS}{}bot", " ".repeat(600));
        assert!(!is_bot(&late_marker));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed: u32 = 0x9e37_79b9;
        for _ in 0..500 {
            let text: String = (0..seed % 700)
                .map(|_| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    char::from_u32((seed >> 16) & 0x2fff).unwrap_or('?')
                })
                .collect();
            let _ = agent_of(&text);
            let _ = is_bot(&text);
        }
    }

    #[test]
    fn robots_are_bots() {
        let robots = [
            GOOGLEBOT,
            HEADLESS_CHROME,
            CURL,
            "Wget/1.21.4",
            "python-requests/2.31.0",
            "Python-urllib/3.11",
            "Go-http-client/2.0",
            "Java/17.0.9",
            "okhttp/4.12.0",
            "axios/1.6.2",
            "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
            "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "Twitterbot/1.0",
            "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
            "TelegramBot (like TwitterBot)",
            "WhatsApp/2.23.20.0",
            "Mozilla/5.0 (Linux; Android 7.0; Moto G (4)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
            "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
            "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 PTST/puppeteer",
        ];
        for robot in robots {
            assert!(is_bot(robot), "{robot}");
        }
    }

    #[test]
    fn empty_and_tiny_user_agents_are_bots() {
        assert!(is_bot(""));
        assert!(is_bot("   "));
        assert!(is_bot("-"));
        assert!(is_bot("Mozilla/5.0"));
    }

    #[test]
    fn woothee_catches_robots_the_markers_miss() {
        let feedburner =
            "Mozilla/5.0 (compatible; Feedfetcher-Google; +http://www.google.com/feedfetcher.html)";
        assert!(woothee_says_robot(feedburner));
        assert!(woothee_says_robot("PHP/8.2.0"));
        assert!(is_bot("PHP/8.2.0 (some integration)"));
        assert!(!woothee_says_robot(CHROME_WINDOWS));
    }

    #[test]
    fn browsers_are_not_bots() {
        let browsers = [
            CHROME_WINDOWS,
            SAFARI_MAC,
            FIREFOX_UBUNTU,
            SAFARI_IPHONE,
            CHROME_ANDROID_PHONE,
            CHROME_ANDROID_TABLET,
            SAMSUNG_INTERNET,
            SAFARI_IPAD,
            EDGE_WINDOWS,
            OPERA_WINDOWS,
            FIREFOX_ANDROID,
            CHROME_IOS,
            ANDROID_WEBVIEW,
            IE11,
            CUBOT_PHONE,
            "Mozilla/5.0 (Linux; Android 12; CUBOT NOTE 30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36",
        ];
        for browser in browsers {
            assert!(!is_bot(browser), "{browser}");
        }
    }

    #[test]
    fn bot_after_cubot_is_still_a_bot() {
        assert!(!mentions_bot("cubot_x30"));
        assert!(mentions_bot("cubot_x30 examplebot/1.0"));
        assert!(mentions_bot("bot"));
    }

    #[test]
    fn device_names_round_trip() {
        for device in [Device::Desktop, Device::Mobile, Device::Tablet] {
            assert_eq!(Device::from_name(device.as_str()), Some(device));
        }
        assert_eq!(Device::from_name("mobile"), Some(Device::Mobile));
        assert_eq!(Device::from_name(" TABLET "), Some(Device::Tablet));
        assert_eq!(Device::from_name("Laptop"), None);
        assert_eq!(Device::from_name(""), None);
    }

    #[test]
    fn versions_keep_major_and_minor() {
        assert_eq!(major_minor("120.0.6099.109").as_deref(), Some("120.0"));
        assert_eq!(major_minor("17_2_1").as_deref(), Some("17.2"));
        assert_eq!(major_minor("14").as_deref(), Some("14"));
        assert_eq!(major_minor("11.x").as_deref(), Some("11"));
        assert_eq!(major_minor("UNKNOWN"), None);
        assert_eq!(major_minor(""), None);
        assert_eq!(major_minor("NT 10.0"), None);
    }
}
