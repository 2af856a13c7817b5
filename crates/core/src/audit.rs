//! What the audit log records: who did what to which thing, when and from where.

use serde::{Deserialize, Serialize};

use crate::{AuditId, Timestamp, UserId, WorkspaceId};

/// Who acted. A change made from the command line has no user behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: Option<UserId>,
    /// What people read: an e-mail, `api-token:<name>`, or `cli`.
    pub label: String,
    /// The client's address for web and API actions, `cli` otherwise.
    pub origin: String,
}

impl Actor {
    pub fn cli() -> Self {
        Self {
            user_id: None,
            label: "cli".into(),
            origin: "cli".into(),
        }
    }
}

/// One change to record, written in the same transaction as the change itself so that neither
/// exists without the other.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub workspace_id: Option<WorkspaceId>,
    pub actor: Actor,
    /// A dotted verb such as `workspace.create` or `member.role_change`.
    pub action: String,
    /// The thing acted on, in words people can read (an e-mail, a slug, a token name).
    pub target: String,
    /// Extra facts as JSON (the old and new role, say). Never a secret.
    pub details: serde_json::Value,
}

/// An audit event as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: AuditId,
    pub at: Timestamp,
    pub event: AuditEvent,
}
