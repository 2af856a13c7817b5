//! What a notification does not say and one more call does: the first status of a reply's
//! thread (`GET /api/v1/statuses/:id/context`, whose first ancestor it is) and the
//! conversation a direct message belongs to (`GET /api/v1/conversations`, whose entries name
//! their last status). These calls are a bonus: they are capped, and one that fails leaves
//! the field empty rather than losing the messages.

use std::collections::HashMap;

use serde_json::Value;

use super::super::{is_id, str_field};
use super::Session;
use super::notification::post_ref;
use crate::Credentials;
use crate::inbox::{IncomingMessage, MessageKind};

/// Extra calls one read (or one stretch of a stream) may make: the rest go without a root.
pub(crate) const MAX_CALLS: usize = 20;

/// The budget of extra calls, spent as messages are completed.
#[derive(Debug)]
pub(crate) struct Threads {
    calls_left: usize,
}

impl Threads {
    pub fn new() -> Self {
        Self {
            calls_left: MAX_CALLS,
        }
    }

    /// Completes `messages`: roots of those that answer something, and conversations of
    /// direct messages (one call for all of them).
    pub async fn complete(
        &mut self,
        session: &Session,
        creds: &Credentials,
        messages: &mut [IncomingMessage],
    ) {
        for m in messages.iter_mut().filter(|m| m.parent.is_some()) {
            self.find_root(session, creds, m).await;
        }
        if !messages.iter().any(|m| m.kind == MessageKind::Direct) {
            return;
        }
        let conversations = self
            .call(session, creds, "/api/v1/conversations", &[("limit", "40")])
            .await;
        let by_last = conversations
            .as_ref()
            .map(conversations_by_last_status)
            .unwrap_or_default();
        for m in messages
            .iter_mut()
            .filter(|m| m.kind == MessageKind::Direct)
        {
            m.direct_thread = by_last.get(&m.network_id).cloned();
        }
    }

    async fn find_root(&mut self, session: &Session, creds: &Credentials, m: &mut IncomingMessage) {
        if !is_id(&m.network_id) {
            return;
        }
        let path = format!("/api/v1/statuses/{}/context", m.network_id);
        if let Some(context) = self.call(session, creds, &path, &[]).await {
            apply_context(m, &context, session.brand().id);
        }
    }

    /// One extra call, if the budget allows; `None` when it was not made or failed.
    async fn call(
        &mut self,
        session: &Session,
        creds: &Credentials,
        path: &str,
        query: &[(&str, &str)],
    ) -> Option<Value> {
        if self.calls_left == 0 {
            return None;
        }
        self.calls_left -= 1;
        match session.get(creds, path, query).await {
            Ok(Ok(body)) => Some(body),
            Ok(Err(failure)) => {
                if failure.status == 429 {
                    // Keep what is left of the instance's patience for the notifications.
                    self.calls_left = 0;
                }
                tracing::debug!(path, status = failure.status, "a thread look-up failed");
                None
            }
            Err(e) => {
                tracing::debug!(path, error = %e, "a thread look-up failed");
                None
            }
        }
    }
}

/// Sets the root (the first ancestor) and the parent's address from a status's context; a
/// mention in a thread the brand started is a reply.
pub(crate) fn apply_context(m: &mut IncomingMessage, context: &Value, brand_id: &str) {
    let Some(ancestors) = context.get("ancestors").and_then(Value::as_array) else {
        return;
    };
    let Some(first) = ancestors.first() else {
        return;
    };
    m.root = post_ref(first);
    if let (Some(parent), Some(last)) = (m.parent.as_mut(), ancestors.last())
        && str_field(last, "id") == Some(parent.id.as_str())
    {
        parent.url = post_ref(last).and_then(|p| p.url);
    }
    let root_author = first.get("account").and_then(|a| str_field(a, "id"));
    if m.kind == MessageKind::Mention && root_author == Some(brand_id) {
        m.kind = MessageKind::Reply;
    }
}

/// Conversation ids by the id of their last status.
pub(crate) fn conversations_by_last_status(list: &Value) -> HashMap<String, String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let id = str_field(c, "id").filter(|id| !id.is_empty() && id.len() <= 64)?;
            let last = c.get("last_status").and_then(|s| str_field(s, "id"))?;
            Some((last.to_owned(), id.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbox::{Author, PostRef};
    use serde_json::json;

    fn reply(kind: MessageKind) -> IncomingMessage {
        IncomingMessage {
            network_id: "30".into(),
            version: None,
            url: None,
            kind,
            author: Author::default(),
            text: String::new(),
            lang: None,
            created_at: 0,
            parent: Some(PostRef {
                id: "20".into(),
                ..PostRef::default()
            }),
            root: None,
            subject: None,
            direct_thread: None,
        }
    }

    #[test]
    fn the_first_ancestor_is_the_root() {
        let context = json!({ "ancestors": [
            { "id": "10", "url": "https://home.example/@brand/10", "account": { "id": "1" } },
            { "id": "20", "url": "https://remote.example/@x/20", "account": { "id": "7" } }
        ], "descendants": [] });
        let mut m = reply(MessageKind::Mention);
        apply_context(&mut m, &context, "1");
        assert_eq!(m.root.as_ref().map(|r| r.id.as_str()), Some("10"));
        assert_eq!(
            m.parent.and_then(|p| p.url).as_deref(),
            Some("https://remote.example/@x/20")
        );
        assert_eq!(m.kind, MessageKind::Reply, "the brand started the thread");

        let mut m = reply(MessageKind::Mention);
        apply_context(&mut m, &context, "99");
        assert_eq!(m.kind, MessageKind::Mention);

        // Nothing to learn from an empty or odd context.
        for odd in [
            json!({ "ancestors": [] }),
            json!([]),
            json!({ "ancestors": [{ "id": "../x" }] }),
        ] {
            let mut m = reply(MessageKind::Mention);
            apply_context(&mut m, &odd, "1");
            assert_eq!(m.root, None, "{odd}");
        }
    }

    #[test]
    fn conversations_are_found_by_their_last_status() {
        let list = json!([
            { "id": "c1", "last_status": { "id": "30" } },
            { "id": "c2", "last_status": null },
            { "last_status": { "id": "31" } }
        ]);
        let map = conversations_by_last_status(&list);
        assert_eq!(map.get("30").map(String::as_str), Some("c1"));
        assert_eq!(map.len(), 1);
        assert!(conversations_by_last_status(&json!({ "error": "x" })).is_empty());
    }
}
