//! OAuth 2.0 Authorization Code with PKCE (RFC 7636) as X implements it for user context:
//! the address a person is sent to, and the token endpoint's two grants.
//!
//! 1. [`pkce_pair`] makes a verifier (kept server-side with the `state`) and its S256
//!    challenge; [`authorize_url`] sends the person to X with the challenge.
//! 2. X redirects back with `code` and `state`; [`exchange_code`] trades the code and the
//!    verifier for [`Tokens`].
//! 3. [`refresh`] trades the refresh token for new tokens when the access token (2 hours) has
//!    expired. X rotates refresh tokens: the answer's replaces the one sent, which no longer
//!    works.
//!
//! A public client (no secret) sends `client_id` in the form; a confidential client
//! authenticates with HTTP Basic (`client_id:client_secret`) instead, as X's documentation
//! shows.

use relais_outbound::HttpClient;
use serde_json::Value;

use super::api;
use crate::NetworkError;
use crate::oauth::with_query;
pub use crate::oauth::{Tokens, pkce_challenge, pkce_pair, random_state};

/// Where X asks the person for their consent.
pub const AUTHORIZE_URL: &str = "https://x.com/i/oauth2/authorize";
/// X's token endpoint.
pub const TOKEN_URL: &str = "https://api.x.com/2/oauth2/token";
/// What Relais needs: read and write posts, know the account, stay connected (refresh tokens),
/// and upload images.
pub const SCOPES: [&str; 11] = [
    "tweet.read",
    "tweet.write",
    "users.read",
    "offline.access",
    "media.write",
    // The team inbox: direct messages, and what the team does about a post or its author.
    "dm.read",
    "dm.write",
    "like.write",
    "mute.write",
    "block.write",
    "tweet.moderate.write",
];

/// The address to send a person to: `auth_base` (normally [`AUTHORIZE_URL`]) with
/// `response_type=code`, `client_id`, `redirect_uri`, `scope` (space-separated), `state`,
/// `code_challenge` and `code_challenge_method=S256`, each percent-encoded (a space as `%20`).
pub fn authorize_url(
    auth_base: &str,
    client_id: &str,
    redirect_uri: &str,
    scopes: &[&str],
    state: &str,
    challenge: &str,
) -> String {
    let scope = scopes.join(" ");
    with_query(
        auth_base,
        &[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("scope", scope.as_str()),
            ("state", state),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ],
    )
}

/// Trades an authorization code (and the verifier of the challenge sent with it) for tokens.
/// `client_secret` is for confidential clients; `redirect_uri` must be the one given to
/// [`authorize_url`].
///
/// A code X refuses (expired, used, or a verifier that does not match: 400 or 401) is
/// [`NetworkError::Unauthorized`].
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

/// Trades the refresh token for new tokens. The answer's refresh token replaces the one sent
/// (X rotates them): store it, or the channel cannot be refreshed again.
///
/// A refresh token X refuses (revoked, already used, or the app's credentials wrong: 400 or
/// 401) is [`NetworkError::Unauthorized`]: the channel must be connected again.
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
            "the X channel has no OAuth client id (client_id); connect it again".into(),
        ));
    }
    let mut fields: Vec<(&str, &str)> = form.to_vec();
    let mut request = http
        .post(token_url)
        .map_err(api::transport)?
        .header("accept", "application/json");
    match client_secret.filter(|s| !s.is_empty()) {
        Some(secret) => request = request.basic_auth(client_id, Some(secret)),
        None => fields.push(("client_id", client_id)),
    }
    let response = http
        .fetch(request.form(&fields))
        .await
        .map_err(api::transport)?;
    let failure = match api::answer(
        response.status,
        &response.headers,
        &response.body,
        "the token request",
    )? {
        Ok(reply) => return tokens_of(&reply.body, chrono::Utc::now().timestamp_millis()),
        Err(f) => f,
    };
    Err(match failure.status {
        400 | 401 | 403 => NetworkError::Unauthorized(format!(
            "X refused {what} ({}): connect the channel again",
            failure.detail()
        )),
        _ => failure.into_network_error(),
    })
}

/// The tokens in a token endpoint's answer received at `now_ms`.
fn tokens_of(body: &Value, now_ms: i64) -> Result<Tokens, NetworkError> {
    crate::oauth::tokens_of(body, now_ms, "X's token endpoint")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    #[test]
    fn authorize_url_encodes_every_parameter() {
        let url = authorize_url(
            AUTHORIZE_URL,
            "cl id",
            "https://relais.example/oauth/x/callback?w=a b",
            &SCOPES,
            "st+ate/=",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        );
        assert_eq!(
            url,
            "https://x.com/i/oauth2/authorize?response_type=code&client_id=cl%20id\
             &redirect_uri=https%3A%2F%2Frelais.example%2Foauth%2Fx%2Fcallback%3Fw%3Da%20b\
             &scope=tweet.read%20tweet.write%20users.read%20offline.access%20media.write\
             %20dm.read%20dm.write%20like.write%20mute.write%20block.write%20tweet.moderate.write\
             &state=st%2Bate%2F%3D\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
             &code_challenge_method=S256"
        );
        assert!(
            authorize_url("https://a.example/auth?x=1", "c", "r", &[], "s", "c")
                .starts_with("https://a.example/auth?x=1&response_type=code&")
        );
    }

    #[test]
    fn token_answers_are_read() {
        let t = tokens_of(
            &json!({ "token_type": "bearer", "expires_in": 7200, "access_token": "secret-at",
                     "scope": "tweet.read offline.access", "refresh_token": "secret-rt" }),
            1_000,
        )
        .expect("tokens");
        assert_eq!(t.access_token, "secret-at");
        assert_eq!(t.refresh_token.as_deref(), Some("secret-rt"));
        assert_eq!(t.expires_in, Some(Duration::from_secs(7200)));
        assert_eq!(t.expires_at_ms, Some(7_201_000));
        assert_eq!(t.scope.as_deref(), Some("tweet.read offline.access"));
        assert!(
            !format!("{t:?}").contains("secret"),
            "tokens are not printed"
        );
        let t = tokens_of(&json!({ "access_token": "at" }), 0).expect("tokens");
        assert_eq!((t.refresh_token, t.expires_in), (None, None));
        assert!(matches!(
            tokens_of(&json!({ "token_type": "bearer" }), 0),
            Err(NetworkError::Transient(_))
        ));
    }
}
