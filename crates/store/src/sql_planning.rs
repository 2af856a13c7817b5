// The planning tables' SQL, for both backends: `include!`d by `sqlite.rs` and `postgres.rs`
// after `sql_common.rs`, whose helpers (`Tx`, `insert_post`, `insert_audit`, `parse`…) it uses.

use crate::planning::{
    PostToMake, Feed, FeedMode, FeedPoll, NewFeed, NewPostComment, OAuthAppRecord, OAuthConnection,
    PlanningStore, PostComment, QueueSlot,
};
use relais_core::{CommentId, FeedId, SlotId};

const OAUTH_APP_COLS: &str = "workspace_id, network, client_id, client_secret, updated_at";
const OAUTH_CONNECTION_COLS: &str =
    "state_hash, workspace_id, user_id, network, verifier, redirect_uri, accounts, created_at, expires_at";
const COMMENT_COLS: &str = "id, post_id, author_id, author_label, body, created_at";
const SLOT_COLS: &str = "id, channel_id, weekday, minute, time_zone";
const FEED_COLS: &str = "id, workspace_id, name, url, channel_ids, mode, etag, last_modified, last_polled_at, last_success_at, last_error, created_at";

fn oauth_app_from(row: &DbRow) -> StoreResult<OAuthAppRecord> {
    Ok(OAuthAppRecord {
        workspace_id: parse("workspace id", row.try_get("workspace_id")?)?,
        network: row.try_get("network")?,
        client_id: row.try_get("client_id")?,
        client_secret: row.try_get("client_secret")?,
        updated_at: Timestamp::from_millis(row.try_get("updated_at")?),
    })
}

fn oauth_connection_from(row: &DbRow) -> StoreResult<OAuthConnection> {
    Ok(OAuthConnection {
        state_hash: row.try_get("state_hash")?,
        workspace_id: parse("workspace id", row.try_get("workspace_id")?)?,
        user_id: parse("user id", row.try_get("user_id")?)?,
        network: row.try_get("network")?,
        verifier: row.try_get("verifier")?,
        redirect_uri: row.try_get("redirect_uri")?,
        accounts: row.try_get("accounts")?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
        expires_at: Timestamp::from_millis(row.try_get("expires_at")?),
    })
}

fn comment_from(row: &DbRow) -> StoreResult<PostComment> {
    Ok(PostComment {
        id: parse("comment id", row.try_get("id")?)?,
        post_id: parse("post id", row.try_get("post_id")?)?,
        author_id: parse_opt("user id", row.try_get("author_id")?)?,
        author_label: row.try_get("author_label")?,
        body: row.try_get("body")?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
    })
}

fn slot_from(row: &DbRow) -> StoreResult<QueueSlot> {
    let weekday: i64 = row.try_get("weekday")?;
    let minute: i64 = row.try_get("minute")?;
    Ok(QueueSlot {
        id: parse("slot id", row.try_get("id")?)?,
        channel_id: parse("channel id", row.try_get("channel_id")?)?,
        weekday: u8::try_from(weekday).map_err(|_| corrupt("weekday", &weekday.to_string()))?,
        minute: u16::try_from(minute).map_err(|_| corrupt("minute", &minute.to_string()))?,
        time_zone: row.try_get("time_zone")?,
    })
}

fn feed_from(row: &DbRow) -> StoreResult<Feed> {
    let mode: String = row.try_get("mode")?;
    let channels: String = row.try_get("channel_ids")?;
    Ok(Feed {
        id: parse("feed id", row.try_get("id")?)?,
        workspace_id: parse("workspace id", row.try_get("workspace_id")?)?,
        name: row.try_get("name")?,
        url: row.try_get("url")?,
        channel_ids: json_of("feed channels", &channels)?,
        mode: FeedMode::parse(&mode).ok_or_else(|| corrupt("feed mode", &mode))?,
        etag: row.try_get("etag")?,
        last_modified: row.try_get("last_modified")?,
        last_polled_at: row.try_get::<Option<i64>, _>("last_polled_at")?.map(Timestamp::from_millis),
        last_success_at: row.try_get::<Option<i64>, _>("last_success_at")?.map(Timestamp::from_millis),
        last_error: row.try_get("last_error")?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
    })
}

#[async_trait]
impl PlanningStore for SqlStore {
    async fn save_oauth_app(
        &self,
        workspace: WorkspaceId,
        network: &str,
        client_id: &str,
        client_secret: Option<&str>,
        by: Option<UserId>,
        audit: AuditEvent,
    ) -> StoreResult<OAuthAppRecord> {
        let now = Timestamp::now();
        let mut tx = self.write().await?;
        // COALESCE keeps the stored secret when none is given.
        sqlx::query(
            "INSERT INTO oauth_apps (workspace_id, network, client_id, client_secret, updated_by, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (workspace_id, network) DO UPDATE SET client_id = excluded.client_id,
               client_secret = COALESCE(excluded.client_secret, oauth_apps.client_secret),
               updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(workspace.to_string())
        .bind(network)
        .bind(client_id)
        .bind(client_secret)
        .bind(by.map(|u| u.to_string()))
        .bind(now.millis())
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(&format!("SELECT {OAUTH_APP_COLS} FROM oauth_apps WHERE workspace_id = $1 AND network = $2"))
            .bind(workspace.to_string())
            .bind(network)
            .fetch_one(&mut *tx)
            .await?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        oauth_app_from(&row)
    }

    async fn oauth_apps(&self, workspace: WorkspaceId) -> StoreResult<Vec<OAuthAppRecord>> {
        let rows = sqlx::query(&format!("SELECT {OAUTH_APP_COLS} FROM oauth_apps WHERE workspace_id = $1 ORDER BY network"))
            .bind(workspace.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(oauth_app_from).collect()
    }

    async fn oauth_app(&self, workspace: WorkspaceId, network: &str) -> StoreResult<Option<OAuthAppRecord>> {
        let row = sqlx::query(&format!("SELECT {OAUTH_APP_COLS} FROM oauth_apps WHERE workspace_id = $1 AND network = $2"))
            .bind(workspace.to_string())
            .bind(network)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(oauth_app_from).transpose()
    }

    async fn delete_oauth_app(&self, workspace: WorkspaceId, network: &str, audit: AuditEvent) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query("DELETE FROM oauth_apps WHERE workspace_id = $1 AND network = $2")
            .bind(workspace.to_string())
            .bind(network)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("this network's app".into()));
        }
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn start_oauth_connection(&self, c: OAuthConnection) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM oauth_connections WHERE expires_at <= $1")
            .bind(c.created_at.millis())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO oauth_connections (state_hash, workspace_id, user_id, network, verifier, redirect_uri, accounts, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&c.state_hash)
        .bind(c.workspace_id.to_string())
        .bind(c.user_id.to_string())
        .bind(&c.network)
        .bind(&c.verifier)
        .bind(&c.redirect_uri)
        .bind(&c.accounts)
        .bind(c.created_at.millis())
        .bind(c.expires_at.millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn oauth_connection(&self, state_hash: &str, now: Timestamp) -> StoreResult<Option<OAuthConnection>> {
        let row = sqlx::query(&format!("SELECT {OAUTH_CONNECTION_COLS} FROM oauth_connections WHERE state_hash = $1 AND expires_at > $2"))
            .bind(state_hash)
            .bind(now.millis())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(oauth_connection_from).transpose()
    }

    async fn set_oauth_accounts(&self, state_hash: &str, sealed_accounts: &str) -> StoreResult<()> {
        let done = sqlx::query("UPDATE oauth_connections SET accounts = $1 WHERE state_hash = $2")
            .bind(sealed_accounts)
            .bind(state_hash)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("this connection".into()));
        }
        Ok(())
    }

    async fn end_oauth_connection(&self, state_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM oauth_connections WHERE state_hash = $1")
            .bind(state_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn add_post_comment(&self, c: NewPostComment, audit: AuditEvent) -> StoreResult<PostComment> {
        let now = Timestamp::now();
        let id = CommentId::new();
        let mut tx = self.write().await?;
        // Through the post, so that a post of another workspace cannot be commented on.
        let done = sqlx::query(
            "INSERT INTO post_comments (id, workspace_id, post_id, author_id, author_label, body, created_at)
             SELECT $1, workspace_id, id, $2, $3, $4, $5 FROM posts WHERE workspace_id = $6 AND id = $7",
        )
        .bind(id.to_string())
        .bind(c.author_id.map(|u| u.to_string()))
        .bind(&c.author_label)
        .bind(&c.body)
        .bind(now.millis())
        .bind(c.workspace_id.to_string())
        .bind(c.post_id.to_string())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("this post".into()));
        }
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(PostComment {
            id,
            post_id: c.post_id,
            author_id: c.author_id,
            author_label: c.author_label,
            body: c.body,
            created_at: now,
        })
    }

    async fn post_comments(&self, workspace: WorkspaceId, post: PostId) -> StoreResult<Vec<PostComment>> {
        let rows = sqlx::query(&format!("SELECT {COMMENT_COLS} FROM post_comments WHERE workspace_id = $1 AND post_id = $2 ORDER BY created_at, id"))
            .bind(workspace.to_string())
            .bind(post.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(comment_from).collect()
    }

    async fn set_queue_slots(
        &self,
        workspace: WorkspaceId,
        channel: ChannelId,
        slots: &[(u8, u16)],
        time_zone: &str,
        audit: AuditEvent,
    ) -> StoreResult<Vec<QueueSlot>> {
        let mut tx = self.write().await?;
        let owned = sqlx::query("SELECT id FROM channels WHERE workspace_id = $1 AND id = $2")
            .bind(workspace.to_string())
            .bind(channel.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        if owned.is_none() {
            return Err(StoreError::NotFound("this channel".into()));
        }
        sqlx::query("DELETE FROM queue_slots WHERE channel_id = $1")
            .bind(channel.to_string())
            .execute(&mut *tx)
            .await?;
        let mut sorted: Vec<(u8, u16)> = slots.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut made = Vec::new();
        for (weekday, minute) in sorted {
            let id = SlotId::new();
            sqlx::query(
                "INSERT INTO queue_slots (id, workspace_id, channel_id, weekday, minute, time_zone) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id.to_string())
            .bind(workspace.to_string())
            .bind(channel.to_string())
            .bind(i64::from(weekday))
            .bind(i64::from(minute))
            .bind(time_zone)
            .execute(&mut *tx)
            .await?;
            made.push(QueueSlot { id, channel_id: channel, weekday, minute, time_zone: time_zone.to_owned() });
        }
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(made)
    }

    async fn queue_slots(&self, workspace: WorkspaceId, channel: ChannelId) -> StoreResult<Vec<QueueSlot>> {
        let rows = sqlx::query(&format!("SELECT {SLOT_COLS} FROM queue_slots WHERE workspace_id = $1 AND channel_id = $2 ORDER BY weekday, minute"))
            .bind(workspace.to_string())
            .bind(channel.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(slot_from).collect()
    }

    async fn planned_times(&self, workspace: WorkspaceId, channel: ChannelId, from: Timestamp, to: Timestamp) -> StoreResult<Vec<Timestamp>> {
        let rows = sqlx::query(
            "SELECT DISTINCT p.scheduled_at FROM posts p JOIN post_targets t ON t.post_id = p.id
             WHERE t.workspace_id = $1 AND t.channel_id = $2 AND t.status NOT IN ('cancelled', 'failed')
               AND p.scheduled_at >= $3 AND p.scheduled_at < $4 ORDER BY p.scheduled_at",
        )
        .bind(workspace.to_string())
        .bind(channel.to_string())
        .bind(from.millis())
        .bind(to.millis())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(Timestamp::from_millis(r.try_get::<i64, _>("scheduled_at")?)))
            .collect()
    }

    async fn create_feed(&self, feed: NewFeed, audit: AuditEvent) -> StoreResult<Feed> {
        let now = Timestamp::now();
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO feeds (id, workspace_id, name, url, channel_ids, mode, etag, last_modified, last_polled_at, last_error, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, NULL, NULL, $7, $8)",
        )
        .bind(feed.id.to_string())
        .bind(feed.workspace_id.to_string())
        .bind(&feed.name)
        .bind(&feed.url)
        .bind(to_json(&feed.channel_ids)?)
        .bind(feed.mode.as_str())
        .bind(feed.created_by.map(|u| u.to_string()))
        .bind(now.millis())
        .execute(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, Conflict::FeedTaken))?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(Feed {
            id: feed.id,
            workspace_id: feed.workspace_id,
            name: feed.name,
            url: feed.url,
            channel_ids: feed.channel_ids,
            mode: feed.mode,
            etag: None,
            last_modified: None,
            last_polled_at: None,
            last_success_at: None,
            last_error: None,
            created_at: now,
        })
    }

    async fn feeds(&self, workspace: WorkspaceId) -> StoreResult<Vec<Feed>> {
        let rows = sqlx::query(&format!("SELECT {FEED_COLS} FROM feeds WHERE workspace_id = $1 ORDER BY name, id"))
            .bind(workspace.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(feed_from).collect()
    }

    async fn feed(&self, workspace: WorkspaceId, id: FeedId) -> StoreResult<Option<Feed>> {
        let row = sqlx::query(&format!("SELECT {FEED_COLS} FROM feeds WHERE workspace_id = $1 AND id = $2"))
            .bind(workspace.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(feed_from).transpose()
    }

    async fn delete_feed(&self, workspace: WorkspaceId, id: FeedId, audit: AuditEvent) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query("DELETE FROM feeds WHERE workspace_id = $1 AND id = $2")
            .bind(workspace.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("this feed".into()));
        }
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_feed_poll(&self, workspace: WorkspaceId, id: FeedId, poll: FeedPoll, at: Timestamp) -> StoreResult<()> {
        // A failed poll keeps the validators of the last good one.
        sqlx::query(
            "UPDATE feeds SET etag = CASE WHEN $1 IS NULL THEN $2 ELSE etag END,
               last_modified = CASE WHEN $1 IS NULL THEN $3 ELSE last_modified END,
               last_success_at = CASE WHEN $1 IS NULL THEN $4 ELSE last_success_at END,
               last_error = $1, last_polled_at = $4 WHERE workspace_id = $5 AND id = $6",
        )
        .bind(&poll.error)
        .bind(&poll.etag)
        .bind(&poll.last_modified)
        .bind(at.millis())
        .bind(workspace.to_string())
        .bind(id.to_string())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn create_posts(&self, posts: Vec<PostToMake>) -> StoreResult<Vec<(Post, Vec<Target>)>> {
        let mut tx = self.write().await?;
        let mut made = Vec::with_capacity(posts.len());
        for p in posts {
            made.push(insert_post(&mut tx, p.post, p.targets, p.plan.as_ref()).await?);
            insert_audit(&mut tx, &p.audit).await?;
        }
        tx.commit().await?;
        Ok(made)
    }

    async fn take_feed_entry(&self, workspace: WorkspaceId, feed: FeedId, entry_key: &str, post: Option<PostToMake>) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        // The entry first: a second taker (another worker, on PostgreSQL) waits here for the
        // first's commit, then inserts nothing and makes nothing.
        let fresh = sqlx::query(
            "INSERT INTO feed_entries (feed_id, entry_key, workspace_id, post_id, seen_at) VALUES ($1, $2, $3, NULL, $4)
             ON CONFLICT (feed_id, entry_key) DO NOTHING",
        )
        .bind(feed.to_string())
        .bind(entry_key)
        .bind(workspace.to_string())
        .bind(Timestamp::now().millis())
        .execute(&mut *tx)
        .await?;
        if fresh.rows_affected() == 0 {
            return Ok(false);
        }
        if let Some(entry) = post {
            let post_id = entry.post.id.to_string();
            insert_post(&mut tx, entry.post, entry.targets, entry.plan.as_ref()).await?;
            insert_audit(&mut tx, &entry.audit).await?;
            sqlx::query("UPDATE feed_entries SET post_id = $1 WHERE feed_id = $2 AND entry_key = $3")
                .bind(post_id)
                .bind(feed.to_string())
                .bind(entry_key)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
