//! Schema migrations, embedded in the binary.
//!
//! One numbered SQL file per migration serves both backends. Each applied migration is recorded
//! with a checksum of its text; a file edited after it was applied is refused at start, because
//! the databases already migrated would silently differ from new ones.

use sha2::{Digest, Sha256};

pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub(crate) static MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sql: include_str!("../migrations/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "channels",
        sql: include_str!("../migrations/0002_channels.sql"),
    },
    Migration {
        version: 3,
        name: "posts",
        sql: include_str!("../migrations/0003_posts.sql"),
    },
    Migration {
        version: 4,
        name: "post_metrics",
        sql: include_str!("../migrations/0004_post_metrics.sql"),
    },
    Migration {
        version: 5,
        name: "planning",
        sql: include_str!("../migrations/0005_planning.sql"),
    },
    Migration {
        version: 6,
        name: "library",
        sql: include_str!("../migrations/0006_library.sql"),
    },
    Migration {
        version: 7,
        name: "audience",
        sql: include_str!("../migrations/0007_audience.sql"),
    },
    Migration {
        version: 8,
        name: "links",
        sql: include_str!("../migrations/0008_links.sql"),
    },
    Migration {
        version: 9,
        name: "listening",
        sql: include_str!("../migrations/0009_listening.sql"),
    },
    Migration {
        version: 10,
        name: "inbox",
        sql: include_str!("../migrations/0010_inbox.sql"),
    },
];

pub(crate) const CREATE_MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS relais_migrations (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)";

/// Splits a migration into statements, dropping `--` comment lines. Statements are run one by
/// one through prepared queries on both backends, so a migration must use `;` only to end a
/// statement (never inside a string literal).
pub(crate) fn statements(sql: &str) -> Vec<String> {
    let without_comments: String = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

pub(crate) fn checksum(sql: &str) -> String {
    let digest = Sha256::digest(sql.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_split_on_semicolons_and_skip_comments() {
        let parts =
            statements("-- a; comment\nCREATE TABLE a (x TEXT);\n\nCREATE INDEX i ON a (x);\n");
        assert_eq!(
            parts,
            vec!["CREATE TABLE a (x TEXT)", "CREATE INDEX i ON a (x)"]
        );
    }

    #[test]
    fn versions_increase_without_gaps() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(
                m.version,
                i as i64 + 1,
                "migration {} is out of order",
                m.name
            );
        }
    }
}
