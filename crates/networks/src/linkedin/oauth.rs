//! OAuth 2.0 as LinkedIn runs it for its Marketing APIs: the three-legged
//! authorization-code flow of a confidential client (LinkedIn's standard flow takes no PKCE),
//! and programmatic refresh.
//!
//! 1. [`authorize_url`] sends the person to `{oauth_base}/oauth/v2/authorization` with
//!    `response_type=code`, `client_id`, `redirect_uri`, `state` and the [`SCOPES`].
//! 2. LinkedIn redirects back with `code` and `state`; [`exchange_code`] trades the code at
//!    `{oauth_base}/oauth/v2/accessToken` (a form with `grant_type`, `code`, `redirect_uri`,
//!    `client_id`, `client_secret`) for [`Tokens`]: an access token that lasts 60 days and, for
//!    apps LinkedIn allows programmatic refresh, a refresh token that lasts 365 days.
//! 3. [`refresh`] trades the refresh token for a new access token (`grant_type=refresh_token`).
//!    LinkedIn does not rotate refresh tokens: the answer's, when there is one, is kept anyway,
//!    and its lifetime still counts from the first consent; after it, the person must consent
//!    again.

use relais_outbound::HttpClient;
use serde_json::Value;

use super::api;
use crate::NetworkError;
pub use crate::oauth::Tokens;
use crate::oauth::with_query;

/// Where LinkedIn's consent page and token endpoint are.
pub const DEFAULT_OAUTH_BASE: &str = "https://www.linkedin.com";
/// What Relais needs: read and write the organisation's posts and comments, and read the
/// pages the member administers (names, share statistics).
pub const SCOPES: [&str; 3] = [
    "r_organization_social",
    "w_organization_social",
    "rw_organization_admin",
];

/// The consent page's address under `oauth_base` (normally [`DEFAULT_OAUTH_BASE`]), each
/// parameter percent-encoded (a space as `%20`).
pub fn authorize_url(oauth_base: &str, client_id: &str, redirect_uri: &str, state: &str) -> String {
    let scope = SCOPES.join(" ");
    with_query(
        &format!(
            "{}/oauth/v2/authorization",
            oauth_base.trim_end_matches('/')
        ),
        &[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("state", state),
            ("scope", scope.as_str()),
        ],
    )
}

/// The token endpoint under `oauth_base`.
pub fn token_url(oauth_base: &str) -> String {
    format!("{}/oauth/v2/accessToken", oauth_base.trim_end_matches('/'))
}

/// Trades an authorization code for tokens; `redirect_uri` must be the one given to
/// [`authorize_url`]. A code LinkedIn refuses (expired after 30 minutes, used, or sent with
/// another redirect address) is [`NetworkError::Unauthorized`].
pub async fn exchange_code(
    http: &HttpClient,
    token_url: &str,
    client_id: &str,
    client_secret: &str,
    code: &str,
    redirect_uri: &str,
) -> Result<Tokens, NetworkError> {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
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

/// Trades the refresh token for a new access token. A refresh token LinkedIn refuses
/// (expired, revoked, or the app's credentials wrong) is [`NetworkError::Unauthorized`]: the
/// channel must be connected again.
pub async fn refresh(
    http: &HttpClient,
    token_url: &str,
    client_id: &str,
    client_secret: &str,
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
    client_secret: &str,
    form: &[(&str, &str)],
    what: &str,
) -> Result<Tokens, NetworkError> {
    if client_id.trim().is_empty() || client_secret.trim().is_empty() {
        return Err(NetworkError::Misconfigured(
            "the LinkedIn app's client id and client secret are both needed; enter them in the \
             workspace's LinkedIn settings"
                .into(),
        ));
    }
    // LinkedIn takes the client's credentials in the form, not as HTTP Basic.
    let mut fields: Vec<(&str, &str)> = form.to_vec();
    fields.push(("client_id", client_id));
    fields.push(("client_secret", client_secret));
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
    Err(match failure.status {
        400 | 401 | 403 => NetworkError::Unauthorized(format!(
            "LinkedIn refused {what} ({}): connect the channel again",
            failure.detail()
        )),
        _ => failure.into_network_error(),
    })
}

/// The tokens in a token endpoint's answer.
fn tokens_of(body: &Value) -> Result<Tokens, NetworkError> {
    crate::oauth::tokens_of(
        body,
        chrono::Utc::now().timestamp_millis(),
        "LinkedIn's token endpoint",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    #[test]
    fn the_consent_address_carries_every_parameter_encoded() {
        assert_eq!(
            authorize_url(
                "https://www.linkedin.com/",
                "77abc",
                "https://relais.example/oauth/linkedin/callback?w=a b",
                "st+ate/="
            ),
            "https://www.linkedin.com/oauth/v2/authorization?response_type=code&client_id=77abc\
             &redirect_uri=https%3A%2F%2Frelais.example%2Foauth%2Flinkedin%2Fcallback%3Fw%3Da%20b\
             &state=st%2Bate%2F%3D\
             &scope=r_organization_social%20w_organization_social%20rw_organization_admin"
        );
        assert_eq!(
            token_url("https://www.linkedin.com"),
            "https://www.linkedin.com/oauth/v2/accessToken"
        );
    }

    #[test]
    fn token_answers_are_read() {
        let t = tokens_of(&json!({
            "access_token": "secret-at", "expires_in": 5_183_999,
            "refresh_token": "secret-rt", "refresh_token_expires_in": 31_536_059,
            "scope": "r_organization_social,w_organization_social"
        }))
        .expect("tokens");
        assert_eq!(t.access_token, "secret-at");
        assert_eq!(t.refresh_token.as_deref(), Some("secret-rt"));
        assert_eq!(t.expires_in, Some(Duration::from_secs(5_183_999)));
        assert_eq!(
            t.refresh_token_expires_in,
            Some(Duration::from_secs(31_536_059))
        );
        assert!(
            !format!("{t:?}").contains("secret"),
            "tokens are not printed"
        );
        let t = tokens_of(&json!({ "access_token": "at", "expires_in": "60" })).expect("tokens");
        assert_eq!(t.refresh_token, None);
        assert_eq!(t.expires_in, Some(Duration::from_secs(60)));
        assert!(matches!(
            tokens_of(&json!({ "expires_in": 1 })),
            Err(NetworkError::Transient(_))
        ));
    }
}
