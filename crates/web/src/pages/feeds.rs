//! The feeds a workspace follows: RSS or Atom entries turned into posts to review, or queued.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use relais_core::audit::AuditEvent;
use relais_core::{ChannelId, FeedId, Permission};
use relais_publish::plan::time;
use relais_publisher::feeds::first_poll;
use relais_store::StoreError;
use relais_store::planning::{FeedMode, NewFeed};

use super::{Access, Chrome, PageForm, PageResult, enter_workspace, render_status};
use crate::context::{Ctx, see_other};
use crate::error::WebError;
use crate::state::AppState;

pub struct FeedRow {
    id: String,
    name: String,
    url: String,
    channels: String,
    mode: &'static str,
    polled: String,
    error: Option<String>,
}

pub struct ChannelBox {
    id: String,
    name: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "feeds.html")]
struct FeedsPage {
    c: Chrome,
    slug: String,
    can_manage: bool,
    feeds: Vec<FeedRow>,
    channels: Vec<ChannelBox>,
    form_name: String,
    form_url: String,
    form_queue: bool,
    notice: Option<String>,
    error: Option<String>,
}

/// What was typed, kept when refused.
#[derive(Default)]
struct Typed {
    name: String,
    url: String,
    channels: Vec<String>,
    queue: bool,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    access: &Access,
    status: StatusCode,
    typed: Typed,
    notice: Option<String>,
    error: Option<String>,
) -> PageResult {
    let m = ctx.m();
    let ws = &access.workspace;
    let channels = state.store.channels(ws.id).await?;
    let feeds = state
        .store
        .feeds(ws.id)
        .await?
        .into_iter()
        .map(|f| FeedRow {
            id: f.id.to_string(),
            channels: channels
                .iter()
                .filter(|c| f.channel_ids.contains(&c.id))
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            mode: match f.mode {
                FeedMode::Draft => m.plan.feed_mode_draft,
                FeedMode::Queue => m.plan.feed_mode_queue,
            },
            polled: f.last_polled_at.map_or_else(
                || m.plan.feed_never_polled.to_owned(),
                |t| time::show(t.millis(), "UTC") + " UTC",
            ),
            error: f.last_error,
            name: f.name,
            url: f.url,
        })
        .collect();
    let slug = ws.slug.to_string();
    render_status(
        status,
        &FeedsPage {
            c: Chrome::workspace(
                ctx,
                m.plan.feeds_title,
                &format!("/w/{slug}/publish/feeds"),
                ws,
                "publish",
            ),
            slug,
            can_manage: access.role.allows(Permission::ManageSettings),
            feeds,
            channels: channels
                .iter()
                .map(|c| ChannelBox {
                    id: c.id.to_string(),
                    checked: typed.channels.contains(&c.id.to_string()),
                    name: c.name.clone(),
                })
                .collect(),
            form_name: typed.name,
            form_url: typed.url,
            form_queue: typed.queue,
            notice,
            error,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    page(
        &state,
        &ctx,
        &access,
        StatusCode::OK,
        Typed::default(),
        None,
        None,
    )
    .await
}

/// The form has repeated `channel` fields, so it is read as pairs.
pub async fn add(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    PageForm(fields): PageForm<Vec<(String, String)>>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageSettings)?;
    let get = |k: &str| {
        fields
            .iter()
            .find(|(f, _)| f == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let typed = Typed {
        name: get("name"),
        url: get("url"),
        channels: fields
            .iter()
            .filter(|(f, _)| f == "channel")
            .map(|(_, v)| v.clone())
            .collect(),
        queue: get("mode") == "queue",
    };
    let refuse = |why: String, typed: Typed| {
        let (state, ctx, access) = (&state, &ctx, &access);
        async move {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            page(state, ctx, access, status, typed, None, Some(why)).await
        }
    };
    let url_ok = url::Url::parse(&typed.url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    let Some(url) = url_ok else {
        let why = format!(
            "`{}` is not a web address; write it as https://blog.example/feed.xml",
            typed.url
        );
        return refuse(why, typed).await;
    };
    let mut channel_ids = Vec::new();
    for raw in &typed.channels {
        let id: Option<ChannelId> = raw.parse().ok();
        match id {
            Some(id)
                if state
                    .store
                    .channel(access.workspace.id, id)
                    .await?
                    .is_some() =>
            {
                channel_ids.push(id);
            }
            _ => return Err(WebError::not_found()),
        }
    }
    if channel_ids.is_empty() {
        return refuse(
            "choose at least one channel for the feed's posts".into(),
            typed,
        )
        .await;
    }
    let name = if typed.name.is_empty() {
        url.host_str().unwrap_or_default().to_owned()
    } else {
        typed.name.chars().take(100).collect()
    };
    let id = FeedId::new();
    let event = AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(&ctx),
        action: "feed.create".into(),
        target: name.clone(),
        details: serde_json::json!({ "url": url.as_str(), "mode": if typed.queue { "queue" } else { "draft" } }),
    };
    let feed = NewFeed {
        id,
        workspace_id: access.workspace.id,
        name,
        url: url.to_string(),
        channel_ids,
        mode: if typed.queue {
            FeedMode::Queue
        } else {
            FeedMode::Draft
        },
        created_by: Some(access.user.id),
    };
    match state.store.create_feed(feed, event).await {
        Ok(_) => {}
        Err(e @ StoreError::Conflict(_)) => {
            let why = relais_core::DomainError::from(e).to_string();
            return refuse(why, typed).await;
        }
        Err(e) => return Err(e.into()),
    }
    state
        .store
        .enqueue_job(first_poll(access.workspace.id, id))
        .await?;
    let notice = Some(ctx.m().plan.feed_added.to_owned());
    page(
        &state,
        &ctx,
        &access,
        StatusCode::OK,
        Typed::default(),
        notice,
        None,
    )
    .await
}

pub async fn remove(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageSettings)?;
    let id: FeedId = id.parse().map_err(|_| WebError::not_found())?;
    let feed = state
        .store
        .feed(access.workspace.id, id)
        .await?
        .ok_or_else(WebError::not_found)?;
    let event = AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(&ctx),
        action: "feed.delete".into(),
        target: feed.name,
        details: serde_json::json!({ "url": feed.url }),
    };
    state
        .store
        .delete_feed(access.workspace.id, id, event)
        .await?;
    Ok(see_other(&format!(
        "/w/{}/publish/feeds",
        access.workspace.slug
    )))
}
