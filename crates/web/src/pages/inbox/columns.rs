//! The inbox's columns: the team's and the member's saved filters, or, when there are none,
//! three made on the fly and never stored ("To answer", "Mine", "Overdue" — the last only when
//! the workspace has a first-response target). A column is drawn the same way in the page and
//! as the fragment the page's script fetches when something changed.

use std::sync::Arc;

use askama::Template;
use relais_core::{InboxColumnId, Timestamp};
use relais_inbox::sla::Targets;
use relais_store::inbox::{InboxColumn, InboxVersion};

use super::cache::{ListKey, ListRead};
use super::filter::{ListParams, cursor};
use super::rows::{ConversationRow, RowsFragment, row};
use super::{Access, path_id};
use crate::error::WebError;
use crate::i18n::{InboxMsgs, Lang};
use crate::state::AppState;

/// Conversations a column shows before "older".
pub const COLUMN_PAGE: u32 = 25;
/// Conversations the single filtered list shows per page.
pub const LIST_PAGE: u32 = 50;

/// The key of the single list (its filter is in the address, not saved).
pub const LIST_KEY: &str = "list";
const TO_ANSWER: &str = "to-answer";
const MINE: &str = "mine";
const OVERDUE: &str = "overdue";

/// What a column is: its key in addresses, its name and its filter.
#[derive(Clone, Debug)]
pub struct ColumnDef {
    /// A saved column's id, a default column's name, or [`LIST_KEY`].
    pub key: String,
    pub name: String,
    pub params: ListParams,
    /// A saved column of the whole team (else the member's own, or a default one).
    pub team: bool,
    pub saved: bool,
}

impl ColumnDef {
    /// The single list under `params`.
    pub fn list(m: &InboxMsgs, params: ListParams) -> Self {
        ColumnDef {
            key: LIST_KEY.into(),
            name: m.list_title.into(),
            params,
            team: false,
            saved: false,
        }
    }
}

fn default_column(m: &InboxMsgs, key: &str) -> Option<ColumnDef> {
    let (name, params) = match key {
        TO_ANSWER => (
            m.col_to_answer,
            ListParams {
                status: "open".into(),
                snoozed: "no".into(),
                ..ListParams::default()
            },
        ),
        MINE => (
            m.col_mine,
            ListParams {
                status: "open".into(),
                assignee: "me".into(),
                ..ListParams::default()
            },
        ),
        OVERDUE => (
            m.col_overdue,
            ListParams {
                status: "open".into(),
                overdue: "1".into(),
                ..ListParams::default()
            },
        ),
        _ => return None,
    };
    Some(ColumnDef {
        key: key.to_owned(),
        name: name.to_owned(),
        params,
        team: false,
        saved: false,
    })
}

/// The columns made on the fly when none is saved.
pub fn default_columns(m: &InboxMsgs, targets: &Targets) -> Vec<ColumnDef> {
    let mut keys = vec![TO_ANSWER, MINE];
    if targets.first_response_minutes.is_some() {
        keys.push(OVERDUE);
    }
    keys.into_iter()
        .filter_map(|k| default_column(m, k))
        .collect()
}

fn saved_column(c: InboxColumn) -> ColumnDef {
    ColumnDef {
        key: c.id.to_string(),
        name: c.name,
        params: ListParams::from_saved(&c.filter),
        team: c.user_id.is_none(),
        saved: true,
    }
}

/// The member's columns: the saved ones, else the defaults.
pub async fn columns_of(
    state: &AppState,
    access: &Access,
    m: &InboxMsgs,
    targets: &Targets,
    version: InboxVersion,
) -> Result<Vec<ColumnDef>, WebError> {
    let saved = state
        .inbox
        .columns(&state.store, access.workspace.id, access.user.id, version)
        .await?;
    if saved.is_empty() {
        return Ok(default_columns(m, targets));
    }
    Ok(saved.iter().cloned().map(saved_column).collect())
}

/// One column by its key: a default one, the list of `params`, or a saved column the member
/// sees (the team's or their own; any other is not found).
pub async fn column_by_key(
    state: &AppState,
    access: &Access,
    m: &InboxMsgs,
    key: &str,
    params: &ListParams,
    version: InboxVersion,
) -> Result<ColumnDef, WebError> {
    if key == LIST_KEY {
        return Ok(ColumnDef::list(m, params.clone()));
    }
    if let Some(def) = default_column(m, key) {
        return Ok(def);
    }
    let id: InboxColumnId = path_id(key)?;
    let saved = state
        .inbox
        .columns(&state.store, access.workspace.id, access.user.id, version)
        .await?;
    saved
        .iter()
        .find(|c| c.id == id)
        .cloned()
        .map(saved_column)
        .ok_or_else(WebError::not_found)
}

/// A column drawn: its first page of conversations and where the rest is.
pub struct ColumnView {
    pub key: String,
    pub name: String,
    pub team: bool,
    pub saved: bool,
    /// The rows as HTML (empty when there are none).
    pub rows: Arc<str>,
    /// How many conversations the filter holds in all.
    pub total: u64,
    /// The next page, as the single list (so that paging works without the script).
    pub older: Option<String>,
    /// The column as the single list, from its start.
    pub list_href: String,
    /// Where the page's script fetches the column again.
    pub fragment: String,
    /// Why the column is empty whatever happens (an overdue filter without a target).
    pub hint: Option<&'static str>,
    /// Filters that could not be read.
    pub unread: Vec<&'static str>,
}

/// A column counts its conversations up to this many, and says "1000+" past it: an exact
/// count would walk every open conversation of a busy inbox on each drawing.
pub const COUNT_CAP: u64 = 1_000;

impl ColumnView {
    /// The column's count as shown: exact below [`COUNT_CAP`], "1000+" from it.
    pub fn total_shown(&self) -> String {
        if self.total >= COUNT_CAP {
            format!("{COUNT_CAP}+")
        } else {
            self.total.to_string()
        }
    }
}

/// Draws `def` for the member at `now`, `page` conversations from `def.params.after`, from the
/// lists read at the inbox's `version` or after (see [`super::cache`]).
#[allow(clippy::too_many_arguments)]
pub async fn draw(
    state: &AppState,
    access: &Access,
    lang: Lang,
    targets: &Targets,
    def: ColumnDef,
    page: u32,
    now: Timestamp,
    version: InboxVersion,
) -> Result<ColumnView, WebError> {
    let m = lang.msgs().inbox;
    let ws = access.workspace.id;
    let slug = access.workspace.slug.to_string();
    let resolved = def.params.resolve(access.user.id, targets, now);
    let (rows, total, older) = if resolved.overdue_without_target {
        (Arc::from(""), 0, None)
    } else {
        let key = ListKey {
            workspace: ws,
            member: access.user.id,
            filters: def.params.query_string(true),
            rows: page,
        };
        let read = state
            .inbox
            .lists
            .get_or_read(key, version, || async {
                let found = state
                    .store
                    .list_conversations(ws, &resolved.filter, now, def.params.after(), page + 1)
                    .await?;
                let total = state
                    .store
                    .count_conversations(ws, &resolved.filter, now, COUNT_CAP)
                    .await?;
                Ok::<_, WebError>(ListRead::new(found, total))
            })
            .await?;
        // Rows are drawn from the kept list as it is: it is shared, so nothing is copied
        // from it but what a row shows.
        let found = &read.found[..read.found.len().min(page as usize)];
        let total = read.total;
        let older = if read.found.len() > page as usize {
            found.last().map(|last| {
                let next = ListParams {
                    after: cursor(last.last_message_at, last.id),
                    ..def.params.clone()
                };
                format!("/w/{slug}/inbox/list?{}", next.query_string(true))
            })
        } else {
            None
        };
        let rows = read.drawn(lang, &slug, || {
            if found.is_empty() {
                return Ok(String::new());
            }
            let rows: Vec<ConversationRow> = found
                .iter()
                .map(|c| row(m, &slug, c, targets, now))
                .collect();
            RowsFragment { m, rows: &rows }
                .render()
                .map_err(WebError::internal)
        })?;
        (rows, total, older)
    };
    let filters = def.params.query_string(false);
    let list_href = if filters.is_empty() {
        format!("/w/{slug}/inbox/list")
    } else {
        format!("/w/{slug}/inbox/list?{filters}")
    };
    // The single list is fetched again under its own filters (and page); a column by its key.
    let with_after = def.params.query_string(true);
    let fragment = if def.key == LIST_KEY && !with_after.is_empty() {
        format!("/w/{slug}/inbox/columns/{LIST_KEY}?{with_after}")
    } else {
        format!("/w/{slug}/inbox/columns/{}", def.key)
    };
    Ok(ColumnView {
        key: def.key,
        name: def.name,
        team: def.team,
        saved: def.saved,
        rows,
        total,
        older,
        list_href,
        fragment,
        hint: resolved.overdue_without_target.then_some(m.no_target_hint),
        unread: resolved.unread,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overdue_is_a_default_column_only_with_a_target() {
        let m = crate::i18n::EN.inbox;
        let keys = |t: &Targets| -> Vec<String> {
            default_columns(m, t).into_iter().map(|c| c.key).collect()
        };
        assert_eq!(keys(&Targets::default()), ["to-answer", "mine"]);
        let with = Targets {
            first_response_minutes: Some(60),
            resolution_minutes: None,
        };
        assert_eq!(keys(&with), ["to-answer", "mine", "overdue"]);
        assert!(default_column(m, "elsewhere").is_none());
    }
}
