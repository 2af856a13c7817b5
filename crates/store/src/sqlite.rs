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
/// One writer at a time already: nothing to lock.
const LOCK_POST_SQL: &str = "SELECT id FROM posts WHERE id = $1";
// The claim is one statement (no transaction round trips): the first job whose lease expired,
// else the first due, each found by walking its index (`jobs_leased`, `jobs_due`) to its first
// row; an OR of the two made SQLite sort every due job at every claim.
const CLAIM_JOB_SQL: &str = "UPDATE jobs SET status = 'running', attempts = attempts + 1,
        lease_owner = $2, lease_until = $3, updated_at = $1
    WHERE id = COALESCE(
        (SELECT id FROM jobs WHERE status = 'running' AND lease_until < $1 ORDER BY lease_until LIMIT 1),
        (SELECT id FROM jobs WHERE status = 'queued' AND run_at <= $1 ORDER BY run_at, id LIMIT 1))
    RETURNING id, workspace_id, kind, payload, status, run_at, attempts, max_attempts, lease_owner, lease_until, last_error";
const COLUMNS_SQL: &str = "SELECT name FROM pragma_table_info($1) ORDER BY cid";

pub struct SqlStore {
    /// Readers (WAL lets them run beside the writer).
    pool: sqlx::Pool<Db>,
    /// One connection for every write: writers queue here, in order, instead of meeting on
    /// SQLite's file lock, whose busy handler sleeps (up to 100 ms a time) between tries.
    writer: sqlx::Pool<Db>,
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
        let unavailable = |e: sqlx::Error| {
            crate::StoreError::Unavailable(format!(
                "cannot open the SQLite database {}: {e}; check that the directory exists and may be written, or choose another with --data-dir",
                path.display()
            ))
        };
        // The writer first: it creates the file and turns WAL on before readers open it.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await
            .map_err(unavailable)?;
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(unavailable)?;
        Ok(Self { pool, writer })
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
include!("sql_library.rs");
include!("sql_audience.rs");
include!("sql_listening.rs");
include!("sql_inbox.rs");
