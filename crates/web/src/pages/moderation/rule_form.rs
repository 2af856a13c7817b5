//! A moderation rule as the rules editor's form writes it, and back: the form's fields made a
//! `relais_moderation::rules::Rule` (checked field by field here, then by the rules core, whose
//! error says what to fix), the rule as it is stored (its JSON without `id`, `name` and
//! `enabled`, which are the row's columns), and a one-line summary of its settings for the list.

use relais_moderation::rules::{Action, Rule, RuleKind, RuleSet};
use relais_store::inbox::ModerationRuleRow;
use serde::Deserialize;

use super::{clean_name, lines};
use crate::i18n::ModerationMsgs;

/// The kinds, in the order the form offers them (the JSON's `kind`).
pub const KINDS: [&str; 8] = [
    "watched_words",
    "regex",
    "links",
    "shouting",
    "repeated",
    "new_account",
    "toxicity",
    "block_list",
];

/// Longest window of a repeated-message rule, in minutes (the rules core's 30 days).
const MAX_WINDOW_MINUTES: u64 = 30 * 24 * 60;
/// Longest automatic reply and tag name accepted.
const MAX_REPLY_CHARS: usize = 2000;
const MAX_TAG_CHARS: usize = 50;
/// Longest textarea of terms, domains or handles accepted, in bytes (the form's own cap is
/// larger: this one gives a message instead of a refused request).
const MAX_LIST_BYTES: usize = 200_000;

/// The rules editor's form. Checkboxes come as `on` when ticked and are absent otherwise, so
/// [`Default`] (what a missing field reads as) leaves every box empty; [`RuleForm::fresh`] is
/// the form a new rule starts from.
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct RuleForm {
    /// The id of the rule being edited; empty for a new one.
    pub editing: String,
    pub name: String,
    pub kind: String,
    /// Watched words: one term per line.
    pub terms: String,
    pub pattern: String,
    pub case_insensitive: String,
    /// Links: one allowed domain per line.
    pub allowed_domains: String,
    pub min_letters: String,
    /// Shouting: the share of capitals, in percent.
    pub caps_percent: String,
    pub within_minutes: String,
    pub times: String,
    pub younger_than_days: String,
    pub min_score: String,
    /// Block list: one handle per line.
    pub handles: String,
    pub network: String,
    pub act_review: String,
    pub act_hide: String,
    pub act_delete: String,
    pub act_mute: String,
    pub act_block: String,
    pub act_report: String,
    pub act_auto_reply: String,
    pub act_tag: String,
    pub auto_reply_text: String,
    pub tag_name: String,
    /// The test box's sample message (never stored).
    pub sample: String,
}

fn ticked(field: &str) -> bool {
    !field.is_empty()
}

fn tick(on: bool) -> String {
    if on { "on".into() } else { String::new() }
}

/// `0.8` → `0.8`, `0.75` → `0.75`, `1.0` → `1`: a decimal without trailing zeros.
fn decimal(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

impl RuleForm {
    /// The form of a new rule: a list of words sent to review, with the usual values of every
    /// kind filled in.
    pub fn fresh() -> Self {
        Self {
            kind: KINDS[0].into(),
            case_insensitive: tick(true),
            min_letters: "12".into(),
            caps_percent: "70".into(),
            within_minutes: "10".into(),
            times: "3".into(),
            younger_than_days: "7".into(),
            min_score: "0.8".into(),
            act_review: tick(true),
            ..Self::default()
        }
    }

    /// The form showing a stored rule (`None` when its JSON cannot be read).
    pub fn of_row(row: &ModerationRuleRow) -> Option<Self> {
        let rule = rule_of_row(row)?;
        let mut form = Self {
            editing: row.id.to_string(),
            name: row.name.clone(),
            case_insensitive: String::new(),
            ..Self::fresh()
        };
        form.act_review.clear();
        match &rule.kind {
            RuleKind::WatchedWords { terms } => {
                form.kind = "watched_words".into();
                form.terms = terms.join("\n");
            }
            RuleKind::Regex {
                pattern,
                case_insensitive,
            } => {
                form.kind = "regex".into();
                form.pattern = pattern.clone();
                form.case_insensitive = tick(*case_insensitive);
            }
            RuleKind::Links { allowed_domains } => {
                form.kind = "links".into();
                form.allowed_domains = allowed_domains.join("\n");
            }
            RuleKind::Shouting {
                min_letters,
                min_caps_ratio,
            } => {
                form.kind = "shouting".into();
                form.min_letters = min_letters.to_string();
                form.caps_percent = decimal(f64::from(*min_caps_ratio) * 100.0);
            }
            RuleKind::Repeated { within, times } => {
                form.kind = "repeated".into();
                form.within_minutes = within.div_ceil(60).to_string();
                form.times = times.to_string();
            }
            RuleKind::NewAccount { younger_than_days } => {
                form.kind = "new_account".into();
                form.younger_than_days = younger_than_days.to_string();
            }
            RuleKind::Toxicity { min_score } => {
                form.kind = "toxicity".into();
                form.min_score = decimal(f64::from(*min_score));
            }
            RuleKind::BlockList { handles, network } => {
                form.kind = "block_list".into();
                form.handles = handles.join("\n");
                form.network = network.clone().unwrap_or_default();
            }
        }
        for action in &rule.actions {
            match action {
                Action::Review => form.act_review = tick(true),
                Action::Hide => form.act_hide = tick(true),
                Action::Delete => form.act_delete = tick(true),
                Action::Mute => form.act_mute = tick(true),
                Action::Block => form.act_block = tick(true),
                Action::Report => form.act_report = tick(true),
                Action::AutoReply { text } => {
                    form.act_auto_reply = tick(true);
                    form.auto_reply_text = text.clone();
                }
                Action::Tag { name } => {
                    form.act_tag = tick(true);
                    form.tag_name = name.clone();
                }
            }
        }
        Some(form)
    }

    /// The kind chosen, as one of [`KINDS`] (an unknown one reads as the first).
    pub fn kind(&self) -> &'static str {
        KINDS
            .into_iter()
            .find(|k| *k == self.kind.trim())
            .unwrap_or(KINDS[0])
    }
}

/// The rule the form describes, checked: the form's own problems first (every one found, in
/// the page's language), then the rules core's (the first, with what to fix). `position` is the
/// rule's place in the list (from 1), by which the core's error names it.
pub fn check(
    m: &ModerationMsgs,
    lang: &str,
    form: &RuleForm,
    position: u64,
) -> Result<Rule, Vec<String>> {
    let rule = rule_of_form(m, form, position)?;
    RuleSet::compile(std::slice::from_ref(&rule)).map_err(|e| vec![e.describe(lang)])?;
    Ok(rule)
}

/// A whole number typed in a field; the field's label names it in the error.
fn whole<T>(m: &ModerationMsgs, label: &str, raw: &str, errors: &mut Vec<String>) -> T
where
    T: std::str::FromStr + Default,
{
    match raw.trim().parse::<T>() {
        Ok(n) => n,
        Err(_) => {
            errors.push(m.bad_whole.replace("{field}", label));
            T::default()
        }
    }
}

/// A decimal typed with a point or a comma.
fn decimal_field(m: &ModerationMsgs, label: &str, raw: &str, errors: &mut Vec<String>) -> f32 {
    match raw.trim().replace(',', ".").parse::<f32>() {
        Ok(n) if n.is_finite() => n,
        _ => {
            errors.push(m.bad_decimal.replace("{field}", label));
            0.0
        }
    }
}

fn list(m: &ModerationMsgs, label: &str, raw: &str, errors: &mut Vec<String>) -> Vec<String> {
    if raw.len() > MAX_LIST_BYTES {
        errors.push(m.list_too_long.replace("{field}", label));
        return Vec::new();
    }
    lines(raw)
}

fn rule_of_form(m: &ModerationMsgs, form: &RuleForm, position: u64) -> Result<Rule, Vec<String>> {
    let mut errors = Vec::new();
    let name = match clean_name(&form.name) {
        Some(name) => name.to_owned(),
        None => {
            errors.push(m.bad_rule_name.to_owned());
            String::new()
        }
    };
    let kind = match form.kind() {
        "regex" => RuleKind::Regex {
            pattern: form.pattern.trim().to_owned(),
            case_insensitive: ticked(&form.case_insensitive),
        },
        "links" => RuleKind::Links {
            allowed_domains: list(
                m,
                m.allowed_domains_label,
                &form.allowed_domains,
                &mut errors,
            ),
        },
        "shouting" => {
            let min_letters = whole(m, m.min_letters_label, &form.min_letters, &mut errors);
            let percent = decimal_field(m, m.caps_percent_label, &form.caps_percent, &mut errors);
            if !(percent > 0.0 && percent <= 100.0) {
                errors.push(m.caps_percent_range.to_owned());
            }
            RuleKind::Shouting {
                min_letters,
                min_caps_ratio: percent / 100.0,
            }
        }
        "repeated" => {
            let minutes: u64 = whole(m, m.within_minutes_label, &form.within_minutes, &mut errors);
            if minutes == 0 || minutes > MAX_WINDOW_MINUTES {
                errors.push(m.window_range.to_owned());
            }
            RuleKind::Repeated {
                within: minutes.saturating_mul(60),
                times: whole(m, m.times_label, &form.times, &mut errors),
            }
        }
        "new_account" => RuleKind::NewAccount {
            younger_than_days: whole(
                m,
                m.younger_than_days_label,
                &form.younger_than_days,
                &mut errors,
            ),
        },
        "toxicity" => RuleKind::Toxicity {
            min_score: decimal_field(m, m.min_score_label, &form.min_score, &mut errors),
        },
        "block_list" => {
            let network = form.network.trim().to_lowercase();
            RuleKind::BlockList {
                handles: list(m, m.handles_label, &form.handles, &mut errors),
                network: (!network.is_empty()).then_some(network),
            }
        }
        _ => RuleKind::WatchedWords {
            terms: list(m, m.terms_label, &form.terms, &mut errors),
        },
    };
    let mut actions = Vec::new();
    for (field, action) in [
        (&form.act_review, Action::Review),
        (&form.act_hide, Action::Hide),
        (&form.act_delete, Action::Delete),
        (&form.act_mute, Action::Mute),
        (&form.act_block, Action::Block),
        (&form.act_report, Action::Report),
    ] {
        if ticked(field) {
            actions.push(action);
        }
    }
    if ticked(&form.act_auto_reply) {
        let text = form.auto_reply_text.trim();
        if text.is_empty() || text.chars().count() > MAX_REPLY_CHARS {
            errors.push(m.auto_reply_needs_text.to_owned());
        }
        actions.push(Action::AutoReply { text: text.into() });
    }
    if ticked(&form.act_tag) {
        let tag = form.tag_name.trim();
        if tag.is_empty() || tag.chars().count() > MAX_TAG_CHARS || tag.contains(char::is_control) {
            errors.push(m.tag_needs_name.to_owned());
        }
        actions.push(Action::Tag { name: tag.into() });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Rule {
        id: position,
        name,
        kind,
        actions,
        enabled: true,
    })
}

/// The rule as a row stores it: its JSON without the row's own columns.
pub fn stored_json(rule: &Rule) -> serde_json::Value {
    let mut json = serde_json::to_value(rule).unwrap_or_default();
    if let Some(object) = json.as_object_mut() {
        for column in ["id", "name", "enabled"] {
            object.remove(column);
        }
    }
    json
}

/// A stored row read back as a rule (as the inbox worker reads it), `None` when its JSON is not
/// a rule any more.
pub fn rule_of_row(row: &ModerationRuleRow) -> Option<Rule> {
    let mut object = row.rule.as_object()?.clone();
    object.insert("id".into(), 0.into());
    object.insert("name".into(), row.name.clone().into());
    object.insert("enabled".into(), row.enabled.into());
    serde_json::from_value(serde_json::Value::Object(object)).ok()
}

/// The kind in words.
pub fn kind_label(m: &ModerationMsgs, kind: &str) -> &'static str {
    match kind {
        "regex" => m.kind_regex,
        "links" => m.kind_links,
        "shouting" => m.kind_shouting,
        "repeated" => m.kind_repeated,
        "new_account" => m.kind_new_account,
        "toxicity" => m.kind_toxicity,
        "block_list" => m.kind_block_list,
        _ => m.kind_watched_words,
    }
}

/// The JSON `kind` of a rule kind.
pub fn kind_name(kind: &RuleKind) -> &'static str {
    match kind {
        RuleKind::WatchedWords { .. } => "watched_words",
        RuleKind::Regex { .. } => "regex",
        RuleKind::Links { .. } => "links",
        RuleKind::Shouting { .. } => "shouting",
        RuleKind::Repeated { .. } => "repeated",
        RuleKind::NewAccount { .. } => "new_account",
        RuleKind::Toxicity { .. } => "toxicity",
        RuleKind::BlockList { .. } => "block_list",
    }
}

/// Most entries of a list named in a summary; the rest are counted.
const SHOWN_ENTRIES: usize = 8;

fn some_of(entries: &[String]) -> String {
    let mut text = entries
        .iter()
        .take(SHOWN_ENTRIES)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if entries.len() > SHOWN_ENTRIES {
        text.push_str(&format!(" … (+{})", entries.len() - SHOWN_ENTRIES));
    }
    text
}

/// A rule's settings in a line, for the list.
pub fn summary(m: &ModerationMsgs, kind: &RuleKind) -> String {
    let number = |value: f64| decimal(value).replace('.', m.decimal_point);
    match kind {
        RuleKind::WatchedWords { terms } => some_of(terms),
        RuleKind::Regex {
            pattern,
            case_insensitive,
        } => {
            if *case_insensitive {
                format!("/{pattern}/ ({})", m.sum_case_ignored)
            } else {
                format!("/{pattern}/")
            }
        }
        RuleKind::Links { allowed_domains } if allowed_domains.is_empty() => {
            m.sum_links_any.to_owned()
        }
        RuleKind::Links { allowed_domains } => m
            .sum_links_except
            .replace("{list}", &some_of(allowed_domains)),
        RuleKind::Shouting {
            min_letters,
            min_caps_ratio,
        } => m
            .sum_shouting
            .replace("{letters}", &min_letters.to_string())
            .replace("{percent}", &number(f64::from(*min_caps_ratio) * 100.0)),
        RuleKind::Repeated { within, times } => m
            .sum_repeated
            .replace("{times}", &times.to_string())
            .replace("{minutes}", &within.div_ceil(60).to_string()),
        RuleKind::NewAccount { younger_than_days } => m
            .sum_new_account
            .replace("{days}", &younger_than_days.to_string()),
        RuleKind::Toxicity { min_score } => m
            .sum_toxicity
            .replace("{score}", &number(f64::from(*min_score))),
        RuleKind::BlockList { handles, network } => {
            let mut text = m.sum_block_list.replace("{list}", &some_of(handles));
            if let Some(network) = network {
                text.push_str(&m.sum_on_network.replace("{network}", network));
            }
            text
        }
    }
}

/// An action in words.
pub fn action_label(m: &ModerationMsgs, action: &Action) -> String {
    match action {
        Action::Review => m.action_review.into(),
        Action::Hide => m.action_hide.into(),
        Action::Delete => m.action_delete.into(),
        Action::Mute => m.action_mute.into(),
        Action::Block => m.action_block.into(),
        Action::Report => m.action_report.into(),
        Action::AutoReply { .. } => m.action_auto_reply.into(),
        Action::Tag { name } => m.action_tag_named.replace("{name}", name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use relais_core::{ModerationRuleId, Timestamp, WorkspaceId};

    fn en() -> &'static ModerationMsgs {
        crate::i18n::EN.moder
    }

    fn form(kind: &str) -> RuleForm {
        RuleForm {
            name: "Arnaques".into(),
            kind: kind.into(),
            ..RuleForm::fresh()
        }
    }

    fn row(name: &str, rule: serde_json::Value) -> ModerationRuleRow {
        ModerationRuleRow {
            id: ModerationRuleId::new(),
            workspace_id: WorkspaceId::new(),
            name: name.into(),
            rule,
            enabled: true,
            position: 1,
            updated_at: Timestamp::from_millis(0),
        }
    }

    #[test]
    fn every_kind_round_trips_through_the_form() {
        let mut f = form("watched_words");
        f.terms = "arnaque\n\n rembours* \nservice client nul".into();
        f.act_hide = tick(true);
        f.act_auto_reply = tick(true);
        f.auto_reply_text = "Merci de lire {{netiquette_url}}".into();
        let rule = check(en(), "en", &f, 1).expect("valid");
        assert_eq!(
            rule.kind,
            RuleKind::WatchedWords {
                terms: vec![
                    "arnaque".into(),
                    "rembours*".into(),
                    "service client nul".into()
                ]
            }
        );
        assert_eq!(rule.actions.len(), 3);
        let json = stored_json(&rule);
        assert!(json.get("id").is_none() && json.get("name").is_none());
        assert!(json.get("enabled").is_none());
        assert_eq!(json["kind"], "watched_words");
        let back = RuleForm::of_row(&row("Arnaques", json)).expect("readable");
        assert_eq!(back.terms, "arnaque\nrembours*\nservice client nul");
        assert!(ticked(&back.act_review) && ticked(&back.act_hide));
        assert_eq!(back.auto_reply_text, "Merci de lire {{netiquette_url}}");

        let mut shouting = form("shouting");
        shouting.caps_percent = "75,5".into();
        let rule = check(en(), "en", &shouting, 2).expect("valid");
        assert_eq!(
            rule.kind,
            RuleKind::Shouting {
                min_letters: 12,
                min_caps_ratio: 0.755
            }
        );
        let back = RuleForm::of_row(&row("Cris", stored_json(&rule))).expect("readable");
        assert_eq!(back.caps_percent, "75.5");

        let repeated = check(en(), "en", &form("repeated"), 1).expect("valid");
        assert_eq!(
            repeated.kind,
            RuleKind::Repeated {
                within: 600,
                times: 3
            }
        );
        let mut blocked = form("block_list");
        blocked.handles = "@troll\nspam.example".into();
        blocked.network = " Mastodon ".into();
        let rule = check(en(), "en", &blocked, 1).expect("valid");
        assert_eq!(
            rule.kind,
            RuleKind::BlockList {
                handles: vec!["@troll".into(), "spam.example".into()],
                network: Some("mastodon".into())
            }
        );
    }

    #[test]
    fn the_form_s_problems_are_all_reported_in_the_page_s_language() {
        let mut f = form("shouting");
        f.name = " ".into();
        f.min_letters = "douze".into();
        f.caps_percent = "170".into();
        f.act_tag = tick(true);
        let errors = check(en(), "en", &f, 1).expect_err("refused");
        assert_eq!(errors.len(), 4, "{errors:?}");
        let fr = crate::i18n::FR.moder;
        let errors = check(fr, "fr", &f, 1).expect_err("refused");
        assert!(
            errors
                .iter()
                .any(|e| e.to_lowercase().contains("majuscules")),
            "{errors:?}"
        );
    }

    #[test]
    fn the_rules_core_says_what_to_fix() {
        let mut bad = form("regex");
        bad.pattern = "rembours(".into();
        let errors = check(en(), "en", &bad, 3).expect_err("unclosed group");
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].contains("Arnaques") && errors[0].contains("column"),
            "{errors:?}"
        );
        let errors = check(crate::i18n::FR.moder, "fr", &bad, 3).expect_err("unclosed group");
        assert!(errors[0].contains("colonne"), "{errors:?}");
        let mut no_action = form("toxicity");
        no_action.act_review.clear();
        let errors = check(en(), "en", &no_action, 1).expect_err("no action");
        assert!(errors[0].contains("no action"), "{errors:?}");
        let mut empty = form("watched_words");
        empty.terms = "\n \n".into();
        assert!(check(en(), "en", &empty, 1).is_err());
    }

    #[test]
    fn summaries_name_the_settings() {
        let m = en();
        assert_eq!(
            summary(m, &RuleKind::Toxicity { min_score: 0.8 }),
            "score 0.8 or more"
        );
        assert_eq!(
            summary(
                crate::i18n::FR.moder,
                &RuleKind::Toxicity { min_score: 0.75 }
            ),
            "score de 0,75 ou plus"
        );
        let terms: Vec<String> = (0..10).map(|i| format!("t{i}")).collect();
        let text = summary(m, &RuleKind::WatchedWords { terms });
        assert!(
            text.starts_with("t0, t1") && text.ends_with("(+2)"),
            "{text}"
        );
        assert_eq!(kind_label(m, "nonsense"), m.kind_watched_words);
    }

    #[test]
    fn an_unreadable_row_has_no_form() {
        assert!(RuleForm::of_row(&row("x", serde_json::json!({"kind": "nope"}))).is_none());
        assert!(RuleForm::of_row(&row("x", serde_json::json!([1, 2]))).is_none());
    }
}
