//! Calls to the YouTube Data API v3 and the mapping of Google's answers to [`NetworkError`].
//!
//! Google answers errors as `{"error": {"code", "message", "errors": [{"domain", "reason",
//! "message"}], "status"}}`; the `reason` says what happened, whatever the status. Its OAuth
//! token endpoint answers `{"error", "error_description"}`.
//!
//! | answer | error |
//! |---|---|
//! | `quotaExceeded`, `dailyLimitExceeded` (403) | [`NetworkError::RateLimited`] until the next midnight, Pacific time, when YouTube resets the project's daily quota |
//! | `rateLimitExceeded`, `userRateLimitExceeded` (403 or 429), any 429 | [`NetworkError::RateLimited`], waiting for `Retry-After` when sent |
//! | `uploadLimitExceeded` (400) | [`NetworkError::RateLimited`] for 24 hours: the channel's own cap on uploads a day, which YouTube says to retry after |
//! | 401 | refreshed once by the caller, then [`NetworkError::Unauthorized`] |
//! | `insufficientPermissions` (403) | [`NetworkError::Unauthorized`]: the consent lacked a scope |
//! | other 4xx | [`NetworkError::Rejected`], with Google's message |
//! | 408, 5xx, time-out, no connection, a 2xx that is not JSON | [`NetworkError::Transient`] |
//! | an address the SSRF guard or the URL parser refuses | [`NetworkError::Misconfigured`] |

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc, Weekday};
use relais_outbound::{HttpClient, OutboundError};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::NetworkError;
use crate::webhook::answer::short;

/// How long YouTube asks a channel that reached its daily cap on uploads to wait.
pub(crate) const UPLOAD_LIMIT_WAIT: Duration = Duration::from_secs(24 * 3600);

/// A 2xx answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub headers: HeaderMap,
    pub body: Value,
}

/// What a refused call said, kept for the caller to decide what the status means there.
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: u16,
    /// The first `errors[].reason` (`quotaExceeded`, `videoNotFound`…), else the OAuth
    /// `error` (`invalid_grant`), else the `status` (`PERMISSION_DENIED`); empty when none.
    pub reason: String,
    /// Google's explanation; empty when the body had none.
    pub message: String,
    pub retry_after: Option<Duration>,
}

impl Failure {
    /// The reason and message, for people.
    pub fn detail(&self) -> String {
        match (self.reason.is_empty(), self.message.is_empty()) {
            (true, true) => format!("HTTP {}", self.status),
            (true, false) => self.message.clone(),
            (false, true) => format!("{} (HTTP {})", self.reason, self.status),
            (false, false) => format!("{}: {}", self.reason, self.message),
        }
    }

    pub fn into_network_error(self) -> NetworkError {
        self.into_error_at(Utc::now())
    }

    pub fn into_error_at(self, now: DateTime<Utc>) -> NetworkError {
        let detail = self.detail();
        match self.reason.as_str() {
            "quotaExceeded" | "dailyLimitExceeded" => {
                return NetworkError::RateLimited {
                    retry_after: Some(until_pacific_midnight(now)),
                };
            }
            "rateLimitExceeded" | "userRateLimitExceeded" | "RESOURCE_EXHAUSTED" => {
                return NetworkError::RateLimited {
                    retry_after: self.retry_after,
                };
            }
            "uploadLimitExceeded" => {
                return NetworkError::RateLimited {
                    retry_after: Some(UPLOAD_LIMIT_WAIT),
                };
            }
            "insufficientPermissions" | "ACCESS_TOKEN_SCOPE_INSUFFICIENT" => {
                return NetworkError::Unauthorized(format!(
                    "the channel was connected without a permission YouTube needs ({detail}): \
                     connect the channel again and allow everything asked"
                ));
            }
            _ => {}
        }
        match self.status {
            429 => NetworkError::RateLimited {
                retry_after: self.retry_after,
            },
            401 => NetworkError::Unauthorized(format!(
                "YouTube refused the access token ({detail}): connect the channel again"
            )),
            408 => NetworkError::Transient(format!("HTTP 408: {detail}")),
            400..=499 => NetworkError::Rejected(detail),
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
            NetworkError::Misconfigured(format!("YouTube's address cannot be used: {e}"))
        }
        other => NetworkError::Transient(other.to_string()),
    }
}

/// One call to `url` with the bearer `token` and, when given, a JSON body. `Ok(Err(_))` is an
/// answer that refused it; `Err(_)` is no usable answer at all.
pub(crate) async fn send(
    http: &HttpClient,
    url: &str,
    token: &str,
    verb: Method,
    query: &[(&str, &str)],
    body: Option<&Value>,
    headers: &[(&str, String)],
) -> Result<Result<Reply, Failure>, NetworkError> {
    let mut request = http
        .request(verb, url)
        .map_err(transport)?
        .bearer_auth(token)
        .header("accept", "application/json");
    if !query.is_empty() {
        request = request.query(query);
    }
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    if let Some(body) = body {
        // `json()` would say `application/json`; the upload guide asks for the charset too.
        let bytes = serde_json::to_vec(body)
            .map_err(|e| NetworkError::Transient(format!("a request body: {e}")))?;
        request = request
            .header("content-type", "application/json; charset=UTF-8")
            .body(bytes);
    }
    let response = http.fetch(request).await.map_err(transport)?;
    answer(
        response.status,
        &response.headers,
        &response.body,
        &what(url),
    )
}

/// The path of `url`, to name a call in an error (never its query: it may hold an upload id).
pub(crate) fn what(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.path().to_owned())
        .unwrap_or_else(|_| "the request".into())
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
            Ok(body) => Ok(Ok(Reply {
                headers: headers.clone(),
                body,
            })),
            // `DELETE` answers 204 with nothing; the session start, 200 with nothing.
            Err(_) if body.iter().all(u8::is_ascii_whitespace) => Ok(Ok(Reply {
                headers: headers.clone(),
                body: Value::Null,
            })),
            Err(e) => Err(NetworkError::Transient(format!(
                "YouTube answered {what} with something that is not JSON ({e})"
            ))),
        };
    }
    Ok(Err(failure(status, headers, body)))
}

/// What a non-2xx answer says.
pub(crate) fn failure(status: u16, headers: &HeaderMap, body: &[u8]) -> Failure {
    let (reason, message) = match serde_json::from_slice::<Value>(body) {
        Ok(v) => error_of(&v),
        Err(_) => (String::new(), short(&String::from_utf8_lossy(body))),
    };
    Failure {
        status,
        reason,
        message,
        retry_after: crate::webhook::answer::retry_after(headers, SystemTime::now()),
    }
}

/// `(reason, message)` of a Google error body, or of an OAuth error.
pub(crate) fn error_of(v: &Value) -> (String, String) {
    let text = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    match v.get("error") {
        Some(e) if e.is_object() => {
            let first = e
                .get("errors")
                .and_then(Value::as_array)
                .and_then(|a| a.first());
            // Newer answers put the reason in `details[].reason` (google.rpc.ErrorInfo).
            let detail_reason = e
                .get("details")
                .and_then(Value::as_array)
                .and_then(|d| d.iter().find_map(|d| text(d, "reason")));
            let reason = first
                .and_then(|f| text(f, "reason"))
                .or(detail_reason)
                .or_else(|| text(e, "status"))
                .unwrap_or_default();
            let message = text(e, "message")
                .or_else(|| first.and_then(|f| text(f, "message")))
                .unwrap_or_default();
            (reason, short(&strip_tags(&message)))
        }
        Some(Value::String(code)) => (
            code.trim().to_owned(),
            short(&text(v, "error_description").unwrap_or_default()),
        ),
        _ => (String::new(), String::new()),
    }
}

/// Google's messages carry HTML links (`<a href="/youtube/v3/getting-started#quota">quota</a>`).
fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// How long until the next midnight in the US Pacific time zone, when YouTube resets the
/// daily quotas. The US rule is applied by hand (no time-zone database in the crate): daylight
/// time (UTC−7) from the second Sunday of March at 02:00 to the first Sunday of November at
/// 02:00, standard time (UTC−8) otherwise.
pub(crate) fn until_pacific_midnight(now: DateTime<Utc>) -> Duration {
    let offset = pacific_offset_hours(now);
    let local = now + chrono::Duration::hours(offset);
    let Some(midnight) = local
        .date_naive()
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    else {
        return Duration::from_secs(24 * 3600);
    };
    // The offset at that midnight may differ from now's (a change of time happened since);
    // the one that agrees with itself is right.
    let at = [offset, -7, -8]
        .into_iter()
        .map(|o| {
            (
                o,
                Utc.from_utc_datetime(&(midnight - chrono::Duration::hours(o))),
            )
        })
        .find(|(o, t)| pacific_offset_hours(*t) == *o)
        .map_or_else(
            || Utc.from_utc_datetime(&(midnight - chrono::Duration::hours(offset))),
            |(_, t)| t,
        );
    (at - now).to_std().unwrap_or(Duration::ZERO)
}

/// UTC offset of US Pacific time at `t`, in hours.
fn pacific_offset_hours(t: DateTime<Utc>) -> i64 {
    let year = t.year();
    let sunday =
        |month: u32, n: u8| NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, n);
    // 02:00 PST is 10:00 UTC; 02:00 PDT is 09:00 UTC.
    let start = sunday(3, 2).and_then(|d| d.and_hms_opt(10, 0, 0));
    let end = sunday(11, 1).and_then(|d| d.and_hms_opt(9, 0, 0));
    match (start, end) {
        (Some(s), Some(e)) if t.naive_utc() >= s && t.naive_utc() < e => -7,
        _ => -8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("a date")
            .with_timezone(&Utc)
    }

    #[test]
    fn the_quota_resets_at_midnight_pacific() {
        // Winter: midnight PST is 08:00 UTC.
        assert_eq!(
            until_pacific_midnight(at("2027-01-15T07:00:00Z")),
            Duration::from_secs(3600)
        );
        assert_eq!(
            until_pacific_midnight(at("2027-01-15T09:00:00Z")),
            Duration::from_secs(23 * 3600)
        );
        // Summer: midnight PDT is 07:00 UTC.
        assert_eq!(
            until_pacific_midnight(at("2027-07-01T06:30:00Z")),
            Duration::from_secs(1800)
        );
        assert_eq!(
            until_pacific_midnight(at("2027-07-01T07:00:00Z")),
            Duration::from_secs(24 * 3600)
        );
        // 2027-03-14 is the second Sunday of March: at 01:00 PST (09:00 UTC) the next midnight
        // is Monday 00:00 PDT (07:00 UTC), a 23-hour day.
        assert_eq!(
            until_pacific_midnight(at("2027-03-14T09:00:00Z")),
            Duration::from_secs(22 * 3600)
        );
        // 2027-11-07 is the first Sunday of November: Sunday 00:00 PDT was 07:00 UTC; from
        // 08:00 UTC (01:00 PDT) the next midnight is Monday 00:00 PST (08:00 UTC).
        assert_eq!(
            until_pacific_midnight(at("2027-11-07T08:00:00Z")),
            Duration::from_secs(24 * 3600)
        );
    }

    #[test]
    fn google_errors_give_their_reason_and_message() {
        let body = json!({ "error": {
            "code": 403,
            "message": "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.",
            "errors": [{ "message": "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.",
                         "domain": "youtube.quota", "reason": "quotaExceeded" }]
        }});
        assert_eq!(
            error_of(&body),
            (
                "quotaExceeded".into(),
                "The request cannot be completed because you have exceeded your quota.".into()
            )
        );
        assert_eq!(
            error_of(
                &json!({ "error": "invalid_grant", "error_description": "Token has been expired or revoked." })
            ),
            (
                "invalid_grant".into(),
                "Token has been expired or revoked.".into()
            )
        );
        assert_eq!(
            error_of(&json!({ "error": { "code": 403, "message": "Request had insufficient authentication scopes.",
                "status": "PERMISSION_DENIED",
                "details": [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                              "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT" }] } })).0,
            "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
        );
        assert_eq!(error_of(&json!({})), (String::new(), String::new()));
    }

    #[test]
    fn reasons_and_statuses_map_to_what_the_scheduler_does() {
        let f = |status: u16, reason: &str| Failure {
            status,
            reason: reason.into(),
            message: "m".into(),
            retry_after: None,
        };
        let now = at("2027-01-15T07:00:00Z");
        assert_eq!(
            f(403, "quotaExceeded").into_error_at(now),
            NetworkError::RateLimited {
                retry_after: Some(Duration::from_secs(3600))
            }
        );
        assert_eq!(
            f(403, "userRateLimitExceeded").into_error_at(now),
            NetworkError::RateLimited { retry_after: None }
        );
        let mut limited = f(429, "");
        limited.retry_after = Some(Duration::from_secs(9));
        assert_eq!(
            limited.into_error_at(now),
            NetworkError::RateLimited {
                retry_after: Some(Duration::from_secs(9))
            }
        );
        assert_eq!(
            f(400, "uploadLimitExceeded").into_error_at(now),
            NetworkError::RateLimited {
                retry_after: Some(UPLOAD_LIMIT_WAIT)
            }
        );
        assert!(matches!(
            f(403, "insufficientPermissions").into_error_at(now),
            NetworkError::Unauthorized(ref m) if m.contains("connect the channel again")
        ));
        assert!(matches!(
            f(401, "authError").into_error_at(now),
            NetworkError::Unauthorized(ref m) if m.contains("connect the channel again")
        ));
        assert_eq!(
            f(403, "forbidden").into_error_at(now),
            NetworkError::Rejected("forbidden: m".into())
        );
        assert_eq!(
            f(400, "invalidTitle").into_error_at(now),
            NetworkError::Rejected("invalidTitle: m".into())
        );
        for s in [408, 500, 502, 503] {
            assert!(
                matches!(
                    f(s, "backendError").into_error_at(now),
                    NetworkError::Transient(_)
                ),
                "{s}"
            );
        }
    }

    #[test]
    fn a_2xx_that_is_not_json_is_transient() {
        let h = HeaderMap::new();
        assert!(matches!(
            answer(200, &h, br#"{"items": ["#, "/youtube/v3/videos"),
            Err(NetworkError::Transient(ref m)) if m.contains("not JSON")
        ));
        assert!(matches!(
            answer(204, &h, b"", "/x"),
            Ok(Ok(Reply {
                body: Value::Null,
                ..
            }))
        ));
        let Ok(Err(f)) = answer(502, &h, b"<html>Bad gateway</html>", "/x") else {
            panic!("a failure");
        };
        assert_eq!(
            (f.status, f.detail()),
            (502, "<html>Bad gateway</html>".to_owned())
        );
        assert_eq!(
            what("https://www.googleapis.com/upload/youtube/v3/videos?upload_id=secret"),
            "/upload/youtube/v3/videos"
        );
    }
}
