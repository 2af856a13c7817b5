//! Raising alerts: keyword rules against each new mention, spike rules once an hour against
//! the last complete hour of their series. The store records each alert once (per hour, per
//! mention), so running a check twice raises nothing twice.

use std::collections::HashMap;

use relais_core::{AlertRuleId, ListenQueryId, Timestamp, WorkspaceId};
use relais_listen::alert::{HOUR_MS, Hourly, SpikeOf, check_spike, last_complete_hour};
use relais_listen::query::{Doc, Query, QuerySet};
use relais_store::listening::{AlertKind, AlertRule, NewAlertEvent, NewMention};
use relais_store::{Store, StoreResult};

/// Hours of history a spike is judged against (a week), besides the hour judged.
const HISTORY_HOURS: usize = 168;

/// The keyword rules compiled together, rebuilt when the rules change.
#[derive(Default)]
pub struct KeywordRules {
    set: Option<QuerySet>,
    /// By the set's query number.
    rules: Vec<(AlertRuleId, WorkspaceId)>,
    signature: Vec<(AlertRuleId, Option<String>, bool)>,
}

impl KeywordRules {
    /// Compiles the enabled keyword rules of `rules` unless they are the ones compiled. A rule
    /// whose keywords do not parse is skipped (the page refuses such keywords when saved).
    pub fn refresh(&mut self, rules: &[AlertRule]) {
        let signature: Vec<_> = rules
            .iter()
            .filter(|r| r.kind == AlertKind::Keyword)
            .map(|r| (r.id, r.keywords.clone(), r.enabled))
            .collect();
        if self.set.is_some() && signature == self.signature {
            return;
        }
        let mut parsed = Vec::new();
        let mut owners = Vec::new();
        for rule in rules
            .iter()
            .filter(|r| r.kind == AlertKind::Keyword && r.enabled)
        {
            let Some(keywords) = rule.keywords.as_deref() else {
                continue;
            };
            match Query::parse(keywords) {
                Ok(query) => {
                    parsed.push((owners.len() as u64, query));
                    owners.push((rule.id, rule.workspace_id));
                }
                Err(err) => tracing::warn!(rule = %rule.id, %err, "alert keywords do not parse"),
            }
        }
        self.set = Some(QuerySet::new(parsed));
        self.rules = owners;
        self.signature = signature;
    }

    /// The keyword rules of its workspace a mention matches.
    pub fn matching(&self, mention: &NewMention) -> Vec<AlertRuleId> {
        let Some(set) = &self.set else {
            return Vec::new();
        };
        let text = match &mention.title {
            Some(title) => format!("{title}\n{}", mention.text),
            None => mention.text.clone(),
        };
        let doc = Doc {
            text: &text,
            lang: mention.lang.as_deref(),
            author: mention.author.as_deref(),
            site: mention.site.as_deref(),
            source: Some(mention.source_kind.as_str()),
        };
        set.matching(&doc)
            .into_iter()
            .filter_map(|n| self.rules.get(n as usize))
            .filter(|(_, ws)| *ws == mention.workspace_id)
            .map(|(rule, _)| *rule)
            .collect()
    }
}

fn excerpt(text: &str, chars: usize) -> String {
    let mut out: String = text.chars().take(chars).collect();
    if text.chars().nth(chars).is_some() {
        out.push('…');
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Records a keyword alert for each new mention matching a keyword rule of its workspace
/// (duplicates of an earlier mention raise none); returns how many were raised.
pub async fn keyword_alerts(
    store: &dyn Store,
    rules: &KeywordRules,
    stored: &[NewMention],
    now: Timestamp,
) -> StoreResult<u32> {
    let mut raised = 0;
    for mention in stored.iter().filter(|m| m.duplicate_of.is_none()) {
        for rule in rules.matching(mention) {
            let who = mention.author.as_deref().unwrap_or("?");
            let event = NewAlertEvent {
                workspace_id: mention.workspace_id,
                rule_id: rule,
                fired_at: now,
                summary: format!("{who}: {}", excerpt(&mention.text, 140)),
                value_milli: mention.score_milli,
                threshold_milli: 0,
                bucket_start: None,
                mention_id: Some(mention.id),
            };
            if store.record_alert_event(event).await?.is_some() {
                raised += 1;
            }
        }
    }
    Ok(raised)
}

/// Checks every enabled spike rule on the last complete hour before `now`; returns how many
/// alerts were raised.
pub async fn spike_alerts(
    store: &dyn Store,
    rules: &[AlertRule],
    now: Timestamp,
) -> StoreResult<u32> {
    let hour = last_complete_hour(now.millis());
    let from = hour - HISTORY_HOURS as i64 * HOUR_MS;
    let mut raised = 0;
    // Rules on the same series share one read.
    let mut series_cache: HashMap<(WorkspaceId, Option<ListenQueryId>), Hourly> = HashMap::new();
    for rule in rules.iter().filter(|r| r.enabled) {
        let what = match rule.kind {
            AlertKind::VolumeSpike => SpikeOf::Volume,
            AlertKind::NegativeSpike => SpikeOf::NegativeShare,
            AlertKind::Keyword => continue,
        };
        let key = (rule.workspace_id, rule.query_id);
        let series = match series_cache.get(&key) {
            Some(series) => series,
            None => {
                let ids = rule.query_id.map(|q| vec![q]);
                let points = store
                    .mention_series(
                        rule.workspace_id,
                        ids.as_deref(),
                        Timestamp::from_millis(from),
                        Timestamp::from_millis(hour + HOUR_MS),
                        HOUR_MS,
                    )
                    .await?;
                let series = Hourly::from_points(
                    from,
                    HISTORY_HOURS + 1,
                    points
                        .iter()
                        .map(|p| (p.bucket_start.millis(), p.total, p.negative)),
                );
                series_cache.entry(key).or_insert(series)
            }
        };
        let k = rule.k_milli as f64 / 1000.0;
        let Some(spike) = check_spike(what, series, k, u64::from(rule.min_mentions)) else {
            continue;
        };
        let summary = match what {
            SpikeOf::Volume => format!(
                "{} mentions in the hour, {:.1} usually (threshold {:.1})",
                spike.value, spike.mean, spike.threshold
            ),
            SpikeOf::NegativeShare => format!(
                "{:.0} % negative mentions in the hour, {:.0} % usually (threshold {:.0} %)",
                spike.value * 100.0,
                spike.mean * 100.0,
                spike.threshold * 100.0
            ),
        };
        let event = NewAlertEvent {
            workspace_id: rule.workspace_id,
            rule_id: rule.id,
            fired_at: now,
            summary,
            value_milli: (spike.value * 1000.0).round() as i64,
            threshold_milli: (spike.threshold * 1000.0).round() as i64,
            bucket_start: Some(Timestamp::from_millis(spike.hour_start)),
            mention_id: None,
        };
        if store.record_alert_event(event).await?.is_some() {
            raised += 1;
        }
    }
    Ok(raised)
}
