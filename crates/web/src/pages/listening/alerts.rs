//! The alert rules, `/w/{slug}/listening/alerts`: spikes of volume or of negative mentions
//! (for one query or every mention), and keywords matched by new mentions; how each is sent
//! (now, in a daily or weekly digest; by e-mail, by a signed webhook); and the latest alerts,
//! told in the page's language from what each alert recorded.
//!
//! A webhook's signing secret is sealed by the vault to its rule (`alert:{rule id}`) before it
//! is stored, and never shown again.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use relais_core::{AlertRuleId, Email, ListenQueryId, Permission};
use relais_listen::query::Query as ListenQueryText;
use relais_store::StoreError;
use relais_store::listening::{
    AlertEvent, AlertKind, AlertRule, Delivery, ListenQuery, NewAlertRule, SealedBytes,
};
use serde::Deserialize;

use super::{Choice, Rights, RowAction, audit, chrome, is_web_url, rule_of, when};
use crate::context::{Ctx, see_other};
use crate::error::WebError;
use crate::i18n::ListenMsgs;
use crate::pages::{Access, Chrome, Done, PageForm, PageResult, enter_workspace, render_status};
use crate::state::AppState;

/// Latest alerts shown.
const EVENTS: u32 = 30;

pub struct RuleRow {
    id: String,
    name: String,
    kind: &'static str,
    /// The query watched, or the keywords.
    watches: String,
    k: String,
    min_mentions: u32,
    delivery: &'static str,
    email: String,
    webhook: String,
    signed: bool,
    enabled: bool,
    last_fired: Option<String>,
}

pub struct EventRow {
    when: String,
    rule: String,
    kind: &'static str,
    text: String,
    sent: Option<String>,
    error: Option<String>,
}

#[derive(Clone, Deserialize)]
#[serde(default)]
pub struct RuleForm {
    name: String,
    kind: String,
    query: String,
    keywords: String,
    k: String,
    min_mentions: String,
    delivery: String,
    email: String,
    webhook_url: String,
    webhook_secret: String,
}

impl Default for RuleForm {
    fn default() -> Self {
        Self {
            name: String::new(),
            kind: "volume_spike".into(),
            query: String::new(),
            keywords: String::new(),
            k: "3".into(),
            min_mentions: "5".into(),
            delivery: "instant".into(),
            email: String::new(),
            webhook_url: String::new(),
            webhook_secret: String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "listening_alerts.html")]
struct AlertsPage {
    c: Chrome,
    slug: String,
    tab: &'static str,
    rights: Rights,
    rules: Vec<RuleRow>,
    events: Vec<EventRow>,
    form: RuleForm,
    kinds: Vec<Choice>,
    queries: Vec<Choice>,
    deliveries: Vec<Choice>,
    errors: Vec<String>,
    notice: Option<&'static str>,
    has_vault: bool,
}

/// `3000` → `3`, `2500` → `2.5`.
fn k_text(k_milli: i64) -> String {
    let text = format!("{:.3}", k_milli as f64 / 1000.0);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn rule_row(l: &ListenMsgs, r: AlertRule, queries: &[ListenQuery]) -> RuleRow {
    let watches = match r.kind {
        AlertKind::Keyword => r.keywords.clone().unwrap_or_default(),
        _ => r
            .query_id
            .and_then(|id| queries.iter().find(|q| q.id == id))
            .map_or_else(|| l.every_mention.to_owned(), |q| q.name.clone()),
    };
    RuleRow {
        id: r.id.to_string(),
        name: r.name,
        kind: l.alert_kind(r.kind),
        watches,
        k: k_text(r.k_milli),
        min_mentions: r.min_mentions,
        delivery: l.delivery(r.delivery),
        email: r.email.unwrap_or_default(),
        webhook: r
            .webhook_url
            .as_deref()
            .map(webhook_shown)
            .unwrap_or_default(),
        signed: r.webhook_secret.is_some(),
        enabled: r.enabled,
        last_fired: r.last_fired_at.map(when),
    }
}

/// What an alert says, in the page's language, from the figures it recorded (its stored
/// summary is English): a spike's count or share against its threshold, or the mention a
/// keyword rule matched.
pub fn event_text(l: &ListenMsgs, e: &AlertEvent) -> String {
    let hour = e.bucket_start.map(when).unwrap_or_default();
    match e.kind {
        AlertKind::VolumeSpike => l
            .event_volume
            .replace("{value}", &k_text(e.value_milli))
            .replace(
                "{threshold}",
                &format!("{:.1}", e.threshold_milli as f64 / 1000.0),
            )
            .replace("{hour}", &hour),
        AlertKind::NegativeSpike => l
            .event_negative
            .replace("{value}", &format!("{:.0}", e.value_milli as f64 / 10.0))
            .replace(
                "{threshold}",
                &format!("{:.0}", e.threshold_milli as f64 / 10.0),
            )
            .replace("{hour}", &hour),
        AlertKind::Keyword => l.event_keyword.replace("{summary}", &e.summary),
    }
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    access: &Access,
    status: StatusCode,
    form: RuleForm,
    errors: Vec<String>,
    notice: Option<&'static str>,
) -> PageResult {
    let l = ctx.m().listen;
    let ws = &access.workspace;
    let queries = state.store.listen_queries(ws.id).await?;
    let stored = state.store.alert_rules(ws.id).await?;
    let events = state
        .store
        .alert_events(ws.id, EVENTS)
        .await?
        .into_iter()
        .map(|e| EventRow {
            when: when(e.fired_at),
            rule: stored
                .iter()
                .find(|r| r.id == e.rule_id)
                .map(|r| r.name.clone())
                .unwrap_or_default(),
            kind: l.alert_kind(e.kind),
            text: event_text(l, &e),
            sent: e.sent_at.map(when),
            error: e.last_attempt_error,
        })
        .collect();
    let rules = stored
        .into_iter()
        .map(|r| rule_row(l, r, &queries))
        .collect();
    let kinds = Choice::list(
        AlertKind::ALL
            .iter()
            .map(|k| (k.as_str(), l.alert_kind(*k))),
        &form.kind,
    );
    let query_choices = Choice::queries(l.every_mention, &queries, &form.query);
    let deliveries = Choice::list(
        Delivery::ALL.iter().map(|d| (d.as_str(), l.delivery(*d))),
        &form.delivery,
    );
    let slug = ws.slug.to_string();
    render_status(
        status,
        &AlertsPage {
            c: chrome(ctx, l.tab_alerts, ws, "/alerts"),
            slug,
            tab: "alerts",
            rights: Rights::of(access),
            rules,
            events,
            form,
            kinds,
            queries: query_choices,
            deliveries,
            errors,
            notice,
            has_vault: state.config.vault.is_some(),
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
    let l = ctx.m().listen;
    let notice = match done.done.as_str() {
        "created" => Some(l.rule_created),
        "enabled" => Some(l.rule_enabled),
        "disabled" => Some(l.rule_disabled),
        "deleted" => Some(l.rule_deleted),
        _ => None,
    };
    let form = RuleForm::default();
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

/// A rule as the form describes it, checked; or every problem found, to show together.
struct Checked {
    name: String,
    kind: AlertKind,
    query_id: Option<ListenQueryId>,
    keywords: Option<String>,
    k_milli: i64,
    min_mentions: u32,
    delivery: Delivery,
    email: Option<String>,
    webhook_url: Option<String>,
    secret: Option<String>,
}

fn check(l: &ListenMsgs, form: &RuleForm, queries: &[ListenQuery]) -> Result<Checked, Vec<String>> {
    let mut errors = Vec::new();
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        errors.push(l.bad_rule_name.to_owned());
    }
    let kind = AlertKind::parse(form.kind.trim()).unwrap_or(AlertKind::VolumeSpike);
    let mut query_id = None;
    let mut keywords = None;
    if kind == AlertKind::Keyword {
        let text = form.keywords.trim();
        if text.is_empty() {
            errors.push(l.keywords_needed.to_owned());
        } else {
            match ListenQueryText::parse(text) {
                Ok(_) => keywords = Some(text.to_owned()),
                Err(e) => errors.push(format!("{} — {}", l.keywords_label, l.query_error(&e))),
            }
        }
    } else if !form.query.trim().is_empty() {
        match queries
            .iter()
            .find(|q| q.id.to_string() == form.query.trim())
        {
            Some(q) => query_id = Some(q.id),
            None => errors.push(l.bad_rule_query.to_owned()),
        }
    }
    let k = form.k.trim().replace(',', ".").parse::<f64>().ok();
    let k_milli = match k {
        Some(k) if k.is_finite() && k > 0.0 && k <= 20.0 => (k * 1000.0).round() as i64,
        _ => {
            errors.push(l.bad_k.to_owned());
            0
        }
    };
    let min_mentions = match form.min_mentions.trim().parse::<u32>() {
        Ok(n) if (1..=1_000_000).contains(&n) => n,
        _ => {
            errors.push(l.bad_min_mentions.to_owned());
            0
        }
    };
    let delivery = Delivery::parse(form.delivery.trim()).unwrap_or(Delivery::Instant);
    let email = match form.email.trim() {
        "" => None,
        raw => match Email::parse(raw) {
            Ok(e) => Some(e.to_string()),
            Err(_) => {
                errors.push(l.bad_email.to_owned());
                None
            }
        },
    };
    let webhook_url = match form.webhook_url.trim() {
        "" => None,
        raw => match is_web_url(raw).filter(|_| raw.chars().count() <= 2000) {
            Some(u) => Some(u.to_string()),
            None => {
                errors.push(l.bad_webhook.to_owned());
                None
            }
        },
    };
    let secret = match form.webhook_secret.trim() {
        "" => None,
        _ if form.webhook_url.trim().is_empty() => {
            errors.push(l.secret_needs_webhook.to_owned());
            None
        }
        s if s.len() > 500 => {
            errors.push(l.bad_secret.to_owned());
            None
        }
        s => Some(s.to_owned()),
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Checked {
        name: name.to_owned(),
        kind,
        query_id,
        keywords,
        k_milli,
        min_mentions,
        delivery,
        email,
        webhook_url,
        secret,
    })
}

pub async fn create(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    PageForm(mut form): PageForm<RuleForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Listen)?;
    let l = ctx.m().listen;
    let queries = state.store.listen_queries(access.workspace.id).await?;
    let checked = check(l, &form, &queries);
    // A secret typed is never sent back in the page, even when the form is refused.
    let secret_typed = !form.webhook_secret.trim().is_empty();
    form.webhook_secret.clear();
    let refuse = StatusCode::UNPROCESSABLE_ENTITY;
    let r = match checked {
        Ok(r) => r,
        Err(mut errors) => {
            if secret_typed {
                errors.push(l.secret_again.to_owned());
            }
            return page(&state, &ctx, &access, refuse, form, errors, None).await;
        }
    };
    let id = AlertRuleId::new();
    let webhook_secret = match (&r.secret, &state.config.vault) {
        (None, _) => None,
        (Some(s), Some(vault)) => {
            let sealed = vault
                .seal(&format!("alert:{id}"), s)
                .map_err(WebError::internal)?;
            Some(SealedBytes(sealed.into_bytes()))
        }
        (Some(_), None) => {
            let errors = vec![ctx.m().vault_missing.to_owned()];
            return page(&state, &ctx, &access, refuse, form, errors, None).await;
        }
    };
    let event = audit(
        &access,
        &ctx,
        "listen.alert.create",
        id.to_string(),
        serde_json::json!({
            "name": r.name,
            "kind": r.kind.as_str(),
            "delivery": r.delivery.as_str(),
            "email": r.email,
            "webhook": r.webhook_url.as_deref().map(webhook_shown),
            "signed": webhook_secret.is_some(),
        }),
    );
    let new = NewAlertRule {
        id,
        workspace_id: access.workspace.id,
        name: r.name,
        kind: r.kind,
        query_id: r.query_id,
        keywords: r.keywords,
        k_milli: r.k_milli,
        min_mentions: r.min_mentions,
        delivery: r.delivery,
        email: r.email,
        webhook_url: r.webhook_url,
        webhook_secret,
        enabled: true,
        created_by: Some(access.user.id),
    };
    match state.store.create_alert_rule(new, event).await {
        Ok(_) => Ok(see_other(&format!(
            "/w/{slug}/listening/alerts?done=created"
        ))),
        Err(StoreError::Conflict(_)) => {
            let mut errors = vec![l.rule_name_taken.to_owned()];
            if secret_typed {
                errors.push(l.secret_again.to_owned());
            }
            page(&state, &ctx, &access, refuse, form, errors, None).await
        }
        Err(StoreError::NotFound(_)) => {
            let errors = vec![l.bad_rule_query.to_owned()];
            page(&state, &ctx, &access, refuse, form, errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Turn a rule on or off, or delete it (with its alerts).
pub async fn act(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id, action)): Path<(String, String, String)>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Listen)?;
    let asked = RowAction::parse(&action)?;
    let rule = rule_of(&state, &access, &id).await?;
    let ws = access.workspace.id;
    let name = format!("listen.alert.{action}");
    let details = serde_json::json!({ "name": rule.name });
    let event = audit(&access, &ctx, &name, rule.id.to_string(), details);
    match asked {
        RowAction::Switch(on) => {
            state
                .store
                .set_alert_rule_enabled(ws, rule.id, on, event)
                .await?;
        }
        RowAction::Delete => {
            state.store.delete_alert_rule(ws, rule.id, event).await?;
        }
    }
    Ok(see_other(&format!(
        "/w/{slug}/listening/alerts?done={}",
        asked.done()
    )))
}

/// A webhook address as pages and the audit log show it: its origin only. Many receivers
/// (chat tools' incoming webhooks) put their secret in the path or the query.
fn webhook_shown(url: &str) -> String {
    match is_web_url(url) {
        Some(parsed) if parsed.path() == "/" && parsed.query().is_none() => {
            parsed.origin().ascii_serialization()
        }
        Some(parsed) => format!("{}/…", parsed.origin().ascii_serialization()),
        None => "…".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_addresses_are_shown_without_their_path() {
        assert_eq!(
            webhook_shown("https://hooks.example.com/services/T000/B000/XXXXsecret"),
            "https://hooks.example.com/…"
        );
        assert_eq!(
            webhook_shown("https://user:pw@example.com/?token=x"),
            "https://example.com/…"
        );
        assert_eq!(
            webhook_shown("http://example.com:8080/"),
            "http://example.com:8080"
        );
        assert_eq!(webhook_shown("not a url"), "…");
    }
    use relais_core::{AlertEventId, Timestamp, WorkspaceId};

    fn en() -> &'static ListenMsgs {
        crate::i18n::EN.listen
    }

    fn form(kind: &str, keywords: &str) -> RuleForm {
        RuleForm {
            name: "Crise".into(),
            kind: kind.into(),
            keywords: keywords.into(),
            ..RuleForm::default()
        }
    }

    #[test]
    fn keyword_rules_need_keywords_that_parse() {
        let ok = check(en(), &form("keyword", "crise OR boycott"), &[]).expect("valid");
        assert_eq!(ok.keywords.as_deref(), Some("crise OR boycott"));
        assert_eq!(ok.k_milli, 3000);
        assert_eq!(ok.min_mentions, 5);
        let errors = check(en(), &form("keyword", "crise NEAR boycott"), &[])
            .err()
            .expect("NEAR needs a distance");
        assert_eq!(
            errors,
            [
                "Keywords — Column 7: NEAR needs a distance: write NEAR/3 for at most 3 words between"
            ]
        );
        assert!(check(en(), &form("keyword", "  "), &[]).is_err());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let bad = RuleForm {
            name: String::new(),
            k: "0".into(),
            min_mentions: "zero".into(),
            email: "not-an-address".into(),
            webhook_url: "ftp://hooks.example/x".into(),
            webhook_secret: "s3cret".into(),
            ..RuleForm::default()
        };
        let errors = check(en(), &bad, &[]).err().expect("refused");
        assert_eq!(errors.len(), 5, "{errors:?}");
        let mut secret_only = RuleForm {
            name: "x".into(),
            webhook_secret: "s3cret".into(),
            ..RuleForm::default()
        };
        assert_eq!(
            check(en(), &secret_only, &[]).err().map(|e| e.len()),
            Some(1)
        );
        secret_only.webhook_url = "https://hooks.example/relais".into();
        assert!(check(en(), &secret_only, &[]).is_ok());
    }

    #[test]
    fn spike_rules_watch_only_the_workspace_s_queries() {
        let mut f = form("volume_spike", "");
        f.query = ListenQueryId::new().to_string();
        assert!(check(en(), &f, &[]).is_err());
        f.query.clear();
        let ok = check(en(), &f, &[]).expect("every mention");
        assert_eq!(ok.query_id, None);
        f.k = "2,5".into();
        assert_eq!(check(en(), &f, &[]).ok().map(|c| c.k_milli), Some(2500));
    }

    #[test]
    fn alerts_are_told_from_their_figures() {
        let event = |kind, value, threshold| AlertEvent {
            id: AlertEventId::new(),
            workspace_id: WorkspaceId::new(),
            rule_id: AlertRuleId::new(),
            fired_at: Timestamp::from_millis(0),
            kind,
            summary: "jean: boycott Relais".into(),
            value_milli: value,
            threshold_milli: threshold,
            bucket_start: Some(Timestamp::from_millis(1_700_002_800_000)),
            mention_id: None,
            sent_at: None,
            last_attempt_error: None,
        };
        let fr = crate::i18n::FR.listen;
        let volume = event_text(fr, &event(AlertKind::VolumeSpike, 42_000, 12_500));
        assert!(volume.contains("42") && volume.contains("12.5"), "{volume}");
        assert!(volume.contains("2023-11-14 23:00"), "{volume}");
        let negative = event_text(en(), &event(AlertKind::NegativeSpike, 640, 300));
        assert!(
            negative.contains("64") && negative.contains("30"),
            "{negative}"
        );
        let keyword = event_text(fr, &event(AlertKind::Keyword, 0, 0));
        assert!(keyword.contains("jean: boycott Relais"), "{keyword}");
        assert_eq!(k_text(3000), "3");
        assert_eq!(k_text(2500), "2.5");
    }
}
