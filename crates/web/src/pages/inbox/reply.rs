//! Answering from the inbox: the reply (checked against the network's limits before anything
//! is stored, waiting for an editor when the workspace asks it of contributors, otherwise
//! handed to the `inbox.reply` job that threads it on the network exactly once), an editor's
//! approval, likes, reposts and moderation actions on one message (`inbox.act` jobs, which
//! audit themselves), the reply box's live count, and who else has the conversation open.
//!
//! A reply is never sent twice from here: the form carries the id the reply will have, so a
//! second send of the same form (a double click, a reload after a slow answer) finds it
//! stored and adds nothing. A refused reply is never lost: the page comes back with the text
//! in the box and the reason above it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use relais_core::{InboxMessageId, Permission, Timestamp};
use relais_inbox::reply::check;
use relais_inbox_worker::act::{ActRequest, ActionName, act_job};
use relais_inbox_worker::reply::reply_job;
use relais_store::inbox::{DeliveryState, NewReply};
use serde::{Deserialize, Serialize};

use super::conversation::{ReplyDraft, back, counter, page};
use super::{audit, conversation_of, found, path_id};
use crate::context::Ctx;
use crate::error::WebError;
use crate::pages::{PageForm, PageResult, enter_workspace};
use crate::state::AppState;

/// How long a presence lasts without being renewed (the page renews it every 10 seconds).
const PRESENCE_MS: i64 = 30_000;
/// The longest reason kept with a moderation action.
const MAX_REASON_CHARS: usize = 500;

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ReplyForm {
    text: String,
    /// The id the reply will have, made when the page was drawn.
    reply_id: String,
}

pub async fn reply(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
    PageForm(form): PageForm<ReplyForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Answer)?;
    let conv = conversation_of(&state, &access, &id).await?;
    let ws = access.workspace.id;
    let lang = ctx.lang.code();
    let reply_id: InboxMessageId = form
        .reply_id
        .trim()
        .parse()
        .unwrap_or_else(|_| InboxMessageId::new());
    // Sent already (the same form twice): nothing more.
    if state.store.inbox_message(ws, reply_id).await?.is_some() {
        return Ok(back(&slug, &conv, "reply_already"));
    }
    // Trailing blanks are not the member's words; what they typed is kept otherwise.
    let text = form.text.trim_end().to_owned();
    if let Err(problem) = check(conv.network.as_deref(), &text) {
        let draft = ReplyDraft {
            text: form.text,
            error: Some(problem.describe(lang)),
            reply_id: reply_id.to_string(),
            canned: String::new(),
        };
        let refused = StatusCode::UNPROCESSABLE_ENTITY;
        return page(&state, &ctx, &access, conv, draft, "", refused).await;
    }
    let settings = state.store.inbox_settings(ws).await?;
    let needs_approval =
        settings.approve_contributor_replies && !access.role.allows(Permission::Approve);
    let delivery = if needs_approval {
        DeliveryState::AwaitingApproval
    } else {
        DeliveryState::Queued
    };
    let now = Timestamp::now();
    let details = serde_json::json!({
        "message_id": reply_id.to_string(),
        "delivery": delivery.as_str(),
    });
    let event = audit(
        &access,
        &ctx,
        "inbox.reply.add",
        conv.id.to_string(),
        details,
    );
    let reply = NewReply {
        id: reply_id,
        conversation_id: conv.id,
        sender_id: Some(access.user.id),
        sender_label: access.user.name.to_string(),
        text,
        delivery,
        written_at: now,
        send: (!needs_approval).then(|| reply_job(ws, reply_id, now)),
    };
    let added = match state.store.add_reply(ws, reply, event).await {
        Ok(added) => added,
        // Two sends of one form at the same instant: the second finds the first's row.
        Err(e) => {
            if state.store.inbox_message(ws, reply_id).await?.is_some() {
                return Ok(back(&slug, &conv, "reply_already"));
            }
            return Err(e.into());
        }
    };
    found(added)?;
    if needs_approval {
        return Ok(back(&slug, &conv, "reply_waiting"));
    }
    Ok(back(&slug, &conv, "replied"))
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct MessageForm {
    /// Why (moderation actions): for the audit log.
    reason: String,
}

/// An action on one message of the conversation: `approve` (a waiting reply), `like`,
/// `repost`, or a moderation action (`hide`, `delete`, `mute`, `block`, `report`).
pub async fn message_action(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id, message, action)): Path<(String, String, String, String)>,
    PageForm(form): PageForm<MessageForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    // The right first: a role that may not act learns nothing of the ids.
    let act = match action.as_str() {
        "approve" => {
            access.require(Permission::Approve)?;
            None
        }
        other => {
            let Some(act) = ActionName::parse(other) else {
                return Err(WebError::not_found());
            };
            access.require(if act.is_moderation() {
                Permission::Moderate
            } else {
                Permission::Answer
            })?;
            Some(act)
        }
    };
    let conv = conversation_of(&state, &access, &id).await?;
    let ws = access.workspace.id;
    let msg = found(state.store.inbox_message(ws, path_id(&message)?).await?)?;
    if msg.conversation_id != conv.id {
        return Err(WebError::not_found());
    }
    let now = Timestamp::now();
    let Some(act) = act else {
        let details = serde_json::json!({ "message_id": msg.id.to_string() });
        let event = audit(
            &access,
            &ctx,
            "inbox.reply.approve",
            conv.id.to_string(),
            details,
        );
        let approved = state
            .store
            .approve_reply(
                ws,
                msg.id,
                access.user.id,
                reply_job(ws, msg.id, now),
                event,
            )
            .await?;
        if !approved {
            return Ok(back(&slug, &conv, "approve_already"));
        }
        return Ok(back(&slug, &conv, "approved"));
    };
    // Only what came from the network can be acted on there.
    if msg.outgoing || msg.network_id.is_none() {
        return Err(WebError::not_found());
    }
    let reason: String = form.reason.trim().chars().take(MAX_REASON_CHARS).collect();
    if act.is_moderation() && reason.is_empty() {
        return Ok(back(&slug, &conv, "reason_needed"));
    }
    let request = ActRequest {
        workspace_id: ws,
        message_id: msg.id,
        action: act,
        reason,
        user_id: Some(access.user.id),
        actor_label: access.user.email.to_string(),
    };
    state.store.enqueue_job(act_job(&request, now)).await?;
    Ok(back(&slug, &conv, "acted"))
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct CountRequest {
    text: String,
}

#[derive(Serialize)]
struct CountAnswer {
    /// "12 / 300", empty without a limit.
    count: String,
    over: bool,
    /// Why the reply would be refused, in the page's language (`None`: it would go).
    problem: Option<String>,
}

/// The reply box's live count: how the conversation's network counts the text.
pub async fn count(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
    Json(request): Json<CountRequest>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Answer)?;
    let conv = conversation_of(&state, &access, &id).await?;
    let (count, over) = counter(conv.network.as_deref(), &request.text);
    let problem = if request.text.trim().is_empty() {
        None
    } else {
        check(conv.network.as_deref(), request.text.trim_end())
            .err()
            .map(|p| p.describe(ctx.lang.code()))
    };
    Ok(Json(CountAnswer {
        count,
        over,
        problem,
    })
    .into_response())
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct PresenceRequest {
    /// The reply box holds text.
    replying: bool,
}

#[derive(Serialize)]
struct Someone {
    name: String,
    replying: bool,
}

#[derive(Serialize)]
struct PresenceAnswer {
    /// The others who have the conversation open now.
    others: Vec<Someone>,
}

/// Says the member has the conversation open (writing a reply or not) for the next 30
/// seconds, and answers who else has.
pub async fn presence(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
    Json(request): Json<PresenceRequest>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Answer)?;
    let conv = conversation_of(&state, &access, &id).await?;
    let ws = access.workspace.id;
    let now = Timestamp::now();
    let until = Timestamp::from_millis(now.millis() + PRESENCE_MS);
    state
        .store
        .touch_presence(ws, conv.id, access.user.id, request.replying, until)
        .await?;
    let others = state
        .store
        .presence(ws, conv.id, now)
        .await?
        .into_iter()
        .filter(|p| p.user_id != access.user.id)
        .map(|p| Someone {
            name: p.user_name,
            replying: p.replying,
        })
        .collect();
    Ok(Json(PresenceAnswer { others }).into_response())
}
