use relais_core::{DomainError, ErrorCode};

/// A uniqueness rule the database refused to break.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conflict {
    EmailTaken,
    SlugTaken,
    AlreadyMember,
    /// The first admin exists already.
    SetupDone,
    /// The change would leave a workspace without an admin.
    LastAdmin,
    /// The invitation was accepted, revoked or has expired.
    InvitationNotPending,
    /// Another channel of the workspace has this name.
    ChannelNameTaken,
    /// The workspace follows this feed already.
    FeedTaken,
    /// A workspace measures this domain already.
    SiteTaken,
    /// A link has this slug already.
    LinkSlugTaken,
    /// Something else unique (should not happen; the message names it).
    Other,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Conflict(Conflict),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("the database cannot be reached: {0}")]
    Unavailable(String),
    #[error("the database schema is not what this Relais expects: {0}")]
    Schema(String),
    #[error("a stored value is not valid: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(String),
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Conflict::EmailTaken => "this e-mail address already has an account",
            Conflict::SlugTaken => "this workspace slug is already used",
            Conflict::AlreadyMember => "this person is already a member of the workspace",
            Conflict::SetupDone => "the first administrator exists already",
            Conflict::LastAdmin => "the workspace would be left without an admin",
            Conflict::InvitationNotPending => "the invitation was used, revoked or has expired",
            Conflict::ChannelNameTaken => "another channel of this workspace has this name",
            Conflict::FeedTaken => "this workspace follows this feed already",
            Conflict::SiteTaken => "this domain is already measured by a workspace",
            Conflict::LinkSlugTaken => "a link already has this short address",
            Conflict::Other => "a unique value is already used",
        })
    }
}

impl From<StoreError> for DomainError {
    /// What a person is told. Database details go to the log, not to the page.
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(c) => {
                let (code, msg) = match c {
                    Conflict::EmailTaken => (
                        ErrorCode::EmailTaken,
                        "this e-mail address already has an account; log in, or use another address",
                    ),
                    Conflict::SlugTaken => (
                        ErrorCode::SlugTaken,
                        "this workspace slug is already used; choose another one",
                    ),
                    Conflict::AlreadyMember => (
                        ErrorCode::AlreadyMember,
                        "this person is already a member; change their role instead",
                    ),
                    Conflict::SetupDone => (
                        ErrorCode::SetupDone,
                        "Relais is already set up; log in instead",
                    ),
                    Conflict::LastAdmin => (
                        ErrorCode::LastAdmin,
                        "a workspace needs at least one admin; make someone else admin first",
                    ),
                    Conflict::InvitationNotPending => (
                        ErrorCode::InvitationExpired,
                        "this invitation was already used, revoked or has expired; ask for a new one",
                    ),
                    Conflict::ChannelNameTaken => (
                        ErrorCode::NameTaken,
                        "another channel of this workspace has this name; choose another one",
                    ),
                    Conflict::FeedTaken => (
                        ErrorCode::NameTaken,
                        "this workspace follows this feed already; change the one in the list instead",
                    ),
                    Conflict::LinkSlugTaken => (
                        ErrorCode::NameTaken,
                        "a link already has this short address; choose another, or leave it empty for a random one",
                    ),
                    Conflict::SiteTaken => (
                        ErrorCode::NameTaken,
                        "this domain is already registered in Relais; a domain can be measured by one workspace only",
                    ),
                    Conflict::Other => (
                        ErrorCode::InvalidInput,
                        "this value is already used; choose another one",
                    ),
                };
                DomainError::invalid(code, msg)
            }
            StoreError::NotFound(what) => DomainError::not_found(format!("{what} was not found")),
            StoreError::Unavailable(_) => DomainError::invalid(
                ErrorCode::Unavailable,
                "the database does not answer; check that it runs and try again",
            ),
            StoreError::Schema(_) | StoreError::Corrupt(_) | StoreError::Database(_) => {
                DomainError::invalid(
                    ErrorCode::Internal,
                    "an internal error happened; the server log has the details",
                )
            }
        }
    }
}

/// Turns a driver error into ours. `unique` says which [`Conflict`] a unique violation means in
/// the statement that failed.
pub(crate) fn from_sqlx(e: sqlx::Error, unique: Conflict) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(unique),
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
            StoreError::Corrupt(e.to_string())
        }
        _ => StoreError::Database(e.to_string()),
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        from_sqlx(e, Conflict::Other)
    }
}
