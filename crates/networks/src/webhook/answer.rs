//! Plain HTTP answers turned into [`NetworkError`]s: the mapping every connector that speaks
//! plain HTTP and JSON shares (this webhook, WordPress).
//!
//! | answer | error |
//! |---|---|
//! | 401, 403 | [`NetworkError::Unauthorized`] |
//! | 429 | [`NetworkError::RateLimited`], with `Retry-After` in seconds or as an HTTP date |
//! | 408, 5xx, other statuses outside 2xx/4xx | [`NetworkError::Transient`] |
//! | any other 4xx (400, 404, 409, 422…) | [`NetworkError::Rejected`], with the server's message |
//! | time-out, connection refused, body too large | [`NetworkError::Transient`] |
//! | URL refused by the SSRF guard, unusable URL | [`NetworkError::Misconfigured`] |

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use relais_outbound::OutboundError;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::NetworkError;

/// Longest server message quoted in an error, in characters.
const MAX_MESSAGE_CHARS: usize = 300;

/// A failure of the exchange itself (no HTTP answer).
pub(crate) fn transport(e: OutboundError) -> NetworkError {
    match e {
        OutboundError::Forbidden { .. }
        | OutboundError::InvalidUrl(_)
        | OutboundError::UnsupportedScheme(_) => {
            NetworkError::Misconfigured(format!("the channel's address cannot be used: {e}"))
        }
        // A client that cannot be built or a request that cannot be formed will not get better.
        OutboundError::InvalidConfig(_) => NetworkError::Misconfigured(e.to_string()),
        other => NetworkError::Transient(other.to_string()),
    }
}

/// The error for a non-2xx `status`; `message` is what the server said (may be empty).
pub(crate) fn status_error(status: u16, message: &str, headers: &HeaderMap) -> NetworkError {
    let detail = if message.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {message}")
    };
    match status {
        429 => NetworkError::RateLimited {
            retry_after: retry_after(headers, SystemTime::now()),
        },
        401 | 403 => NetworkError::Unauthorized(detail),
        408 => NetworkError::Transient(detail),
        400..=499 => NetworkError::Rejected(detail),
        _ => NetworkError::Transient(detail),
    }
}

/// `Retry-After` as a wait: delay-seconds, or an HTTP date (RFC 9110 §10.2.3) counted from
/// `now` (a date in the past means "now": zero).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    // IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") is RFC 2822 syntax with the GMT zone.
    let at = chrono::DateTime::parse_from_rfc2822(value)
        .ok()?
        .timestamp();
    let now = i64::try_from(now.duration_since(UNIX_EPOCH).ok()?.as_secs()).ok()?;
    Some(Duration::from_secs(
        u64::try_from(at.saturating_sub(now)).unwrap_or(0),
    ))
}

/// What a server said in an error body, short and printable: the `message` (or `error`) of a
/// JSON body, else the text itself.
pub(crate) fn message_of(body: &[u8]) -> String {
    let from_json = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            ["message", "error"]
                .iter()
                .find_map(|k| v.get(*k).and_then(|m| m.as_str()).map(str::to_owned))
        });
    let text = from_json.unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    short(&text)
}

/// `text` on one line, without control characters, cut to a readable length.
pub(crate) fn short(text: &str) -> String {
    let one_line: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if one_line.chars().count() > MAX_MESSAGE_CHARS {
        let cut: String = one_line.chars().take(MAX_MESSAGE_CHARS).collect();
        format!("{cut}…")
    } else {
        one_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn with_retry_after(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_str(v).expect("header"));
        h
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            retry_after(&with_retry_after("7"), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&with_retry_after("Sun, 06 Nov 1994 08:50:07 GMT"), now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after(&with_retry_after("Sun, 06 Nov 1994 08:00:00 GMT"), now),
            Some(Duration::ZERO),
            "a date in the past means at once"
        );
        assert_eq!(retry_after(&with_retry_after("soon"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn statuses_map_to_what_the_scheduler_does() {
        let h = HeaderMap::new();
        assert!(matches!(
            status_error(401, "", &h),
            NetworkError::Unauthorized(_)
        ));
        assert!(matches!(
            status_error(403, "", &h),
            NetworkError::Unauthorized(_)
        ));
        for s in [400, 404, 409, 422] {
            assert_eq!(
                status_error(s, "nope", &h),
                NetworkError::Rejected(format!("HTTP {s}: nope"))
            );
        }
        for s in [408, 500, 502, 503, 504, 302] {
            assert!(
                matches!(status_error(s, "", &h), NetworkError::Transient(_)),
                "{s}"
            );
        }
        assert_eq!(
            status_error(429, "", &with_retry_after("7")),
            NetworkError::RateLimited {
                retry_after: Some(Duration::from_secs(7))
            }
        );
    }

    #[test]
    fn messages_are_taken_from_json_or_text_and_kept_short() {
        assert_eq!(message_of(br#"{"message":"too long"}"#), "too long");
        assert_eq!(message_of(br#"{"error":"bad"}"#), "bad");
        assert_eq!(message_of(b"plain\n\ttext\x07"), "plain text");
        let long = "x".repeat(1000);
        assert_eq!(
            message_of(long.as_bytes()).chars().count(),
            MAX_MESSAGE_CHARS + 1
        );
    }

    #[test]
    fn guard_refusals_are_misconfigurations() {
        let e = OutboundError::Forbidden {
            host: "127.0.0.1".into(),
            addr: std::net::IpAddr::from([127, 0, 0, 1]),
            reason: "loopback address",
        };
        assert!(matches!(transport(e), NetworkError::Misconfigured(_)));
        assert!(matches!(
            transport(OutboundError::Timeout {
                limit: Duration::from_secs(1)
            }),
            NetworkError::Transient(_)
        ));
        assert!(matches!(
            transport(OutboundError::Connect("refused".into())),
            NetworkError::Transient(_)
        ));
    }
}
