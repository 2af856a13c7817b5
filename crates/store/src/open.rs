//! Opening a store from what a person types: a `postgres://` URL, a `sqlite:` URL, or a data
//! directory (which stands for its `relais.db`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{Store, StoreError};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseLocation {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseLocation {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; `sqlite://PATH` or `sqlite:PATH` is
    /// that file; anything else is a data directory whose `relais.db` is used.
    pub fn parse(input: &str) -> Self {
        let s = input.trim();
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Self::Postgres(s.to_owned());
        }
        if let Some(path) = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or(path);
            return Self::Sqlite(PathBuf::from(path));
        }
        Self::Sqlite(Path::new(s).join("relais.db"))
    }

    /// For logs and messages: never shows a password.
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(p) => format!("SQLite at {}", p.display()),
            Self::Postgres(url) => match url::Url::parse(url) {
                Ok(mut u) => {
                    let _ = u.set_password(None);
                    format!("PostgreSQL at {u}")
                }
                Err(_) => "PostgreSQL (unparsable URL)".to_owned(),
            },
        }
    }
}

/// Connects (creating the SQLite file and its directory if needed) without migrating.
pub async fn open(location: &DatabaseLocation) -> Result<Arc<dyn Store>, StoreError> {
    match location {
        DatabaseLocation::Sqlite(path) => {
            Ok(Arc::new(crate::sqlite::SqlStore::connect(path).await?))
        }
        DatabaseLocation::Postgres(url) => {
            Ok(Arc::new(crate::postgres::SqlStore::connect(url).await?))
        }
    }
}
