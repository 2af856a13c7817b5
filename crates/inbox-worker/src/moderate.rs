//! Moderating what arrives: each new message gets its toxicity score and is checked against its
//! workspace's rules; what the rules ask is done at once (held for review, tagged) or queued as
//! jobs (hide, delete, mute, block and report on the network; an automatic reply with the
//! netiquette's address). Every action is audited with the rule's name as its actor.

use std::collections::HashMap;
use std::sync::Arc;

use relais_core::audit::{Actor, AuditEvent};
use relais_core::{InboxMessageId, ModerationRuleId, ReviewId, Timestamp, WorkspaceId};
use relais_listen::lang::{Lang, LanguageSet};
use relais_moderation::rules::{Action, Message, RecentMessage, Rule, RuleSet, Verdict};
use relais_moderation::toxicity::{ToxicityError, ToxicityScorer};
use relais_store::inbox::{DeliveryState, MessageKind, NewReply};
use relais_store::{Store, StoreResult};
use tokio::sync::Mutex;

use crate::act::{ActRequest, ActionName, act_job};
use crate::ingest::Arrived;
use crate::reply::reply_job;

/// How long a workspace's compiled rules are reused before they are read again: the rules
/// editor may run in another process (`serve --no-workers`), so a change reaches the worker
/// within this time rather than by a signal.
const RULES_TTL_MS: i64 = 30_000;
/// How far back the author's messages are read for the repeated-message rule (a day).
const RECENT_WINDOW_MS: i64 = 24 * 3_600_000;
const RECENT_LIMIT: u32 = 50;

struct CompiledRules {
    loaded_at: i64,
    set: Arc<RuleSet>,
    /// The store's id of each rule, by the index given to the rule set.
    ids: Vec<ModerationRuleId>,
}

/// Scores and checks new messages. Build it once: it loads the toxicity model.
pub struct Moderator {
    toxicity: ToxicityScorer,
    languages: LanguageSet,
    /// Where the public netiquette pages are (`https://relais.example`), for automatic replies.
    public_url: Option<String>,
    rules: Mutex<HashMap<WorkspaceId, CompiledRules>>,
}

type RulesOf = Option<(Arc<RuleSet>, Vec<ModerationRuleId>)>;

impl Moderator {
    pub fn new(public_url: Option<String>) -> Result<Self, ToxicityError> {
        Ok(Moderator {
            toxicity: ToxicityScorer::new()?,
            languages: LanguageSet::french_english(),
            public_url,
            rules: Mutex::new(HashMap::new()),
        })
    }

    /// The workspace's enabled rules compiled, read again every half minute; `None` when they
    /// cannot be compiled together (each was checked when saved).
    async fn rules_of(
        &self,
        store: &Arc<dyn Store>,
        workspace: WorkspaceId,
        now: Timestamp,
    ) -> StoreResult<RulesOf> {
        let mut cache = self.rules.lock().await;
        if let Some(c) = cache.get(&workspace)
            && now.millis() - c.loaded_at < RULES_TTL_MS
        {
            return Ok(Some((c.set.clone(), c.ids.clone())));
        }
        let rows = store.moderation_rules(workspace).await?;
        let mut rules = Vec::new();
        let mut ids = Vec::new();
        for row in rows.iter().filter(|r| r.enabled) {
            match rule_of(&row.rule, rules.len() as u64, &row.name) {
                Some(rule) => {
                    rules.push(rule);
                    ids.push(row.id);
                }
                None => {
                    tracing::warn!(rule = %row.id, "a stored moderation rule cannot be read; skipped")
                }
            }
        }
        // A rule that no longer compiles (a newer Relais is stricter) is skipped, not fatal to
        // the others.
        let set = match RuleSet::compile(&rules) {
            Ok(set) => set,
            Err(e) => {
                tracing::warn!(%workspace, error = %e, "moderation rules do not compile; skipping the broken ones");
                let (usable, usable_ids): (Vec<Rule>, Vec<ModerationRuleId>) = rules
                    .into_iter()
                    .zip(ids)
                    .filter(|(r, _)| RuleSet::compile(std::slice::from_ref(r)).is_ok())
                    .enumerate()
                    .map(|(i, (mut r, id))| {
                        r.id = i as u64;
                        (r, id)
                    })
                    .unzip();
                ids = usable_ids;
                match RuleSet::compile(&usable) {
                    Ok(set) => set,
                    Err(_) => return Ok(None),
                }
            }
        };
        let set = Arc::new(set);
        cache.insert(
            workspace,
            CompiledRules {
                loaded_at: now.millis(),
                set: set.clone(),
                ids: ids.clone(),
            },
        );
        Ok(Some((set, ids)))
    }

    fn lang_of(&self, declared: Option<&str>, text: &str) -> Option<Lang> {
        declared
            .and_then(|code| Lang::from_code(code.split(['-', '_']).next().unwrap_or(code)))
            .filter(|l| self.toxicity.supports(*l))
            .or_else(|| self.languages.detect(text))
    }

    /// Moderates messages that just arrived; returns how many were held for review.
    pub async fn moderate(
        &self,
        store: &Arc<dyn Store>,
        arrived: &[Arrived],
        now: Timestamp,
    ) -> StoreResult<u32> {
        let mut held = 0;
        for a in arrived {
            let m = &a.message;
            if m.kind == MessageKind::Repost || m.text.trim().is_empty() {
                continue;
            }
            let workspace = a.workspace_id;
            let toxicity = self
                .lang_of(m.lang.as_deref(), &m.text)
                .map(|lang| self.toxicity.score(&m.text, lang).score);
            let Some((rules, ids)) = self.rules_of(store, workspace, now).await? else {
                store
                    .set_message_moderation(
                        workspace,
                        a.ingested.message_id,
                        toxicity.map(milli),
                        None,
                    )
                    .await?;
                continue;
            };
            let recent = store
                .author_recent_messages(
                    workspace,
                    &m.author.author_id,
                    Timestamp::from_millis(m.sent_at.millis() - RECENT_WINDOW_MS),
                    RECENT_LIMIT,
                )
                .await?;
            let recent: Vec<RecentMessage<'_>> = recent
                .iter()
                .filter(|r| r.id != a.ingested.message_id)
                .map(|r| RecentMessage {
                    text: &r.text,
                    at_ms: r.sent_at.millis(),
                })
                .collect();
            let verdict = rules.check(&Message {
                text: &m.text,
                author: &m.author.handle,
                network: &m.author.network,
                author_created_at_ms: m.author.account_created_at.map(|t| t.millis()),
                recent: &recent,
                toxicity,
                now_ms: m.sent_at.millis(),
            });
            let verdict_json = (!verdict.is_empty()).then(|| verdict_json(&verdict, &ids));
            store
                .set_message_moderation(
                    workspace,
                    a.ingested.message_id,
                    toxicity.map(milli),
                    verdict_json.as_ref(),
                )
                .await?;
            if let Some(json) = verdict_json {
                held += self
                    .carry_out(store, workspace, a, &verdict, &json, now)
                    .await?;
            }
        }
        Ok(held)
    }

    /// Does what the verdict asks; returns 1 when the message was held for review.
    async fn carry_out(
        &self,
        store: &Arc<dyn Store>,
        workspace: WorkspaceId,
        a: &Arrived,
        verdict: &Verdict,
        json: &serde_json::Value,
        now: Timestamp,
    ) -> StoreResult<u32> {
        let rule_names: Vec<&str> = verdict
            .matched
            .iter()
            .map(|m| m.rule_name.as_str())
            .collect();
        let actor_label = format!("rule:{}", rule_names.join(", "));
        let why = verdict
            .matched
            .iter()
            .map(|m| format!("{}: {}", m.rule_name, m.reason.describe("en")))
            .collect::<Vec<_>>()
            .join("; ");
        let mut held = 0;
        for action in &verdict.actions {
            let network_action = match action {
                Action::Delete => Some(ActionName::Delete),
                Action::Hide => Some(ActionName::Hide),
                Action::Block => Some(ActionName::Block),
                Action::Mute => Some(ActionName::Mute),
                Action::Report => Some(ActionName::Report),
                Action::Review => {
                    store
                        .open_review(workspace, ReviewId::new(), a.ingested.message_id, json, now)
                        .await?;
                    held = 1;
                    None
                }
                Action::Tag { name } => {
                    store
                        .tag_conversation(
                            workspace,
                            a.ingested.conversation_id,
                            name.trim(),
                            rule_audit(workspace, &actor_label, "conversation.tag", name, &why),
                        )
                        .await?;
                    None
                }
                Action::AutoReply { text } => {
                    self.auto_reply(store, workspace, a, text, &actor_label, &why, now)
                        .await?;
                    None
                }
            };
            if let Some(action) = network_action {
                let request = ActRequest {
                    workspace_id: workspace,
                    message_id: a.ingested.message_id,
                    action,
                    reason: why.clone(),
                    user_id: None,
                    actor_label: actor_label.clone(),
                };
                store.enqueue_job(act_job(&request, now)).await?;
            }
        }
        Ok(held)
    }

    #[allow(clippy::too_many_arguments)]
    async fn auto_reply(
        &self,
        store: &Arc<dyn Store>,
        workspace: WorkspaceId,
        a: &Arrived,
        text: &str,
        actor_label: &str,
        why: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        let url = match (&self.public_url, store.workspace_by_id(workspace).await?) {
            (Some(base), Some(ws)) => format!("{}/n/{}", base.trim_end_matches('/'), ws.slug),
            _ => String::new(),
        };
        let text = relais_moderation::rules::fill_netiquette(text, &url);
        let id = InboxMessageId::new();
        let reply = NewReply {
            id,
            conversation_id: a.ingested.conversation_id,
            sender_id: None,
            sender_label: actor_label.to_owned(),
            text,
            delivery: DeliveryState::Queued,
            written_at: now,
            send: Some(reply_job(workspace, id, now)),
        };
        let event = rule_audit(
            workspace,
            actor_label,
            "inbox.auto_reply",
            &a.message.network_id,
            why,
        );
        store.add_reply(workspace, reply, event).await?;
        Ok(())
    }
}

/// A score in 0..=1 as thousandths, as the store keeps it.
fn milli(score: f32) -> i64 {
    (score.clamp(0.0, 1.0) * 1000.0).round() as i64
}

/// A stored rule row's JSON made a rule the rule set reads.
fn rule_of(json: &serde_json::Value, index: u64, name: &str) -> Option<Rule> {
    let mut object = json.as_object()?.clone();
    object.insert("id".into(), index.into());
    object.insert("name".into(), name.into());
    object.insert("enabled".into(), true.into());
    serde_json::from_value(serde_json::Value::Object(object)).ok()
}

/// The verdict as stored on the message, with the store's rule ids and the reasons in both
/// languages (pages show the reader's).
fn verdict_json(verdict: &Verdict, ids: &[ModerationRuleId]) -> serde_json::Value {
    serde_json::json!({
        "matched": verdict.matched.iter().map(|m| serde_json::json!({
            "rule_id": ids.get(m.rule_id as usize).map(|id| id.to_string()),
            "rule_name": m.rule_name,
            "reason": m.reason,
            "en": m.reason.describe("en"),
            "fr": m.reason.describe("fr"),
        })).collect::<Vec<_>>(),
        "actions": verdict.actions,
    })
}

fn rule_audit(
    workspace: WorkspaceId,
    actor_label: &str,
    action: &str,
    target: &str,
    why: &str,
) -> AuditEvent {
    AuditEvent {
        workspace_id: Some(workspace),
        actor: Actor {
            user_id: None,
            label: actor_label.to_owned(),
            origin: "inbox".into(),
        },
        action: action.to_owned(),
        target: target.to_owned(),
        details: serde_json::json!({ "reason": why }),
    }
}
