//! The inbox's conversation pages, under `/w/{slug}/inbox`: the columns (saved filters, side
//! by side, redrawn live through server-sent events), a filtered list, a conversation with its
//! messages, notes and the team's actions (assign, status, snooze, tags, notes, reply, like,
//! repost, moderate), and the contacts (with their history, editing and merging).
//!
//! Rights: every member sees; [`Permission::Answer`] (contributors and up) works the inbox;
//! [`Permission::Approve`] lets a contributor's waiting reply go; [`Permission::Moderate`]
//! acts against a message or its author on the network and keeps the team's columns. Every
//! handler checks its right before it changes anything, and looks every row up within the
//! workspace (another workspace's id is a 404, like one that does not exist).

pub mod cache;
pub mod columns;
pub mod contacts;
pub mod conversation;
mod filter;
pub mod list;
pub mod live;
pub mod reply;
mod rows;
mod snooze;

use relais_core::audit::AuditEvent;
use relais_core::{Permission, Timestamp};
use relais_inbox::sla::Targets;
use relais_store::Workspace;
use relais_store::inbox::{
    Conversation, ConversationStatus, DeliveryState, InboxSettings, MessageKind, NetworkState,
};

use super::{Access, Chrome};
use crate::context::Ctx;
use crate::error::WebError;
use crate::i18n::InboxMsgs;
use crate::state::AppState;

pub use crate::pages::listening::{web_link, when};

/// What the member may do here, for the pages to show only the forms that will be accepted
/// (the handlers check again).
pub struct Rights {
    /// Reply, assign, change status, snooze, tag, write notes, like, repost.
    pub answer: bool,
    /// Let a contributor's waiting reply go.
    pub approve: bool,
    /// Hide, delete, mute, block, report; the team's columns.
    pub moderate: bool,
}

impl Rights {
    pub fn of(access: &Access) -> Self {
        Self {
            answer: access.role.allows(Permission::Answer),
            approve: access.role.allows(Permission::Approve),
            moderate: access.role.allows(Permission::Moderate),
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

/// The frame of an inbox page; `path` is the page's address after `/w/{slug}/inbox`.
pub fn chrome(ctx: &Ctx, title: &str, ws: &Workspace, path: &str) -> Chrome {
    let here = format!("/w/{}/inbox{path}", ws.slug);
    Chrome::workspace(ctx, title, &here, ws, "inbox")
}

/// An id from the address: one that cannot be read is not found, like another workspace's.
pub fn path_id<T: std::str::FromStr>(raw: &str) -> Result<T, WebError> {
    raw.parse().map_err(|_| WebError::not_found())
}

/// A row the workspace may not have: none is not found.
pub fn found<T>(row: Option<T>) -> Result<T, WebError> {
    row.ok_or_else(WebError::not_found)
}

/// The conversation `id` of the member's workspace.
pub async fn conversation_of(
    state: &AppState,
    access: &Access,
    id: &str,
) -> Result<Conversation, WebError> {
    let ws = access.workspace.id;
    found(state.store.conversation(ws, path_id(id)?).await?)
}

/// The workspace's response targets as the pure core reads them.
pub fn targets(settings: &InboxSettings) -> Targets {
    Targets {
        first_response_minutes: settings.first_response_minutes,
        resolution_minutes: settings.resolution_minutes,
    }
}

/// A stretch of time in words: `12 min`, `3 h 05`, `2 d` (`2 j` in French).
pub fn duration(m: &InboxMsgs, ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    if minutes < 60 {
        m.dur_minutes.replace("{n}", &minutes.max(1).to_string())
    } else if minutes < 24 * 60 {
        m.dur_hours
            .replace("{h}", &(minutes / 60).to_string())
            .replace("{mm}", &format!("{:02}", minutes % 60))
    } else {
        m.dur_days
            .replace("{n}", &(minutes / (24 * 60)).to_string())
    }
}

/// A time as the pages show it (UTC, to the minute), or nothing.
pub fn when_opt(at: Option<Timestamp>) -> Option<String> {
    at.map(when)
}

impl InboxMsgs {
    pub fn status(&self, status: ConversationStatus) -> &'static str {
        match status {
            ConversationStatus::Open => self.status_open,
            ConversationStatus::Pending => self.status_pending,
            ConversationStatus::Closed => self.status_closed,
        }
    }

    pub fn kind(&self, kind: MessageKind) -> &'static str {
        match kind {
            MessageKind::Mention => self.kind_mention,
            MessageKind::Reply => self.kind_reply,
            MessageKind::Comment => self.kind_comment,
            MessageKind::Quote => self.kind_quote,
            MessageKind::Repost => self.kind_repost,
            MessageKind::Direct => self.kind_direct,
            MessageKind::Listening => self.kind_listening,
            MessageKind::Outgoing => self.kind_outgoing,
        }
    }

    pub fn delivery(&self, delivery: DeliveryState) -> &'static str {
        match delivery {
            DeliveryState::Received => "",
            DeliveryState::AwaitingApproval => self.delivery_awaiting,
            DeliveryState::Queued => self.delivery_queued,
            DeliveryState::Sent => self.delivery_sent,
            DeliveryState::Failed => self.delivery_failed,
        }
    }

    pub fn network_state(&self, state: NetworkState) -> Option<&'static str> {
        match state {
            NetworkState::Visible => None,
            NetworkState::Hidden => Some(self.state_hidden),
            NetworkState::Deleted => Some(self.state_deleted),
        }
    }
}

/// A handle as the pages show it, with its `@` (empty stays empty).
pub fn at_handle(handle: &str) -> String {
    let h = handle.trim();
    if h.is_empty() || h.starts_with('@') {
        h.to_owned()
    } else {
        format!("@{h}")
    }
}

/// A network's name as people write it (`bluesky` → `Bluesky`).
pub fn network_label(network: &str) -> String {
    match relais_publish::rules::Network::parse(network) {
        Ok(n) => n.display_name().to_owned(),
        Err(_) => network.to_owned(),
    }
}

/// A choice of a `<select>`: its value, its label, whether it is chosen.
pub use crate::pages::listening::Choice;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_words_in_both_languages() {
        let en = crate::i18n::EN.inbox;
        let fr = crate::i18n::FR.inbox;
        assert_eq!(duration(en, 12 * 60_000 + 5_000), "12 min");
        assert_eq!(duration(en, 10_000), "1 min");
        assert_eq!(duration(en, (3 * 60 + 5) * 60_000), "3 h 05");
        assert_eq!(duration(en, 2 * 86_400_000 + 1), "2 d");
        assert_eq!(duration(fr, 2 * 86_400_000 + 1), "2 j");
    }
}
