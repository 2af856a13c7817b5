//! Reddit, for listening only (Relais does not publish there): its API with an app-only OAuth
//! token, which reads what anyone may read without acting as a user.
//!
//! Settings: `client_id` (of a Reddit app of the "web app" or "script" kind, made at
//! <https://www.reddit.com/prefs/apps>), optionally `username` (the Reddit account that owns
//! the app, named in the User-Agent as Reddit asks), and for tests or a proxy `api_base`
//! (default [`DEFAULT_API_BASE`]) and `token_url` (default [`DEFAULT_TOKEN_URL`]). Secrets:
//! `client_secret`, and the token kept between calls: `access_token` and
//! `access_token_expires_at` (Unix milliseconds).
//!
//! Tokens: `POST <token_url>` with `grant_type=client_credentials` and the client id and
//! secret in HTTP Basic; a token lasts a day. It is asked for again a minute before it ends,
//! and once more when Reddit refuses it (401) before the call fails; a client id or secret
//! Reddit refuses is [`NetworkError::Unauthorized`], to be fixed in the settings.
//!
//! | answer | error |
//! |---|---|
//! | 429 | [`NetworkError::RateLimited`], waiting for `Retry-After`, else `x-ratelimit-reset` (seconds to the window's end) |
//! | 401 | a new token, once; then [`NetworkError::Unauthorized`] |
//! | 403, 404 and other 4xx | [`NetworkError::Rejected`] (a private, banned or missing subreddit) |
//! | 408, 5xx, time-out, no connection, a 2xx that is not JSON | [`NetworkError::Transient`] |
//! | an address the SSRF guard or the URL parser refuses | [`NetworkError::Misconfigured`] |

pub(crate) mod search;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use relais_outbound::{FetchedResponse, HttpClient};
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::webhook::answer::{short, transport};
use crate::{Credentials, NetworkError};

/// Reddit's API for OAuth clients.
pub const DEFAULT_API_BASE: &str = "https://oauth.reddit.com";
/// Reddit's token endpoint.
pub const DEFAULT_TOKEN_URL: &str = "https://www.reddit.com/api/v1/access_token";
/// A token is renewed this long before Reddit says it ends.
const EXPIRY_MARGIN_MS: i64 = 60_000;

/// What the settings say, checked.
struct Settings {
    api_base: String,
    token_url: String,
    client_id: String,
    user_agent: String,
}

impl Settings {
    fn of(creds: &Credentials) -> Result<Self, NetworkError> {
        let setting = |k: &str| creds.setting(k).map(str::trim).filter(|s| !s.is_empty());
        let client_id = setting("client_id").ok_or_else(|| {
            NetworkError::Misconfigured(
                "give the client id of a Reddit app (made at https://www.reddit.com/prefs/apps)"
                    .into(),
            )
        })?;
        // Reddit asks for `<platform>:<app id>:<version> (by /u/<username>)`, and slows down
        // or blocks clients that send a generic one.
        let owner = match setting("username") {
            Some(user) => format!(
                "by /u/{}",
                user.trim_start_matches("u/").trim_start_matches("/u/")
            ),
            None => "self-hosted community management".to_owned(),
        };
        let user_agent = format!("server:relais:{} ({owner})", env!("CARGO_PKG_VERSION"))
            .chars()
            .filter(|c| c.is_ascii_graphic() || *c == ' ')
            .collect();
        Ok(Self {
            api_base: base_url(setting("api_base").unwrap_or(DEFAULT_API_BASE), "api_base")?,
            token_url: base_url(
                setting("token_url").unwrap_or(DEFAULT_TOKEN_URL),
                "token_url",
            )?,
            client_id: client_id.to_owned(),
            user_agent,
        })
    }
}

/// An http(s) address with a host, without a trailing slash.
fn base_url(raw: &str, name: &str) -> Result<String, NetworkError> {
    url::Url::parse(raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .map(|u| u.as_str().trim_end_matches('/').to_owned())
        .ok_or_else(|| {
            NetworkError::Misconfigured(format!(
                "Reddit's `{name}` (`{raw}`) is not an http(s) address"
            ))
        })
}

/// Calls to Reddit's API with the app's token.
pub(crate) struct Reddit<'a> {
    http: &'a HttpClient,
    settings: Settings,
}

impl<'a> Reddit<'a> {
    pub fn new(http: &'a HttpClient, creds: &Credentials) -> Result<Self, NetworkError> {
        Ok(Self {
            http,
            settings: Settings::of(creds)?,
        })
    }

    /// A `GET` of `path` (under the API base) answered with JSON.
    pub async fn get(
        &self,
        creds: &mut Credentials,
        path: &str,
        params: &[(&str, &str)],
    ) -> Result<Value, NetworkError> {
        let mut token = self.token(creds, false).await?;
        for attempt in 0..2 {
            let url = format!("{}{path}", self.settings.api_base);
            let request = self
                .http
                .get(&url)
                .map_err(transport)?
                .bearer_auth(&token)
                .header("user-agent", &self.settings.user_agent)
                .header("accept", "application/json")
                .query(params);
            let response = self.http.fetch(request).await.map_err(transport)?;
            if response.status == 401 && attempt == 0 {
                token = self.token(creds, true).await?;
                continue;
            }
            return answer(&response, path);
        }
        Err(NetworkError::Unauthorized(
            "Reddit refused a token it had just given".into(),
        ))
    }

    /// The kept token, or a new one when it is missing, ending, or `fresh` is asked.
    async fn token(&self, creds: &mut Credentials, fresh: bool) -> Result<String, NetworkError> {
        let now = now_ms();
        let kept = creds
            .secret("access_token")
            .filter(|t| !t.trim().is_empty())
            .zip(
                creds
                    .secret("access_token_expires_at")
                    .and_then(|t| t.parse::<i64>().ok()),
            )
            .filter(|(_, ends)| *ends > now.saturating_add(EXPIRY_MARGIN_MS));
        if let (Some((token, _)), false) = (kept, fresh) {
            return Ok(token.to_owned());
        }
        let secret = creds
            .secret("client_secret")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                NetworkError::Misconfigured(
                    "give the client secret of the Reddit app (an app of the \"web app\" or \
                     \"script\" kind has one)"
                        .into(),
                )
            })?
            .to_owned();
        let request = self
            .http
            .post(&self.settings.token_url)
            .map_err(transport)?
            .basic_auth(&self.settings.client_id, Some(secret))
            .header("user-agent", &self.settings.user_agent)
            .header("accept", "application/json")
            .form(&[("grant_type", "client_credentials")]);
        let response = self.http.fetch(request).await.map_err(transport)?;
        let body = match answer(&response, "its token endpoint") {
            Ok(body) => body,
            Err(NetworkError::Unauthorized(_) | NetworkError::Rejected(_))
                if matches!(response.status, 400 | 401 | 403) =>
            {
                return Err(refused(&detail_of(&response.body, response.status)));
            }
            Err(e) => return Err(e),
        };
        // Reddit answers some refusals with a 200 and an OAuth error.
        if let Some(error) = body.get("error").filter(|e| !e.is_null()) {
            let error = error
                .as_str()
                .map_or_else(|| error.to_string(), str::to_owned);
            return Err(refused(&error));
        }
        let tokens = crate::oauth::tokens_of(&body, now, "Reddit's token endpoint")?;
        let ends = tokens
            .expires_at_ms
            .unwrap_or(now.saturating_add(3_600_000));
        creds.set_secret("access_token", tokens.access_token.clone());
        creds.set_secret("access_token_expires_at", ends.to_string());
        tracing::info!("got a new app-only token from Reddit");
        Ok(tokens.access_token)
    }
}

fn refused(detail: &str) -> NetworkError {
    NetworkError::Unauthorized(format!(
        "Reddit refused the app's client id and secret ({detail}): check them in the Reddit \
         settings"
    ))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_millis()).ok())
        .unwrap_or(0)
}

/// A fetched answer as JSON, or the error it means; `what` names the call in errors.
fn answer(response: &FetchedResponse, what: &str) -> Result<Value, NetworkError> {
    let status = response.status;
    if (200..300).contains(&status) {
        return serde_json::from_slice(&response.body).map_err(|e| {
            NetworkError::Transient(format!(
                "Reddit answered {what} with something that is not JSON ({e})"
            ))
        });
    }
    let detail = detail_of(&response.body, status);
    Err(match status {
        429 => NetworkError::RateLimited {
            retry_after: retry_after(&response.headers, SystemTime::now()),
        },
        401 => NetworkError::Unauthorized(format!("Reddit refused the token ({detail})")),
        408 => NetworkError::Transient(detail),
        400..=499 => NetworkError::Rejected(detail),
        _ => NetworkError::Transient(detail),
    })
}

/// What Reddit said in an error body (`{"message", "error", "reason"}`, or HTML when it is
/// overloaded), short.
fn detail_of(body: &[u8], status: u16) -> String {
    let said = match serde_json::from_slice::<Value>(body) {
        Ok(v) => {
            let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::trim);
            [text("message"), text("reason"), text("error_description")]
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(": ")
        }
        Err(_) => short(&String::from_utf8_lossy(body)),
    };
    if said.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {said}")
    }
}

/// How long a 429 asks to wait: `Retry-After`, else `x-ratelimit-reset`, which Reddit gives as
/// the seconds left in the current window.
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    crate::webhook::answer::retry_after(headers, now).or_else(|| {
        let seconds = headers
            .get("x-ratelimit-reset")?
            .to_str()
            .ok()?
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)?;
        Some(Duration::from_secs_f64(seconds.min(86_400.0)).max(Duration::from_secs(1)))
    })
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

    #[test]
    fn the_wait_comes_from_retry_after_then_the_window() {
        let now = SystemTime::now();
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "9"), ("x-ratelimit-reset", "300")]),
                now
            ),
            Some(Duration::from_secs(9))
        );
        assert_eq!(
            retry_after(&headers(&[("x-ratelimit-reset", "312")]), now),
            Some(Duration::from_secs(312))
        );
        assert_eq!(
            retry_after(&headers(&[("x-ratelimit-reset", "soon")]), now),
            None
        );
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn error_bodies_give_their_message_and_reason() {
        assert_eq!(
            detail_of(
                br#"{"reason": "private", "message": "Forbidden", "error": 403}"#,
                403
            ),
            "HTTP 403: Forbidden: private"
        );
        assert_eq!(
            detail_of(b"<html>Busy</html>", 503),
            "HTTP 503: <html>Busy</html>"
        );
        assert_eq!(detail_of(b"", 500), "HTTP 500");
    }

    #[test]
    fn settings_need_a_client_id_and_name_the_owner() {
        let creds = |settings: Value| Credentials {
            settings,
            ..Credentials::default()
        };
        assert!(matches!(
            Settings::of(&creds(serde_json::json!({}))),
            Err(NetworkError::Misconfigured(_))
        ));
        let s = Settings::of(&creds(
            serde_json::json!({ "client_id": "abc", "username": "u/brand" }),
        ))
        .expect("settings");
        assert_eq!(s.api_base, DEFAULT_API_BASE);
        assert!(s.user_agent.ends_with("(by /u/brand)"), "{}", s.user_agent);
        assert!(s.user_agent.starts_with("server:relais:"));
        assert!(matches!(
            Settings::of(&creds(
                serde_json::json!({ "client_id": "a", "api_base": "ftp://x" })
            )),
            Err(NetworkError::Misconfigured(_))
        ));
    }
}
