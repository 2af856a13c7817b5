//! The X inbox's cursor: two positions in one string, because mentions and direct messages
//! are read from two endpoints that page independently.
//!
//! Written `m:<post id>;d:<event id>`, either part absent when not known yet, and `;nodm` once
//! X refused the direct messages (the app's access level or the token's scopes lack them), so
//! that the refusal is warned about once per channel, not on every read. Both ids are
//! snowflakes: the newest post (mentions, sent as `since_id`) and the newest direct-message
//! event seen.

use super::super::is_id;

/// Where the last read stopped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Cursor {
    /// The newest mention read (`since_id` next time).
    pub mentions: Option<String>,
    /// The newest direct-message event read (of anyone, the brand's own included).
    pub direct: Option<String>,
    /// X refused to list direct messages last time.
    pub direct_refused: bool,
}

impl Cursor {
    /// The cursor as [`Cursor::encode`] wrote it; `None` (with a warning) for anything else, so
    /// that the read starts again from the newest page.
    pub fn parse(text: Option<&str>) -> Option<Self> {
        let text = text?.trim();
        if text.is_empty() {
            return None;
        }
        let parsed = Self::parse_parts(text);
        if parsed.is_none() {
            tracing::warn!(
                network = "x",
                cursor = text,
                "an unreadable inbox cursor was dropped; reading from the newest page"
            );
        }
        parsed
    }

    fn parse_parts(text: &str) -> Option<Self> {
        let mut cursor = Self::default();
        for part in text.split(';') {
            match part.split_once(':') {
                Some(("m", id)) if is_id(id) && cursor.mentions.is_none() => {
                    cursor.mentions = Some(id.to_owned());
                }
                Some(("d", id)) if is_id(id) && cursor.direct.is_none() => {
                    cursor.direct = Some(id.to_owned());
                }
                None if part == "nodm" => cursor.direct_refused = true,
                _ => return None,
            }
        }
        Some(cursor)
    }

    /// The cursor as a string; `None` when it knows nothing yet.
    pub fn encode(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(id) = &self.mentions {
            parts.push(format!("m:{id}"));
        }
        if let Some(id) = &self.direct {
            parts.push(format!("d:{id}"));
        }
        if self.direct_refused {
            parts.push("nodm".to_owned());
        }
        (!parts.is_empty()).then(|| parts.join(";"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_positions_go_round() {
        let c = Cursor {
            mentions: Some("1900000000000000104".into()),
            direct: Some("1800000000000000007".into()),
            direct_refused: false,
        };
        let text = c.encode().expect("a cursor");
        assert_eq!(text, "m:1900000000000000104;d:1800000000000000007");
        assert_eq!(Cursor::parse(Some(&text)), Some(c));

        let only_mentions = Cursor {
            mentions: Some("5".into()),
            direct_refused: true,
            ..Cursor::default()
        };
        assert_eq!(only_mentions.encode().as_deref(), Some("m:5;nodm"));
        assert_eq!(Cursor::parse(Some("m:5;nodm")), Some(only_mentions));
        assert_eq!(Cursor::default().encode(), None);
    }

    #[test]
    fn anything_else_is_dropped() {
        for bad in [
            "1900000000000000104",
            "m:abc",
            "m:1;m:2",
            "d:1;x:2",
            "m:1;;d:2",
            "m:../2",
            "{\"m\":\"1\"}",
        ] {
            assert_eq!(Cursor::parse(Some(bad)), None, "{bad}");
        }
        assert_eq!(Cursor::parse(None), None);
        assert_eq!(Cursor::parse(Some("  ")), None);
    }
}
