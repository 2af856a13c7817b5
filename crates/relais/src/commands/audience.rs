//! The audience capability in the binary: opening the event store beside the database, its
//! upkeep (sealing finished days, forgetting old salts), and `relais site …`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use relais_analytics::durability::Durability;
use relais_analytics::embedded::Embedded;
use relais_analytics::ingest::Ingest;
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{SiteId, Slug};
use relais_store::audience::NewSite;
use relais_store::{Store, StoreError};

use super::open_store;
use crate::cli::{AnalyticsCommand, DataArgs, SiteCommand};
use crate::config::FileConfig;

/// Opens the embedded event store in `<data dir>/analytics` and the ingestion pipeline.
pub async fn open(
    store: Arc<dyn Store>,
    args: &DataArgs,
    file: &FileConfig,
) -> Result<Arc<Ingest>> {
    let dir = file.data_dir.join("analytics");
    let durability = Durability::from_millis(file.audience_sync_ms);
    let opened = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || Embedded::open_with(&dir, durability)).await?
    }
    .with_context(|| {
        format!(
            "cannot open the audience's event store in {}",
            dir.display()
        )
    })?;
    let vault = super::channel::vault(args, file).ok();
    let engine = opened.clone();
    let warming = opened.clone();
    // The last month's segments and their dashboard totals, read while the server starts.
    tokio::task::spawn_blocking(move || match warming.warm(chrono::Utc::now(), 31) {
        Ok(n) => tracing::info!(segments = n, "audience: recent days read into memory"),
        Err(e) => tracing::warn!(error = %e, "audience: cannot read recent days ahead"),
    });
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

/// The site a command names, in its workspace.
async fn named_site(
    store: &dyn Store,
    workspace: &str,
    domain: &str,
) -> Result<relais_store::audience::Site> {
    let ws = workspace_of(store, workspace).await?;
    let domain = relais_audience::site::checked_domain(domain).map_err(|e| anyhow!(e))?;
    store
        .site_named(ws, &domain)
        .await?
        .ok_or_else(|| anyhow!("no site `{domain}` in workspace `{workspace}`; list them with `relais site list --workspace {workspace}`"))
}

fn engine_of(file: &FileConfig) -> Result<Embedded> {
    let dir = file.data_dir.join("analytics");
    Embedded::open(&dir).with_context(|| {
        format!(
            "cannot open the audience's event store in {}",
            dir.display()
        )
    })
}

pub async fn analytics(command: AnalyticsCommand) -> Result<()> {
    use relais_analytics::EventStore;
    match command {
        AnalyticsCommand::Import {
            file,
            site,
            workspace,
            data,
        } => {
            let (store, config) = open_store(&data, true).await?;
            let site = named_site(store.as_ref(), &workspace, &site).await?;
            let tz: chrono_tz::Tz = site.time_zone.parse().unwrap_or(chrono_tz::UTC);
            let (text, plausible) = read_import(&file)?;
            let (events, refused) = if plausible {
                relais_audience::import::plausible_visitors_csv(&text, &site.id.to_string(), tz)
            } else {
                relais_audience::import::json_lines(&text, &site.id.to_string())
            };
            let engine = engine_of(&config)?;
            let count = events.len();
            for batch in events.chunks(50_000) {
                engine.append(batch.to_vec()).await?;
            }
            let sealing = engine.clone();
            tokio::task::spawn_blocking(move || sealing.seal_finished_days(chrono::Utc::now()))
                .await??;
            println!("{count} events imported into {}", site.domain);
            for r in &refused {
                eprintln!("line {}: {}", r.line, r.reason);
            }
            if !refused.is_empty() {
                bail!(
                    "{} line(s) not imported (listed above); the others were imported",
                    refused.len()
                );
            }
            Ok(())
        }
        AnalyticsCommand::Export {
            site,
            workspace,
            output,
            data,
        } => {
            let (store, config) = open_store(&data, true).await?;
            let site = named_site(store.as_ref(), &workspace, &site).await?;
            let engine = engine_of(&config)?;
            let events = engine.export(&site.id.to_string()).await?;
            let mut out: Box<dyn std::io::Write> = match &output {
                Some(path) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(path)
                        .with_context(|| format!("cannot write {}", path.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            for event in &events {
                serde_json::to_writer(&mut out, event)?;
                out.write_all(b"\n")?;
            }
            out.flush()?;
            if output.is_some() {
                println!("{} events exported", events.len());
            }
            Ok(())
        }
    }
}

/// The import's text, and whether it is Plausible's CSV: a `.csv` file, or a folder holding
/// `imported_visitors_*.csv`.
fn read_import(path: &std::path::Path) -> Result<(String, bool)> {
    let file = if path.is_dir() {
        std::fs::read_dir(path)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("imported_visitors") && n.ends_with(".csv"))
            })
            .ok_or_else(|| {
                anyhow!(
                    "{} holds no imported_visitors_*.csv; unzip Plausible's export there first",
                    path.display()
                )
            })?
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {} as text", file.display()))?;
    let plausible = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    Ok((text, plausible))
}
