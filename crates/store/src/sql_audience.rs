// The audience capability's SQL, for both backends: `include!`d by `sqlite.rs` and
// `postgres.rs` after `sql_library.rs`, using the helpers of `sql_common.rs`.

use crate::audience::{AudienceStore, CampaignCost, Funnel, GoalKind, Link, NewLink, NewSite, Site, SiteGoal};

const SITE_COLS: &str = "id, workspace_id, domain, time_zone, created_at";
const GOAL_COLS: &str = "id, site_id, kind, value, created_at";
const LINK_COLS: &str =
    "id, workspace_id, slug, target, title, campaign, expires_at, password_hash, post_id, created_at";

fn link_from(row: &DbRow) -> StoreResult<Link> {
    Ok(Link {
        id: parse("link id", row.try_get("id")?)?,
        workspace_id: parse("workspace id", row.try_get("workspace_id")?)?,
        slug: row.try_get("slug")?,
        target: row.try_get("target")?,
        title: row.try_get("title")?,
        campaign: row.try_get("campaign")?,
        expires_at: row.try_get::<Option<i64>, _>("expires_at")?.map(Timestamp::from_millis),
        password_hash: row.try_get("password_hash")?,
        post_id: parse_opt("post id", row.try_get("post_id")?)?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
    })
}

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

    async fn add_funnel(
        &self,
        workspace: WorkspaceId,
        site: SiteId,
        name: &str,
        steps: &[GoalId],
        audit: AuditEvent,
    ) -> StoreResult<Option<Funnel>> {
        let mut tx = self.write().await?;
        if !site_in_workspace(&mut tx, workspace, site).await? {
            return Ok(None);
        }
        let goals: Vec<String> = sqlx::query("SELECT id FROM site_goals WHERE site_id = $1")
            .bind(site.to_string())
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("id"))
            .collect::<Result<_, _>>()?;
        if steps.len() < 2 || steps.iter().any(|s| !goals.contains(&s.to_string())) {
            return Ok(None);
        }
        let funnel = Funnel {
            id: FunnelId::new(),
            site_id: site,
            name: name.to_owned(),
            steps: steps.to_vec(),
            created_at: Timestamp::now(),
        };
        sqlx::query("INSERT INTO site_funnels (id, site_id, name, steps, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(funnel.id.to_string())
            .bind(site.to_string())
            .bind(name)
            .bind(to_json(&funnel.steps)?)
            .bind(funnel.created_at.millis())
            .execute(&mut *tx)
            .await
            .map_err(|e| from_sqlx(e, Conflict::Other))?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(Some(funnel))
    }

    async fn funnels(&self, workspace: WorkspaceId, site: SiteId) -> StoreResult<Vec<Funnel>> {
        let rows = sqlx::query(
            "SELECT f.id, f.site_id, f.name, f.steps, f.created_at FROM site_funnels f JOIN sites s ON s.id = f.site_id
             WHERE s.workspace_id = $1 AND f.site_id = $2 ORDER BY f.name, f.id",
        )
        .bind(workspace.to_string())
        .bind(site.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let steps: String = r.try_get("steps")?;
                Ok(Funnel {
                    id: parse("funnel id", r.try_get("id")?)?,
                    site_id: parse("site id", r.try_get("site_id")?)?,
                    name: r.try_get("name")?,
                    steps: json_of("funnel steps", &steps)?,
                    created_at: Timestamp::from_millis(r.try_get("created_at")?),
                })
            })
            .collect()
    }

    async fn delete_funnel(&self, workspace: WorkspaceId, site: SiteId, funnel: FunnelId, audit: AuditEvent) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        if !site_in_workspace(&mut tx, workspace, site).await? {
            return Ok(false);
        }
        let gone = sqlx::query("DELETE FROM site_funnels WHERE site_id = $1 AND id = $2")
            .bind(site.to_string())
            .bind(funnel.to_string())
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

    async fn create_link(&self, link: NewLink, audit: AuditEvent) -> StoreResult<Link> {
        let now = Timestamp::now();
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO links (id, workspace_id, slug, target, title, campaign, expires_at, password_hash, post_id, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(link.id.to_string())
        .bind(link.workspace_id.to_string())
        .bind(&link.slug)
        .bind(&link.target)
        .bind(&link.title)
        .bind(&link.campaign)
        .bind(link.expires_at.map(|t| t.millis()))
        .bind(&link.password_hash)
        .bind(link.post_id.map(|p| p.to_string()))
        .bind(link.created_by.map(|u| u.to_string()))
        .bind(now.millis())
        .execute(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, Conflict::LinkSlugTaken))?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(Link {
            id: link.id,
            workspace_id: link.workspace_id,
            slug: link.slug,
            target: link.target,
            title: link.title,
            campaign: link.campaign,
            expires_at: link.expires_at,
            password_hash: link.password_hash,
            post_id: link.post_id,
            created_at: now,
        })
    }

    async fn links(&self, workspace: WorkspaceId) -> StoreResult<Vec<Link>> {
        let rows = sqlx::query(&format!("SELECT {LINK_COLS} FROM links WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC"))
            .bind(workspace.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(link_from).collect()
    }

    async fn link(&self, workspace: WorkspaceId, id: LinkId) -> StoreResult<Option<Link>> {
        let row = sqlx::query(&format!("SELECT {LINK_COLS} FROM links WHERE workspace_id = $1 AND id = $2"))
            .bind(workspace.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(link_from).transpose()
    }

    async fn link_by_slug(&self, slug: &str) -> StoreResult<Option<Link>> {
        let row = sqlx::query(&format!("SELECT {LINK_COLS} FROM links WHERE slug = $1"))
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(link_from).transpose()
    }

    async fn links_of_post(&self, workspace: WorkspaceId, post: PostId) -> StoreResult<Vec<Link>> {
        let rows = sqlx::query(&format!("SELECT {LINK_COLS} FROM links WHERE workspace_id = $1 AND post_id = $2 ORDER BY created_at, id"))
            .bind(workspace.to_string())
            .bind(post.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(link_from).collect()
    }

    async fn delete_link(&self, workspace: WorkspaceId, id: LinkId, audit: AuditEvent) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let gone = sqlx::query("DELETE FROM links WHERE workspace_id = $1 AND id = $2")
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

    async fn set_campaign_cost(
        &self,
        workspace: WorkspaceId,
        campaign: &str,
        cost: Option<(i64, String)>,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        match cost {
            Some((cents, currency)) => {
                sqlx::query(
                    "INSERT INTO campaign_costs (workspace_id, campaign, cost_cents, currency, updated_at) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (workspace_id, campaign) DO UPDATE SET cost_cents = excluded.cost_cents, currency = excluded.currency, updated_at = excluded.updated_at",
                )
                .bind(workspace.to_string())
                .bind(campaign)
                .bind(cents)
                .bind(&currency)
                .bind(Timestamp::now().millis())
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM campaign_costs WHERE workspace_id = $1 AND campaign = $2")
                    .bind(workspace.to_string())
                    .bind(campaign)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn campaign_costs(&self, workspace: WorkspaceId) -> StoreResult<Vec<CampaignCost>> {
        let rows = sqlx::query("SELECT campaign, cost_cents, currency FROM campaign_costs WHERE workspace_id = $1 ORDER BY campaign")
            .bind(workspace.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(CampaignCost {
                    campaign: r.try_get("campaign")?,
                    cost_cents: r.try_get("cost_cents")?,
                    currency: r.try_get("currency")?,
                })
            })
            .collect()
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
