//! Workspace settings: the audit log, newest first, paged by id.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use relais_core::{AuditId, Permission};
use serde::Deserialize;

use super::{Chrome, PageResult, enter_workspace, render};
use crate::context::Ctx;
use crate::state::AppState;

const PAGE: u32 = 50;

pub struct AuditRow {
    at: String,
    who: String,
    action: String,
    target: String,
    details: String,
    origin: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    slug: String,
    tab: &'static str,
    can_tokens: bool,
    can_audit: bool,
    rows: Vec<AuditRow>,
    older: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Paging {
    before: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(paging): Query<Paging>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ViewAudit)?;
    let before = paging.before.and_then(|b| b.parse::<AuditId>().ok());
    let records = state
        .store
        .audit_log(Some(access.workspace.id), before, PAGE)
        .await?;
    let older = (records.len() == PAGE as usize)
        .then(|| records.last().map(|r| r.id.to_string()))
        .flatten();
    let rows = records
        .into_iter()
        .map(|r| AuditRow {
            at: r.at.to_rfc3339(),
            who: r.event.actor.label,
            action: r.event.action,
            target: r.event.target,
            details: if r.event.details.is_null() {
                String::new()
            } else {
                r.event.details.to_string()
            },
            origin: r.event.actor.origin,
        })
        .collect();
    let slug = access.workspace.slug.to_string();
    render(&AuditPage {
        c: Chrome::workspace(
            &ctx,
            ctx.m().audit_title,
            &format!("/w/{slug}/settings/audit"),
            &access.workspace,
            "settings",
        ),
        slug,
        tab: "audit",
        can_tokens: access.role.allows(Permission::ManageTokens),
        can_audit: true,
        rows,
        older,
    })
}
