//! The sources, `/w/{slug}/listening/sources`: what is polled for mentions (feeds, watched
//! pages, networks' searches), how each is doing (last success, last error, failures in a row,
//! next poll), adding one, importing feeds from an OPML file, turning one off or on, deleting.
//!
//! Addresses are checked here only for their form (an absolute http or https URL); whether
//! Relais may fetch them is decided when they are fetched.

use std::collections::HashSet;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use relais_core::{ChannelId, ListenSourceId, Permission};
use relais_store::StoreError;
use relais_store::listening::{ListenSource, NewListenSource, SourceKind};
use serde::Deserialize;

use super::{Choice, Rights, RowAction, audit, chrome, is_web_url, source_of, when};
use crate::context::{Ctx, see_other};
use crate::i18n::{Lang, ListenMsgs};
use crate::pages::fields::PageFields;
use crate::pages::{Access, Chrome, PageForm, PageResult, enter_workspace, render_status};
use crate::state::AppState;

/// The networks a search can run on (a channel of the same network lends its credentials).
const NETWORKS: [SourceKind; 5] = [
    SourceKind::Bluesky,
    SourceKind::Mastodon,
    SourceKind::X,
    SourceKind::Youtube,
    SourceKind::Reddit,
];
/// Polling intervals offered, in minutes.
const INTERVALS: [u32; 8] = [5, 15, 30, 60, 180, 360, 720, 1440];
const MAX_URL_CHARS: usize = 2000;
const MAX_TERMS_CHARS: usize = 500;

pub struct SourceRow {
    id: String,
    /// The polling intervals to choose from in the row's edit form, its own selected.
    interval_choices: Vec<Choice>,
    kind: &'static str,
    target: String,
    label: String,
    interval: String,
    enabled: bool,
    /// `ok`, `failing` or `never`, for the badge's colour.
    health: &'static str,
    health_label: &'static str,
    last_success: Option<String>,
    last_error: Option<String>,
    last_error_at: Option<String>,
    failures: u32,
    next_poll: String,
    channel: Option<String>,
}

pub struct ChannelChoice {
    id: String,
    label: String,
}

#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct SourceForm {
    kind: String,
    target: String,
    label: String,
    /// Minutes.
    interval: String,
    channel: String,
}

#[derive(Template)]
#[template(path = "listening_sources.html")]
struct SourcesPage {
    c: Chrome,
    slug: String,
    tab: &'static str,
    rights: Rights,
    rows: Vec<SourceRow>,
    form: SourceForm,
    /// Which panel the error belongs to: `feed`, `page`, `search` or `opml`.
    error_for: &'static str,
    error: Option<String>,
    notice: Option<String>,
    networks: Vec<Choice>,
    channels: Vec<ChannelChoice>,
    intervals: Vec<Choice>,
}

fn interval_text(l: &ListenMsgs, secs: u32) -> String {
    let minutes = secs / 60;
    if minutes >= 60 && minutes.is_multiple_of(60) {
        l.every_hours.replace("{n}", &(minutes / 60).to_string())
    } else {
        l.every_minutes.replace("{n}", &minutes.max(1).to_string())
    }
}

/// The polling intervals offered (minutes, as text), `chosen` selected; a value not among
/// them (set before they changed) is offered too, so that saving keeps it.
fn interval_choices(l: &ListenMsgs, chosen: &str) -> Vec<Choice> {
    let mut minutes: Vec<u32> = INTERVALS.to_vec();
    if let Ok(m) = chosen.parse::<u32>()
        && !minutes.contains(&m)
    {
        minutes.push(m);
        minutes.sort_unstable();
    }
    let texts: Vec<(String, String)> = minutes
        .iter()
        .map(|m| (m.to_string(), interval_text(l, m * 60)))
        .collect();
    Choice::list(texts.iter().map(|(v, t)| (v.as_str(), t.as_str())), chosen)
}

fn row(l: &ListenMsgs, s: ListenSource, channels: &[relais_store::Channel]) -> SourceRow {
    let poll = &s.poll;
    let (health, health_label) = match (poll.failures, poll.last_success_at) {
        (0, None) => ("never", l.health_never),
        (0, Some(_)) => ("ok", l.health_ok),
        _ => ("failing", l.health_failing),
    };
    SourceRow {
        id: s.id.to_string(),
        interval_choices: interval_choices(l, &(s.interval_secs / 60).to_string()),
        kind: l.source_kind(s.kind),
        label: s.label.unwrap_or_default(),
        interval: interval_text(l, s.interval_secs),
        enabled: s.enabled,
        health,
        health_label,
        last_success: poll.last_success_at.map(when),
        last_error: poll.last_error.clone(),
        last_error_at: poll.last_error_at.map(when),
        failures: poll.failures,
        next_poll: match (s.enabled, poll.next_poll_at) {
            (false, _) => l.paused.to_owned(),
            (true, None) => l.next_poll_soon.to_owned(),
            (true, Some(at)) => when(at),
        },
        channel: s
            .channel_id
            .and_then(|id| channels.iter().find(|c| c.id == id))
            .map(|c| format!("{} ({})", c.name, c.network)),
        target: s.target,
    }
}

struct Shown {
    status: StatusCode,
    form: SourceForm,
    error_for: &'static str,
    error: Option<String>,
    notice: Option<String>,
}

impl Shown {
    fn ok(notice: Option<String>) -> Self {
        Self {
            status: StatusCode::OK,
            form: SourceForm::default(),
            error_for: "",
            error: None,
            notice,
        }
    }

    fn refused(form: SourceForm, error_for: &'static str, error: String) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            form,
            error_for,
            error: Some(error),
            notice: None,
        }
    }
}

async fn page(state: &AppState, ctx: &Ctx, access: &Access, shown: Shown) -> PageResult {
    let l = ctx.m().listen;
    let ws = &access.workspace;
    let channels = state.store.channels(ws.id).await?;
    let rows = state
        .store
        .listen_sources(ws.id)
        .await?
        .into_iter()
        .map(|s| row(l, s, &channels))
        .collect();
    let networks = Choice::list(
        NETWORKS.iter().map(|k| (k.as_str(), l.source_kind(*k))),
        &shown.form.kind,
    );
    let channel_choices = channels
        .iter()
        .filter(|c| NETWORKS.iter().any(|k| k.as_str() == c.network))
        .map(|c| ChannelChoice {
            id: c.id.to_string(),
            label: format!("{} ({})", c.name, c.network),
        })
        .collect();
    let chosen = if shown.form.interval.is_empty() {
        "15".to_owned()
    } else {
        shown.form.interval.clone()
    };
    let intervals = interval_choices(l, &chosen);
    let slug = ws.slug.to_string();
    render_status(
        shown.status,
        &SourcesPage {
            c: chrome(ctx, l.tab_sources, ws, "/sources"),
            slug,
            tab: "sources",
            rights: Rights::of(access),
            rows,
            form: shown.form,
            error_for: shown.error_for,
            error: shown.error,
            notice: shown.notice,
            networks,
            channels: channel_choices,
            intervals,
        },
    )
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct SourcesParams {
    done: String,
    added: u32,
    already: u32,
    skipped: u32,
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(p): Query<SourcesParams>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let l = ctx.m().listen;
    let notice = match p.done.as_str() {
        "added" => Some(l.source_added.to_owned()),
        "updated" => Some(l.source_updated.to_owned()),
        "enabled" => Some(l.source_enabled.to_owned()),
        "disabled" => Some(l.source_disabled.to_owned()),
        "deleted" => Some(l.source_deleted.to_owned()),
        "opml" => Some(
            l.opml_result
                .replace("{added}", &p.added.to_string())
                .replace("{already}", &p.already.to_string())
                .replace("{skipped}", &p.skipped.to_string()),
        ),
        _ => None,
    };
    page(&state, &ctx, &access, Shown::ok(notice)).await
}

/// A source's target checked for its kind: a web address for feeds and pages (returned
/// normalised, so that the same feed typed twice is found the same), search terms for
/// networks (`in:WHERE terms` only where a search can be narrowed: YouTube and Reddit).
pub fn check_target(l: &ListenMsgs, kind: SourceKind, raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    match kind {
        SourceKind::Feed | SourceKind::Page => {
            if raw.chars().count() > MAX_URL_CHARS {
                return Err(l.bad_url.into());
            }
            is_web_url(raw)
                .map(|u| u.to_string())
                .ok_or_else(|| l.bad_url.into())
        }
        network => {
            if raw.is_empty()
                || raw.chars().count() > MAX_TERMS_CHARS
                || raw.chars().any(char::is_control)
            {
                return Err(l.bad_terms.into());
            }
            if let Some(rest) = raw.strip_prefix("in:") {
                if !matches!(network, SourceKind::Youtube | SourceKind::Reddit) {
                    return Err(l.within_only.into());
                }
                let within = rest.split_whitespace().next().unwrap_or("");
                if within.is_empty() || rest.starts_with(char::is_whitespace) {
                    return Err(l.bad_within.into());
                }
            }
            Ok(raw.to_owned())
        }
    }
}

fn interval_secs(raw: &str) -> Option<u32> {
    match raw.trim() {
        "" => Some(15 * 60),
        m => m
            .parse::<u32>()
            .ok()
            .filter(|m| (1..=10_080).contains(m))
            .map(|m| m * 60),
    }
}

fn label(raw: &str) -> Option<String> {
    let t = raw.trim();
    (!t.is_empty()).then(|| t.chars().filter(|c| !c.is_control()).take(200).collect())
}

pub async fn add(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    PageForm(form): PageForm<SourceForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Listen)?;
    let l = ctx.m().listen;
    let Some(kind) = SourceKind::parse(form.kind.trim()) else {
        let why = l.bad_kind.to_owned();
        return page(&state, &ctx, &access, Shown::refused(form, "search", why)).await;
    };
    let panel = match kind {
        SourceKind::Feed => "feed",
        SourceKind::Page => "page",
        _ => "search",
    };
    let refuse = |form: SourceForm, why: String| Shown::refused(form, panel, why);
    let target = match check_target(l, kind, &form.target) {
        Ok(t) => t,
        Err(why) => return page(&state, &ctx, &access, refuse(form, why)).await,
    };
    let Some(interval_secs) = interval_secs(&form.interval) else {
        let why = l.bad_interval.to_owned();
        return page(&state, &ctx, &access, refuse(form, why)).await;
    };
    let channel_id = if panel == "search" {
        let channel = match form.channel.trim().parse::<ChannelId>() {
            Ok(id) => state.store.channel(access.workspace.id, id).await?,
            Err(_) => None,
        };
        match channel {
            Some(c) if c.network == kind.as_str() => Some(c.id),
            _ => {
                let why = l.channel_needed.replace("{network}", l.source_kind(kind));
                return page(&state, &ctx, &access, refuse(form, why)).await;
            }
        }
    } else {
        None
    };
    let id = ListenSourceId::new();
    let event = audit(
        &access,
        &ctx,
        "listen.source.create",
        id.to_string(),
        serde_json::json!({ "kind": kind.as_str(), "target": target }),
    );
    let new = NewListenSource {
        id,
        workspace_id: access.workspace.id,
        kind,
        target,
        label: label(&form.label),
        interval_secs,
        enabled: true,
        channel_id,
        created_by: Some(access.user.id),
    };
    match state.store.create_listen_source(new, event).await {
        Ok(_) => Ok(see_other(&format!(
            "/w/{slug}/listening/sources?done=added"
        ))),
        Err(StoreError::Conflict(_)) => {
            let why = l.source_exists.to_owned();
            page(&state, &ctx, &access, refuse(form, why)).await
        }
        Err(StoreError::NotFound(_)) => {
            let why = l.channel_needed.replace("{network}", l.source_kind(kind));
            page(&state, &ctx, &access, refuse(form, why)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct EditForm {
    label: String,
    /// Minutes.
    interval: String,
}

/// Changes a source's label and polling interval (what it watches stays: delete it and add
/// another for that).
pub async fn edit(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
    PageForm(form): PageForm<EditForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Listen)?;
    let source = source_of(&state, &access, &id).await?;
    let Some(interval_secs) = interval_secs(&form.interval) else {
        let why = ctx.m().listen.bad_interval.to_owned();
        let shown = Shown::refused(SourceForm::default(), "edit", why);
        return page(&state, &ctx, &access, shown).await;
    };
    let label = label(&form.label);
    let details = serde_json::json!({
        "kind": source.kind.as_str(),
        "target": source.target,
        "label": label,
        "interval_secs": interval_secs,
    });
    let event = audit(
        &access,
        &ctx,
        "listen.source.update",
        source.id.to_string(),
        details,
    );
    state
        .store
        .update_listen_source(
            access.workspace.id,
            source.id,
            label.as_deref(),
            interval_secs,
            event,
        )
        .await?;
    Ok(see_other(&format!(
        "/w/{slug}/listening/sources?done=updated"
    )))
}

/// Why a file could not be imported, in the page's language: English pages take the
/// parser's own words (they say what was found); French ones say the same in general terms.
fn opml_error(lang: Lang, e: &relais_sources::OpmlError) -> String {
    use relais_sources::OpmlError;
    let l = lang.msgs().listen;
    match (lang, e) {
        (Lang::En, _) => e.to_string(),
        (_, OpmlError::Empty) => l.opml_empty.to_owned(),
        (_, OpmlError::NotOpml { .. }) => l.opml_not_opml.to_owned(),
        (_, OpmlError::NoFeeds { .. }) => l.opml_no_feeds.to_owned(),
        (_, OpmlError::TooMany) => l.opml_too_many.to_owned(),
    }
}

/// Imports the feeds of an OPML file: each becomes a feed source, unless the workspace has it.
pub async fn import_opml(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    fields: PageFields,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Listen)?;
    let l = ctx.m().listen;
    let refuse = |why: String| Shown::refused(SourceForm::default(), "opml", why);
    let Some(file) = fields.files("opml").next() else {
        return page(&state, &ctx, &access, refuse(l.opml_choose.into())).await;
    };
    let list = match relais_sources::parse_opml(&file.bytes) {
        Ok(list) => list,
        Err(e) => {
            let why = opml_error(ctx.lang, &e);
            return page(&state, &ctx, &access, refuse(why)).await;
        }
    };
    let (outlines, skipped) = (list.outlines, list.skipped);
    let ws = access.workspace.id;
    let mut known: HashSet<String> = state
        .store
        .listen_sources(ws)
        .await?
        .into_iter()
        .filter(|s| s.kind == SourceKind::Feed)
        .map(|s| s.target)
        .collect();
    let (mut added, mut already) = (0u32, 0u32);
    for outline in outlines {
        if known.contains(&outline.xml_url) {
            already += 1;
            continue;
        }
        let id = ListenSourceId::new();
        let event = audit(
            &access,
            &ctx,
            "listen.source.create",
            id.to_string(),
            serde_json::json!({ "kind": "feed", "target": outline.xml_url, "via": "opml" }),
        );
        let new = NewListenSource {
            id,
            workspace_id: ws,
            kind: SourceKind::Feed,
            target: outline.xml_url.clone(),
            label: outline.title.as_deref().and_then(label),
            interval_secs: 15 * 60,
            enabled: true,
            channel_id: None,
            created_by: Some(access.user.id),
        };
        match state.store.create_listen_source(new, event).await {
            Ok(_) => added += 1,
            Err(StoreError::Conflict(_)) => already += 1,
            Err(e) => return Err(e.into()),
        }
        known.insert(outline.xml_url);
    }
    Ok(see_other(&format!(
        "/w/{slug}/listening/sources?done=opml&added={added}&already={already}&skipped={skipped}"
    )))
}

/// Turn a source on or off, or delete it.
pub async fn act(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id, action)): Path<(String, String, String)>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Listen)?;
    let asked = RowAction::parse(&action)?;
    let source = source_of(&state, &access, &id).await?;
    let ws = access.workspace.id;
    let details = serde_json::json!({ "kind": source.kind.as_str(), "target": source.target });
    let name = format!("listen.source.{action}");
    let event = audit(&access, &ctx, &name, source.id.to_string(), details);
    match asked {
        RowAction::Switch(on) => {
            state
                .store
                .set_listen_source_enabled(ws, source.id, on, event)
                .await?;
        }
        RowAction::Delete => {
            state
                .store
                .delete_listen_source(ws, source.id, event)
                .await?;
        }
    }
    Ok(see_other(&format!(
        "/w/{slug}/listening/sources?done={}",
        asked.done()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn en() -> &'static ListenMsgs {
        crate::i18n::EN.listen
    }

    #[test]
    fn feeds_and_pages_need_web_addresses() {
        assert_eq!(
            check_target(en(), SourceKind::Feed, " https://blog.example/feed ").as_deref(),
            Ok("https://blog.example/feed")
        );
        assert_eq!(
            check_target(en(), SourceKind::Page, "http://Example.COM").as_deref(),
            Ok("http://example.com/"),
            "normalised, so that a second entry is recognised"
        );
        for bad in [
            "ftp://x.example/f",
            "blog.example/feed",
            "javascript:alert(1)",
            "",
        ] {
            assert!(check_target(en(), SourceKind::Feed, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn searches_may_be_narrowed_only_where_networks_allow() {
        assert!(check_target(en(), SourceKind::Reddit, "in:r/france relais").is_ok());
        assert!(check_target(en(), SourceKind::Youtube, "in:dQw4w9WgXcQ").is_ok());
        assert!(check_target(en(), SourceKind::Bluesky, "in:x relais").is_err());
        assert!(check_target(en(), SourceKind::Youtube, "in: relais").is_err());
        assert!(check_target(en(), SourceKind::Mastodon, "   ").is_err());
        assert_eq!(
            check_target(en(), SourceKind::Mastodon, " #relais ").as_deref(),
            Ok("#relais")
        );
    }

    #[test]
    fn intervals_are_minutes_within_a_week() {
        assert_eq!(interval_secs(""), Some(900));
        assert_eq!(interval_secs("60"), Some(3600));
        assert_eq!(interval_secs("0"), None);
        assert_eq!(interval_secs("20000"), None);
        assert_eq!(interval_secs("abc"), None);
        assert_eq!(interval_text(en(), 3600), "every 1 h");
        assert_eq!(interval_text(en(), 900), "every 15 min");
    }
}
