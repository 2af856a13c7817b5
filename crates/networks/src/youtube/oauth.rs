//! Google's OAuth 2.0 for web server applications, with PKCE (RFC 7636), as Relais uses it for
//! YouTube: the consent address, and the token endpoint's two grants.
//!
//! 1. [`authorize_url`] sends the person to Google with the S256 challenge, `access_type=offline`
//!    (so that a refresh token comes back) and `prompt=consent` (Google gives a refresh token
//!    only on a consent, and a second connection of the same account would otherwise skip it).
//! 2. Google redirects back with `code` and `state`; [`exchange_code`] trades the code and the
//!    verifier for [`Tokens`].
//! 3. [`refresh`] trades the refresh token for a new access token (one hour). Google does not
//!    rotate refresh tokens: its answer has none, and the one the channel has stays valid.
//!
//! Google's web clients are confidential: `client_id` and `client_secret` go in the form (which
//! Google's documentation shows; it also accepts HTTP Basic). A refresh token Google refuses
//! (`invalid_grant`: revoked by the person, unused for six months, or issued to an app still
//! "in testing", whose refresh tokens last seven days) means the channel must be connected
//! again.

use relais_outbound::HttpClient;
use serde_json::Value;

use super::api;
use crate::NetworkError;
use crate::oauth::with_query;
pub use crate::oauth::{Tokens, pkce_challenge, pkce_pair, random_state};

/// Where Google asks the person for consent, when the app does not say otherwise.
pub const DEFAULT_AUTH_BASE: &str = "https://accounts.google.com";
/// The consent page's path under the auth base.
pub const AUTHORIZE_PATH: &str = "/o/oauth2/v2/auth";
/// Google's token endpoint.
pub const TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// Upload videos, and manage them and their comments (delete, comment, list the uploads): the
/// two YouTube scopes that cover what the connector does.
pub const SCOPES: [&str; 2] = [
    "https://www.googleapis.com/auth/youtube.upload",
    "https://www.googleapis.com/auth/youtube.force-ssl",
];

/// The scopes of [`SCOPES`] the person did not grant (none when Google did not say).
pub fn missing_scopes(tokens: &Tokens) -> Vec<&'static str> {
    let Some(granted) = &tokens.scope else {
        return Vec::new();
    };
    let granted: Vec<&str> = granted.split_whitespace().collect();
    SCOPES
        .iter()
        .copied()
        .filter(|s| !granted.contains(s))
        .collect()
}

/// The consent address: `auth_base` (an origin such as [`DEFAULT_AUTH_BASE`], to which
/// [`AUTHORIZE_PATH`] is added, or a whole address with its path) with `response_type=code`,
/// `client_id`, `redirect_uri`, `scope`, `state`, `code_challenge`,
/// `code_challenge_method=S256`, `access_type=offline` and `prompt=consent`.
pub fn authorize_url(
    auth_base: &str,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    challenge: &str,
) -> String {
    let base = auth_base.trim_end_matches('/');
    let has_path = url::Url::parse(base).is_ok_and(|u| u.path() != "/" && !u.path().is_empty());
    let page = if has_path {
        base.to_owned()
    } else {
        format!("{base}{AUTHORIZE_PATH}")
    };
    let scope = SCOPES.join(" ");
    with_query(
        &page,
        &[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("scope", scope.as_str()),
            ("state", state),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("access_type", "offline"),
            ("prompt", "consent"),
        ],
    )
}

/// Trades an authorization code (and the verifier of the challenge sent with it) for tokens.
/// `redirect_uri` must be the one given to [`authorize_url`]. A code Google refuses (used,
/// expired, a verifier that does not match) is [`NetworkError::Unauthorized`].
pub async fn exchange_code(
    http: &HttpClient,
    token_url: &str,
    client_id: &str,
    client_secret: Option<&str>,
    code: &str,
    verifier: &str,
    redirect_uri: &str,
) -> Result<Tokens, NetworkError> {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
    ];
    token_request(
        http,
        token_url,
        client_id,
        client_secret,
        &form,
        "the authorization code",
    )
    .await
}

/// Trades the refresh token for a new access token. Google's answer has no refresh token: the
/// one sent stays valid and must be kept.
pub async fn refresh(
    http: &HttpClient,
    token_url: &str,
    client_id: &str,
    client_secret: Option<&str>,
    refresh_token: &str,
) -> Result<Tokens, NetworkError> {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    token_request(
        http,
        token_url,
        client_id,
        client_secret,
        &form,
        "the refresh token",
    )
    .await
}

async fn token_request(
    http: &HttpClient,
    token_url: &str,
    client_id: &str,
    client_secret: Option<&str>,
    form: &[(&str, &str)],
    what: &str,
) -> Result<Tokens, NetworkError> {
    if client_id.trim().is_empty() {
        return Err(NetworkError::Misconfigured(
            "the YouTube channel has no OAuth client id (`client_id`); connect it again".into(),
        ));
    }
    let mut fields: Vec<(&str, &str)> = form.to_vec();
    fields.push(("client_id", client_id));
    if let Some(secret) = client_secret.filter(|s| !s.is_empty()) {
        fields.push(("client_secret", secret));
    }
    let request = http
        .post(token_url)
        .map_err(api::transport)?
        .header("accept", "application/json")
        .form(&fields);
    let response = http.fetch(request).await.map_err(api::transport)?;
    let failure = match api::answer(
        response.status,
        &response.headers,
        &response.body,
        "the token request",
    )? {
        Ok(reply) => return tokens_of(&reply.body),
        Err(f) => f,
    };
    let detail = failure.detail();
    Err(match (failure.status, failure.reason.as_str()) {
        // The app's own credentials: a person must fix the workspace's Google app settings.
        (_, "invalid_client" | "unauthorized_client") => NetworkError::Misconfigured(format!(
            "Google refused the app's credentials ({detail}): check the workspace's Google \
             client id and secret"
        )),
        (400 | 401 | 403, _) => NetworkError::Unauthorized(format!(
            "Google refused {what} ({detail}): connect the channel again"
        )),
        _ => failure.into_network_error(),
    })
}

/// The tokens in a token endpoint's answer.
fn tokens_of(body: &Value) -> Result<Tokens, NetworkError> {
    crate::oauth::tokens_of(
        body,
        chrono::Utc::now().timestamp_millis(),
        "Google's token endpoint",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    #[test]
    fn authorize_url_carries_every_parameter() {
        let url = authorize_url(
            DEFAULT_AUTH_BASE,
            "123.apps.googleusercontent.com",
            "https://relais.example/cb?w=a b",
            "st+ate",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        );
        assert_eq!(
            url,
            "https://accounts.google.com/o/oauth2/v2/auth?response_type=code\
             &client_id=123.apps.googleusercontent.com\
             &redirect_uri=https%3A%2F%2Frelais.example%2Fcb%3Fw%3Da%20b\
             &scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fyoutube.upload%20\
             https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fyoutube.force-ssl\
             &state=st%2Bate&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
             &code_challenge_method=S256&access_type=offline&prompt=consent"
        );
        // A whole address is taken as it is; an origin gets the path.
        assert!(
            authorize_url("http://127.0.0.1:9/consent", "c", "r", "s", "c")
                .starts_with("http://127.0.0.1:9/consent?response_type=code&")
        );
        assert!(
            authorize_url("http://127.0.0.1:9/", "c", "r", "s", "c")
                .starts_with("http://127.0.0.1:9/o/oauth2/v2/auth?response_type=code&")
        );
    }

    #[test]
    fn token_answers_are_read() {
        let t = tokens_of(&json!({
            "access_token": "secret-at", "expires_in": 3599, "token_type": "Bearer",
            "scope": "https://www.googleapis.com/auth/youtube.upload",
            "refresh_token": "secret-rt"
        }))
        .expect("tokens");
        assert_eq!(t.access_token, "secret-at");
        assert_eq!(t.refresh_token.as_deref(), Some("secret-rt"));
        assert_eq!(t.expires_in, Some(Duration::from_secs(3599)));
        assert_eq!(
            missing_scopes(&t),
            vec!["https://www.googleapis.com/auth/youtube.force-ssl"]
        );
        assert!(
            !format!("{t:?}").contains("secret"),
            "tokens are not printed"
        );
        let t = tokens_of(&json!({ "access_token": "at" })).expect("tokens");
        assert_eq!(t.refresh_token, None);
        assert!(missing_scopes(&t).is_empty());
        assert!(matches!(
            tokens_of(&json!({ "token_type": "Bearer" })),
            Err(NetworkError::Transient(_))
        ));
    }
}
