//! Calls to the Threads Graph API and the mapping of its answers to [`NetworkError`].
//!
//! The token goes as the `access_token` parameter, as every example of Meta's documentation
//! sends it: in the query of a `GET` or `DELETE`, in the form body of a `POST` (so that it
//! never appears in an address of a request that writes). `relais-outbound` keeps URLs out of
//! its logs and errors either way.
//!
//! Errors come as Graph API errors, whatever the HTTP status (mostly 400):
//! `{"error": {"message", "type", "code", "error_subcode", "error_user_msg", "is_transient",
//! "fbtrace_id"}}`. What to do depends on `code` more than on the status:
//!
//! | answer | error |
//! |---|---|
//! | 429, or codes 4, 17, 32, 613 (too many calls), 341 (application limit), 368 (blocked for a while) | [`NetworkError::RateLimited`], waiting for `Retry-After` when sent |
//! | 401, or codes 190 (token expired, revoked or invalid) and 102 (session) | [`NetworkError::Unauthorized`]: connect the channel again |
//! | codes 10 and 200–299 (a permission missing) | [`NetworkError::Unauthorized`]: connect again, granting every permission |
//! | codes 1, 2 (unknown, service), 24 with subcode 4279009 (a container not found yet), `is_transient`, 408, 5xx, time-outs, a 2xx that is not JSON | [`NetworkError::Transient`] |
//! | other 4xx | [`NetworkError::Rejected`], with Meta's words (`error_user_msg`, else `message`) |
//! | an address the SSRF guard or the URL parser refuses | [`NetworkError::Misconfigured`] |

use std::time::{Duration, SystemTime};

use relais_outbound::{HttpClient, OutboundError};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::NetworkError;
pub(crate) use crate::webhook::answer::retry_after;
use crate::webhook::answer::short;

/// A 2xx answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub body: Value,
}

/// What a refused call said, kept whole so that the caller decides what it means there (a
/// post that is gone is no error for a deletion).
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub status: u16,
    /// The Graph error's `code` and `error_subcode`.
    pub code: Option<i64>,
    pub subcode: Option<i64>,
    /// Meta's explanation: `error_user_msg` when given (written for people), else `message`;
    /// empty when the body had none.
    pub message: String,
    /// The error's own `is_transient` flag.
    pub transient: bool,
    pub retry_after: Option<Duration>,
}

/// Graph error codes of throttling: application (4), user (17), custom (32), per-endpoint
/// (613), application limit reached (341), and a temporary block (368).
const RATE_CODES: [i64; 6] = [4, 17, 32, 341, 368, 613];

impl Failure {
    pub fn detail(&self) -> String {
        let mut text = if self.message.is_empty() {
            format!("HTTP {}", self.status)
        } else {
            self.message.clone()
        };
        if let Some(code) = self.code {
            text.push_str(&format!(" (code {code}"));
            if let Some(sub) = self.subcode {
                text.push_str(&format!("/{sub}"));
            }
            text.push(')');
        }
        text
    }

    pub fn is_rate_limit(&self) -> bool {
        self.status == 429 || self.code.is_some_and(|c| RATE_CODES.contains(&c))
    }

    pub fn is_unauthorized(&self) -> bool {
        self.status == 401 || matches!(self.code, Some(190 | 102))
    }

    /// A permission the token was not granted (code 10, or 200–299).
    pub fn is_permission(&self) -> bool {
        self.code
            .is_some_and(|c| c == 10 || (200..=299).contains(&c))
    }

    /// The object named in the path does not exist (any more): HTTP 404, Graph's "object does
    /// not exist" (100/33), or Threads' "media not found" (24/4279009).
    pub fn is_gone(&self) -> bool {
        self.is_missing_object() || self.is_media_not_found()
    }

    /// HTTP 404, or Graph's "object does not exist" (100/33): what names a deleted post,
    /// never a container still being processed.
    pub fn is_missing_object(&self) -> bool {
        self.status == 404 || (self.code == Some(100) && self.subcode == Some(33))
    }

    /// Threads' "media not found" (24/4279009): a deleted post, or a container published a
    /// moment too early.
    pub fn is_media_not_found(&self) -> bool {
        self.code == Some(24) && self.subcode == Some(4_279_009)
    }

    pub fn into_network_error(self) -> NetworkError {
        let detail = self.detail();
        if self.is_rate_limit() {
            return NetworkError::RateLimited {
                retry_after: self.retry_after,
            };
        }
        if self.is_unauthorized() {
            return NetworkError::Unauthorized(format!(
                "Threads refused the access token ({detail}): connect the channel again"
            ));
        }
        if self.is_permission() {
            return NetworkError::Unauthorized(format!(
                "Threads refused a permission ({detail}): connect the channel again and grant \
                 every permission Relais asks for"
            ));
        }
        // A container published right after it was made is sometimes "not found" for a moment
        // (a race Meta's own advice to wait before publishing is about).
        if self.transient || matches!(self.code, Some(1 | 2)) || self.is_media_not_found() {
            return NetworkError::Transient(format!("HTTP {}: {detail}", self.status));
        }
        match self.status {
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
            NetworkError::Misconfigured(format!("the Threads API address cannot be used: {e}"))
        }
        other => NetworkError::Transient(other.to_string()),
    }
}

/// One call to `url` with `params` and the `token` (when there is one). `Ok(Err(_))` is an
/// answer that refused it; `Err(_)` is no usable answer (Threads unreachable, too slow, or a
/// 2xx that is not JSON). `what` names the call in messages; it never holds the token.
pub(crate) async fn send(
    http: &HttpClient,
    verb: Method,
    url: &str,
    token: Option<&str>,
    params: &[(&str, &str)],
    what: &str,
) -> Result<Result<Reply, Failure>, NetworkError> {
    let mut fields: Vec<(&str, &str)> = params.to_vec();
    if let Some(token) = token {
        fields.push(("access_token", token));
    }
    let mut request = http
        .request(verb.clone(), url)
        .map_err(transport)?
        .header("accept", "application/json");
    request = if verb == Method::POST {
        request.form(&fields)
    } else if fields.is_empty() {
        request
    } else {
        request.query(&fields)
    };
    let response = http.fetch(request).await.map_err(transport)?;
    answer(response.status, &response.headers, &response.body, what)
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
                "Threads answered {what} with something that is not JSON ({e})"
            ))),
        };
    }
    let mut failure = Failure {
        status,
        code: None,
        subcode: None,
        message: String::new(),
        transient: false,
        retry_after: retry_after(headers, SystemTime::now()),
    };
    match parsed {
        Ok(v) => read_error(&v, &mut failure),
        Err(_) => failure.message = short(&String::from_utf8_lossy(body)),
    }
    Ok(Err(failure))
}

/// Fills `failure` from a Graph error body (`{"error": {...}}`), or from an OAuth-style
/// `{"error": "...", "error_description": "..."}`, or from a bare `{"message"}`.
fn read_error(v: &Value, failure: &mut Failure) {
    let text = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let number = |v: &Value, k: &str| {
        v.get(k)
            .and_then(|n| n.as_i64().or_else(|| n.as_str()?.parse().ok()))
    };
    match v.get("error") {
        Some(e) if e.is_object() => {
            failure.code = number(e, "code");
            failure.subcode = number(e, "error_subcode");
            failure.transient = e.get("is_transient").and_then(Value::as_bool) == Some(true);
            failure.message = short(
                &text(e, "error_user_msg")
                    .or_else(|| text(e, "message"))
                    .unwrap_or_default(),
            );
        }
        Some(Value::String(code)) => {
            let parts: Vec<String> = [Some(code.clone()), text(v, "error_description")]
                .into_iter()
                .flatten()
                .collect();
            failure.message = short(&parts.join(": "));
        }
        _ => failure.message = short(&text(v, "message").unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn failure(status: u16, body: Value) -> Failure {
        let bytes = serde_json::to_vec(&body).expect("json");
        match answer(status, &HeaderMap::new(), &bytes, "the test") {
            Ok(Err(f)) => f,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    fn graph(code: i64, subcode: Option<i64>, message: &str) -> Value {
        let mut e = json!({ "message": message, "type": "OAuthException", "code": code,
                            "fbtrace_id": "Abc" });
        if let Some(s) = subcode {
            e["error_subcode"] = json!(s);
        }
        json!({ "error": e })
    }

    #[test]
    fn codes_decide_before_statuses() {
        for code in [4, 17, 32, 613] {
            assert_eq!(
                failure(400, graph(code, None, "Application request limit reached"))
                    .into_network_error(),
                NetworkError::RateLimited { retry_after: None },
                "{code}"
            );
        }
        let expired = failure(
            400,
            graph(
                190,
                Some(463),
                "Error validating access token: Session has expired",
            ),
        );
        assert!(expired.is_unauthorized());
        assert!(matches!(
            expired.into_network_error(),
            NetworkError::Unauthorized(ref m) if m.contains("connect the channel again")
                && m.contains("Session has expired") && m.contains("190/463")
        ));
        assert!(matches!(
            failure(403, graph(10, None, "Application does not have permission")).into_network_error(),
            NetworkError::Unauthorized(ref m) if m.contains("grant every permission")
        ));
        assert!(matches!(
            failure(400, graph(24, Some(4_279_009), "Media Not Found")).into_network_error(),
            NetworkError::Transient(_)
        ));
        assert!(matches!(
            failure(400, graph(2, None, "Service temporarily unavailable")).into_network_error(),
            NetworkError::Transient(_)
        ));
        let mut flagged = graph(100, None, "Try again");
        flagged["error"]["is_transient"] = json!(true);
        assert!(matches!(
            failure(400, flagged).into_network_error(),
            NetworkError::Transient(_)
        ));
        assert_eq!(
            failure(
                400,
                graph(100, None, "Param text must be at most 500 characters long.")
            )
            .into_network_error(),
            NetworkError::Rejected(
                "Param text must be at most 500 characters long. (code 100)".into()
            )
        );
        assert!(matches!(
            failure(500, json!({})).into_network_error(),
            NetworkError::Transient(ref m) if m.contains("500")
        ));
        assert!(matches!(
            failure(401, json!({})).into_network_error(),
            NetworkError::Unauthorized(_)
        ));
    }

    #[test]
    fn people_get_the_user_message_and_gone_is_recognised() {
        let mut body = graph(100, Some(33), "Unsupported get request.");
        body["error"]["error_user_msg"] = json!("This post no longer exists.");
        let f = failure(400, body);
        assert_eq!(f.message, "This post no longer exists.");
        assert!(f.is_gone());
        assert!(failure(400, graph(24, Some(4_279_009), "Media Not Found")).is_gone());
        assert!(!failure(400, graph(100, None, "Invalid parameter")).is_gone());
        let oauth = failure(
            400,
            json!({ "error": "invalid_request", "error_description": "Invalid code" }),
        );
        assert_eq!(oauth.message, "invalid_request: Invalid code");
    }

    #[test]
    fn answers_that_are_not_json() {
        let h = HeaderMap::new();
        assert!(matches!(
            answer(200, &h, br#"{"id": "1"#, "the publication"),
            Err(NetworkError::Transient(ref m)) if m.contains("not JSON")
        ));
        assert!(matches!(
            answer(200, &h, b"", "x"),
            Ok(Ok(Reply { body: Value::Null }))
        ));
        let Ok(Err(f)) = answer(502, &h, b"<html>Bad gateway</html>", "x") else {
            panic!("a failure");
        };
        assert_eq!(f.message, "<html>Bad gateway</html>");
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "12".parse().expect("header"));
        assert_eq!(
            retry_after(&h, SystemTime::now()),
            Some(Duration::from_secs(12))
        );
        h.insert(
            "retry-after",
            "Fri, 15 Jan 2027 08:00:30 GMT".parse().expect("header"),
        );
        let now = chrono::DateTime::parse_from_rfc2822("Fri, 15 Jan 2027 08:00:00 GMT")
            .expect("date")
            .into();
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(30)));
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }
}
