//! The list of one's workspaces, creating one, a workspace's home and the capability pages.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{DisplayName, DomainError, Slug};
use serde::Deserialize;

use super::{
    Chrome, PageForm, PageResult, capabilities, enter_workspace, render, render_status,
    require_user,
};
use crate::context::{Ctx, see_other};
use crate::error::{WebError, status_for};
use crate::i18n::error_text;
use crate::state::AppState;

pub struct WorkspaceRow {
    slug: String,
    name: String,
    role: &'static str,
}

#[derive(Template)]
#[template(path = "workspaces.html")]
struct ListPage {
    c: Chrome,
    workspaces: Vec<WorkspaceRow>,
    can_create: bool,
    error: Option<String>,
    name: String,
    slug: String,
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    error: Option<String>,
    name: String,
    slug: String,
) -> Result<ListPage, WebError> {
    let user = require_user(ctx)?;
    let m = ctx.m();
    let workspaces = state
        .store
        .workspaces_of(user.id)
        .await?
        .into_iter()
        .map(|(w, role)| WorkspaceRow {
            slug: w.slug.to_string(),
            name: w.name,
            role: m.role(role),
        })
        .collect();
    Ok(ListPage {
        c: Chrome::new(ctx, m.workspaces_title, "/workspaces"),
        workspaces,
        can_create: user.is_instance_admin,
        error,
        name,
        slug,
    })
}

pub async fn list(State(state): State<AppState>, Extension(ctx): Extension<Ctx>) -> PageResult {
    render(&list_page(&state, &ctx, None, String::new(), String::new()).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CreateForm {
    name: String,
    slug: String,
}

pub async fn create(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    PageForm(form): PageForm<CreateForm>,
) -> PageResult {
    let user = require_user(&ctx)?.clone();
    if !user.is_instance_admin {
        return Err(WebError::forbidden());
    }
    let checked: Result<(Slug, DisplayName), DomainError> =
        Slug::parse(&form.slug).and_then(|s| Ok((s, DisplayName::parse(&form.name)?)));
    let result = match checked {
        Ok((slug, name)) => state
            .store
            .create_workspace(
                &slug,
                name.as_str(),
                Some(user.id),
                AuditEvent {
                    workspace_id: None,
                    actor: Actor {
                        user_id: Some(user.id),
                        label: user.email.to_string(),
                        origin: ctx.ip.clone(),
                    },
                    action: "workspace.create".into(),
                    target: slug.to_string(),
                    details: serde_json::json!({ "name": name.as_str() }),
                },
            )
            .await
            .map_err(DomainError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(w) => Ok(see_other(&format!("/w/{}", w.slug))),
        Err(e) => {
            let page = list_page(
                &state,
                &ctx,
                Some(error_text(ctx.lang, e.code, &e.message)),
                form.name.clone(),
                form.slug.clone(),
            )
            .await?;
            render_status(status_for(e.code), &page)
        }
    }
}

pub struct Card {
    href: String,
    label: &'static str,
    text: &'static str,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    name: String,
    role: &'static str,
    cards: Vec<Card>,
}

pub async fn home(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let m = ctx.m();
    let slug = access.workspace.slug.as_str();
    let cards = capabilities(m)
        .into_iter()
        .map(|(seg, label, text)| Card {
            href: format!("/w/{slug}/{seg}"),
            label,
            text,
        })
        .collect();
    render(&HomePage {
        c: Chrome::workspace(
            &ctx,
            &access.workspace.name,
            &format!("/w/{slug}"),
            &access.workspace,
            "",
        ),
        name: access.workspace.name.clone(),
        role: m.role(access.role),
        cards,
    })
}

#[derive(Template)]
#[template(path = "coming.html")]
struct ComingPage {
    c: Chrome,
    heading: &'static str,
    text: &'static str,
}

/// The place each capability will fill; its own crate replaces this route when it lands.
pub async fn capability(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, section)): Path<(String, String)>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let Some((seg, label, text)) = capabilities(ctx.m())
        .into_iter()
        .find(|(s, _, _)| *s == section)
    else {
        return Err(WebError::not_found());
    };
    render(&ComingPage {
        c: Chrome::workspace(
            &ctx,
            label,
            &format!("/w/{slug}/{seg}"),
            &access.workspace,
            seg,
        ),
        heading: label,
        text,
    })
}
