//! The publishing calendar: a week or a month of posts, in a time zone; planned posts move to
//! another day by drag and drop (or the "Move" form), keeping their time of day.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use chrono::{Datelike, NaiveDate};
use relais_core::audit::AuditEvent;
use relais_core::{Permission, PostId, Timestamp};
use relais_publish::plan::{calendar, time};
use relais_store::{Post, PostStatus};
use serde::Deserialize;

use super::{Chrome, PageForm, PageResult, enter_workspace, render, safe_next};
use crate::context::{Ctx, see_other};
use crate::error::WebError;
use crate::state::AppState;

pub struct CalPost {
    id: String,
    time: String,
    text: String,
    status: &'static str,
    status_label: &'static str,
    channels: String,
    movable: bool,
}

pub struct Day {
    date: String,
    label: String,
    in_range: bool,
    today: bool,
    posts: Vec<CalPost>,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    c: Chrome,
    slug: String,
    view: &'static str,
    date: String,
    prev: String,
    next: String,
    zone: String,
    title: String,
    weekdays: Vec<&'static str>,
    weeks: Vec<Vec<Day>>,
    can_move: bool,
    back: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CalendarQuery {
    view: String,
    date: String,
    tz: String,
}

/// When a post shows on the calendar: when it went out, else when it is planned, else when
/// it was written.
fn when(post: &Post, published: Option<Timestamp>) -> Timestamp {
    published.or(post.scheduled_at).unwrap_or(post.created_at)
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(q): Query<CalendarQuery>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let m = ctx.m();
    let zone = if time::zone(&q.tz).is_ok() {
        q.tz.clone()
    } else {
        "Europe/Paris".to_owned()
    };
    let now = Timestamp::now();
    let today = calendar::day_in(now.millis(), &zone).unwrap_or_default();
    let date = NaiveDate::parse_from_str(&q.date, "%Y-%m-%d").unwrap_or(today);
    let month_view = q.view == "month";
    let weeks_of_days: Vec<[NaiveDate; 7]> = if month_view {
        calendar::month_of(date)
    } else {
        vec![calendar::week_of(date)]
    };
    let (prev, next) = if month_view {
        (
            date.checked_sub_months(chrono::Months::new(1))
                .unwrap_or(date),
            date.checked_add_months(chrono::Months::new(1))
                .unwrap_or(date),
        )
    } else {
        (
            date - chrono::Duration::days(7),
            date + chrono::Duration::days(7),
        )
    };
    let ws = &access.workspace;
    let channels = state.store.channels(ws.id).await?;
    let can_move = access.role.allows(Permission::Publish);
    let mut placed: Vec<(NaiveDate, CalPost)> = Vec::new();
    for post in state.store.posts(ws.id, 1000).await? {
        if post.status == PostStatus::Cancelled {
            continue;
        }
        let targets = state.store.targets_of(ws.id, post.id).await?;
        let published = targets.iter().filter_map(|t| t.published_at).min();
        let at = when(&post, published);
        let Some(day) = calendar::day_in(at.millis(), &zone) else {
            continue;
        };
        let names: Vec<String> = targets
            .iter()
            .filter_map(|t| {
                channels
                    .iter()
                    .find(|c| c.id == t.channel_id)
                    .map(|c| c.name.clone())
            })
            .collect();
        let not_started = targets.iter().all(|t| {
            matches!(
                t.status,
                relais_store::TargetStatus::Queued | relais_store::TargetStatus::Waiting
            )
        });
        let text: String = post
            .parts
            .first()
            .map(|p| p.text.chars().take(90).collect())
            .unwrap_or_default();
        placed.push((
            day,
            CalPost {
                id: post.id.to_string(),
                time: time::show(at.millis(), &zone)
                    .get(11..16)
                    .unwrap_or_default()
                    .to_owned(),
                text,
                status: post.status.as_str(),
                status_label: m.post_status(post.status.as_str()),
                channels: names.join(", "),
                movable: can_move
                    && not_started
                    && matches!(
                        post.status,
                        PostStatus::Scheduled | PostStatus::PendingApproval
                    ),
            },
        ));
    }
    placed.sort_by(|a, b| (a.0, &a.1.time).cmp(&(b.0, &b.1.time)));
    let weeks = weeks_of_days
        .iter()
        .map(|week| {
            week.iter()
                .map(|d| Day {
                    date: d.format("%Y-%m-%d").to_string(),
                    label: if month_view {
                        d.day().to_string()
                    } else {
                        d.format("%d/%m").to_string()
                    },
                    in_range: !month_view || d.month() == date.month(),
                    today: *d == today,
                    posts: Vec::new(),
                })
                .collect::<Vec<_>>()
        })
        .collect::<Vec<_>>();
    let mut weeks = weeks;
    for (day, post) in placed {
        if let Some(cell) = weeks
            .iter_mut()
            .flatten()
            .find(|c| c.date == day.format("%Y-%m-%d").to_string())
        {
            cell.posts.push(post);
        }
    }
    let view = if month_view { "month" } else { "week" };
    let title = if month_view {
        date.format("%m/%Y").to_string()
    } else {
        format!(
            "{} – {}",
            weeks_of_days[0][0].format("%d/%m"),
            weeks_of_days[0][6].format("%d/%m/%Y")
        )
    };
    let slug = ws.slug.to_string();
    let back = format!(
        "/w/{slug}/publish/calendar?view={view}&date={}&tz={zone}",
        date.format("%Y-%m-%d")
    );
    render(&CalendarPage {
        c: Chrome::workspace(&ctx, m.calendar_title, &back, ws, "publish"),
        slug,
        view,
        date: date.format("%Y-%m-%d").to_string(),
        prev: prev.format("%Y-%m-%d").to_string(),
        next: next.format("%Y-%m-%d").to_string(),
        zone,
        title,
        weekdays: m.weekdays.split(',').collect(),
        weeks,
        can_move,
        back,
        error: None,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MoveForm {
    day: String,
    back: String,
}

/// Moves a planned post to another day at the same wall-clock time in its own zone.
pub async fn move_post(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
    PageForm(form): PageForm<MoveForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Publish)?;
    let id: PostId = id.parse().map_err(|_| WebError::not_found())?;
    let post = state
        .store
        .post(access.workspace.id, id)
        .await?
        .ok_or_else(WebError::not_found)?;
    let day = NaiveDate::parse_from_str(form.day.trim(), "%Y-%m-%d").map_err(|_| {
        WebError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            relais_core::ErrorCode::InvalidInput,
            "choose a day such as 2026-06-01",
        )
    })?;
    let zone = post.time_zone.clone().unwrap_or_else(|| "UTC".into());
    let from = post.scheduled_at.unwrap_or_else(Timestamp::now).millis();
    let invalid = |e: String| {
        WebError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            relais_core::ErrorCode::InvalidInput,
            e,
        )
    };
    let at = calendar::same_time_on(from, &zone, day).map_err(|e| invalid(e.to_string()))?;
    if at < Timestamp::now().millis() - 60_000 {
        return Err(invalid(format!(
            "{} is in the past; choose a day to come",
            time::show(at, &zone)
        )));
    }
    let event = AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(&ctx),
        action: "post.move".into(),
        target: id.to_string(),
        details: serde_json::json!({ "from": post.scheduled_at.map(|t| t.millis()), "to": at }),
    };
    state
        .store
        .reschedule_post(access.workspace.id, id, Timestamp::from_millis(at), event)
        .await?;
    let back = if form.back.is_empty() {
        format!("/w/{}/publish/calendar", access.workspace.slug)
    } else {
        safe_next(&form.back)
    };
    Ok(see_other(&back))
}
