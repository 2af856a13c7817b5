//! Calls to X's API v2 and the mapping of its answers to [`NetworkError`].
//!
//! X answers errors as RFC 7807 problems (`{"title", "detail", "type", "status"}`), sometimes
//! with an `errors` list (`{"message"}` or `{"detail"}` each); its OAuth 2.0 token endpoint
//! answers `{"error", "error_description"}`. A read that partly fails (a post that is gone)
//! is a 200 with `errors` and no `data`.
//!
//! | answer | error |
//! |---|---|
//! | 429 | [`NetworkError::RateLimited`], waiting for `Retry-After`, else the `x-rate-limit-reset` (or the 24-hour limits' reset) of the exhausted limit |
//! | 401 | refreshed once by the caller, then [`NetworkError::Unauthorized`] |
//! | 403, 400, 422 and other 4xx | [`NetworkError::Rejected`], with X's `detail` |
//! | 408, 5xx, time-out, no connection, a 2xx that is not JSON | [`NetworkError::Transient`] |
//! | an address the SSRF guard or the URL parser refuses | [`NetworkError::Misconfigured`] |

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use relais_outbound::{HttpClient, OutboundError};
use reqwest::Method;
use reqwest::header::HeaderMap;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::webhook::answer::short;
use crate::{MediaFile, NetworkError};

/// What a request carries. Kept whole (not a `reqwest` body) so the request can be sent again
/// after the access token was refreshed.
pub(crate) enum Body<'a> {
    None,
    Json(Value),
    /// One media for `POST /2/media/upload`, as `multipart/form-data`.
    Media {
        media: &'a MediaFile,
        file_name: String,
        category: &'static str,
    },
}

/// A 2xx answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub body: Value,
}

/// What a refused call said, kept for the caller to decide what the status means there.
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: u16,
    /// X's explanation (`detail`, the `errors`' messages, or the OAuth `error_description`);
    /// empty when the body had none.
    pub detail: String,
    pub retry_after: Option<Duration>,
}

impl Failure {
    pub fn detail(&self) -> String {
        if self.detail.is_empty() {
            format!("HTTP {}", self.status)
        } else {
            self.detail.clone()
        }
    }

    /// X's refusal of a post whose text the account published recently.
    pub fn is_duplicate(&self) -> bool {
        self.status == 403
            && self
                .detail
                .to_ascii_lowercase()
                .contains("duplicate content")
    }

    /// X's refusal of a reply whose parent is deleted, or hidden from the account (protected,
    /// or its author blocked it): a 403 (or a 400 naming `in_reply_to_tweet_id`) whose words say
    /// so.
    pub fn is_gone_parent(&self) -> bool {
        let detail = self.detail.to_ascii_lowercase();
        matches!(self.status, 400 | 403 | 404)
            && (detail.contains("deleted") || detail.contains("not visible"))
    }

    pub fn into_network_error(self) -> NetworkError {
        let detail = self.detail();
        match self.status {
            429 => NetworkError::RateLimited {
                retry_after: self.retry_after,
            },
            401 => NetworkError::Unauthorized(format!(
                "X refused the access token ({detail}): connect the channel again"
            )),
            408 => NetworkError::Transient(format!("HTTP 408: {detail}")),
            400..=499 => NetworkError::Rejected(detail),
            _ if self.detail.is_empty() => NetworkError::Transient(detail),
            _ => NetworkError::Transient(format!("HTTP {}: {detail}", self.status)),
        }
    }
}

/// A failure of the exchange itself (no HTTP answer).
pub(crate) fn transport(e: OutboundError) -> NetworkError {
    match e {
        OutboundError::Forbidden { .. }
        | OutboundError::InvalidUrl(_)
        | OutboundError::UnsupportedScheme(_)
        | OutboundError::InvalidConfig(_) => {
            NetworkError::Misconfigured(format!("X's address cannot be used: {e}"))
        }
        other => NetworkError::Transient(other.to_string()),
    }
}

/// One call to `base` + `path` with the bearer `token`. `Ok(Err(_))` is an answer that refused
/// it; `Err(_)` is no usable answer at all (X unreachable, too slow, or answering a 2xx that
/// is not JSON).
pub(crate) async fn send(
    http: &HttpClient,
    base: &str,
    token: &str,
    verb: Method,
    path: &str,
    query: &[(&str, &str)],
    body: &Body<'_>,
) -> Result<Result<Reply, Failure>, NetworkError> {
    let url = format!("{base}{path}");
    let mut request = http
        .request(verb, &url)
        .map_err(transport)?
        .bearer_auth(token)
        .header("accept", "application/json");
    if !query.is_empty() {
        request = request.query(query);
    }
    request = match body {
        Body::None => request,
        Body::Json(v) => request.json(v),
        Body::Media {
            media,
            file_name,
            category,
        } => {
            let part = Part::bytes(media.bytes.clone())
                .file_name(file_name.clone())
                .mime_str(&media.mime)
                .map_err(|_| {
                    NetworkError::Rejected(format!("`{}` is not a valid media type", media.mime))
                })?;
            request.multipart(
                Form::new()
                    .part("media", part)
                    .text("media_category", *category)
                    .text("media_type", media.mime.clone()),
            )
        }
    };
    let response = http.fetch(request).await.map_err(transport)?;
    answer(response.status, &response.headers, &response.body, path)
}

/// A fetched answer as a [`Reply`] or a [`Failure`]; a 2xx that is not JSON is transient.
pub(crate) fn answer(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    what: &str,
) -> Result<Result<Reply, Failure>, NetworkError> {
    let parsed = serde_json::from_slice::<Value>(body);
    if (200..300).contains(&status) {
        return match parsed {
            Ok(body) => Ok(Ok(Reply { body })),
            Err(_) if body.iter().all(u8::is_ascii_whitespace) => {
                Ok(Ok(Reply { body: Value::Null }))
            }
            Err(e) => Err(NetworkError::Transient(format!(
                "X answered {what} with something that is not JSON ({e})"
            ))),
        };
    }
    let detail = match parsed {
        Ok(v) => problem_detail(&v),
        Err(_) => short(&String::from_utf8_lossy(body)),
    };
    Ok(Err(Failure {
        status,
        detail,
        retry_after: if status == 429 {
            retry_after(headers, SystemTime::now())
        } else {
            None
        },
    }))
}

/// The readable part of an X error body: the problem's `detail` (or `title`), followed by the
/// messages of its `errors` (which name the faulty parameter), or the OAuth
/// `error_description` (or `error`).
pub(crate) fn problem_detail(v: &Value) -> String {
    let text = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let mut parts: Vec<String> = Vec::new();
    if let Some(d) = text(v, "detail").or_else(|| text(v, "title")) {
        parts.push(d);
    }
    if let Some(errors) = v.get("errors").and_then(Value::as_array) {
        for e in errors.iter().take(3) {
            if let Some(m) = text(e, "message").or_else(|| text(e, "detail"))
                && !parts.contains(&m)
            {
                parts.push(m);
            }
        }
    }
    if parts.is_empty() {
        let oauth = [text(v, "error"), text(v, "error_description")];
        parts.extend(oauth.into_iter().flatten());
    }
    short(&parts.join(": "))
}

/// How long a 429 asks to wait: `Retry-After` (seconds or an HTTP date) when X sends it;
/// otherwise the latest reset (Unix seconds) among the limits it says are exhausted
/// (`x-rate-limit-*` for the endpoint's 15-minute window, `x-user-limit-24hour-*` and
/// `x-app-limit-24hour-*` for the daily caps on posting), else `x-rate-limit-reset` alone.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let until = |at: SystemTime| at.duration_since(now).unwrap_or(Duration::ZERO);
    if let Some(wait) = crate::webhook::answer::retry_after(headers, now) {
        return Some(wait);
    }
    let epoch = |name: &str| {
        header(name)
            .and_then(|v| v.parse::<u64>().ok())
            .map(|s| UNIX_EPOCH + Duration::from_secs(s))
    };
    let exhausted = [
        ("x-rate-limit-remaining", "x-rate-limit-reset"),
        ("x-user-limit-24hour-remaining", "x-user-limit-24hour-reset"),
        ("x-app-limit-24hour-remaining", "x-app-limit-24hour-reset"),
    ]
    .iter()
    .filter(|(remaining, _)| header(remaining) == Some("0"))
    .filter_map(|(_, reset)| epoch(reset))
    .max();
    exhausted.or_else(|| epoch("x-rate-limit-reset")).map(until)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("header value"));
        }
        h
    }

    const NOW: u64 = 1_800_000_000;

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW)
    }

    #[test]
    fn retry_after_wins_then_the_exhausted_limit() {
        let reset = (NOW + 120).to_string();
        let h = headers(&[("retry-after", "7"), ("x-rate-limit-reset", &reset)]);
        assert_eq!(retry_after(&h, now()), Some(Duration::from_secs(7)));
        let h = headers(&[("retry-after", "Fri, 15 Jan 2027 08:00:30 GMT")]);
        let at = chrono::DateTime::parse_from_rfc2822("Fri, 15 Jan 2027 08:00:00 GMT")
            .expect("date")
            .into();
        assert_eq!(retry_after(&h, at), Some(Duration::from_secs(30)));

        let h = headers(&[
            ("x-rate-limit-limit", "100"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", &reset),
        ]);
        assert_eq!(retry_after(&h, now()), Some(Duration::from_secs(120)));

        // The daily cap on posting is what ran out: its reset, not the window's.
        let day = (NOW + 3600).to_string();
        let h = headers(&[
            ("x-rate-limit-remaining", "99"),
            ("x-rate-limit-reset", &reset),
            ("x-user-limit-24hour-limit", "17"),
            ("x-user-limit-24hour-remaining", "0"),
            ("x-user-limit-24hour-reset", &day),
        ]);
        assert_eq!(retry_after(&h, now()), Some(Duration::from_secs(3600)));

        // A reset already past means now; nothing usable means no figure.
        let past = (NOW - 5).to_string();
        assert_eq!(
            retry_after(&headers(&[("x-rate-limit-reset", &past)]), now()),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after(&headers(&[("x-rate-limit-reset", "soon")]), now()),
            None
        );
        assert_eq!(retry_after(&HeaderMap::new(), now()), None);
    }

    #[test]
    fn problems_give_their_detail_and_parameter_messages() {
        assert_eq!(
            problem_detail(&json!({
                "detail": "You are not allowed to create a Tweet with duplicate content.",
                "type": "about:blank", "title": "Forbidden", "status": 403
            })),
            "You are not allowed to create a Tweet with duplicate content."
        );
        assert_eq!(
            problem_detail(&json!({
                "errors": [{ "parameters": { "media.media_ids": ["1"] },
                             "message": "Your media IDs are invalid." }],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request"
            })),
            "One or more parameters to your request was invalid.: Your media IDs are invalid."
        );
        assert_eq!(
            problem_detail(&json!({
                "error": "invalid_request",
                "error_description": "Value passed for the token was invalid."
            })),
            "invalid_request: Value passed for the token was invalid."
        );
        assert_eq!(problem_detail(&json!({})), "");
    }

    #[test]
    fn statuses_map_to_what_the_scheduler_does() {
        let f = |status: u16, detail: &str| Failure {
            status,
            detail: detail.into(),
            retry_after: None,
        };
        assert!(
            f(
                403,
                "You are not allowed to create a Tweet with duplicate content."
            )
            .is_duplicate()
        );
        assert!(!f(400, "duplicate content").is_duplicate());
        assert!(matches!(
            f(401, "Unauthorized").into_network_error(),
            NetworkError::Unauthorized(ref m) if m.contains("connect the channel again")
        ));
        assert_eq!(
            f(403, "You are not permitted to perform this action.").into_network_error(),
            NetworkError::Rejected("You are not permitted to perform this action.".into())
        );
        for s in [400, 404, 422] {
            assert_eq!(
                f(s, "nope").into_network_error(),
                NetworkError::Rejected("nope".into())
            );
        }
        for s in [408, 500, 502, 503, 504] {
            assert!(
                matches!(f(s, "").into_network_error(), NetworkError::Transient(_)),
                "{s}"
            );
        }
        assert_eq!(
            f(429, "Too Many Requests").into_network_error(),
            NetworkError::RateLimited { retry_after: None }
        );
    }

    #[test]
    fn a_2xx_that_is_not_json_is_transient() {
        let h = HeaderMap::new();
        assert!(matches!(
            answer(200, &h, br#"{"data": {"id": "1"#, "/2/tweets"),
            Err(NetworkError::Transient(ref m)) if m.contains("not JSON")
        ));
        assert!(matches!(
            answer(200, &h, b"  ", "/x"),
            Ok(Ok(Reply { body: Value::Null }))
        ));
        let Ok(Err(f)) = answer(502, &h, b"<html>Bad gateway</html>", "/x") else {
            panic!("a failure");
        };
        assert_eq!(
            (f.status, f.detail.as_str()),
            (502, "<html>Bad gateway</html>")
        );
    }
}
