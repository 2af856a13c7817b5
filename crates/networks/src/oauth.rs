//! The OAuth 2.0 authorization-code flow (RFC 6749 §4.1, with PKCE from RFC 7636 where the
//! network takes it) as Relais runs it to connect a channel, whatever the network:
//!
//! 1. a workspace admin has entered the network's app credentials ([`OAuthApp`]: client id and
//!    secret, kept as workspace settings, the secret sealed);
//! 2. Relais keeps a random `state` and a PKCE verifier, and sends the person to
//!    [`OAuthFlow::authorize_url`];
//! 3. the network redirects back with `code` and `state`; [`OAuthFlow::connect`] trades the code
//!    for tokens and lists the accounts the person may publish as (a LinkedIn member's
//!    organisation pages, a Facebook user's pages and their Instagram business accounts, a
//!    Google account's YouTube channel…), each with the [`Credentials`] a channel needs.
//!
//! Each network's module implements [`OAuthFlow`]; [`crate::oauth_flow_for`] finds it by name.

use async_trait::async_trait;
use base64::Engine;
use relais_outbound::HttpClient;
use sha2::{Digest, Sha256};

use crate::{Credentials, NetworkError};

/// A network app, as registered by the brand with the network: what the flow needs from the
/// workspace's settings.
#[derive(Clone, Default)]
pub struct OAuthApp {
    pub client_id: String,
    /// Absent for a public client (X allows one; most networks do not).
    pub client_secret: Option<String>,
    /// Where the network's API answers, instead of its public address: for a test server or a
    /// proxy. `None` for the network's own.
    pub api_base: Option<String>,
    /// Where the consent page is, instead of the network's own (tests).
    pub authorize_base: Option<String>,
}

/// The client secret is never printed.
impl std::fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthApp")
            .field("client_id", &self.client_id)
            .field("api_base", &self.api_base)
            .field("authorize_base", &self.authorize_base)
            .finish_non_exhaustive()
    }
}

/// One account the person who consented may publish as: what becomes a channel.
#[derive(Clone, Debug)]
pub struct ConnectedAccount {
    /// The network the channel is for; a flow may find accounts on two networks (a Facebook
    /// page and its Instagram business account).
    pub network: &'static str,
    /// The account's own stable id on the network, so that connecting again updates the
    /// channel instead of adding a second one.
    pub account_id: String,
    /// What people call it: `@handle`, the page's name.
    pub display: String,
    /// Everything the connector needs to publish as this account, tokens included.
    pub credentials: Credentials,
}

#[async_trait]
pub trait OAuthFlow: Send + Sync {
    /// The network's name as stored on channels.
    fn network(&self) -> &'static str;

    /// The consent page to send the person to. `challenge` is the S256 PKCE challenge (networks
    /// that do not take PKCE ignore it); `state` must come back unchanged.
    fn authorize_url(
        &self,
        app: &OAuthApp,
        redirect_uri: &str,
        state: &str,
        challenge: &str,
    ) -> String;

    /// Trades the code for tokens and lists the accounts they may publish as. An empty list is
    /// an answer (the person manages no page), not an error. A code the network refuses is
    /// [`NetworkError::Unauthorized`].
    async fn connect(
        &self,
        http: &HttpClient,
        app: &OAuthApp,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<Vec<ConnectedAccount>, NetworkError>;
}

/// What an OAuth 2.0 token endpoint gives (RFC 6749 §5.1), as X, LinkedIn and Google send it.
#[derive(Clone, PartialEq, Eq)]
pub struct Tokens {
    pub access_token: String,
    /// Absent when the network gives none (a refresh at Google, LinkedIn without programmatic
    /// refresh); when present it replaces the previous one (X rotates them).
    pub refresh_token: Option<String>,
    /// How long the access token lasts from when the answer arrived.
    pub expires_in: Option<std::time::Duration>,
    /// When the access token expires, in milliseconds since the Unix epoch.
    pub expires_at_ms: Option<i64>,
    /// How long the refresh token lasts (LinkedIn says so).
    pub refresh_token_expires_in: Option<std::time::Duration>,
    /// The scopes granted (space- or comma-separated, as the network writes them).
    pub scope: Option<String>,
}

/// Tokens are secrets: never printed.
impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("expires_in", &self.expires_in)
            .field("refresh_token_expires_in", &self.refresh_token_expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// The tokens in a token endpoint's answer received at `now_ms`; `endpoint` names it in the
/// error (`X's token endpoint`). Lifetimes may come as numbers or strings.
pub fn tokens_of(
    body: &serde_json::Value,
    now_ms: i64,
    endpoint: &str,
) -> Result<Tokens, NetworkError> {
    let text = |k: &str| {
        body.get(k)
            .and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let seconds = |k: &str| {
        body.get(k)
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.trim().parse().ok()))
            .map(std::time::Duration::from_secs)
    };
    let access_token = text("access_token").ok_or_else(|| {
        NetworkError::Transient(format!("{endpoint} answered without an access token"))
    })?;
    let expires_in = seconds("expires_in");
    Ok(Tokens {
        access_token,
        refresh_token: text("refresh_token"),
        expires_at_ms: expires_in
            .map(|d| now_ms.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))),
        expires_in,
        refresh_token_expires_in: seconds("refresh_token_expires_in"),
        scope: text("scope"),
    })
}

/// Random bytes behind a verifier: 48 make 64 base64url characters (RFC 7636 asks for 43 to
/// 128 unreserved characters).
const VERIFIER_BYTES: usize = 48;

/// A new PKCE pair: `(verifier, challenge)`. The verifier is 64 characters of base64url (all
/// unreserved) from the operating system's random generator; the challenge is its S256
/// transform, [`pkce_challenge`].
pub fn pkce_pair() -> (String, String) {
    let verifier = random_token(VERIFIER_BYTES);
    let challenge = pkce_challenge(&verifier);
    (verifier, challenge)
}

/// The S256 challenge of `verifier`: base64url without padding of its SHA-256.
pub fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A random value for the `state` parameter (32 bytes, base64url).
pub fn random_state() -> String {
    random_token(32)
}

fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random generator must work");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// `base` with `params` added to its query, each percent-encoded (a space as `%20`).
pub fn with_query(base: &str, params: &[(&str, &str)]) -> String {
    let query = params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}{query}")
}

/// Percent-encoding of everything but the unreserved characters (RFC 3986 §2.3).
pub fn encode(value: &str) -> String {
    // `byte_serialize` keeps `*-._` and alphanumerics, and writes a space as `+` (a literal
    // `+` comes out as `%2B`, so the swap below is exact).
    url::form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
        .replace('*', "%2A")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_example_challenge() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_are_long_unreserved_and_fresh() {
        let (v, c) = pkce_pair();
        assert!((43..=128).contains(&v.len()), "{}", v.len());
        assert!(
            v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
        );
        assert_eq!(c, pkce_challenge(&v));
        assert_ne!(pkce_pair().0, v);
        assert_ne!(random_state(), random_state());
    }

    #[test]
    fn queries_are_encoded_and_appended() {
        assert_eq!(
            with_query("https://a.example/auth", &[("a b", "c+d/*"), ("e", "")]),
            "https://a.example/auth?a%20b=c%2Bd%2F%2A&e="
        );
        assert_eq!(
            with_query("https://a.example/auth?x=1", &[("y", "2")]),
            "https://a.example/auth?x=1&y=2"
        );
    }
}
