//! `relais schedule import`: a CSV of planned posts, each row checked and queued like
//! `relais post`, with a report of the rows refused and why.

use std::path::Path;

use anyhow::{Context, Result, bail};
use relais_publish::plan::{import, time};

use super::open_store;
use super::post::{queue, read_images, workspace};
use crate::cli::DataArgs;

pub async fn import(data: &DataArgs, file: &Path, ws: &str, default_zone: &str) -> Result<()> {
    time::zone(default_zone)?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(
            "{} is not UTF-8 text; save it from the spreadsheet as \"CSV UTF-8\"",
            file.display()
        )
    })?;
    let rows = import::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let base = file.parent().unwrap_or(Path::new("."));
    let (store, _) = open_store(data, true).await?;
    let ws = workspace(store.as_ref(), ws).await?;
    let (mut queued, mut refused) = (0usize, Vec::new());
    for row in rows {
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                refused.push((e.line, vec![e.reason]));
                continue;
            }
        };
        let images: Vec<std::path::PathBuf> = row.image.iter().map(|p| base.join(p)).collect();
        let alts: Vec<String> = row.alt.iter().cloned().collect();
        let zone = row
            .time_zone
            .clone()
            .unwrap_or_else(|| default_zone.to_owned());
        let uploads = read_images(&images, &alts);
        let request = relais_publisher::compose::Compose {
            channels: row.channels.clone(),
            texts: row.texts.clone(),
            at: row.at.clone(),
            time_zone: zone.clone(),
            ..Default::default()
        };
        match queue(store.as_ref(), &ws, request, uploads).await {
            Ok(relais_publisher::compose::Submitted { post, run_at, .. }) => {
                queued += 1;
                println!(
                    "line {}: queued post {} for {}",
                    row.line,
                    post.id,
                    time::show(run_at.millis(), &zone)
                );
            }
            Err(reasons) => refused.push((row.line, reasons)),
        }
    }
    store.close().await;
    for (line, reasons) in &refused {
        for r in reasons {
            eprintln!("line {line}: refused: {r}");
        }
    }
    println!("{queued} post(s) queued, {} row(s) refused", refused.len());
    if !refused.is_empty() {
        bail!(
            "{} row(s) of {} were not queued; fix them and import those rows again",
            refused.len(),
            file.display()
        );
    }
    Ok(())
}
