//! The error every layer shows to a person: a stable code (for scripts and translations) and a
//! message that says what to do.

use std::fmt;

use serde::Serialize;

/// Stable error codes. Their text form (`snake_case`) is part of the API: never rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidId,
    InvalidSlug,
    InvalidEmail,
    InvalidName,
    WeakPassword,
    UnknownRole,
    UnknownWorkspace,
    UnknownUser,
    SlugTaken,
    NameTaken,
    EmailTaken,
    AlreadyMember,
    NotFound,
    Forbidden,
    Unauthenticated,
    WrongCredentials,
    TooManyAttempts,
    CsrfRejected,
    InvitationExpired,
    LastAdmin,
    SetupDone,
    InvalidInput,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidId => "invalid_id",
            Self::InvalidSlug => "invalid_slug",
            Self::InvalidEmail => "invalid_email",
            Self::InvalidName => "invalid_name",
            Self::WeakPassword => "weak_password",
            Self::UnknownRole => "unknown_role",
            Self::UnknownWorkspace => "unknown_workspace",
            Self::UnknownUser => "unknown_user",
            Self::SlugTaken => "slug_taken",
            Self::NameTaken => "name_taken",
            Self::EmailTaken => "email_taken",
            Self::AlreadyMember => "already_member",
            Self::NotFound => "not_found",
            Self::Forbidden => "forbidden",
            Self::Unauthenticated => "unauthenticated",
            Self::WrongCredentials => "wrong_credentials",
            Self::TooManyAttempts => "too_many_attempts",
            Self::CsrfRejected => "csrf_rejected",
            Self::InvitationExpired => "invitation_expired",
            Self::LastAdmin => "last_admin",
            Self::SetupDone => "setup_done",
            Self::InvalidInput => "invalid_input",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refusal the user can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} [{code}]")]
pub struct DomainError {
    pub code: ErrorCode,
    pub message: String,
}

impl DomainError {
    pub fn invalid(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::invalid(ErrorCode::NotFound, what)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::invalid(ErrorCode::Forbidden, message)
    }
}
