//! Calls to LinkedIn's versioned REST API (`/rest/…`) and the mapping of its answers to
//! [`NetworkError`].
//!
//! Every call carries `LinkedIn-Version: YYYYMM` (LinkedIn has no default version and sunsets
//! each about a year after its release) and `X-Restli-Protocol-Version: 2.0.0` (URNs in paths
//! and queries are then percent-encoded whole). Errors come as
//! `{"status", "code", "serviceErrorCode", "message"}`, validation errors with
//! `errorDetails.inputErrors[{"code", "description", "input": {"inputPath": {"fieldPath"}}}]`;
//! the OAuth endpoints answer `{"error", "error_description"}`.
//!
//! | answer | error |
//! |---|---|
//! | 429 | [`NetworkError::RateLimited`], waiting for `Retry-After` when LinkedIn sends it |
//! | 401 | refreshed once by the caller, then [`NetworkError::Unauthorized`] |
//! | 403 | [`NetworkError::Unauthorized`]: the member is no longer an administrator of the page, or the app lacks the permission |
//! | 426 (a version LinkedIn no longer serves) | [`NetworkError::Misconfigured`], naming the `version` setting |
//! | 400, 404, 409, 410, 422 and other 4xx | [`NetworkError::Rejected`], with LinkedIn's message |
//! | 408, 5xx, time-out, no connection, a 2xx that is not JSON | [`NetworkError::Transient`] |
//! | an address the SSRF guard or the URL parser refuses | [`NetworkError::Misconfigured`] |

use std::time::{Duration, SystemTime};

use relais_outbound::{HttpClient, OutboundError};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::NetworkError;
use crate::webhook::answer::{retry_after, short};

/// Rest.li protocol version, required for the versioned APIs.
pub(crate) const RESTLI_PROTOCOL: &str = "2.0.0";

/// What a request carries. Kept whole (not a `reqwest` body) so the request can be sent again
/// after the access token was refreshed.
pub(crate) enum Body<'a> {
    None,
    Json(Value),
    /// An image's bytes, for the upload address the Images API gave.
    Bytes(&'a [u8]),
}

/// One request.
pub(crate) struct Call<'a> {
    pub verb: Method,
    pub url: String,
    /// The bearer token, when the destination is LinkedIn's.
    pub token: Option<&'a str>,
    /// The API version, for calls to `/rest/…` (not for upload addresses).
    pub version: Option<&'a str>,
    pub body: &'a Body<'a>,
}

/// A 2xx answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub body: Value,
    /// The `x-restli-id` header: the URN of what a create made.
    pub restli_id: Option<String>,
}

/// What a refused call said, kept for the caller to decide what the status means there.
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: u16,
    /// LinkedIn's explanation (its `message`, with the input errors' descriptions); empty
    /// when the body had none.
    pub detail: String,
    /// LinkedIn's code for the error (`DUPLICATE_POST`, `ACCESS_DENIED`, OAuth's
    /// `invalid_grant`…), when it gave one.
    pub code: Option<String>,
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

    /// LinkedIn's refusal of a post whose content the page published recently.
    pub fn is_duplicate(&self) -> bool {
        self.status == 422
            && (self.code.as_deref() == Some("DUPLICATE_POST")
                || self.detail.to_ascii_lowercase().contains("duplicate"))
    }

    pub fn into_network_error(self) -> NetworkError {
        let detail = self.detail();
        match self.status {
            429 => NetworkError::RateLimited {
                retry_after: self.retry_after,
            },
            401 => NetworkError::Unauthorized(format!(
                "LinkedIn refused the access token ({detail}): connect the channel again"
            )),
            403 => NetworkError::Unauthorized(format!(
                "LinkedIn refused access ({detail}): the member who connected the channel must \
                 be an administrator of the page and the app must have the Community \
                 Management API; connect the channel again"
            )),
            426 => NetworkError::Misconfigured(format!(
                "LinkedIn no longer serves this API version ({detail}): set the channel's \
                 `version` setting to a current one (YYYYMM), or leave it empty for Relais's"
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
            NetworkError::Misconfigured(format!("LinkedIn's address cannot be used: {e}"))
        }
        other => NetworkError::Transient(other.to_string()),
    }
}

/// Sends one call. `Ok(Err(_))` is an answer that refused it; `Err(_)` is no usable answer at
/// all (LinkedIn unreachable, too slow, or answering a 2xx that is not JSON).
pub(crate) async fn send(
    http: &HttpClient,
    call: &Call<'_>,
    what: &str,
) -> Result<Result<Reply, Failure>, NetworkError> {
    let mut request = http
        .request(call.verb.clone(), &call.url)
        .map_err(transport)?;
    if let Some(token) = call.token {
        request = request.bearer_auth(token);
    }
    if let Some(version) = call.version {
        request = request
            .header("linkedin-version", version)
            .header("x-restli-protocol-version", RESTLI_PROTOCOL)
            .header("accept", "application/json");
    }
    request = match call.body {
        Body::None => request,
        Body::Json(v) => request.json(v),
        Body::Bytes(bytes) => request
            .header("content-type", "application/octet-stream")
            .body(bytes.to_vec()),
    };
    let response = http.fetch(request).await.map_err(transport)?;
    answer(response.status, &response.headers, &response.body, what)
}

/// A fetched answer as a [`Reply`] or a [`Failure`]; a 2xx that is not JSON is transient (an
/// empty one is an empty answer: creates answer 201 with only a header, deletes 204).
pub(crate) fn answer(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    what: &str,
) -> Result<Result<Reply, Failure>, NetworkError> {
    let parsed = serde_json::from_slice::<Value>(body);
    if (200..300).contains(&status) {
        let restli_id = headers
            .get("x-restli-id")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned);
        return match parsed {
            Ok(body) => Ok(Ok(Reply { body, restli_id })),
            Err(_) if body.iter().all(u8::is_ascii_whitespace) => Ok(Ok(Reply {
                body: Value::Null,
                restli_id,
            })),
            Err(e) => Err(NetworkError::Transient(format!(
                "LinkedIn answered {what} with something that is not JSON ({e})"
            ))),
        };
    }
    let (detail, code) = match parsed {
        Ok(v) => error_detail(&v),
        Err(_) => (short(&String::from_utf8_lossy(body)), None),
    };
    Ok(Err(Failure {
        status,
        detail,
        code,
        retry_after: if status == 429 {
            retry_after(headers, SystemTime::now())
        } else {
            None
        },
    }))
}

/// The readable part of a LinkedIn error body, and its code. The `message` loses the Java
/// exception class LinkedIn sometimes puts first; the input errors add what they say of
/// which field, when the message does not already.
pub(crate) fn error_detail(v: &Value) -> (String, Option<String>) {
    let text = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let mut parts: Vec<String> = Vec::new();
    if let Some(m) = text(v, "message") {
        parts.push(without_exception_class(&m).to_owned());
    }
    let inputs = v
        .get("errorDetails")
        .and_then(|d| d.get("inputErrors"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut code = None;
    for e in inputs.iter().take(3) {
        code = code.or_else(|| text(e, "code"));
        if let Some(d) = text(e, "description") {
            let field = e
                .get("input")
                .and_then(|i| i.get("inputPath"))
                .and_then(|p| text(p, "fieldPath"));
            let d = match field {
                Some(f) => format!("{d} ({f})"),
                None => d,
            };
            if !parts.iter().any(|p| p.contains(&d)) {
                parts.push(d);
            }
        }
    }
    let code = code.or_else(|| text(v, "code"));
    if parts.is_empty() {
        let oauth = [text(v, "error"), text(v, "error_description")];
        parts.extend(oauth.into_iter().flatten());
    }
    let code = code.or_else(|| text(v, "error"));
    (short(&parts.join(": ")), code)
}

/// `message` without a leading `com.linkedin.….SomeException: `.
fn without_exception_class(message: &str) -> &str {
    match message.split_once(": ") {
        Some((head, rest))
            if head.contains('.')
                && !head.contains(' ')
                && head.ends_with("Exception")
                && !rest.is_empty() =>
        {
            rest
        }
        _ => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_bodies_give_their_message_and_code() {
        let duplicate = json!({
            "errorDetailType": "com.linkedin.common.error.BadRequest",
            "message": "com.linkedin.content.common.exception.BadRequestResponseException: \
                        Content is a duplicate of urn:li:share:7141138937766391808",
            "errorDetails": { "inputErrors": [{ "description": "Duplicate post is detected",
                                                 "input": {}, "code": "DUPLICATE_POST" }] },
            "status": 422
        });
        assert_eq!(
            error_detail(&duplicate),
            (
                "Content is a duplicate of urn:li:share:7141138937766391808: \
                 Duplicate post is detected"
                    .into(),
                Some("DUPLICATE_POST".into())
            )
        );
        let field = json!({
            "message": "ERROR :: /commentary :: is too long",
            "errorDetails": { "inputErrors": [{ "description": "Field value is too long",
                "input": { "inputPath": { "fieldPath": "/commentary" } },
                "code": "FIELD_VALUE_TOO_LONG" }] },
            "status": 422
        });
        assert_eq!(
            error_detail(&field).0,
            "ERROR :: /commentary :: is too long: Field value is too long (/commentary)"
        );
        assert_eq!(
            error_detail(&json!({ "status": 403, "serviceErrorCode": 100,
                                  "code": "ACCESS_DENIED", "message": "Not enough permissions" })),
            (
                "Not enough permissions".into(),
                Some("ACCESS_DENIED".into())
            )
        );
        assert_eq!(
            error_detail(&json!({ "error": "invalid_grant",
                                  "error_description": "The provided authorization grant is invalid" })),
            (
                "invalid_grant: The provided authorization grant is invalid".into(),
                Some("invalid_grant".into())
            )
        );
        assert_eq!(error_detail(&json!({})), (String::new(), None));
    }

    #[test]
    fn statuses_map_to_what_the_scheduler_does() {
        let f = |status: u16, detail: &str, code: Option<&str>| Failure {
            status,
            detail: detail.into(),
            code: code.map(str::to_owned),
            retry_after: None,
        };
        assert!(f(422, "Duplicate post is detected", Some("DUPLICATE_POST")).is_duplicate());
        assert!(f(422, "Content is a duplicate of urn:li:share:1", None).is_duplicate());
        assert!(!f(400, "duplicate", None).is_duplicate());
        assert!(!f(422, "too long", Some("FIELD_VALUE_TOO_LONG")).is_duplicate());
        for s in [401, 403] {
            assert!(matches!(
                f(s, "no", None).into_network_error(),
                NetworkError::Unauthorized(ref m) if m.contains("connect the channel again")
            ));
        }
        assert!(matches!(
            f(426, "Requested version 202001 is not active", None).into_network_error(),
            NetworkError::Misconfigured(ref m) if m.contains("`version`")
        ));
        for s in [400, 404, 409, 410, 422] {
            assert_eq!(
                f(s, "nope", None).into_network_error(),
                NetworkError::Rejected("nope".into())
            );
        }
        for s in [408, 500, 502, 503, 504] {
            assert!(
                matches!(
                    f(s, "", None).into_network_error(),
                    NetworkError::Transient(_)
                ),
                "{s}"
            );
        }
        assert_eq!(
            f(429, "", None).into_network_error(),
            NetworkError::RateLimited { retry_after: None }
        );
    }

    #[test]
    fn answers_are_read() {
        let mut h = HeaderMap::new();
        h.insert("x-restli-id", "urn:li:share:1".parse().expect("header"));
        let Ok(Ok(reply)) = answer(201, &h, b"", "the post") else {
            panic!("a reply");
        };
        assert_eq!(reply.restli_id.as_deref(), Some("urn:li:share:1"));
        assert_eq!(reply.body, Value::Null);
        assert!(matches!(
            answer(200, &HeaderMap::new(), br#"{"elements": ["#, "x"),
            Err(NetworkError::Transient(ref m)) if m.contains("not JSON")
        ));
        let mut h = HeaderMap::new();
        h.insert("retry-after", "12".parse().expect("header"));
        let Ok(Err(f)) = answer(429, &h, b"<html>slow down</html>", "x") else {
            panic!("a failure");
        };
        assert_eq!(f.retry_after, Some(Duration::from_secs(12)));
        assert_eq!(f.detail, "<html>slow down</html>");
    }
}
