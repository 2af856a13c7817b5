//! A channel's publishing queue: its weekly times in a zone, and the next one free.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use relais_core::audit::AuditEvent;
use relais_core::{ChannelId, Permission, Timestamp};
use relais_publish::plan::slots::WeeklySlot;
use relais_publish::plan::time;
use relais_publisher::queue::next_slot;
use relais_store::Channel;
use serde::Deserialize;

use super::{Access, Chrome, PageForm, PageResult, enter_workspace, render_status};
use crate::context::Ctx;
use crate::error::WebError;
use crate::state::AppState;

/// At most this many times a week per channel.
const MAX_SLOTS: usize = 100;

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    c: Chrome,
    slug: String,
    channel_id: String,
    channel_name: String,
    can_manage: bool,
    slots: String,
    zone: String,
    next: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QueueForm {
    slots: String,
    zone: String,
}

async fn channel_of(state: &AppState, access: &Access, id: &str) -> Result<Channel, WebError> {
    let id: ChannelId = id.parse().map_err(|_| WebError::not_found())?;
    state
        .store
        .channel(access.workspace.id, id)
        .await?
        .ok_or_else(WebError::not_found)
}

/// Reads `mon 09:00, thu 17:30` (commas, semicolons or lines between times).
fn parse_slots(text: &str) -> Result<Vec<WeeklySlot>, String> {
    let mut out = Vec::new();
    for item in text
        .split([',', ';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        out.push(WeeklySlot::parse(item).map_err(|e| e.to_string())?);
    }
    if out.len() > MAX_SLOTS {
        return Err(format!("at most {MAX_SLOTS} times a week; remove some"));
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    ctx: &Ctx,
    access: &Access,
    channel: &Channel,
    status: StatusCode,
    typed: Option<QueueForm>,
    notice: Option<String>,
    error: Option<String>,
) -> PageResult {
    let saved = state
        .store
        .queue_slots(access.workspace.id, channel.id)
        .await?;
    let zone = saved
        .first()
        .map(|s| s.time_zone.clone())
        .unwrap_or_else(|| "Europe/Paris".into());
    let next = next_slot(
        state.store.as_ref(),
        &access.workspace,
        std::slice::from_ref(channel),
        Timestamp::now().millis(),
    )
    .await?
    .map(|(at, zone)| format!("{} ({zone})", time::show(at, &zone)));
    let (slots, zone) = match typed {
        Some(f) => (f.slots, f.zone),
        None => (
            saved
                .iter()
                .filter_map(|s| WeeklySlot::new(s.weekday, s.minute))
                .map(|s| s.label())
                .collect::<Vec<_>>()
                .join(", "),
            zone,
        ),
    };
    let slug = access.workspace.slug.to_string();
    let m = ctx.m();
    render_status(
        status,
        &QueuePage {
            c: Chrome::workspace(
                ctx,
                m.plan.queue_title,
                &format!("/w/{slug}/publish/channels/{}/queue", channel.id),
                &access.workspace,
                "publish",
            ),
            slug,
            channel_id: channel.id.to_string(),
            channel_name: channel.name.clone(),
            can_manage: access.role.allows(Permission::ManageSettings),
            slots,
            zone,
            next,
            notice,
            error,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let channel = channel_of(&state, &access, &id).await?;
    page(
        &state,
        &ctx,
        &access,
        &channel,
        StatusCode::OK,
        None,
        None,
        None,
    )
    .await
}

pub async fn save(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
    PageForm(form): PageForm<QueueForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageSettings)?;
    let channel = channel_of(&state, &access, &id).await?;
    let zone = form.zone.trim().to_owned();
    let checked = time::zone(&zone)
        .map_err(|e| e.to_string())
        .and_then(|_| parse_slots(&form.slots));
    let slots = match checked {
        Ok(s) => s,
        Err(why) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return page(
                &state,
                &ctx,
                &access,
                &channel,
                status,
                Some(form),
                None,
                Some(why),
            )
            .await;
        }
    };
    let pairs: Vec<(u8, u16)> = slots.iter().map(|s| (s.weekday, s.minute)).collect();
    let event = AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(&ctx),
        action: "channel.queue".into(),
        target: channel.name.clone(),
        details: serde_json::json!({
            "slots": slots.iter().map(WeeklySlot::label).collect::<Vec<_>>(),
            "time_zone": zone,
        }),
    };
    state
        .store
        .set_queue_slots(access.workspace.id, channel.id, &pairs, &zone, event)
        .await?;
    let notice = Some(ctx.m().plan.queue_saved.to_owned());
    page(
        &state,
        &ctx,
        &access,
        &channel,
        StatusCode::OK,
        None,
        notice,
        None,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_read_from_a_list() {
        let s = parse_slots("mon 09:00, jeu 17h30\n\nsun 7;").unwrap();
        assert_eq!(
            s.iter().map(WeeklySlot::label).collect::<Vec<_>>(),
            ["mon 09:00", "thu 17:30", "sun 07:00"]
        );
        assert!(parse_slots("").unwrap().is_empty());
        let err = parse_slots("mon 09:00, someday").unwrap_err();
        assert!(err.contains("someday"), "{err}");
    }
}
