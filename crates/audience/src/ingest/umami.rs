//! `POST /api/send`, as Umami's tracker sends it: `{"type": "event", "payload": {"website":
//! UUID, "hostname", "url" (path and query), "referrer", "title", "screen", "language", "name"?,
//! "data"?}}`. A payload without a name is a page view; `"type": "identify"` carries data about
//! the visitor, which Relais does not keep.

use serde_json::{Map, Value};

use super::{field, json_object};
use crate::hit::{self, Hit, HitError, PAGEVIEW, SiteRef};

/// Reads one body; `Ok(None)` for a message Relais accepts but does not record.
pub fn parse(body: &[u8]) -> Result<Option<Hit>, HitError> {
    let object = json_object(body)?;
    match field(&object, &["type"]).and_then(Value::as_str) {
        Some("event") => {}
        Some("identify") => return Ok(None),
        Some(other) => {
            return Err(HitError::new(
                "type",
                format!(
                    "`{}` is not a type Relais knows; send \"event\"",
                    hit::clip(other, 40)
                ),
            ));
        }
        None => return Err(HitError::new("type", "is required")),
    }
    let Some(Value::Object(payload)) = field(&object, &["payload"]) else {
        return Err(HitError::new(
            "payload",
            "is required and must be an object",
        ));
    };
    let website = match field(payload, &["website"]) {
        Some(Value::String(id)) if is_uuid(id) => id.to_ascii_lowercase(),
        Some(_) => return Err(HitError::new("website", "must be the site's id (a UUID)")),
        None => return Err(HitError::new("website", "is required")),
    };
    let url = page(payload)?;
    let name = match field(payload, &["name"]) {
        None => PAGEVIEW.to_string(),
        Some(Value::String(s)) => hit::event_name("name", s)?,
        Some(_) => return Err(HitError::new("name", "must be a string")),
    };
    let props = match field(payload, &["data"]) {
        None => Vec::new(),
        Some(Value::Object(data)) => {
            let mut flat = Map::new();
            flatten("", data, 0, &mut flat);
            hit::props("data", &flat)?
        }
        Some(_) => return Err(HitError::new("data", "must be a JSON object")),
    };
    let referrer = hit::referrer_url(
        field(payload, &["referrer"])
            .and_then(Value::as_str)
            .map(decode_uri)
            .as_deref(),
    );
    Ok(Some(Hit {
        sites: vec![SiteRef::Id(website)],
        name,
        url,
        referrer,
        props,
        revenue: None,
        interactive: true,
        hash_mode: false,
        scroll_depth: None,
        engaged_ms: None,
    }))
}

/// The page: Umami sends the host and the path apart; an absolute `url` is taken as it is.
fn page(payload: &Map<String, Value>) -> Result<url::Url, HitError> {
    let path = match field(payload, &["url"]) {
        Some(Value::String(s)) => decode_uri(s),
        Some(_) => return Err(HitError::new("url", "must be a string")),
        None => return Err(HitError::new("url", "is required")),
    };
    if path.starts_with("http://") || path.starts_with("https://") {
        return hit::page_url("url", &path);
    }
    let host = match field(payload, &["hostname"]) {
        Some(Value::String(h)) if valid_host(h) => h.to_ascii_lowercase(),
        Some(_) => return Err(HitError::new("hostname", "must be a host name")),
        None => return Err(HitError::new("hostname", "is required")),
    };
    let path = if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    };
    hit::page_url("url", &format!("https://{host}{path}"))
}

/// The tracker passes addresses through `encodeURI`; undo it once, keeping the text as sent when
/// it does not decode to UTF-8.
fn decode_uri(raw: &str) -> String {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .unwrap_or_else(|_| raw.to_string())
}

fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

fn is_uuid(id: &str) -> bool {
    id.len() == 36
        && id.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Umami accepts nested event data; Relais keeps flat properties, so `{"cart": {"items": 2}}`
/// becomes `cart.items = 2` (arrays are kept as JSON text). Depth is bounded.
fn flatten(prefix: &str, data: &Map<String, Value>, depth: usize, into: &mut Map<String, Value>) {
    for (key, value) in data {
        let key = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Object(inner) if depth < 3 => flatten(&key, inner, depth + 1, into),
            Value::Object(_) | Value::Array(_) => {
                into.insert(key, Value::String(value.to_string()));
            }
            scalar => {
                into.insert(key, scalar.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: &str = "5c5b2f2e-2d0e-4c9b-9a43-0e8f3f1f6a11";

    fn send(payload: serde_json::Value) -> Result<Option<Hit>, HitError> {
        parse(
            serde_json::json!({"type": "event", "payload": payload})
                .to_string()
                .as_bytes(),
        )
    }

    #[test]
    fn a_payload_without_a_name_is_a_pageview_on_the_host_and_path_sent() {
        let hit = send(serde_json::json!({
            "website": SITE, "hostname": "blog.example.com", "screen": "1920x1080", "language": "fr-FR",
            "title": "Caf%C3%A9", "url": "/articles/caf%C3%A9?utm_medium=social", "referrer": "https://www.linkedin.com/"
        }))
        .unwrap()
        .unwrap();
        assert!(hit.is_pageview());
        assert_eq!(hit.sites, vec![SiteRef::Id(SITE.into())]);
        assert_eq!(
            hit.url.as_str(),
            "https://blog.example.com/articles/caf%C3%A9?utm_medium=social"
        );
        assert_eq!(hit.pathname(), "/articles/café");
        assert_eq!(hit.referrer.unwrap().host_str(), Some("www.linkedin.com"));
    }

    #[test]
    fn custom_events_keep_flattened_data_and_spa_referrers_are_internal() {
        let hit = send(serde_json::json!({
            "website": SITE.to_uppercase(), "hostname": "example.com", "url": "/pricing", "referrer": "/home",
            "name": "signup", "data": {"plan": "pro", "cart": {"items": 2}, "tags": ["a"]}
        }))
        .unwrap()
        .unwrap();
        assert_eq!(hit.name, "signup");
        assert_eq!(hit.sites, vec![SiteRef::Id(SITE.into())]);
        assert_eq!(hit.referrer, None);
        assert_eq!(
            hit.props,
            vec![
                ("cart.items".to_string(), "2".to_string()),
                ("plan".to_string(), "pro".to_string()),
                ("tags".to_string(), "[\"a\"]".to_string()),
            ]
        );
    }

    #[test]
    fn identify_is_accepted_and_not_recorded_and_bad_bodies_are_refused() {
        let identify = serde_json::json!({"type": "identify", "payload": {"website": SITE, "data": {"email": "x@y.z"}}});
        assert_eq!(parse(identify.to_string().as_bytes()).unwrap(), None);
        let bad = [
            (serde_json::json!({"payload": {}}), "type"),
            (serde_json::json!({"type": "event"}), "payload"),
            (
                serde_json::json!({"type": "event", "payload": {"website": "nope", "url": "/"}}),
                "website",
            ),
            (
                serde_json::json!({"type": "event", "payload": {"website": SITE, "url": "/"}}),
                "hostname",
            ),
            (
                serde_json::json!({"type": "event", "payload": {"website": SITE, "hostname": "a b", "url": "/"}}),
                "hostname",
            ),
            (
                serde_json::json!({"type": "event", "payload": {"website": SITE, "hostname": "e.com"}}),
                "url",
            ),
        ];
        for (body, field) in bad {
            assert_eq!(
                parse(body.to_string().as_bytes()).unwrap_err().field,
                field,
                "{body}"
            );
        }
    }
}
