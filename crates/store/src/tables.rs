//! The list of tables and columns, for `relais db copy`.
//!
//! Copying goes through these plain cells rather than through the typed rows, so that it moves
//! every column of every table, including ones no typed row reads yet. The conformance suite
//! checks this list against the columns each database really has, so a migration that adds a
//! table or column without adding it here fails the tests.

/// The portable column types the schema uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    Int,
    Bool,
    Bytes,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Null,
    Text(String),
    Int(i64),
    Bool(bool),
    Bytes(Vec<u8>),
}

#[derive(Debug)]
pub struct TableSpec {
    pub name: &'static str,
    pub columns: &'static [(&'static str, ColumnKind)],
}

use ColumnKind::{Bool, Bytes, Int, Text};

/// Every table, parents before children, so that rows can be loaded in this order.
pub static TABLES: &[TableSpec] = &[
    TableSpec {
        name: "users",
        columns: &[
            ("id", Text),
            ("email", Text),
            ("name", Text),
            ("password_hash", Text),
            ("is_instance_admin", Bool),
            ("locale", Text),
            ("created_at", Int),
        ],
    },
    TableSpec {
        name: "workspaces",
        columns: &[
            ("id", Text),
            ("slug", Text),
            ("name", Text),
            ("created_at", Int),
        ],
    },
    TableSpec {
        name: "memberships",
        columns: &[
            ("workspace_id", Text),
            ("user_id", Text),
            ("role", Text),
            ("created_at", Int),
        ],
    },
    TableSpec {
        name: "invitations",
        columns: &[
            ("id", Text),
            ("workspace_id", Text),
            ("email", Text),
            ("role", Text),
            ("token_hash", Text),
            ("invited_by", Text),
            ("created_at", Int),
            ("expires_at", Int),
            ("accepted_at", Int),
            ("revoked_at", Int),
        ],
    },
    TableSpec {
        name: "sessions",
        columns: &[
            ("token_hash", Text),
            ("user_id", Text),
            ("created_at", Int),
            ("expires_at", Int),
            ("last_seen_at", Int),
        ],
    },
    TableSpec {
        name: "api_tokens",
        columns: &[
            ("id", Text),
            ("workspace_id", Text),
            ("name", Text),
            ("role", Text),
            ("token_hash", Text),
            ("created_by", Text),
            ("created_at", Int),
            ("last_used_at", Int),
            ("revoked_at", Int),
        ],
    },
    TableSpec {
        name: "audit_log",
        columns: &[
            ("id", Text),
            ("workspace_id", Text),
            ("actor_user_id", Text),
            ("actor_label", Text),
            ("origin", Text),
            ("action", Text),
            ("target", Text),
            ("details", Text),
            ("at", Int),
        ],
    },
    TableSpec {
        name: "instance_settings",
        columns: &[("key", Text), ("value", Text)],
    },
    TableSpec {
        name: "channels",
        columns: &[
            ("id", Text),
            ("workspace_id", Text),
            ("network", Text),
            ("name", Text),
            ("settings", Text),
            ("secrets", Text),
            ("status", Text),
            ("status_detail", Text),
            ("created_by", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    },
    TableSpec {
        name: "media",
        columns: &[
            ("id", Text),
            ("workspace_id", Text),
            ("file_name", Text),
            ("mime", Text),
            ("size", Int),
            ("sha256", Text),
            ("alt", Text),
            ("content", Bytes),
            ("created_by", Text),
            ("created_at", Int),
            // Added by 0006: last, where ALTER TABLE puts it.
            ("thumbnail", Bytes),
        ],
    },
    TableSpec {
        name: "posts",
        columns: &[
            ("id", Text),
            ("workspace_id", Text),
            ("author_id", Text),
            ("author_label", Text),
            ("status", Text),
            ("parts", Text),
            ("scheduled_at", Int),
            ("time_zone", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    },
    TableSpec {
        name: "post_targets",
        columns: &[
            ("id", Text),
            ("post_id", Text),
            ("workspace_id", Text),
            ("channel_id", Text),
            ("parts", Text),
            ("status", Text),
            ("published", Text),
            ("in_flight_part", Int),
            ("attempts", Int),
            ("last_error", Text),
            ("url", Text),
            ("published_at", Int),
            ("updated_at", Int),
        ],
    },
    TableSpec {
        name: "post_metrics",
        columns: &[
            ("id", Text),
            ("workspace_id", Text),
            ("target_id", Text),
            ("at", Int),
            ("likes", Int),
            ("reposts", Int),
            ("replies", Int),
            ("quotes", Int),
            ("views", Int),
        ],
    },
    TableSpec {
        name: "oauth_apps",
        columns: &[
            ("workspace_id", Text),
            ("network", Text),
            ("client_id", Text),
            ("client_secret", Text),
            ("updated_by", Text),
            ("updated_at", Int),
        ],
    },
    TableSpec {
        name: "oauth_connections",
        columns: &[
            ("state_hash", Text),
            ("workspace_id", Text),
            ("user_id", Text),
            ("network", Text),
            ("verifier", Text),
            ("redirect_uri", Text),
            ("accounts", Text),
            ("created_at", Int),
            ("expires_at", Int),
        ],
    },
    TableSpec {
        name: "post_comments",
        columns: &[
            ("id", Text),
            ("workspace_id", Text),
            ("post_id", Text),
            ("author_id", Text),
            ("author_label", Text),
            ("body", Text),
            ("created_at", Int),
        ],
    },
    TableSpec {
        name: "queue_slots",
        columns: &[
            ("id", Text),
            ("workspace_id", Text),
            ("channel_id", Text),
            ("weekday", Int),
            ("minute", Int),
            ("time_zone", Text),
        ],
    },
    TableSpec {
        name: "feeds",
        columns: &[
            ("id", Text),
            ("workspace_id", Text),
            ("name", Text),
            ("url", Text),
            ("channel_ids", Text),
            ("mode", Text),
            ("etag", Text),
            ("last_modified", Text),
            ("last_polled_at", Int),
            ("last_success_at", Int),
            ("last_error", Text),
            ("created_by", Text),
            ("created_at", Int),
        ],
    },
    TableSpec {
        name: "feed_entries",
        columns: &[
            ("feed_id", Text),
            ("entry_key", Text),
            ("workspace_id", Text),
            ("post_id", Text),
            ("seen_at", Int),
        ],
    },
    TableSpec {
        name: "jobs",
        columns: &[
            ("id", Text),
            ("workspace_id", Text),
            ("kind", Text),
            ("payload", Text),
            ("status", Text),
            ("run_at", Int),
            ("attempts", Int),
            ("max_attempts", Int),
            ("lease_owner", Text),
            ("lease_until", Int),
            ("last_error", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    },
    TableSpec {
        name: "sites",
        columns: &[
            ("id", Text),
            ("workspace_id", Text),
            ("domain", Text),
            ("time_zone", Text),
            ("created_by", Text),
            ("created_at", Int),
        ],
    },
    TableSpec {
        name: "site_goals",
        columns: &[
            ("id", Text),
            ("site_id", Text),
            ("kind", Text),
            ("value", Text),
            ("created_at", Int),
        ],
    },
    TableSpec {
        name: "site_funnels",
        columns: &[
            ("id", Text),
            ("site_id", Text),
            ("name", Text),
            ("steps", Text),
            ("created_at", Int),
        ],
    },
    TableSpec {
        name: "visitor_salts",
        columns: &[("day", Text), ("salt", Text), ("created_at", Int)],
    },
    TableSpec {
        name: "links",
        columns: &[
            ("id", Text),
            ("workspace_id", Text),
            ("slug", Text),
            ("target", Text),
            ("title", Text),
            ("campaign", Text),
            ("expires_at", Int),
            ("password_hash", Text),
            ("post_id", Text),
            ("created_by", Text),
            ("created_at", Int),
        ],
    },
    TableSpec {
        name: "campaign_costs",
        columns: &[
            ("workspace_id", Text),
            ("campaign", Text),
            ("cost_cents", Int),
            ("currency", Text),
            ("updated_at", Int),
        ],
    },
    TableSpec {
        name: "listen_queries",
        columns: &[
            ("id", Text),
            ("workspace_id", Text),
            ("name", Text),
            ("query", Text),
            ("role", Text),
            ("created_by", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    },
    TableSpec {
        name: "listen_sources",
        columns: &[
            ("id", Text),
            ("workspace_id", Text),
            ("kind", Text),
            ("target", Text),
            ("label", Text),
            ("interval_secs", Int),
            ("enabled", Bool),
            ("channel_id", Text),
            ("created_by", Text),
            ("created_at", Int),
            ("etag", Text),
            ("last_modified", Text),
            ("content_hash", Text),
            ("cursor", Text),
            ("next_poll_at", Int),
            ("failures", Int),
            ("last_success_at", Int),
            ("last_error", Text),
            ("last_error_at", Int),
            ("last_items", Int),
        ],
    },
    TableSpec {
        name: "mentions",
        columns: &[
            ("id", Text),
            ("workspace_id", Text),
            ("source_id", Text),
            ("source_kind", Text),
            ("key", Text),
            ("url", Text),
            ("title", Text),
            ("text", Text),
            ("author", Text),
            ("reach", Int),
            ("site", Text),
            ("lang", Text),
            ("sentiment", Text),
            ("score_milli", Int),
            ("fingerprint", Int),
            ("duplicate_of", Text),
            ("at", Int),
            ("found_at", Int),
            ("muted", Bool),
            ("inbox_sent_at", Int),
        ],
    },
    TableSpec {
        name: "mention_matches",
        columns: &[
            ("mention_id", Text),
            ("query_id", Text),
            ("workspace_id", Text),
            ("at", Int),
        ],
    },
    TableSpec {
        name: "mention_tags",
        columns: &[("mention_id", Text), ("tag", Text), ("workspace_id", Text)],
    },
    TableSpec {
        name: "alert_rules",
        columns: &[
            ("id", Text),
            ("workspace_id", Text),
            ("name", Text),
            ("kind", Text),
            ("query_id", Text),
            ("keywords", Text),
            ("k_milli", Int),
            ("min_mentions", Int),
            ("delivery", Text),
            ("email", Text),
            ("webhook_url", Text),
            ("webhook_secret", Bytes),
            ("enabled", Bool),
            ("created_by", Text),
            ("created_at", Int),
            ("last_fired_at", Int),
        ],
    },
    TableSpec {
        name: "alert_events",
        columns: &[
            ("id", Text),
            ("workspace_id", Text),
            ("rule_id", Text),
            ("fired_at", Int),
            ("kind", Text),
            ("summary", Text),
            ("value_milli", Int),
            ("threshold_milli", Int),
            ("bucket_start", Int),
            ("mention_id", Text),
            ("sent_at", Int),
            ("last_attempt_error", Text),
        ],
    },
];

impl TableSpec {
    pub fn select_sql(&self) -> String {
        let cols: Vec<&str> = self.columns.iter().map(|(c, _)| *c).collect();
        // Ordered by the first column (the key) so that a copy is deterministic.
        format!(
            "SELECT {} FROM {} ORDER BY {}",
            cols.join(", "),
            self.name,
            cols[0]
        )
    }

    pub fn insert_sql(&self) -> String {
        let cols: Vec<&str> = self.columns.iter().map(|(c, _)| *c).collect();
        let params: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
        format!(
            "INSERT INTO {} ({}) VALUES ({})",
            self.name,
            cols.join(", "),
            params.join(", ")
        )
    }
}
