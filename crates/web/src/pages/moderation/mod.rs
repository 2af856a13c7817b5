//! The inbox's moderation, set-up and figures pages, under `/w/{slug}/inbox`: the review queue,
//! the moderation rules (with a box that tries a rule on a sample), canned replies, the inbox
//! settings (response targets, approval of contributors' replies, netiquette), the response
//! times, and the public netiquette page `/n/{slug}` (outside any workspace).
//!
//! Rights: every member sees the review queue, the rules, the canned replies and the figures;
//! [`Permission::Moderate`] decides reviews and changes rules, canned replies and settings (the
//! settings page is for moderators only). Every handler checks its right before it looks
//! anything up, and looks every row up within the workspace (an id of another workspace is a
//! 404, like one that does not exist).

pub mod canned;
pub mod netiquette;
pub mod review;
mod rule_form;
pub mod rules;
pub mod settings;
pub mod sla;
mod words;

use relais_core::audit::AuditEvent;
use relais_core::{Permission, Timestamp};
use relais_store::Workspace;

use super::{Access, Chrome};
use crate::context::Ctx;
use crate::error::WebError;

pub use words::{duration, percent};

/// What the member may do here, for the pages to show only the forms that will be accepted
/// (the handlers check again).
pub struct Rights {
    /// Decide reviews, change rules, canned replies and settings.
    pub moderate: bool,
}

impl Rights {
    pub fn of(access: &Access) -> Self {
        Self {
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
fn path_id<T: std::str::FromStr>(raw: &str) -> Result<T, WebError> {
    raw.trim().parse().map_err(|_| WebError::not_found())
}

/// A row the workspace may not have: none is not found.
fn found<T>(row: Option<T>) -> Result<T, WebError> {
    row.ok_or_else(WebError::not_found)
}

/// A time as the pages show it: UTC, to the minute (`2024-05-01 14:03 UTC`).
pub fn when(at: Timestamp) -> String {
    at.to_utc_minute()
}

/// A name or label typed in a form: trimmed, 1 to 100 characters, no control characters.
fn clean_name(raw: &str) -> Option<&str> {
    let name = raw.trim();
    (!name.is_empty() && name.chars().count() <= 100 && !name.chars().any(char::is_control))
        .then_some(name)
}

/// Lines of a textarea: trimmed, empty ones left out.
fn lines(raw: &str) -> Vec<String> {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The address of a workspace's public netiquette page.
pub fn netiquette_url(public_url: &str, ws: &Workspace) -> String {
    format!("{}/n/{}", public_url.trim_end_matches('/'), ws.slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(clean_name("  Insultes "), Some("Insultes"));
        assert_eq!(clean_name("   "), None);
        assert_eq!(clean_name("a\u{7}b"), None);
        assert_eq!(clean_name(&"x".repeat(101)), None);
        assert_eq!(clean_name(&"é".repeat(100)), Some("é".repeat(100).as_str()));
    }

    #[test]
    fn textarea_lines_drop_blanks() {
        assert_eq!(lines(" a \r\n\n  \nb c\n"), ["a", "b c"]);
        assert!(lines("\n \n").is_empty());
    }
}
