//! Threads' authorization flow and its three token endpoints, as Meta documents them ("Get
//! Access Tokens", "Long-Lived Access Tokens"):
//!
//! 1. the person consents on the Authorization Window ([`authorize_url`]: `client_id`,
//!    `redirect_uri`, comma-separated `scope`, `response_type=code`, `state`; Threads takes no
//!    PKCE);
//! 2. [`exchange_code`]: `POST {root}/oauth/access_token` (form: `client_id`,
//!    `client_secret`, `code`, `grant_type=authorization_code`, `redirect_uri`) gives a
//!    short-lived token (one hour) and the app-scoped `user_id`;
//! 3. [`long_lived`]: `GET {root}/access_token?grant_type=th_exchange_token&client_secret&
//!    access_token` trades it for a long-lived token (60 days);
//! 4. [`refresh`]: `GET {root}/refresh_access_token?grant_type=th_refresh_token&access_token`
//!    renews a long-lived token for 60 more days. Meta only does so for a token that has not
//!    expired and is at least 24 hours old; an expired one can never be renewed.
//!
//! `{root}` is the API's address without its version (`https://graph.threads.net`).

use std::time::Duration;

use relais_outbound::HttpClient;
use reqwest::Method;
use serde_json::Value;

use super::api;
use crate::NetworkError;
use crate::oauth::with_query;

/// Where Meta asks the person for their consent. Meta's documentation now gives the
/// threads.com address; threads.net redirects there.
pub const AUTHORIZE_URL: &str = "https://threads.com/oauth/authorize";
/// What Relais asks for: the profile (`threads_basic`, needed by every call), publishing,
/// metrics, publishing replies, reading replies (to find a reply again after a crash), and
/// deleting.
pub const SCOPES: [&str; 7] = [
    "threads_basic",
    "threads_content_publish",
    "threads_manage_insights",
    "threads_manage_replies",
    "threads_read_replies",
    "threads_delete",
    // The team inbox: posts that mention the brand.
    "threads_manage_mentions",
];
/// How long Meta says a long-lived token lasts, for an answer that does not say.
pub const LONG_LIVED: Duration = Duration::from_secs(60 * 24 * 3600);

/// A token from one of the endpoints.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    pub access_token: String,
    /// How long it lasts from now, when the answer says.
    pub expires_in: Option<Duration>,
    /// The app-scoped Threads user id (the code exchange gives it).
    pub user_id: Option<String>,
}

/// Tokens are secrets: never printed.
impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("expires_in", &self.expires_in)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

impl Token {
    /// When it expires, in milliseconds since the Unix epoch, counted from `now_ms`;
    /// `default` when the answer did not say.
    pub fn expires_at_ms(&self, now_ms: i64, default: Duration) -> i64 {
        let life = self.expires_in.unwrap_or(default);
        now_ms.saturating_add(i64::try_from(life.as_millis()).unwrap_or(i64::MAX))
    }
}

/// The consent page: `auth_base` (normally [`AUTHORIZE_URL`]) with `client_id`,
/// `redirect_uri`, `scope` (comma-separated, as Meta writes it), `response_type=code` and
/// `state`, each percent-encoded.
pub fn authorize_url(
    auth_base: &str,
    client_id: &str,
    redirect_uri: &str,
    scopes: &[&str],
    state: &str,
) -> String {
    let scope = scopes.join(",");
    with_query(
        auth_base,
        &[
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("scope", scope.as_str()),
            ("response_type", "code"),
            ("state", state),
        ],
    )
}

/// Trades an authorization code for a short-lived token and the user's id. A code Meta
/// refuses (expired, used, another redirect address) is [`NetworkError::Unauthorized`].
pub async fn exchange_code(
    http: &HttpClient,
    root: &str,
    client_id: &str,
    client_secret: &str,
    code: &str,
    redirect_uri: &str,
) -> Result<Token, NetworkError> {
    let form = [
        ("client_id", client_id),
        ("client_secret", client_secret),
        ("code", code),
        ("grant_type", "authorization_code"),
        ("redirect_uri", redirect_uri),
    ];
    let url = format!("{root}/oauth/access_token");
    token_request(http, Method::POST, &url, &form, "the authorization code").await
}

/// Trades a short-lived token for a long-lived one (60 days).
pub async fn long_lived(
    http: &HttpClient,
    root: &str,
    client_secret: &str,
    short_lived: &str,
) -> Result<Token, NetworkError> {
    let query = [
        ("grant_type", "th_exchange_token"),
        ("client_secret", client_secret),
        ("access_token", short_lived),
    ];
    let url = format!("{root}/access_token");
    token_request(http, Method::GET, &url, &query, "the short-lived token").await
}

/// Renews a long-lived token for 60 more days. Meta refuses a token that has expired (or is
/// less than a day old): [`NetworkError::Unauthorized`].
pub async fn refresh(
    http: &HttpClient,
    root: &str,
    access_token: &str,
) -> Result<Token, NetworkError> {
    let query = [
        ("grant_type", "th_refresh_token"),
        ("access_token", access_token),
    ];
    let url = format!("{root}/refresh_access_token");
    token_request(http, Method::GET, &url, &query, "the token renewal").await
}

async fn token_request(
    http: &HttpClient,
    verb: Method,
    url: &str,
    params: &[(&str, &str)],
    what: &str,
) -> Result<Token, NetworkError> {
    // The token, when there is one, is among `params`: `send` adds none of its own.
    match api::send(http, verb, url, None, params, what).await? {
        Ok(reply) => token_of(&reply.body),
        Err(f) if f.is_rate_limit() || f.status >= 500 || f.status == 408 => {
            Err(f.into_network_error())
        }
        // 400 (a code or token refused, the app's secret wrong) and 401/403 alike.
        Err(f) => Err(NetworkError::Unauthorized(format!(
            "Threads refused {what} ({}): connect the channel again",
            f.detail()
        ))),
    }
}

/// The token in an endpoint's answer.
fn token_of(body: &Value) -> Result<Token, NetworkError> {
    let access_token = body
        .get("access_token")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| NetworkError::Transient("Threads answered without an access token".into()))?
        .to_owned();
    let expires_in = body
        .get("expires_in")
        .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
        .map(Duration::from_secs);
    // Meta gives the user id as a number in some answers and a string in others.
    let user_id = body.get("user_id").and_then(|v| match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) if n.is_u64() => Some(n.to_string()),
        _ => None,
    });
    Ok(Token {
        access_token,
        expires_in,
        user_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn authorize_url_has_meta_s_parameters() {
        assert_eq!(
            authorize_url(
                AUTHORIZE_URL,
                "990602627938098",
                "https://relais.example/cb?w=a b",
                &SCOPES[..2],
                "st+ate"
            ),
            "https://threads.com/oauth/authorize?client_id=990602627938098\
             &redirect_uri=https%3A%2F%2Frelais.example%2Fcb%3Fw%3Da%20b\
             &scope=threads_basic%2Cthreads_content_publish&response_type=code&state=st%2Bate"
        );
    }

    #[test]
    fn token_answers_are_read() {
        let t = token_of(&json!({ "access_token": "secret-at", "user_id": 17_841_400_000_u64 }))
            .expect("token");
        assert_eq!(t.user_id.as_deref(), Some("17841400000"));
        assert_eq!(t.expires_in, None);
        assert_eq!(t.expires_at_ms(1_000, Duration::from_secs(3600)), 3_601_000);
        assert!(!format!("{t:?}").contains("secret"));
        let t = token_of(&json!({ "access_token": "at", "token_type": "bearer",
                                  "expires_in": 5_183_944 }))
        .expect("token");
        assert_eq!(t.expires_in, Some(Duration::from_secs(5_183_944)));
        assert_eq!(t.user_id, None);
        let t = token_of(&json!({ "access_token": "at", "user_id": "42" })).expect("token");
        assert_eq!(t.user_id.as_deref(), Some("42"));
        assert!(matches!(
            token_of(&json!({ "token_type": "bearer" })),
            Err(NetworkError::Transient(_))
        ));
    }
}
