//! Realistic events of one site, generated without HTTP: the same input for the embedded engine
//! and for PostgreSQL, and a function of its seed alone, so that both engines (and two runs) see
//! exactly the same events.
//!
//! The shape follows what a small publication's analytics look like: pages and sources are
//! Zipf-distributed (a home page and a few articles take most views; Google and direct visits
//! most sources, a long tail of referrers the rest), weekdays busier than weekends, afternoons
//! busier than nights, about 1.3 visits per visitor and day and about 3 events per visit (page
//! views, engagement reports with a scroll depth, now and then a custom event with a property).
//!
//! Each day is generated on its own ([`day_events`]) so that 10 million events never have to be
//! in memory at once, and can be generated again for the second engine.

use chrono::NaiveDate;
use relais_audience::event::Event;

/// The host every generated page is on.
pub const HOSTNAME: &str = "bench.example.com";
/// How many distinct pages the site has.
pub const PAGES: usize = 2_000;
/// Zipf exponent of pages (the brief's s ≈ 1.1).
const PAGE_SKEW: f64 = 1.1;
/// Zipf exponent of sources and countries: a little flatter than pages.
const SOURCE_SKEW: f64 = 1.0;
const COUNTRY_SKEW: f64 = 1.2;
/// A visit is by a new visitor with this chance (1 / 1.3): about 1.3 visits per visitor a day.
const NEW_VISITOR: f64 = 1.0 / 1.3;
/// Half of all visits see one page only.
const ONE_PAGE: f64 = 0.5;
/// After the second page, each further page with this chance (at most [`MAX_PAGES`]).
const ONE_MORE_PAGE: f64 = 0.55;
const MAX_PAGES: u32 = 12;
/// A page view is followed by an engagement report with this chance.
const ENGAGEMENT_SHARE: f64 = 0.35;
/// A visit sends one custom event with this chance.
const CUSTOM_SHARE: f64 = 0.08;
const DAY_MS: i64 = 86_400_000;

/// What to generate: `events` in all over `days` UTC days starting at `first_day`.
#[derive(Debug, Clone)]
pub struct Spec {
    pub site: String,
    pub events: u64,
    pub days: u32,
    pub first_day: NaiveDate,
    pub seed: u64,
}

impl Spec {
    /// The last day generated.
    pub fn last_day(&self) -> NaiveDate {
        self.first_day + chrono::Duration::days(i64::from(self.days.max(1)) - 1)
    }

    /// How many events day `index` gets: weekdays more than weekends, and exactly `events` in
    /// all (each day's share rounded on the running total, so roundings never add up).
    pub fn events_of_day(&self, index: u32) -> u64 {
        let weights: Vec<f64> = (0..self.days).map(|d| self.day_weight(d)).collect();
        let total: f64 = weights.iter().sum();
        if total <= 0.0 || index >= self.days {
            return 0;
        }
        let before: f64 = weights.iter().take(index as usize).sum();
        let through = before + weights.get(index as usize).copied().unwrap_or(0.0);
        let at = |share: f64| (self.events as f64 * share / total).round() as u64;
        at(through).saturating_sub(at(before))
    }

    fn day_weight(&self, index: u32) -> f64 {
        use chrono::Datelike;
        let day = self.first_day + chrono::Duration::days(i64::from(index));
        match day.weekday().num_days_from_monday() {
            5 => 0.72,
            6 => 0.78,
            0 => 1.08,
            _ => 1.0,
        }
    }
}

/// A small, fast, seedable generator (SplitMix64): statistics, not secrets.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi] (lo when hi < lo).
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo + 1)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// A bijection of u64 that scatters its input (SplitMix64's finaliser): distinct numbers give
/// distinct, random-looking ids.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Draws ranks 0..n with chances proportional to 1 / (rank + 1)^s: a cumulative table built
/// once, then one binary search per draw (O(log n)).
#[derive(Debug, Clone)]
pub struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    pub fn new(n: usize, s: f64) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=n.max(1))
            .map(|k| {
                total += 1.0 / (k as f64).powf(s);
                total
            })
            .collect();
        Zipf { cumulative }
    }

    /// From explicit weights (any non-negative numbers), for small hand-made shares.
    pub fn weighted(weights: &[f64]) -> Self {
        let mut total = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                total += w.max(0.0);
                total
            })
            .collect();
        Zipf { cumulative }
    }

    pub fn sample(&self, rng: &mut Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let target = rng.unit() * total;
        self.cumulative
            .partition_point(|&c| c <= target)
            .min(self.cumulative.len().saturating_sub(1))
    }
}

/// Where a visit came from, as the classifier would have named it.
#[derive(Debug, Clone)]
pub struct Source {
    pub source: Option<String>,
    pub channel: &'static str,
    pub referrer: Option<String>,
    pub utm_source: Option<&'static str>,
    pub utm_medium: Option<&'static str>,
}

/// The browser, system and device of a visit.
#[derive(Debug, Clone, Copy)]
struct Agent {
    browser: &'static str,
    browser_version: &'static str,
    os: &'static str,
    os_version: Option<&'static str>,
    device: &'static str,
    weight: f64,
}

const AGENTS: &[Agent] = &[
    agent("Chrome", "124.0", "Windows", Some("10"), "Desktop", 27.0),
    agent("Safari", "17.4", "iOS", Some("17.4"), "Mobile", 17.0),
    agent("Chrome", "124.0", "Android", Some("14"), "Mobile", 16.0),
    agent("Chrome", "124.0", "Mac", Some("10.15"), "Desktop", 8.0),
    agent("Safari", "17.4", "Mac", Some("10.15"), "Desktop", 7.0),
    agent(
        "Microsoft Edge",
        "124.0",
        "Windows",
        Some("10"),
        "Desktop",
        6.0,
    ),
    agent("Firefox", "125.0", "Windows", Some("10"), "Desktop", 4.5),
    agent(
        "Samsung Browser",
        "24.0",
        "Android",
        Some("14"),
        "Mobile",
        3.0,
    ),
    agent("Safari", "17.4", "iOS", Some("17.4"), "Tablet", 2.5),
    agent("Firefox", "125.0", "GNU/Linux", None, "Desktop", 2.0),
    agent("Chrome", "124.0", "GNU/Linux", None, "Desktop", 1.5),
    agent("Firefox", "125.0", "Mac", Some("10.15"), "Desktop", 1.5),
    agent("Opera", "109.0", "Windows", Some("10"), "Desktop", 1.0),
    agent("Chrome", "124.0", "Android", Some("13"), "Tablet", 1.0),
    agent("Firefox", "125.0", "Android", Some("14"), "Mobile", 1.0),
];

const fn agent(
    browser: &'static str,
    browser_version: &'static str,
    os: &'static str,
    os_version: Option<&'static str>,
    device: &'static str,
    weight: f64,
) -> Agent {
    Agent {
        browser,
        browser_version,
        os,
        os_version,
        device,
        weight,
    }
}

/// Countries, most visitors first (the Zipf rank is the place in this list).
const COUNTRIES: [&str; 40] = [
    "US", "FR", "DE", "GB", "CA", "IN", "NL", "ES", "IT", "BE", "CH", "BR", "AU", "SE", "PL", "JP",
    "MX", "AT", "PT", "IE", "DK", "NO", "FI", "CZ", "RO", "AR", "ZA", "NZ", "SG", "KR", "TR", "GR",
    "HU", "IL", "CL", "CO", "UA", "MA", "SN", "VN",
];

/// (name, channel, referrer host) of the named sources, most visits first; `None` is a direct
/// visit. Newsletters come through UTM tags instead (see [`sources`]).
const NAMED_SOURCES: &[(Option<&str>, &str, Option<&str>)] = &[
    (None, "Direct", None),
    (Some("Google"), "Organic Search", Some("google.com")),
    (Some("Bluesky"), "Organic Social", Some("bsky.app")),
    (Some("Facebook"), "Organic Social", Some("facebook.com")),
    (Some("LinkedIn"), "Organic Social", Some("linkedin.com")),
    (Some("Twitter"), "Organic Social", Some("x.com")),
    (Some("Bing"), "Organic Search", Some("bing.com")),
    (Some("DuckDuckGo"), "Organic Search", Some("duckduckgo.com")),
    (Some("Reddit"), "Organic Social", Some("reddit.com")),
    (
        Some("Hacker News"),
        "Organic Social",
        Some("news.ycombinator.com"),
    ),
    (Some("Mastodon"), "Organic Social", Some("mastodon.social")),
    (Some("ChatGPT"), "AI Assistants", Some("chatgpt.com")),
    (Some("Ecosia"), "Organic Search", Some("ecosia.org")),
    (Some("Qwant"), "Organic Search", Some("qwant.com")),
    (Some("GitHub"), "Organic Social", Some("github.com")),
    (Some("Youtube"), "Organic Video", Some("youtube.com")),
    (Some("Instagram"), "Organic Social", Some("instagram.com")),
    (Some("Perplexity"), "AI Assistants", Some("perplexity.ai")),
    (Some("Wikipedia"), "Referral", Some("en.wikipedia.org")),
    (Some("Threads"), "Organic Social", Some("threads.net")),
    (Some("Gmail"), "Email", Some("mail.google.com")),
    (Some("Proton"), "Email", Some("mail.proton.me")),
    (Some("Yahoo!"), "Organic Search", Some("search.yahoo.com")),
    (Some("Brave"), "Organic Search", Some("search.brave.com")),
    (Some("Telegram"), "Organic Social", Some("web.telegram.org")),
    (Some("Startpage"), "Organic Search", Some("startpage.com")),
];

/// How many sources in all: the named ones, two newsletters, then referring sites.
pub const SOURCES: usize = 60;

/// Every source, most visits first.
pub fn sources() -> Vec<Source> {
    let mut out: Vec<Source> = NAMED_SOURCES
        .iter()
        .map(|(name, channel, host)| Source {
            source: name.map(str::to_owned),
            channel,
            referrer: host.map(str::to_owned),
            utm_source: None,
            utm_medium: None,
        })
        .collect();
    // Newsletters are tagged: the source is the tag, the channel Email.
    for tag in ["newsletter", "weekly-digest"] {
        out.insert(
            3.min(out.len()),
            Source {
                source: Some(tag.to_owned()),
                channel: "Email",
                referrer: None,
                utm_source: Some(tag),
                utm_medium: Some("email"),
            },
        );
    }
    let mut n = 0;
    while out.len() < SOURCES {
        n += 1;
        let host = format!("blog-{n}.example.net");
        out.push(Source {
            source: Some(host.clone()),
            channel: "Referral",
            referrer: Some(format!("{host}/links")),
            utm_source: None,
            utm_medium: None,
        });
    }
    out
}

/// Every page, most viewed first.
pub fn pages() -> Vec<String> {
    let fixed = [
        "/",
        "/blog",
        "/pricing",
        "/about",
        "/docs",
        "/features",
        "/signup",
        "/contact",
        "/login",
        "/changelog",
    ];
    let mut out: Vec<String> = fixed.iter().map(|p| (*p).to_owned()).collect();
    let mut n = 0;
    while out.len() < PAGES {
        n += 1;
        let page = match n % 4 {
            0 => format!("/docs/guide-{n}"),
            1 => format!("/blog/{}/post-{n}", 2020 + n % 6),
            2 => format!("/tags/topic-{n}"),
            _ => format!("/blog/{}/notes-{n}", 2020 + n % 6),
        };
        out.push(page);
    }
    out
}

/// Custom events: (name, property key, property values).
const CUSTOM: &[(&str, &str, &[&str])] = &[
    ("Signup", "plan", &["free", "pro", "team"]),
    (
        "Download",
        "file",
        &["guide.pdf", "report-2024.pdf", "slides.pdf"],
    ),
    (
        "Outbound Link: Click",
        "url",
        &["https://github.com/example", "https://example.org/partner"],
    ),
];

/// Shares of visits starting in each hour of the UTC day: quiet nights, busy afternoons.
const HOURS: [f64; 24] = [
    1.2, 0.8, 0.6, 0.5, 0.5, 0.7, 1.2, 2.2, 3.6, 4.6, 5.0, 5.2, 5.2, 5.4, 5.6, 5.6, 5.4, 5.2, 5.0,
    4.8, 4.6, 4.0, 3.0, 2.0,
];

/// The tables every day draws from (built once: they are the costly part to set up).
pub struct Tables {
    pages: Vec<String>,
    sources: Vec<Source>,
    page_zipf: Zipf,
    source_zipf: Zipf,
    country_zipf: Zipf,
    agent_shares: Zipf,
    hours: Zipf,
}

impl Default for Tables {
    fn default() -> Self {
        let agent_weights: Vec<f64> = AGENTS.iter().map(|a| a.weight).collect();
        Tables {
            pages: pages(),
            sources: sources(),
            page_zipf: Zipf::new(PAGES, PAGE_SKEW),
            source_zipf: Zipf::new(SOURCES, SOURCE_SKEW),
            country_zipf: Zipf::new(COUNTRIES.len(), COUNTRY_SKEW),
            agent_shares: Zipf::weighted(&agent_weights),
            hours: Zipf::weighted(&HOURS),
        }
    }
}

/// The events of day `index` of `spec`, in time order. Deterministic: the same spec, day and
/// tables give the same events.
pub fn day_events(spec: &Spec, index: u32, tables: &Tables) -> Vec<Event> {
    let budget = spec.events_of_day(index) as usize;
    let day = spec.first_day + chrono::Duration::days(i64::from(index));
    let day_start = day
        .and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp_millis());
    let mut rng = Rng::new(mix(spec.seed ^ mix(u64::from(index) + 1)));
    let mut events = Vec::with_capacity(budget + 16);
    let mut visitors = 0u64;
    let mut visit = 0u64;
    while events.len() < budget {
        // Visitor and visit ids: distinct inputs to a bijection, so never shared between two
        // days (visitor hashes change every UTC day in Relais) or two visits.
        let visitor_number = if visitors == 0 || rng.chance(NEW_VISITOR) {
            visitors += 1;
            visitors - 1
        } else {
            rng.between(0, visitors - 1)
        };
        let day_tag = u64::from(index) << 40;
        let visitor = mix(spec.seed ^ (day_tag | visitor_number));
        let session = mix(spec.seed ^ (1 << 63) ^ (day_tag | visit));
        visit += 1;
        let hour = tables.hours.sample(&mut rng) as i64;
        let start = day_start + hour * 3_600_000 + rng.between(0, 3_599_999) as i64;
        push_visit(
            &mut events,
            &mut rng,
            tables,
            spec,
            (visitor, session, start, day_start + DAY_MS - 1),
        );
    }
    events.truncate(budget);
    // Stable: a visit's events keep their order when two share a millisecond.
    events.sort_by_key(|e| e.at_ms);
    events
}

/// One visit's events: its page views, their engagement reports, maybe a custom event. The
/// visit's attributes (source, country, browser…) are on its first event, as the tracker's
/// first request brings them; later page views are internal navigation (no referrer).
fn push_visit(
    events: &mut Vec<Event>,
    rng: &mut Rng,
    tables: &Tables,
    spec: &Spec,
    (visitor, session, start, day_end): (u64, u64, i64, i64),
) {
    let source = &tables.sources[tables.source_zipf.sample(rng)];
    let country = COUNTRIES[tables.country_zipf.sample(rng)];
    let agent = AGENTS[tables.agent_shares.sample(rng)];
    let campaign = source
        .utm_source
        .map(|_| format!("issue-{}", rng.between(1, 8)));
    let page_count = if rng.chance(ONE_PAGE) {
        1
    } else {
        let mut n = 2;
        while n < MAX_PAGES && rng.chance(ONE_MORE_PAGE) {
            n += 1;
        }
        n
    };
    let custom_at = rng
        .chance(CUSTOM_SHARE)
        .then(|| rng.between(0, u64::from(page_count) - 1) as u32);
    let mut at = start;
    for n in 0..page_count {
        let page = &tables.pages[tables.page_zipf.sample(rng)];
        let first = n == 0;
        let base = Event {
            site: spec.site.clone(),
            at_ms: at.min(day_end),
            visitor,
            session,
            name: "pageview".into(),
            hostname: HOSTNAME.into(),
            pathname: page.clone(),
            referrer: if first { source.referrer.clone() } else { None },
            source: if first { source.source.clone() } else { None },
            channel: if first { source.channel } else { "Direct" }.into(),
            utm_source: source.utm_source.filter(|_| first).map(str::to_owned),
            utm_medium: source.utm_medium.filter(|_| first).map(str::to_owned),
            utm_campaign: campaign.clone().filter(|_| first),
            utm_content: None,
            utm_term: None,
            country: Some(country.into()),
            browser: Some(agent.browser.into()),
            browser_version: Some(agent.browser_version.into()),
            os: Some(agent.os.into()),
            os_version: agent.os_version.map(str::to_owned),
            device: Some(agent.device.into()),
            props: Vec::new(),
            revenue: None,
            interactive: true,
            scroll_depth: None,
            engaged_ms: None,
        };
        let read_ms = rng.between(4_000, 150_000) as i64;
        let mut extras = Vec::new();
        if rng.chance(ENGAGEMENT_SHARE) {
            extras.push(Event {
                name: "engagement".into(),
                at_ms: (at + read_ms).min(day_end),
                scroll_depth: Some(rng.between(5, 100) as u8),
                engaged_ms: Some(read_ms as u32),
                ..inner_event(&base)
            });
        }
        if custom_at == Some(n) {
            let (name, key, values) = CUSTOM[rng.between(0, CUSTOM.len() as u64 - 1) as usize];
            let value = values[rng.between(0, values.len() as u64 - 1) as usize];
            extras.push(Event {
                name: name.into(),
                at_ms: (at + read_ms / 2).min(day_end),
                props: vec![(key.into(), value.into())],
                ..inner_event(&base)
            });
        }
        // The page view first: when a late visit is cut at midnight, its events share the
        // last millisecond and keep this order.
        events.push(base);
        events.extend(extras);
        at += read_ms + rng.between(500, 20_000) as i64;
    }
}

/// An event of the same page and visit that is not its first request: no referrer or tags.
fn inner_event(pageview: &Event) -> Event {
    Event {
        referrer: None,
        source: None,
        channel: "Direct".into(),
        utm_source: None,
        utm_medium: None,
        utm_campaign: None,
        ..pageview.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(events: u64) -> Spec {
        Spec {
            site: "0b9a7c55-1f2e-4d3c-8b7a-6e5d4c3b2a19".into(),
            events,
            days: 3,
            first_day: NaiveDate::from_ymd_opt(2024, 5, 3).unwrap_or_default(),
            seed: 42,
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_events_and_another_seed_others() {
        let t = Tables::default();
        let a = day_events(&spec(9_000), 1, &t);
        let b = day_events(&spec(9_000), 1, &t);
        assert_eq!(a, b);
        let mut other = spec(9_000);
        other.seed = 43;
        assert_ne!(a, day_events(&other, 1, &t));
        assert_ne!(a, day_events(&spec(9_000), 2, &t), "days differ");
    }

    #[test]
    fn days_add_up_to_the_events_asked_and_weekends_are_quieter() {
        let s = Spec {
            days: 30,
            ..spec(1_000_003)
        };
        let total: u64 = (0..30).map(|d| s.events_of_day(d)).sum();
        assert_eq!(total, 1_000_003);
        // 2024-05-03 is a Friday: day 1 a Saturday.
        assert!(s.events_of_day(1) < s.events_of_day(0));
        assert_eq!(s.events_of_day(30), 0);
        let t = Tables::default();
        assert_eq!(
            day_events(&spec(9_000), 0, &t).len() as u64,
            spec(9_000).events_of_day(0)
        );
    }

    #[test]
    fn events_fall_in_their_day_in_time_order() {
        let t = Tables::default();
        let s = spec(30_000);
        let events = day_events(&s, 2, &t);
        let start = NaiveDate::from_ymd_opt(2024, 5, 5)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp_millis())
            .unwrap_or_default();
        assert!(events.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
        assert!(
            events
                .iter()
                .all(|e| e.at_ms >= start && e.at_ms < start + DAY_MS)
        );
        assert!(
            events
                .iter()
                .all(|e| e.site == s.site && e.hostname == HOSTNAME)
        );
    }

    #[test]
    fn about_three_events_a_visit_and_1_3_visits_a_visitor() {
        use std::collections::HashSet;
        let t = Tables::default();
        let events = day_events(&spec(60_000), 0, &t);
        let visits: HashSet<u64> = events.iter().map(|e| e.session).collect();
        let visitors: HashSet<u64> = events.iter().map(|e| e.visitor).collect();
        let per_visit = events.len() as f64 / visits.len() as f64;
        let per_visitor = visits.len() as f64 / visitors.len() as f64;
        assert!((2.5..3.5).contains(&per_visit), "{per_visit}");
        assert!((1.15..1.45).contains(&per_visitor), "{per_visitor}");
        let named = |n: &str| events.iter().filter(|e| e.name == n).count();
        assert!(named("pageview") > named("engagement"));
        assert!(named("engagement") > 0 && named("Signup") > 0);
        assert!(
            events
                .iter()
                .filter(|e| e.name == "engagement")
                .all(|e| e.scroll_depth.is_some_and(|d| (5..=100).contains(&d)))
        );
        assert!(
            events
                .iter()
                .filter(|e| e.name == "Signup")
                .all(|e| e.props.len() == 1 && e.props[0].0 == "plan")
        );
    }

    #[test]
    fn pages_and_sources_are_zipf_skewed() {
        use std::collections::HashMap;
        let t = Tables::default();
        let events = day_events(&spec(200_000), 0, &t);
        let mut by_page: HashMap<&str, u64> = HashMap::new();
        for e in events.iter().filter(|e| e.name == "pageview") {
            *by_page.entry(&e.pathname).or_default() += 1;
        }
        let mut counts: Vec<u64> = by_page.values().copied().collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let median = counts[counts.len() / 2];
        assert_eq!(
            by_page.get("/").copied(),
            counts.first().copied(),
            "home first"
        );
        assert!(counts[0] > 50 * median.max(1), "{} vs {median}", counts[0]);
        assert!(by_page.len() > 1_000, "a long tail: {}", by_page.len());

        let mut by_source: HashMap<Option<&str>, u64> = HashMap::new();
        for e in &events {
            *by_source.entry(e.source.as_deref()).or_default() += 1;
        }
        assert!(by_source[&Some("Google")] > 10 * by_source[&Some("blog-30.example.net")]);
    }

    #[test]
    fn zipf_draws_stay_in_range_even_when_degenerate() {
        let mut rng = Rng::new(7);
        let z = Zipf::new(5, 1.1);
        let mut seen = [0u32; 5];
        for _ in 0..10_000 {
            seen[z.sample(&mut rng)] += 1;
        }
        assert!(
            seen[0] > seen[1] && seen[1] > seen[4] && seen[4] > 0,
            "{seen:?}"
        );
        assert_eq!(Zipf::new(0, 1.1).sample(&mut rng), 0);
        assert_eq!(Zipf::weighted(&[]).sample(&mut rng), 0);
        assert_eq!(Zipf::weighted(&[0.0, 3.0, 0.0]).sample(&mut rng), 1);
        assert_eq!(Rng::new(1).between(5, 2), 5);
    }

    #[test]
    fn lists_have_the_sizes_announced_and_no_duplicates() {
        use std::collections::HashSet;
        let p = pages();
        assert_eq!(p.len(), PAGES);
        assert_eq!(p.iter().collect::<HashSet<_>>().len(), PAGES);
        let s = sources();
        assert_eq!(s.len(), SOURCES);
        let names: HashSet<_> = s.iter().map(|s| s.source.clone()).collect();
        assert_eq!(names.len(), SOURCES);
        assert!(s[0].source.is_none() && s[1].source.as_deref() == Some("Google"));
    }
}
