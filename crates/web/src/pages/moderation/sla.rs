//! Response times, `/w/{slug}/inbox/sla`: over the conversations that started in the last 7, 30
//! or 90 days, how many the team answered, how fast (median and 90th percentile of the first
//! response), how many within the workspace's target, how many were resolved and how fast, and
//! how many are overdue now; for the whole team, per member (and unassigned) and per channel.
//! A bar per row draws the median first response against the target.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use relais_core::{ChannelId, Timestamp, UserId};
use relais_inbox::sla::{Figures, Targets, Times, figures, figures_by};
use relais_store::inbox::{ConversationStatus, SlaSample};
use serde::Deserialize;

use super::{Rights, chrome, duration, percent};
use crate::context::Ctx;
use crate::i18n::ModerationMsgs;
use crate::pages::listening::Choice;
use crate::pages::{Chrome, PageResult, enter_workspace, render};
use crate::state::AppState;

const DAY_MS: i64 = 86_400_000;
/// The periods offered, in days; the first page shows the middle one.
const PERIODS: [i64; 3] = [7, 30, 90];
const DEFAULT_DAYS: i64 = 30;
/// Width of a row's bar, in SVG units.
pub const BAR_WIDTH: u32 = 120;

/// A row's bar: the median first response, and where the target falls, on one scale for the
/// whole table.
pub struct Bar {
    pub width: u32,
    pub target_x: Option<u32>,
    /// What the bar says, for screen readers and pointers.
    pub label: String,
}

pub struct FigureRow {
    who: String,
    conversations: u64,
    answered: u64,
    median_first: String,
    p90_first: String,
    within_first: String,
    resolved: u64,
    median_resolution: String,
    within_resolution: String,
    overdue: u64,
    bar: Option<Bar>,
    /// Kept to draw the bars once every row is known.
    median_first_ms: Option<i64>,
}

#[derive(Template)]
#[template(path = "inbox_sla.html")]
struct SlaPage {
    c: Chrome,
    slug: String,
    tab: &'static str,
    rights: Rights,
    periods: Vec<Choice>,
    target_first: String,
    target_resolution: String,
    /// The whole team, per member, per channel.
    tables: Vec<Table>,
    /// What the page says when no conversation started in the period.
    no_samples: Option<String>,
}

pub struct Table {
    title: &'static str,
    /// The table's HTML id.
    id: &'static str,
    rows: Vec<FigureRow>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct SlaParams {
    days: String,
}

/// A sample's clocks as the SLA core reads them.
fn times(s: &SlaSample) -> Times {
    Times {
        closed: s.status == ConversationStatus::Closed,
        first_inbound_at: s.first_inbound_at.map(Timestamp::millis),
        first_response_at: s.first_response_at.map(Timestamp::millis),
        awaiting_since: s.awaiting_since.map(Timestamp::millis),
        closed_at: s.closed_at.map(Timestamp::millis),
    }
}

fn figure_row(m: &ModerationMsgs, who: String, f: &Figures) -> FigureRow {
    let dur = |ms: Option<i64>| ms.map_or_else(|| m.none.to_owned(), |ms| duration(m, ms));
    let share = |s: Option<f64>| s.map_or_else(|| m.none.to_owned(), |s| percent(m, s));
    FigureRow {
        who,
        conversations: f.conversations,
        answered: f.answered,
        median_first: dur(f.median_first_response_ms),
        p90_first: dur(f.p90_first_response_ms),
        within_first: share(f.first_response_within_target),
        resolved: f.resolved,
        median_resolution: dur(f.median_resolution_ms),
        within_resolution: share(f.resolution_within_target),
        overdue: f.overdue_now,
        bar: None,
        median_first_ms: f.median_first_response_ms,
    }
}

/// Rows of a grouping, the busiest group first (then by name), with their bars.
fn group_rows<K>(
    m: &ModerationMsgs,
    groups: BTreeMap<K, Figures>,
    name: impl Fn(&K) -> String,
    target_ms: Option<i64>,
) -> Vec<FigureRow> {
    let mut rows: Vec<FigureRow> = groups
        .iter()
        .map(|(k, f)| figure_row(m, name(k), f))
        .collect();
    rows.sort_by(|a, b| {
        b.conversations
            .cmp(&a.conversations)
            .then_with(|| a.who.cmp(&b.who))
    });
    draw_bars(m, &mut rows, target_ms);
    rows
}

/// Gives each row with a median its bar, on the scale of the longest median or the target.
pub fn draw_bars(m: &ModerationMsgs, rows: &mut [FigureRow], target_ms: Option<i64>) {
    let longest = rows
        .iter()
        .filter_map(|r| r.median_first_ms)
        .chain(target_ms)
        .max()
        .unwrap_or(0)
        .max(1);
    let x =
        |ms: i64| ((ms.clamp(0, longest) as u128 * u128::from(BAR_WIDTH)) / longest as u128) as u32;
    for row in rows.iter_mut() {
        row.bar = row.median_first_ms.map(|median| Bar {
            // A median of a few seconds still shows as a sliver.
            width: x(median).max(1),
            target_x: target_ms.map(x),
            label: m.bar_label.replace("{median}", &row.median_first),
        });
    }
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(params): Query<SlaParams>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let m = ctx.m().moder;
    let ws = &access.workspace;
    let days = params
        .days
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|d| PERIODS.contains(d))
        .unwrap_or(DEFAULT_DAYS);
    let now = Timestamp::now();
    let since = Timestamp::from_millis(now.millis() - days * DAY_MS);
    let samples = state.store.sla_samples(ws.id, since).await?;
    let settings = state.store.inbox_settings(ws.id).await?;
    let targets = Targets {
        first_response_minutes: settings.first_response_minutes,
        resolution_minutes: settings.resolution_minutes,
    };
    let target_ms = targets
        .first_response_minutes
        .map(|t| i64::from(t) * 60_000);
    let all: Vec<Times> = samples.iter().map(times).collect();
    let mut overall = vec![figure_row(
        m,
        m.whole_team.to_owned(),
        &figures(&all, &targets, now.millis()),
    )];
    draw_bars(m, &mut overall, target_ms);

    let names: HashMap<UserId, String> = state
        .store
        .members(ws.id)
        .await?
        .into_iter()
        .map(|member| (member.user.id, member.user.name.to_string()))
        .collect();
    let channels: HashMap<ChannelId, String> = state
        .store
        .channels(ws.id)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let by_member = group_rows(
        m,
        figures_by(&samples, |s| s.assignee_id, times, &targets, now.millis()),
        |k| match k {
            None => m.unassigned.to_owned(),
            Some(id) => names
                .get(id)
                .cloned()
                .unwrap_or_else(|| m.former_member.to_owned()),
        },
        target_ms,
    );
    let by_channel = group_rows(
        m,
        figures_by(&samples, |s| s.channel_id, times, &targets, now.millis()),
        |k| match k {
            None => m.no_channel.to_owned(),
            Some(id) => channels
                .get(id)
                .cloned()
                .unwrap_or_else(|| m.removed_channel.to_owned()),
        },
        target_ms,
    );
    let period_labels: Vec<(String, String)> = PERIODS
        .iter()
        .map(|d| (d.to_string(), m.last_days.replace("{n}", &d.to_string())))
        .collect();
    let periods = Choice::list(
        period_labels.iter().map(|(v, l)| (v.as_str(), l.as_str())),
        &days.to_string(),
    );
    let shown = |minutes: Option<u32>| {
        minutes.map_or_else(
            || m.no_target.to_owned(),
            |t| duration(m, i64::from(t) * 60_000),
        )
    };
    render(&SlaPage {
        c: chrome(&ctx, m.title_sla, ws, "/sla"),
        slug: ws.slug.to_string(),
        tab: "sla",
        rights: Rights::of(&access),
        periods,
        target_first: shown(targets.first_response_minutes),
        target_resolution: shown(targets.resolution_minutes),
        tables: vec![
            Table {
                title: m.whole_team,
                id: "sla-overall",
                rows: overall,
            },
            Table {
                title: m.by_member,
                id: "sla-members",
                rows: by_member,
            },
            Table {
                title: m.by_channel,
                id: "sla-channels",
                rows: by_channel,
            },
        ],
        no_samples: samples
            .is_empty()
            .then(|| m.no_samples.replace("{n}", &days.to_string())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(median: Option<i64>) -> FigureRow {
        let m = crate::i18n::EN.moder;
        let f = Figures {
            median_first_response_ms: median,
            ..Figures::default()
        };
        figure_row(m, "x".into(), &f)
    }

    #[test]
    fn bars_share_one_scale_with_the_target() {
        let m = crate::i18n::EN.moder;
        let mut rows = vec![row(Some(30 * 60_000)), row(Some(60 * 60_000)), row(None)];
        draw_bars(m, &mut rows, Some(45 * 60_000));
        let widths: Vec<Option<u32>> = rows
            .iter()
            .map(|r| r.bar.as_ref().map(|b| b.width))
            .collect();
        assert_eq!(widths, [Some(60), Some(BAR_WIDTH), None]);
        assert_eq!(rows[0].bar.as_ref().and_then(|b| b.target_x), Some(90));
        assert!(
            rows[1]
                .bar
                .as_ref()
                .is_some_and(|b| b.label.contains("1 h"))
        );
        // Without a target, the longest median fills the bar.
        let mut rows = vec![row(Some(1_000)), row(Some(10 * 60_000))];
        draw_bars(m, &mut rows, None);
        assert_eq!(rows[0].bar.as_ref().map(|b| b.width), Some(1));
        assert_eq!(
            rows[1].bar.as_ref().map(|b| (b.width, b.target_x)),
            Some((BAR_WIDTH, None))
        );
    }
}
