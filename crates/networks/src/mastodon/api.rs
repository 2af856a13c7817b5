//! Calls to a Mastodon instance's REST API and the mapping of its answers to [`NetworkError`].

use std::time::{Duration, SystemTime};

use relais_outbound::{HttpClient, OutboundError};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::NetworkError;

pub(crate) struct Api<'a> {
    pub http: &'a HttpClient,
    /// The instance's base URL, without a trailing slash.
    pub instance: &'a str,
    pub token: &'a str,
}

pub(crate) enum Payload {
    None,
    Json(Value),
    Multipart(reqwest::multipart::Form),
}

/// A 2xx answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Value,
}

/// What a refused call said, kept for the caller to decide what the status means there.
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: u16,
    /// Mastodon's `error` text (`{"error": "…"}`), empty when the body had none.
    pub error: String,
    pub retry_after: Option<Duration>,
}

impl Failure {
    fn detail(&self) -> String {
        if self.error.is_empty() {
            format!("HTTP {}", self.status)
        } else {
            self.error.clone()
        }
    }

    pub fn into_network_error(self) -> NetworkError {
        let detail = self.detail();
        match self.status {
            429 => NetworkError::RateLimited {
                retry_after: self.retry_after,
            },
            // Mastodon's access tokens do not expire and it has no refresh: a refused token was
            // revoked (or its app deleted), and only a person can connect the channel again.
            401 => NetworkError::Unauthorized(format!(
                "the instance refused the access token ({detail}); it was revoked or its \
                 application removed: connect the channel again"
            )),
            403 => NetworkError::Unauthorized(format!(
                "the instance does not allow this with the access token ({detail}); it may lack \
                 the write scope, or the account is disabled: connect the channel again"
            )),
            408 => NetworkError::Transient(format!("HTTP 408: {detail}")),
            // Media still being processed is not a refusal of the post: it will be ready.
            422 if self.error.contains("not finished processing") => {
                NetworkError::Transient(detail)
            }
            400..=499 => NetworkError::Rejected(detail),
            _ if self.error.is_empty() => NetworkError::Transient(detail),
            _ => NetworkError::Transient(format!("HTTP {}: {detail}", self.status)),
        }
    }
}

pub(crate) fn transport(e: OutboundError) -> NetworkError {
    match e {
        OutboundError::Forbidden { .. }
        | OutboundError::InvalidUrl(_)
        | OutboundError::UnsupportedScheme(_) => {
            NetworkError::Misconfigured(format!("the instance URL cannot be used: {e}"))
        }
        other => NetworkError::Transient(other.to_string()),
    }
}

impl Api<'_> {
    /// One call. `Ok(Err(_))` is an answer that refused it; `Err(_)` is no usable answer at all
    /// (the instance unreachable, too slow, or answering something that is not JSON).
    pub async fn call(
        &self,
        verb: Method,
        path: &str,
        query: &[(&str, &str)],
        payload: Payload,
        idempotency_key: Option<&str>,
    ) -> Result<Result<Reply, Failure>, NetworkError> {
        let url = format!("{}{path}", self.instance);
        let mut request = self
            .http
            .request(verb, &url)
            .map_err(transport)?
            .bearer_auth(self.token)
            .header("accept", "application/json");
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(key) = idempotency_key {
            request = request.header("idempotency-key", key);
        }
        request = match payload {
            Payload::None => request,
            Payload::Json(body) => request.json(&body),
            Payload::Multipart(form) => request.multipart(form),
        };
        let response = self.http.fetch(request).await.map_err(transport)?;
        let parsed = serde_json::from_slice::<Value>(&response.body);
        if (200..300).contains(&response.status) {
            return match parsed {
                Ok(body) => Ok(Ok(Reply {
                    status: response.status,
                    body,
                })),
                Err(_) if response.body.iter().all(u8::is_ascii_whitespace) => Ok(Ok(Reply {
                    status: response.status,
                    body: Value::Null,
                })),
                Err(e) => Err(NetworkError::Transient(format!(
                    "the instance answered {path} with something that is not JSON ({e})"
                ))),
            };
        }
        let body = parsed.unwrap_or(Value::Null);
        let retry_after = if response.status == 429 {
            retry_after(&response.headers, SystemTime::now())
        } else {
            None
        };
        Ok(Err(Failure {
            status: response.status,
            error: body
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            retry_after,
        }))
    }
}

/// How long a 429 asks to wait: `Retry-After` (seconds or an HTTP date), else the end of the
/// window in `X-RateLimit-Reset`, which Mastodon gives as an ISO 8601 time (Unix seconds are
/// accepted too).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let until = |at: SystemTime| Some(at.duration_since(now).unwrap_or(Duration::ZERO));
    if let Some(wait) = crate::webhook::answer::retry_after(headers, now) {
        return Some(wait);
    }
    let v = header("x-ratelimit-reset")?;
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(v) {
        return until(at.into());
    }
    let number = v
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)?;
    if number > 1_000_000_000.0 {
        until(SystemTime::UNIX_EPOCH + Duration::from_secs_f64(number))
    } else {
        Some(Duration::from_secs_f64(number))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("header value"));
        }
        h
    }

    fn at(rfc3339: &str) -> SystemTime {
        chrono::DateTime::parse_from_rfc3339(rfc3339)
            .expect("time")
            .into()
    }

    #[test]
    fn retry_after_in_seconds_wins() {
        let h = headers(&[
            ("retry-after", "7"),
            ("x-ratelimit-reset", "2026-11-23T16:00:00.000Z"),
        ]);
        assert_eq!(
            retry_after(&h, at("2026-11-23T15:00:00Z")),
            Some(Duration::from_secs(7))
        );
    }

    #[test]
    fn retry_after_as_an_http_date() {
        let h = headers(&[("retry-after", "Mon, 23 Nov 2026 15:00:30 GMT")]);
        assert_eq!(
            retry_after(&h, at("2026-11-23T15:00:00Z")),
            Some(Duration::from_secs(30))
        );
    }

    #[test]
    fn mastodon_reset_is_an_iso_time() {
        let h = headers(&[("x-ratelimit-reset", "2026-11-23T15:05:00.000000Z")]);
        assert_eq!(
            retry_after(&h, at("2026-11-23T15:00:00Z")),
            Some(Duration::from_secs(300))
        );
        // A reset already past means: now.
        assert_eq!(
            retry_after(&h, at("2026-11-23T16:00:00Z")),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn unix_seconds_and_garbage() {
        let now = at("2026-11-23T15:00:00Z");
        let epoch = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        let h = headers(&[("x-ratelimit-reset", &(epoch + 60).to_string())]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(60)));
        assert_eq!(
            retry_after(&headers(&[("x-ratelimit-reset", "soon")]), now),
            None
        );
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn statuses_map_to_what_the_scheduler_does() {
        let f = |status: u16, error: &str| {
            Failure {
                status,
                error: error.into(),
                retry_after: None,
            }
            .into_network_error()
        };
        assert!(matches!(
            f(401, "The access token is invalid"),
            NetworkError::Unauthorized(_)
        ));
        assert!(matches!(
            f(403, "This action is outside the authorized scopes"),
            NetworkError::Unauthorized(_)
        ));
        assert_eq!(
            f(
                422,
                "Validation failed: Text character limit of 500 exceeded"
            ),
            NetworkError::Rejected(
                "Validation failed: Text character limit of 500 exceeded".into()
            )
        );
        assert!(matches!(
            f(
                422,
                "Cannot attach files that have not finished processing. Try again in a moment!"
            ),
            NetworkError::Transient(_)
        ));
        assert!(matches!(f(502, ""), NetworkError::Transient(ref m) if m == "HTTP 502"));
        assert!(
            matches!(f(503, "Service temporarily unavailable"), NetworkError::Transient(ref m) if m == "HTTP 503: Service temporarily unavailable")
        );
        assert!(matches!(
            f(429, "Too many requests"),
            NetworkError::RateLimited { retry_after: None }
        ));
    }
}
