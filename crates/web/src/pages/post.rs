//! One post: its text, where it went (address, error, latest counts), and the team's comments
//! on it before it goes out.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use relais_core::audit::AuditEvent;
use relais_core::{Permission, PostId};
use relais_publish::plan::time;
use relais_store::planning::NewPostComment;
use relais_store::{Post, PostStatus};
use serde::Deserialize;

use super::{Access, Chrome, PageForm, PageResult, enter_workspace, render};
use crate::context::{Ctx, see_other};
use crate::error::WebError;
use crate::state::AppState;

/// A comment longer than this is refused (it is a note, not an article).
const MAX_COMMENT_CHARS: usize = 5_000;

pub struct TargetLine {
    channel: String,
    status_label: &'static str,
    url: Option<String>,
    error: Option<String>,
    counts: Option<String>,
    /// The channel's own text, part by part, when it does not take the post's.
    own_parts: Vec<String>,
}

pub struct CommentLine {
    author: String,
    when: String,
    body: String,
}

#[derive(Template)]
#[template(path = "post.html")]
struct PostPage {
    c: Chrome,
    slug: String,
    id: String,
    status: &'static str,
    status_label: &'static str,
    when: String,
    author: String,
    parts: Vec<String>,
    targets: Vec<TargetLine>,
    comments: Vec<CommentLine>,
    can_comment: bool,
    can_decide: bool,
    error: Option<String>,
    links: Vec<super::post_links::PostLinkLine>,
    brought: super::post_links::Brought,
}

async fn post_of(state: &AppState, access: &Access, id: &str) -> Result<Post, WebError> {
    let id: PostId = id.parse().map_err(|_| WebError::not_found())?;
    state
        .store
        .post(access.workspace.id, id)
        .await?
        .ok_or_else(WebError::not_found)
}

fn counts(sample: &relais_store::MetricsSample) -> String {
    [
        ("♥", sample.likes),
        ("⟳", sample.reposts),
        ("💬", sample.replies),
        ("👁", sample.views),
    ]
    .iter()
    .filter_map(|(sign, n)| n.map(|n| format!("{sign} {n}")))
    .collect::<Vec<_>>()
    .join(" · ")
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    access: &Access,
    post: Post,
    error: Option<String>,
) -> PageResult {
    let m = ctx.m();
    let ws = &access.workspace;
    let zone = post.time_zone.clone().unwrap_or_else(|| "UTC".into());
    let channels = state.store.channels(ws.id).await?;
    let mut targets = Vec::new();
    for t in state.store.targets_of(ws.id, post.id).await? {
        let latest = state.store.metrics_of(ws.id, t.id).await?.pop();
        targets.push(TargetLine {
            channel: channels
                .iter()
                .find(|c| c.id == t.channel_id)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            status_label: m.post_status(t.status.as_str()),
            url: t
                .url
                .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
            error: t.last_error,
            counts: latest.as_ref().map(counts).filter(|c| !c.is_empty()),
            own_parts: t
                .parts
                .unwrap_or_default()
                .into_iter()
                .map(|p| p.text)
                .collect(),
        });
    }
    let comments = state
        .store
        .post_comments(ws.id, post.id)
        .await?
        .into_iter()
        .map(|c| CommentLine {
            author: c.author_label,
            when: time::show(c.created_at.millis(), &zone),
            body: c.body,
        })
        .collect();
    let (links, brought) = super::post_links::of_post(state, access, post.id).await?;
    let slug = ws.slug.to_string();
    let id = post.id.to_string();
    render(&PostPage {
        c: Chrome::workspace(
            ctx,
            m.plan.post_title,
            &format!("/w/{slug}/publish/posts/{id}"),
            ws,
            "publish",
        ),
        slug,
        id,
        status: post.status.as_str(),
        status_label: m.post_status(post.status.as_str()),
        when: post
            .scheduled_at
            .map_or_else(|| m.post_now.to_owned(), |t| time::show(t.millis(), &zone)),
        author: post.author_label,
        parts: post.parts.into_iter().map(|p| p.text).collect(),
        targets,
        comments,
        can_comment: access.role.allows(Permission::WriteDrafts),
        can_decide: post.status == PostStatus::PendingApproval
            && access.role.allows(Permission::Approve),
        error,
        links,
        brought,
    })
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let post = post_of(&state, &access, &id).await?;
    page(&state, &ctx, &access, post, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CommentForm {
    body: String,
}

pub async fn comment(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
    PageForm(form): PageForm<CommentForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::WriteDrafts)?;
    let post = post_of(&state, &access, &id).await?;
    let body = form.body.trim();
    if body.is_empty() || body.chars().count() > MAX_COMMENT_CHARS {
        let why = if body.is_empty() {
            ctx.m().plan.comment_empty.to_owned()
        } else {
            format!("a comment has at most {MAX_COMMENT_CHARS} characters; shorten it")
        };
        let mut r = page(&state, &ctx, &access, post, Some(why)).await?;
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(r);
    }
    let event = AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(&ctx),
        action: "post.comment".into(),
        target: post.id.to_string(),
        details: serde_json::Value::Null,
    };
    state
        .store
        .add_post_comment(
            NewPostComment {
                workspace_id: access.workspace.id,
                post_id: post.id,
                author_id: Some(access.user.id),
                author_label: access.user.name.to_string(),
                body: body.to_owned(),
            },
            event,
        )
        .await?;
    Ok(see_other(&format!(
        "/w/{}/publish/posts/{}#comments",
        access.workspace.slug, post.id
    )))
}
