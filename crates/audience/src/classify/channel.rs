//! The acquisition channel of a visit, by rules like Google Analytics 4's default channel group.
//!
//! The rules are GA4's, adapted as Plausible adapts them: a source category comes from the
//! source's name (see [`super::source`]), the medium tests match substrings the way Plausible
//! does ("newsletter" in the medium is email), AI assistants get their own channel, Referral is
//! the last resort for any visit with a source, and a visit with nothing at all is Direct.

use super::source::{
    is_ai_assistant, is_email_provider, is_paid_tag, is_search_engine, is_shopping, is_social,
    is_video, known_source_name,
};
use super::utm::{ClickId, PAID_SEARCH_MEDIUM, Utm};

/// A default channel group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Direct,
    CrossNetwork,
    PaidShopping,
    PaidSearch,
    PaidSocial,
    PaidVideo,
    Display,
    PaidOther,
    OrganicShopping,
    OrganicSocial,
    OrganicVideo,
    AiAssistants,
    OrganicSearch,
    Email,
    Affiliates,
    Audio,
    Sms,
    MobilePushNotifications,
    Referral,
}

impl Channel {
    /// Every channel, in the order the rules try them (Direct, the visit with nothing to go on,
    /// comes first as in GA4's table).
    pub const ALL: [Channel; 19] = [
        Channel::Direct,
        Channel::CrossNetwork,
        Channel::PaidShopping,
        Channel::PaidSearch,
        Channel::PaidSocial,
        Channel::PaidVideo,
        Channel::Display,
        Channel::PaidOther,
        Channel::OrganicShopping,
        Channel::OrganicSocial,
        Channel::OrganicVideo,
        Channel::AiAssistants,
        Channel::OrganicSearch,
        Channel::Email,
        Channel::Affiliates,
        Channel::Audio,
        Channel::Sms,
        Channel::MobilePushNotifications,
        Channel::Referral,
    ];

    /// The channel's name as Plausible and GA4 print it ("Organic Social", "Paid Search"…).
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Direct => "Direct",
            Channel::CrossNetwork => "Cross-network",
            Channel::PaidShopping => "Paid Shopping",
            Channel::PaidSearch => "Paid Search",
            Channel::PaidSocial => "Paid Social",
            Channel::PaidVideo => "Paid Video",
            Channel::Display => "Display",
            Channel::PaidOther => "Paid Other",
            Channel::OrganicShopping => "Organic Shopping",
            Channel::OrganicSocial => "Organic Social",
            Channel::OrganicVideo => "Organic Video",
            Channel::AiAssistants => "AI Assistants",
            Channel::OrganicSearch => "Organic Search",
            Channel::Email => "Email",
            Channel::Affiliates => "Affiliates",
            Channel::Audio => "Audio",
            Channel::Sms => "SMS",
            Channel::MobilePushNotifications => "Mobile Push Notifications",
            Channel::Referral => "Referral",
        }
    }

    /// The channel a name designates, in any case ("organic social" → OrganicSocial), as a
    /// Stats API filter may spell it.
    pub fn from_name(name: &str) -> Option<Channel> {
        let name = name.trim();
        Channel::ALL
            .into_iter()
            .find(|channel| channel.as_str().eq_ignore_ascii_case(name))
    }
}

impl std::fmt::Display for Channel {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// The channel of a visit from its source (as [`super::source::source_of`] gives it), its
/// referrer's host and its campaign parameters.
pub fn channel_of(source: Option<&str>, referrer_host: Option<&str>, utm: &Utm) -> Channel {
    channel_of_visit(source, referrer_host, utm, None)
}

/// [`channel_of`], also knowing the landing URL's ad click id ([`super::utm::click_id_of`]):
/// Google with a `gclid`, or Bing with an `msclkid`, is paid search without any tag.
pub fn channel_of_visit(
    source: Option<&str>,
    referrer_host: Option<&str>,
    utm: &Utm,
    click_id: Option<ClickId>,
) -> Channel {
    let visit = Visit::new(source, referrer_host, utm, click_id);
    RULES
        .iter()
        .find(|(_, applies)| applies(&visit))
        .map_or(Channel::Direct, |(channel, _)| *channel)
}

/// Whether a visit belongs to a channel.
type Rule = fn(&Visit) -> bool;

/// One rule per channel, tried in this order; the first that applies wins. Direct is what is
/// left, so it has no rule.
const RULES: &[(Channel, Rule)] = &[
    (Channel::CrossNetwork, Visit::is_cross_network),
    (Channel::PaidShopping, Visit::is_paid_shopping),
    (Channel::PaidSearch, Visit::is_paid_search),
    (Channel::PaidSocial, Visit::is_paid_social),
    (Channel::PaidVideo, Visit::is_paid_video),
    (Channel::Display, Visit::is_display),
    (Channel::PaidOther, Visit::is_paid_other),
    (Channel::OrganicShopping, Visit::is_organic_shopping),
    (Channel::OrganicSocial, Visit::is_organic_social),
    (Channel::OrganicVideo, Visit::is_organic_video),
    (Channel::AiAssistants, Visit::is_ai_assistant),
    (Channel::OrganicSearch, Visit::is_organic_search),
    (Channel::Email, Visit::is_email),
    (Channel::Affiliates, Visit::is_affiliate),
    (Channel::Audio, Visit::is_audio),
    (Channel::Sms, Visit::is_sms),
    (Channel::MobilePushNotifications, Visit::is_mobile_push),
    (Channel::Referral, Visit::is_referral),
];

const DISPLAY_MEDIUMS: &[&str] = &["display", "banner", "expandable", "interstitial", "cpm"];

const SOCIAL_MEDIUMS: &[&str] = &[
    "social",
    "social-network",
    "social-media",
    "sm",
    "social network",
    "social media",
];

/// Mediums that say "paid search" outright; with a source of no known kind (or none, as when the
/// search engine withheld the referrer) they still mean paid search. Xiti's sponsored links get
/// the first one.
const PAID_SEARCH_MEDIUMS: &[&str] = &[
    PAID_SEARCH_MEDIUM,
    "paid-search",
    "paid_search",
    "paid search",
];

/// Any of these in the source tag or the medium marks an email campaign.
const EMAIL_TAGS: &[&str] = &["email", "e-mail", "e_mail", "e mail", "newsletter"];

const REFERRAL_MEDIUMS: &[&str] = &["referral", "app", "link"];

/// What the rules look at, lowercased once. The source falls back to the referrer's host so a
/// caller that only has the host still gets the host's category.
struct Visit {
    source: String,
    medium: String,
    campaign: String,
    tag: String,
    click_id: Option<ClickId>,
}

impl Visit {
    fn new(
        source: Option<&str>,
        referrer_host: Option<&str>,
        utm: &Utm,
        click_id: Option<ClickId>,
    ) -> Visit {
        let lowered =
            |value: Option<&str>| value.map(|v| v.trim().to_lowercase()).unwrap_or_default();
        let source = source.filter(|s| !s.trim().is_empty()).or(referrer_host);
        Visit {
            source: lowered(source),
            medium: lowered(utm.medium.as_deref()),
            campaign: lowered(utm.campaign.as_deref()),
            tag: lowered(utm.source.as_deref()),
            click_id,
        }
    }

    fn is_cross_network(&self) -> bool {
        self.campaign.contains("cross-network")
    }

    fn is_paid_shopping(&self) -> bool {
        self.is_organic_shopping() && self.has_paid_medium()
    }

    fn is_paid_search(&self) -> bool {
        let searched = is_search_engine(&self.source);
        let names = known_source_name(&self.source);
        (searched && self.is_paid())
            || (names == Some("Google") && self.click_id == Some(ClickId::Google))
            || (names == Some("Bing") && self.click_id == Some(ClickId::Microsoft))
            || (names.is_none_or(|name| !has_own_paid_channel(name))
                && PAID_SEARCH_MEDIUMS.contains(&self.medium.as_str()))
    }

    fn is_paid_social(&self) -> bool {
        is_social(&self.source) && self.is_paid()
    }

    fn is_paid_video(&self) -> bool {
        is_video(&self.source) && self.is_paid()
    }

    fn is_display(&self) -> bool {
        DISPLAY_MEDIUMS.contains(&self.medium.as_str())
    }

    fn is_paid_other(&self) -> bool {
        self.has_paid_medium()
    }

    fn is_organic_shopping(&self) -> bool {
        is_shopping(&self.source) || is_shopping_campaign(&self.campaign)
    }

    fn is_organic_social(&self) -> bool {
        is_social(&self.source) || SOCIAL_MEDIUMS.contains(&self.medium.as_str())
    }

    fn is_organic_video(&self) -> bool {
        is_video(&self.source) || self.medium.contains("video")
    }

    fn is_ai_assistant(&self) -> bool {
        is_ai_assistant(&self.source)
    }

    fn is_organic_search(&self) -> bool {
        is_search_engine(&self.source) || self.medium == "organic"
    }

    fn is_email(&self) -> bool {
        is_email_provider(&self.source)
            || EMAIL_TAGS
                .iter()
                .any(|tag| self.tag.contains(tag) || self.medium.contains(tag))
    }

    fn is_affiliate(&self) -> bool {
        self.medium == "affiliate"
    }

    fn is_audio(&self) -> bool {
        self.medium == "audio"
    }

    fn is_sms(&self) -> bool {
        self.tag == "sms" || self.medium == "sms"
    }

    fn is_mobile_push(&self) -> bool {
        self.medium.ends_with("push")
            || self.medium.contains("mobile")
            || self.medium.contains("notification")
            || self.source == "firebase"
    }

    fn is_referral(&self) -> bool {
        REFERRAL_MEDIUMS.contains(&self.medium.as_str()) || !self.source.is_empty()
    }

    /// Paid by its medium, or by a source tag that only ad links carry ("fb-ads", "adwords").
    fn is_paid(&self) -> bool {
        self.has_paid_medium() || is_paid_tag(&self.tag)
    }

    /// GA4's paid medium: `^(.*cp.*|ppc|retargeting|paid.*)$`.
    fn has_paid_medium(&self) -> bool {
        let medium = self.medium.as_str();
        medium.contains("cp")
            || medium == "ppc"
            || medium == "retargeting"
            || medium.starts_with("paid")
    }
}

/// Whether a known source belongs to a category with a channel of its own, in which case a
/// "paid search" medium must not override what the source says.
fn has_own_paid_channel(name: &str) -> bool {
    is_search_engine(name)
        || is_social(name)
        || is_video(name)
        || is_shopping(name)
        || is_email_provider(name)
        || is_ai_assistant(name)
}

/// GA4's shopping campaign: `^(.*(([^a-df-z]|^)shop|shopping).*)$`, i.e. "shopping" anywhere, or
/// "shop" at the start or after anything but a lowercase letter other than "e" (so "eshop" and
/// "summer-shop" count, "workshop" does not).
fn is_shopping_campaign(campaign: &str) -> bool {
    campaign.contains("shopping")
        || campaign.match_indices("shop").any(|(at, _)| {
            campaign[..at]
                .chars()
                .next_back()
                .is_none_or(|before| before == 'e' || !before.is_ascii_lowercase())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::source::source_of;
    use crate::classify::utm::{click_id_of, utm_of};
    use url::Url;

    /// The channel of a landing URL reached from a referrer, through the real source and UTM
    /// functions, as ingestion will call them.
    fn channel(landing: &str, referrer: Option<&str>) -> Channel {
        let landing = Url::parse(landing);
        assert!(landing.is_ok(), "test landing URL must parse");
        let Ok(landing) = landing else {
            return Channel::Direct;
        };
        let referrer = referrer.and_then(|r| Url::parse(r).ok());
        let utm = utm_of(&landing);
        let source = source_of(referrer.as_ref(), utm.source.as_deref());
        let host = referrer
            .as_ref()
            .and_then(|r| r.host_str().map(str::to_owned));
        channel_of_visit(
            source.as_deref(),
            host.as_deref(),
            &utm,
            click_id_of(&landing),
        )
    }

    fn tagged(source: Option<&str>, medium: Option<&str>, campaign: Option<&str>) -> Utm {
        Utm {
            source: source.map(String::from),
            medium: medium.map(String::from),
            campaign: campaign.map(String::from),
            ..Utm::default()
        }
    }

    #[test]
    fn nothing_is_direct() {
        assert_eq!(channel("https://example.fr/", None), Channel::Direct);
        assert_eq!(channel_of(None, None, &Utm::default()), Channel::Direct);
        assert_eq!(
            channel_of(Some("  "), None, &Utm::default()),
            Channel::Direct
        );
    }

    #[test]
    fn cpc_from_google_is_paid_search() {
        let url = "https://example.fr/?utm_source=google&utm_medium=cpc&utm_campaign=brand";
        assert_eq!(channel(url, None), Channel::PaidSearch);
        assert_eq!(
            channel(url, Some("https://www.google.fr/")),
            Channel::PaidSearch
        );
    }

    #[test]
    fn newsletter_is_email() {
        let url = "https://example.fr/?utm_source=newsletter&utm_medium=email";
        assert_eq!(channel(url, None), Channel::Email);
        assert_eq!(
            channel("https://example.fr/?utm_source=newsletter", None),
            Channel::Email
        );
        assert_eq!(
            channel("https://example.fr/", Some("https://mail.google.com/")),
            Channel::Email
        );
    }

    #[test]
    fn facebook_without_tags_is_organic_social() {
        let referrer = "https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.fr%2F";
        assert_eq!(
            channel("https://example.fr/", Some(referrer)),
            Channel::OrganicSocial
        );
        assert_eq!(
            channel("https://example.fr/", Some("https://t.co/abc")),
            Channel::OrganicSocial
        );
        assert_eq!(
            channel("https://example.fr/", Some("https://piaille.fr/@y")),
            Channel::OrganicSocial
        );
        assert_eq!(
            channel("https://example.fr/?utm_medium=social", None),
            Channel::OrganicSocial
        );
    }

    #[test]
    fn xtor_sponsored_link_is_paid_search() {
        assert_eq!(
            channel("https://example.fr/?xtor=SEC-12", None),
            Channel::PaidSearch
        );
        let from_google = channel(
            "https://example.fr/#xtor=SEC-12-GOO",
            Some("https://www.google.fr/"),
        );
        assert_eq!(from_google, Channel::PaidSearch);
        // A "paid search" medium cannot turn a social network's visit into search.
        let odd = tagged(Some("facebook"), Some(PAID_SEARCH_MEDIUM), None);
        assert_eq!(
            channel_of(Some("Facebook"), None, &odd),
            Channel::PaidSocial
        );
    }

    #[test]
    fn other_xtor_kinds() {
        assert_eq!(
            channel("https://example.fr/?xtor=EPR-300", None),
            Channel::Email
        );
        assert_eq!(
            channel("https://example.fr/?xtor=AD-5", None),
            Channel::Display
        );
        assert_eq!(
            channel("https://example.fr/?xtor=AL-5", None),
            Channel::Affiliates
        );
    }

    #[test]
    fn unknown_blog_is_referral() {
        let blog = Some("https://www.someones-blog.net/2025/01/post");
        assert_eq!(channel("https://example.fr/", blog), Channel::Referral);
        assert_eq!(
            channel_of(None, Some("someones-blog.net"), &Utm::default()),
            Channel::Referral
        );
        assert_eq!(
            channel("https://example.fr/?utm_medium=link", None),
            Channel::Referral
        );
    }

    #[test]
    fn organic_search_video_shopping_and_ai() {
        let home = "https://example.fr/";
        assert_eq!(
            channel(home, Some("https://www.google.fr/")),
            Channel::OrganicSearch
        );
        assert_eq!(
            channel(home, Some("https://duckduckgo.com/")),
            Channel::OrganicSearch
        );
        assert_eq!(
            channel(home, Some("https://www.youtube.com/watch?v=1")),
            Channel::OrganicVideo
        );
        assert_eq!(
            channel(home, Some("https://www.amazon.fr/")),
            Channel::OrganicShopping
        );
        assert_eq!(
            channel(home, Some("https://chatgpt.com/")),
            Channel::AiAssistants
        );
        assert_eq!(
            channel("https://example.fr/?utm_medium=organic", None),
            Channel::OrganicSearch
        );
    }

    #[test]
    fn paid_channels_by_network() {
        let social = "https://example.fr/?utm_source=facebook&utm_medium=paid_social";
        assert_eq!(channel(social, None), Channel::PaidSocial);
        assert_eq!(
            channel("https://example.fr/?utm_source=fb-ads", None),
            Channel::PaidSocial
        );
        assert_eq!(
            channel("https://example.fr/?utm_source=yt&utm_medium=cpv", None),
            Channel::PaidVideo
        );
        assert_eq!(
            channel("https://example.fr/?utm_source=adwords", None),
            Channel::PaidSearch
        );
        let shopping = "https://example.fr/?utm_source=amazon&utm_medium=cpc";
        assert_eq!(channel(shopping, None), Channel::PaidShopping);
        let unknown_cpc = "https://example.fr/?utm_source=partner-site&utm_medium=cpc";
        assert_eq!(channel(unknown_cpc, None), Channel::PaidOther);
        assert_eq!(
            channel("https://example.fr/?utm_medium=banner", None),
            Channel::Display
        );
    }

    #[test]
    fn click_ids_make_paid_search() {
        let google = Some("https://www.google.com/");
        assert_eq!(
            channel("https://example.fr/?gclid=Cj0KCQ", google),
            Channel::PaidSearch
        );
        let bing = Some("https://www.bing.com/");
        assert_eq!(
            channel("https://example.fr/?msclkid=ab12", bing),
            Channel::PaidSearch
        );
        assert_eq!(
            channel("https://example.fr/?msclkid=ab12", google),
            Channel::OrganicSearch
        );
        assert_eq!(
            channel("https://example.fr/?gclid=Cj0KCQ", None),
            Channel::Direct
        );
    }

    #[test]
    fn campaign_driven_channels() {
        let cross = tagged(None, None, Some("PMax Cross-Network Spring"));
        assert_eq!(
            channel_of(Some("Google"), None, &cross),
            Channel::CrossNetwork
        );
        let eshop = tagged(Some("partner"), Some("cpc"), Some("eshop-spring"));
        assert_eq!(
            channel_of(Some("partner"), None, &eshop),
            Channel::PaidShopping
        );
        let shop = tagged(Some("partner"), None, Some("summer_shop"));
        assert_eq!(
            channel_of(Some("partner"), None, &shop),
            Channel::OrganicShopping
        );
        let workshop = tagged(Some("partner"), None, Some("workshop-rust"));
        assert_eq!(
            channel_of(Some("partner"), None, &workshop),
            Channel::Referral
        );
    }

    #[test]
    fn audio_sms_and_push() {
        assert_eq!(
            channel(
                "https://example.fr/?utm_source=spotify&utm_medium=audio",
                None
            ),
            Channel::Audio
        );
        assert_eq!(
            channel("https://example.fr/?utm_source=sms", None),
            Channel::Sms
        );
        assert_eq!(
            channel("https://example.fr/?utm_medium=web-push", None),
            Channel::MobilePushNotifications
        );
        assert_eq!(
            channel("https://example.fr/?utm_source=firebase", None),
            Channel::MobilePushNotifications
        );
    }

    #[test]
    fn names_round_trip() {
        for channel in Channel::ALL {
            assert_eq!(Channel::from_name(channel.as_str()), Some(channel));
            assert_eq!(channel.to_string(), channel.as_str());
        }
        assert_eq!(
            Channel::from_name("organic social"),
            Some(Channel::OrganicSocial)
        );
        assert_eq!(Channel::from_name(" SMS "), Some(Channel::Sms));
        assert_eq!(Channel::from_name("Unassigned"), None);
        assert_eq!(Channel::from_name(""), None);
    }

    #[test]
    fn shopping_campaign_regex() {
        assert!(is_shopping_campaign("shop"));
        assert!(is_shopping_campaign("eshop"));
        assert!(is_shopping_campaign("black-friday-shop"));
        assert!(is_shopping_campaign("2025shop"));
        assert!(is_shopping_campaign("workshopping"));
        assert!(!is_shopping_campaign("workshop"));
        assert!(!is_shopping_campaign("bishop"));
        assert!(is_shopping_campaign("éshop"));
        assert!(!is_shopping_campaign(""));
    }

    #[test]
    fn garbage_does_not_panic() {
        let huge = "é".repeat(100_000);
        let utm = tagged(Some(&huge), Some(&huge), Some(&huge));
        assert_eq!(
            channel_of(Some(&huge), Some(&huge), &utm),
            Channel::Referral
        );
        let odd = tagged(Some("\u{0}"), Some("CPC"), Some("🛍shop"));
        assert_eq!(channel_of(None, None, &odd), Channel::PaidShopping);
    }
}
