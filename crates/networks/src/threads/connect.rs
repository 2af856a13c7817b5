//! Connecting a Threads profile through [`OAuthFlow`]: the Authorization Window with
//! [`oauth::SCOPES`], the code traded for a short-lived token, that one for a long-lived token
//! (60 days), then `GET /me?fields=id,username` to learn who consented. One profile per
//! consent: the token is the person's own.

use async_trait::async_trait;
use relais_outbound::HttpClient;
use serde_json::{Map, Value};

use super::{DEFAULT_API_BASE, Threads, base_url, now_ms, oauth, root_of};
use crate::oauth::{ConnectedAccount, OAuthApp, OAuthFlow};
use crate::{Connector, Credentials, NetworkError};

pub struct ThreadsFlow;

#[async_trait]
impl OAuthFlow for ThreadsFlow {
    fn network(&self) -> &'static str {
        "threads"
    }

    /// Threads takes no PKCE: `challenge` is not sent (the `state` protects the redirect).
    fn authorize_url(
        &self,
        app: &OAuthApp,
        redirect_uri: &str,
        state: &str,
        _challenge: &str,
    ) -> String {
        oauth::authorize_url(
            app.authorize_base
                .as_deref()
                .unwrap_or(oauth::AUTHORIZE_URL),
            &app.client_id,
            redirect_uri,
            &oauth::SCOPES,
            state,
        )
    }

    async fn connect(
        &self,
        http: &HttpClient,
        app: &OAuthApp,
        code: &str,
        _verifier: &str,
        redirect_uri: &str,
    ) -> Result<Vec<ConnectedAccount>, NetworkError> {
        let raw = app.api_base.as_deref().unwrap_or(DEFAULT_API_BASE);
        let api_base = base_url(raw).ok_or_else(|| {
            NetworkError::Misconfigured(format!(
                "the Threads app's API address (`{raw}`) is not an http(s) address"
            ))
        })?;
        let root = root_of(&api_base);
        if app.client_id.trim().is_empty() {
            return Err(NetworkError::Misconfigured(
                "the Threads app has no client id (the Threads app ID of Meta's App Dashboard)"
                    .into(),
            ));
        }
        let secret = app
            .client_secret
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                NetworkError::Misconfigured(
                    "the Threads app has no client secret (the Threads app secret of Meta's App \
                     Dashboard): Threads needs it to hand out tokens"
                        .into(),
                )
            })?;
        let short =
            oauth::exchange_code(http, &root, &app.client_id, secret, code, redirect_uri).await?;
        let long = oauth::long_lived(http, &root, secret, &short.access_token).await?;
        let expires_at = long.expires_at_ms(now_ms(), oauth::LONG_LIVED);

        let mut settings = Map::new();
        settings.insert("client_id".into(), Value::String(app.client_id.clone()));
        if app.api_base.is_some() {
            settings.insert("api_base".into(), Value::String(api_base));
        }
        let mut creds = Credentials {
            settings: Value::Object(settings),
            ..Credentials::default()
        };
        creds.set_secret("access_token", long.access_token);
        creds.set_secret("expires_at_ms", expires_at.to_string());
        let display = Threads::new(http.clone()).verify(&mut creds).await?;
        let account_id = creds.secret("user_id").unwrap_or_default().to_owned();
        if let Some(given) = &short.user_id
            && *given != account_id
        {
            tracing::warn!("Threads gave two different user ids for one consent; keeping /me's");
        }
        Ok(vec![ConnectedAccount {
            network: "threads",
            account_id,
            display,
            credentials: creds,
        }])
    }
}
