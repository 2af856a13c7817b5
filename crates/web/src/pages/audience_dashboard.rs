//! A site's dashboard: the period's totals beside the previous period's, visitors over time,
//! and the top sources, channels, campaigns, pages, countries and devices. Every row is a link
//! that filters the whole page on it; every table has a CSV export. Everything is asked of the
//! same engine as the Stats API, and rendered on the server (the graph is inline SVG).

use askama::Template;
use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::IntoResponse;
use chrono::{NaiveDate, Utc};
use relais_analytics::SiteInfo;
use relais_audience::engine::answer::{Answer, Row};
use relais_audience::query::parse::{dimension_by_name, dimension_name};
use relais_audience::query::{
    Condition, DateRange, Dimension, EventDimension, Filter, Include, Metric, Operator, Pagination,
    Query, TimeGrain, VisitDimension,
};
use std::collections::HashMap;

use serde_json::Value;

use super::audience::site_of;
use super::{Chrome, PageResult, enter_workspace, render};
use crate::context::Ctx;
use crate::error::WebError;
use crate::i18n::AudienceMsgs;
use crate::state::AppState;

/// What the page shows, as its address says: `?period=30d&compare=1&f=visit:source|Bluesky`.
#[derive(Debug, Clone, Default, PartialEq)]
struct View {
    period: String,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    compare: bool,
    filters: Vec<(Dimension, String)>,
}

const PERIODS: [&str; 8] = ["day", "7d", "30d", "month", "6mo", "12mo", "year", "all"];

impl View {
    fn read(raw: Option<&str>) -> View {
        let mut view = View {
            period: "30d".into(),
            ..View::default()
        };
        for (key, value) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            match key.as_ref() {
                "period" if PERIODS.contains(&value.as_ref()) || value == "custom" => {
                    view.period = value.into_owned();
                }
                "from" => view.from = value.parse().ok(),
                "to" => view.to = value.parse().ok(),
                "compare" => view.compare = value == "1",
                "f" if view.filters.len() < 10 => {
                    if let Some((name, clause)) = value.split_once('|')
                        && let Some(dimension) = dimension_by_name(name)
                        && !matches!(dimension, Dimension::Time(_))
                    {
                        view.filters.push((dimension, clause.to_owned()));
                    }
                }
                _ => {}
            }
        }
        if view.period == "custom" && (view.from.is_none() || view.to.is_none()) {
            view.period = "30d".into();
        }
        view
    }

    /// The address of this view (`None` = as it is; else with `edit` applied).
    fn href(&self, base: &str) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("period", &self.period);
        if self.period == "custom"
            && let (Some(from), Some(to)) = (self.from, self.to)
        {
            q.append_pair("from", &from.to_string());
            q.append_pair("to", &to.to_string());
        }
        if self.compare {
            q.append_pair("compare", "1");
        }
        for (dimension, clause) in &self.filters {
            q.append_pair("f", &format!("{}|{clause}", dimension_name(dimension)));
        }
        format!("{base}?{}", q.finish())
    }

    fn with_filter(&self, dimension: &Dimension, clause: &str) -> View {
        let mut next = self.clone();
        next.filters.retain(|(d, _)| d != dimension);
        next.filters.push((dimension.clone(), clause.to_owned()));
        next
    }

    fn without_filter(&self, index: usize) -> View {
        let mut next = self.clone();
        next.filters.remove(index);
        next
    }

    fn date_range(&self) -> DateRange {
        match (self.period.as_str(), self.from, self.to) {
            ("custom", Some(from), Some(to)) => DateRange::Dates(from.min(to), to.max(from)),
            ("day", ..) => DateRange::Today,
            ("7d", ..) => DateRange::LastDays(7),
            ("month", ..) => DateRange::ThisMonth,
            ("6mo", ..) => DateRange::LastMonths(6),
            ("12mo", ..) => DateRange::LastMonths(12),
            ("year", ..) => DateRange::ThisYear,
            ("all", ..) => DateRange::All,
            _ => DateRange::LastDays(30),
        }
    }

    fn filter(&self) -> Option<Filter> {
        let conditions: Vec<Filter> = self
            .filters
            .iter()
            .map(|(dimension, clause)| {
                Filter::Condition(Condition {
                    operator: Operator::Is,
                    dimension: dimension.clone(),
                    clauses: vec![clause.clone()],
                    case_sensitive: true,
                })
            })
            .collect();
        match conditions.len() {
            0 => None,
            1 => conditions.into_iter().next(),
            _ => Some(Filter::And(conditions)),
        }
    }

    fn query(&self, metrics: &[Metric], dimensions: Vec<Dimension>, limit: usize) -> Query {
        Query {
            site_id: String::new(),
            metrics: metrics.to_vec(),
            date_range: self.date_range(),
            dimensions,
            filter: self.filter(),
            order_by: Vec::new(),
            include: Include::default(),
            pagination: Pagination { limit, offset: 0 },
        }
    }
}

pub struct Figure {
    label: &'static str,
    value: String,
    change: Option<String>,
    /// Whether the change is good news (more visitors, fewer bounces).
    good: bool,
}

pub struct PanelRow {
    label: String,
    /// What the row cost, for campaigns with a known cost.
    note: String,
    visitors: u64,
    extra: String,
    href: String,
    /// Width of the bar behind the row, in percent of the panel's largest.
    bar: u64,
}

pub struct Panel {
    id: &'static str,
    title: &'static str,
    extra_title: &'static str,
    rows: Vec<PanelRow>,
    csv: String,
}

pub struct Bar {
    x: u64,
    height: u64,
    label: String,
    visitors: u64,
}

pub struct FunnelStep {
    label: String,
    visitors: u64,
    conversion: String,
    dropoff: u64,
    bar: u64,
}

pub struct FunnelView {
    name: String,
    steps: Vec<FunnelStep>,
}

pub struct ActiveFilter {
    label: String,
    remove: String,
}

pub struct PeriodLink {
    label: &'static str,
    href: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "audience_site.html")]
struct DashboardPage {
    c: Chrome,
    slug: String,
    site_id: String,
    domain: String,
    online: u64,
    periods: Vec<PeriodLink>,
    from: String,
    to: String,
    compare: bool,
    compare_href: String,
    filters: Vec<ActiveFilter>,
    figures: Vec<Figure>,
    bars: Vec<Bar>,
    graph_width: u64,
    graph_first: String,
    graph_last: String,
    panels: Vec<Panel>,
    funnels: Vec<FunnelView>,
}

/// The panels: (id, title, dimension, second column). Sources and pages are Plausible's order.
fn panel_specs(m: &'static AudienceMsgs) -> [(&'static str, &'static str, Dimension); 11] {
    use VisitDimension as V;
    [
        ("sources", m.sources, Dimension::Visit(V::Source)),
        ("channels", m.channels, Dimension::Visit(V::Channel)),
        ("campaigns", m.campaigns, Dimension::Visit(V::UtmCampaign)),
        ("pages", m.pages, Dimension::Event(EventDimension::Page)),
        ("entry-pages", m.entry_pages, Dimension::Visit(V::EntryPage)),
        ("exit-pages", m.exit_pages, Dimension::Visit(V::ExitPage)),
        ("countries", m.countries, Dimension::Visit(V::Country)),
        ("browsers", m.browsers, Dimension::Visit(V::Browser)),
        ("systems", m.systems, Dimension::Visit(V::Os)),
        ("devices", m.devices, Dimension::Visit(V::Device)),
        (
            "goals",
            m.conversion_rate,
            Dimension::Event(EventDimension::Goal),
        ),
    ]
}

/// The second column of a panel: page views for pages, conversion rate for goals, visits else.
fn extra_metric(dimension: &Dimension) -> Metric {
    match dimension {
        Dimension::Event(EventDimension::Page) => Metric::Pageviews,
        Dimension::Event(EventDimension::Goal) => Metric::ConversionRate,
        _ => Metric::Visits,
    }
}

async fn ask(state: &AppState, site: &SiteInfo, query: &Query) -> Result<Answer, WebError> {
    let Some(ingest) = state.audience.get() else {
        return Err(WebError::internal(
            "the audience's event store is not started",
        ));
    };
    ingest
        .events()
        .answer(site, query, Utc::now())
        .await
        .map_err(WebError::internal)
}

fn number(v: &Value) -> u64 {
    v.as_u64()
        .or_else(|| v.as_f64().map(|f| f.max(0.0).round() as u64))
        .unwrap_or(0)
}

fn show(v: &Value) -> String {
    match v {
        Value::Number(n) if n.is_f64() => format!("{:.1}", n.as_f64().unwrap_or(0.0)),
        Value::Number(n) => n.to_string(),
        _ => "—".into(),
    }
}

fn duration(seconds: u64) -> String {
    match seconds {
        s if s >= 3600 => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
        s if s >= 60 => format!("{}m {:02}s", s / 60, s % 60),
        s => format!("{s}s"),
    }
}

/// The member's access, the site of their workspace, and what the engine needs of it.
async fn open_site(
    state: &AppState,
    ctx: &Ctx,
    slug: &str,
    site: &str,
) -> Result<(super::Access, relais_store::audience::Site, SiteInfo), WebError> {
    let access = enter_workspace(state, ctx, slug).await?;
    let site = site_of(state, &access, site).await?;
    let info = crate::api::audience::site_info(state, &site)
        .await
        .map_err(|_| WebError::internal("cannot read the site's goals"))?;
    Ok((access, site, info))
}

pub async fn show_dashboard(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, site)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let (access, site, info) = open_site(&state, &ctx, &slug, &site).await?;
    let m = ctx.m();
    let a = m.aud;
    let view = View::read(raw.as_deref());
    let base = format!("/w/{slug}/audience/{}", site.id);

    // The period's totals, beside the previous period's when asked.
    let top = [
        Metric::Visitors,
        Metric::Visits,
        Metric::Pageviews,
        Metric::ViewsPerVisit,
        Metric::BounceRate,
        Metric::VisitDuration,
    ];
    let mut totals_query = view.query(&top, vec![], 1);
    totals_query.include.compare_previous_period = view.compare;
    let totals = ask(&state, &info, &totals_query).await?;
    let figures = figures(a, &top, totals.results.first());

    // Visitors over time.
    let mut graph_query = view.query(
        &[Metric::Visitors],
        vec![Dimension::Time(TimeGrain::Auto)],
        10_000,
    );
    graph_query.include.time_labels = true;
    let graph = ask(&state, &info, &graph_query).await?;
    let (bars, graph_width) = bars(&graph);

    let mut panels = Vec::new();
    for (id, title, dimension) in panel_specs(a) {
        if dimension == Dimension::Event(EventDimension::Goal) && info.goals.is_empty() {
            continue;
        }
        let extra = extra_metric(&dimension);
        let query = view.query(&[Metric::Visitors, extra], vec![dimension.clone()], 10);
        let answer = ask(&state, &info, &query).await?;
        let largest = answer
            .results
            .iter()
            .map(|r| number(&r.metrics[0]))
            .max()
            .unwrap_or(0)
            .max(1);
        let costs = if dimension == Dimension::Visit(VisitDimension::UtmCampaign) {
            campaign_costs(&state, &access.workspace, &info, &view, a).await?
        } else {
            HashMap::new()
        };
        let rows = answer
            .results
            .iter()
            .map(|r| {
                let label = r.dimensions.first().cloned().unwrap_or_default();
                let visitors = number(&r.metrics[0]);
                PanelRow {
                    note: costs.get(&label).cloned().unwrap_or_default(),
                    href: view.with_filter(&dimension, &label).href(&base),
                    extra: show(&r.metrics[1]),
                    bar: visitors * 100 / largest,
                    visitors,
                    label,
                }
            })
            .collect();
        let mut csv = view.clone();
        csv.compare = false;
        panels.push(Panel {
            id,
            title,
            extra_title: match extra {
                Metric::Pageviews => a.pageviews,
                Metric::ConversionRate => a.conversion_rate,
                _ => a.visits,
            },
            rows,
            csv: format!(
                "{}&dimension={}",
                csv.href(&format!("{base}/export.csv")),
                dimension_name(&dimension)
            ),
        });
    }

    let funnels = funnel_views(&state, &access, &site, &info, &view).await?;
    let online = match state.audience.get() {
        Some(ingest) => ingest
            .events()
            .current_visitors(&info.id, Utc::now())
            .await
            .unwrap_or(0),
        None => 0,
    };
    let period_labels = [
        a.period_day,
        a.period_7d,
        a.period_30d,
        a.period_month,
        a.period_6mo,
        a.period_12mo,
        a.period_year,
        a.period_all,
    ];
    let periods = PERIODS
        .iter()
        .zip(period_labels)
        .map(|(p, label)| {
            let mut v = view.clone();
            v.period = (*p).to_owned();
            PeriodLink {
                label,
                active: view.period == *p,
                href: v.href(&base),
            }
        })
        .collect();
    let mut toggled = view.clone();
    toggled.compare = !view.compare;
    let filters = view
        .filters
        .iter()
        .enumerate()
        .map(|(i, (d, clause))| ActiveFilter {
            label: format!("{} = {clause}", dimension_name(d)),
            remove: view.without_filter(i).href(&base),
        })
        .collect();
    render(&DashboardPage {
        c: Chrome::workspace(&ctx, &site.domain, &base, &access.workspace, "audience"),
        slug,
        site_id: site.id.to_string(),
        domain: site.domain.clone(),
        online,
        periods,
        from: totals.period.first_day.to_string(),
        to: totals.period.last_day.to_string(),
        compare: view.compare,
        compare_href: toggled.href(&base),
        filters,
        figures,
        graph_first: graph
            .time_labels
            .as_ref()
            .and_then(|l| l.first().cloned())
            .unwrap_or_default(),
        graph_last: graph
            .time_labels
            .as_ref()
            .and_then(|l| l.last().cloned())
            .unwrap_or_default(),
        bars,
        graph_width,
        panels,
        funnels,
    })
}

/// What each campaign's visit and conversion cost, for the campaigns whose cost is known: the
/// cost divided by the campaign's visits (and by its visitors who reached a goal) in the view.
async fn campaign_costs(
    state: &AppState,
    workspace: &relais_store::Workspace,
    info: &SiteInfo,
    view: &View,
    a: &'static AudienceMsgs,
) -> Result<HashMap<String, String>, WebError> {
    let costs = state.store.campaign_costs(workspace.id).await?;
    if costs.is_empty() {
        return Ok(HashMap::new());
    }
    let campaign = Dimension::Visit(VisitDimension::UtmCampaign);
    let visits = ask(
        state,
        info,
        &view.query(&[Metric::Visits], vec![campaign.clone()], 10_000),
    )
    .await?;
    let mut converted = HashMap::new();
    if !info.goals.is_empty() {
        let mut q = view.query(&[Metric::Visitors], vec![campaign], 10_000);
        let any_goal = Filter::Condition(Condition {
            operator: Operator::Is,
            dimension: Dimension::Event(EventDimension::Goal),
            clauses: info.goals.iter().map(|g| g.display_name()).collect(),
            case_sensitive: true,
        });
        q.filter = Some(match q.filter.take() {
            Some(f) => Filter::And(vec![f, any_goal]),
            None => any_goal,
        });
        for row in ask(state, info, &q).await?.results {
            converted.insert(
                row.dimensions.first().cloned().unwrap_or_default(),
                number(&row.metrics[0]),
            );
        }
    }
    let money = |cents: f64, currency: &str| format!("{:.2} {currency}", cents / 100.0);
    let mut out = HashMap::new();
    for row in visits.results {
        let name = row.dimensions.first().cloned().unwrap_or_default();
        let Some(cost) = costs.iter().find(|c| c.campaign == name) else {
            continue;
        };
        let n = number(&row.metrics[0]).max(1) as f64;
        let mut note = format!(
            "{} : {}",
            a.cost_per_visit,
            money(cost.cost_cents as f64 / n, &cost.currency)
        );
        if let Some(&c) = converted.get(&name).filter(|c| **c > 0) {
            let each = money(cost.cost_cents as f64 / c as f64, &cost.currency);
            note.push_str(&format!(" · {} : {each}", a.cost_per_conversion));
        }
        out.insert(name, note);
    }
    Ok(out)
}

/// Each funnel of the site, through the page's period and filters.
async fn funnel_views(
    state: &AppState,
    access: &super::Access,
    site: &relais_store::audience::Site,
    info: &SiteInfo,
    view: &View,
) -> Result<Vec<FunnelView>, WebError> {
    use relais_audience::engine::goal::Goal;
    use relais_store::audience::GoalKind;
    let Some(ingest) = state.audience.get() else {
        return Ok(Vec::new());
    };
    let goals = state.store.goals(access.workspace.id, site.id).await?;
    let mut out = Vec::new();
    for funnel in state.store.funnels(access.workspace.id, site.id).await? {
        let steps: Vec<Goal> = funnel
            .steps
            .iter()
            .filter_map(|id| goals.iter().find(|g| g.id == *id))
            .map(|g| match g.kind {
                GoalKind::Page => Goal::page(&g.value),
                GoalKind::Event => Goal::event(&g.value),
            })
            .collect();
        let figures = ingest
            .events()
            .funnel(
                info,
                &steps,
                &view.date_range(),
                view.filter().as_ref(),
                Utc::now(),
            )
            .await
            .map_err(WebError::internal)?;
        let top = figures.first().map_or(0, |s| s.visitors).max(1);
        out.push(FunnelView {
            name: funnel.name,
            steps: figures
                .into_iter()
                .map(|s| FunnelStep {
                    bar: s.visitors * 100 / top,
                    conversion: format!("{:.1}%", s.conversion),
                    label: s.label,
                    visitors: s.visitors,
                    dropoff: s.dropoff,
                })
                .collect(),
        });
    }
    Ok(out)
}

fn figures(a: &'static AudienceMsgs, top: &[Metric], row: Option<&Row>) -> Vec<Figure> {
    let labels = [
        a.visitors,
        a.visits,
        a.pageviews,
        a.views_per_visit,
        a.bounce_rate,
        a.visit_duration,
    ];
    top.iter()
        .zip(labels)
        .enumerate()
        .map(|(i, (metric, label))| {
            let value = row.map(|r| r.metrics[i].clone()).unwrap_or(Value::from(0));
            let shown = match metric {
                Metric::VisitDuration => duration(number(&value)),
                Metric::BounceRate => format!("{}%", number(&value)),
                _ => show(&value),
            };
            let change = row
                .and_then(|r| r.comparison.as_ref())
                .and_then(|c| c.change[i].as_f64());
            Figure {
                label,
                value: shown,
                good: change.is_some_and(|c| {
                    if *metric == Metric::BounceRate {
                        c <= 0.0
                    } else {
                        c >= 0.0
                    }
                }),
                change: change.map(|c| match metric {
                    Metric::BounceRate => format!("{c:+.0} pts"),
                    _ => format!("{c:+.0}%"),
                }),
            }
        })
        .collect()
}

/// One bar per time bucket, heights in pixels of a 120 px high graph.
fn bars(graph: &Answer) -> (Vec<Bar>, u64) {
    let labels = graph.time_labels.clone().unwrap_or_default();
    let by_label: std::collections::HashMap<&str, u64> = graph
        .results
        .iter()
        .filter_map(|r| Some((r.dimensions.first()?.as_str(), number(&r.metrics[0]))))
        .collect();
    let largest = by_label.values().copied().max().unwrap_or(0).max(1);
    let step = 12;
    let bars = labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let visitors = by_label.get(label.as_str()).copied().unwrap_or(0);
            Bar {
                x: i as u64 * step,
                height: (visitors * 120).div_ceil(largest),
                label: label.clone(),
                visitors,
            }
        })
        .collect();
    (bars, (labels.len() as u64 * step).max(step))
}

/// A table of the dashboard as CSV: the dimension asked, with every metric of its kind.
pub async fn export_csv(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, site)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let (_, site, info) = open_site(&state, &ctx, &slug, &site).await?;
    let view = View::read(raw.as_deref());
    let dimension = url::form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "dimension")
        .and_then(|(_, v)| dimension_by_name(&v))
        .ok_or_else(WebError::not_found)?;
    let metrics: Vec<Metric> = match &dimension {
        Dimension::Event(EventDimension::Goal) => {
            vec![Metric::Visitors, Metric::Events, Metric::ConversionRate]
        }
        Dimension::Event(_) => vec![Metric::Visitors, Metric::Pageviews, Metric::Events],
        _ => vec![
            Metric::Visitors,
            Metric::Visits,
            Metric::Pageviews,
            Metric::BounceRate,
            Metric::VisitDuration,
        ],
    };
    let answer = ask(
        &state,
        &info,
        &view.query(&metrics, vec![dimension.clone()], 10_000),
    )
    .await?;
    let mut csv = String::new();
    let header: Vec<String> = std::iter::once(dimension_name(&dimension))
        .chain(metrics.iter().map(|m| m.name().to_owned()))
        .collect();
    csv.push_str(&csv_line(&header));
    for row in &answer.results {
        let cells: Vec<String> = row
            .dimensions
            .iter()
            .cloned()
            .chain(row.metrics.iter().map(|v| match v {
                Value::Null => String::new(),
                other => other.to_string(),
            }))
            .collect();
        csv.push_str(&csv_line(&cells));
    }
    let file = format!(
        "{}-{}-{}.csv",
        site.domain,
        dimension_name(&dimension).replace(':', "-"),
        answer.period.first_day
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        csv,
    )
        .into_response())
}

/// One CSV line: fields quoted when needed; a field a spreadsheet would run as a formula
/// (`=`, `+`, `-`, `@` first) is prefixed with `'`.
fn csv_line(cells: &[String]) -> String {
    let fields: Vec<String> = cells
        .iter()
        .map(|cell| {
            let cell = if cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
                && cell.parse::<f64>().is_err()
            {
                format!("'{cell}")
            } else {
                cell.clone()
            };
            if cell.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", cell.replace('"', "\"\""))
            } else {
                cell
            }
        })
        .collect();
    format!("{}\r\n", fields.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_view_round_trips_through_its_address_and_ignores_what_it_does_not_know() {
        let view = View::read(Some(
            "period=7d&compare=1&f=visit:source|Bluesky&f=event:page|/a%7Cb&f=time:day|x&f=bogus|1&period=nope",
        ));
        assert_eq!(view.period, "7d");
        assert!(view.compare);
        assert_eq!(
            view.filters,
            vec![
                (
                    Dimension::Visit(VisitDimension::Source),
                    "Bluesky".to_string()
                ),
                (Dimension::Event(EventDimension::Page), "/a|b".to_string()),
            ]
        );
        let again = View::read(view.href("/x").split_once('?').map(|(_, q)| q));
        assert_eq!(again, view);
        let custom = View::read(Some("period=custom&from=2024-05-09&to=2024-05-01"));
        assert_eq!(
            custom.date_range(),
            DateRange::Dates("2024-05-01".parse().unwrap(), "2024-05-09".parse().unwrap())
        );
        assert_eq!(
            View::read(Some("period=custom&from=2024-05-09")).period,
            "30d"
        );
    }

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        let line = csv_line(&[
            "=HYPERLINK(\"x\")".into(),
            "a,b".into(),
            "-12".into(),
            "plain".into(),
        ]);
        assert_eq!(line, "\"'=HYPERLINK(\"\"x\"\")\",\"a,b\",-12,plain\r\n");
    }
}
