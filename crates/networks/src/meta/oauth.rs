//! Facebook Login, as Relais runs it to connect Pages and their Instagram accounts:
//!
//! 1. [`authorize_url`]: the Login dialog (`https://www.facebook.com/v21.0/dialog/oauth`) with
//!    `client_id`, `redirect_uri`, `state`, `response_type=code` and the permissions of
//!    [`SCOPES`], comma-separated;
//! 2. [`connect_pages`]: the code is traded for a user token
//!    (`GET /v21.0/oauth/access_token?client_id&redirect_uri&client_secret&code`), that one for
//!    a long-lived user token (`grant_type=fb_exchange_token`), and the Pages the person manages
//!    are listed with it (`GET /me/accounts?fields=id,name,access_token,
//!    instagram_business_account{id,username}`, every page of the list). Page tokens obtained
//!    with a long-lived user token do not expire, which is why the exchange is made: the user
//!    token itself is not kept.
//!
//! Facebook Login takes no PKCE here: the app secret authenticates the exchange (the
//! verifier is ignored). An app set up for Facebook Login for Business with a configuration
//! (`config_id`) can put it in the workspace's `authorize_base`
//! (`https://www.facebook.com/v21.0/dialog/oauth?config_id=…`): the parameters are added after
//! it.

use relais_outbound::HttpClient;
use serde_json::Value;

use super::graph::{self, Endpoint, Graph, items, str_field};
use crate::NetworkError;
use crate::oauth::{OAuthApp, with_query};
use crate::webhook::answer::transport;

/// Where Facebook asks the person for their consent.
pub const AUTHORIZE_URL: &str = "https://www.facebook.com/v21.0/dialog/oauth";
/// What Relais needs: list the person's Pages, read and publish on them (comments included),
/// and the same on their Instagram accounts; for the team inbox, read what visitors write on a
/// Page, hide, delete and like their comments, and answer Messenger conversations.
pub const SCOPES: [&str; 9] = [
    "pages_show_list",
    "pages_read_engagement",
    "pages_manage_posts",
    "instagram_basic",
    "instagram_content_publish",
    "instagram_manage_comments",
    "pages_read_user_content",
    "pages_manage_engagement",
    "pages_messaging",
];
/// At most this many pages of 100 Pages are read.
const MAX_ACCOUNT_PAGES: usize = 20;

/// The address to send a person to: `auth_base` (normally [`AUTHORIZE_URL`]) with
/// `client_id`, `redirect_uri`, `state`, `response_type=code` and `scope` (comma-separated),
/// each percent-encoded.
pub fn authorize_url(auth_base: &str, client_id: &str, redirect_uri: &str, state: &str) -> String {
    let scope = SCOPES.join(",");
    with_query(
        auth_base,
        &[
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("state", state),
            ("response_type", "code"),
            ("scope", scope.as_str()),
        ],
    )
}

/// A Page the person who consented manages, with its Instagram account if one is linked.
#[derive(Clone)]
pub struct Page {
    pub id: String,
    pub name: String,
    /// The Page access token (long-lived: it does not expire).
    pub access_token: String,
    /// The linked Instagram professional account: `(id, username)`.
    pub instagram: Option<(String, String)>,
}

/// The token is never printed.
impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("instagram", &self.instagram)
            .finish_non_exhaustive()
    }
}

/// Trades `code` for tokens and lists the Pages they may publish as. A code Facebook refuses
/// (used, expired, another redirect address, a wrong app secret) is
/// [`NetworkError::Unauthorized`].
pub async fn connect_pages(
    http: &HttpClient,
    app: &OAuthApp,
    code: &str,
    redirect_uri: &str,
) -> Result<Vec<Page>, NetworkError> {
    let secret = app
        .client_secret
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            NetworkError::Misconfigured(
                "the Meta app has no client secret (the app secret): add it to the workspace's \
                 settings"
                    .into(),
            )
        })?;
    if app.client_id.trim().is_empty() {
        return Err(NetworkError::Misconfigured(
            "the Meta app has no client id (the app id): add it to the workspace's settings".into(),
        ));
    }
    let endpoint = Endpoint::new(app.api_base.as_deref(), None, "the Meta app's")?;
    let short = token_request(
        http,
        &endpoint.root,
        &[
            ("client_id", app.client_id.as_str()),
            ("redirect_uri", redirect_uri),
            ("client_secret", secret),
            ("code", code),
        ],
        "the authorization code",
    )
    .await?;
    let long = token_request(
        http,
        &endpoint.root,
        &[
            ("grant_type", "fb_exchange_token"),
            ("client_id", app.client_id.as_str()),
            ("client_secret", secret),
            ("fb_exchange_token", short.as_str()),
        ],
        "the user token",
    )
    .await?;
    let graph = Graph {
        http,
        root: endpoint.root,
        token: long,
        network: "Facebook",
    };
    let mut query: Vec<(String, String)> = vec![
        (
            "fields".into(),
            "id,name,access_token,instagram_business_account{id,username}".into(),
        ),
        ("limit".into(), "100".into()),
    ];
    let mut pages = Vec::new();
    for _ in 0..MAX_ACCOUNT_PAGES {
        let pairs: Vec<(&str, &str)> = query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let list = graph.get("/me/accounts", &pairs).await?;
        pages.extend(items(&list).iter().filter_map(page_of));
        match graph::next_page(&list) {
            Some(next) if !items(&list).is_empty() => query = next,
            _ => break,
        }
    }
    Ok(pages)
}

/// One Page of `/me/accounts`; `None` for one without an id or a token (the person cannot
/// publish there).
fn page_of(v: &Value) -> Option<Page> {
    let id = str_field(v, "id").filter(|id| graph::is_object_id(id))?;
    let token = str_field(v, "access_token").filter(|t| !t.trim().is_empty())?;
    let instagram = v.get("instagram_business_account").and_then(|ig| {
        let ig_id = str_field(ig, "id").filter(|id| graph::is_object_id(id))?;
        Some((
            ig_id.to_owned(),
            str_field(ig, "username").unwrap_or_default().to_owned(),
        ))
    });
    Some(Page {
        id: id.to_owned(),
        name: str_field(v, "name").unwrap_or(id).to_owned(),
        access_token: token.trim().to_owned(),
        instagram,
    })
}

/// `GET <root>/oauth/access_token` with `query`; its `access_token`.
async fn token_request(
    http: &HttpClient,
    root: &str,
    query: &[(&str, &str)],
    what: &str,
) -> Result<String, NetworkError> {
    let request = http
        .get(&format!("{root}/oauth/access_token"))
        .map_err(transport)?
        .header("accept", "application/json")
        .query(query);
    let response = http.fetch(request).await.map_err(transport)?;
    match graph::answer(
        response.status,
        &response.headers,
        &response.body,
        "the token request",
        "Facebook",
    )? {
        Ok(body) => str_field(&body, "access_token")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                NetworkError::Transient(
                    "Facebook's token endpoint answered without an access token".into(),
                )
            }),
        Err(f) => {
            let detail = f.detail();
            Err(match f.into_network_error("Facebook") {
                NetworkError::Rejected(_) | NetworkError::Unauthorized(_) => {
                    NetworkError::Unauthorized(format!(
                        "Facebook refused {what} ({detail}): connect the channel again"
                    ))
                }
                other => other,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::GRAPH_VERSION;
    use serde_json::json;

    #[test]
    fn the_dialog_address_carries_every_parameter() {
        // The dialog and the API speak the same version.
        assert!(AUTHORIZE_URL.contains(&format!("/{GRAPH_VERSION}/")));
        assert_eq!(
            authorize_url(
                AUTHORIZE_URL,
                "123",
                "https://relais.example/cb?w=a b",
                "st+ate"
            ),
            "https://www.facebook.com/v21.0/dialog/oauth?client_id=123\
             &redirect_uri=https%3A%2F%2Frelais.example%2Fcb%3Fw%3Da%20b&state=st%2Bate\
             &response_type=code&scope=pages_show_list%2Cpages_read_engagement%2C\
             pages_manage_posts%2Cinstagram_basic%2Cinstagram_content_publish%2C\
             instagram_manage_comments%2Cpages_read_user_content%2Cpages_manage_engagement%2C\
             pages_messaging"
        );
    }

    #[test]
    fn pages_are_read_without_printing_tokens() {
        let page = page_of(&json!({
            "id": "105", "name": "Café", "access_token": "secret-page-token",
            "instagram_business_account": { "id": "1784", "username": "cafe" }
        }))
        .expect("page");
        assert_eq!(page.instagram, Some(("1784".into(), "cafe".into())));
        assert!(!format!("{page:?}").contains("secret"));
        assert!(page_of(&json!({ "id": "105", "name": "No token" })).is_none());
        assert!(
            page_of(&json!({ "id": "106", "access_token": "t" }))
                .expect("page")
                .instagram
                .is_none()
        );
    }
}
