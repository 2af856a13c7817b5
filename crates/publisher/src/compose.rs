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

/// A file given with the post (an image or a video), added to the media library as it is queued.
#[derive(Clone, Debug)]
pub struct Upload {
    pub name: String,
    pub mime: &'static str,
    pub bytes: Vec<u8>,
    pub alt: Option<String>,
}

/// The type of an uploaded file from its first bytes (never trusting a file name or a browser).
pub use relais_media::sniff;

/// How the rules see a file of this type.
pub fn kind_of(mime: &str) -> MediaKind {
    if relais_media::is_video(mime) {
        MediaKind::Video
    } else if mime == "image/gif" {
        MediaKind::Gif
    } else {
        MediaKind::Image
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
#[derive(Clone, Debug, Default)]
pub struct Compose {
    pub channels: Vec<String>,
    /// The parts (several make a thread).
    pub texts: Vec<String>,
    /// Files of the first part, new to the library.
    pub images: Vec<Upload>,
    /// Files of the first part already in the library (after the new ones), each with the
    /// alternative text for this use (`None`: the library's).
    pub library: Vec<PartMedia>,
    /// A comment the brand adds under its own post as soon as it is out: a comment on
    /// LinkedIn, Facebook, Instagram and YouTube, a reply in the thread elsewhere.
    pub first_comment: Option<String>,
    /// A channel's own parts in place of `texts` (its media and first comment stay the same).
    pub variants: std::collections::BTreeMap<String, Vec<String>>,
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

/// How the rules see an uploaded file.
pub fn upload_info(upload: &Upload) -> MediaInfo {
    let info = MediaInfo::new(kind_of(upload.mime), upload.mime, upload.bytes.len() as u64);
    match &upload.alt {
        Some(alt) => info.with_alt(alt.clone()),
        None => info,
    }
}

/// The rules' verdict for these parts on these channels; `media` go with the first part.
pub fn check(channels: &[Channel], texts: &[String], media: &[MediaInfo]) -> Vec<Refusal> {
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
                    for info in media {
                        d = d.with_media(info.clone());
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
    let media = match media_infos(store, ws, &compose).await {
        Ok(m) => m,
        Err(r) => {
            refused.extend(r);
            Vec::new()
        }
    };
    for c in &channels {
        refused.extend(check(
            std::slice::from_ref(c),
            &parts_for(&compose, &c.name),
            &media,
        ));
    }
    for name in compose.variants.keys() {
        if !compose.channels.contains(name) {
            refused.push(Refusal {
                en: format!("a variant is written for `{name}`, which is not chosen; tick it or empty its variant"),
                fr: format!("une variante est écrite pour « {name} », qui n’est pas choisi ; cochez-le ou videz sa variante"),
            });
        }
    }
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

/// The texts a channel gets: its variant or the common parts, then the first comment.
pub fn parts_for(compose: &Compose, channel: &str) -> Vec<String> {
    let mut texts = compose
        .variants
        .get(channel)
        .filter(|v| !v.is_empty())
        .unwrap_or(&compose.texts)
        .clone();
    if let Some(comment) = compose
        .first_comment
        .as_ref()
        .filter(|c| !c.trim().is_empty())
    {
        texts.push(comment.clone());
    }
    texts
}

/// What the rules need to know of every file of the post: the new ones as uploaded, the
/// library's as stored (without reading their bytes).
async fn media_infos(
    store: &dyn Store,
    ws: &Workspace,
    compose: &Compose,
) -> Result<Vec<MediaInfo>, Vec<Refusal>> {
    let mut infos: Vec<MediaInfo> = compose.images.iter().map(upload_info).collect();
    if compose.library.is_empty() {
        return Ok(infos);
    }
    let ids: Vec<MediaId> = compose.library.iter().map(|m| m.id).collect();
    let found = store
        .media_infos(ws.id, &ids)
        .await
        .map_err(|e| vec![Refusal::same(format!("the database failed: {e}"))])?;
    let mut refused = Vec::new();
    for pick in &compose.library {
        match found.iter().find(|m| m.id == pick.id) {
            Some(m) => {
                let info = MediaInfo::new(kind_of(&m.mime), m.mime.clone(), m.size);
                infos.push(match pick.alt.clone().or_else(|| m.alt.clone()) {
                    Some(alt) => info.with_alt(alt),
                    None => info,
                });
            }
            None => refused.push(Refusal {
                en: format!("the media {} is no longer in the library; choose it again or upload it", pick.id),
                fr: format!("le média {} n’est plus dans la médiathèque ; choisissez-le à nouveau ou envoyez-le", pick.id),
            }),
        }
    }
    if refused.is_empty() {
        Ok(infos)
    } else {
        Err(refused)
    }
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
    for img in compose.images.clone() {
        let alt = img.alt.clone();
        let m = add_to_library(store, ws, author, img).await?;
        media.push(PartMedia { id: m.id, alt });
    }
    media.extend(compose.library.iter().cloned());
    let as_parts = |texts: Vec<String>| -> Vec<PostPart> {
        texts
            .into_iter()
            .enumerate()
            .map(|(i, text)| PostPart {
                text,
                media: if i == 0 { media.clone() } else { Vec::new() },
            })
            .collect()
    };
    let parts = as_parts(parts_for(&compose, ""));
    // A channel with its own text gets its parts on its target; the others read the post's.
    let target_parts: Vec<Option<Vec<PostPart>>> = channels
        .iter()
        .map(|c| {
            compose
                .variants
                .get(&c.name)
                .filter(|v| !v.is_empty() && **v != compose.texts)
                .map(|_| as_parts(parts_for(&compose, &c.name)))
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
                .zip(&target_parts)
                .map(|(c, own)| NewTarget {
                    id: TargetId::new(),
                    channel_id: c.id,
                    parts: own.clone(),
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

/// Adds a file to the workspace's media library with its thumbnail, recording who did.
pub async fn add_to_library(
    store: &dyn Store,
    ws: &Workspace,
    author: &Author,
    upload: Upload,
) -> Result<relais_store::Media, relais_store::StoreError> {
    let thumbnail = make_thumbnail(&upload).await;
    let audit = AuditEvent {
        workspace_id: Some(ws.id),
        actor: author.actor.clone(),
        action: "media.create".into(),
        target: upload.name.clone(),
        details: serde_json::json!({ "type": upload.mime, "bytes": upload.bytes.len() }),
    };
    store
        .create_media(
            NewMedia {
                id: MediaId::new(),
                workspace_id: ws.id,
                file_name: upload.name,
                mime: upload.mime.to_owned(),
                alt: upload.alt,
                content: upload.bytes,
                thumbnail,
                created_by: author.user_id,
            },
            audit,
        )
        .await
}

/// A thumbnail for the library, made off the async threads (decoding a photo takes a while);
/// `None` for a video or an image the decoder refuses (the file is kept all the same).
async fn make_thumbnail(upload: &Upload) -> Option<Vec<u8>> {
    if relais_media::is_video(upload.mime) {
        return None;
    }
    let bytes = upload.bytes.clone();
    match tokio::task::spawn_blocking(move || relais_media::thumbnail(&bytes)).await {
        Ok(Ok(thumb)) => Some(thumb),
        Ok(Err(e)) => {
            tracing::info!(file = %upload.name, "no thumbnail: {e}");
            None
        }
        Err(_) => None,
    }
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
    fn files_are_seen_by_the_rules_as_their_kind() {
        assert_eq!(kind_of("video/mp4"), MediaKind::Video);
        assert_eq!(kind_of("image/gif"), MediaKind::Gif);
        assert_eq!(kind_of("image/webp"), MediaKind::Image);
    }

    #[test]
    fn a_variant_replaces_the_text_and_keeps_the_first_comment() {
        let mut c = Compose {
            texts: vec!["common".into()],
            first_comment: Some("link in comment".into()),
            ..Compose::default()
        };
        c.variants
            .insert("li".into(), vec!["for LinkedIn".into(), "second".into()]);
        c.variants.insert("empty".into(), vec![]);
        assert_eq!(
            parts_for(&c, "li"),
            ["for LinkedIn", "second", "link in comment"]
        );
        assert_eq!(parts_for(&c, "other"), ["common", "link in comment"]);
        assert_eq!(parts_for(&c, "empty"), ["common", "link in comment"]);
        c.first_comment = Some("  ".into());
        assert_eq!(parts_for(&c, "other"), ["common"]);
    }

    #[test]
    fn time_refusals_speak_both_languages() {
        let r = time_refusal(&TimeError::Past("2020-01-01 09:00".into()));
        assert!(r.en.contains("in the past") && r.fr.contains("est passé"));
    }
}
