//! The Publish page: the composer (with live per-network checks), the posts and where they
//! went, and the editors' approval of contributors' posts.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use relais_core::audit::AuditEvent;
use relais_core::{Permission, PostId, Timestamp};
use relais_publish::plan::{import::split_thread, time};
use relais_publish::rules::{self, Network};
use relais_publisher::compose::{self, Author, Compose};
use serde::Deserialize;

use super::{Access, Chrome, PageForm, PageResult, enter_workspace, render};
use crate::context::{Ctx, see_other};
use crate::error::WebError;
use crate::i18n::Lang;
use crate::state::AppState;

pub struct ChannelChoice {
    name: String,
    network: String,
    checked: bool,
}

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
            })
            .collect(),
        posts,
        notice,
        refusals,
        text: typed.text,
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

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Done {
    done: String,
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

/// The composer's form: repeated `channel` fields, so it is read as pairs.
pub async fn submit(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    PageForm(fields): PageForm<Vec<(String, String)>>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::WriteDrafts)?;
    let get = |k: &str| {
        fields
            .iter()
            .find(|(f, _)| f == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let typed = Typed {
        channels: fields
            .iter()
            .filter(|(f, _)| f == "channel")
            .map(|(_, v)| v.clone())
            .collect(),
        text: get("text"),
        // "Next free slot" wins over a typed time.
        at: if get("queue").is_empty() {
            get("at")
        } else {
            relais_publisher::queue::IN_QUEUE.to_owned()
        },
        time_zone: get("time_zone"),
        calendar_link: None,
    };
    let needs_approval = !access.role.allows(Permission::Publish);
    let author = Author {
        user_id: Some(access.user.id),
        actor: access.actor(&ctx),
        needs_approval,
    };
    let request = Compose {
        channels: typed.channels.clone(),
        texts: split_thread(&typed.text),
        images: Vec::new(),
        at: Some(typed.at.clone()).filter(|a| !a.trim().is_empty()),
        time_zone: if typed.time_zone.trim().is_empty() {
            "UTC".into()
        } else {
            typed.time_zone.trim().to_owned()
        },
        repeat: None,
    };
    match compose::submit(state.store.as_ref(), &access.workspace, &author, request).await {
        Ok(submitted) => {
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
}

/// Live checks for the composer: how each chosen channel's network counts the text, and what
/// it would refuse. Read-only; any member who may write may ask.
pub async fn check(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    body: Result<Json<CheckBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, WebError> {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::WriteDrafts)?;
    let Json(body) = body.map_err(|_| {
        WebError::new(
            axum::http::StatusCode::BAD_REQUEST,
            relais_core::ErrorCode::InvalidInput,
            "send JSON: {\"channels\": [...], \"text\": \"...\"}",
        )
    })?;
    let parts = split_thread(&body.text);
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
        let longest = parts
            .iter()
            .map(|p| rules::count(network, p))
            .max_by_key(|c| c.used);
        let problems: Vec<String> = compose::check(std::slice::from_ref(&channel), &parts, &[])
            .into_iter()
            .map(|r| if ctx.lang == Lang::Fr { r.fr } else { r.en })
            .collect();
        let count = longest.unwrap_or_else(|| rules::count(network, ""));
        out.push(serde_json::json!({
            "channel": channel.name,
            "network": network.as_str(),
            "used": count.used,
            "limit": count.limit,
            "over": count.is_over(),
            "problems": problems,
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
