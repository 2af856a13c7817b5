//! The analysis, `/w/{slug}/listening/analysis`, over 7, 30 or 90 UTC days ending today: share
//! of voice (each brand's and competitor's query's part of their mentions, in total and by
//! day), sentiment by day, the most active authors and the words mentions use most. Charts are
//! inline SVG drawn here, each followed by its figures as a table for screen readers.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use relais_core::{ListenQueryId, Timestamp};
use relais_store::listening::{QueryRole, SeriesPoint};
use serde::Deserialize;

use super::chart::{self, Stacked};
use super::terms::top_terms;
use super::{DAY_MS, chrome, day, day_start, percent};
use crate::context::Ctx;
use crate::pages::{Chrome, PageResult, enter_workspace, render_status};
use crate::state::AppState;

/// Mention texts read at most for the top terms (the newest).
const TERM_TEXTS: u32 = 5_000;
const TOP: usize = 20;

pub struct PeriodLink {
    days: u32,
    label: &'static str,
    active: bool,
}

pub struct VoiceRow {
    name: String,
    role: &'static str,
    class: &'static str,
    mentions: u64,
    share: String,
}

/// One day's figures for a table: its date and a number per series.
pub struct DayRow {
    day: String,
    values: Vec<u64>,
}

pub struct AuthorRow {
    author: String,
    mentions: u64,
    reach: Option<u64>,
}

#[derive(Template)]
#[template(path = "listening_analysis.html")]
struct AnalysisPage {
    c: Chrome,
    slug: String,
    tab: &'static str,
    periods: Vec<PeriodLink>,
    first_day: String,
    last_day: String,
    voices: Vec<VoiceRow>,
    voice_chart: Stacked,
    voice_days: Vec<DayRow>,
    sentiment_chart: Stacked,
    sentiment_days: Vec<DayRow>,
    /// Mentions over the period, each counted once.
    total: u64,
    authors: Vec<AuthorRow>,
    terms: Vec<(String, u64)>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct PeriodParam {
    period: String,
}

fn period_days(raw: &str) -> u32 {
    match raw.trim() {
        "7" => 7,
        "90" => 90,
        _ => 30,
    }
}

/// The day index of a bucket in a series that starts at `from` (buckets of one day).
fn day_index(p: &SeriesPoint, from: Timestamp) -> Option<usize> {
    usize::try_from((p.bucket_start.millis() - from.millis()).div_euclid(DAY_MS)).ok()
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(param): Query<PeriodParam>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let m = ctx.m();
    let l = m.listen;
    let ws = &access.workspace;
    let days = period_days(&param.period);
    // Whole UTC days, today included: buckets of a day from the first one's midnight.
    let today = day_start(Timestamp::now());
    let from = Timestamp::from_millis(today.millis() - i64::from(days - 1) * DAY_MS);
    let to = Timestamp::from_millis(today.millis() + DAY_MS);
    let labels: Vec<String> = (0..days)
        .map(|i| {
            day(Timestamp::from_millis(
                from.millis() + i64::from(i) * DAY_MS,
            ))
        })
        .collect();

    // Share of voice: brands and competitors.
    let queries = state.store.listen_queries(ws.id).await?;
    let voiced: Vec<_> = queries
        .iter()
        .filter(|q| matches!(q.role, QueryRole::Brand | QueryRole::Competitor))
        .collect();
    let ids: Vec<ListenQueryId> = voiced.iter().map(|q| q.id).collect();
    let points = if ids.is_empty() {
        Vec::new()
    } else {
        state
            .store
            .mention_series(ws.id, Some(&ids), from, to, DAY_MS)
            .await?
    };
    let mut by_day = vec![vec![0u64; voiced.len()]; days as usize];
    for p in &points {
        let Some(series) = voiced.iter().position(|q| Some(q.id) == p.query_id) else {
            continue;
        };
        if let Some(slot) = day_index(p, from).and_then(|d| by_day.get_mut(d)) {
            slot[series] += p.total;
        }
    }
    let totals: Vec<u64> = (0..voiced.len())
        .map(|s| by_day.iter().map(|d| d[s]).sum())
        .collect();
    let all_voices: u64 = totals.iter().sum();
    let series: Vec<(&'static str, String)> = voiced
        .iter()
        .enumerate()
        .map(|(i, q)| (chart::series_class(i), q.name.clone()))
        .collect();
    let voices = voiced
        .iter()
        .zip(&totals)
        .enumerate()
        .map(|(i, (q, n))| VoiceRow {
            name: q.name.clone(),
            role: l.role(q.role),
            class: chart::series_class(i),
            mentions: *n,
            share: percent(l, *n, all_voices),
        })
        .collect();
    let voice_chart = chart::stacked(&chart_days(&labels, &by_day), &series);
    let voice_days = table_days(&labels, by_day);

    // Sentiment, every mention counted once: negative at the bottom.
    let overall = state
        .store
        .mention_series(ws.id, None, from, to, DAY_MS)
        .await?;
    let mut moods = vec![vec![0u64; 3]; days as usize];
    let mut total = 0;
    for p in &overall {
        total += p.total;
        if let Some(slot) = day_index(p, from).and_then(|d| moods.get_mut(d)) {
            slot[0] += p.negative;
            slot[1] += p.neutral;
            slot[2] += p.positive;
        }
    }
    let mood_series = [
        ("neg", l.negative.to_owned()),
        ("neu", l.neutral.to_owned()),
        ("pos", l.positive.to_owned()),
    ];
    let sentiment_chart = chart::stacked(&chart_days(&labels, &moods), &mood_series);
    let sentiment_days = table_days(&labels, moods);

    let authors = state
        .store
        .top_authors(ws.id, None, from, to, TOP as u32)
        .await?
        .into_iter()
        .map(|a| AuthorRow {
            author: a.author,
            mentions: a.mentions,
            reach: a.max_reach,
        })
        .collect();
    let texts = state
        .store
        .mention_texts(ws.id, None, from, to, TERM_TEXTS)
        .await?;
    let joined: Vec<String> = texts
        .iter()
        .map(|t| match &t.title {
            Some(title) => format!("{title}\n{}", t.text),
            None => t.text.clone(),
        })
        .collect();
    let terms = top_terms(
        joined.iter().map(String::as_str),
        queries.iter().map(|q| q.query.as_str()),
        TOP,
    );

    let periods = [(7, l.period_7), (30, l.period_30), (90, l.period_90)]
        .into_iter()
        .map(|(d, label)| PeriodLink {
            days: d,
            label,
            active: d == days,
        })
        .collect();
    let slug = ws.slug.to_string();
    render_status(
        StatusCode::OK,
        &AnalysisPage {
            c: chrome(
                &ctx,
                l.tab_analysis,
                ws,
                &format!("/analysis?period={days}"),
            ),
            slug,
            tab: "analysis",
            periods,
            first_day: labels.first().cloned().unwrap_or_default(),
            last_day: labels.last().cloned().unwrap_or_default(),
            voices,
            voice_chart,
            voice_days,
            sentiment_chart,
            sentiment_days,
            total,
            authors,
            terms,
        },
    )
}

fn chart_days(labels: &[String], values: &[Vec<u64>]) -> Vec<chart::Day> {
    labels
        .iter()
        .zip(values)
        .map(|(label, v)| chart::Day {
            label: label.clone(),
            values: v.clone(),
        })
        .collect()
}

/// The table beside a chart: days with at least one mention (an empty day says nothing).
fn table_days(labels: &[String], values: Vec<Vec<u64>>) -> Vec<DayRow> {
    labels
        .iter()
        .zip(values)
        .filter(|(_, v)| v.iter().any(|n| *n > 0))
        .map(|(label, values)| DayRow {
            day: label.clone(),
            values,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_7_30_or_90_days() {
        assert_eq!(period_days("7"), 7);
        assert_eq!(period_days("90"), 90);
        assert_eq!(period_days("30"), 30);
        assert_eq!(period_days("365"), 30);
        assert_eq!(period_days(""), 30);
    }

    #[test]
    fn buckets_fall_on_their_day() {
        let from = Timestamp::from_millis(10 * DAY_MS);
        let point = |at: i64| SeriesPoint {
            query_id: None,
            bucket_start: Timestamp::from_millis(at),
            total: 1,
            negative: 0,
            neutral: 1,
            positive: 0,
        };
        assert_eq!(day_index(&point(10 * DAY_MS), from), Some(0));
        assert_eq!(day_index(&point(12 * DAY_MS), from), Some(2));
        assert_eq!(day_index(&point(9 * DAY_MS), from), None);
    }
}
