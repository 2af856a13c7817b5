//! Connecting channels through a network's OAuth app: the workspace's apps (client id, sealed
//! secret), the trip to the network's consent page and back, and the choice of the accounts to
//! add when the network offers several (a LinkedIn member's organisation pages, a Facebook
//! user's pages).
//!
//! The `state` sent to the network is 32 random bytes; only its SHA-256 is kept, with the
//! sealed PKCE verifier, the person who started and a 15-minute life. The callback answers only
//! to that person's session, and only while they may still manage the workspace's settings.
//! Accounts found (with their tokens) are kept sealed until the person has chosen.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use relais_core::audit::AuditEvent;
use relais_core::{ChannelId, ErrorCode, Permission, Timestamp};
use relais_networks::oauth::{self, ConnectedAccount, OAuthApp};
use relais_networks::{OAUTH_NETWORKS, oauth_flow_for};
use relais_store::planning::OAuthConnection;
use relais_store::{NewChannel, StoreError, Workspace};
use serde::{Deserialize, Serialize};

use super::{Access, Chrome, PageForm, PageResult, enter_workspace, render};
use crate::context::{Ctx, see_other};
use crate::error::WebError;
use crate::state::AppState;

/// How long a person has to consent on the network and choose accounts.
const CONNECTION_LIFE_SECONDS: i64 = 15 * 60;

/// An app as the channels page shows it.
pub struct AppRow {
    pub network: &'static str,
    pub label: &'static str,
    pub client_id: String,
    pub has_secret: bool,
}

/// The channels page's section on apps.
pub async fn app_rows(state: &AppState, ws: &Workspace) -> Result<Vec<AppRow>, WebError> {
    let saved = state.store.oauth_apps(ws.id).await?;
    Ok(OAUTH_NETWORKS
        .iter()
        .map(|(network, label)| {
            let app = saved.iter().find(|a| a.network == *network);
            AppRow {
                network,
                label,
                client_id: app.map(|a| a.client_id.clone()).unwrap_or_default(),
                has_secret: app.is_some_and(|a| a.client_secret.is_some()),
            }
        })
        .collect())
}

/// Where every network sends people back: one address to register with each app.
pub fn redirect_uri(state: &AppState) -> String {
    format!("{}/oauth/callback", state.config.public_url)
}

fn network_of(raw: &str) -> Result<&'static str, WebError> {
    OAUTH_NETWORKS
        .iter()
        .map(|(n, _)| *n)
        .find(|n| *n == raw)
        .ok_or_else(WebError::not_found)
}

fn vault(state: &AppState) -> Result<relais_vault::Vault, WebError> {
    state.config.vault.clone().ok_or_else(|| {
        WebError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            "Relais has no secret key, so it cannot keep network credentials; set secret_key (or RELAIS_SECRET_KEY) and restart",
        )
    })
}

fn refused(message: impl Into<String>) -> WebError {
    WebError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::InvalidInput,
        message,
    )
}

fn channels_page(access: &Access) -> String {
    format!("/w/{}/publish/channels", access.workspace.slug)
}

fn app_secret_context(ws: &Workspace, network: &str) -> String {
    format!("oauth-app:{}:{network}", ws.id)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AppForm {
    client_id: String,
    client_secret: String,
}

pub async fn save_app(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, network)): Path<(String, String)>,
    PageForm(form): PageForm<AppForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageSettings)?;
    let network = network_of(&network)?;
    let vault = vault(&state)?;
    let client_id = form.client_id.trim();
    if client_id.is_empty() || client_id.len() > 500 || client_id.contains(char::is_whitespace) {
        return Err(refused(
            "a client id is needed, without spaces: copy it from the app's page on the network",
        ));
    }
    let secret = match form.client_secret.trim() {
        "" => None,
        s => Some(
            vault
                .seal(&app_secret_context(&access.workspace, network), s)
                .map_err(WebError::internal)?,
        ),
    };
    let event = AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(&ctx),
        action: "oauth_app.save".into(),
        target: network.into(),
        details: serde_json::json!({ "client_id": client_id, "secret_changed": secret.is_some() }),
    };
    state
        .store
        .save_oauth_app(
            access.workspace.id,
            network,
            client_id,
            secret.as_deref(),
            Some(access.user.id),
            event,
        )
        .await?;
    Ok(see_other(&channels_page(&access)))
}

pub async fn remove_app(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, network)): Path<(String, String)>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageSettings)?;
    let network = network_of(&network)?;
    let event = AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(&ctx),
        action: "oauth_app.delete".into(),
        target: network.into(),
        details: serde_json::Value::Null,
    };
    state
        .store
        .delete_oauth_app(access.workspace.id, network, event)
        .await?;
    Ok(see_other(&channels_page(&access)))
}

/// The app's credentials in the clear, with the endpoints configured for the network.
async fn open_app(state: &AppState, ws: &Workspace, network: &str) -> Result<OAuthApp, WebError> {
    let m_missing = || refused("save the app's client id first, on the channels page");
    let record = state
        .store
        .oauth_app(ws.id, network)
        .await?
        .ok_or_else(m_missing)?;
    let client_secret = match &record.client_secret {
        Some(sealed) => Some(
            vault(state)?
                .open(&app_secret_context(ws, network), sealed)
                .map_err(WebError::internal)?,
        ),
        None => None,
    };
    let endpoints = state
        .config
        .oauth_endpoints
        .get(network)
        .cloned()
        .unwrap_or_default();
    Ok(OAuthApp {
        client_id: record.client_id,
        client_secret,
        api_base: endpoints.api_base,
        authorize_base: endpoints.authorize_base,
    })
}

/// What is kept of a state: its SHA-256, as for every other secret Relais hands out.
fn state_hash(state: &str) -> String {
    crate::auth::secret::hash_secret(state)
}

/// Starts a connection: keeps the state and verifier, and sends the person to the network.
pub async fn start(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, network)): Path<(String, String)>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageSettings)?;
    let network = network_of(&network)?;
    let flow = oauth_flow_for(network)
        .ok_or_else(|| refused("this build of Relais cannot connect this network yet"))?;
    let vault = vault(&state)?;
    let app = open_app(&state, &access.workspace, network).await?;
    let random_state = oauth::random_state();
    let (verifier, challenge) = oauth::pkce_pair();
    let hash = state_hash(&random_state);
    let now = Timestamp::now();
    let redirect = redirect_uri(&state);
    state
        .store
        .start_oauth_connection(OAuthConnection {
            state_hash: hash.clone(),
            workspace_id: access.workspace.id,
            user_id: access.user.id,
            network: network.into(),
            verifier: vault
                .seal(&format!("oauth-verifier:{hash}"), &verifier)
                .map_err(WebError::internal)?,
            redirect_uri: redirect.clone(),
            accounts: None,
            created_at: now,
            expires_at: now.plus_seconds(CONNECTION_LIFE_SECONDS),
        })
        .await?;
    Ok(see_other(&flow.authorize_url(
        &app,
        &redirect,
        &random_state,
        &challenge,
    )))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CallbackQuery {
    code: String,
    state: String,
    error: String,
    error_description: String,
}

/// An account as kept, sealed, between the callback and the choice.
#[derive(Serialize, Deserialize)]
struct KeptAccount {
    network: String,
    account_id: String,
    display: String,
    settings: serde_json::Value,
    secrets: std::collections::BTreeMap<String, String>,
}

impl From<ConnectedAccount> for KeptAccount {
    fn from(a: ConnectedAccount) -> Self {
        Self {
            network: a.network.into(),
            account_id: a.account_id,
            display: a.display,
            settings: a.credentials.settings,
            secrets: a.credentials.secrets,
        }
    }
}

/// The connection the callback or the choice is about, checked: alive, this person's, and
/// they may still manage the workspace.
async fn live_connection(
    state: &AppState,
    ctx: &Ctx,
    hash: &str,
) -> Result<(OAuthConnection, Access), WebError> {
    let expired = || refused(ctx.m().plan.oauth_expired);
    let user = super::require_user(ctx)?;
    let conn = state
        .store
        .oauth_connection(hash, Timestamp::now())
        .await?
        .filter(|c| c.user_id == user.id)
        .ok_or_else(expired)?;
    let workspace = state
        .store
        .workspace_by_id(conn.workspace_id)
        .await?
        .ok_or_else(expired)?;
    let access = enter_workspace(state, ctx, workspace.slug.as_str()).await?;
    access.require(Permission::ManageSettings)?;
    Ok((conn, access))
}

pub async fn callback(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<CallbackQuery>,
) -> PageResult {
    let hash = state_hash(&q.state);
    let (conn, access) = live_connection(&state, &ctx, &hash).await?;
    let m = ctx.m();
    if !q.error.is_empty() || q.code.is_empty() {
        state.store.end_oauth_connection(&hash).await?;
        let why = if q.error_description.is_empty() {
            &q.error
        } else {
            &q.error_description
        };
        return Err(refused(format!("{}: {why}", m.plan.oauth_refused)));
    }
    let flow = oauth_flow_for(&conn.network).ok_or_else(WebError::not_found)?;
    let vault = vault(&state)?;
    let verifier = vault
        .open(&format!("oauth-verifier:{hash}"), &conn.verifier)
        .map_err(WebError::internal)?;
    let app = open_app(&state, &access.workspace, &conn.network).await?;
    let accounts = match flow
        .connect(&state.http, &app, &q.code, &verifier, &conn.redirect_uri)
        .await
    {
        Ok(found) => found,
        Err(e) => {
            state.store.end_oauth_connection(&hash).await?;
            return Err(refused(format!("{}: {e}", m.plan.oauth_refused)));
        }
    };
    let kept: Vec<KeptAccount> = accounts
        .into_iter()
        .filter(|a| a.network == conn.network)
        .map(KeptAccount::from)
        .collect();
    let json = serde_json::to_string(&kept).map_err(WebError::internal)?;
    let sealed = vault
        .seal(&format!("oauth-accounts:{hash}"), &json)
        .map_err(WebError::internal)?;
    state.store.set_oauth_accounts(&hash, &sealed).await?;
    Ok(see_other(&format!(
        "/w/{}/publish/channels/pick/{hash}",
        access.workspace.slug
    )))
}

async fn kept_accounts(
    state: &AppState,
    conn: &OAuthConnection,
) -> Result<Vec<KeptAccount>, WebError> {
    let Some(sealed) = &conn.accounts else {
        return Ok(Vec::new());
    };
    let json = vault(state)?
        .open(&format!("oauth-accounts:{}", conn.state_hash), sealed)
        .map_err(WebError::internal)?;
    serde_json::from_str(&json).map_err(WebError::internal)
}

pub struct PickRow {
    index: usize,
    display: String,
    /// The name of the channel this account already is, when connecting again.
    existing: Option<String>,
}

#[derive(Template)]
#[template(path = "connect_pick.html")]
struct PickPage {
    c: Chrome,
    slug: String,
    hash: String,
    network: String,
    rows: Vec<PickRow>,
}

/// The channel already made from this account, if any.
fn existing_channel<'a>(
    channels: &'a [relais_store::Channel],
    account: &KeptAccount,
) -> Option<&'a relais_store::Channel> {
    channels.iter().find(|c| {
        c.network == account.network
            && !account.account_id.is_empty()
            && c.settings.get("account_id").and_then(|v| v.as_str()) == Some(&account.account_id)
    })
}

pub async fn pick(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((_slug, hash)): Path<(String, String)>,
) -> PageResult {
    let (conn, access) = live_connection(&state, &ctx, &hash).await?;
    let accounts = kept_accounts(&state, &conn).await?;
    let channels = state.store.channels(access.workspace.id).await?;
    let rows = accounts
        .iter()
        .enumerate()
        .map(|(index, a)| PickRow {
            index,
            display: a.display.clone(),
            existing: existing_channel(&channels, a).map(|c| c.name.clone()),
        })
        .collect();
    let slug = access.workspace.slug.to_string();
    let m = ctx.m();
    render(&PickPage {
        c: Chrome::workspace(
            &ctx,
            m.plan.oauth_pick_title,
            &format!("/w/{slug}/publish/channels"),
            &access.workspace,
            "publish",
        ),
        slug,
        hash,
        network: conn.network,
        rows,
    })
}

/// Adds the ticked accounts (`account` = their indexes) as channels, or connects their
/// channel again when it exists.
pub async fn add_picked(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((_slug, hash)): Path<(String, String)>,
    axum::extract::RawForm(raw): axum::extract::RawForm,
) -> PageResult {
    let (conn, access) = live_connection(&state, &ctx, &hash).await?;
    let chosen: Vec<usize> = url::form_urlencoded::parse(&raw)
        .filter(|(k, _)| k == "account")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let accounts = kept_accounts(&state, &conn).await?;
    let vault = vault(&state)?;
    let channels = state.store.channels(access.workspace.id).await?;
    let (mut added, mut again) = (Vec::new(), Vec::new());
    for (index, account) in accounts.into_iter().enumerate() {
        if !chosen.contains(&index) {
            continue;
        }
        if let Some(existing) = existing_channel(&channels, &account) {
            let sealed = vault
                .seal_all(&format!("channel:{}", existing.id), &account.secrets)
                .map_err(WebError::internal)?;
            state
                .store
                .update_channel_secrets(access.workspace.id, existing.id, &sealed)
                .await?;
            again.push(existing.name.clone());
            continue;
        }
        added.push(create_channel(&state, &ctx, &access, account, &vault).await?);
    }
    state.store.end_oauth_connection(&hash).await?;
    let m = ctx.m();
    let mut notice = Vec::new();
    if !added.is_empty() {
        notice.push(format!("{} {}", m.plan.oauth_connected, added.join(", ")));
    }
    if !again.is_empty() {
        notice.push(format!("{} {}", m.plan.oauth_reconnected, again.join(", ")));
    }
    super::channels::page_with_notice(&state, &ctx, &access, notice.join(" ")).await
}

/// A new channel named after the account (`LinkedIn: Acme`), numbered if the name is taken.
async fn create_channel(
    state: &AppState,
    ctx: &Ctx,
    access: &Access,
    account: KeptAccount,
    vault: &relais_vault::Vault,
) -> Result<String, WebError> {
    let id = ChannelId::new();
    let sealed = vault
        .seal_all(&format!("channel:{id}"), &account.secrets)
        .map_err(WebError::internal)?;
    let mut settings = account.settings.clone();
    if let Some(map) = settings.as_object_mut() {
        map.insert("account_id".into(), account.account_id.clone().into());
        map.insert("handle".into(), account.display.clone().into());
    }
    let base: String = account.display.chars().take(90).collect();
    for n in 1..=20 {
        let name = if n == 1 {
            base.clone()
        } else {
            format!("{base} ({n})")
        };
        let event = AuditEvent {
            workspace_id: Some(access.workspace.id),
            actor: access.actor(ctx),
            action: "channel.create".into(),
            target: name.clone(),
            details: serde_json::json!({ "network": account.network, "account": account.display }),
        };
        let channel = NewChannel {
            id,
            workspace_id: access.workspace.id,
            network: account.network.clone(),
            name: name.clone(),
            settings: settings.clone(),
            secrets: sealed.clone(),
            created_by: Some(access.user.id),
        };
        match state.store.create_channel(channel, event).await {
            Ok(_) => return Ok(name),
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(refused(
        "too many channels have this name; rename some first",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_kept_as_their_hash() {
        let h = state_hash("abc");
        assert_eq!(
            h,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(state_hash("abd"), h);
    }

    #[test]
    fn only_known_networks_are_accepted() {
        assert!(network_of("linkedin").is_ok());
        assert!(network_of("bluesky").is_err());
        assert!(network_of("../x").is_err());
    }
}
