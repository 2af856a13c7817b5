//! Tracked links of a workspace: making them (target, campaign tags, custom or random slug,
//! expiry, password), their clicks (over time, by source, country and device, robots apart),
//! their QR codes, and what campaigns cost.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{NaiveDate, Utc};
use relais_analytics::SiteInfo;
use relais_audience::links::{Campaign, build_target, check_slug, qr_png, qr_svg};
use relais_audience::query::{
    DateRange, Dimension, EventDimension, Include, Metric, Pagination, Query as StatsQuery,
    TimeGrain, VisitDimension,
};
use relais_core::audit::AuditEvent;
use relais_core::{LinkId, Permission, Timestamp};
use relais_store::StoreError;
use relais_store::audience::{Link, NewLink};
use serde::Deserialize;
use serde_json::Value;

use super::{Access, Chrome, Done, PageForm, PageResult, enter_workspace, render_status};
use crate::context::{Ctx, see_other};
use crate::error::WebError;
use crate::state::AppState;

pub struct LinkRow {
    id: String,
    short: String,
    target: String,
    title: String,
    clicks: u64,
    state: &'static str,
}

pub struct CostRow {
    campaign: String,
    cost: String,
}

#[derive(Default, Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    target: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    utm_source: String,
    #[serde(default)]
    utm_medium: String,
    #[serde(default)]
    utm_campaign: String,
    #[serde(default)]
    utm_content: String,
    #[serde(default)]
    utm_term: String,
    #[serde(default)]
    expires: String,
    #[serde(default)]
    password: String,
}

#[derive(Template)]
#[template(path = "links.html")]
struct LinksPage {
    c: Chrome,
    slug: String,
    can_write: bool,
    can_manage: bool,
    links: Vec<LinkRow>,
    costs: Vec<CostRow>,
    form: LinkForm,
    notice: Option<&'static str>,
    error: Option<String>,
}

/// A link's clicks are asked of the event store as a site's would be (under the link's id),
/// counted in UTC days.
fn link_site(link: &Link) -> SiteInfo {
    SiteInfo {
        id: link.id.to_string(),
        goals: Vec::new(),
        tz: chrono_tz::UTC,
        start: chrono::DateTime::from_timestamp_millis(link.created_at.millis())
            .unwrap_or_default()
            .date_naive(),
    }
}

fn clicks_query(dimensions: Vec<Dimension>, range: DateRange, people_only: bool) -> StatsQuery {
    use relais_audience::query::{Condition, Filter, Operator};
    StatsQuery {
        site_id: String::new(),
        metrics: vec![Metric::Events],
        date_range: range,
        dimensions,
        filter: people_only.then(|| {
            Filter::Condition(Condition {
                operator: Operator::Is,
                dimension: Dimension::Event(EventDimension::Name),
                clauses: vec!["click".into()],
                case_sensitive: true,
            })
        }),
        order_by: Vec::new(),
        include: Include {
            time_labels: true,
            ..Include::default()
        },
        pagination: Pagination {
            limit: 20,
            offset: 0,
        },
    }
}

fn count(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// `(people, robots)` clicks of a link since it was made.
async fn clicks_of(state: &AppState, link: &Link) -> (u64, u64) {
    let Some(ingest) = state.audience.get() else {
        return (0, 0);
    };
    let q = clicks_query(
        vec![Dimension::Event(EventDimension::Name)],
        DateRange::All,
        false,
    );
    let Ok(answer) = ingest
        .events()
        .answer(&link_site(link), &q, Utc::now())
        .await
    else {
        return (0, 0);
    };
    let of = |name: &str| {
        answer
            .results
            .iter()
            .find(|r| r.dimensions.first().map(String::as_str) == Some(name))
            .map_or(0, |r| count(&r.metrics[0]))
    };
    (of("click"), of("robot"))
}

async fn links_page(
    state: &AppState,
    ctx: &Ctx,
    access: &Access,
    status: StatusCode,
    form: LinkForm,
    notice: Option<&'static str>,
    error: Option<String>,
) -> PageResult {
    let m = ctx.m();
    let ws = &access.workspace;
    let now = Timestamp::now().millis();
    let mut links = Vec::new();
    for link in state.store.links(ws.id).await? {
        let (clicks, _) = clicks_of(state, &link).await;
        links.push(LinkRow {
            id: link.id.to_string(),
            short: format!("{}/l/{}", state.config.public_url, link.slug),
            state: if link.expires_at.is_some_and(|t| t.millis() <= now) {
                m.aud.expired
            } else if link.password_hash.is_some() {
                m.aud.protected
            } else {
                ""
            },
            title: link.title.unwrap_or_default(),
            target: link.target,
            clicks,
        });
    }
    let costs = state
        .store
        .campaign_costs(ws.id)
        .await?
        .into_iter()
        .map(|c| CostRow {
            cost: format!(
                "{}.{:02} {}",
                c.cost_cents / 100,
                c.cost_cents % 100,
                c.currency
            ),
            campaign: c.campaign,
        })
        .collect();
    let slug = ws.slug.to_string();
    render_status(
        status,
        &LinksPage {
            c: Chrome::workspace(
                ctx,
                m.aud.links,
                &format!("/w/{slug}/audience/links"),
                ws,
                "audience",
            ),
            slug,
            can_write: access.role.allows(Permission::WriteDrafts),
            can_manage: access.role.allows(Permission::ManageSettings),
            links,
            costs,
            form,
            notice,
            error,
        },
    )
}

/// The links page again, saying why what was sent was not taken (what was typed is kept).
async fn refuse(
    state: &AppState,
    ctx: &Ctx,
    access: &Access,
    form: LinkForm,
    why: String,
) -> PageResult {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    links_page(state, ctx, access, status, form, None, Some(why)).await
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(done): Query<Done>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let a = ctx.m().aud;
    let notice = match done.done.as_str() {
        "created" => Some(a.link_created),
        "deleted" => Some(a.link_deleted),
        "cost" => Some(a.cost_saved),
        _ => None,
    };
    links_page(
        &state,
        &ctx,
        &access,
        StatusCode::OK,
        LinkForm::default(),
        notice,
        None,
    )
    .await
}

fn optional(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.chars().take(200).collect())
}

pub async fn create(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    PageForm(form): PageForm<LinkForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::WriteDrafts)?;
    let a = ctx.m().aud;
    let campaign = Campaign {
        source: optional(&form.utm_source),
        medium: optional(&form.utm_medium),
        campaign: optional(&form.utm_campaign),
        content: optional(&form.utm_content),
        term: optional(&form.utm_term),
    };
    let target = match build_target(form.target.trim(), &campaign) {
        Ok(t) => t,
        Err(e) => {
            let why = e.to_string();
            return refuse(&state, &ctx, &access, form, why).await;
        }
    };
    let short = if form.slug.trim().is_empty() {
        super::post_links::random()?
    } else {
        match check_slug(&form.slug) {
            Ok(s) => s,
            Err(e) => {
                let why = e.to_string();
                return refuse(&state, &ctx, &access, form, why).await;
            }
        }
    };
    let expires_at = match form.expires.trim() {
        "" => None,
        day => match day.parse::<NaiveDate>() {
            Ok(d) if d > Utc::now().date_naive() => {
                let end = d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
                Some(Timestamp::from_millis(end.timestamp_millis()))
            }
            _ => {
                return refuse(&state, &ctx, &access, form, a.bad_expiry.into()).await;
            }
        },
    };
    let password_hash = match form.password.as_str() {
        "" => None,
        p => Some(
            crate::auth::password::hash(p.to_owned())
                .await
                .map_err(WebError::internal)?,
        ),
    };
    let link = NewLink {
        id: LinkId::new(),
        workspace_id: access.workspace.id,
        slug: short.clone(),
        target: target.to_string(),
        title: optional(&form.title),
        campaign: campaign.campaign.clone(),
        expires_at,
        password_hash,
        post_id: None,
        created_by: Some(access.user.id),
    };
    let event = AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(&ctx),
        action: "link.create".into(),
        target: short.clone(),
        details: serde_json::json!({ "target": target.as_str() }),
    };
    match state.store.create_link(link, event).await {
        Ok(_) => {
            state.links.forget(&short);
            Ok(see_other(&format!("/w/{slug}/audience/links?done=created")))
        }
        Err(e @ StoreError::Conflict(_)) => {
            let why = relais_core::DomainError::from(e).to_string();
            refuse(&state, &ctx, &access, form, why).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn link_of(state: &AppState, access: &Access, id: &str) -> Result<Link, WebError> {
    let id: LinkId = id.parse().map_err(|_| WebError::not_found())?;
    state
        .store
        .link(access.workspace.id, id)
        .await?
        .ok_or_else(WebError::not_found)
}

pub struct Share {
    label: String,
    clicks: u64,
}

pub struct Day {
    label: String,
    clicks: u64,
    height: u64,
    x: u64,
}

#[derive(Template)]
#[template(path = "link.html")]
struct LinkPage {
    c: Chrome,
    slug: String,
    id: String,
    short: String,
    target: String,
    title: String,
    clicks: u64,
    robots: u64,
    days: Vec<Day>,
    sources: Vec<Share>,
    countries: Vec<Share>,
    devices: Vec<Share>,
    can_delete: bool,
}

pub async fn detail(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let link = link_of(&state, &access, &id).await?;
    let (clicks, robots) = clicks_of(&state, &link).await;
    let site = link_site(&link);
    let mut days = Vec::new();
    let mut shares: [Vec<Share>; 3] = Default::default();
    if let Some(ingest) = state.audience.get() {
        let events = ingest.events();
        let q = clicks_query(
            vec![Dimension::Time(TimeGrain::Day)],
            DateRange::LastDays(30),
            true,
        );
        let mut q = q;
        q.pagination.limit = 100;
        if let Ok(answer) = events.answer(&site, &q, Utc::now()).await {
            let labels = answer.time_labels.clone().unwrap_or_default();
            let by: std::collections::HashMap<&str, u64> = answer
                .results
                .iter()
                .filter_map(|r| Some((r.dimensions.first()?.as_str(), count(&r.metrics[0]))))
                .collect();
            let top = by.values().copied().max().unwrap_or(0).max(1);
            days = labels
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let n = by.get(l.as_str()).copied().unwrap_or(0);
                    Day {
                        label: l.clone(),
                        clicks: n,
                        height: (n * 80).div_ceil(top),
                        x: i as u64 * 12,
                    }
                })
                .collect();
        }
        let dims = [
            VisitDimension::Source,
            VisitDimension::Country,
            VisitDimension::Device,
        ];
        for (slot, dimension) in dims.into_iter().enumerate() {
            let q = clicks_query(vec![Dimension::Visit(dimension)], DateRange::All, true);
            if let Ok(answer) = events.answer(&site, &q, Utc::now()).await {
                shares[slot] = answer
                    .results
                    .iter()
                    .map(|r| Share {
                        label: r.dimensions.first().cloned().unwrap_or_default(),
                        clicks: count(&r.metrics[0]),
                    })
                    .collect();
            }
        }
    }
    let [sources, countries, devices] = shares;
    render_status(
        StatusCode::OK,
        &LinkPage {
            c: Chrome::workspace(
                &ctx,
                &link.slug,
                &format!("/w/{slug}/audience/links/{id}"),
                &access.workspace,
                "audience",
            ),
            slug,
            id,
            short: format!("{}/l/{}", state.config.public_url, link.slug),
            target: link.target.clone(),
            title: link.title.clone().unwrap_or_default(),
            clicks,
            robots,
            days,
            sources,
            countries,
            devices,
            can_delete: access.role.allows(Permission::Publish),
        },
    )
}

pub async fn qr(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id, file)): Path<(String, String, String)>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let link = link_of(&state, &access, &id).await?;
    let short = format!("{}/l/{}", state.config.public_url, link.slug);
    let name = format!(
        "attachment; filename=\"{}-qr.{}\"",
        link.slug,
        if file == "qr.png" { "png" } else { "svg" }
    );
    match file.as_str() {
        "qr.svg" => {
            let svg = qr_svg(&short).map_err(WebError::internal)?;
            Ok((
                [
                    (header::CONTENT_TYPE, "image/svg+xml".to_owned()),
                    (header::CONTENT_DISPOSITION, name),
                ],
                svg,
            )
                .into_response())
        }
        "qr.png" => {
            let png = qr_png(&short, 10).map_err(WebError::internal)?;
            Ok((
                [
                    (header::CONTENT_TYPE, "image/png".to_owned()),
                    (header::CONTENT_DISPOSITION, name),
                ],
                png,
            )
                .into_response())
        }
        _ => Err(WebError::not_found()),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Publish)?;
    let link = link_of(&state, &access, &id).await?;
    let event = AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(&ctx),
        action: "link.delete".into(),
        target: link.slug.clone(),
        details: serde_json::Value::Null,
    };
    state
        .store
        .delete_link(access.workspace.id, link.id, event)
        .await?;
    state.links.forget(&link.slug);
    Ok(see_other(&format!("/w/{slug}/audience/links?done=deleted")))
}

#[derive(Deserialize)]
pub struct CostForm {
    campaign: String,
    cost: String,
    currency: String,
}

pub async fn set_cost(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    PageForm(form): PageForm<CostForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageSettings)?;
    let campaign = form.campaign.trim();
    let currency = form.currency.trim().to_ascii_uppercase();
    let cents = parse_cents(&form.cost);
    let valid = !campaign.is_empty()
        && campaign.chars().count() <= 200
        && currency.len() == 3
        && currency.bytes().all(|b| b.is_ascii_uppercase());
    let (Some(cents), true) = (cents, valid) else {
        let why = ctx.m().aud.bad_cost.to_owned();
        return refuse(&state, &ctx, &access, LinkForm::default(), why).await;
    };
    let event = AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(&ctx),
        action: "campaign.cost".into(),
        target: campaign.to_owned(),
        details: serde_json::json!({ "cost_cents": cents, "currency": currency }),
    };
    state
        .store
        .set_campaign_cost(
            access.workspace.id,
            campaign,
            Some((cents, currency)),
            event,
        )
        .await?;
    Ok(see_other(&format!("/w/{slug}/audience/links?done=cost")))
}

/// `125.5`, `125,50`, `1 250` → cents; `None` for anything else or a negative amount.
pub fn parse_cents(raw: &str) -> Option<i64> {
    let cleaned: String = raw
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{202f}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let value: f64 = cleaned.parse().ok()?;
    (value.is_finite() && (0.0..1e12).contains(&value)).then(|| (value * 100.0).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::parse_cents;

    #[test]
    fn costs_are_read_as_people_write_them() {
        assert_eq!(parse_cents("125.5"), Some(12550));
        assert_eq!(parse_cents("125,50"), Some(12550));
        assert_eq!(parse_cents("1 250"), Some(125000));
        assert_eq!(parse_cents("-3"), None);
        assert_eq!(parse_cents("abc"), None);
        assert_eq!(parse_cents("NaN"), None);
    }
}
