//! Connecting YouTube channels through [`OAuthFlow`]: Google's consent with PKCE and the
//! scopes of [`oauth::SCOPES`], then `GET /youtube/v3/channels?mine=true` to learn which
//! channel the person chose (a Google account with several channels, brand accounts included,
//! picks one at consent: the token is that channel's).
//!
//! Tests and proxies: the app's `api_base` replaces `https://www.googleapis.com`, and then the
//! token endpoint is `<api_base>/token`; its `authorize_base` replaces
//! `https://accounts.google.com`.

use async_trait::async_trait;
use relais_outbound::HttpClient;
use serde_json::{Map, Value};

use super::{YouTube, channels_of, oauth};
use crate::oauth::{ConnectedAccount, OAuthApp, OAuthFlow};
use crate::{Credentials, NetworkError};

pub struct YouTubeFlow;

#[async_trait]
impl OAuthFlow for YouTubeFlow {
    fn network(&self) -> &'static str {
        "youtube"
    }

    fn authorize_url(
        &self,
        app: &OAuthApp,
        redirect_uri: &str,
        state: &str,
        challenge: &str,
    ) -> String {
        oauth::authorize_url(
            app.authorize_base
                .as_deref()
                .unwrap_or(oauth::DEFAULT_AUTH_BASE),
            &app.client_id,
            redirect_uri,
            state,
            challenge,
        )
    }

    async fn connect(
        &self,
        http: &HttpClient,
        app: &OAuthApp,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<Vec<ConnectedAccount>, NetworkError> {
        let api_base = app
            .api_base
            .as_deref()
            .map(|b| b.trim_end_matches('/').to_owned());
        let token_url = match &api_base {
            Some(base) => format!("{base}/token"),
            None => oauth::TOKEN_URL.to_owned(),
        };
        let tokens = oauth::exchange_code(
            http,
            &token_url,
            &app.client_id,
            app.client_secret.as_deref(),
            code,
            verifier,
            redirect_uri,
        )
        .await?;
        // With granular consent a person may untick a permission: without both, the channel
        // could not publish (upload) or keep its promises (comment, delete, find again).
        let missing = oauth::missing_scopes(&tokens);
        if !missing.is_empty() {
            return Err(NetworkError::Unauthorized(format!(
                "Google did not grant {}: connect the channel again and allow everything asked",
                missing.join(" and ")
            )));
        }
        let Some(refresh_token) = tokens.refresh_token.clone() else {
            return Err(NetworkError::Unauthorized(
                "Google gave no refresh token, so the channel would stop working within the \
                 hour: connect the channel again"
                    .into(),
            ));
        };
        let mut settings = Map::new();
        settings.insert("client_id".into(), Value::String(app.client_id.clone()));
        if let Some(base) = &api_base {
            settings.insert("api_base".into(), Value::String(base.clone()));
        }
        let mut creds = Credentials {
            settings: Value::Object(settings),
            ..Credentials::default()
        };
        creds.set_secret("access_token", tokens.access_token);
        creds.set_secret("refresh_token", refresh_token);
        if let Some(secret) = app.client_secret.clone().filter(|s| !s.is_empty()) {
            creds.set_secret("client_secret", secret);
        }
        let body = YouTube::new(http.clone())
            .expect(
                &mut creds,
                reqwest::Method::GET,
                "/channels",
                &[("part", "snippet,contentDetails"), ("mine", "true")],
                None,
            )
            .await?;
        Ok(channels_of(&body)
            .into_iter()
            .map(|channel| {
                let mut credentials = creds.clone();
                credentials.set_secret("channel_id", channel.id.clone());
                if let Some(uploads) = &channel.uploads {
                    credentials.set_secret("uploads_playlist", uploads.clone());
                }
                ConnectedAccount {
                    network: "youtube",
                    account_id: channel.id,
                    display: channel.title,
                    credentials,
                }
            })
            .collect())
    }
}
