// The audience capability's SQL, for both backends: `include!`d by `sqlite.rs` and
// `postgres.rs` after `sql_library.rs`, using the helpers of `sql_common.rs`.

use crate::audience::{AudienceStore, GoalKind, NewSite, Site, SiteGoal};

const SITE_COLS: &str = "id, workspace_id, domain, time_zone, created_at";
const GOAL_COLS: &str = "id, site_id, kind, value, created_at";

fn site_from(row: &DbRow) -> StoreResult<Site> {
    Ok(Site {
        id: parse("site id", row.try_get("id")?)?,
        workspace_id: parse("workspace id", row.try_get("workspace_id")?)?,
        domain: row.try_get("domain")?,
        time_zone: row.try_get("time_zone")?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
    })
}

fn goal_from(row: &DbRow) -> StoreResult<SiteGoal> {
    let kind: String = row.try_get("kind")?;
    Ok(SiteGoal {
        id: parse("goal id", row.try_get("id")?)?,
        site_id: parse("site id", row.try_get("site_id")?)?,
        kind: GoalKind::parse(&kind).ok_or_else(|| corrupt("goal kind", &kind))?,
        value: row.try_get("value")?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
    })
}

/// Whether a site belongs to a workspace, inside a transaction.
async fn site_in_workspace(tx: &mut Tx, workspace: WorkspaceId, site: SiteId) -> StoreResult<bool> {
    Ok(sqlx::query("SELECT id FROM sites WHERE workspace_id = $1 AND id = $2")
        .bind(workspace.to_string())
        .bind(site.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .is_some())
}

#[async_trait]
impl AudienceStore for SqlStore {
    async fn create_site(&self, site: NewSite, audit: AuditEvent) -> StoreResult<Site> {
        let now = Timestamp::now();
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO sites (id, workspace_id, domain, time_zone, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(site.id.to_string())
        .bind(site.workspace_id.to_string())
        .bind(&site.domain)
        .bind(&site.time_zone)
        .bind(site.created_by.map(|u| u.to_string()))
        .bind(now.millis())
        .execute(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, Conflict::SiteTaken))?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(Site {
            id: site.id,
            workspace_id: site.workspace_id,
            domain: site.domain,
            time_zone: site.time_zone,
            created_at: now,
        })
    }

    async fn sites(&self, workspace: WorkspaceId) -> StoreResult<Vec<Site>> {
        let rows = sqlx::query(&format!("SELECT {SITE_COLS} FROM sites WHERE workspace_id = $1 ORDER BY domain"))
            .bind(workspace.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(site_from).collect()
    }

    async fn site(&self, workspace: WorkspaceId, id: SiteId) -> StoreResult<Option<Site>> {
        let row = sqlx::query(&format!("SELECT {SITE_COLS} FROM sites WHERE workspace_id = $1 AND id = $2"))
            .bind(workspace.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(site_from).transpose()
    }

    async fn site_named(&self, workspace: WorkspaceId, domain: &str) -> StoreResult<Option<Site>> {
        let row = sqlx::query(&format!("SELECT {SITE_COLS} FROM sites WHERE workspace_id = $1 AND domain = $2"))
            .bind(workspace.to_string())
            .bind(domain)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(site_from).transpose()
    }

    async fn all_sites(&self) -> StoreResult<Vec<Site>> {
        let rows = sqlx::query(&format!("SELECT {SITE_COLS} FROM sites ORDER BY domain"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(site_from).collect()
    }

    async fn delete_site(&self, workspace: WorkspaceId, id: SiteId, audit: AuditEvent) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        // Children first: SQLite enforces ON DELETE CASCADE only with foreign keys on, and the
        // intent is clearer written out.
        for table in ["site_goals", "site_funnels"] {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE site_id IN (SELECT id FROM sites WHERE workspace_id = $1 AND id = $2)"
            ))
            .bind(workspace.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        }
        let gone = sqlx::query("DELETE FROM sites WHERE workspace_id = $1 AND id = $2")
            .bind(workspace.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn add_goal(
        &self,
        workspace: WorkspaceId,
        site: SiteId,
        kind: GoalKind,
        value: &str,
        audit: AuditEvent,
    ) -> StoreResult<Option<SiteGoal>> {
        let mut tx = self.write().await?;
        if !site_in_workspace(&mut tx, workspace, site).await? {
            return Ok(None);
        }
        let inserted = sqlx::query(
            "INSERT INTO site_goals (id, site_id, kind, value, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (site_id, kind, value) DO NOTHING",
        )
        .bind(GoalId::new().to_string())
        .bind(site.to_string())
        .bind(kind.as_str())
        .bind(value)
        .bind(Timestamp::now().millis())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted > 0 {
            insert_audit(&mut tx, &audit).await?;
        }
        let row = sqlx::query(&format!("SELECT {GOAL_COLS} FROM site_goals WHERE site_id = $1 AND kind = $2 AND value = $3"))
            .bind(site.to_string())
            .bind(kind.as_str())
            .bind(value)
            .fetch_one(&mut *tx)
            .await?;
        let goal = goal_from(&row)?;
        tx.commit().await?;
        Ok(Some(goal))
    }

    async fn goals(&self, workspace: WorkspaceId, site: SiteId) -> StoreResult<Vec<SiteGoal>> {
        let rows = sqlx::query(
            "SELECT g.id, g.site_id, g.kind, g.value, g.created_at FROM site_goals g JOIN sites s ON s.id = g.site_id
             WHERE s.workspace_id = $1 AND g.site_id = $2 ORDER BY g.created_at, g.id",
        )
        .bind(workspace.to_string())
        .bind(site.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(goal_from).collect()
    }

    async fn delete_goal(&self, workspace: WorkspaceId, site: SiteId, goal: GoalId, audit: AuditEvent) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        if !site_in_workspace(&mut tx, workspace, site).await? {
            return Ok(false);
        }
        let gone = sqlx::query("DELETE FROM site_goals WHERE site_id = $1 AND id = $2")
            .bind(site.to_string())
            .bind(goal.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn visitor_salt(&self, day: &str, fresh: &str) -> StoreResult<String> {
        let mut tx = self.write().await?;
        sqlx::query("INSERT INTO visitor_salts (day, salt, created_at) VALUES ($1, $2, $3) ON CONFLICT (day) DO NOTHING")
            .bind(day)
            .bind(fresh)
            .bind(Timestamp::now().millis())
            .execute(&mut *tx)
            .await?;
        let salt: String = sqlx::query("SELECT salt FROM visitor_salts WHERE day = $1")
            .bind(day)
            .fetch_one(&mut *tx)
            .await?
            .try_get("salt")?;
        tx.commit().await?;
        Ok(salt)
    }

    async fn forget_salts_before(&self, day: &str) -> StoreResult<u64> {
        let mut tx = self.write().await?;
        let gone = sqlx::query("DELETE FROM visitor_salts WHERE day < $1")
            .bind(day)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(gone)
    }
}
