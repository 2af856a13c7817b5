//! Listening's pages, under `/w/{slug}/listening`: the queries (overview), the stream of
//! mentions with its live count and CSV export, the analysis (share of voice, sentiment, top
//! authors and terms), the sources polled, and the alert rules.
//!
//! Rights: every member sees; [`Permission::TriageMentions`] tags, mutes and sends mentions to
//! the inbox; [`Permission::Listen`] manages queries, sources and alert rules. Every handler
//! checks its right before it looks anything up, and looks every row up within the workspace
//! (an id of another workspace is a 404, like one that does not exist).

pub mod alerts;
pub mod analysis;
mod chart;
pub mod export;
mod filter;
pub mod mentions;
pub mod queries;
pub mod sources;
mod terms;

use relais_core::audit::AuditEvent;
use relais_core::{AlertRuleId, ListenQueryId, ListenSourceId, MentionId, Permission, Timestamp};
use relais_store::listening::{
    AlertKind, AlertRule, Delivery, ListenQuery, ListenSource, Mention, QueryRole, Sentiment,
    SourceKind,
};

use super::Access;
use crate::context::Ctx;
use crate::error::WebError;
use crate::i18n::ListenMsgs;
use crate::state::AppState;

pub const DAY_MS: i64 = 86_400_000;

/// What the member may do here, for the pages to show only the forms that will be accepted
/// (the handlers check again).
pub struct Rights {
    /// Manage queries, sources, alert rules.
    pub listen: bool,
    /// Tag, mute, send to the inbox.
    pub triage: bool,
}

impl Rights {
    pub fn of(access: &Access) -> Self {
        Self {
            listen: access.role.allows(Permission::Listen),
            triage: access.role.allows(Permission::TriageMentions),
        }
    }
}

/// The line of the audit log for a change a member made here.
pub fn audit(
    access: &Access,
    ctx: &Ctx,
    action: &str,
    target: impl Into<String>,
    details: serde_json::Value,
) -> AuditEvent {
    AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(ctx),
        action: action.into(),
        target: target.into(),
        details,
    }
}

pub async fn query_of(
    state: &AppState,
    access: &Access,
    id: &str,
) -> Result<ListenQuery, WebError> {
    let id: ListenQueryId = id.parse().map_err(|_| WebError::not_found())?;
    state
        .store
        .listen_query(access.workspace.id, id)
        .await?
        .ok_or_else(WebError::not_found)
}

pub async fn mention_of(state: &AppState, access: &Access, id: &str) -> Result<Mention, WebError> {
    let id: MentionId = id.parse().map_err(|_| WebError::not_found())?;
    state
        .store
        .mention(access.workspace.id, id)
        .await?
        .ok_or_else(WebError::not_found)
}

pub async fn source_of(
    state: &AppState,
    access: &Access,
    id: &str,
) -> Result<ListenSource, WebError> {
    let id: ListenSourceId = id.parse().map_err(|_| WebError::not_found())?;
    state
        .store
        .listen_source(access.workspace.id, id)
        .await?
        .ok_or_else(WebError::not_found)
}

pub async fn rule_of(state: &AppState, access: &Access, id: &str) -> Result<AlertRule, WebError> {
    let id: AlertRuleId = id.parse().map_err(|_| WebError::not_found())?;
    state
        .store
        .alert_rule(access.workspace.id, id)
        .await?
        .ok_or_else(WebError::not_found)
}

/// A time as the pages show it: UTC, to the minute (`2024-05-01 14:03 UTC`).
pub fn when(at: Timestamp) -> String {
    match chrono::DateTime::from_timestamp_millis(at.millis()) {
        Some(t) => t.format("%Y-%m-%d %H:%M UTC").to_string(),
        None => String::new(),
    }
}

/// The day of a time, UTC (`2024-05-01`).
pub fn day(at: Timestamp) -> String {
    match chrono::DateTime::from_timestamp_millis(at.millis()) {
        Some(t) => t.format("%Y-%m-%d").to_string(),
        None => String::new(),
    }
}

/// The start of the UTC day holding `at`.
pub fn day_start(at: Timestamp) -> Timestamp {
    Timestamp::from_millis(at.millis().div_euclid(DAY_MS) * DAY_MS)
}

/// A share in thousandths shown as a percentage with one decimal, as each language writes it
/// (`42.9%`, `42,9 %`).
pub fn percent(m: &ListenMsgs, part: u64, whole: u64) -> String {
    if whole == 0 {
        return "—".into();
    }
    let tenths = (part as u128 * 1000 + whole as u128 / 2) / whole as u128;
    m.percent
        .replace("{int}", &(tenths / 10).to_string())
        .replace("{dec}", &(tenths % 10).to_string())
}

/// Only web addresses become links: a mention's URL comes from outside, and a `javascript:`
/// one must not be clickable.
pub fn web_link(url: Option<&str>) -> Option<String> {
    let url = url?.trim();
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| url.to_owned())
}

/// Whether a URL typed into a form is an absolute web address with a host.
pub fn is_web_url(raw: &str) -> Option<url::Url> {
    let url = url::Url::parse(raw.trim()).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty()))
        .then_some(url)
}

impl ListenMsgs {
    pub fn role(&self, role: QueryRole) -> &'static str {
        match role {
            QueryRole::Brand => self.role_brand,
            QueryRole::Competitor => self.role_competitor,
            QueryRole::Topic => self.role_topic,
        }
    }

    pub fn sentiment(&self, s: Sentiment) -> &'static str {
        match s {
            Sentiment::Negative => self.negative,
            Sentiment::Neutral => self.neutral,
            Sentiment::Positive => self.positive,
        }
    }

    pub fn source_kind(&self, kind: SourceKind) -> &'static str {
        match kind {
            SourceKind::Feed => self.kind_feed,
            SourceKind::Page => self.kind_page,
            SourceKind::Bluesky => "Bluesky",
            SourceKind::Mastodon => "Mastodon",
            SourceKind::X => "X",
            SourceKind::Youtube => "YouTube",
            SourceKind::Reddit => "Reddit",
        }
    }

    pub fn alert_kind(&self, kind: AlertKind) -> &'static str {
        match kind {
            AlertKind::VolumeSpike => self.alert_volume,
            AlertKind::NegativeSpike => self.alert_negative,
            AlertKind::Keyword => self.alert_keyword,
        }
    }

    pub fn delivery(&self, d: Delivery) -> &'static str {
        match d {
            Delivery::Instant => self.delivery_instant,
            Delivery::Daily => self.delivery_daily,
            Delivery::Weekly => self.delivery_weekly,
        }
    }

    /// A query error in the page's language: the column is ours, the reason the parser's.
    pub fn query_error(&self, e: &relais_listen::query::QueryError) -> String {
        self.query_error_at
            .replace("{column}", &e.column.to_string())
            .replace("{message}", &e.message)
    }
}

/// A choice of a `<select>`: its value, its label, whether it is chosen.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn list<'a>(
        options: impl IntoIterator<Item = (&'a str, &'a str)>,
        chosen: &str,
    ) -> Vec<Choice> {
        options
            .into_iter()
            .map(|(value, label)| Choice {
                selected: value == chosen,
                value: value.to_owned(),
                label: label.to_owned(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_and_follow_the_language() {
        let en = crate::i18n::EN.listen;
        let fr = crate::i18n::FR.listen;
        assert_eq!(percent(en, 3, 7), "42.9%");
        assert_eq!(percent(fr, 3, 7), "42,9 %");
        assert_eq!(percent(en, 0, 5), "0.0%");
        assert_eq!(percent(en, 5, 5), "100.0%");
        assert_eq!(percent(en, 1, 0), "—");
    }

    #[test]
    fn only_web_addresses_become_links() {
        assert_eq!(
            web_link(Some("https://news.example/a")).as_deref(),
            Some("https://news.example/a")
        );
        assert_eq!(
            web_link(Some("HTTP://x.example")).as_deref(),
            Some("HTTP://x.example")
        );
        assert_eq!(web_link(Some("javascript:alert(1)")), None);
        assert_eq!(web_link(Some("data:text/html,x")), None);
        assert_eq!(web_link(None), None);
        assert!(is_web_url("https://blog.example/feed").is_some());
        assert!(is_web_url("ftp://blog.example/feed").is_none());
        assert!(is_web_url("blog.example/feed").is_none());
        assert!(is_web_url("file:///etc/passwd").is_none());
    }

    #[test]
    fn days_start_at_utc_midnight() {
        let t = Timestamp::from_millis(1_700_000_000_000);
        assert_eq!(day_start(t).millis() % DAY_MS, 0);
        assert!(day_start(t) <= t && t.millis() - day_start(t).millis() < DAY_MS);
        assert_eq!(day(t), "2023-11-14");
        assert_eq!(when(t), "2023-11-14 22:13 UTC");
    }
}
