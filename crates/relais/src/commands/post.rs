//! `relais post`: check a post against each channel's rules, queue it (with its media, its
//! targets and their jobs, in one transaction), and optionally wait for the network's answer.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
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

fn read_images(args: &PostArgs) -> Result<Vec<Image>> {
    args.images
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let bytes = std::fs::read(path)
                .with_context(|| format!("cannot read the image {}", path.display()))?;
            let mime = sniff_image(&bytes).ok_or_else(|| {
                anyhow!("{} is not a PNG, JPEG, GIF or WebP image", path.display())
            })?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "image".into());
            Ok(Image {
                name,
                mime,
                bytes,
                alt: args.alts.get(i).cloned().filter(|a| !a.trim().is_empty()),
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

pub async fn run(args: PostArgs) -> Result<()> {
    let at = match &args.at {
        Some(written) => Some(time::resolve_future(
            written,
            &args.time_zone,
            Timestamp::now().millis(),
        )?),
        None => None,
    };
    if args.alts.len() > args.images.len() {
        bail!("there are more --alt than --image; give one alt text per image, in the same order");
    }
    let images = read_images(&args)?;
    let (store, file) = open_store(&args.data, true).await?;
    let slug = Slug::parse(&args.workspace).map_err(|e| anyhow!("{}", e.message))?;
    let ws = store
        .workspace_by_slug(&slug)
        .await?
        .ok_or_else(|| anyhow!("no workspace `{slug}`; list them with `relais workspace list`"))?;
    let mut channels = Vec::new();
    for name in &args.channels {
        let c = store.channel_by_name(ws.id, name).await?.ok_or_else(|| {
            anyhow!("no channel `{name}` in {slug}; list them with `relais channel list --workspace {slug}`")
        })?;
        channels.push(c);
    }
    let refused = problems(&channels, &args.texts, &images);
    if !refused.is_empty() {
        for p in &refused {
            eprintln!("refused: {p}");
        }
        bail!("the post was not queued; change what is said above and try again");
    }

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
    let parts: Vec<PostPart> = args
        .texts
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
                time_zone: Some(args.time_zone.clone()),
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
                details: serde_json::json!({ "channels": args.channels, "at": at }),
            },
        )
        .await?;
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
