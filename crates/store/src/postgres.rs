//! PostgreSQL, for installs that outgrow one file or run several `relais` processes.

use std::time::Duration;

use sqlx::postgres::{PgPoolOptions, PgRow};

type Db = sqlx::Postgres;
type DbRow = PgRow;
const BACKEND: &str = "postgres";

/// Row lock on the workspace: concurrent role changes in one workspace wait for each other, so
/// the "last admin" rule cannot be broken by two changes that each saw another admin.
const LOCK_WORKSPACE_SQL: &str = "SELECT id FROM workspaces WHERE id = $1 FOR UPDATE";
/// Row lock on a post: two of its channels finishing at once settle its status one after the
/// other, the second seeing the first's result (READ COMMITTED reads anew after the wait).
const LOCK_POST_SQL: &str = "SELECT id FROM posts WHERE id = $1 FOR UPDATE";
/// `SKIP LOCKED`: a worker passes over the rows another worker is claiming instead of waiting,
/// so several processes share the queue without ever taking the same job.
// The claim is one statement (no transaction round trips): the first job whose lease expired,
// else the first due, each the first unlocked row of its index; SKIP LOCKED lets concurrent
// claimers pass each other instead of queueing on one row.
const CLAIM_JOB_SQL: &str = "UPDATE jobs SET status = 'running', attempts = attempts + 1,
        lease_owner = $2, lease_until = $3, updated_at = $1
    WHERE id = COALESCE(
        (SELECT id FROM jobs WHERE status = 'running' AND lease_until < $1 ORDER BY lease_until LIMIT 1 FOR UPDATE SKIP LOCKED),
        (SELECT id FROM jobs WHERE status = 'queued' AND run_at <= $1 ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED))
    RETURNING id, workspace_id, kind, payload, status, run_at, attempts, max_attempts, lease_owner, lease_until, last_error";
const COLUMNS_SQL: &str = "SELECT column_name::text FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position";

/// Advisory lock keys (arbitrary, fixed forever).
const MIGRATION_LOCK: i64 = 0x7265_6c61_6973_0001;
const SETUP_LOCK: i64 = 0x7265_6c61_6973_0002;

pub struct SqlStore {
    pool: sqlx::Pool<Db>,
    /// The same pool: PostgreSQL takes concurrent writers itself.
    writer: sqlx::Pool<Db>,
}

impl SqlStore {
    pub async fn connect(url: &str) -> Result<Self, crate::StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|e| {
                crate::StoreError::Unavailable(format!(
                    "cannot connect to {}: {e}; check the URL, that PostgreSQL runs and that the user may log in",
                    crate::DatabaseLocation::Postgres(url.to_owned()).describe()
                ))
            })?;
        Ok(Self {
            writer: pool.clone(),
            pool,
        })
    }
}

async fn begin_write(pool: &sqlx::Pool<Db>) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error> {
    pool.begin().await
}

async fn lock_migrations(tx: &mut sqlx::Transaction<'static, Db>) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

async fn lock_setup(tx: &mut sqlx::Transaction<'static, Db>) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(SETUP_LOCK)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

include!("sql_common.rs");
include!("sql_planning.rs");
include!("sql_library.rs");
include!("sql_audience.rs");
include!("sql_listening.rs");
include!("sql_inbox.rs");
