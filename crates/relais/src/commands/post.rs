//! `relais post`: check a post against each channel's rules, queue it (with its media, its
//! targets and their jobs, in one transaction), and optionally wait for the network's answer.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use relais_core::audit::Actor;
use relais_core::{PostId, Slug};
use relais_publish::plan::repeat::Every;
use relais_publish::plan::time;
use relais_publisher::compose::{self, Author, Compose, Submitted, Upload, sniff};
use relais_store::{Store, TargetStatus};

use super::open_store;
use crate::cli::PostArgs;

/// Reads image files for a post; each is recognised by its bytes.
pub(super) fn read_images(
    paths: &[std::path::PathBuf],
    alts: &[String],
) -> Result<Vec<Upload>, String> {
    if alts.len() > paths.len() {
        return Err(
            "there are more alt texts than images; give one alt text per image, in the same order"
                .into(),
        );
    }
    paths
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let bytes = std::fs::read(path)
                .map_err(|e| format!("cannot read the image {}: {e}", path.display()))?;
            let mime = sniff(&bytes).ok_or_else(|| {
                format!(
                    "{} is neither a PNG, JPEG, GIF or WebP image nor an MP4, MOV or WebM video",
                    path.display()
                )
            })?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "image".into());
            Ok(Upload {
                name,
                mime,
                bytes,
                alt: alts.get(i).cloned().filter(|a| !a.trim().is_empty()),
            })
        })
        .collect()
}

/// Checks and queues one post from the command line (`request` with its images still to read);
/// `Err` holds every reason it was refused.
pub(super) async fn queue(
    store: &dyn Store,
    ws: &relais_store::Workspace,
    mut request: Compose,
    images: Result<Vec<Upload>, String>,
) -> Result<Submitted, Vec<String>> {
    request.images = images.map_err(|e| vec![e])?;
    let author = Author {
        user_id: None,
        actor: Actor::cli(),
        needs_approval: false,
    };
    compose::submit(store, ws, &author, request)
        .await
        .map_err(|r| r.into_iter().map(|r| r.en).collect())
}

pub(super) async fn workspace(store: &dyn Store, slug: &str) -> Result<relais_store::Workspace> {
    let slug = Slug::parse(slug).map_err(|e| anyhow!("{}", e.message))?;
    store
        .workspace_by_slug(&slug)
        .await?
        .ok_or_else(|| anyhow!("no workspace `{slug}`; list them with `relais workspace list`"))
}

pub async fn run(args: PostArgs) -> Result<()> {
    let (store, file) = open_store(&args.data, true).await?;
    let ws = workspace(store.as_ref(), &args.workspace).await?;
    let images = read_images(&args.images, &args.alts);
    let repeat = match (&args.repeat, args.repeat_count) {
        (Some(every), Some(count)) => {
            Some((Every::parse(every).map_err(|e| anyhow!("{e}"))?, count))
        }
        _ => None,
    };
    let request = Compose {
        channels: args.channels.clone(),
        texts: args.texts.clone(),
        at: args.at.clone(),
        time_zone: args.time_zone.clone(),
        repeat,
        ..Compose::default()
    };
    let submitted = queue(store.as_ref(), &ws, request, images).await;
    let Submitted {
        post,
        targets: made,
        channels,
        run_at,
    } = match submitted {
        Ok(q) => q,
        Err(reasons) => {
            for r in &reasons {
                eprintln!("refused: {r}");
            }
            bail!("the post was not queued; change what is said above and try again");
        }
    };
    println!(
        "post {} queued for {} on {}",
        post.id,
        time::show(run_at.millis(), &args.time_zone),
        args.channels.join(", ")
    );
    if !args.wait {
        store.close().await;
        return Ok(());
    }

    let names: BTreeMap<_, _> = channels.iter().map(|c| (c.id, c.name.clone())).collect();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = super::worker(
        store.clone(),
        &args.data,
        &file,
        format!("cli-{}", std::process::id()),
    )?
    .with_idle(Duration::from_millis(200));
    let working = tokio::spawn(worker.run(stop_rx));
    let outcome = wait_for(
        store.as_ref(),
        ws.id,
        post.id,
        made.len(),
        Duration::from_secs(args.timeout),
    )
    .await;
    let _ = stop_tx.send(true);
    let _ = working.await;
    let targets = outcome?;
    let mut failed = false;
    for t in &targets {
        let name = names.get(&t.channel_id).cloned().unwrap_or_default();
        match t.status {
            TargetStatus::Published => println!("{name}: {}", t.url.clone().unwrap_or_default()),
            _ => {
                failed = true;
                eprintln!(
                    "{name}: failed: {}",
                    t.last_error
                        .clone()
                        .unwrap_or_else(|| "unknown reason".into())
                );
            }
        }
    }
    store.close().await;
    if failed {
        bail!("the post was not published everywhere");
    }
    Ok(())
}

async fn wait_for(
    store: &dyn Store,
    ws: relais_core::WorkspaceId,
    post: PostId,
    expected: usize,
    timeout: Duration,
) -> Result<Vec<relais_store::Target>> {
    let deadline = Instant::now() + timeout;
    loop {
        let targets = store.targets_of(ws, post).await?;
        let settled = targets.len() == expected
            && targets.iter().all(|t| {
                matches!(
                    t.status,
                    TargetStatus::Published | TargetStatus::Failed | TargetStatus::Cancelled
                )
            });
        if settled {
            return Ok(targets);
        }
        if Instant::now() >= deadline {
            bail!(
                "not published after {} s; it stays queued (a running `relais serve` will publish it)",
                timeout.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}
