//! Connecting an X account through [`OAuthFlow`]: PKCE with the scopes of [`oauth::SCOPES`],
//! then `GET /2/users/me` to learn who consented.

use async_trait::async_trait;
use relais_outbound::HttpClient;
use serde_json::{Map, Value};

use super::{DEFAULT_API_BASE, X, oauth};
use crate::oauth::{ConnectedAccount, OAuthApp, OAuthFlow};
use crate::{Connector, Credentials, NetworkError};

pub struct XFlow;

#[async_trait]
impl OAuthFlow for XFlow {
    fn network(&self) -> &'static str {
        "x"
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
                .unwrap_or(oauth::AUTHORIZE_URL),
            &app.client_id,
            redirect_uri,
            &oauth::SCOPES,
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
            .unwrap_or(DEFAULT_API_BASE)
            .trim_end_matches('/');
        let tokens = oauth::exchange_code(
            http,
            &format!("{api_base}/2/oauth2/token"),
            &app.client_id,
            app.client_secret.as_deref(),
            code,
            verifier,
            redirect_uri,
        )
        .await?;
        let mut settings = Map::new();
        settings.insert("client_id".into(), Value::String(app.client_id.clone()));
        if let Some(base) = &app.api_base {
            settings.insert("api_base".into(), Value::String(base.clone()));
        }
        let mut creds = Credentials {
            settings: Value::Object(settings),
            ..Credentials::default()
        };
        creds.set_secret("access_token", tokens.access_token);
        if let Some(refresh) = tokens.refresh_token {
            creds.set_secret("refresh_token", refresh);
        }
        if let Some(secret) = app.client_secret.clone().filter(|s| !s.is_empty()) {
            creds.set_secret("client_secret", secret);
        }
        let display = X::new(http.clone()).verify(&mut creds).await?;
        let account_id = creds.secret("user_id").unwrap_or_default().to_owned();
        Ok(vec![ConnectedAccount {
            network: "x",
            account_id,
            display,
            credentials: creds,
        }])
    }
}
