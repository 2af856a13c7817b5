//! The inbox settings, `/w/{slug}/inbox/settings` (moderators only): the response targets
//! (first response, resolution; typed in minutes or hours), whether contributors' replies wait
//! for an editor's approval, and the netiquette with whether `/n/{slug}` shows it publicly.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use relais_core::Permission;
use relais_store::inbox::InboxSettings;
use serde::Deserialize;

use super::{audit, chrome, netiquette_url};
use crate::context::{Ctx, see_other};
use crate::i18n::ModerationMsgs;
use crate::pages::listening::Choice;
use crate::pages::{Access, Chrome, Done, PageForm, PageResult, enter_workspace, render_status};
use crate::state::AppState;

/// Longest target accepted: a year, in minutes.
const MAX_TARGET_MINUTES: f64 = 365.0 * 24.0 * 60.0;
/// Longest netiquette accepted, in characters.
const MAX_NETIQUETTE_CHARS: usize = 20_000;

#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    first_response: String,
    first_response_unit: String,
    resolution: String,
    resolution_unit: String,
    approve_contributor_replies: String,
    netiquette: String,
    netiquette_public: String,
}

impl SettingsForm {
    fn of(s: &InboxSettings) -> Self {
        let (first_response, first_response_unit) = target_shown(s.first_response_minutes);
        let (resolution, resolution_unit) = target_shown(s.resolution_minutes);
        Self {
            first_response,
            first_response_unit,
            resolution,
            resolution_unit,
            approve_contributor_replies: tick(s.approve_contributor_replies),
            netiquette: s.netiquette.clone(),
            netiquette_public: tick(s.netiquette_public),
        }
    }
}

fn tick(on: bool) -> String {
    if on { "on".into() } else { String::new() }
}

/// A target as the form shows it: whole hours in hours, anything else in minutes.
fn target_shown(minutes: Option<u32>) -> (String, String) {
    match minutes {
        None => (String::new(), "minutes".into()),
        Some(m) if m >= 60 && m % 60 == 0 => ((m / 60).to_string(), "hours".into()),
        Some(m) => (m.to_string(), "minutes".into()),
    }
}

/// A target typed: empty is no target; else a positive number of minutes or hours (a decimal
/// with a point or a comma: `1,5` hours is 90 minutes), at most a year.
fn target_read(value: &str, unit: &str) -> Result<Option<u32>, ()> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let number: f64 = value.replace(',', ".").parse().map_err(|_| ())?;
    let minutes = if unit == "hours" {
        number * 60.0
    } else {
        number
    };
    let minutes = minutes.round();
    if !minutes.is_finite() || !(1.0..=MAX_TARGET_MINUTES).contains(&minutes) {
        return Err(());
    }
    Ok(Some(minutes as u32))
}

fn check(m: &ModerationMsgs, form: &SettingsForm) -> Result<InboxSettings, Vec<String>> {
    let mut errors = Vec::new();
    let mut target = |value: &str, unit: &str, label: &str| {
        target_read(value, unit).unwrap_or_else(|()| {
            errors.push(m.bad_target.replace("{field}", label));
            None
        })
    };
    let first_response_minutes = target(
        &form.first_response,
        &form.first_response_unit,
        m.first_response_target,
    );
    let resolution_minutes = target(&form.resolution, &form.resolution_unit, m.resolution_target);
    let netiquette = form.netiquette.replace("\r\n", "\n").trim().to_owned();
    if netiquette.chars().count() > MAX_NETIQUETTE_CHARS {
        errors.push(
            m.netiquette_too_long
                .replace("{max}", &MAX_NETIQUETTE_CHARS.to_string()),
        );
    }
    let netiquette_public = !form.netiquette_public.is_empty();
    if netiquette_public && netiquette.is_empty() {
        errors.push(m.netiquette_needed.to_owned());
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(InboxSettings {
        first_response_minutes,
        resolution_minutes,
        approve_contributor_replies: !form.approve_contributor_replies.is_empty(),
        netiquette,
        netiquette_public,
    })
}

#[derive(Template)]
#[template(path = "inbox_settings.html")]
struct SettingsPage {
    c: Chrome,
    slug: String,
    tab: &'static str,
    form: SettingsForm,
    first_units: Vec<Choice>,
    resolution_units: Vec<Choice>,
    public_url: String,
    /// Whether the saved settings show the netiquette publicly (the link is live).
    is_public: bool,
    errors: Vec<String>,
    notice: Option<&'static str>,
}

fn units(m: &ModerationMsgs, chosen: &str) -> Vec<Choice> {
    Choice::list(
        [("minutes", m.unit_minutes), ("hours", m.unit_hours)],
        chosen,
    )
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    access: &Access,
    status: StatusCode,
    form: SettingsForm,
    errors: Vec<String>,
    notice: Option<&'static str>,
) -> PageResult {
    let m = ctx.m().moder;
    let ws = &access.workspace;
    let saved = state.store.inbox_settings(ws.id).await?;
    render_status(
        status,
        &SettingsPage {
            c: chrome(ctx, m.title_settings, ws, "/settings"),
            slug: ws.slug.to_string(),
            tab: "settings",
            first_units: units(m, &form.first_response_unit),
            resolution_units: units(m, &form.resolution_unit),
            form,
            public_url: netiquette_url(&state.config.public_url, ws),
            is_public: saved.netiquette_public && !saved.netiquette.is_empty(),
            errors,
            notice,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(done): Query<Done>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Moderate)?;
    let notice = (done.done == "saved").then_some(ctx.m().moder.settings_saved);
    let settings = state.store.inbox_settings(access.workspace.id).await?;
    let form = SettingsForm::of(&settings);
    page(
        &state,
        &ctx,
        &access,
        StatusCode::OK,
        form,
        Vec::new(),
        notice,
    )
    .await
}

pub async fn save(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    PageForm(form): PageForm<SettingsForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Moderate)?;
    let settings = match check(ctx.m().moder, &form) {
        Ok(s) => s,
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return page(&state, &ctx, &access, status, form, errors, None).await;
        }
    };
    let event = audit(
        &access,
        &ctx,
        "inbox.settings.save",
        access.workspace.id.to_string(),
        serde_json::json!({
            "first_response_minutes": settings.first_response_minutes,
            "resolution_minutes": settings.resolution_minutes,
            "approve_contributor_replies": settings.approve_contributor_replies,
            "netiquette_public": settings.netiquette_public,
            "netiquette_chars": settings.netiquette.chars().count(),
        }),
    );
    state
        .store
        .save_inbox_settings(access.workspace.id, &settings, event)
        .await?;
    Ok(see_other(&format!("/w/{slug}/inbox/settings?done=saved")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_read_in_minutes_or_hours() {
        assert_eq!(target_read("", "hours"), Ok(None));
        assert_eq!(target_read(" 45 ", "minutes"), Ok(Some(45)));
        assert_eq!(target_read("1,5", "hours"), Ok(Some(90)));
        assert_eq!(target_read("24", "hours"), Ok(Some(1440)));
        assert_eq!(target_read("0", "minutes"), Err(()));
        assert_eq!(target_read("-3", "hours"), Err(()));
        assert_eq!(target_read("soon", "minutes"), Err(()));
        assert_eq!(target_read("9000", "hours"), Err(()));
        assert_eq!(target_shown(Some(120)), ("2".into(), "hours".into()));
        assert_eq!(target_shown(Some(90)), ("90".into(), "minutes".into()));
        assert_eq!(target_shown(None).0, "");
    }

    #[test]
    fn a_public_netiquette_needs_a_text() {
        let m = crate::i18n::EN.moder;
        let form = SettingsForm {
            first_response: "1".into(),
            first_response_unit: "hours".into(),
            netiquette: "  \r\n ".into(),
            netiquette_public: "on".into(),
            ..SettingsForm::default()
        };
        let errors = check(m, &form).expect_err("no text");
        assert_eq!(errors, [m.netiquette_needed]);
        let ok = SettingsForm {
            netiquette: "Be kind.\r\n\r\nNo spam.".into(),
            ..form
        };
        let settings = check(m, &ok).expect("valid");
        assert_eq!(settings.first_response_minutes, Some(60));
        assert_eq!(settings.resolution_minutes, None);
        assert_eq!(settings.netiquette, "Be kind.\n\nNo spam.");
        assert!(settings.netiquette_public && !settings.approve_contributor_replies);
    }
}
