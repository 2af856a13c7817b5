//! Campaign parameters of a landing URL (UTM, and Xiti's `xtor`).

use url::Url;

/// The longest value kept for one parameter, in characters: enough for any honest campaign
/// name, small enough that a hostile URL cannot bloat every stored visit.
pub const MAX_VALUE_CHARS: usize = 1000;

/// The medium given to Xiti sponsored links (`xtor=SEC-…`). Universal Analytics used this name
/// for paid search; the channel rules recognise it as paid search even when the search engine
/// sent no referrer, because a sponsored link is by definition a search ad.
pub const PAID_SEARCH_MEDIUM: &str = "paidsearch";

/// The campaign a visit's landing URL declares. Empty strings are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Utm {
    pub source: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
    pub content: Option<String>,
    pub term: Option<String>,
}

/// The ad network whose auto-tagging click id the landing URL carries. Plausible counts these as
/// paid search when the source is that network's search engine, even without any `utm_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClickId {
    /// `gclid`: Google Ads auto-tagging.
    Google,
    /// `msclkid`: Microsoft Advertising (Bing) auto-tagging.
    Microsoft,
}

/// Reads the campaign parameters of a landing URL's query string.
///
/// `utm_source` falls back to `source` then `ref`, as Plausible does. Xiti's `xtor` (read from
/// the query or the fragment, where AT Internet recommends putting it) fills `medium` and
/// `campaign` when the matching `utm_*` is absent: explicit UTM always wins.
pub fn utm_of(url: &Url) -> Utm {
    let query = QueryCampaign::read(url);
    let xtor = query.xtor.or_else(|| xtor_in_fragment(url));
    let xtor = xtor.as_deref().and_then(Xtor::parse);
    Utm {
        source: query.utm_source.or(query.source).or(query.reference),
        medium: query
            .utm_medium
            .or_else(|| xtor.as_ref().and_then(|x| x.medium.map(String::from))),
        campaign: query.utm_campaign.or_else(|| xtor.and_then(|x| x.campaign)),
        content: query.utm_content,
        term: query.utm_term,
    }
}

/// The auto-tagging click id of a landing URL, if it carries a non-empty one.
pub fn click_id_of(url: &Url) -> Option<ClickId> {
    url.query_pairs().find_map(|(key, value)| {
        if value.trim().is_empty() {
            return None;
        }
        match key.as_ref() {
            "gclid" => Some(ClickId::Google),
            "msclkid" => Some(ClickId::Microsoft),
            _ => None,
        }
    })
}

/// A query parameter's value as stored: trimmed, `None` when empty, cut to
/// [`MAX_VALUE_CHARS`] characters.
pub fn clean_value(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return None;
    }
    let kept = match trimmed.char_indices().nth(MAX_VALUE_CHARS) {
        Some((cut, _)) => trimmed[..cut].trim_end(),
        None => trimmed,
    };
    Some(kept.to_owned())
}

/// The campaign-related parameters found in a query string; the first non-empty value of each
/// wins, so a repeated parameter cannot override an earlier one.
#[derive(Default)]
struct QueryCampaign {
    utm_source: Option<String>,
    utm_medium: Option<String>,
    utm_campaign: Option<String>,
    utm_content: Option<String>,
    utm_term: Option<String>,
    source: Option<String>,
    reference: Option<String>,
    xtor: Option<String>,
}

impl QueryCampaign {
    fn read(url: &Url) -> QueryCampaign {
        let mut found = QueryCampaign::default();
        for (key, value) in url.query_pairs() {
            if let Some(slot) = found.slot(&key)
                && slot.is_none()
            {
                *slot = clean_value(&value);
            }
        }
        found
    }

    fn slot(&mut self, key: &str) -> Option<&mut Option<String>> {
        match key {
            "utm_source" => Some(&mut self.utm_source),
            "utm_medium" => Some(&mut self.utm_medium),
            "utm_campaign" => Some(&mut self.utm_campaign),
            "utm_content" => Some(&mut self.utm_content),
            "utm_term" => Some(&mut self.utm_term),
            "source" => Some(&mut self.source),
            "ref" => Some(&mut self.reference),
            "xtor" => Some(&mut self.xtor),
            _ => None,
        }
    }
}

/// AT Internet tells its users to write `#xtor=…` so that search engines do not index the
/// parameter; the fragment is then shaped like a query string.
fn xtor_in_fragment(url: &Url) -> Option<String> {
    let fragment = url.fragment()?;
    url::form_urlencoded::parse(fragment.as_bytes())
        .find(|(key, value)| key == "xtor" && !value.trim().is_empty())
        .and_then(|(_, value)| clean_value(&value))
}

/// What an `xtor` value (`A-B-C…`: source type, campaign id, then labels) says in UTM terms.
#[derive(Debug, PartialEq, Eq)]
struct Xtor {
    medium: Option<&'static str>,
    campaign: Option<String>,
}

impl Xtor {
    /// `None` for a source type AT Internet does not define: guessing would invent campaigns.
    fn parse(value: &str) -> Option<Xtor> {
        let mut parts = value.split('-');
        let kind = parts.next()?.trim().to_ascii_uppercase();
        let medium = medium_of_xtor_kind(&kind)?;
        let campaign = parts.next().and_then(clean_value);
        Some(Xtor { medium, campaign })
    }
}

/// The UTM medium of an AT Internet source type. `Some(None)` is a known type that says nothing
/// about the medium: custom sources (`CS1`, `CS2`…) are whatever the site declared them to be.
fn medium_of_xtor_kind(kind: &str) -> Option<Option<&'static str>> {
    let medium = match kind {
        "SEC" => Some(PAID_SEARCH_MEDIUM),
        "AD" => Some("display"),
        "AL" => Some("affiliate"),
        // Email marketing: acquisition, promotion (newsletters) and retention.
        "EREC" | "EPR" | "ES" => Some("email"),
        "RSS" => Some("rss"),
        custom if is_custom_xtor_kind(custom) => None,
        _ => return None,
    };
    Some(medium)
}

fn is_custom_xtor_kind(kind: &str) -> bool {
    kind.strip_prefix("CS")
        .is_some_and(|number| !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utm(url: &str) -> Utm {
        let parsed = Url::parse(url);
        assert!(parsed.is_ok(), "test URL must parse: {url}");
        parsed.map(|u| utm_of(&u)).unwrap_or_default()
    }

    fn some(value: &str) -> Option<String> {
        Some(value.to_owned())
    }

    #[test]
    fn reads_all_five_utm_parameters() {
        let found = utm(
            "https://shop.example.fr/soldes?utm_source=newsletter&utm_medium=email\
             &utm_campaign=soldes-hiver-2025&utm_content=bouton-rouge&utm_term=chaussures+cuir",
        );
        assert_eq!(found.source, some("newsletter"));
        assert_eq!(found.medium, some("email"));
        assert_eq!(found.campaign, some("soldes-hiver-2025"));
        assert_eq!(found.content, some("bouton-rouge"));
        assert_eq!(found.term, some("chaussures cuir"));
    }

    #[test]
    fn percent_decodes_and_trims() {
        let found =
            utm("https://a.example/?utm_campaign=%20No%C3%ABl%202025%20&utm_term=caf%C3%A9");
        assert_eq!(found.campaign, some("Noël 2025"));
        assert_eq!(found.term, some("café"));
    }

    #[test]
    fn empty_and_blank_values_are_none() {
        let found = utm("https://a.example/?utm_source=&utm_medium=%20%20&utm_campaign");
        assert_eq!(found, Utm::default());
    }

    #[test]
    fn no_query_gives_nothing() {
        assert_eq!(utm("https://a.example/blog/post"), Utm::default());
    }

    #[test]
    fn first_non_empty_value_wins() {
        let found = utm("https://a.example/?utm_source=&utm_source=mastodon&utm_source=other");
        assert_eq!(found.source, some("mastodon"));
    }

    #[test]
    fn source_falls_back_to_source_then_ref() {
        assert_eq!(
            utm("https://a.example/?ref=producthunt").source,
            some("producthunt")
        );
        assert_eq!(utm("https://a.example/?ref=a&source=b").source, some("b"));
        assert_eq!(
            utm("https://a.example/?ref=a&source=b&utm_source=c").source,
            some("c")
        );
    }

    #[test]
    fn long_values_are_cut_on_a_char_boundary() {
        let long = "é".repeat(MAX_VALUE_CHARS + 50);
        let found = utm(&format!("https://a.example/?utm_campaign={long}"));
        let campaign = found.campaign.unwrap_or_default();
        assert_eq!(campaign.chars().count(), MAX_VALUE_CHARS);
        assert!(campaign.chars().all(|c| c == 'é'));
    }

    #[test]
    fn clean_value_keeps_short_values_whole() {
        assert_eq!(clean_value("  spring  "), some("spring"));
        assert_eq!(clean_value("\u{3000}\t"), None);
        assert_eq!(
            clean_value(&"a".repeat(MAX_VALUE_CHARS)).map(|v| v.len()),
            Some(MAX_VALUE_CHARS)
        );
    }

    #[test]
    fn xtor_sponsored_link_is_paid_search() {
        let found = utm("https://www.example.fr/?xtor=SEC-12-GOO-[chaussures]-[123]-S");
        assert_eq!(found.medium, some(PAID_SEARCH_MEDIUM));
        assert_eq!(found.campaign, some("12"));
        assert_eq!(found.source, None);
    }

    #[test]
    fn xtor_email_kinds_are_email() {
        for kind in ["EREC", "EPR", "ES"] {
            let found = utm(&format!(
                "https://www.example.fr/?xtor={kind}-300-[Presentation]-20070304"
            ));
            assert_eq!(found.medium, some("email"), "{kind}");
            assert_eq!(found.campaign, some("300"), "{kind}");
        }
    }

    #[test]
    fn xtor_in_fragment_is_read() {
        let found =
            utm("http://www.3ds.com/products/draftsight/#xtor=EREC-509-[eng-tips]-20110406");
        assert_eq!(found.medium, some("email"));
        assert_eq!(found.campaign, some("509"));
    }

    #[test]
    fn xtor_display_affiliate_rss_and_custom() {
        assert_eq!(
            utm("https://a.example/?xtor=AD-3030").medium,
            some("display")
        );
        assert_eq!(
            utm("https://a.example/?xtor=AL-77-[partner]").medium,
            some("affiliate")
        );
        assert_eq!(utm("https://a.example/?xtor=RSS-8").medium, some("rss"));
        let custom = utm("https://mywebsite.com/item?xtor=CS1-123-label1-label2");
        assert_eq!(custom.medium, None);
        assert_eq!(custom.campaign, some("123"));
    }

    #[test]
    fn xtor_prefix_is_case_insensitive_and_id_optional() {
        let found = utm("https://a.example/?xtor=sec");
        assert_eq!(found.medium, some(PAID_SEARCH_MEDIUM));
        assert_eq!(found.campaign, None);
    }

    #[test]
    fn unknown_xtor_kinds_are_ignored() {
        assert_eq!(utm("https://a.example/?xtor=ZZ-12"), Utm::default());
        assert_eq!(utm("https://a.example/?xtor=CS-12"), Utm::default());
        assert_eq!(utm("https://a.example/?xtor=CSx-12"), Utm::default());
        assert_eq!(utm("https://a.example/?xtor=-"), Utm::default());
    }

    #[test]
    fn explicit_utm_wins_over_xtor_field_by_field() {
        let found = utm("https://a.example/?xtor=EPR-3&utm_medium=newsletter");
        assert_eq!(found.medium, some("newsletter"));
        assert_eq!(found.campaign, some("3"));
        let found = utm("https://a.example/?utm_campaign=spring#xtor=AD-9");
        assert_eq!(found.medium, some("display"));
        assert_eq!(found.campaign, some("spring"));
    }

    #[test]
    fn click_ids() {
        let gclid = Url::parse("https://a.example/?gclid=Cj0KCQiA");
        assert_eq!(
            gclid.ok().as_ref().and_then(click_id_of),
            Some(ClickId::Google)
        );
        let msclkid = Url::parse("https://a.example/?q=1&msclkid=abc123");
        assert_eq!(
            msclkid.ok().as_ref().and_then(click_id_of),
            Some(ClickId::Microsoft)
        );
        let empty = Url::parse("https://a.example/?gclid=");
        assert_eq!(empty.ok().as_ref().and_then(click_id_of), None);
    }

    #[test]
    fn garbage_queries_do_not_panic() {
        let found = utm("https://a.example/?%FF%FE=%FF&utm_source=%E0%A4&&==&utm_medium=%");
        assert_eq!(found.source, some("\u{FFFD}"));
        assert_eq!(found.medium, some("%"));
        let huge = format!("https://a.example/?{}", "utm_source=x&".repeat(10_000));
        assert_eq!(utm(&huge).source, some("x"));
    }
}
