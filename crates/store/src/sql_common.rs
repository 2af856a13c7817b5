// The body of both SQL backends. This file is `include!`d by `sqlite.rs` and `postgres.rs`,
// each of which first defines:
//   type Db; type DbRow; struct SqlStore { pool: sqlx::Pool<Db> }; const BACKEND: &str;
//   async fn begin_write(pool) -> Result<Transaction, sqlx::Error>;
//   async fn lock_migrations(tx) -> Result<(), sqlx::Error>;
//   async fn lock_setup(tx) -> Result<(), sqlx::Error>;
//   const LOCK_WORKSPACE_SQL, CLAIM_JOB_SQL, COLUMNS_SQL: &str;
// The SQL here is portable: `$n` parameters, TEXT/BIGINT/BOOLEAN, ON CONFLICT. Keeping one body
// means one behaviour, which the conformance suite then checks on both databases.

use async_trait::async_trait;
use relais_core::audit::{Actor, AuditEvent, AuditRecord};
use relais_core::{
    ChannelId, FunnelId, GoalId, LinkId, MediaId, PostId, SiteId, TargetId,
    ApiTokenId, AuditId, DisplayName, Email, InvitationId, JobId, Role, Slug, Timestamp, UserId,
    WorkspaceId,
};
use sqlx::Row;


use crate::error::from_sqlx;
use crate::migrate::{CREATE_MIGRATIONS_TABLE, MIGRATIONS, checksum, statements};
use crate::tables::{Cell, ColumnKind, TABLES, TableSpec};
use crate::{
    MetricsSample,
    Media, NewMedia, NewPost, NewTarget, Post, PostPart, PostStatus, PublishPlan, PublishedRef, Target, TargetStatus,
    Channel, ChannelStatus, NewChannel,
    ApiToken, Conflict, Invitation, Invitee, Job, JobLease, JobStatus, Member, NewApiToken, NewInvitation,
    NewJob, NewSession, NewUser, Store, StoreError, StoreResult, User, Workspace,
};

type Tx = sqlx::Transaction<'static, Db>;

const USER_COLS: &str = "u.id, u.email, u.name, u.is_instance_admin, u.locale, u.created_at";
const WORKSPACE_COLS: &str =
    "w.id AS w_id, w.slug AS w_slug, w.name AS w_name, w.created_at AS w_created_at";
const INVITATION_COLS: &str = "id, workspace_id, email, role, invited_by, created_at, expires_at, accepted_at, revoked_at";
const TOKEN_COLS: &str =
    "id, workspace_id, name, role, created_by, created_at, last_used_at, revoked_at";
const CHANNEL_COLS: &str = "id, workspace_id, network, name, settings, secrets, status, status_detail, created_by, created_at, updated_at";
// `has_thumbnail` is computed, so that listing media never reads the preview's bytes.
const MEDIA_COLS: &str = "id, workspace_id, file_name, mime, size, sha256, alt, created_at, (thumbnail IS NOT NULL) AS has_thumbnail";
const POST_COLS: &str = "id, workspace_id, author_id, author_label, status, parts, scheduled_at, time_zone, created_at, updated_at";
const TARGET_COLS: &str = "id, post_id, workspace_id, channel_id, parts, status, published, in_flight_part, attempts, last_error, url, published_at";
const JOB_COLS: &str = "id, workspace_id, kind, payload, status, run_at, attempts, max_attempts, lease_owner, lease_until, last_error";

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what}: `{value}`"))
}

fn parse<T: std::str::FromStr>(what: &str, value: String) -> StoreResult<T> {
    value.parse::<T>().map_err(|_| corrupt(what, &value))
}

fn parse_opt<T: std::str::FromStr>(what: &str, value: Option<String>) -> StoreResult<Option<T>> {
    value.map(|v| parse(what, v)).transpose()
}

fn user_from(row: &DbRow) -> StoreResult<User> {
    let email: String = row.try_get("email")?;
    let name: String = row.try_get("name")?;
    Ok(User {
        id: parse("user id", row.try_get("id")?)?,
        email: Email::parse(&email).map_err(|_| corrupt("e-mail", &email))?,
        name: DisplayName::parse(&name).map_err(|_| corrupt("user name", &name))?,
        is_instance_admin: row.try_get("is_instance_admin")?,
        locale: row.try_get("locale")?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
    })
}

fn workspace_from(row: &DbRow) -> StoreResult<Workspace> {
    let slug: String = row.try_get("w_slug")?;
    Ok(Workspace {
        id: parse("workspace id", row.try_get("w_id")?)?,
        slug: Slug::parse(&slug).map_err(|_| corrupt("slug", &slug))?,
        name: row.try_get("w_name")?,
        created_at: Timestamp::from_millis(row.try_get("w_created_at")?),
    })
}

fn invitation_from(row: &DbRow) -> StoreResult<Invitation> {
    let email: String = row.try_get("email")?;
    Ok(Invitation {
        id: parse("invitation id", row.try_get("id")?)?,
        workspace_id: parse("workspace id", row.try_get("workspace_id")?)?,
        email: Email::parse(&email).map_err(|_| corrupt("e-mail", &email))?,
        role: parse("role", row.try_get("role")?)?,
        invited_by: parse_opt("user id", row.try_get("invited_by")?)?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
        expires_at: Timestamp::from_millis(row.try_get("expires_at")?),
        accepted_at: row.try_get::<Option<i64>, _>("accepted_at")?.map(Timestamp::from_millis),
        revoked_at: row.try_get::<Option<i64>, _>("revoked_at")?.map(Timestamp::from_millis),
    })
}

fn token_from(row: &DbRow) -> StoreResult<ApiToken> {
    Ok(ApiToken {
        id: parse("token id", row.try_get("id")?)?,
        workspace_id: parse("workspace id", row.try_get("workspace_id")?)?,
        name: row.try_get("name")?,
        role: parse("role", row.try_get("role")?)?,
        created_by: parse_opt("user id", row.try_get("created_by")?)?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
        last_used_at: row.try_get::<Option<i64>, _>("last_used_at")?.map(Timestamp::from_millis),
        revoked_at: row.try_get::<Option<i64>, _>("revoked_at")?.map(Timestamp::from_millis),
    })
}

fn channel_from(row: &DbRow) -> StoreResult<Channel> {
    let settings: String = row.try_get("settings")?;
    let secrets: String = row.try_get("secrets")?;
    let status: String = row.try_get("status")?;
    Ok(Channel {
        id: parse("channel id", row.try_get("id")?)?,
        workspace_id: parse("workspace id", row.try_get("workspace_id")?)?,
        network: row.try_get("network")?,
        name: row.try_get("name")?,
        settings: serde_json::from_str(&settings).map_err(|_| corrupt("channel settings", &settings))?,
        secrets: serde_json::from_str(&secrets).map_err(|_| corrupt("channel secrets", "(sealed)"))?,
        status: ChannelStatus::parse(&status).ok_or_else(|| corrupt("channel status", &status))?,
        status_detail: row.try_get("status_detail")?,
        created_by: parse_opt("user id", row.try_get("created_by")?)?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
        updated_at: Timestamp::from_millis(row.try_get("updated_at")?),
    })
}

fn media_from(row: &DbRow) -> StoreResult<Media> {
    Ok(Media {
        id: parse("media id", row.try_get("id")?)?,
        workspace_id: parse("workspace id", row.try_get("workspace_id")?)?,
        file_name: row.try_get("file_name")?,
        mime: row.try_get("mime")?,
        size: u64::try_from(row.try_get::<i64, _>("size")?).unwrap_or(0),
        sha256: row.try_get("sha256")?,
        alt: row.try_get("alt")?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
        has_thumbnail: row.try_get("has_thumbnail")?,
    })
}

fn json_of<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|_| corrupt(what, text))
}

fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Database(e.to_string()))
}

fn post_from(row: &DbRow) -> StoreResult<Post> {
    let status: String = row.try_get("status")?;
    let parts: String = row.try_get("parts")?;
    Ok(Post {
        id: parse("post id", row.try_get("id")?)?,
        workspace_id: parse("workspace id", row.try_get("workspace_id")?)?,
        author_id: parse_opt("user id", row.try_get("author_id")?)?,
        author_label: row.try_get("author_label")?,
        status: PostStatus::parse(&status).ok_or_else(|| corrupt("post status", &status))?,
        parts: json_of("post parts", &parts)?,
        scheduled_at: row.try_get::<Option<i64>, _>("scheduled_at")?.map(Timestamp::from_millis),
        time_zone: row.try_get("time_zone")?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
        updated_at: Timestamp::from_millis(row.try_get("updated_at")?),
    })
}

fn target_from(row: &DbRow) -> StoreResult<Target> {
    let status: String = row.try_get("status")?;
    let parts: Option<String> = row.try_get("parts")?;
    let published: String = row.try_get("published")?;
    Ok(Target {
        id: parse("target id", row.try_get("id")?)?,
        post_id: parse("post id", row.try_get("post_id")?)?,
        workspace_id: parse("workspace id", row.try_get("workspace_id")?)?,
        channel_id: parse("channel id", row.try_get("channel_id")?)?,
        parts: parts.map(|p| json_of::<Vec<PostPart>>("target parts", &p)).transpose()?,
        status: TargetStatus::parse(&status).ok_or_else(|| corrupt("target status", &status))?,
        published: json_of("published parts", &published)?,
        in_flight_part: row.try_get::<Option<i64>, _>("in_flight_part")?.and_then(|p| u32::try_from(p).ok()),
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
        last_error: row.try_get("last_error")?,
        url: row.try_get("url")?,
        published_at: row.try_get::<Option<i64>, _>("published_at")?.map(Timestamp::from_millis),
    })
}

async fn insert_job(tx: &mut Tx, id: JobId, job: &NewJob) -> StoreResult<()> {
    let now = Timestamp::now().millis();
    sqlx::query(
        "INSERT INTO jobs (id, workspace_id, kind, payload, status, run_at, attempts, max_attempts, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'queued', $5, 0, $6, $7, $7)",
    )
    .bind(id.to_string())
    .bind(job.workspace_id.map(|w| w.to_string()))
    .bind(&job.kind)
    .bind(job.payload.to_string())
    .bind(job.run_at.millis())
    .bind(i64::from(job.max_attempts.max(1)))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts a post, its targets and (with a plan) one publication job per target, inside the
/// caller's transaction.
async fn insert_post(
tx: &mut Tx,
post: NewPost,
targets: Vec<NewTarget>,
plan: Option<&PublishPlan>,
) -> StoreResult<(Post, Vec<Target>)> {
    let now = Timestamp::now();
    let created = Post {
        id: post.id,
        workspace_id: post.workspace_id,
        author_id: post.author_id,
        author_label: post.author_label,
        status: post.status,
        parts: post.parts,
        scheduled_at: post.scheduled_at,
        time_zone: post.time_zone,
        created_at: now,
        updated_at: now,
    };
    sqlx::query(
        "INSERT INTO posts (id, workspace_id, author_id, author_label, status, parts, scheduled_at, time_zone, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(created.id.to_string())
    .bind(created.workspace_id.to_string())
    .bind(created.author_id.map(|u| u.to_string()))
    .bind(&created.author_label)
    .bind(created.status.as_str())
    .bind(to_json(&created.parts)?)
    .bind(created.scheduled_at.map(|t| t.millis()))
    .bind(&created.time_zone)
    .bind(now.millis())
    .execute(&mut **tx)
    .await?;
    let status = if plan.is_some() { TargetStatus::Queued } else { TargetStatus::Waiting };
    let mut made = Vec::new();
    for t in targets {
        sqlx::query(
            "INSERT INTO post_targets (id, post_id, workspace_id, channel_id, parts, status, published, in_flight_part, attempts, last_error, url, published_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, '[]', NULL, 0, NULL, NULL, NULL, $7)",
        )
        .bind(t.id.to_string())
        .bind(created.id.to_string())
        .bind(created.workspace_id.to_string())
        .bind(t.channel_id.to_string())
        .bind(t.parts.as_ref().map(to_json).transpose()?)
        .bind(status.as_str())
        .bind(now.millis())
        .execute(&mut **tx)
        .await?;
        if let Some(plan) = plan {
            let job = NewJob {
                workspace_id: Some(created.workspace_id),
                kind: plan.job_kind.clone(),
                payload: serde_json::json!({ "workspace_id": created.workspace_id, "target_id": t.id }),
                run_at: plan.run_at,
                max_attempts: plan.max_attempts,
            };
            insert_job(tx, JobId::new(), &job).await?;
        }
        made.push(Target {
            id: t.id,
            post_id: created.id,
            workspace_id: created.workspace_id,
            channel_id: t.channel_id,
            parts: t.parts,
            status,
            published: Vec::new(),
            in_flight_part: None,
            attempts: 0,
            last_error: None,
            url: None,
            published_at: None,
        });
    }
    Ok((created, made))
}

async fn locked_target(tx: &mut Tx, workspace: WorkspaceId, id: TargetId) -> StoreResult<Target> {
    let row = sqlx::query(&format!("SELECT {TARGET_COLS} FROM post_targets WHERE workspace_id = $1 AND id = $2"))
        .bind(workspace.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound("this publication".into()))?;
    target_from(&row)
}

const MARK_JOB_DONE_SQL: &str = "UPDATE jobs SET status = 'done', lease_owner = NULL, lease_until = NULL, updated_at = $1
     WHERE id = $2 AND lease_owner = $3 AND status = 'running'";

/// Marks a job done if its lease is still `lease.worker`'s; false when another worker took it.
async fn mark_job_done(tx: &mut Tx, lease: &JobLease, now: Timestamp) -> StoreResult<bool> {
    let done = sqlx::query(MARK_JOB_DONE_SQL)
    .bind(now.millis())
    .bind(lease.job.to_string())
    .bind(&lease.worker)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the post's status from its targets': published when all are, failed when one failed.
async fn settle_post(tx: &mut Tx, post: PostId) -> StoreResult<()> {
    sqlx::query(LOCK_POST_SQL).bind(post.to_string()).fetch_optional(&mut **tx).await?;
    let statuses: Vec<String> = sqlx::query_scalar("SELECT status FROM post_targets WHERE post_id = $1")
        .bind(post.to_string())
        .fetch_all(&mut **tx)
        .await?;
    let status = if statuses.iter().any(|s| s == "failed") {
        Some("failed")
    } else if !statuses.is_empty() && statuses.iter().all(|s| s == "published") {
        Some("published")
    } else {
        None
    };
    if let Some(status) = status {
        sqlx::query("UPDATE posts SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(status)
            .bind(Timestamp::now().millis())
            .bind(post.to_string())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

fn job_from(row: &DbRow) -> StoreResult<Job> {
    let payload: String = row.try_get("payload")?;
    let status: String = row.try_get("status")?;
    Ok(Job {
        id: parse("job id", row.try_get("id")?)?,
        workspace_id: parse_opt("workspace id", row.try_get("workspace_id")?)?,
        kind: row.try_get("kind")?,
        payload: serde_json::from_str(&payload).map_err(|_| corrupt("job payload", &payload))?,
        status: JobStatus::parse(&status).ok_or_else(|| corrupt("job status", &status))?,
        run_at: Timestamp::from_millis(row.try_get("run_at")?),
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
        max_attempts: u32::try_from(row.try_get::<i64, _>("max_attempts")?).unwrap_or(u32::MAX),
        lease_owner: row.try_get("lease_owner")?,
        lease_until: row.try_get::<Option<i64>, _>("lease_until")?.map(Timestamp::from_millis),
        last_error: row.try_get("last_error")?,
    })
}

fn audit_from(row: &DbRow) -> StoreResult<AuditRecord> {
    let details: String = row.try_get("details")?;
    Ok(AuditRecord {
        id: parse("audit id", row.try_get("id")?)?,
        at: Timestamp::from_millis(row.try_get("at")?),
        event: AuditEvent {
            workspace_id: parse_opt("workspace id", row.try_get("workspace_id")?)?,
            actor: Actor {
                user_id: parse_opt("user id", row.try_get("actor_user_id")?)?,
                label: row.try_get("actor_label")?,
                origin: row.try_get("origin")?,
            },
            action: row.try_get("action")?,
            target: row.try_get("target")?,
            details: serde_json::from_str(&details).map_err(|_| corrupt("audit details", &details))?,
        },
    })
}

async fn insert_audit(tx: &mut Tx, event: &AuditEvent) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, workspace_id, actor_user_id, actor_label, origin, action, target, details, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(AuditId::new().to_string())
    .bind(event.workspace_id.map(|w| w.to_string()))
    .bind(event.actor.user_id.map(|u| u.to_string()))
    .bind(&event.actor.label)
    .bind(&event.actor.origin)
    .bind(&event.action)
    .bind(&event.target)
    .bind(event.details.to_string())
    .bind(Timestamp::now().millis())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_user(tx: &mut Tx, user: &NewUser) -> StoreResult<User> {
    let created = User {
        id: UserId::new(),
        email: user.email.clone(),
        name: user.name.clone(),
        is_instance_admin: user.is_instance_admin,
        locale: None,
        created_at: Timestamp::now(),
    };
    sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, is_instance_admin, locale, created_at)
         VALUES ($1, $2, $3, $4, $5, NULL, $6)",
    )
    .bind(created.id.to_string())
    .bind(created.email.as_str())
    .bind(created.name.as_str())
    .bind(&user.password_hash)
    .bind(created.is_instance_admin)
    .bind(created.created_at.millis())
    .execute(&mut **tx)
    .await
    .map_err(|e| from_sqlx(e, Conflict::EmailTaken))?;
    Ok(created)
}

async fn insert_membership(tx: &mut Tx, workspace: WorkspaceId, user: UserId, role: Role) -> StoreResult<()> {
    sqlx::query("INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
        .bind(workspace.to_string())
        .bind(user.to_string())
        .bind(role.as_str())
        .bind(Timestamp::now().millis())
        .execute(&mut **tx)
        .await
        .map_err(|e| from_sqlx(e, Conflict::AlreadyMember))?;
    Ok(())
}

/// The member's current role, with the workspace locked for the rest of the transaction so that
/// two concurrent changes cannot both remove "the other" admin.
async fn locked_role(tx: &mut Tx, workspace: WorkspaceId, user: UserId) -> StoreResult<Role> {
    sqlx::query(LOCK_WORKSPACE_SQL)
        .bind(workspace.to_string())
        .execute(&mut **tx)
        .await?;
    let role: Option<String> =
        sqlx::query_scalar("SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2")
            .bind(workspace.to_string())
            .bind(user.to_string())
            .fetch_optional(&mut **tx)
            .await?;
    match role {
        Some(r) => parse("role", r),
        None => Err(StoreError::NotFound("this member".into())),
    }
}

async fn admin_count(tx: &mut Tx, workspace: WorkspaceId) -> StoreResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND role = 'admin'")
        .bind(workspace.to_string())
        .fetch_one(&mut **tx)
        .await?)
}

impl SqlStore {
    async fn write(&self) -> StoreResult<Tx> {
        begin_write(&self.writer).await.map_err(StoreError::from)
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn migrate(&self) -> StoreResult<usize> {
        sqlx::query(CREATE_MIGRATIONS_TABLE).execute(&self.writer).await?;
        let mut applied = 0;
        for m in MIGRATIONS {
            let mut tx = self.write().await?;
            lock_migrations(&mut tx).await?;
            let existing: Option<String> =
                sqlx::query_scalar("SELECT checksum FROM relais_migrations WHERE version = $1")
                    .bind(m.version)
                    .fetch_optional(&mut *tx)
                    .await?;
            let sum = checksum(m.sql);
            match existing {
                Some(stored) if stored == sum => continue,
                Some(_) => {
                    return Err(StoreError::Schema(format!(
                        "migration {} ({}) differs from the one applied to this database; migrations must never be edited once released",
                        m.version, m.name
                    )));
                }
                None => {}
            }
            for statement in statements(m.sql) {
                sqlx::query(&statement).execute(&mut *tx).await.map_err(|e| {
                    StoreError::Schema(format!("migration {} ({}) failed: {e}", m.version, m.name))
                })?;
            }
            sqlx::query("INSERT INTO relais_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)")
                .bind(m.version)
                .bind(m.name)
                .bind(sum)
                .bind(Timestamp::now().millis())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            applied += 1;
        }
        // A database migrated by a newer Relais has versions this binary does not know.
        let newest: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM relais_migrations")
            .fetch_one(&self.pool)
            .await?;
        let known = MIGRATIONS.last().map(|m| m.version).unwrap_or(0);
        if newest.unwrap_or(0) > known {
            return Err(StoreError::Schema(format!(
                "this database was migrated by a newer Relais (schema version {}, this binary knows {known}); upgrade Relais",
                newest.unwrap_or(0)
            )));
        }
        Ok(applied)
    }

    async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }

    async fn count_users(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    async fn create_first_admin(&self, user: NewUser, audit: AuditEvent) -> StoreResult<User> {
        let mut tx = self.write().await?;
        lock_setup(&mut tx).await?;
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&mut *tx)
            .await?;
        if n > 0 {
            return Err(StoreError::Conflict(Conflict::SetupDone));
        }
        let created = insert_user(&mut tx, &NewUser { is_instance_admin: true, ..user }).await?;
        let mut audit = audit;
        audit.actor.user_id = Some(created.id);
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn create_user(&self, user: NewUser, audit: AuditEvent) -> StoreResult<User> {
        let mut tx = self.write().await?;
        let created = insert_user(&mut tx, &user).await?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<User>> {
        let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users u WHERE u.id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from).transpose()
    }

    async fn credentials_by_email(&self, email: &Email) -> StoreResult<Option<(User, String)>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS}, u.password_hash FROM users u WHERE u.email = $1"
        ))
        .bind(email.as_str())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some((user_from(&row)?, row.try_get("password_hash")?))),
            None => Ok(None),
        }
    }

    async fn set_user_locale(&self, id: UserId, locale: Option<&str>) -> StoreResult<()> {
        sqlx::query("UPDATE users SET locale = $1 WHERE id = $2")
            .bind(locale)
            .bind(id.to_string())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn set_password(
        &self,
        id: UserId,
        password_hash: &str,
        keep_session: Option<&str>,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound("this user".into()));
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(id.to_string())
            .bind(keep_session.unwrap_or(""))
            .execute(&mut *tx)
            .await?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_workspace(
        &self,
        slug: &Slug,
        name: &str,
        admin: Option<UserId>,
        audit: AuditEvent,
    ) -> StoreResult<Workspace> {
        let workspace = Workspace {
            id: WorkspaceId::new(),
            slug: slug.clone(),
            name: name.to_owned(),
            created_at: Timestamp::now(),
        };
        let mut tx = self.write().await?;
        sqlx::query("INSERT INTO workspaces (id, slug, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(workspace.id.to_string())
            .bind(workspace.slug.as_str())
            .bind(&workspace.name)
            .bind(workspace.created_at.millis())
            .execute(&mut *tx)
            .await
            .map_err(|e| from_sqlx(e, Conflict::SlugTaken))?;
        if let Some(admin) = admin {
            insert_membership(&mut tx, workspace.id, admin, Role::Admin).await?;
        }
        let mut audit = audit;
        audit.workspace_id = Some(workspace.id);
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(workspace)
    }

    async fn workspace_by_slug(&self, slug: &Slug) -> StoreResult<Option<Workspace>> {
        let row = sqlx::query(&format!("SELECT {WORKSPACE_COLS} FROM workspaces w WHERE w.slug = $1"))
            .bind(slug.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(workspace_from).transpose()
    }

    async fn workspace_by_id(&self, id: WorkspaceId) -> StoreResult<Option<Workspace>> {
        let row = sqlx::query(&format!("SELECT {WORKSPACE_COLS} FROM workspaces w WHERE w.id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(workspace_from).transpose()
    }

    async fn rename_workspace(&self, id: WorkspaceId, name: &str, audit: AuditEvent) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query("UPDATE workspaces SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound("this workspace".into()));
        }
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn all_workspaces(&self) -> StoreResult<Vec<Workspace>> {
        let rows = sqlx::query(&format!("SELECT {WORKSPACE_COLS} FROM workspaces w ORDER BY w.name, w.slug"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(workspace_from).collect()
    }

    async fn workspaces_of(&self, user: UserId) -> StoreResult<Vec<(Workspace, Role)>> {
        let rows = sqlx::query(&format!(
            "SELECT {WORKSPACE_COLS}, m.role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
             WHERE m.user_id = $1 ORDER BY w.name, w.slug"
        ))
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((workspace_from(r)?, parse("role", r.try_get("role")?)?)))
            .collect()
    }

    async fn members(&self, workspace: WorkspaceId) -> StoreResult<Vec<Member>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLS}, m.role, m.created_at AS joined_at FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.workspace_id = $1 ORDER BY u.name, u.email"
        ))
        .bind(workspace.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Member {
                    user: user_from(r)?,
                    role: parse("role", r.try_get("role")?)?,
                    joined_at: Timestamp::from_millis(r.try_get("joined_at")?),
                })
            })
            .collect()
    }

    async fn role_of(&self, workspace: WorkspaceId, user: UserId) -> StoreResult<Option<Role>> {
        let role: Option<String> =
            sqlx::query_scalar("SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2")
                .bind(workspace.to_string())
                .bind(user.to_string())
                .fetch_optional(&self.pool)
                .await?;
        parse_opt("role", role)
    }

    async fn membership_by_slug(
        &self,
        slug: &Slug,
        user: UserId,
    ) -> StoreResult<Option<(Workspace, Role)>> {
        let row = sqlx::query(&format!(
            "SELECT {WORKSPACE_COLS}, m.role AS member_role FROM workspaces w
             JOIN memberships m ON m.workspace_id = w.id AND m.user_id = $2
             WHERE w.slug = $1"
        ))
        .bind(slug.as_str())
        .bind(user.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let role: String = row.try_get("member_role")?;
        Ok(Some((workspace_from(&row)?, parse("role", role)?)))
    }

    async fn add_member(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        role: Role,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        insert_membership(&mut tx, workspace, user, role).await?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn change_role(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        role: Role,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let current = locked_role(&mut tx, workspace, user).await?;
        if current == Role::Admin && role != Role::Admin && admin_count(&mut tx, workspace).await? <= 1 {
            return Err(StoreError::Conflict(Conflict::LastAdmin));
        }
        sqlx::query("UPDATE memberships SET role = $1 WHERE workspace_id = $2 AND user_id = $3")
            .bind(role.as_str())
            .bind(workspace.to_string())
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn remove_member(&self, workspace: WorkspaceId, user: UserId, audit: AuditEvent) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let current = locked_role(&mut tx, workspace, user).await?;
        if current == Role::Admin && admin_count(&mut tx, workspace).await? <= 1 {
            return Err(StoreError::Conflict(Conflict::LastAdmin));
        }
        sqlx::query("DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2")
            .bind(workspace.to_string())
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_invitation(&self, invitation: NewInvitation, audit: AuditEvent) -> StoreResult<Invitation> {
        let created = Invitation {
            id: InvitationId::new(),
            workspace_id: invitation.workspace_id,
            email: invitation.email,
            role: invitation.role,
            invited_by: invitation.invited_by,
            created_at: Timestamp::now(),
            expires_at: invitation.expires_at,
            accepted_at: None,
            revoked_at: None,
        };
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO invitations (id, workspace_id, email, role, token_hash, invited_by, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(created.id.to_string())
        .bind(created.workspace_id.to_string())
        .bind(created.email.as_str())
        .bind(created.role.as_str())
        .bind(&invitation.token_hash)
        .bind(created.invited_by.map(|u| u.to_string()))
        .bind(created.created_at.millis())
        .bind(created.expires_at.millis())
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn invitation_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<Invitation>> {
        let row = sqlx::query(&format!("SELECT {INVITATION_COLS} FROM invitations WHERE token_hash = $1"))
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(invitation_from).transpose()
    }

    async fn pending_invitations(&self, workspace: WorkspaceId, now: Timestamp) -> StoreResult<Vec<Invitation>> {
        let rows = sqlx::query(&format!(
            "SELECT {INVITATION_COLS} FROM invitations
             WHERE workspace_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2
             ORDER BY created_at DESC"
        ))
        .bind(workspace.to_string())
        .bind(now.millis())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(invitation_from).collect()
    }

    async fn accept_invitation(
        &self,
        invitation: InvitationId,
        who: Invitee,
        now: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<User> {
        let mut tx = self.write().await?;
        let row = sqlx::query(&format!("SELECT {INVITATION_COLS} FROM invitations WHERE id = $1"))
            .bind(invitation.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound("this invitation".into()))?;
        let inv = invitation_from(&row)?;
        if !inv.is_pending(now) {
            return Err(StoreError::Conflict(Conflict::InvitationNotPending));
        }
        let user = match who {
            Invitee::New(new_user) => insert_user(&mut tx, &new_user).await?,
            Invitee::Existing(id) => {
                let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users u WHERE u.id = $1"))
                    .bind(id.to_string())
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound("this user".into()))?;
                user_from(&row)?
            }
        };
        insert_membership(&mut tx, inv.workspace_id, user.id, inv.role).await?;
        // Guarded by `accepted_at IS NULL` so two tabs accepting at once cannot both succeed.
        let done = sqlx::query("UPDATE invitations SET accepted_at = $1 WHERE id = $2 AND accepted_at IS NULL")
            .bind(now.millis())
            .bind(inv.id.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(Conflict::InvitationNotPending));
        }
        let mut audit = audit;
        audit.workspace_id = Some(inv.workspace_id);
        if audit.actor.user_id.is_none() {
            audit.actor.user_id = Some(user.id);
            audit.actor.label = user.email.to_string();
        }
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn revoke_invitation(&self, workspace: WorkspaceId, invitation: InvitationId, audit: AuditEvent) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE invitations SET revoked_at = $1 WHERE id = $2 AND workspace_id = $3 AND accepted_at IS NULL AND revoked_at IS NULL",
        )
        .bind(Timestamp::now().millis())
        .bind(invitation.to_string())
        .bind(workspace.to_string())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("this pending invitation".into()));
        }
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_session(&self, session: NewSession) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $3)",
        )
        .bind(&session.token_hash)
        .bind(session.user_id.to_string())
        .bind(session.created_at.millis())
        .bind(session.expires_at.millis())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn session_user(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2"
        ))
        .bind(token_hash)
        .bind(now.millis())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from).transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn delete_other_sessions(&self, user: UserId, keep: Option<&str>) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user.to_string())
            .bind(keep.unwrap_or(""))
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }

    async fn purge_expired_sessions(&self, now: Timestamp) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now.millis())
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }

    async fn create_api_token(&self, token: NewApiToken, audit: AuditEvent) -> StoreResult<ApiToken> {
        let created = ApiToken {
            id: ApiTokenId::new(),
            workspace_id: token.workspace_id,
            name: token.name,
            role: token.role,
            created_by: token.created_by,
            created_at: Timestamp::now(),
            last_used_at: None,
            revoked_at: None,
        };
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, workspace_id, name, role, token_hash, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(created.id.to_string())
        .bind(created.workspace_id.to_string())
        .bind(&created.name)
        .bind(created.role.as_str())
        .bind(&token.token_hash)
        .bind(created.created_by.map(|u| u.to_string()))
        .bind(created.created_at.millis())
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn use_api_token(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<ApiToken>> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let token = token_from(&row)?;
        // Written at most once a minute per token: the figure is for people, not for billing.
        if token.last_used_at.is_none_or(|t| now.millis() - t.millis() > 60_000) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now.millis())
                .bind(token.id.to_string())
                .execute(&self.writer)
                .await?;
        }
        Ok(Some(token))
    }

    async fn api_tokens(&self, workspace: WorkspaceId) -> StoreResult<Vec<ApiToken>> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLS} FROM api_tokens WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC"
        ))
        .bind(workspace.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(token_from).collect()
    }

    async fn revoke_api_token(&self, workspace: WorkspaceId, token: ApiTokenId, audit: AuditEvent) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND workspace_id = $3 AND revoked_at IS NULL",
        )
        .bind(Timestamp::now().millis())
        .bind(token.to_string())
        .bind(workspace.to_string())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("this live token".into()));
        }
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_channel(&self, channel: NewChannel, audit: AuditEvent) -> StoreResult<Channel> {
        let now = Timestamp::now();
        let secrets = serde_json::to_string(&channel.secrets).map_err(|e| StoreError::Database(e.to_string()))?;
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO channels (id, workspace_id, network, name, settings, secrets, status, status_detail, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'active', NULL, $7, $8, $8)",
        )
        .bind(channel.id.to_string())
        .bind(channel.workspace_id.to_string())
        .bind(&channel.network)
        .bind(&channel.name)
        .bind(channel.settings.to_string())
        .bind(secrets)
        .bind(channel.created_by.map(|u| u.to_string()))
        .bind(now.millis())
        .execute(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, Conflict::ChannelNameTaken))?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(Channel {
            id: channel.id,
            workspace_id: channel.workspace_id,
            network: channel.network,
            name: channel.name,
            settings: channel.settings,
            secrets: channel.secrets,
            status: ChannelStatus::Active,
            status_detail: None,
            created_by: channel.created_by,
            created_at: now,
            updated_at: now,
        })
    }

    async fn channels(&self, workspace: WorkspaceId) -> StoreResult<Vec<Channel>> {
        let rows = sqlx::query(&format!("SELECT {CHANNEL_COLS} FROM channels WHERE workspace_id = $1 ORDER BY name"))
            .bind(workspace.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(channel_from).collect()
    }

    async fn channel(&self, workspace: WorkspaceId, id: ChannelId) -> StoreResult<Option<Channel>> {
        let row = sqlx::query(&format!("SELECT {CHANNEL_COLS} FROM channels WHERE workspace_id = $1 AND id = $2"))
            .bind(workspace.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(channel_from).transpose()
    }

    async fn channel_by_name(&self, workspace: WorkspaceId, name: &str) -> StoreResult<Option<Channel>> {
        let row = sqlx::query(&format!("SELECT {CHANNEL_COLS} FROM channels WHERE workspace_id = $1 AND name = $2"))
            .bind(workspace.to_string())
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(channel_from).transpose()
    }

    async fn update_channel_secrets(
        &self,
        workspace: WorkspaceId,
        id: ChannelId,
        secrets: &std::collections::BTreeMap<String, String>,
    ) -> StoreResult<()> {
        let secrets = serde_json::to_string(secrets).map_err(|e| StoreError::Database(e.to_string()))?;
        let done = sqlx::query(
            "UPDATE channels SET secrets = $1, status = 'active', status_detail = NULL, updated_at = $2 WHERE workspace_id = $3 AND id = $4",
        )
        .bind(secrets)
        .bind(Timestamp::now().millis())
        .bind(workspace.to_string())
        .bind(id.to_string())
        .execute(&self.writer)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("this channel".into()));
        }
        Ok(())
    }

    async fn set_channel_status(
        &self,
        workspace: WorkspaceId,
        id: ChannelId,
        status: ChannelStatus,
        detail: Option<&str>,
    ) -> StoreResult<()> {
        let done = sqlx::query("UPDATE channels SET status = $1, status_detail = $2, updated_at = $3 WHERE workspace_id = $4 AND id = $5")
            .bind(status.as_str())
            .bind(detail)
            .bind(Timestamp::now().millis())
            .bind(workspace.to_string())
            .bind(id.to_string())
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("this channel".into()));
        }
        Ok(())
    }

    async fn delete_channel(&self, workspace: WorkspaceId, id: ChannelId, audit: AuditEvent) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query("DELETE FROM channels WHERE workspace_id = $1 AND id = $2")
            .bind(workspace.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("this channel".into()));
        }
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_media(&self, media: NewMedia, audit: AuditEvent) -> StoreResult<Media> {
        use sha2::{Digest, Sha256};
        let sha256: String = Sha256::digest(&media.content).iter().map(|b| format!("{b:02x}")).collect();
        let created = Media {
            id: media.id,
            workspace_id: media.workspace_id,
            file_name: media.file_name,
            mime: media.mime,
            size: media.content.len() as u64,
            sha256,
            alt: media.alt,
            created_at: Timestamp::now(),
            has_thumbnail: media.thumbnail.is_some(),
        };
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO media (id, workspace_id, file_name, mime, size, sha256, alt, content, created_by, created_at, thumbnail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(created.id.to_string())
        .bind(created.workspace_id.to_string())
        .bind(&created.file_name)
        .bind(&created.mime)
        .bind(created.size as i64)
        .bind(&created.sha256)
        .bind(&created.alt)
        .bind(media.content)
        .bind(media.created_by.map(|u| u.to_string()))
        .bind(created.created_at.millis())
        .bind(media.thumbnail)
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn media(&self, workspace: WorkspaceId, id: MediaId) -> StoreResult<Option<(Media, Vec<u8>)>> {
        let row = sqlx::query(&format!("SELECT {MEDIA_COLS}, content FROM media WHERE workspace_id = $1 AND id = $2"))
            .bind(workspace.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some((media_from(&r)?, r.try_get::<Vec<u8>, _>("content")?))),
            None => Ok(None),
        }
    }

    async fn create_post(
        &self,
        post: NewPost,
        targets: Vec<NewTarget>,
        plan: Option<PublishPlan>,
        audit: AuditEvent,
    ) -> StoreResult<(Post, Vec<Target>)> {
        let mut tx = self.write().await?;
        let made = insert_post(&mut tx, post, targets, plan.as_ref()).await?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(made)
    }

    async fn post(&self, workspace: WorkspaceId, id: PostId) -> StoreResult<Option<Post>> {
        let row = sqlx::query(&format!("SELECT {POST_COLS} FROM posts WHERE workspace_id = $1 AND id = $2"))
            .bind(workspace.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(post_from).transpose()
    }

    async fn decide_post(
        &self,
        workspace: WorkspaceId,
        id: PostId,
        approved: Option<PublishPlan>,
        audit: AuditEvent,
    ) -> StoreResult<Post> {
        let mut tx = self.write().await?;
        let (status, target_status) = if approved.is_some() { ("scheduled", "queued") } else { ("cancelled", "cancelled") };
        let now = Timestamp::now().millis();
        let done = sqlx::query("UPDATE posts SET status = $1, updated_at = $2 WHERE workspace_id = $3 AND id = $4 AND status = 'pending_approval'")
            .bind(status)
            .bind(now)
            .bind(workspace.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound("this post waiting for approval".into()));
        }
        let targets: Vec<String> = sqlx::query_scalar("SELECT id FROM post_targets WHERE post_id = $1 AND status = 'waiting'")
            .bind(id.to_string())
            .fetch_all(&mut *tx)
            .await?;
        sqlx::query("UPDATE post_targets SET status = $1, updated_at = $2 WHERE post_id = $3 AND status = 'waiting'")
            .bind(target_status)
            .bind(now)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if let Some(plan) = &approved {
            for t in targets {
                let job = NewJob {
                    workspace_id: Some(workspace),
                    kind: plan.job_kind.clone(),
                    payload: serde_json::json!({ "workspace_id": workspace, "target_id": t }),
                    run_at: plan.run_at,
                    max_attempts: plan.max_attempts,
                };
                insert_job(&mut tx, JobId::new(), &job).await?;
            }
        }
        insert_audit(&mut tx, &audit).await?;
        let row = sqlx::query(&format!("SELECT {POST_COLS} FROM posts WHERE id = $1"))
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        post_from(&row)
    }

    async fn reschedule_post(&self, workspace: WorkspaceId, id: PostId, at: Timestamp, audit: AuditEvent) -> StoreResult<Post> {
        let mut tx = self.write().await?;
        let started: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM post_targets WHERE workspace_id = $1 AND post_id = $2 AND status NOT IN ('waiting', 'queued')",
        )
        .bind(workspace.to_string())
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let now = Timestamp::now().millis();
        let done = sqlx::query(
            "UPDATE posts SET scheduled_at = $1, updated_at = $2
             WHERE workspace_id = $3 AND id = $4 AND status IN ('scheduled', 'pending_approval', 'draft')",
        )
        .bind(at.millis())
        .bind(now)
        .bind(workspace.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        if started > 0 || done.rows_affected() != 1 {
            return Err(StoreError::NotFound("this post, not yet published,".into()));
        }
        let targets: Vec<String> = sqlx::query_scalar("SELECT id FROM post_targets WHERE post_id = $1")
            .bind(id.to_string())
            .fetch_all(&mut *tx)
            .await?;
        for t in targets {
            // Target ids are UUIDs: a payload holding one names that target and no other.
            sqlx::query("UPDATE jobs SET run_at = $1, updated_at = $2 WHERE status = 'queued' AND payload LIKE $3")
                .bind(at.millis())
                .bind(now)
                .bind(format!("%\"target_id\":\"{t}\"%"))
                .execute(&mut *tx)
                .await?;
        }
        insert_audit(&mut tx, &audit).await?;
        let row = sqlx::query(&format!("SELECT {POST_COLS} FROM posts WHERE id = $1"))
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        post_from(&row)
    }

    async fn posts(&self, workspace: WorkspaceId, limit: u32) -> StoreResult<Vec<Post>> {
        let rows = sqlx::query(&format!("SELECT {POST_COLS} FROM posts WHERE workspace_id = $1 ORDER BY id DESC LIMIT $2"))
            .bind(workspace.to_string())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(post_from).collect()
    }

    async fn targets_of(&self, workspace: WorkspaceId, post: PostId) -> StoreResult<Vec<Target>> {
        let rows = sqlx::query(&format!("SELECT {TARGET_COLS} FROM post_targets WHERE workspace_id = $1 AND post_id = $2 ORDER BY id"))
            .bind(workspace.to_string())
            .bind(post.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(target_from).collect()
    }

    async fn target(&self, workspace: WorkspaceId, id: TargetId) -> StoreResult<Option<Target>> {
        let row = sqlx::query(&format!("SELECT {TARGET_COLS} FROM post_targets WHERE workspace_id = $1 AND id = $2"))
            .bind(workspace.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(target_from).transpose()
    }

    async fn begin_target_part(&self, workspace: WorkspaceId, id: TargetId, part: u32) -> StoreResult<Target> {
        let mut tx = self.write().await?;
        let before = locked_target(&mut tx, workspace, id).await?;
        sqlx::query(
            "UPDATE post_targets SET status = 'publishing', in_flight_part = $1, attempts = attempts + 1, updated_at = $2
             WHERE id = $3 AND status IN ('queued', 'publishing')",
        )
        .bind(i64::from(part))
        .bind(Timestamp::now().millis())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(before)
    }

    async fn record_target_part(
        &self,
        workspace: WorkspaceId,
        id: TargetId,
        part: u32,
        published: PublishedRef,
        total_parts: u32,
        then: Option<NewJob>,
        finish: Option<&JobLease>,
    ) -> StoreResult<Target> {
        let mut tx = self.write().await?;
        let mut target = locked_target(&mut tx, workspace, id).await?;
        let was_published = target.status == TargetStatus::Published;
        if target.published.len() == part as usize {
            target.published.push(published);
        }
        let now = Timestamp::now();
        let done = target.published.len() >= total_parts as usize;
        if done
            && !was_published
            && let Some(job) = &then
        {
            insert_job(&mut tx, JobId::new(), job).await?;
        }
        if done {
            target.status = TargetStatus::Published;
            target.url = target.published.first().map(|p| p.url.clone());
            target.published_at = Some(now);
        }
        target.in_flight_part = None;
        sqlx::query(
            "UPDATE post_targets SET published = $1, in_flight_part = NULL, status = $2, url = $3, published_at = $4, last_error = NULL, updated_at = $5
             WHERE id = $6",
        )
        .bind(to_json(&target.published)?)
        .bind(target.status.as_str())
        .bind(&target.url)
        .bind(target.published_at.map(|t| t.millis()))
        .bind(now.millis())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        if done {
            settle_post(&mut tx, target.post_id).await?;
            if let Some(lease) = finish {
                mark_job_done(&mut tx, lease, now).await?;
            }
        }
        tx.commit().await?;
        Ok(target)
    }

    async fn record_metrics(&self, workspace: WorkspaceId, target: TargetId, sample: MetricsSample) -> StoreResult<()> {
        let n = |v: Option<u64>| v.map(|x| i64::try_from(x).unwrap_or(i64::MAX));
        sqlx::query(
            "INSERT INTO post_metrics (id, workspace_id, target_id, at, likes, reposts, replies, quotes, views)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(JobId::new().to_string())
        .bind(workspace.to_string())
        .bind(target.to_string())
        .bind(sample.at.millis())
        .bind(n(sample.likes))
        .bind(n(sample.reposts))
        .bind(n(sample.replies))
        .bind(n(sample.quotes))
        .bind(n(sample.views))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn metrics_of(&self, workspace: WorkspaceId, target: TargetId) -> StoreResult<Vec<MetricsSample>> {
        let rows = sqlx::query(
            "SELECT at, likes, reposts, replies, quotes, views FROM post_metrics WHERE workspace_id = $1 AND target_id = $2 ORDER BY at, id",
        )
        .bind(workspace.to_string())
        .bind(target.to_string())
        .fetch_all(&self.pool)
        .await?;
        let n = |r: &DbRow, k: &str| -> StoreResult<Option<u64>> {
            Ok(r.try_get::<Option<i64>, _>(k)?.map(|v| u64::try_from(v).unwrap_or(0)))
        };
        rows.iter()
            .map(|r| {
                Ok(MetricsSample {
                    at: Timestamp::from_millis(r.try_get("at")?),
                    likes: n(r, "likes")?,
                    reposts: n(r, "reposts")?,
                    replies: n(r, "replies")?,
                    quotes: n(r, "quotes")?,
                    views: n(r, "views")?,
                })
            })
            .collect()
    }

    async fn fail_target(&self, workspace: WorkspaceId, id: TargetId, error: &str, permanent: bool) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let target = locked_target(&mut tx, workspace, id).await?;
        let status = if permanent { TargetStatus::Failed } else { target.status };
        sqlx::query("UPDATE post_targets SET status = $1, last_error = $2, updated_at = $3 WHERE id = $4")
            .bind(status.as_str())
            .bind(error)
            .bind(Timestamp::now().millis())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if permanent {
            settle_post(&mut tx, target.post_id).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn record_audit(&self, audit: AuditEvent) -> StoreResult<()> {
        let mut tx = self.write().await?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_log(&self, workspace: Option<WorkspaceId>, before: Option<AuditId>, limit: u32) -> StoreResult<Vec<AuditRecord>> {
        // Ids are UUID v7 text: their order is their time order.
        let before = before.map(|b| b.to_string()).unwrap_or_else(|| "~".to_owned());
        let cols = "id, workspace_id, actor_user_id, actor_label, origin, action, target, details, at";
        let rows = match workspace {
            Some(w) => sqlx::query(&format!(
                "SELECT {cols} FROM audit_log WHERE workspace_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
            ))
            .bind(w.to_string())
            .bind(before)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?,
            None => sqlx::query(&format!(
                "SELECT {cols} FROM audit_log WHERE workspace_id IS NULL AND id < $1 ORDER BY id DESC LIMIT $2"
            ))
            .bind(before)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?,
        };
        rows.iter().map(audit_from).collect()
    }

    async fn setting_or_insert(&self, key: &str, value: &str) -> StoreResult<String> {
        sqlx::query("INSERT INTO instance_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(value)
            .execute(&self.writer)
            .await?;
        Ok(sqlx::query_scalar("SELECT value FROM instance_settings WHERE key = $1")
            .bind(key)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn enqueue_job(&self, job: NewJob) -> StoreResult<JobId> {
        let id = JobId::new();
        let mut tx = self.write().await?;
        insert_job(&mut tx, id, &job).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn claim_job(&self, worker: &str, now: Timestamp, lease_ms: i64) -> StoreResult<Option<Job>> {
        let row = sqlx::query(CLAIM_JOB_SQL)
            .bind(now.millis())
            .bind(worker)
            .bind(now.millis().saturating_add(lease_ms))
            .fetch_optional(&self.writer)
            .await?;
        row.as_ref().map(job_from).transpose()
    }

    async fn heartbeat_job(&self, id: JobId, worker: &str, lease_until: Timestamp) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE jobs SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 AND status = 'running'")
            .bind(lease_until.millis())
            .bind(id.to_string())
            .bind(worker)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn complete_job(&self, id: JobId, worker: &str, now: Timestamp) -> StoreResult<bool> {
        // One statement, outside a transaction: no BEGIN/COMMIT round trips on this hot path.
        let done = sqlx::query(MARK_JOB_DONE_SQL)
            .bind(now.millis())
            .bind(id.to_string())
            .bind(worker)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn fail_job(&self, id: JobId, worker: &str, error: &str, retry_at: Option<Timestamp>, now: Timestamp) -> StoreResult<bool> {
        let (status, run_at) = match retry_at {
            Some(t) => ("queued", Some(t.millis())),
            None => ("dead", None),
        };
        let done = sqlx::query(
            "UPDATE jobs SET status = $1, run_at = COALESCE($2, run_at), last_error = $3, lease_owner = NULL, lease_until = NULL, updated_at = $4
             WHERE id = $5 AND lease_owner = $6 AND status = 'running'",
        )
        .bind(status)
        .bind(run_at)
        .bind(error)
        .bind(now.millis())
        .bind(id.to_string())
        .bind(worker)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn job(&self, id: JobId) -> StoreResult<Option<Job>> {
        let row = sqlx::query(&format!("SELECT {JOB_COLS} FROM jobs WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(job_from).transpose()
    }

    async fn job_counts(&self) -> StoreResult<Vec<(String, u64)>> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status ORDER BY status")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<String, _>("status")?, r.try_get::<i64, _>("n")? as u64)))
            .collect()
    }

    async fn jobs_waiting(&self, kind: &str) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs WHERE kind = $1 AND status IN ('queued', 'running')",
        )
        .bind(kind)
        .fetch_one(&self.pool)
        .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn is_empty(&self) -> StoreResult<bool> {
        for table in TABLES {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", table.name))
                .fetch_one(&self.pool)
                .await?;
            if n > 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    async fn dump_table(&self, table: &TableSpec) -> StoreResult<Vec<Vec<Cell>>> {
        let rows = sqlx::query(&table.select_sql()).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                table
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, (_, kind))| {
                        Ok(match kind {
                            ColumnKind::Text => row.try_get::<Option<String>, _>(i)?.map_or(Cell::Null, Cell::Text),
                            ColumnKind::Int => row.try_get::<Option<i64>, _>(i)?.map_or(Cell::Null, Cell::Int),
                            ColumnKind::Bool => row.try_get::<Option<bool>, _>(i)?.map_or(Cell::Null, Cell::Bool),
                            ColumnKind::Bytes => row.try_get::<Option<Vec<u8>>, _>(i)?.map_or(Cell::Null, Cell::Bytes),
                        })
                    })
                    .collect()
            })
            .collect()
    }

    async fn load_rows(&self, table: &TableSpec, rows: Vec<Vec<Cell>>) -> StoreResult<()> {
        let sql = table.insert_sql();
        let mut tx = self.write().await?;
        for row in rows {
            let mut q = sqlx::query(&sql);
            for ((_, kind), cell) in table.columns.iter().zip(row) {
                q = match (kind, cell) {
                    (_, Cell::Text(s)) => q.bind(s),
                    (_, Cell::Int(n)) => q.bind(n),
                    (_, Cell::Bool(b)) => q.bind(b),
                    (_, Cell::Bytes(b)) => q.bind(b),
                    (ColumnKind::Bytes, Cell::Null) => q.bind(None::<Vec<u8>>),
                    (ColumnKind::Text, Cell::Null) => q.bind(None::<String>),
                    (ColumnKind::Int, Cell::Null) => q.bind(None::<i64>),
                    (ColumnKind::Bool, Cell::Null) => q.bind(None::<bool>),
                };
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        // Fresh statistics for the planner: a bulk copy otherwise leaves PostgreSQL guessing
        // until autovacuum comes by. The name is one of `TABLES`, never outside input.
        sqlx::query(&format!("ANALYZE {}", table.name))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn actual_columns(&self, table: &str) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(COLUMNS_SQL)
            .bind(table)
            .fetch_all(&self.pool)
            .await?)
    }
}
