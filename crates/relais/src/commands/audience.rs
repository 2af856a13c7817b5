//! The audience capability in the binary: opening the event store beside the database, its
//! upkeep (sealing finished days, forgetting old salts), and `relais site …`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use relais_analytics::embedded::Embedded;
use relais_analytics::ingest::Ingest;
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{SiteId, Slug};
use relais_store::audience::NewSite;
use relais_store::{Store, StoreError};

use super::open_store;
use crate::cli::{DataArgs, SiteCommand};
use crate::config::FileConfig;

/// Opens the embedded event store in `<data dir>/analytics` and the ingestion pipeline.
pub async fn open(
    store: Arc<dyn Store>,
    args: &DataArgs,
    file: &FileConfig,
) -> Result<Arc<Ingest>> {
    let dir = file.data_dir.join("analytics");
    let opened = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || Embedded::open(&dir)).await?
    }
    .with_context(|| {
        format!(
            "cannot open the audience's event store in {}",
            dir.display()
        )
    })?;
    let vault = super::channel::vault(args, file).ok();
    let engine = opened.clone();
    let ingest = Arc::new(Ingest::new(store, Arc::new(opened), vault).await?);
    tokio::spawn(upkeep(engine, ingest.clone()));
    Ok(ingest)
}

/// Every minute: seal the days that are over into segments, delete yesterday's salt.
async fn upkeep(engine: Embedded, ingest: Arc<Ingest>) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        every.tick().await;
        let now = chrono::Utc::now();
        let sealing = engine.clone();
        match tokio::task::spawn_blocking(move || sealing.seal_finished_days(now)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(days)) => tracing::info!(days, "audience: finished days sealed into segments"),
            Ok(Err(e)) => tracing::error!(error = %e, "audience: cannot seal finished days"),
            Err(e) => tracing::error!(error = %e, "audience: the sealing task failed"),
        }
        if let Err(e) = ingest.forget_old_salts(now).await {
            tracing::warn!(error = %e, "audience: cannot delete old visitor salts");
        }
    }
}

pub async fn site(command: SiteCommand) -> Result<()> {
    match command {
        SiteCommand::Add {
            domain,
            workspace,
            time_zone,
            data,
        } => {
            let (store, _) = open_store(&data, true).await?;
            let ws = workspace_of(store.as_ref(), &workspace).await?;
            let domain = relais_audience::site::checked_domain(&domain).map_err(|e| anyhow!(e))?;
            if time_zone.parse::<chrono_tz::Tz>().is_err() {
                bail!(
                    "`{time_zone}` is not a time zone; use an IANA name such as Europe/Paris or UTC"
                );
            }
            let site = store
                .create_site(
                    NewSite {
                        id: SiteId::new(),
                        workspace_id: ws,
                        domain: domain.clone(),
                        time_zone,
                        created_by: None,
                    },
                    AuditEvent {
                        workspace_id: Some(ws),
                        actor: Actor::cli(),
                        action: "site.create".into(),
                        target: domain.clone(),
                        details: serde_json::Value::Null,
                    },
                )
                .await
                .map_err(|e| match e {
                    StoreError::Conflict(_) => anyhow!("`{domain}` is already registered in Relais; a domain belongs to one workspace"),
                    other => other.into(),
                })?;
            println!("{}", site.id);
            Ok(())
        }
        SiteCommand::List { workspace, data } => {
            let (store, _) = open_store(&data, true).await?;
            let ws = workspace_of(store.as_ref(), &workspace).await?;
            for site in store.sites(ws).await? {
                println!("{}\t{}\t{}", site.id, site.domain, site.time_zone);
            }
            Ok(())
        }
    }
}

async fn workspace_of(store: &dyn Store, slug: &str) -> Result<relais_core::WorkspaceId> {
    let slug = Slug::parse(slug).map_err(|e| anyhow!("{}", e.message))?;
    Ok(store
        .workspace_by_slug(&slug)
        .await?
        .ok_or_else(|| anyhow!("no workspace `{slug}`; list them with `relais workspace list`"))?
        .id)
}
