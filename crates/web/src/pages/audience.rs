//! The audience pages: a workspace's sites (and adding one), and each site's settings (the
//! snippet to paste, goals, deletion). The dashboard itself is in `audience_dashboard.rs`.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::Utc;
use relais_audience::site::{checked_domain, checked_goal};
use relais_core::audit::AuditEvent;
use relais_core::{GoalId, Permission, SiteId};
use relais_store::StoreError;
use relais_store::audience::{GoalKind, NewSite, Site};
use serde::Deserialize;

use super::{Access, Chrome, Done, PageForm, PageResult, enter_workspace, render, render_status};
use crate::context::{Ctx, see_other};
use crate::error::WebError;
use crate::state::AppState;

pub struct SiteRow {
    id: String,
    domain: String,
    online: u64,
}

#[derive(Template)]
#[template(path = "audience.html")]
struct SitesPage {
    c: Chrome,
    slug: String,
    can_manage: bool,
    sites: Vec<SiteRow>,
    form_domain: String,
    form_zone: String,
    zones: &'static [&'static str],
    error: Option<String>,
}

/// Zones offered first in the picker (any IANA name is accepted).
const ZONES: &[&str] = &[
    "Europe/Paris",
    "Europe/Brussels",
    "Europe/Zurich",
    "Europe/Luxembourg",
    "Europe/London",
    "America/Montreal",
    "America/New_York",
    "America/Los_Angeles",
    "Africa/Casablanca",
    "Africa/Dakar",
    "Indian/Reunion",
    "America/Guadeloupe",
    "Pacific/Noumea",
    "Asia/Tokyo",
    "UTC",
];

/// A site of the workspace, or 404 (another workspace's site does not exist here).
pub async fn site_of(state: &AppState, access: &Access, id: &str) -> Result<Site, WebError> {
    let id: SiteId = id.parse().map_err(|_| WebError::not_found())?;
    state
        .store
        .site(access.workspace.id, id)
        .await?
        .ok_or_else(WebError::not_found)
}

async fn sites_page(
    state: &AppState,
    ctx: &Ctx,
    access: &Access,
    status: StatusCode,
    typed: (String, String),
    error: Option<String>,
) -> PageResult {
    let m = ctx.m();
    let ws = &access.workspace;
    let mut sites = Vec::new();
    for site in state.store.sites(ws.id).await? {
        let online = match state.audience.get() {
            Some(ingest) => ingest
                .events()
                .current_visitors(&site.id.to_string(), Utc::now())
                .await
                .unwrap_or(0),
            None => 0,
        };
        sites.push(SiteRow {
            id: site.id.to_string(),
            domain: site.domain,
            online,
        });
    }
    let slug = ws.slug.to_string();
    render_status(
        status,
        &SitesPage {
            c: Chrome::workspace(
                ctx,
                m.aud.title,
                &format!("/w/{slug}/audience"),
                ws,
                "audience",
            ),
            slug,
            can_manage: access.role.allows(Permission::ManageSettings),
            sites,
            form_domain: typed.0,
            form_zone: if typed.1.is_empty() {
                "Europe/Paris".into()
            } else {
                typed.1
            },
            zones: ZONES,
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
    sites_page(
        &state,
        &ctx,
        &access,
        StatusCode::OK,
        Default::default(),
        None,
    )
    .await
}

#[derive(Deserialize)]
pub struct SiteForm {
    domain: String,
    time_zone: String,
}

pub async fn add(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    PageForm(form): PageForm<SiteForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageSettings)?;
    let m = ctx.m();
    let typed = (
        form.domain.trim().to_owned(),
        form.time_zone.trim().to_owned(),
    );
    let refuse = |why: String, typed| {
        let (state, ctx, access) = (&state, &ctx, &access);
        async move {
            sites_page(
                state,
                ctx,
                access,
                StatusCode::UNPROCESSABLE_ENTITY,
                typed,
                Some(why),
            )
            .await
        }
    };
    let Ok(domain) = checked_domain(&typed.0) else {
        return refuse(m.aud.bad_domain.replace("{domain}", &typed.0), typed).await;
    };
    if typed.1.parse::<chrono_tz::Tz>().is_err() {
        return refuse(m.aud.bad_zone.replace("{zone}", &typed.1), typed).await;
    }
    let site = NewSite {
        id: SiteId::new(),
        workspace_id: access.workspace.id,
        domain: domain.clone(),
        time_zone: typed.1.clone(),
        created_by: Some(access.user.id),
    };
    let event = AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(&ctx),
        action: "site.create".into(),
        target: domain,
        details: serde_json::json!({ "time_zone": typed.1 }),
    };
    match state.store.create_site(site, event).await {
        Ok(site) => {
            if let Some(ingest) = state.audience.get() {
                ingest.sites_changed().await;
            }
            Ok(see_other(&format!(
                "/w/{slug}/audience/{}/settings?done=added",
                site.id
            )))
        }
        Err(StoreError::Conflict(_)) => refuse(m.aud.site_taken.into(), typed).await,
        Err(e) => Err(e.into()),
    }
}

pub struct GoalRow {
    id: String,
    kind: &'static str,
    value: String,
}

pub struct FunnelRow {
    id: String,
    name: String,
    steps: String,
}

#[derive(Template)]
#[template(path = "audience_settings.html")]
struct SettingsPage {
    c: Chrome,
    slug: String,
    site_id: String,
    domain: String,
    script_url: String,
    event_url: String,
    can_manage: bool,
    goals: Vec<GoalRow>,
    funnels: Vec<FunnelRow>,
    notice: Option<&'static str>,
    error: Option<&'static str>,
}

/// How a goal is named in lists: `Visit /path` or the event's name.
fn goal_label(kind: GoalKind, value: &str) -> String {
    match kind {
        GoalKind::Page => format!("Visit {value}"),
        GoalKind::Event => value.to_owned(),
    }
}

async fn settings_page(
    state: &AppState,
    ctx: &Ctx,
    access: &Access,
    site: &Site,
    notice: Option<&'static str>,
    error: Option<&'static str>,
) -> PageResult {
    let m = ctx.m();
    let stored = state.store.goals(access.workspace.id, site.id).await?;
    let funnels = state
        .store
        .funnels(access.workspace.id, site.id)
        .await?
        .into_iter()
        .map(|f| FunnelRow {
            id: f.id.to_string(),
            name: f.name,
            steps: f
                .steps
                .iter()
                .filter_map(|id| stored.iter().find(|g| g.id == *id))
                .map(|g| goal_label(g.kind, &g.value))
                .collect::<Vec<_>>()
                .join(" → "),
        })
        .collect();
    let goals = stored
        .into_iter()
        .map(|g| GoalRow {
            id: g.id.to_string(),
            kind: match g.kind {
                GoalKind::Page => m.aud.goal_page,
                GoalKind::Event => m.aud.goal_event,
            },
            value: g.value,
        })
        .collect();
    let slug = access.workspace.slug.to_string();
    let base = &state.config.public_url;
    let page = SettingsPage {
        c: Chrome::workspace(
            ctx,
            &format!("{} · {}", site.domain, m.aud.settings),
            &format!("/w/{slug}/audience/{}/settings", site.id),
            &access.workspace,
            "audience",
        ),
        slug,
        site_id: site.id.to_string(),
        domain: site.domain.clone(),
        script_url: format!("{base}/js/script.js"),
        event_url: format!("{base}/api/event"),
        can_manage: access.role.allows(Permission::ManageSettings),
        goals,
        funnels,
        notice,
        error,
    };
    if error.is_some() {
        render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
    } else {
        render(&page)
    }
}

pub async fn settings(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, site)): Path<(String, String)>,
    Query(done): Query<Done>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let site = site_of(&state, &access, &site).await?;
    let m = ctx.m();
    let notice = match done.done.as_str() {
        "added" => Some(m.aud.site_added),
        "goal" => Some(m.aud.goal_added),
        "goal-removed" => Some(m.aud.goal_removed),
        "funnel" => Some(m.aud.funnel_added),
        "funnel-removed" => Some(m.aud.funnel_removed),
        _ => None,
    };
    settings_page(&state, &ctx, &access, &site, notice, None).await
}

#[derive(Deserialize)]
pub struct GoalForm {
    kind: String,
    value: String,
}

pub async fn add_goal(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, site)): Path<(String, String)>,
    PageForm(form): PageForm<GoalForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageSettings)?;
    let site = site_of(&state, &access, &site).await?;
    let kind = match form.kind.as_str() {
        "page" => GoalKind::Page,
        _ => GoalKind::Event,
    };
    let Some(value) = checked_goal(kind == GoalKind::Page, &form.value) else {
        return settings_page(
            &state,
            &ctx,
            &access,
            &site,
            None,
            Some(ctx.m().aud.bad_goal),
        )
        .await;
    };
    let event = AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(&ctx),
        action: "goal.add".into(),
        target: format!("{} {value}", site.domain),
        details: serde_json::json!({ "kind": kind.as_str() }),
    };
    state
        .store
        .add_goal(access.workspace.id, site.id, kind, &value, event)
        .await?
        .ok_or_else(WebError::not_found)?;
    Ok(see_other(&format!(
        "/w/{slug}/audience/{}/settings?done=goal",
        site.id
    )))
}

pub async fn remove_goal(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, site, goal)): Path<(String, String, String)>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageSettings)?;
    let site = site_of(&state, &access, &site).await?;
    let goal: GoalId = goal.parse().map_err(|_| WebError::not_found())?;
    let event = AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(&ctx),
        action: "goal.remove".into(),
        target: site.domain.clone(),
        details: serde_json::Value::Null,
    };
    if !state
        .store
        .delete_goal(access.workspace.id, site.id, goal, event)
        .await?
    {
        return Err(WebError::not_found());
    }
    Ok(see_other(&format!(
        "/w/{slug}/audience/{}/settings?done=goal-removed",
        site.id
    )))
}

pub async fn delete_site(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, site)): Path<(String, String)>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageSettings)?;
    let site = site_of(&state, &access, &site).await?;
    let event = AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(&ctx),
        action: "site.delete".into(),
        target: site.domain.clone(),
        details: serde_json::Value::Null,
    };
    state
        .store
        .delete_site(access.workspace.id, site.id, event)
        .await?;
    if let Some(ingest) = state.audience.get() {
        ingest.sites_changed().await;
    }
    Ok(see_other(&format!("/w/{slug}/audience")))
}

/// The funnel form: a name and up to eight steps (`step` fields, in order, empty ones skipped).
pub async fn add_funnel(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, site)): Path<(String, String)>,
    PageForm(fields): PageForm<Vec<(String, String)>>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageSettings)?;
    let site = site_of(&state, &access, &site).await?;
    let name: String = fields
        .iter()
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.trim().chars().take(100).collect())
        .unwrap_or_default();
    let steps: Vec<GoalId> = fields
        .iter()
        .filter(|(k, v)| k == "step" && !v.is_empty())
        .filter_map(|(_, v)| v.parse().ok())
        .take(8)
        .collect();
    let refuse = || {
        let (state, ctx, access, site) = (&state, &ctx, &access, &site);
        async move { settings_page(state, ctx, access, site, None, Some(ctx.m().aud.bad_funnel)).await }
    };
    if name.is_empty() || steps.len() < 2 {
        return refuse().await;
    }
    let event = AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(&ctx),
        action: "funnel.add".into(),
        target: format!("{} {name}", site.domain),
        details: serde_json::json!({ "steps": steps.len() }),
    };
    match state
        .store
        .add_funnel(access.workspace.id, site.id, &name, &steps, event)
        .await
    {
        Ok(Some(_)) => Ok(see_other(&format!(
            "/w/{slug}/audience/{}/settings?done=funnel",
            site.id
        ))),
        Ok(None) | Err(StoreError::Conflict(_)) => refuse().await,
        Err(e) => Err(e.into()),
    }
}

pub async fn remove_funnel(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, site, funnel)): Path<(String, String, String)>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageSettings)?;
    let site = site_of(&state, &access, &site).await?;
    let funnel: relais_core::FunnelId = funnel.parse().map_err(|_| WebError::not_found())?;
    let event = AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(&ctx),
        action: "funnel.remove".into(),
        target: site.domain.clone(),
        details: serde_json::Value::Null,
    };
    if !state
        .store
        .delete_funnel(access.workspace.id, site.id, funnel, event)
        .await?
    {
        return Err(WebError::not_found());
    }
    Ok(see_other(&format!(
        "/w/{slug}/audience/{}/settings?done=funnel-removed",
        site.id
    )))
}
