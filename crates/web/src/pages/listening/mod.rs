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
use relais_core::{ListenQueryId, Permission, Timestamp};
use relais_store::Workspace;
use relais_store::listening::{
    AlertKind, AlertRule, Delivery, ListenQuery, ListenSource, Mention, QueryRole, Sentiment,
    SourceKind,
};

use super::{Access, Chrome};
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

/// The frame of a listening page; `path` is the page's address after `/w/{slug}/listening`.
pub fn chrome(ctx: &Ctx, title: &str, ws: &Workspace, path: &str) -> Chrome {
    let here = format!("/w/{}/listening{path}", ws.slug);
    Chrome::workspace(ctx, title, &here, ws, "listening")
}

/// An id from the address: one that cannot be read is not found, like another workspace's.
fn path_id<T: std::str::FromStr>(raw: &str) -> Result<T, WebError> {
    raw.parse().map_err(|_| WebError::not_found())
}

/// A row the workspace may not have: none is not found.
fn found<T>(row: Option<T>) -> Result<T, WebError> {
    row.ok_or_else(WebError::not_found)
}

pub async fn query_of(
    state: &AppState,
    access: &Access,
    id: &str,
) -> Result<ListenQuery, WebError> {
    let ws = access.workspace.id;
    found(state.store.listen_query(ws, path_id(id)?).await?)
}

pub async fn mention_of(state: &AppState, access: &Access, id: &str) -> Result<Mention, WebError> {
    let ws = access.workspace.id;
    found(state.store.mention(ws, path_id(id)?).await?)
}

pub async fn source_of(
    state: &AppState,
    access: &Access,
    id: &str,
) -> Result<ListenSource, WebError> {
    let ws = access.workspace.id;
    found(state.store.listen_source(ws, path_id(id)?).await?)
}

pub async fn rule_of(state: &AppState, access: &Access, id: &str) -> Result<AlertRule, WebError> {
    let ws = access.workspace.id;
    found(state.store.alert_rule(ws, path_id(id)?).await?)
}

/// The names of the queries `ids` that the workspace has, in the order of `ids`.
pub fn query_names<'a>(
    ids: &'a [ListenQueryId],
    queries: &'a [ListenQuery],
) -> impl Iterator<Item = &'a str> {
    ids.iter()
        .filter_map(|id| queries.iter().find(|q| q.id == *id))
        .map(|q| q.name.as_str())
}

/// What the buttons of a source's or an alert rule's row ask: turn it on or off, or delete it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowAction {
    /// `enable` (true) or `disable` (false).
    Switch(bool),
    Delete,
}

impl RowAction {
    /// The action named in the address; any other is not found.
    pub fn parse(action: &str) -> Result<Self, WebError> {
        match action {
            "enable" => Ok(Self::Switch(true)),
            "disable" => Ok(Self::Switch(false)),
            "delete" => Ok(Self::Delete),
            _ => Err(WebError::not_found()),
        }
    }

    /// The `?done=` of the page it returns to.
    pub fn done(self) -> &'static str {
        match self {
            Self::Switch(true) => "enabled",
            Self::Switch(false) => "disabled",
            Self::Delete => "deleted",
        }
    }
}

/// A time as the pages show it: UTC, to the minute (`2024-05-01 14:03 UTC`).
pub fn when(at: Timestamp) -> String {
    at.to_utc_minute()
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
    /// The workspace's queries to choose from, after a first choice (value empty) that means
    /// none in particular.
    pub fn queries(first: &str, queries: &[ListenQuery], chosen: &str) -> Vec<Choice> {
        let ids: Vec<String> = queries.iter().map(|q| q.id.to_string()).collect();
        let options = ids
            .iter()
            .zip(queries)
            .map(|(id, q)| (id.as_str(), q.name.as_str()));
        Choice::list(std::iter::once(("", first)).chain(options), chosen)
    }

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
    fn row_actions_are_read_from_the_address() {
        assert_eq!(
            RowAction::parse("enable").ok(),
            Some(RowAction::Switch(true))
        );
        assert_eq!(
            RowAction::parse("disable").ok(),
            Some(RowAction::Switch(false))
        );
        assert_eq!(RowAction::parse("delete").ok(), Some(RowAction::Delete));
        assert!(RowAction::parse("explode").is_err());
        assert!(RowAction::parse("Enable").is_err());
        let done: Vec<&str> = ["enable", "disable", "delete"]
            .into_iter()
            .filter_map(|a| RowAction::parse(a).ok())
            .map(RowAction::done)
            .collect();
        assert_eq!(done, ["enabled", "disabled", "deleted"]);
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
