//! The review queue, `/w/{slug}/inbox/review`: the messages the rules held, oldest first, with
//! why (each matched rule's reason, in the page's language, from the verdict the worker stored),
//! and for moderators what to do with each: keep it, hide or delete it on the network, block or
//! report its author. A second tab lists the reviews decided, by whom and when.
//!
//! Acting on the network is a job (`inbox.act`) that audits itself with the member as actor and
//! the reason typed (or the rules' reasons); deciding the review is audited by the store.

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use relais_core::{ChannelId, Permission, ReviewId, Timestamp, UserId};
use relais_inbox_worker::act::{ActRequest, ActionName, act_job};
use relais_moderation::rules::Reason;
use relais_store::inbox::{NetworkState, Review, ReviewStatus};
use serde::Deserialize;

use super::{Rights, audit, chrome, found, path_id, when};
use crate::context::{Ctx, see_other};
use crate::error::WebError;
use crate::i18n::ModerationMsgs;
use crate::pages::listening::web_link;
use crate::pages::{Chrome, PageForm, PageResult, enter_workspace, render};
use crate::state::AppState;

/// Reviews shown on a tab.
const SHOWN: u32 = 200;
/// Longest reason kept from the form.
const MAX_REASON_CHARS: usize = 500;

pub struct ReviewRow {
    id: String,
    text: String,
    author: String,
    handle: String,
    /// The channel's name and network.
    channel: String,
    link: Option<String>,
    conversation: String,
    toxicity: Option<String>,
    reasons: Vec<String>,
    held: String,
    /// On the network: hidden or deleted already.
    network_state: Option<&'static str>,
    /// Decided reviews: the outcome, who, when.
    outcome: &'static str,
    decided_by: String,
    decided_at: String,
}

#[derive(Template)]
#[template(path = "inbox_review.html")]
struct ReviewPage {
    c: Chrome,
    slug: String,
    tab: &'static str,
    rights: Rights,
    /// `pending` or `decided`.
    show: &'static str,
    rows: Vec<ReviewRow>,
    notice: Option<&'static str>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ReviewParams {
    done: String,
    show: String,
}

/// Each matched rule's reason as the verdict stored it, in `lang` (`fr` or `en`): the stored
/// wording in that language, else the reason told again from its values.
pub fn reasons(verdict: &serde_json::Value, lang: &str) -> Vec<String> {
    let Some(matched) = verdict.get("matched").and_then(|m| m.as_array()) else {
        return Vec::new();
    };
    matched
        .iter()
        .filter_map(|m| {
            let rule = m.get("rule_name").and_then(|n| n.as_str()).unwrap_or("");
            let text = m
                .get(lang)
                .and_then(|t| t.as_str())
                .map(str::to_owned)
                .or_else(|| {
                    let reason: Reason = serde_json::from_value(m.get("reason")?.clone()).ok()?;
                    Some(reason.describe(lang))
                })?;
            Some(if rule.is_empty() {
                text
            } else {
                format!("{rule}: {text}")
            })
        })
        .collect()
}

fn row(
    m: &ModerationMsgs,
    lang: &str,
    review: Review,
    names: &HashMap<UserId, String>,
    channels: &HashMap<ChannelId, String>,
) -> ReviewRow {
    let message = review.message;
    let handle = message.author_handle.trim_start_matches('@').to_owned();
    ReviewRow {
        id: review.id.to_string(),
        text: message.text,
        author: message
            .author_name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| handle.clone()),
        handle,
        channel: message
            .channel_id
            .and_then(|id| channels.get(&id).cloned())
            .unwrap_or_default(),
        link: web_link(message.url.as_deref()),
        conversation: message.conversation_id.to_string(),
        toxicity: message
            .toxicity_milli
            .map(|t| format!("{:.2}", t as f64 / 1000.0).replace('.', m.decimal_point)),
        reasons: reasons(&review.reasons, lang),
        held: when(review.created_at),
        network_state: match message.network_state {
            NetworkState::Visible => None,
            NetworkState::Hidden => Some(m.state_hidden),
            NetworkState::Deleted => Some(m.state_deleted),
        },
        outcome: match review.status {
            ReviewStatus::Pending => "",
            ReviewStatus::Approved => m.outcome_kept,
            ReviewStatus::Removed => m.outcome_removed,
        },
        decided_by: review
            .decided_by
            .map(|id| {
                names
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| m.former_member.to_owned())
            })
            .unwrap_or_default(),
        decided_at: review.decided_at.map(when).unwrap_or_default(),
    }
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(params): Query<ReviewParams>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let m = ctx.m().moder;
    let ws = &access.workspace;
    let notice = match params.done.as_str() {
        "kept" => Some(m.done_kept),
        "hidden" => Some(m.done_hidden),
        "deleted" => Some(m.done_deleted),
        "blocked" => Some(m.done_blocked),
        "reported" => Some(m.done_reported),
        "already" => Some(m.done_already),
        _ => None,
    };
    let show = if params.show == "decided" {
        "decided"
    } else {
        "pending"
    };
    let reviews = if show == "decided" {
        let mut decided = state
            .store
            .reviews(ws.id, ReviewStatus::Approved, SHOWN)
            .await?;
        decided.extend(
            state
                .store
                .reviews(ws.id, ReviewStatus::Removed, SHOWN)
                .await?,
        );
        // Latest decisions first.
        decided.sort_by_key(|r| std::cmp::Reverse(r.decided_at));
        decided.truncate(SHOWN as usize);
        decided
    } else {
        state
            .store
            .reviews(ws.id, ReviewStatus::Pending, SHOWN)
            .await?
    };
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
        .map(|c| (c.id, format!("{} · {}", c.name, c.network)))
        .collect();
    let lang = ctx.lang.code();
    let rows = reviews
        .into_iter()
        .map(|r| row(m, lang, r, &names, &channels))
        .collect();
    render(&ReviewPage {
        c: chrome(&ctx, m.title_review, ws, "/review"),
        slug: ws.slug.to_string(),
        tab: "review",
        rights: Rights::of(&access),
        show,
        rows,
        notice,
    })
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct DecideForm {
    reason: String,
}

/// What a moderator decides for a held message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Leave it as it is.
    Keep,
    /// Act on the network: hide or delete (the review is then decided), block or report (the
    /// message stays in the queue, to be kept or removed).
    Act(ActionName),
}

impl Decision {
    /// The decision named in the address; any other is not found.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "keep" => Decision::Keep,
            "hide" => Decision::Act(ActionName::Hide),
            "delete" => Decision::Act(ActionName::Delete),
            "block" => Decision::Act(ActionName::Block),
            "report" => Decision::Act(ActionName::Report),
            _ => return None,
        })
    }

    /// The `?done=` of the page it returns to.
    fn done(self) -> &'static str {
        match self {
            Decision::Keep => "kept",
            Decision::Act(ActionName::Hide) => "hidden",
            Decision::Act(ActionName::Delete) => "deleted",
            Decision::Act(ActionName::Block) => "blocked",
            Decision::Act(_) => "reported",
        }
    }

    /// The review's outcome, when the decision settles it.
    fn outcome(self) -> Option<ReviewStatus> {
        match self {
            Decision::Keep => Some(ReviewStatus::Approved),
            Decision::Act(ActionName::Hide | ActionName::Delete) => Some(ReviewStatus::Removed),
            Decision::Act(_) => None,
        }
    }
}

/// The reason typed, made one clean line; or the rules' reasons (in English, as the worker
/// writes them in the audit log) when none was typed.
fn reason_for(typed: &str, verdict: &serde_json::Value) -> String {
    let typed: String = typed
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_REASON_CHARS)
        .collect();
    if typed.trim().is_empty() {
        reasons(verdict, "en").join("; ")
    } else {
        typed.trim().to_owned()
    }
}

/// Keep, hide, delete, block or report a held message.
pub async fn decide(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id, action)): Path<(String, String, String)>,
    PageForm(form): PageForm<DecideForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Moderate)?;
    let decision = Decision::parse(&action).ok_or_else(WebError::not_found)?;
    let ws = access.workspace.id;
    let id: ReviewId = path_id(&id)?;
    let review = found(state.store.review(ws, id).await?)?;
    let already = see_other(&format!("/w/{slug}/inbox/review?done=already"));
    if review.status != ReviewStatus::Pending {
        return Ok(already);
    }
    let reason = reason_for(&form.reason, &review.reasons);
    let now = Timestamp::now();
    // The review is decided before the job is queued: of two moderators clicking at once, only
    // the one whose decision the store takes sends the action to the network.
    if let Some(outcome) = decision.outcome() {
        let event = audit(
            &access,
            &ctx,
            match outcome {
                ReviewStatus::Approved => "inbox.review.keep",
                _ => "inbox.review.remove",
            },
            review.id.to_string(),
            serde_json::json!({
                "message_id": review.message.id.to_string(),
                "decision": action,
                "reason": reason,
            }),
        );
        let decided = state
            .store
            .decide_review(ws, review.id, outcome, access.user.id, now, event)
            .await?;
        if !decided {
            return Ok(already);
        }
    }
    if let Decision::Act(name) = decision {
        let request = ActRequest {
            workspace_id: ws,
            message_id: review.message.id,
            action: name,
            reason,
            user_id: Some(access.user.id),
            actor_label: access.user.email.to_string(),
        };
        state.store.enqueue_job(act_job(&request, now)).await?;
    }
    Ok(see_other(&format!(
        "/w/{slug}/inbox/review?done={}",
        decision.done()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict() -> serde_json::Value {
        serde_json::json!({
            "matched": [
                {"rule_id": null, "rule_name": "Arnaques",
                 "reason": {"kind": "watched_words", "terms": ["arnaque"]},
                 "en": "contains the watched word “arnaque”",
                 "fr": "contient le mot surveillé «\u{a0}arnaque\u{a0}»"},
                {"rule_name": "Cris", "reason": {"kind": "shouting", "percent": 90, "letters": 20}}
            ],
            "actions": [{"type": "review"}]
        })
    }

    #[test]
    fn reasons_are_read_in_the_page_s_language() {
        let en = reasons(&verdict(), "en");
        assert_eq!(
            en,
            [
                "Arnaques: contains the watched word “arnaque”",
                "Cris: 90% capitals"
            ]
        );
        let fr = reasons(&verdict(), "fr");
        assert!(fr[0].contains("mot surveillé"), "{fr:?}");
        assert_eq!(fr[1], "Cris: 90\u{a0}% de majuscules");
        assert!(reasons(&serde_json::json!({"matched": "?"}), "en").is_empty());
        assert!(reasons(&serde_json::Value::Null, "fr").is_empty());
    }

    #[test]
    fn a_typed_reason_wins_over_the_rules() {
        assert_eq!(reason_for("  spam\nagain ", &verdict()), "spam again");
        let from_rules = reason_for("   ", &verdict());
        assert!(from_rules.starts_with("Arnaques: contains"), "{from_rules}");
        assert!(from_rules.contains("; Cris: 90% capitals"), "{from_rules}");
        assert_eq!(
            reason_for(&"x".repeat(900), &verdict()).len(),
            MAX_REASON_CHARS
        );
    }

    #[test]
    fn decisions_are_read_from_the_address() {
        assert_eq!(Decision::parse("keep"), Some(Decision::Keep));
        assert_eq!(
            Decision::parse("hide").and_then(Decision::outcome),
            Some(ReviewStatus::Removed)
        );
        assert_eq!(Decision::parse("block").and_then(Decision::outcome), None);
        assert_eq!(Decision::parse("like"), None);
        assert_eq!(
            Decision::parse("report").map(Decision::done),
            Some("reported")
        );
    }
}
