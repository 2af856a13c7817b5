//! Calls to Meta's Graph API and the mapping of its answers to [`NetworkError`], shared by the
//! Facebook Page and Instagram connectors and the Facebook Login flow.
//!
//! Graph answers a failure with an HTTP status (400 for most, 403 or 500 for some) and a body
//! `{"error": {"message", "type", "code", "error_subcode", "is_transient", "error_user_msg",
//! "fbtrace_id"}}`; the `code` says more than the status, so it decides first:
//!
//! | answer | error |
//! |---|---|
//! | code 190 or 102 (token expired, revoked, password changed…), HTTP 401 | [`NetworkError::Unauthorized`]: Page tokens cannot be refreshed, the channel must be connected again |
//! | code 10 or 200–299 (a permission is missing) | [`NetworkError::Unauthorized`], to connect again and grant it |
//! | codes 4, 17, 32, 613, 341, 80001–80014, subcode 2207042 (Instagram's 50 posts a day), HTTP 429 | [`NetworkError::RateLimited`], waiting for `Retry-After`, else the largest `estimated_time_to_regain_access` (minutes) of `X-Business-Use-Case-Usage` |
//! | codes 1, 2 (Graph), -1, -2, 9007 (Instagram), `is_transient`, HTTP 408 and 5xx, time-out, no connection, a 2xx that is not JSON | [`NetworkError::Transient`] |
//! | other codes (100 invalid parameter, 368 blocked, 506 duplicate, 4 with subcode 2207051 restricted as spam…) | [`NetworkError::Rejected`], with Graph's message |
//! | an address the SSRF guard or the URL parser refuses | [`NetworkError::Misconfigured`] |
//!
//! (`X-App-Usage` only gives percentages of the app's hourly quota, no wait; it is not read.)
//!
//! The access token goes in an `Authorization: Bearer` header, never in the query string, so
//! that it cannot end up in a log line with the URL.

use std::time::{Duration, SystemTime};

use relais_outbound::HttpClient;
use reqwest::Method;
use reqwest::header::HeaderMap;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::webhook::answer::{retry_after, short, transport};
use crate::{Credentials, MediaFile, NetworkError};

/// Graph's public address, when the channel does not say otherwise (`api_base`).
pub const DEFAULT_API_BASE: &str = "https://graph.facebook.com";
/// The Graph API version Relais was written against (`graph_version` overrides it). Meta keeps
/// each version for about two years after the next one ships.
pub const GRAPH_VERSION: &str = "v21.0";

/// Graph's error codes for "too many calls": the app (4), the user (17), the Page (32), an
/// endpoint (613), the application limit (341); 80001–80014 are the business use case limits
/// (80001 Pages, 80002 Instagram…).
fn is_rate_limit_code(code: i64) -> bool {
    matches!(code, 4 | 17 | 32 | 341 | 613) || (80_000..=80_014).contains(&code)
}

/// Where a channel's Graph calls go: `<api_base>/<graph_version>`, checked.
#[derive(Clone, Debug)]
pub(crate) struct Endpoint {
    /// `<api_base>/<version>`, without a trailing slash.
    pub root: String,
}

impl Endpoint {
    /// The endpoint a channel's settings name; `network` is how messages call it.
    pub fn of(creds: &Credentials, network: &str) -> Result<Self, NetworkError> {
        let setting = |k: &str| creds.setting(k).map(str::trim).filter(|s| !s.is_empty());
        Self::new(
            setting("api_base"),
            setting("graph_version"),
            &format!("the {network} channel's"),
        )
    }

    /// `api_base` (default [`DEFAULT_API_BASE`]) and `version` (default [`GRAPH_VERSION`]);
    /// `whose` starts the message of a setting that is wrong.
    pub fn new(
        api_base: Option<&str>,
        version: Option<&str>,
        whose: &str,
    ) -> Result<Self, NetworkError> {
        let raw = api_base.unwrap_or(DEFAULT_API_BASE);
        let api_base = url::Url::parse(raw)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .map(|u| u.as_str().trim_end_matches('/').to_owned())
            .ok_or_else(|| {
                NetworkError::Misconfigured(format!(
                    "{whose} `api_base` (`{raw}`) is not an http(s) address"
                ))
            })?;
        let version = version.unwrap_or(GRAPH_VERSION);
        if !is_version(version) {
            return Err(NetworkError::Misconfigured(format!(
                "{whose} `graph_version` (`{version}`) is not a Graph API version such as \
                 `{GRAPH_VERSION}`"
            )));
        }
        Ok(Self {
            root: format!("{api_base}/{version}"),
        })
    }
}

/// `v<major>.<minor>`, as Graph names its versions.
fn is_version(v: &str) -> bool {
    v.strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(major, minor)| {
            [major, minor]
                .iter()
                .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// A Graph object id as it may go into a path: digits, or digits joined by `_` (a Page post is
/// `<page-id>_<post-id>`, a comment `<post-id>_<comment-id>`).
pub(crate) fn is_object_id(id: &str) -> bool {
    (1..=80).contains(&id.len())
        && id
            .split('_')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

/// What a request carries. Kept whole (not a `reqwest` body) so that it can be built again.
pub(crate) enum Body<'a> {
    None,
    /// `application/x-www-form-urlencoded` fields, as Graph's examples send them.
    Form(Vec<(String, String)>),
    /// `multipart/form-data`: the fields, then the file under `field`.
    File {
        fields: Vec<(String, String)>,
        field: &'static str,
        media: &'a MediaFile,
        file_name: String,
    },
}

/// What a refused call said, kept for the caller to decide what it means there (a 506 is a
/// duplicate, a 100 with subcode 33 on a delete is "already gone"…).
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub status: u16,
    pub code: Option<i64>,
    pub subcode: Option<i64>,
    pub is_transient: bool,
    /// Graph's `message`, with `error_user_msg` when it adds something; may be empty.
    pub message: String,
    pub retry_after: Option<Duration>,
}

impl Failure {
    pub fn detail(&self) -> String {
        match (self.message.is_empty(), self.code) {
            (true, Some(code)) => format!("HTTP {}, error code {code}", self.status),
            (true, None) => format!("HTTP {}", self.status),
            (false, _) => self.message.clone(),
        }
    }

    /// Graph's refusal of a Page post identical to the one before it (code 506).
    pub fn is_duplicate(&self) -> bool {
        self.code == Some(506)
    }

    /// The object named in the path does not exist (any more), or cannot be seen: HTTP 404, or
    /// code 100 with subcode 33, or (the subcode left out, as some answers do) with Graph's
    /// "Object with ID '…' does not exist" message.
    pub fn is_missing_object(&self) -> bool {
        self.status == 404
            || (self.code == Some(100)
                && (self.subcode == Some(33) || self.message.contains("does not exist")))
    }

    /// The error as the scheduler acts on it; `network` names the network in the messages.
    pub fn into_network_error(self, network: &str) -> NetworkError {
        let detail = self.detail();
        let code = self.code.unwrap_or(0);
        if matches!(code, 190 | 102) || self.status == 401 {
            return NetworkError::Unauthorized(format!(
                "{network} refused the access token ({detail}); Page tokens cannot be renewed: \
                 connect the channel again"
            ));
        }
        if code == 10 || (200..=299).contains(&code) {
            return NetworkError::Unauthorized(format!(
                "{network} refused for lack of a permission ({detail}): connect the channel \
                 again and grant every permission Relais asks for"
            ));
        }
        // Instagram's own: code 4 with this subcode is an action restricted as spam, not a
        // rate; 9/2207042 is the 50 posts a day.
        if code == 4 && self.subcode == Some(2_207_051) {
            return NetworkError::Rejected(detail);
        }
        if is_rate_limit_code(code) || self.status == 429 || self.subcode == Some(2_207_042) {
            return NetworkError::RateLimited {
                retry_after: self.retry_after,
            };
        }
        let transient = || match self.code {
            Some(_) => NetworkError::Transient(format!("{network}: {detail}")),
            None => NetworkError::Transient(format!("{network}: HTTP {}: {detail}", self.status)),
        };
        // 1 and 2 are Graph's "try again"; -1 and -2 Instagram's (a server error, a media that
        // took too long to download); 9007 a container published before it was ready.
        if matches!(code, 1 | 2 | -1 | -2 | 9007)
            || self.is_transient
            || self.status == 408
            || self.status >= 500
        {
            return transient();
        }
        if (400..=499).contains(&self.status) {
            return NetworkError::Rejected(detail);
        }
        transient()
    }
}

/// A channel's way into Graph: where, with which token, and the network's name for messages.
/// Not `Debug`: it holds the token.
pub(crate) struct Graph<'a> {
    pub http: &'a HttpClient,
    pub root: String,
    pub token: String,
    pub network: &'static str,
}

impl Graph<'_> {
    /// One call to `root` + `path`. `Ok(Err(_))` is an answer that refused it; `Err(_)` is no
    /// usable answer at all (Graph unreachable, too slow, or answering a 2xx that is not JSON).
    pub async fn send(
        &self,
        verb: Method,
        path: &str,
        query: &[(&str, &str)],
        body: &Body<'_>,
    ) -> Result<Result<Value, Failure>, NetworkError> {
        let url = format!("{}{path}", self.root);
        let mut request = self
            .http
            .request(verb, &url)
            .map_err(transport)?
            .bearer_auth(&self.token)
            .header("accept", "application/json");
        if !query.is_empty() {
            request = request.query(query);
        }
        request = match body {
            Body::None => request,
            Body::Form(fields) => request.form(fields),
            Body::File {
                fields,
                field,
                media,
                file_name,
            } => {
                let part = Part::bytes(media.bytes.clone())
                    .file_name(file_name.clone())
                    .mime_str(&media.mime)
                    .map_err(|_| {
                        NetworkError::Rejected(format!(
                            "`{}` is not a valid media type",
                            media.mime
                        ))
                    })?;
                let mut form = Form::new();
                for (k, v) in fields {
                    form = form.text(k.clone(), v.clone());
                }
                request.multipart(form.part(*field, part))
            }
        };
        let response = self.http.fetch(request).await.map_err(transport)?;
        answer(
            response.status,
            &response.headers,
            &response.body,
            path,
            self.network,
        )
    }

    /// A call whose refusal is the error as it maps in general.
    pub async fn expect(
        &self,
        verb: Method,
        path: &str,
        query: &[(&str, &str)],
        body: &Body<'_>,
    ) -> Result<Value, NetworkError> {
        self.send(verb, path, query, body)
            .await?
            .map_err(|f| f.into_network_error(self.network))
    }

    /// `GET`, with `query`.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, NetworkError> {
        self.expect(Method::GET, path, query, &Body::None).await
    }
}

/// A fetched answer as a JSON value or a [`Failure`]; a 2xx that is not JSON is transient.
pub(crate) fn answer(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    what: &str,
    network: &str,
) -> Result<Result<Value, Failure>, NetworkError> {
    let parsed = serde_json::from_slice::<Value>(body);
    if (200..300).contains(&status) {
        return match parsed {
            Ok(v) => Ok(Ok(v)),
            Err(_) if body.iter().all(u8::is_ascii_whitespace) => Ok(Ok(Value::Null)),
            Err(e) => Err(NetworkError::Transient(format!(
                "{network} answered {what} with something that is not JSON ({e})"
            ))),
        };
    }
    let error = parsed
        .as_ref()
        .ok()
        .and_then(|v| v.get("error"))
        .filter(|e| e.is_object());
    let text = |k: &str| {
        error
            .and_then(|e| e.get(k))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let number = |k: &str| {
        error
            .and_then(|e| e.get(k))
            .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
    };
    let message = match error {
        Some(_) => {
            let mut parts: Vec<&str> = text("message").into_iter().collect();
            if let Some(user) = text("error_user_msg")
                && !parts.contains(&user)
            {
                parts.push(user);
            }
            short(&parts.join(": "))
        }
        None => short(&String::from_utf8_lossy(body)),
    };
    Ok(Err(Failure {
        status,
        code: number("code"),
        subcode: number("error_subcode"),
        is_transient: error
            .and_then(|e| e.get("is_transient"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
        message,
        retry_after: wait_of(headers, SystemTime::now()),
    }))
}

/// How long Graph asks to wait: `Retry-After` when sent, else the largest
/// `estimated_time_to_regain_access` (in minutes) of `X-Business-Use-Case-Usage`, whose value is
/// `{"<business-object-id>": [{"type", "call_count", "total_cputime", "total_time",
/// "estimated_time_to_regain_access"}, …]}`. `None` when neither says (or says zero).
pub(crate) fn wait_of(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(wait) = retry_after(headers, now) {
        return Some(wait);
    }
    let usage: Value = headers
        .get("x-business-use-case-usage")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| serde_json::from_str(v).ok())?;
    let minutes = usage
        .as_object()?
        .values()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|entry| {
            let v = entry.get("estimated_time_to_regain_access")?;
            v.as_u64().or_else(|| v.as_str()?.trim().parse().ok())
        })
        .max()
        .filter(|m| *m > 0)?;
    Some(Duration::from_secs(minutes.saturating_mul(60)))
}

/// The query of the next page of a Graph list, from its `paging`: the parameters of
/// `paging.next` (an absolute URL Graph builds, with the access token in it) without the token,
/// to be sent again to the same path through the channel's own endpoint. `None` on the last
/// page. Graph pages by cursors (`after`) on most edges and by time (`until`,
/// `__paging_token`) on a Page's feed; taking the whole query covers both.
pub(crate) fn next_page(list: &Value) -> Option<Vec<(String, String)>> {
    let next = list.get("paging")?.get("next")?.as_str()?;
    let url = url::Url::parse(next).ok()?;
    let query: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "access_token")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    (!query.is_empty()).then_some(query)
}

/// The items of a Graph list (`data`), or none.
pub(crate) fn items(list: &Value) -> &[Value] {
    list.get("data")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

pub(crate) fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A Graph time: `2024-05-01T10:00:00+0000` (no colon in the offset), or RFC 3339; in
/// milliseconds since the Unix epoch.
pub(crate) fn time_ms(v: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(v)
        .or_else(|_| chrono::DateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%z"))
        .ok()
        .map(|t| t.timestamp_millis())
}

/// Two texts are the same post's when they match once white space is set aside (Graph keeps
/// a message as sent, but trims it).
pub(crate) fn same_text(sent: &str, shown: &str) -> bool {
    sent.split_whitespace().eq(shown.split_whitespace())
}

/// The numeric count in `v` at `path` (`["reactions", "summary", "total_count"]`).
pub(crate) fn count(v: &Value, path: &[&str]) -> Option<u64> {
    let mut at = v;
    for key in path {
        at = at.get(key)?;
    }
    at.as_u64().or_else(|| at.as_str()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::UNIX_EPOCH;

    fn failure(status: u16, code: Option<i64>) -> Failure {
        Failure {
            status,
            code,
            subcode: None,
            is_transient: false,
            message: "m".into(),
            retry_after: None,
        }
    }

    #[test]
    fn endpoints_have_defaults_and_are_checked() {
        let e = Endpoint::new(None, None, "x").expect("endpoint");
        assert_eq!(e.root, "https://graph.facebook.com/v21.0");
        let e = Endpoint::new(Some("http://127.0.0.1:9/"), Some("v22.0"), "x").expect("endpoint");
        assert_eq!(e.root, "http://127.0.0.1:9/v22.0");
        for (base, version) in [
            (Some("ftp://graph.facebook.com"), None),
            (None, Some("21.0")),
            (None, Some("v21")),
            (None, Some("v21.0/../me")),
        ] {
            assert!(matches!(
                Endpoint::new(base, version, "x"),
                Err(NetworkError::Misconfigured(_))
            ));
        }
    }

    #[test]
    fn object_ids_are_digits_and_underscores() {
        assert!(is_object_id("17841400008460056"));
        assert!(is_object_id("105_2001"));
        assert!(!is_object_id(""));
        assert!(!is_object_id("_1"));
        assert!(!is_object_id("me"));
        assert!(!is_object_id("1/../2"));
    }

    #[test]
    fn codes_decide_before_statuses() {
        let unauthorized = failure(400, Some(190)).into_network_error("Facebook");
        assert!(
            matches!(unauthorized, NetworkError::Unauthorized(ref m) if m.contains("connect the channel again")),
            "{unauthorized}"
        );
        assert!(matches!(
            failure(403, Some(200)).into_network_error("Facebook"),
            NetworkError::Unauthorized(_)
        ));
        for code in [4, 17, 32, 613, 80001, 80002] {
            assert_eq!(
                failure(400, Some(code)).into_network_error("Facebook"),
                NetworkError::RateLimited { retry_after: None },
                "{code}"
            );
        }
        assert!(matches!(
            failure(429, None).into_network_error("Facebook"),
            NetworkError::RateLimited { .. }
        ));
        for (status, code) in [(500, Some(1)), (400, Some(2)), (503, None), (408, None)] {
            assert!(
                matches!(
                    failure(status, code).into_network_error("Facebook"),
                    NetworkError::Transient(_)
                ),
                "{status} {code:?}"
            );
        }
        let mut transient = failure(400, Some(100));
        transient.is_transient = true;
        assert!(matches!(
            transient.into_network_error("Instagram"),
            NetworkError::Transient(_)
        ));
        let ig = |code, subcode| Failure {
            subcode: Some(subcode),
            ..failure(400, Some(code))
        };
        assert!(matches!(
            ig(9, 2_207_042).into_network_error("Instagram"),
            NetworkError::RateLimited { .. }
        ));
        assert!(matches!(
            ig(-2, 2_207_003).into_network_error("Instagram"),
            NetworkError::Transient(_)
        ));
        assert!(matches!(
            ig(4, 2_207_051).into_network_error("Instagram"),
            NetworkError::Rejected(_)
        ));
        for code in [100, 368, 506] {
            assert_eq!(
                failure(400, Some(code)).into_network_error("Facebook"),
                NetworkError::Rejected("m".into())
            );
        }
    }

    #[test]
    fn error_bodies_are_read() {
        let body = json!({ "error": {
            "message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100,
            "error_subcode": 33, "error_user_msg": "The post is gone.", "fbtrace_id": "A1"
        } });
        let Ok(Err(f)) = answer(
            400,
            &HeaderMap::new(),
            body.to_string().as_bytes(),
            "/x",
            "Facebook",
        ) else {
            panic!("a failure");
        };
        assert_eq!(
            (f.code, f.subcode, f.message.as_str()),
            (
                Some(100),
                Some(33),
                "(#100) Invalid parameter: The post is gone."
            )
        );
        assert!(f.is_missing_object());
        let no_subcode = Failure {
            message: "Unsupported post request. Object with ID '1_2' does not exist, cannot be \
                      loaded due to missing permissions, or does not support this operation."
                .into(),
            ..failure(400, Some(100))
        };
        assert!(no_subcode.is_missing_object());
        assert!(!failure(400, Some(100)).is_missing_object());
        let Ok(Err(f)) = answer(
            502,
            &HeaderMap::new(),
            b"<html>bad</html>",
            "/x",
            "Facebook",
        ) else {
            panic!("a failure");
        };
        assert_eq!((f.code, f.message.as_str()), (None, "<html>bad</html>"));
        assert!(matches!(
            answer(200, &HeaderMap::new(), b"{\"id\": \"1", "/x", "Facebook"),
            Err(NetworkError::Transient(ref m)) if m.contains("not JSON")
        ));
    }

    #[test]
    fn waits_come_from_retry_after_or_business_usage() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let mut h = HeaderMap::new();
        assert_eq!(wait_of(&h, now), None);
        h.insert(
            "x-business-use-case-usage",
            r#"{"112":[{"type":"pages","call_count":100,"total_cputime":20,"total_time":30,"estimated_time_to_regain_access":5}],"113":[{"type":"instagram","estimated_time_to_regain_access":2}]}"#
                .parse()
                .expect("header"),
        );
        assert_eq!(wait_of(&h, now), Some(Duration::from_secs(300)));
        h.insert("retry-after", "7".parse().expect("header"));
        assert_eq!(wait_of(&h, now), Some(Duration::from_secs(7)));
        let mut zero = HeaderMap::new();
        zero.insert(
            "x-business-use-case-usage",
            r#"{"1":[{"estimated_time_to_regain_access":0}]}"#
                .parse()
                .expect("header"),
        );
        assert_eq!(wait_of(&zero, now), None);
    }

    #[test]
    fn next_pages_drop_the_token() {
        let list = json!({ "data": [], "paging": {
            "cursors": { "before": "B", "after": "A" },
            "next": "https://graph.facebook.com/v21.0/1/posts?access_token=SECRET&limit=100&after=A"
        } });
        assert_eq!(
            next_page(&list),
            Some(vec![
                ("limit".to_owned(), "100".to_owned()),
                ("after".to_owned(), "A".to_owned())
            ])
        );
        assert_eq!(next_page(&json!({ "data": [], "paging": {} })), None);
    }

    #[test]
    fn graph_times_and_texts() {
        assert_eq!(time_ms("1970-01-01T00:00:01+0000"), Some(1000));
        assert_eq!(time_ms("1970-01-01T01:00:01+01:00"), Some(1000));
        assert_eq!(time_ms("yesterday"), None);
        assert!(same_text("Bonjour  à tous\n", "Bonjour à tous"));
        assert!(!same_text("Bonjour", "Bonsoir"));
        assert_eq!(
            count(
                &json!({ "reactions": { "summary": { "total_count": 3 } } }),
                &["reactions", "summary", "total_count"]
            ),
            Some(3)
        );
    }
}
