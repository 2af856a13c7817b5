//! Connecting Facebook Pages and Instagram accounts through [`OAuthFlow`]: both run the same
//! Facebook Login ([`oauth`]) and list the same Pages; [`FacebookFlow`] makes a "facebook"
//! channel of each Page, [`InstagramFlow`] an "instagram" channel of each Instagram
//! professional account linked to one of them (reached with that Page's token).

use async_trait::async_trait;
use relais_outbound::HttpClient;
use serde_json::{Map, Value};

use super::oauth::{self, Page};
use crate::oauth::{ConnectedAccount, OAuthApp, OAuthFlow};
use crate::{Credentials, NetworkError};

/// Facebook Pages.
pub struct FacebookFlow;

/// Instagram professional accounts linked to Facebook Pages.
pub struct InstagramFlow;

fn authorize(app: &OAuthApp, redirect_uri: &str, state: &str) -> String {
    oauth::authorize_url(
        app.authorize_base
            .as_deref()
            .unwrap_or(oauth::AUTHORIZE_URL),
        &app.client_id,
        redirect_uri,
        state,
    )
}

/// The credentials of a channel reached with `page`'s token, with `settings` added to the
/// app's own (`client_id`, and `api_base` when the app has one).
fn credentials(app: &OAuthApp, page: &Page, settings: &[(&str, &str)]) -> Credentials {
    let mut map = Map::new();
    map.insert("client_id".into(), Value::String(app.client_id.clone()));
    if let Some(base) = &app.api_base {
        map.insert("api_base".into(), Value::String(base.clone()));
    }
    for (k, v) in settings {
        map.insert((*k).into(), Value::String((*v).to_owned()));
    }
    let mut creds = Credentials {
        settings: Value::Object(map),
        ..Credentials::default()
    };
    creds.set_secret("access_token", page.access_token.clone());
    creds
}

#[async_trait]
impl OAuthFlow for FacebookFlow {
    fn network(&self) -> &'static str {
        "facebook"
    }

    fn authorize_url(
        &self,
        app: &OAuthApp,
        redirect_uri: &str,
        state: &str,
        _challenge: &str,
    ) -> String {
        authorize(app, redirect_uri, state)
    }

    /// One account per Page the person manages, named after the Page.
    async fn connect(
        &self,
        http: &HttpClient,
        app: &OAuthApp,
        code: &str,
        _verifier: &str,
        redirect_uri: &str,
    ) -> Result<Vec<ConnectedAccount>, NetworkError> {
        let pages = oauth::connect_pages(http, app, code, redirect_uri).await?;
        Ok(pages
            .iter()
            .map(|page| ConnectedAccount {
                network: "facebook",
                account_id: page.id.clone(),
                display: page.name.clone(),
                credentials: credentials(
                    app,
                    page,
                    &[("page_id", &page.id), ("page_name", &page.name)],
                ),
            })
            .collect())
    }
}

#[async_trait]
impl OAuthFlow for InstagramFlow {
    fn network(&self) -> &'static str {
        "instagram"
    }

    fn authorize_url(
        &self,
        app: &OAuthApp,
        redirect_uri: &str,
        state: &str,
        _challenge: &str,
    ) -> String {
        authorize(app, redirect_uri, state)
    }

    /// One account per Instagram professional account linked to a Page the person manages,
    /// shown as `@username`; Pages without one give none.
    async fn connect(
        &self,
        http: &HttpClient,
        app: &OAuthApp,
        code: &str,
        _verifier: &str,
        redirect_uri: &str,
    ) -> Result<Vec<ConnectedAccount>, NetworkError> {
        let pages = oauth::connect_pages(http, app, code, redirect_uri).await?;
        Ok(pages
            .iter()
            .filter_map(|page| {
                let (id, username) = page.instagram.as_ref()?;
                Some(ConnectedAccount {
                    network: "instagram",
                    account_id: id.clone(),
                    display: if username.is_empty() {
                        id.clone()
                    } else {
                        format!("@{username}")
                    },
                    credentials: credentials(
                        app,
                        page,
                        &[
                            ("ig_user_id", id),
                            ("username", username),
                            ("page_id", &page.id),
                        ],
                    ),
                })
            })
            .collect())
    }
}
