//! The inbox's filters as GET parameters, read into the store's [`ConversationFilter`] and
//! written back into addresses (the next page, a column's fragment, the list a column opens
//! as). A saved column keeps a [`ConversationFilter`]; [`ListParams::from_saved`] reads it back
//! into parameters, so that a saved column and a typed filter go through one path.
//!
//! Two values are relative and resolved when the list is made: `assignee=me` (the member
//! looking) and `overdue=1` (waiting for an answer for longer than the workspace's
//! first-response target, now). A saved column cannot hold "now", so it keeps
//! [`OVERDUE_MARK`] in `awaiting_before` and the cut-off is computed each time it is shown.

use relais_core::{ChannelId, ContactId, ConversationId, Timestamp, UserId};
use relais_inbox::sla::{Targets, overdue_if_awaiting_before};
use relais_store::inbox::{AssigneeFilter, ConversationFilter, ConversationStatus, MessageKind};
use serde::Deserialize;

/// What a saved column stores in `awaiting_before` to mean "overdue at the time it is shown".
pub const OVERDUE_MARK: Timestamp = Timestamp::from_millis(0);

/// The parameters as typed (text, so that the form shows them back as they were).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct ListParams {
    /// `open`, `pending` or `closed`.
    pub status: String,
    /// `unassigned`, `me` or a member's id.
    pub assignee: String,
    pub channel: String,
    pub kind: String,
    pub tag: String,
    /// `1`: only conversations waiting longer than the first-response target.
    pub overdue: String,
    /// `yes`: only snoozed ones; `no`: none of them.
    pub snoozed: String,
    pub contact: String,
    /// A page's end: [`cursor`] of the last conversation shown.
    pub after: String,
}

/// What the parameters gave, and what they could not.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    pub filter: ConversationFilter,
    /// Parameters that could not be read and were left out (their names).
    pub unread: Vec<&'static str>,
    /// `overdue=1` was asked but the workspace has no first-response target: nothing can be
    /// overdue, and the list is empty rather than wrong.
    pub overdue_without_target: bool,
}

/// A conversation's place in the list's order, `{last_message_at_ms}.{id}`.
pub fn cursor(at: Timestamp, id: ConversationId) -> String {
    format!("{}.{id}", at.millis())
}

pub fn parse_cursor(raw: &str) -> Option<(Timestamp, ConversationId)> {
    let (at, id) = raw.trim().split_once('.')?;
    Some((Timestamp::from_millis(at.parse().ok()?), id.parse().ok()?))
}

fn on(raw: &str) -> bool {
    matches!(raw.trim(), "1" | "on" | "true" | "yes")
}

/// A tag as people type it: trimmed, 1 to 50 characters, no control characters.
pub fn clean_tag(raw: &str) -> Option<String> {
    let t = raw.trim();
    (!t.is_empty() && t.chars().count() <= 50 && !t.chars().any(char::is_control))
        .then(|| t.to_owned())
}

impl ListParams {
    /// The store's filter for the member `me` at `now`.
    pub fn resolve(&self, me: UserId, targets: &Targets, now: Timestamp) -> Resolved {
        let mut out = Resolved::default();
        let f = &mut out.filter;
        let mut bad = |name| out.unread.push(name);
        match self.status.trim() {
            "" => {}
            s => match ConversationStatus::parse(s) {
                Some(status) => f.status = Some(status),
                None => bad("status"),
            },
        }
        match self.assignee.trim() {
            "" => {}
            "unassigned" => f.assignee = Some(AssigneeFilter::Unassigned),
            "me" => f.assignee = Some(AssigneeFilter::User(me)),
            id => match id.parse::<UserId>() {
                Ok(user) => f.assignee = Some(AssigneeFilter::User(user)),
                Err(_) => bad("assignee"),
            },
        }
        match self.channel.trim() {
            "" => {}
            id => match id.parse::<ChannelId>() {
                Ok(channel) => f.channel = Some(channel),
                Err(_) => bad("channel"),
            },
        }
        match self.kind.trim() {
            "" => {}
            k => match MessageKind::parse(k) {
                Some(kind) => f.kind = Some(kind),
                None => bad("kind"),
            },
        }
        if !self.tag.trim().is_empty() {
            match clean_tag(&self.tag) {
                Some(tag) => f.tag = Some(tag),
                None => bad("tag"),
            }
        }
        match self.snoozed.trim() {
            "" => {}
            "yes" => f.snoozed = Some(true),
            "no" => f.snoozed = Some(false),
            _ => bad("snoozed"),
        }
        match self.contact.trim() {
            "" => {}
            id => match id.parse::<ContactId>() {
                Ok(contact) => f.contact = Some(contact),
                Err(_) => bad("contact"),
            },
        }
        if !self.after.trim().is_empty() && parse_cursor(&self.after).is_none() {
            bad("after");
        }
        if on(&self.overdue) {
            // A closed conversation is never overdue: without a status, "overdue" means the
            // open ones.
            if f.status.is_none() {
                f.status = Some(ConversationStatus::Open);
            }
            match overdue_if_awaiting_before(targets, now.millis()) {
                Some(before) => f.awaiting_before = Some(Timestamp::from_millis(before)),
                None => out.overdue_without_target = true,
            }
        }
        out
    }

    /// Where the page starts (`None`: from the most recent).
    pub fn after(&self) -> Option<(Timestamp, ConversationId)> {
        parse_cursor(&self.after)
    }

    pub fn is_overdue(&self) -> bool {
        on(&self.overdue)
    }

    /// The filter a column saves: like [`ListParams::resolve`] for `me`, with "overdue" kept
    /// as [`OVERDUE_MARK`] instead of a time. `None` when a parameter cannot be read (a saved
    /// column must mean what the member saw).
    pub fn to_saved(&self, me: UserId) -> Option<ConversationFilter> {
        let mut resolved = self.resolve(me, &Targets::default(), Timestamp::from_millis(0));
        resolved.unread.retain(|name| *name != "after");
        if !resolved.unread.is_empty() {
            return None;
        }
        if self.is_overdue() {
            resolved.filter.awaiting_before = Some(OVERDUE_MARK);
        }
        Some(resolved.filter)
    }

    /// A saved column's filter as parameters (a member's id stays an id: "me" was whoever
    /// saved it).
    pub fn from_saved(filter: &ConversationFilter) -> Self {
        let text = |v: Option<String>| v.unwrap_or_default();
        ListParams {
            status: text(filter.status.map(|s| s.as_str().to_owned())),
            assignee: match &filter.assignee {
                None => String::new(),
                Some(AssigneeFilter::Unassigned) => "unassigned".into(),
                Some(AssigneeFilter::User(id)) => id.to_string(),
            },
            channel: text(filter.channel.map(|c| c.to_string())),
            kind: text(filter.kind.map(|k| k.as_str().to_owned())),
            tag: text(filter.tag.clone()),
            overdue: if filter.awaiting_before.is_some() {
                "1".into()
            } else {
                String::new()
            },
            snoozed: match filter.snoozed {
                None => String::new(),
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
            },
            contact: text(filter.contact.map(|c| c.to_string())),
            after: String::new(),
        }
    }

    /// The parameters that are set, as a query string (without `?`); `after` only if asked.
    pub fn query_string(&self, with_after: bool) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("status", self.status.as_str()),
            ("assignee", &self.assignee),
            ("channel", &self.channel),
            ("kind", &self.kind),
            ("tag", &self.tag),
            ("overdue", &self.overdue),
            ("snoozed", &self.snoozed),
            ("contact", &self.contact),
            ("after", if with_after { &self.after } else { "" }),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp::from_millis(1_714_564_800_000);

    fn targets(minutes: u32) -> Targets {
        Targets {
            first_response_minutes: Some(minutes),
            resolution_minutes: None,
        }
    }

    #[test]
    fn parameters_become_the_store_filter() {
        let me = UserId::new();
        let channel = ChannelId::new();
        let p = ListParams {
            status: "pending".into(),
            assignee: "me".into(),
            channel: channel.to_string(),
            kind: "mention".into(),
            tag: "  vip ".into(),
            snoozed: "no".into(),
            ..ListParams::default()
        };
        let r = p.resolve(me, &targets(30), NOW);
        assert!(r.unread.is_empty(), "{:?}", r.unread);
        assert_eq!(r.filter.status, Some(ConversationStatus::Pending));
        assert_eq!(r.filter.assignee, Some(AssigneeFilter::User(me)));
        assert_eq!(r.filter.channel, Some(channel));
        assert_eq!(r.filter.kind, Some(MessageKind::Mention));
        assert_eq!(r.filter.tag.as_deref(), Some("vip"));
        assert_eq!(r.filter.snoozed, Some(false));
        assert_eq!(r.filter.awaiting_before, None);
        let unassigned = ListParams {
            assignee: "unassigned".into(),
            ..ListParams::default()
        };
        assert_eq!(
            unassigned.resolve(me, &targets(30), NOW).filter.assignee,
            Some(AssigneeFilter::Unassigned)
        );
    }

    #[test]
    fn overdue_is_now_minus_the_target_and_open_only() {
        let p = ListParams {
            overdue: "1".into(),
            ..ListParams::default()
        };
        let r = p.resolve(UserId::new(), &targets(30), NOW);
        assert_eq!(
            r.filter.awaiting_before,
            Some(Timestamp::from_millis(NOW.millis() - 30 * 60_000))
        );
        assert_eq!(r.filter.status, Some(ConversationStatus::Open));
        let none = p.resolve(UserId::new(), &Targets::default(), NOW);
        assert!(none.overdue_without_target);
        assert_eq!(none.filter.awaiting_before, None);
    }

    #[test]
    fn unreadable_values_are_left_out_and_named() {
        let p = ListParams {
            status: "done".into(),
            assignee: "bob".into(),
            kind: "tweet".into(),
            snoozed: "maybe".into(),
            after: "x".into(),
            tag: "a\u{7}".into(),
            ..ListParams::default()
        };
        let r = p.resolve(UserId::new(), &Targets::default(), NOW);
        assert_eq!(
            r.unread,
            ["status", "assignee", "kind", "tag", "snoozed", "after"]
        );
        assert_eq!(r.filter, ConversationFilter::default());
        assert!(p.to_saved(UserId::new()).is_none());
    }

    #[test]
    fn saved_columns_read_back_the_same_and_keep_overdue_relative() {
        let me = UserId::new();
        let p = ListParams {
            status: "open".into(),
            assignee: "me".into(),
            overdue: "1".into(),
            tag: "vip".into(),
            ..ListParams::default()
        };
        let saved = p.to_saved(me).expect("readable");
        assert_eq!(saved.awaiting_before, Some(OVERDUE_MARK));
        let back = ListParams::from_saved(&saved);
        assert_eq!(back.assignee, me.to_string(), "me is whoever saved it");
        assert!(back.is_overdue());
        // Shown later, the cut-off is computed then.
        let later = Timestamp::from_millis(NOW.millis() + 3_600_000);
        let r = back.resolve(UserId::new(), &targets(10), later);
        assert_eq!(
            r.filter.awaiting_before,
            Some(Timestamp::from_millis(later.millis() - 600_000))
        );
        assert_eq!(r.filter.tag.as_deref(), Some("vip"));
        assert_eq!(r.filter.assignee, Some(AssigneeFilter::User(me)));
    }

    #[test]
    fn query_strings_round_trip_and_drop_what_is_empty() {
        let id = ConversationId::new();
        let p = ListParams {
            tag: "a&b".into(),
            status: "open".into(),
            after: cursor(Timestamp::from_millis(5), id),
            ..ListParams::default()
        };
        let with = p.query_string(true);
        assert_eq!(
            serde_urlencoded::from_str::<ListParams>(&with).ok(),
            Some(p.clone())
        );
        assert_eq!(p.query_string(false), "status=open&tag=a%26b");
        assert_eq!(p.after(), Some((Timestamp::from_millis(5), id)));
    }
}
