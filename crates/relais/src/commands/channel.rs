//! `relais channel …`: connecting network accounts to a workspace from the command line.
//! The credentials are tried on the network before anything is stored, and stored sealed.

use std::io::IsTerminal;

use anyhow::{Context, Result, anyhow, bail};
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{ChannelId, Slug};
use relais_networks::{Credentials, NetworkError, connector_for};
use relais_store::{DatabaseLocation, NewChannel, Store, StoreError, Workspace};
use relais_vault::Vault;

use super::open_store;
use crate::cli::{ChannelAdd, DataArgs};
use crate::config::{self, FileConfig};

async fn workspace(store: &dyn Store, slug: &str) -> Result<Workspace> {
    let slug = Slug::parse(slug).map_err(|e| anyhow!("{}", e.message))?;
    store
        .workspace_by_slug(&slug)
        .await?
        .ok_or_else(|| anyhow!("no workspace `{slug}`; list them with `relais workspace list`"))
}

/// The vault: the configured key, or `secret.key` beside the SQLite database.
pub fn vault(args: &DataArgs, file: &FileConfig) -> Result<Vault> {
    let key_file = match config::database(args, file) {
        DatabaseLocation::Sqlite(db) => db.parent().map(|d| d.join("secret.key")),
        DatabaseLocation::Postgres(_) => None,
    };
    Ok(Vault::load(
        file.secret_key.as_deref(),
        key_file.as_deref(),
    )?)
}

/// A secret from the environment, or asked on the terminal.
fn secret_from(var: &str, prompt: &str, help: &str) -> Result<String> {
    match std::env::var(var) {
        Ok(p) if !p.trim().is_empty() => Ok(p.trim().to_owned()),
        _ if std::io::stdin().is_terminal() => Ok(rpassword::prompt_password(prompt)
            .context("cannot read the secret")?
            .trim()
            .to_owned()),
        _ => bail!("no {help}: set {var}, or run the command in a terminal to be asked"),
    }
}

fn checked_url(url: &str, example: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/');
    url::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| anyhow!("`{url}` is not a web address; write it as {example}"))?;
    Ok(url.to_owned())
}

pub async fn add(add: ChannelAdd) -> Result<()> {
    let (network, data, ws, name, settings, secrets) = match add {
        ChannelAdd::Bluesky {
            workspace,
            name,
            service,
            handle,
            data,
        } => {
            let service = checked_url(&service, "https://bsky.social")?;
            let handle = handle.trim().trim_start_matches('@').to_owned();
            let password = secret_from(
                "RELAIS_APP_PASSWORD",
                "App password: ",
                "app password (create one in Bluesky's settings, under App passwords)",
            )?;
            let settings = serde_json::json!({ "service": service, "handle": handle });
            (
                "bluesky",
                data,
                workspace,
                name,
                settings,
                vec![("app_password", password)],
            )
        }
        ChannelAdd::Mastodon {
            workspace,
            name,
            instance,
            visibility,
            data,
        } => {
            let instance = checked_url(&instance, "https://mastodon.social")?;
            let token = secret_from(
                "RELAIS_ACCESS_TOKEN",
                "Access token: ",
                "access token (in Mastodon: Preferences, Development, New application, with read and write)",
            )?;
            let settings = serde_json::json!({ "instance": instance, "visibility": visibility });
            (
                "mastodon",
                data,
                workspace,
                name,
                settings,
                vec![("access_token", token)],
            )
        }
        ChannelAdd::Wordpress {
            workspace,
            name,
            site,
            username,
            data,
        } => {
            let site = checked_url(&site, "https://blog.example.org")?;
            let password = secret_from(
                "RELAIS_APP_PASSWORD",
                "Application password: ",
                "application password (in WordPress: Users, Profile, Application Passwords)",
            )?;
            let settings = serde_json::json!({ "site": site, "username": username.trim() });
            (
                "wordpress",
                data,
                workspace,
                name,
                settings,
                vec![("application_password", password)],
            )
        }
        ChannelAdd::Token {
            network,
            workspace,
            name,
            settings,
            data,
        } => {
            let network = oauth_network(&network)?;
            let settings = settings_of(&settings)?;
            let mut secrets = vec![(
                "access_token",
                secret_from(
                    "RELAIS_ACCESS_TOKEN",
                    "Access token: ",
                    "access token (or connect the account from the Channels page, which gets one)",
                )?,
            )];
            for (var, key) in [
                ("RELAIS_REFRESH_TOKEN", "refresh_token"),
                ("RELAIS_CLIENT_SECRET", "client_secret"),
            ] {
                if let Ok(v) = std::env::var(var)
                    && !v.trim().is_empty()
                {
                    secrets.push((key, v.trim().to_owned()));
                }
            }
            (network, data, workspace, name, settings, secrets)
        }
        ChannelAdd::Webhook {
            workspace,
            name,
            url,
            data,
        } => {
            let url = checked_url(&url, "https://hooks.example.org/relais")?;
            let secret = match std::env::var("RELAIS_WEBHOOK_SECRET") {
                Ok(s) if !s.trim().is_empty() => s.trim().to_owned(),
                _ => {
                    let made = relais_vault::generate_key()?;
                    eprintln!(
                        "the webhook's signing secret (give it to the receiver; it is shown once):"
                    );
                    println!("{made}");
                    made
                }
            };
            (
                "webhook",
                data,
                workspace,
                name,
                serde_json::json!({ "url": url }),
                vec![("secret", secret)],
            )
        }
    };
    connect(network, &data, &ws, &name, settings, secrets).await
}

/// The networks whose channels take OAuth tokens.
fn oauth_network(raw: &str) -> Result<&'static str> {
    let wanted = raw.trim().to_lowercase();
    relais_networks::OAUTH_NETWORKS
        .iter()
        .map(|(name, _)| *name)
        .find(|name| *name == wanted)
        .ok_or_else(|| {
            let names: Vec<&str> = relais_networks::OAUTH_NETWORKS
                .iter()
                .map(|(n, _)| *n)
                .collect();
            anyhow!(
                "`{raw}` does not take OAuth tokens; use one of {}",
                names.join(", ")
            )
        })
}

/// `key=value` pairs into the channel's settings object.
fn settings_of(pairs: &[String]) -> Result<serde_json::Value> {
    let mut map = serde_json::Map::new();
    for pair in pairs {
        let Some((k, v)) = pair.split_once('=') else {
            bail!("`{pair}` is not a setting; write it as key=value (for example client_id=abc)");
        };
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            bail!("`{k}` is not a setting name; use letters, digits and _ (client_id, page_id…)");
        }
        map.insert(k.to_owned(), serde_json::Value::String(v.to_owned()));
    }
    Ok(serde_json::Value::Object(map))
}

async fn connect(
    network: &str,
    data: &DataArgs,
    ws: &str,
    name: &str,
    settings: serde_json::Value,
    secrets: Vec<(&str, String)>,
) -> Result<()> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        bail!("a channel name needs 1 to 100 characters");
    }
    let (store, file) = open_store(data, true).await?;
    let workspace = workspace(store.as_ref(), ws).await?;
    if store.channel_by_name(workspace.id, name).await?.is_some() {
        bail!(
            "the workspace `{}` already has a channel named `{name}`; choose another name",
            workspace.slug
        );
    }
    let vault = vault(data, &file)?;
    let mut creds = Credentials {
        settings,
        secrets: secrets
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        changed: false,
    };
    let http = super::outbound_client(&file)?;
    let connector = connector_for(network, http)
        .ok_or_else(|| anyhow!("this Relais has no {network} connector"))?;
    let account = match connector.verify(&mut creds).await {
        Ok(a) => a,
        Err(NetworkError::Misconfigured(m)) => bail!("{m}"),
        Err(e) => bail!("{network} refused the connection: {e}"),
    };
    let id = ChannelId::new();
    let sealed = vault.seal_all(&format!("channel:{id}"), &creds.secrets)?;
    let channel = NewChannel {
        id,
        workspace_id: workspace.id,
        network: network.into(),
        name: name.to_owned(),
        settings: creds.settings.clone(),
        secrets: sealed,
        created_by: None,
    };
    let audit = AuditEvent {
        workspace_id: Some(workspace.id),
        actor: Actor::cli(),
        action: "channel.create".into(),
        target: name.to_owned(),
        details: serde_json::json!({ "network": network, "account": account }),
    };
    match store.create_channel(channel, audit).await {
        Ok(c) => {
            let who = if network == "bluesky" {
                format!("@{account}")
            } else {
                account
            };
            println!(
                "channel `{}` connected to {network} as {who} ({})",
                c.name, c.id
            )
        }
        Err(StoreError::Conflict(_)) => {
            bail!("the workspace already has a channel named `{name}`; choose another name")
        }
        Err(e) => return Err(e.into()),
    }
    store.close().await;
    Ok(())
}

pub async fn list(data: &DataArgs, ws: &str) -> Result<()> {
    let (store, _) = open_store(data, true).await?;
    let workspace = workspace(store.as_ref(), ws).await?;
    for c in store.channels(workspace.id).await? {
        let who = c
            .settings
            .get("handle")
            .and_then(|h| h.as_str())
            .unwrap_or("");
        let detail = c
            .status_detail
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        println!(
            "{}\t{}\t{}\t{}{}",
            c.name,
            c.network,
            who,
            c.status.as_str(),
            detail
        );
    }
    store.close().await;
    Ok(())
}
