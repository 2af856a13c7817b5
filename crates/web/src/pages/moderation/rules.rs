//! The moderation rules, `/w/{slug}/inbox/rules`: the workspace's rules in the order they are
//! checked, each with its kind, a summary of its settings, its actions and whether it is on;
//! creating and editing one with the fields of its kind, turning it on or off, deleting it; and
//! a "test this rule" box that tries the rule in the form on a sample message before it is
//! saved.
//!
//! A rule is checked by the rules core before it is stored (`RuleSet::compile`): a rule that
//! cannot work is refused with the core's words on what to fix, and the form is kept.

use std::sync::OnceLock;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use relais_core::{ModerationRuleId, Permission};
use relais_listen::lang::LanguageSet;
use relais_moderation::rules::{Action, Message, Rule, RuleKind, test_rule_with};
use relais_moderation::toxicity::ToxicityScorer;
use relais_store::StoreError;
use relais_store::inbox::{ModerationRuleRow, NewModerationRule};
use serde::Deserialize;

use super::rule_form::{
    self, KINDS, RuleForm, action_label, kind_label, kind_name, rule_of_row, stored_json, summary,
};
use super::{Rights, audit, chrome, found, path_id};
use crate::context::{Ctx, see_other};
use crate::error::WebError;
use crate::i18n::ModerationMsgs;
use crate::pages::listening::{Choice, RowAction};
use crate::pages::{Access, Chrome, PageForm, PageResult, enter_workspace, render_status};
use crate::state::AppState;

/// Characters of a sample message tried at most.
const MAX_SAMPLE_CHARS: usize = 5000;
/// A rule's JSON is written whole in the audit log up to this size; a larger one (a long block
/// list) only by its kind and actions.
const MAX_AUDITED_JSON: usize = 4000;

pub struct RuleRow {
    id: String,
    position: usize,
    name: String,
    kind: &'static str,
    summary: String,
    actions: String,
    enabled: bool,
    /// The stored JSON reads as a rule (an unreadable one is shown as such, and skipped by the
    /// worker).
    readable: bool,
}

/// What the test box found.
pub struct Tried {
    matched: bool,
    /// Why it matched, or that it did not.
    text: String,
    /// The sample's toxicity score, for a toxicity rule.
    score: Option<String>,
}

#[derive(Template)]
#[template(path = "inbox_rules.html")]
struct RulesPage {
    c: Chrome,
    slug: String,
    tab: &'static str,
    rights: Rights,
    rows: Vec<RuleRow>,
    form: RuleForm,
    kinds: Vec<Choice>,
    errors: Vec<String>,
    tried: Option<Tried>,
    notice: Option<&'static str>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct RulesParams {
    done: String,
    edit: String,
}

fn rule_row(m: &ModerationMsgs, position: usize, row: &ModerationRuleRow) -> RuleRow {
    let rule = rule_of_row(row);
    RuleRow {
        id: row.id.to_string(),
        position,
        name: row.name.clone(),
        kind: rule
            .as_ref()
            .map_or("", |r| kind_label(m, kind_name(&r.kind))),
        summary: rule
            .as_ref()
            .map_or_else(|| m.rule_unreadable.to_owned(), |r| summary(m, &r.kind)),
        actions: rule
            .as_ref()
            .map(|r| {
                r.actions
                    .iter()
                    .map(|a| action_label(m, a))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default(),
        enabled: row.enabled,
        readable: rule.is_some(),
    }
}

/// What a rules page shows besides the list.
struct Shown {
    status: StatusCode,
    form: RuleForm,
    errors: Vec<String>,
    tried: Option<Tried>,
    notice: Option<&'static str>,
}

async fn page(state: &AppState, ctx: &Ctx, access: &Access, shown: Shown) -> PageResult {
    let m = ctx.m().moder;
    let ws = &access.workspace;
    let rows = state
        .store
        .moderation_rules(ws.id)
        .await?
        .iter()
        .enumerate()
        .map(|(i, row)| rule_row(m, i + 1, row))
        .collect();
    let kinds = Choice::list(
        KINDS.iter().map(|k| (*k, kind_label(m, k))),
        shown.form.kind(),
    );
    render_status(
        shown.status,
        &RulesPage {
            c: chrome(ctx, m.title_rules, ws, "/rules"),
            slug: ws.slug.to_string(),
            tab: "rules",
            rights: Rights::of(access),
            rows,
            form: shown.form,
            kinds,
            errors: shown.errors,
            tried: shown.tried,
            notice: shown.notice,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(params): Query<RulesParams>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let m = ctx.m().moder;
    let notice = match params.done.as_str() {
        "created" => Some(m.rule_created),
        "updated" => Some(m.rule_updated),
        "enabled" => Some(m.rule_enabled),
        "disabled" => Some(m.rule_disabled),
        "deleted" => Some(m.rule_deleted),
        _ => None,
    };
    let mut form = RuleForm::fresh();
    let mut errors = Vec::new();
    if !params.edit.is_empty() && access.role.allows(Permission::Moderate) {
        let row = row_of(&state, &access, &params.edit).await?;
        match RuleForm::of_row(&row) {
            Some(f) => form = f,
            None => {
                // An unreadable rule starts again from an empty form, under its name.
                form.editing = row.id.to_string();
                form.name = row.name;
                errors.push(m.rule_unreadable.to_owned());
            }
        }
    }
    let shown = Shown {
        status: StatusCode::OK,
        form,
        errors,
        tried: None,
        notice,
    };
    page(&state, &ctx, &access, shown).await
}

async fn row_of(
    state: &AppState,
    access: &Access,
    id: &str,
) -> Result<ModerationRuleRow, WebError> {
    let id: ModerationRuleId = path_id(id)?;
    let rows = state.store.moderation_rules(access.workspace.id).await?;
    found(rows.into_iter().find(|r| r.id == id))
}

/// The rule's place in the list (from 1): the edited rule's, or after the last for a new one.
async fn position(
    state: &AppState,
    access: &Access,
    editing: Option<ModerationRuleId>,
) -> Result<u64, WebError> {
    let rows = state.store.moderation_rules(access.workspace.id).await?;
    let at = editing
        .and_then(|id| rows.iter().position(|r| r.id == id))
        .unwrap_or(rows.len());
    Ok(at as u64 + 1)
}

/// What the audit log says of a rule saved.
fn rule_details(rule: &Rule, json: &serde_json::Value) -> serde_json::Value {
    let actions: Vec<&str> = rule
        .actions
        .iter()
        .map(|a| match a {
            Action::Review => "review",
            Action::Hide => "hide",
            Action::Delete => "delete",
            Action::Mute => "mute",
            Action::Block => "block",
            Action::Report => "report",
            Action::AutoReply { .. } => "auto_reply",
            Action::Tag { .. } => "tag",
        })
        .collect();
    let whole = json.to_string();
    serde_json::json!({
        "name": rule.name,
        "kind": kind_name(&rule.kind),
        "actions": actions,
        "rule": (whole.len() <= MAX_AUDITED_JSON).then(|| json.clone()),
    })
}

async fn refuse(
    state: &AppState,
    ctx: &Ctx,
    access: &Access,
    form: RuleForm,
    errors: Vec<String>,
) -> PageResult {
    let shown = Shown {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        form,
        errors,
        tried: None,
        notice: None,
    };
    page(state, ctx, access, shown).await
}

pub async fn create(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    PageForm(mut form): PageForm<RuleForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Moderate)?;
    form.editing.clear();
    let m = ctx.m().moder;
    let at = position(&state, &access, None).await?;
    let rule = match rule_form::check(m, ctx.lang.code(), &form, at) {
        Ok(rule) => rule,
        Err(errors) => return refuse(&state, &ctx, &access, form, errors).await,
    };
    let id = ModerationRuleId::new();
    let json = stored_json(&rule);
    let event = audit(
        &access,
        &ctx,
        "inbox.rule.create",
        id.to_string(),
        rule_details(&rule, &json),
    );
    let new = NewModerationRule {
        id,
        name: rule.name,
        rule: json,
        enabled: true,
        created_by: Some(access.user.id),
    };
    match state
        .store
        .create_moderation_rule(access.workspace.id, new, event)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/w/{slug}/inbox/rules?done=created"))),
        Err(StoreError::Conflict(_)) => {
            let errors = vec![m.rule_name_taken.to_owned()];
            refuse(&state, &ctx, &access, form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn update(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
    PageForm(mut form): PageForm<RuleForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Moderate)?;
    let existing = row_of(&state, &access, &id).await?;
    form.editing = existing.id.to_string();
    let m = ctx.m().moder;
    let at = position(&state, &access, Some(existing.id)).await?;
    let rule = match rule_form::check(m, ctx.lang.code(), &form, at) {
        Ok(rule) => rule,
        Err(errors) => return refuse(&state, &ctx, &access, form, errors).await,
    };
    let json = stored_json(&rule);
    let event = audit(
        &access,
        &ctx,
        "inbox.rule.update",
        existing.id.to_string(),
        rule_details(&rule, &json),
    );
    let saved = state
        .store
        .update_moderation_rule(
            access.workspace.id,
            existing.id,
            &rule.name,
            &json,
            existing.enabled,
            event,
        )
        .await;
    match saved {
        Ok(true) => Ok(see_other(&format!("/w/{slug}/inbox/rules?done=updated"))),
        Ok(false) => Err(WebError::not_found()),
        Err(StoreError::Conflict(_)) => {
            let errors = vec![m.rule_name_taken.to_owned()];
            refuse(&state, &ctx, &access, form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Turn a rule on or off, or delete it.
pub async fn act(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id, action)): Path<(String, String, String)>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Moderate)?;
    let asked = RowAction::parse(&action)?;
    let row = row_of(&state, &access, &id).await?;
    let ws = access.workspace.id;
    let details = serde_json::json!({ "name": row.name });
    let event = audit(
        &access,
        &ctx,
        &format!("inbox.rule.{action}"),
        row.id.to_string(),
        details,
    );
    let done = match asked {
        RowAction::Switch(on) => {
            state
                .store
                .update_moderation_rule(ws, row.id, &row.name, &row.rule, on, event)
                .await?
        }
        RowAction::Delete => {
            state
                .store
                .delete_moderation_rule(ws, row.id, event)
                .await?
        }
    };
    if !done {
        return Err(WebError::not_found());
    }
    Ok(see_other(&format!(
        "/w/{slug}/inbox/rules?done={}",
        asked.done()
    )))
}

/// The toxicity model and the language detector, loaded on the first test of a toxicity rule
/// and kept (both read tables compiled into the binary). `None` when the model is damaged.
fn scorer() -> Option<&'static (ToxicityScorer, LanguageSet)> {
    static SCORER: OnceLock<Option<(ToxicityScorer, LanguageSet)>> = OnceLock::new();
    SCORER
        .get_or_init(|| match ToxicityScorer::new() {
            Ok(scorer) => Some((scorer, LanguageSet::french_english())),
            Err(e) => {
                tracing::error!(error = %e, "the toxicity model cannot be loaded");
                None
            }
        })
        .as_ref()
}

/// Tries `rule` on `sample` as the worker would on a message of that text. A toxicity rule gets
/// the sample's score (in the language detected, French or English); a block list takes the
/// sample as the author's handle. Rules that need an author's history (repeats, account age)
/// cannot be tried on a text: `None`.
pub fn try_rule(m: &ModerationMsgs, lang: &str, rule: &Rule, sample: &str) -> Option<Tried> {
    let sample: String = sample.chars().take(MAX_SAMPLE_CHARS).collect();
    let mut message = Message::text(&sample);
    let mut score = None;
    match &rule.kind {
        RuleKind::Repeated { .. } | RuleKind::NewAccount { .. } => return None,
        RuleKind::Toxicity { .. } => {
            let value = scorer().map(|(scorer, languages)| {
                languages
                    .detect(&sample)
                    .map_or(0.0, |l| scorer.score(&sample, l).score)
            });
            message.toxicity = value;
            score = Some(match value {
                Some(v) => format!("{v:.2}").replace('.', m.decimal_point),
                None => m.toxicity_unavailable.to_owned(),
            });
        }
        RuleKind::BlockList { network, .. } => {
            message.author = sample.trim();
            message.network = network.as_deref().unwrap_or_default();
        }
        _ => {}
    }
    let outcome = test_rule_with(rule, &message);
    Some(match outcome {
        Ok(Some(reason)) => Tried {
            matched: true,
            text: m.test_matched.replace("{reason}", &reason.describe(lang)),
            score,
        },
        Ok(None) => Tried {
            matched: false,
            text: m.test_not_matched.to_owned(),
            score,
        },
        // The rule was compiled before: only a broken rules core gets here.
        Err(e) => Tried {
            matched: false,
            text: e.describe(lang),
            score,
        },
    })
}

/// The test box: the page again, with the form as it was and what the rule makes of the
/// sample, or what is wrong with the rule.
pub async fn test(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    PageForm(form): PageForm<RuleForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Moderate)?;
    let editing = if form.editing.is_empty() {
        None
    } else {
        // Editing an existing rule: it must be this workspace's.
        Some(row_of(&state, &access, &form.editing).await?.id)
    };
    let m = ctx.m().moder;
    let lang = ctx.lang.code();
    let at = position(&state, &access, editing).await?;
    let rule = match rule_form::check(m, lang, &form, at) {
        Ok(rule) => rule,
        Err(errors) => return refuse(&state, &ctx, &access, form, errors).await,
    };
    let (errors, tried) = if form.sample.trim().is_empty() {
        (vec![m.test_needs_sample.to_owned()], None)
    } else {
        match try_rule(m, lang, &rule, &form.sample) {
            Some(tried) => (Vec::new(), Some(tried)),
            None => (vec![m.test_needs_context.to_owned()], None),
        }
    };
    let shown = Shown {
        status: StatusCode::OK,
        form,
        errors,
        tried,
        notice: None,
    };
    page(&state, &ctx, &access, shown).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: RuleKind) -> Rule {
        Rule {
            id: 1,
            name: "Test".into(),
            kind,
            actions: vec![Action::Review],
            enabled: true,
        }
    }

    #[test]
    fn the_test_box_follows_the_rules_core() {
        let m = crate::i18n::EN.moder;
        let words = rule(RuleKind::WatchedWords {
            terms: vec!["rembours*".into(), "arnaque".into()],
        });
        let tried = try_rule(m, "en", &words, "JE VEUX UN REMBOURSEMENT").expect("a text rule");
        assert!(tried.matched, "{}", tried.text);
        assert!(tried.text.contains("rembours*"), "{}", tried.text);
        let tried = try_rule(m, "en", &words, "C'est une Arnaqué").expect("a text rule");
        assert!(tried.matched, "{}", tried.text);
        let tried = try_rule(m, "en", &words, "Merci beaucoup").expect("a text rule");
        assert!(!tried.matched);
        let fr = crate::i18n::FR.moder;
        let tried = try_rule(fr, "fr", &words, "remboursez-moi").expect("a text rule");
        assert!(tried.text.contains("mot surveillé"), "{}", tried.text);
    }

    #[test]
    fn block_lists_take_the_sample_as_a_handle_and_histories_cannot_be_tried() {
        let m = crate::i18n::EN.moder;
        let blocked = rule(RuleKind::BlockList {
            handles: vec!["@troll".into()],
            network: Some("mastodon".into()),
        });
        assert!(
            try_rule(m, "en", &blocked, " Troll ")
                .expect("tried")
                .matched
        );
        assert!(
            !try_rule(m, "en", &blocked, "someone")
                .expect("tried")
                .matched
        );
        let repeated = rule(RuleKind::Repeated {
            within: 600,
            times: 3,
        });
        assert!(try_rule(m, "en", &repeated, "again").is_none());
    }

    #[test]
    fn toxicity_rules_show_the_sample_s_score() {
        let m = crate::i18n::EN.moder;
        let toxic = rule(RuleKind::Toxicity { min_score: 0.5 });
        let tried = try_rule(m, "en", &toxic, "thank you for the quick answer").expect("tried");
        let score = tried.score.expect("a score");
        assert!(
            score.parse::<f32>().is_ok_and(|s| (0.0..=1.0).contains(&s)),
            "{score}"
        );
    }
}
