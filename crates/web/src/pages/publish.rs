//! The Publish page: the composer (with live per-network checks), the posts and where they
//! went, and the editors' approval of contributors' posts.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use relais_core::audit::AuditEvent;
use relais_core::{MediaId, Permission, PostId, Timestamp};
use relais_publish::plan::repeat::Every;
use relais_publish::plan::{import::split_thread, time};
use relais_publish::rules::{self, Network};
use relais_publisher::compose::{self, Author, Compose};
use relais_store::PartMedia;
use serde::Deserialize;

use super::fields::PageFields;
use super::library::MediaRow;
use super::{Access, Chrome, Done, PageResult, enter_workspace, render};
use crate::context::{Ctx, see_other};
use crate::error::WebError;
use crate::i18n::Lang;
use crate::state::AppState;

pub struct ChannelChoice {
    name: String,
    network: String,
    checked: bool,
    /// This channel's own text, when it has one.
    variant: String,
}

/// A file of the library the composer offers, ticked or not.
pub struct MediaChoice {
    row: MediaRow,
    checked: bool,
}

/// How many of the library's newest files the composer offers.
const OFFERED_MEDIA: u32 = 24;

pub struct TargetRow {
    channel: String,
    status_label: &'static str,
    url: Option<String>,
    error: Option<String>,
}

pub struct PostRow {
    id: String,
    text: String,
    parts: usize,
    author: String,
    when: String,
    status: &'static str,
    status_label: &'static str,
    targets: Vec<TargetRow>,
    can_decide: bool,
}

#[derive(Template)]
#[template(path = "publish.html")]
struct PublishPage {
    c: Chrome,
    slug: String,
    can_write: bool,
    needs_approval: bool,
    channels: Vec<ChannelChoice>,
    posts: Vec<PostRow>,
    notice: Option<String>,
    refusals: Vec<String>,
    text: String,
    first_comment: String,
    media: Vec<MediaChoice>,
    repeat: String,
    repeat_count: String,
    at: String,
    time_zone: String,
    can_link: bool,
    calendar_link: Option<String>,
}

/// What was typed, kept when the post is refused so nothing has to be typed again.
#[derive(Default)]
struct Typed {
    channels: Vec<String>,
    text: String,
    /// (channel, its own text)
    variants: Vec<(String, String)>,
    first_comment: String,
    /// Library files ticked (uploads included: they join the library first).
    media: Vec<MediaId>,
    repeat: String,
    repeat_count: String,
    at: String,
    time_zone: String,
    calendar_link: Option<String>,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    access: &Access,
    notice: Option<String>,
    refusals: Vec<String>,
    typed: Typed,
) -> PageResult {
    let m = ctx.m();
    let ws = &access.workspace;
    let channels = state.store.channels(ws.id).await?;
    let names: std::collections::HashMap<_, _> =
        channels.iter().map(|c| (c.id, c.name.clone())).collect();
    let mut posts = Vec::new();
    for p in state.store.posts(ws.id, 50).await? {
        let zone = p.time_zone.clone().unwrap_or_else(|| "UTC".into());
        let targets = state
            .store
            .targets_of(ws.id, p.id)
            .await?
            .into_iter()
            .map(|t| TargetRow {
                channel: names.get(&t.channel_id).cloned().unwrap_or_default(),
                status_label: m.post_status(t.status.as_str()),
                url: t
                    .url
                    .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
                error: t.last_error,
            })
            .collect();
        posts.push(PostRow {
            id: p.id.to_string(),
            text: p.parts.first().map(|x| x.text.clone()).unwrap_or_default(),
            parts: p.parts.len(),
            author: p.author_label.clone(),
            when: p
                .scheduled_at
                .map_or_else(|| m.post_now.to_owned(), |t| time::show(t.millis(), &zone)),
            status: p.status.as_str(),
            status_label: m.post_status(p.status.as_str()),
            targets,
            can_decide: p.status == relais_store::PostStatus::PendingApproval
                && access.role.allows(Permission::Approve),
        });
    }
    // The ticked files first (they may be older than the newest offered), then the newest.
    let mut offered = state.store.media_infos(ws.id, &typed.media).await?;
    for m in state.store.media_list(ws.id, OFFERED_MEDIA).await? {
        if !offered.iter().any(|o| o.id == m.id) {
            offered.push(m);
        }
    }
    let media = offered
        .iter()
        .map(|m| MediaChoice {
            row: MediaRow::of(m),
            checked: typed.media.contains(&m.id),
        })
        .collect();
    let slug = ws.slug.to_string();
    render(&PublishPage {
        c: Chrome::workspace(
            ctx,
            m.nav_publish,
            &format!("/w/{slug}/publish"),
            ws,
            "publish",
        ),
        slug,
        can_write: access.role.allows(Permission::WriteDrafts),
        needs_approval: !access.role.allows(Permission::Publish),
        channels: channels
            .iter()
            .map(|c| ChannelChoice {
                name: c.name.clone(),
                network: c.network.clone(),
                checked: typed.channels.contains(&c.name),
                variant: typed
                    .variants
                    .iter()
                    .find(|(name, _)| *name == c.name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default(),
            })
            .collect(),
        posts,
        notice,
        refusals,
        text: typed.text,
        first_comment: typed.first_comment,
        media,
        repeat: typed.repeat,
        repeat_count: if typed.repeat_count.is_empty() {
            "4".into()
        } else {
            typed.repeat_count
        },
        at: typed.at,
        time_zone: if typed.time_zone.is_empty() {
            "Europe/Paris".into()
        } else {
            typed.time_zone
        },
        can_link: access.role.allows(Permission::ManageTokens),
        calendar_link: typed.calendar_link,
    })
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(done): Query<Done>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let m = ctx.m();
    let notice = match done.done.as_str() {
        "queued" => Some(m.compose_queued.to_owned()),
        "pending" => Some(m.compose_pending.to_owned()),
        _ => None,
    };
    page(&state, &ctx, &access, notice, Vec::new(), Typed::default()).await
}

/// The composer's form (multipart when files come with it; `channel` and `media` repeat).
/// New files join the library before the post is checked, so that a refused post keeps them
/// ticked and nothing has to be sent again.
pub async fn submit(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    form: PageFields,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::WriteDrafts)?;
    let mut refusals = Vec::new();
    let mut typed = Typed {
        channels: form.all("channel"),
        text: form.get("text"),
        variants: form
            .texts
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("variant:")?.to_owned(), v.clone())))
            .filter(|(_, v)| !v.trim().is_empty())
            .collect(),
        first_comment: form.get("first_comment"),
        media: Vec::new(),
        repeat: form.get("repeat"),
        repeat_count: form.get("repeat_count"),
        // "Next free slot" wins over a typed time.
        at: if form.get("queue").is_empty() {
            form.get("at")
        } else {
            relais_publisher::queue::IN_QUEUE.to_owned()
        },
        time_zone: form.get("time_zone"),
        calendar_link: None,
    };
    for id in form.all("media") {
        match id.parse::<MediaId>() {
            Ok(id) if !typed.media.contains(&id) => typed.media.push(id),
            Ok(_) => {}
            Err(_) => refusals.push(if ctx.lang == Lang::Fr {
                format!("« {id} » ne désigne aucun fichier de la médiathèque ; rechargez la page")
            } else {
                format!("`{id}` names no file of the library; reload the page")
            }),
        }
    }
    let uploader = Author {
        user_id: Some(access.user.id),
        actor: access.actor(&ctx),
        needs_approval: false,
    };
    match super::library::uploads(&ctx, &form, "upload", "upload_alt") {
        Ok(files) => {
            for file in files {
                let m = compose::add_to_library(
                    state.store.as_ref(),
                    &access.workspace,
                    &uploader,
                    file,
                )
                .await?;
                typed.media.push(m.id);
            }
        }
        Err(why) => refusals.push(why),
    }
    let repeat = match (typed.repeat.trim(), typed.repeat_count.trim()) {
        ("" | "never", _) => None,
        (every, count) => match (Every::parse(every), count.parse::<u32>()) {
            (Ok(every), Ok(count)) => Some((every, count)),
            _ => {
                refusals.push(if ctx.lang == Lang::Fr {
                    "une répétition demande « chaque jour », « chaque semaine » ou « chaque mois » et un nombre de fois de 2 à 52".into()
                } else {
                    "a repetition needs every day, week or month and a number of times from 2 to 52".into()
                });
                None
            }
        },
    };
    if !refusals.is_empty() {
        let mut r = page(&state, &ctx, &access, None, refusals, typed).await?;
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(r);
    }
    let needs_approval = !access.role.allows(Permission::Publish);
    let author = Author {
        user_id: Some(access.user.id),
        actor: access.actor(&ctx),
        needs_approval,
    };
    let request = Compose {
        channels: typed.channels.clone(),
        texts: split_thread(&typed.text),
        library: typed
            .media
            .iter()
            .map(|id| PartMedia { id: *id, alt: None })
            .collect(),
        first_comment: Some(typed.first_comment.clone()).filter(|c| !c.trim().is_empty()),
        variants: typed
            .variants
            .iter()
            .map(|(name, text)| (name.clone(), split_thread(text)))
            .collect(),
        at: Some(typed.at.clone()).filter(|a| !a.trim().is_empty()),
        time_zone: if typed.time_zone.trim().is_empty() {
            "UTC".into()
        } else {
            typed.time_zone.trim().to_owned()
        },
        repeat,
        ..Compose::default()
    };
    let mut request = request;
    let tracking = if form.get("track_links") == "1" {
        let (variants, pending) = super::post_links::track(
            &state,
            &access,
            &request.channels,
            &request.texts,
            &request.variants,
        )
        .await?;
        request.variants = variants;
        Some(pending)
    } else {
        None
    };
    match compose::submit(state.store.as_ref(), &access.workspace, &author, request).await {
        Ok(submitted) => {
            if let Some(pending) = tracking {
                super::post_links::keep(&state, &ctx, &access, submitted.post.id, pending).await?;
            }
            if needs_approval {
                super::notify::approval_asked(
                    &state,
                    &access.workspace,
                    &submitted.post,
                    access.user.name.as_str(),
                )
                .await;
            }
            Ok(see_other(&format!(
                "/w/{}/publish?done={}",
                access.workspace.slug,
                if needs_approval { "pending" } else { "queued" }
            )))
        }
        Err(refusals) => {
            let words: Vec<String> = refusals
                .into_iter()
                .map(|r| if ctx.lang == Lang::Fr { r.fr } else { r.en })
                .collect();
            let mut r = page(&state, &ctx, &access, None, words, typed).await?;
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
    }
}

async fn decide(state: &AppState, ctx: &Ctx, slug: &str, id: &str, approve: bool) -> PageResult {
    let access = enter_workspace(state, ctx, slug).await?;
    access.require(Permission::Approve)?;
    let id: PostId = id.parse().map_err(|_| WebError::not_found())?;
    let post = state
        .store
        .post(access.workspace.id, id)
        .await?
        .ok_or_else(WebError::not_found)?;
    // A time that passed while the post waited means "now".
    let run_at = post
        .scheduled_at
        .filter(|t| *t > Timestamp::now())
        .unwrap_or_else(Timestamp::now);
    let event = AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(ctx),
        action: if approve {
            "post.approve"
        } else {
            "post.refuse"
        }
        .into(),
        target: id.to_string(),
        details: serde_json::json!({ "author": post.author_label }),
    };
    let plan = approve.then(|| compose::publish_plan(run_at));
    let decided = state
        .store
        .decide_post(access.workspace.id, id, plan, event)
        .await?;
    super::notify::decision(
        state,
        &access.workspace,
        &decided,
        approve,
        access.user.email.as_str(),
    )
    .await;
    Ok(see_other(&format!("/w/{}/publish", access.workspace.slug)))
}

pub async fn approve(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    decide(&state, &ctx, &slug, &id, true).await
}

pub async fn refuse(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    decide(&state, &ctx, &slug, &id, false).await
}

#[derive(Deserialize)]
pub struct CheckBody {
    #[serde(default)]
    channels: Vec<String>,
    #[serde(default)]
    text: String,
    #[serde(default)]
    first_comment: String,
    /// Channel name → its own text.
    #[serde(default)]
    variants: std::collections::BTreeMap<String, String>,
    /// Library files ticked.
    #[serde(default)]
    media: Vec<String>,
    /// Files chosen but not sent yet, as the browser describes them.
    #[serde(default)]
    uploads: Vec<DeclaredFile>,
}

#[derive(Deserialize)]
pub struct DeclaredFile {
    #[serde(default, rename = "type")]
    mime: String,
    #[serde(default)]
    size: u64,
}

fn check_refused() -> WebError {
    WebError::new(
        axum::http::StatusCode::BAD_REQUEST,
        relais_core::ErrorCode::InvalidInput,
        "send JSON: {\"channels\": [...], \"text\": \"...\"}",
    )
}

/// Live checks for the composer: how each chosen channel's network counts the text, what it
/// would refuse, and how the post would look there. Read-only; any member who may write may
/// ask. Files not sent yet are checked as the browser declares them (their bytes are checked
/// again when they arrive).
pub async fn check(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    body: Result<Json<CheckBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, WebError> {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::WriteDrafts)?;
    let Json(body) = body.map_err(|_| check_refused())?;
    let ids: Vec<MediaId> = body
        .media
        .iter()
        .take(50)
        .filter_map(|id| id.parse().ok())
        .collect();
    let mut media: Vec<relais_publish::MediaInfo> = body
        .uploads
        .iter()
        .take(50)
        .map(|f| relais_publish::MediaInfo::new(compose::kind_of(&f.mime), f.mime.clone(), f.size))
        .collect();
    for m in state.store.media_infos(access.workspace.id, &ids).await? {
        let info = relais_publish::MediaInfo::new(compose::kind_of(&m.mime), m.mime, m.size);
        media.push(match m.alt {
            Some(alt) => info.with_alt(alt),
            None => info,
        });
    }
    let request = Compose {
        texts: split_thread(&body.text),
        first_comment: Some(body.first_comment).filter(|c| !c.trim().is_empty()),
        variants: body
            .variants
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k.clone(), split_thread(v)))
            .collect(),
        ..Compose::default()
    };
    let mut out = Vec::new();
    for name in body.channels.iter().take(50) {
        let Some(channel) = state
            .store
            .channel_by_name(access.workspace.id, name)
            .await?
        else {
            continue;
        };
        let Ok(network) = Network::parse(&channel.network) else {
            continue;
        };
        let parts = compose::parts_for(&request, &channel.name);
        let longest = parts
            .iter()
            .map(|p| rules::count(network, p))
            .max_by_key(|c| c.used);
        let problems: Vec<String> = compose::check(std::slice::from_ref(&channel), &parts, &media)
            .into_iter()
            .map(|r| if ctx.lang == Lang::Fr { r.fr } else { r.en })
            .collect();
        let count = longest.unwrap_or_else(|| rules::count(network, ""));
        let preview: Vec<_> = parts
            .iter()
            .map(|p| relais_publish::preview::preview(network, p))
            .collect();
        out.push(serde_json::json!({
            "channel": channel.name,
            "network": network.as_str(),
            "used": count.used,
            "limit": count.limit,
            "over": count.is_over(),
            "problems": problems,
            "preview": preview,
            "media": media.len(),
        }));
    }
    Ok(Json(out).into_response())
}

/// Makes a read-only API token named "calendar" and shows the feed's address once.
pub async fn calendar_link(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageTokens)?;
    let token = crate::auth::secret::new_secret(crate::pages::tokens::TOKEN_PREFIX);
    state
        .store
        .create_api_token(
            relais_store::NewApiToken {
                workspace_id: access.workspace.id,
                name: "calendar".into(),
                role: relais_core::Role::Analyst,
                token_hash: crate::auth::secret::hash_secret(&token),
                created_by: Some(access.user.id),
            },
            AuditEvent {
                workspace_id: Some(access.workspace.id),
                actor: access.actor(&ctx),
                action: "token.create".into(),
                target: "calendar".into(),
                details: serde_json::json!({ "role": "analyst", "for": "calendar feed" }),
            },
        )
        .await?;
    let link = format!(
        "{}/api/v1/calendar.ics?token={token}",
        state.config.public_url.trim_end_matches('/')
    );
    page(
        &state,
        &ctx,
        &access,
        None,
        Vec::new(),
        Typed {
            calendar_link: Some(link),
            ..Typed::default()
        },
    )
    .await
}
