//! `POST /api/event`, as Plausible's trackers send it: `n` (name), `u` (url), `d` (domain, or
//! several comma-separated), `r` (referrer), `p` (props, an object or that object as a JSON
//! string), `h` (hash routing), `i` (interactive), `$` (revenue); engagement events add `sd`
//! (scroll depth, percent) and `e` (engaged milliseconds). Long names (`name`, `url`…) are read
//! too, as Plausible's documentation of the Events API gives them.

use serde_json::{Map, Value};

use super::{field, json_object};
use crate::hit::{self, Hit, HitError, Revenue, SiteRef};

/// Reads one event body.
pub fn parse(body: &[u8]) -> Result<Hit, HitError> {
    let object = json_object(body)?;
    let name = match field(&object, &["n", "name"]) {
        Some(Value::String(s)) => hit::event_name("name", s)?,
        Some(_) => return Err(HitError::new("name", "must be a string")),
        None => return Err(HitError::new("name", "is required")),
    };
    let url = match field(&object, &["u", "url"]) {
        Some(Value::String(s)) => hit::page_url("url", s)?,
        Some(_) => return Err(HitError::new("url", "must be a string")),
        None => return Err(HitError::new("url", "is required")),
    };
    let sites = match field(&object, &["d", "domain"]) {
        Some(Value::String(s)) => domains(s)?,
        Some(_) => return Err(HitError::new("domain", "must be a string")),
        None => return Err(HitError::new("domain", "is required")),
    };
    let referrer = hit::referrer_url(field(&object, &["r", "referrer"]).and_then(Value::as_str));
    let props = match field(&object, &["p", "m", "props", "meta"]) {
        None => Vec::new(),
        Some(Value::Object(o)) => hit::props("props", o)?,
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(o)) => hit::props("props", &o)?,
            _ => return Err(HitError::new("props", "must be a JSON object")),
        },
        Some(_) => return Err(HitError::new("props", "must be a JSON object")),
    };
    let interactive = !matches!(
        field(&object, &["i", "interactive"]),
        Some(Value::Bool(false))
    );
    let hash_mode = match field(&object, &["h", "hash_mode"]) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    };
    let revenue = match field(&object, &["$", "revenue"]) {
        None => None,
        Some(v) => Some(revenue(v)?),
    };
    let scroll_depth =
        match field(&object, &["sd"]) {
            None => None,
            Some(v) => Some(percent(v).ok_or_else(|| {
                HitError::new("sd", "must be a whole number of percent, 0 to 100")
            })?),
        };
    let engaged_ms = match field(&object, &["e"]) {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .map(|ms| u32::try_from(ms).unwrap_or(u32::MAX))
                .ok_or_else(|| HitError::new("e", "must be a whole number of milliseconds"))?,
        ),
    };
    Ok(Hit {
        sites,
        name,
        url,
        referrer,
        props,
        revenue,
        interactive,
        hash_mode,
        scroll_depth,
        engaged_ms,
    })
}

/// `"example.com"` or `"example.com,shop.example.com"`: the event counts for each site.
fn domains(raw: &str) -> Result<Vec<SiteRef>, HitError> {
    let sites: Vec<SiteRef> = raw
        .split(',')
        .map(|d| d.trim().trim_start_matches("www.").to_ascii_lowercase())
        .filter(|d| !d.is_empty())
        .take(10)
        .map(SiteRef::Domain)
        .collect();
    if sites.is_empty() {
        return Err(HitError::new("domain", "is required"));
    }
    Ok(sites)
}

/// `{"amount": 12.5, "currency": "EUR"}` (the amount may be a string), or that object as a
/// JSON string.
fn revenue(value: &Value) -> Result<Revenue, HitError> {
    let object: Map<String, Value> = match value {
        Value::Object(o) => o.clone(),
        Value::String(s) => match serde_json::from_str(s) {
            Ok(Value::Object(o)) => o,
            _ => return Err(HitError::new("revenue", "must be a JSON object")),
        },
        _ => return Err(HitError::new("revenue", "must be a JSON object")),
    };
    let amount = match object.get("amount") {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|a| a.is_finite())
    .ok_or_else(|| HitError::new("revenue", "needs a numeric `amount`"))?;
    let currency = object
        .get("currency")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()))
        .ok_or_else(|| {
            HitError::new(
                "revenue",
                "needs a `currency` as a three-letter ISO 4217 code (EUR, USD…)",
            )
        })?
        .to_ascii_uppercase();
    Ok(Revenue { amount, currency })
}

fn percent(value: &Value) -> Option<u8> {
    let n = value
        .as_i64()
        .or_else(|| value.as_f64().map(|f| f.round() as i64))?;
    // The tracker can report a little over 100 when the page grew while it was read.
    u8::try_from(n.clamp(-1, 100)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: serde_json::Value) -> Vec<u8> {
        v.to_string().into_bytes()
    }

    #[test]
    fn reads_what_the_npm_tracker_sends_for_a_pageview() {
        let hit = parse(&body(serde_json::json!({
            "n": "pageview", "v": 36, "u": "https://shop.example.com/produits/t-shirt?utm_source=bsky",
            "d": "shop.example.com", "r": "https://bsky.app/profile/brand", "p": {"author": "Zoé"}
        })))
        .unwrap();
        assert!(hit.is_pageview());
        assert_eq!(hit.sites, vec![SiteRef::Domain("shop.example.com".into())]);
        assert_eq!(hit.pathname(), "/produits/t-shirt");
        assert_eq!(hit.referrer.unwrap().host_str(), Some("bsky.app"));
        assert_eq!(hit.props, vec![("author".to_string(), "Zoé".to_string())]);
        assert!(hit.interactive);
        assert_eq!(hit.scroll_depth, None);
    }

    #[test]
    fn reads_engagement_custom_events_revenue_and_several_domains() {
        let engagement = parse(&body(serde_json::json!({
            "n": "engagement", "sd": 64, "e": 12_500, "d": "example.com", "u": "https://example.com/a", "p": {}
        })))
        .unwrap();
        assert!(engagement.is_engagement());
        assert_eq!(
            (engagement.scroll_depth, engagement.engaged_ms),
            (Some(64), Some(12_500))
        );

        let purchase = parse(&body(serde_json::json!({
            "name": "Purchase", "url": "https://example.com/cart", "domain": "example.com,www.Other.org",
            "revenue": "{\"amount\":\"19.90\",\"currency\":\"eur\"}", "interactive": false,
            "props": "{\"plan\":\"pro\"}"
        })))
        .unwrap();
        assert_eq!(purchase.name, "Purchase");
        assert_eq!(
            purchase.sites,
            vec![
                SiteRef::Domain("example.com".into()),
                SiteRef::Domain("other.org".into())
            ]
        );
        assert_eq!(
            purchase.revenue,
            Some(Revenue {
                amount: 19.9,
                currency: "EUR".into()
            })
        );
        assert!(!purchase.interactive);
        assert_eq!(
            purchase.props,
            vec![("plan".to_string(), "pro".to_string())]
        );
    }

    #[test]
    fn refusals_name_the_field_and_what_to_send() {
        let cases = [
            (b"not json".to_vec(), "body"),
            (b"[1,2]".to_vec(), "body"),
            (
                body(serde_json::json!({"u": "https://e.com/", "d": "e.com"})),
                "name",
            ),
            (
                body(serde_json::json!({"n": "pageview", "d": "e.com"})),
                "url",
            ),
            (
                body(serde_json::json!({"n": "pageview", "u": "/relative", "d": "e.com"})),
                "url",
            ),
            (
                body(serde_json::json!({"n": "pageview", "u": "https://e.com/"})),
                "domain",
            ),
            (
                body(serde_json::json!({"n": "x", "u": "https://e.com/", "d": "e.com", "p": [1]})),
                "props",
            ),
            (
                body(
                    serde_json::json!({"n": "x", "u": "https://e.com/", "d": "e.com", "$": {"amount": 1}}),
                ),
                "revenue",
            ),
            (
                body(
                    serde_json::json!({"n": "engagement", "u": "https://e.com/", "d": "e.com", "sd": "deep"}),
                ),
                "sd",
            ),
            (vec![b' '; MAX_BODY_PLUS_ONE], "body"),
        ];
        for (bytes, field) in cases {
            let err = parse(&bytes).unwrap_err();
            assert_eq!(err.field, field, "{err}");
        }
    }

    const MAX_BODY_PLUS_ONE: usize = super::super::MAX_BODY + 1;
}
