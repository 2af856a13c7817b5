//! From what a person wrote to a queued post: check every part against every chosen channel's
//! rules, resolve the planned time, store the media, and create the post with its targets and
//! jobs (or, for a contributor, leave it waiting for approval). Used by `relais post`,
//! `relais schedule import` and the composer page alike, so they refuse the same things with the
//! same words.

use relais_core::audit::{Actor, AuditEvent};
use relais_core::{MediaId, PostId, TargetId, Timestamp, UserId};
use relais_publish::plan::repeat::{self, Every};
use relais_publish::plan::time::{self, TimeError};
use relais_publish::rules::{self, Draft, MediaInfo, MediaKind, Network};
use relais_store::planning::PostToMake;
use relais_store::{
    Channel, NewMedia, NewPost, NewTarget, PartMedia, Post, PostPart, PostStatus, PublishPlan,
    Store, Target, Workspace,
};

use crate::{PUBLISH_ATTEMPTS, PUBLISH_JOB};

/// An image given with the post.
#[derive(Clone, Debug)]
pub struct Upload {
    pub name: String,
    pub mime: &'static str,
    pub bytes: Vec<u8>,
    pub alt: Option<String>,
}

/// The media type of an image from its first bytes (never trusting a file name or a browser).
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
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

/// Why a post cannot go as it is, in both languages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub en: String,
    pub fr: String,
}

impl Refusal {
    fn same(text: String) -> Self {
        Self {
            fr: text.clone(),
            en: text,
        }
    }
}

fn time_refusal(e: &TimeError) -> Refusal {
    let fr = match e {
        TimeError::UnknownZone(z) => {
            format!("« {z} » n’est pas un fuseau horaire ; utilisez un nom IANA comme Europe/Paris")
        }
        TimeError::Unreadable(t) => {
            format!("« {t} » n’est pas une heure ; écrivez 2026-06-01 09:00")
        }
        TimeError::Skipped(t, z) => format!(
            "{t} n’existe pas en {z} : on avance les horloges cette nuit-là ; choisissez une autre heure"
        ),
        TimeError::Past(t) => format!(
            "{t} est passé ; choisissez une heure à venir, ou aucune pour publier tout de suite"
        ),
    };
    Refusal {
        en: e.to_string(),
        fr,
    }
}

/// What a person asks to publish.
#[derive(Clone, Debug)]
pub struct Compose {
    pub channels: Vec<String>,
    /// The parts (several make a thread).
    pub texts: Vec<String>,
    /// Images of the first part.
    pub images: Vec<Upload>,
    /// When, as written (`2026-06-01 09:00` in `time_zone`, or RFC 3339); `None` = now;
    /// `queue` = the next free slot of the channels' queues (see [`crate::queue`]).
    pub at: Option<String>,
    pub time_zone: String,
    /// Repeat the post: every day, week or month, this many times in all (the first included).
    pub repeat: Option<(Every, u32)>,
}

/// Who asks, and whether their post waits for an editor.
#[derive(Clone, Debug)]
pub struct Author {
    pub user_id: Option<UserId>,
    pub actor: Actor,
    pub needs_approval: bool,
}

/// The rules' verdict for these parts on these channels.
pub fn check(channels: &[Channel], texts: &[String], images: &[Upload]) -> Vec<Refusal> {
    let mut out = Vec::new();
    for c in channels {
        let Ok(network) = Network::parse(&c.network) else {
            out.push(Refusal::same(format!(
                "{}: Relais cannot publish on `{}`",
                c.name, c.network
            )));
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
            out.push(Refusal {
                en: format!("{}: {}", c.name, p.message_en),
                fr: format!("{} : {}", c.name, p.message_fr),
            });
        }
    }
    out
}

/// A post as submitted.
pub struct Submitted {
    pub post: Post,
    pub targets: Vec<Target>,
    pub channels: Vec<Channel>,
    pub run_at: Timestamp,
}

/// Checks and stores a post. Nothing is stored when it is refused.
pub async fn submit(
    store: &dyn Store,
    ws: &Workspace,
    author: &Author,
    mut compose: Compose,
) -> Result<Submitted, Vec<Refusal>> {
    let mut refused = Vec::new();
    let in_queue = compose.at.as_deref().is_some_and(crate::queue::means_queue);
    let mut at = match &compose.at {
        Some(_) if in_queue => None,
        Some(written) if !written.trim().is_empty() => {
            match time::resolve_future(written, &compose.time_zone, Timestamp::now().millis()) {
                Ok(t) => Some(t),
                Err(e) => {
                    refused.push(time_refusal(&e));
                    None
                }
            }
        }
        _ => {
            if let Err(e) = time::zone(&compose.time_zone) {
                refused.push(time_refusal(&e));
            }
            None
        }
    };
    if let Some((_, count)) = compose.repeat
        && !(2..=repeat::MAX_OCCURRENCES).contains(&count)
    {
        refused.push(Refusal {
            en: format!(
                "a post repeats 2 to {} times; change the count",
                repeat::MAX_OCCURRENCES
            ),
            fr: format!(
                "une publication se répète de 2 à {} fois ; changez le nombre",
                repeat::MAX_OCCURRENCES
            ),
        });
    }
    if compose.channels.is_empty() {
        refused.push(Refusal {
            en: "choose at least one channel".into(),
            fr: "choisissez au moins un canal".into(),
        });
    }
    let mut channels = Vec::new();
    for name in &compose.channels {
        match store.channel_by_name(ws.id, name).await {
            Ok(Some(c)) => channels.push(c),
            Ok(None) => refused.push(Refusal {
                en: format!("no channel `{name}` in {}; list them with `relais channel list --workspace {}`", ws.slug, ws.slug),
                fr: format!("pas de canal « {name} » dans {}", ws.slug),
            }),
            Err(e) => refused.push(Refusal::same(format!("the database failed: {e}"))),
        }
    }
    refused.extend(check(&channels, &compose.texts, &compose.images));
    if in_queue && refused.is_empty() {
        match crate::queue::next_slot(store, ws, &channels, Timestamp::now().millis()).await {
            Ok(Some((slot, zone))) => {
                at = Some(slot);
                compose.time_zone = zone;
            }
            Ok(None) => refused.push(Refusal {
                en: "no free slot in the queue of the channels chosen; add times to their queue (Channels → Queue) or give a time".into(),
                fr: "aucun créneau libre dans la file des canaux choisis ; ajoutez des horaires à leur file (Canaux → File) ou donnez une heure".into(),
            }),
            Err(e) => refused.push(Refusal::same(format!("the database failed: {e}"))),
        }
    }
    if !refused.is_empty() {
        return Err(refused);
    }
    store_post(store, ws, author, channels, compose, at)
        .await
        .map_err(|e| vec![Refusal::same(format!("the database failed: {e}"))])
}

async fn store_post(
    store: &dyn Store,
    ws: &Workspace,
    author: &Author,
    channels: Vec<Channel>,
    compose: Compose,
    at: Option<i64>,
) -> Result<Submitted, relais_store::StoreError> {
    let event = |action: &str, target: String, details: serde_json::Value| AuditEvent {
        workspace_id: Some(ws.id),
        actor: author.actor.clone(),
        action: action.into(),
        target,
        details,
    };
    let mut media = Vec::new();
    for img in compose.images {
        let m = store
            .create_media(
                NewMedia {
                    id: MediaId::new(),
                    workspace_id: ws.id,
                    file_name: img.name.clone(),
                    mime: img.mime.to_owned(),
                    alt: img.alt.clone(),
                    content: img.bytes,
                    created_by: author.user_id,
                },
                event("media.create", img.name, serde_json::Value::Null),
            )
            .await?;
        media.push(PartMedia {
            id: m.id,
            alt: img.alt,
        });
    }
    let parts: Vec<PostPart> = compose
        .texts
        .iter()
        .enumerate()
        .map(|(i, t)| PostPart {
            text: t.clone(),
            media: if i == 0 { media.clone() } else { Vec::new() },
        })
        .collect();
    let run_at = at
        .map(Timestamp::from_millis)
        .unwrap_or_else(Timestamp::now);
    let names: Vec<&str> = channels.iter().map(|c| c.name.as_str()).collect();
    // Every occurrence of a recurring post is planned now, as a post of its own.
    let times: Vec<Option<i64>> = match compose.repeat {
        Some((every, count)) => match time::zone(&compose.time_zone) {
            Ok(zone) => repeat::occurrences(run_at.millis(), zone, every, count)
                .unwrap_or_default()
                .into_iter()
                .map(Some)
                .collect(),
            Err(_) => vec![at],
        },
        None => vec![at],
    };
    let mut made = Vec::new();
    for (n, when) in times.iter().enumerate() {
        let post_id = PostId::new();
        let due = when.map(Timestamp::from_millis).unwrap_or(run_at);
        let (status, plan) = if author.needs_approval {
            (PostStatus::PendingApproval, None)
        } else {
            (PostStatus::Scheduled, Some(publish_plan(due)))
        };
        made.push(PostToMake {
            post: NewPost {
                id: post_id,
                workspace_id: ws.id,
                author_id: author.user_id,
                author_label: author.actor.label.clone(),
                status,
                parts: parts.clone(),
                scheduled_at: when.map(Timestamp::from_millis),
                time_zone: Some(compose.time_zone.clone()),
            },
            targets: channels
                .iter()
                .map(|c| NewTarget {
                    id: TargetId::new(),
                    channel_id: c.id,
                    parts: None,
                })
                .collect(),
            plan,
            audit: event(
                "post.create",
                post_id.to_string(),
                serde_json::json!({
                    "channels": names, "at": when, "status": status.as_str(),
                    "occurrence": (times.len() > 1).then_some(n + 1),
                }),
            ),
        });
    }
    // The first occurrence stands for the series.
    let (post, targets) = store
        .create_posts(made)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            relais_store::StoreError::Database("no occurrence of the post could be planned".into())
        })?;
    Ok(Submitted {
        post,
        targets,
        channels,
        run_at,
    })
}

/// The jobs of a post that may go: one per target, due at `run_at`.
pub fn publish_plan(run_at: Timestamp) -> PublishPlan {
    PublishPlan {
        job_kind: PUBLISH_JOB.into(),
        run_at,
        max_attempts: PUBLISH_ATTEMPTS,
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

    #[test]
    fn time_refusals_speak_both_languages() {
        let r = time_refusal(&TimeError::Past("2020-01-01 09:00".into()));
        assert!(r.en.contains("in the past") && r.fr.contains("est passé"));
    }
}
