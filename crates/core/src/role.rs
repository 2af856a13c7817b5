//! Roles in a workspace and what each may do.
//!
//! Pages and API routes never test a role directly: they ask for a [`Permission`], and this table
//! is the one place that says which role holds it. A capability that needs a new right adds a
//! permission here, with a test.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{DomainError, ErrorCode};

/// A member's role in one workspace. Ordered from the most to the least powerful.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including members, tokens and the workspace itself.
    Admin,
    /// Runs the team: members (below admin), tokens, settings, the audit log, and all content.
    Manager,
    /// Writes and publishes, and approves what contributors wrote.
    Editor,
    /// Writes drafts that wait for an editor's approval.
    Contributor,
    /// Reads everything, changes nothing.
    Analyst,
}

/// A right that a route or an action needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See the workspace, its content and its figures.
    View,
    /// Write drafts (that may still need approval).
    WriteDrafts,
    /// Publish or schedule without anyone's approval.
    Publish,
    /// Approve or refuse a contributor's draft.
    Approve,
    /// Invite, change roles, remove members.
    ManageMembers,
    /// Create and revoke API tokens.
    ManageTokens,
    /// Change the workspace's settings and connections.
    ManageSettings,
    /// Read the audit log.
    ViewAudit,
    /// Rename or delete the workspace itself.
    AdministerWorkspace,
    /// Manage listening: queries, sources, alert rules.
    Listen,
    /// Triage listening's mentions: tag, mute, send to the inbox.
    TriageMentions,
    /// Work the inbox: reply (through approval where the workspace asks it of contributors),
    /// assign, change status, tag, write notes, like and repost.
    Answer,
    /// Moderate: hide, delete, mute, block and report on the networks, decide the review queue,
    /// and set the inbox up (moderation rules, canned replies, response targets, netiquette).
    Moderate,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Manager,
        Role::Editor,
        Role::Contributor,
        Role::Analyst,
    ];

    /// 0 for admin up to 4 for analyst: lower is more powerful.
    fn rank(self) -> u8 {
        match self {
            Role::Admin => 0,
            Role::Manager => 1,
            Role::Editor => 2,
            Role::Contributor => 3,
            Role::Analyst => 4,
        }
    }

    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match permission {
            View => true,
            WriteDrafts | TriageMentions | Answer => self.rank() <= Role::Contributor.rank(),
            Publish | Approve | Listen | Moderate => self.rank() <= Role::Editor.rank(),
            ManageMembers | ManageTokens | ManageSettings | ViewAudit => {
                self.rank() <= Role::Manager.rank()
            }
            AdministerWorkspace => self == Role::Admin,
        }
    }

    /// Whether a member with this role may give `to` to someone who now has `from` (`None` for a
    /// newcomer). Nobody but an admin makes or unmakes an admin.
    pub fn may_assign(self, from: Option<Role>, to: Role) -> bool {
        if !self.allows(Permission::ManageMembers) {
            return false;
        }
        if self == Role::Admin {
            return true;
        }
        to != Role::Admin && from != Some(Role::Admin)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Editor => "editor",
            Role::Contributor => "contributor",
            Role::Analyst => "analyst",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| {
                DomainError::invalid(
                    ErrorCode::UnknownRole,
                    format!(
                        "unknown role `{s}`; choose one of admin, manager, editor, contributor, analyst"
                    ),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    #[test]
    fn contributor_writes_but_cannot_publish_or_approve() {
        assert!(Role::Contributor.allows(WriteDrafts));
        assert!(!Role::Contributor.allows(Publish));
        assert!(!Role::Contributor.allows(Approve));
    }

    #[test]
    fn analyst_only_reads() {
        for p in [
            WriteDrafts,
            Publish,
            Approve,
            ManageMembers,
            ManageTokens,
            ManageSettings,
            ViewAudit,
            AdministerWorkspace,
            Listen,
            TriageMentions,
            Answer,
            Moderate,
        ] {
            assert!(!Role::Analyst.allows(p), "analyst must not hold {p:?}");
        }
        assert!(Role::Analyst.allows(View));
    }

    #[test]
    fn editor_publishes_but_does_not_manage_the_team() {
        assert!(Role::Editor.allows(Publish));
        assert!(Role::Editor.allows(Approve));
        assert!(!Role::Editor.allows(ManageMembers));
        assert!(!Role::Editor.allows(ViewAudit));
    }

    #[test]
    fn contributors_triage_mentions_but_only_editors_and_up_manage_listening() {
        let listeners: Vec<Role> = Role::ALL.into_iter().filter(|r| r.allows(Listen)).collect();
        assert_eq!(listeners, vec![Role::Admin, Role::Manager, Role::Editor]);
        let triagers: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.allows(TriageMentions))
            .collect();
        assert_eq!(
            triagers,
            vec![Role::Admin, Role::Manager, Role::Editor, Role::Contributor]
        );
    }

    #[test]
    fn contributors_answer_but_only_editors_and_up_moderate() {
        let holders = |p: Permission| -> Vec<Role> {
            Role::ALL.into_iter().filter(|r| r.allows(p)).collect()
        };
        assert_eq!(
            holders(Answer),
            vec![Role::Admin, Role::Manager, Role::Editor, Role::Contributor]
        );
        assert_eq!(
            holders(Moderate),
            vec![Role::Admin, Role::Manager, Role::Editor]
        );
    }

    #[test]
    fn only_admin_administers_the_workspace() {
        let holders: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.allows(AdministerWorkspace))
            .collect();
        assert_eq!(holders, vec![Role::Admin]);
    }

    #[test]
    fn managers_cannot_make_or_unmake_admins() {
        assert!(Role::Manager.may_assign(None, Role::Editor));
        assert!(Role::Manager.may_assign(Some(Role::Analyst), Role::Manager));
        assert!(!Role::Manager.may_assign(None, Role::Admin));
        assert!(!Role::Manager.may_assign(Some(Role::Admin), Role::Analyst));
        assert!(Role::Admin.may_assign(Some(Role::Admin), Role::Analyst));
        assert!(!Role::Editor.may_assign(None, Role::Analyst));
    }

    #[test]
    fn roles_parse_whatever_the_case_and_refuse_unknown_ones() {
        assert_eq!("Editor".parse::<Role>().unwrap(), Role::Editor);
        let err = "owner".parse::<Role>().unwrap_err();
        assert_eq!(err.code, ErrorCode::UnknownRole);
        assert!(
            err.message
                .contains("admin, manager, editor, contributor, analyst")
        );
    }
}
