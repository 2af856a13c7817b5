//! What one read keeps, and the cursor it leaves.
//!
//! Graph has no "newer than this id" for comments, tagged posts or messages: every list is read
//! from the newest item back, by time. So the cursor is a [`Watermark`] (the search cursors'
//! too): the newest time handed out, and the ids handed out during the 15 minutes before it. A
//! read keeps what is newer than that window or in it but not handed out yet (a comment Graph
//! shows late, a second comment of the same second), and stops paging a list that reaches
//! behind it. A cursor that cannot be read is dropped with a warning: the read starts again
//! from the newest page.

use std::collections::HashSet;

use crate::inbox::{InboxPage, IncomingMessage};
use crate::search::Watermark;

pub(crate) struct Collector {
    mark: Option<Watermark>,
    /// What this read found, each message once…
    found: Vec<IncomingMessage>,
    /// …by these ids (a visitor's post may be tagged too).
    ids: HashSet<String>,
}

impl Collector {
    /// A read after `cursor`; `network` names it in the warning about a cursor dropped.
    pub fn new(cursor: Option<&str>, network: &str) -> Self {
        Self {
            mark: Watermark::parse(cursor, network),
            found: Vec::new(),
            ids: HashSet::new(),
        }
    }

    /// A read without a (readable) cursor takes the newest page of each list, no more.
    pub fn is_first_read(&self) -> bool {
        self.mark.is_none()
    }

    /// Whether something of this time lies behind the cursor: a list read newest first stops
    /// there.
    pub fn is_behind(&self, at_ms: i64) -> bool {
        self.mark.as_ref().is_some_and(|m| m.is_behind(at_ms))
    }

    /// Keeps `message` when the cursor has not handed it out and this read has not met it.
    pub fn offer(&mut self, message: IncomingMessage) {
        if let Some(mark) = &self.mark
            && !mark.is_new(&message.network_id, message.created_at)
        {
            return;
        }
        if self.ids.insert(message.network_id.clone()) {
            self.found.push(message);
        }
    }

    /// The page, oldest first, and the cursor moved past it (the same cursor when nothing was
    /// found; none when there was none and nothing was found).
    pub fn finish(mut self) -> InboxPage {
        self.found
            .sort_by(|a, b| (a.created_at, &a.network_id).cmp(&(b.created_at, &b.network_id)));
        let seen: Vec<(String, i64)> = self
            .found
            .iter()
            .map(|m| (m.network_id.clone(), m.created_at))
            .collect();
        InboxPage {
            cursor: Watermark::advance(self.mark, &seen).map(|m| m.encode()),
            messages: self.found,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbox::{Author, MessageKind};

    fn message(id: &str, at: i64) -> IncomingMessage {
        IncomingMessage {
            network_id: id.into(),
            version: None,
            url: None,
            kind: MessageKind::Comment,
            author: Author::default(),
            text: String::new(),
            lang: None,
            created_at: at,
            parent: None,
            root: None,
            subject: None,
            direct_thread: None,
        }
    }

    #[test]
    fn a_cursor_hands_out_each_message_once() {
        let mut first = Collector::new(None, "facebook");
        assert!(first.is_first_read());
        first.offer(message("b", 2_000_000));
        first.offer(message("a", 1_000_000));
        first.offer(message("a", 1_000_000));
        let page = first.finish();
        let ids: Vec<&str> = page
            .messages
            .iter()
            .map(|m| m.network_id.as_str())
            .collect();
        assert_eq!(ids, ["a", "b"], "oldest first, once");
        let cursor = page.cursor.expect("a cursor");

        let mut next = Collector::new(Some(&cursor), "facebook");
        assert!(!next.is_first_read());
        // Seen already; late but inside the window; new.
        next.offer(message("b", 2_000_000));
        next.offer(message("late", 1_500_000));
        next.offer(message("c", 3_000_000));
        assert!(next.is_behind(2_000_000 - 16 * 60 * 1000));
        assert!(!next.is_behind(1_500_000));
        let page = next.finish();
        let ids: Vec<&str> = page
            .messages
            .iter()
            .map(|m| m.network_id.as_str())
            .collect();
        assert_eq!(ids, ["late", "c"]);

        // Nothing new keeps the cursor; none and nothing found gives none.
        let same = Collector::new(page.cursor.as_deref(), "facebook").finish();
        assert_eq!(same.cursor, page.cursor);
        assert_eq!(Collector::new(None, "facebook").finish().cursor, None);
        // An unreadable cursor is a first read.
        assert!(Collector::new(Some("not a cursor"), "facebook").is_first_read());
    }
}
