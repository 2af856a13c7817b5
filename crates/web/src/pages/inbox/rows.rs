//! One conversation as a list shows it: who, where, what, when, where it stands, and how late
//! it is against the workspace's targets.

use askama::Template;
use relais_core::Timestamp;
use relais_inbox::sla::{Overdue, Targets, Times, overdue};
use relais_store::inbox::{Conversation, ConversationStatus};

use super::{at_handle, duration, network_label, when};
use crate::i18n::InboxMsgs;

pub struct ConversationRow {
    pub id: String,
    pub href: String,
    /// The contact's name, else their handle.
    pub who: String,
    pub handle: String,
    pub network: String,
    pub channel: String,
    pub kind: &'static str,
    pub preview: String,
    pub when: String,
    pub when_iso: String,
    /// `open`, `pending`, `closed` (for the style).
    pub status: &'static str,
    pub status_label: &'static str,
    pub assignee: Option<String>,
    pub tags: Vec<String>,
    /// "late by 12 min" (first response, response or resolution).
    pub late: Option<String>,
    pub snoozed_until: Option<String>,
    pub problem: Option<String>,
}

/// A column's rows as HTML, the same in the page and in the column's fragment.
#[derive(Template)]
#[template(path = "inbox_rows.html")]
pub struct RowsFragment<'a> {
    pub m: &'a InboxMsgs,
    pub rows: &'a [ConversationRow],
}

/// The times the pure core reads.
pub fn times_of(c: &Conversation) -> Times {
    Times {
        closed: c.status == ConversationStatus::Closed,
        first_inbound_at: c.first_inbound_at.map(Timestamp::millis),
        first_response_at: c.first_response_at.map(Timestamp::millis),
        awaiting_since: c.awaiting_since.map(Timestamp::millis),
        closed_at: c.closed_at.map(Timestamp::millis),
    }
}

/// "late by 12 min" as the page says it, when the conversation is overdue at `now`.
pub fn late(m: &InboxMsgs, c: &Conversation, targets: &Targets, now: Timestamp) -> Option<String> {
    let o = overdue(&times_of(c), targets, now.millis())?;
    let words = duration(m, o.late_by_ms());
    let text = match o {
        Overdue::FirstResponse { .. } | Overdue::Response { .. } => m.late_response,
        Overdue::Resolution { .. } => m.late_resolution,
    };
    Some(text.replace("{d}", &words))
}

pub fn row(
    m: &InboxMsgs,
    slug: &str,
    c: &Conversation,
    targets: &Targets,
    now: Timestamp,
) -> ConversationRow {
    let late = late(m, c, targets, now);
    let handle = at_handle(c.contact_handle.as_deref().unwrap_or_default());
    let who = c
        .contact_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| handle.clone());
    ConversationRow {
        href: format!("/w/{slug}/inbox/c/{}", c.id),
        id: c.id.to_string(),
        who,
        handle,
        network: c.network.as_deref().map(network_label).unwrap_or_default(),
        channel: c.channel_name.clone().unwrap_or_default(),
        kind: m.kind(c.kind),
        preview: c.preview.clone(),
        when: when(c.last_message_at),
        when_iso: c.last_message_at.to_rfc3339(),
        status: c.status.as_str(),
        status_label: m.status(c.status),
        assignee: c.assignee_name.clone(),
        tags: c.tags.clone(),
        late,
        snoozed_until: c.snoozed_until.filter(|t| *t > now).map(when),
        problem: c.problem.clone(),
    }
}
