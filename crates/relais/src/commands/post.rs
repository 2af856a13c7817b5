//! `relais post`: check a post against each channel's rules, queue it (with its media, its
//! targets and their jobs, in one transaction), and optionally wait for the network's answer.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{MediaId, PostId, Slug, TargetId, Timestamp};
use relais_publish::plan::time;
use relais_publish::rules::{self, Draft, MediaInfo, MediaKind, Network};
use relais_publisher::{PUBLISH_ATTEMPTS, PUBLISH_JOB};
use relais_store::{
    Channel, NewMedia, NewPost, NewTarget, PartMedia, PostPart, PostStatus, PublishPlan, Store,
    TargetStatus,
};

use super::open_store;
use crate::cli::PostArgs;

/// The media type of an image from its first bytes (never trusting the file name alone).
fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

struct Image {
    name: String,
    mime: &'static str,
    bytes: Vec<u8>,
    alt: Option<String>,
}

fn read_images(paths: &[std::path::PathBuf], alts: &[String]) -> Result<Vec<Image>, String> {
    paths
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let bytes = std::fs::read(path)
                .map_err(|e| format!("cannot read the image {}: {e}", path.display()))?;
            let mime = sniff_image(&bytes).ok_or_else(|| {
                format!("{} is not a PNG, JPEG, GIF or WebP image", path.display())
            })?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "image".into());
            Ok(Image {
                name,
                mime,
                bytes,
                alt: alts.get(i).cloned().filter(|a| !a.trim().is_empty()),
            })
        })
        .collect()
}

/// Every problem of the post on every channel, in words; empty when it may be queued.
fn problems(channels: &[Channel], texts: &[String], images: &[Image]) -> Vec<String> {
    let mut out = Vec::new();
    for c in channels {
        let Ok(network) = Network::parse(&c.network) else {
            out.push(format!(
                "{}: Relais cannot publish on `{}`",
                c.name, c.network
            ));
            continue;
        };
        let drafts: Vec<Draft> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut d = Draft::text(t.clone());
                if i == 0 {
                    for img in images {
                        let kind = if img.mime == "image/gif" {
                            MediaKind::Gif
                        } else {
                            MediaKind::Image
                        };
                        let mut info = MediaInfo::new(kind, img.mime, img.bytes.len() as u64);
                        if let Some(alt) = &img.alt {
                            info = info.with_alt(alt.clone());
                        }
                        d = d.with_media(info);
                    }
                }
                d
            })
            .collect();
        for p in rules::check_thread(network, &drafts) {
            out.push(format!("{}: {}", c.name, p.message_en));
        }
    }
    out
}

/// What to queue: one post, its channels (by name), its parts and first part's images.
pub(super) struct Request<'a> {
    pub channels: &'a [String],
    pub texts: &'a [String],
    pub images: &'a [std::path::PathBuf],
    pub alts: &'a [String],
    pub at: Option<&'a str>,
    pub time_zone: &'a str,
}

/// Checks a post against each channel's rules and queues it; `Err` lists every reason it was
/// refused, in words that say what to change. Nothing is stored for a refused post.
pub(super) async fn queue(
    store: &dyn Store,
    ws: &relais_store::Workspace,
    req: &Request<'_>,
) -> Result<
    (
        relais_store::Post,
        Vec<relais_store::Target>,
        Vec<Channel>,
        Timestamp,
    ),
    Vec<String>,
> {
    let mut reasons = Vec::new();
    let at = match req.at {
        Some(written) => {
            match time::resolve_future(written, req.time_zone, Timestamp::now().millis()) {
                Ok(t) => Some(t),
                Err(e) => {
                    reasons.push(e.to_string());
                    None
                }
            }
        }
        None => {
            if let Err(e) = time::zone(req.time_zone) {
                reasons.push(e.to_string());
            }
            None
        }
    };
    if req.alts.len() > req.images.len() {
        reasons.push(
            "there are more alt texts than images; give one alt text per image, in the same order"
                .into(),
        );
    }
    let images = read_images(req.images, req.alts).unwrap_or_else(|e| {
        reasons.push(e);
        Vec::new()
    });
    let mut channels = Vec::new();
    for name in req.channels {
        match store.channel_by_name(ws.id, name).await {
            Ok(Some(c)) => channels.push(c),
            Ok(None) => reasons.push(format!(
                "no channel `{name}` in {}; list them with `relais channel list --workspace {}`",
                ws.slug, ws.slug
            )),
            Err(e) => reasons.push(format!("the database failed: {e}")),
        }
    }
    reasons.extend(problems(&channels, req.texts, &images));
    if !reasons.is_empty() {
        return Err(reasons);
    }
    let stored = store_post(store, ws, &channels, req.texts, images, at, req.time_zone).await;
    stored
        .map(|(post, targets, run_at)| (post, targets, channels, run_at))
        .map_err(|e| vec![format!("the database failed: {e}")])
}

async fn store_post(
    store: &dyn Store,
    ws: &relais_store::Workspace,
    channels: &[Channel],
    texts: &[String],
    images: Vec<Image>,
    at: Option<i64>,
    time_zone: &str,
) -> Result<(relais_store::Post, Vec<relais_store::Target>, Timestamp), relais_store::StoreError> {
    let actor = Actor::cli();
    let mut media = Vec::new();
    for img in images {
        let m = store
            .create_media(
                NewMedia {
                    id: MediaId::new(),
                    workspace_id: ws.id,
                    file_name: img.name.clone(),
                    mime: img.mime.to_owned(),
                    alt: img.alt.clone(),
                    content: img.bytes,
                    created_by: None,
                },
                AuditEvent {
                    workspace_id: Some(ws.id),
                    actor: actor.clone(),
                    action: "media.create".into(),
                    target: img.name,
                    details: serde_json::Value::Null,
                },
            )
            .await?;
        media.push(PartMedia {
            id: m.id,
            alt: img.alt,
        });
    }
    let parts: Vec<PostPart> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| PostPart {
            text: t.clone(),
            media: if i == 0 { media.clone() } else { Vec::new() },
        })
        .collect();
    let post_id = PostId::new();
    let targets: Vec<NewTarget> = channels
        .iter()
        .map(|c| NewTarget {
            id: TargetId::new(),
            channel_id: c.id,
            parts: None,
        })
        .collect();
    let run_at = at
        .map(Timestamp::from_millis)
        .unwrap_or_else(Timestamp::now);
    let names: Vec<&str> = channels.iter().map(|c| c.name.as_str()).collect();
    let (post, made) = store
        .create_post(
            NewPost {
                id: post_id,
                workspace_id: ws.id,
                author_id: None,
                author_label: "cli".into(),
                status: PostStatus::Scheduled,
                parts,
                scheduled_at: at.map(Timestamp::from_millis),
                time_zone: Some(time_zone.to_owned()),
            },
            targets,
            Some(PublishPlan {
                job_kind: PUBLISH_JOB.into(),
                run_at,
                max_attempts: PUBLISH_ATTEMPTS,
            }),
            AuditEvent {
                workspace_id: Some(ws.id),
                actor,
                action: "post.create".into(),
                target: post_id.to_string(),
                details: serde_json::json!({ "channels": names, "at": at }),
            },
        )
        .await?;
    Ok((post, made, run_at))
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
    let request = Request {
        channels: &args.channels,
        texts: &args.texts,
        images: &args.images,
        alts: &args.alts,
        at: args.at.as_deref(),
        time_zone: &args.time_zone,
    };
    let (post, made, channels, run_at) = match queue(store.as_ref(), &ws, &request).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_recognised_by_their_bytes() {
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff_image(b"GIF89a..."), Some("image/gif"));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_image(b"%PDF-1.7"), None);
    }
}
