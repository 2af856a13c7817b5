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
use crate::cli::DataArgs;
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

fn app_password() -> Result<String> {
    match std::env::var("RELAIS_APP_PASSWORD") {
        Ok(p) if !p.trim().is_empty() => Ok(p.trim().to_owned()),
        _ if std::io::stdin().is_terminal() => Ok(rpassword::prompt_password("App password: ")
            .context("cannot read the app password")?
            .trim()
            .to_owned()),
        _ => bail!(
            "no app password: set RELAIS_APP_PASSWORD (create one in Bluesky's settings, under App passwords), or run the command in a terminal to be asked"
        ),
    }
}

pub async fn add_bluesky(
    data: &DataArgs,
    ws: &str,
    name: &str,
    service: &str,
    handle: &str,
) -> Result<()> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        bail!("a channel name needs 1 to 100 characters");
    }
    let service = service.trim().trim_end_matches('/');
    url::Url::parse(service)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| {
            anyhow!("`{service}` is not a service URL; write it as https://bsky.social")
        })?;
    let handle = handle.trim().trim_start_matches('@');
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
        settings: serde_json::json!({ "service": service, "handle": handle }),
        secrets: [("app_password".to_owned(), app_password()?)].into(),
        changed: false,
    };
    let http = super::outbound_client(&file)?;
    let connector = connector_for("bluesky", http)
        .ok_or_else(|| anyhow!("this Relais has no Bluesky connector"))?;
    let account = match connector.verify(&mut creds).await {
        Ok(a) => a,
        Err(NetworkError::Misconfigured(m)) => bail!("{m}"),
        Err(e) => bail!("Bluesky refused the connection: {e}"),
    };
    let id = ChannelId::new();
    let sealed = vault.seal_all(&format!("channel:{id}"), &creds.secrets)?;
    let channel = NewChannel {
        id,
        workspace_id: workspace.id,
        network: "bluesky".into(),
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
        details: serde_json::json!({ "network": "bluesky", "account": account, "service": service }),
    };
    match store.create_channel(channel, audit).await {
        Ok(c) => println!(
            "channel `{}` connected to Bluesky as @{account} ({})",
            c.name, c.id
        ),
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
