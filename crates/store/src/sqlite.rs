//! The embedded default: SQLite in WAL mode, one file in the data directory.

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};

type Db = sqlx::Sqlite;
type DbRow = SqliteRow;
const BACKEND: &str = "sqlite";

/// Writers start with `BEGIN IMMEDIATE`: SQLite then takes the write lock at once (waiting up to
/// the busy time-out) instead of failing half-way when a reader tries to become a writer.
/// That also makes every write transaction serial, so the locks below need no SQL.
const LOCK_WORKSPACE_SQL: &str = "SELECT id FROM workspaces WHERE id = $1";
const CLAIM_JOB_SQL: &str = "SELECT id FROM jobs
    WHERE (status = 'queued' AND run_at <= $1) OR (status = 'running' AND lease_until < $1)
    ORDER BY run_at, id LIMIT 1";
const COLUMNS_SQL: &str = "SELECT name FROM pragma_table_info($1) ORDER BY cid";

pub struct SqlStore {
    pool: sqlx::Pool<Db>,
}

impl SqlStore {
    /// Opens (or creates) the database file, creating its directory if needed.
    pub async fn connect(path: &Path) -> Result<Self, crate::StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                crate::StoreError::Unavailable(format!(
                    "cannot create the data directory {}: {e}; choose one you may write to with --data-dir",
                    dir.display()
                ))
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(|e| {
                crate::StoreError::Unavailable(format!(
                    "cannot open the SQLite database {}: {e}; check that the directory exists and may be written, or choose another with --data-dir",
                    path.display()
                ))
            })?;
        Ok(Self { pool })
    }
}

async fn begin_write(pool: &sqlx::Pool<Db>) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

async fn lock_migrations(_tx: &mut sqlx::Transaction<'static, Db>) -> Result<(), sqlx::Error> {
    Ok(())
}

async fn lock_setup(_tx: &mut sqlx::Transaction<'static, Db>) -> Result<(), sqlx::Error> {
    Ok(())
}

include!("sql_common.rs");
include!("sql_planning.rs");
