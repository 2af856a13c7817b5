//! Connecting LinkedIn pages through [`OAuthFlow`]: LinkedIn's authorization-code flow (no
//! PKCE) with the scopes of [`oauth::SCOPES`], then the pages the member administers
//! (`GET /rest/organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED`) and each
//! one's name (`GET /rest/organizations/{id}`): one account, hence one channel, per page.
//!
//! [`OAuthApp::authorize_base`] stands for LinkedIn's `oauth_base` (the consent page and the
//! token endpoint are both on `www.linkedin.com`), [`OAuthApp::api_base`] for `api_base`.

use async_trait::async_trait;
use relais_outbound::HttpClient;
use reqwest::Method;
use serde_json::{Map, Value};

use super::api::{Body, Call};
use super::{API_VERSION, DEFAULT_API_BASE, LinkedIn, api, oauth, urn};
use crate::oauth::{ConnectedAccount, OAuthApp, OAuthFlow};
use crate::{Connector, Credentials, NetworkError};

/// Pages read from the access-control list, a page at a time, and the pages read at most.
const ACL_PAGE: usize = 100;
const MAX_ACL_PAGES: usize = 10;

pub struct LinkedInFlow;

#[async_trait]
impl OAuthFlow for LinkedInFlow {
    fn network(&self) -> &'static str {
        "linkedin"
    }

    /// LinkedIn's standard flow takes no PKCE: `challenge` is not sent.
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
                .unwrap_or(oauth::DEFAULT_OAUTH_BASE),
            &app.client_id,
            redirect_uri,
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
        let client_secret = app
            .client_secret
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                NetworkError::Misconfigured(
                    "LinkedIn apps are confidential clients: enter the app's client secret in \
                     the workspace's LinkedIn settings"
                        .into(),
                )
            })?;
        let oauth_base = app
            .authorize_base
            .as_deref()
            .unwrap_or(oauth::DEFAULT_OAUTH_BASE)
            .trim_end_matches('/');
        let api_base = app
            .api_base
            .as_deref()
            .unwrap_or(DEFAULT_API_BASE)
            .trim_end_matches('/');
        let tokens = oauth::exchange_code(
            http,
            &oauth::token_url(oauth_base),
            &app.client_id,
            client_secret,
            code,
            redirect_uri,
        )
        .await?;
        let organizations = administered(http, api_base, &tokens.access_token).await?;

        let connector = LinkedIn::new(http.clone());
        let mut accounts = Vec::with_capacity(organizations.len());
        for id in organizations {
            let mut settings = Map::new();
            settings.insert("client_id".into(), Value::String(app.client_id.clone()));
            settings.insert("organization_id".into(), Value::String(id.clone()));
            if let Some(base) = &app.api_base {
                settings.insert("api_base".into(), Value::String(base.clone()));
            }
            if let Some(base) = &app.authorize_base {
                settings.insert("oauth_base".into(), Value::String(base.clone()));
            }
            let mut creds = Credentials {
                settings: Value::Object(settings),
                ..Credentials::default()
            };
            creds.set_secret("access_token", tokens.access_token.clone());
            if let Some(refresh) = &tokens.refresh_token {
                creds.set_secret("refresh_token", refresh.clone());
            }
            creds.set_secret("client_secret", client_secret.to_owned());
            let display = connector.verify(&mut creds).await?;
            accounts.push(ConnectedAccount {
                network: "linkedin",
                account_id: id,
                display,
                credentials: creds,
            });
        }
        Ok(accounts)
    }
}

/// The numeric ids of the organisations the token's member is an approved administrator of,
/// each once, in LinkedIn's order.
async fn administered(
    http: &HttpClient,
    api_base: &str,
    token: &str,
) -> Result<Vec<String>, NetworkError> {
    let mut ids: Vec<String> = Vec::new();
    for page in 0..MAX_ACL_PAGES {
        let url = format!(
            "{api_base}/rest/organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED\
             &start={}&count={ACL_PAGE}",
            page * ACL_PAGE
        );
        let call = Call {
            verb: Method::GET,
            url,
            token: Some(token),
            version: Some(API_VERSION),
            body: &Body::None,
        };
        let body = match api::send(http, &call, "the pages the member administers").await? {
            Ok(reply) => reply.body,
            Err(f) => return Err(f.into_network_error()),
        };
        let elements = super::elements(&body);
        for e in elements {
            // `organization` in the versioned API; `organizationalTarget` in the older one.
            let org = super::str_field(e, "organization")
                .or_else(|| super::str_field(e, "organizationalTarget"))
                .and_then(urn::organization_id);
            if let Some(id) = org
                && !ids.iter().any(|known| known == id)
            {
                ids.push(id.to_owned());
            }
        }
        let total = body
            .get("paging")
            .and_then(|p| p.get("total"))
            .and_then(Value::as_u64);
        let seen = (page * ACL_PAGE + elements.len()) as u64;
        if elements.len() < ACL_PAGE || total.is_some_and(|t| seen >= t) {
            break;
        }
    }
    Ok(ids)
}
