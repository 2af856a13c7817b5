// The media library's SQL, for both backends: `include!`d by `sqlite.rs` and `postgres.rs`
// after `sql_planning.rs`, using the helpers of `sql_common.rs` (`MEDIA_COLS`, `media_from`,
// `insert_audit`…).

use crate::library::{LibraryStore, MediaDeletion};

/// `FROM posts … WHERE …` the posts of workspace `ws` (a placeholder) that use the media whose
/// LIKE pattern is `pattern`: those not yet gone (published and cancelled posts hold nothing),
/// through their parts or a channel's variant. Parts are JSON text where a media appears as
/// `"id":"<uuid>"`; matching the bare uuid does not depend on how the JSON is spaced, and a
/// uuid does not appear by chance (a post quoting one only keeps the media: the safe side).
fn media_users_sql(ws: &str, pattern: &str) -> String {
    format!(
        "FROM posts p WHERE p.workspace_id = {ws}
           AND p.status IN ('draft', 'pending_approval', 'scheduled', 'failed')
           AND (p.parts LIKE {pattern}
                OR EXISTS (SELECT 1 FROM post_targets t WHERE t.post_id = p.id AND t.parts LIKE {pattern}))"
    )
}

/// The LIKE pattern finding `id` anywhere in a text. A hyphenated uuid is only hex digits and
/// `-`, none of which LIKE treats specially, so it needs no escaping.
fn media_pattern(id: MediaId) -> String {
    let id = id.to_string();
    debug_assert!(id.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
    format!("%{id}%")
}

#[async_trait]
impl LibraryStore for SqlStore {
    async fn media_list(&self, workspace: WorkspaceId, limit: u32) -> StoreResult<Vec<Media>> {
        // Ids are UUID v7: they break ties between media made in the same millisecond.
        let rows = sqlx::query(&format!(
            "SELECT {MEDIA_COLS} FROM media WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
        ))
        .bind(workspace.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(media_from).collect()
    }

    async fn media_infos(&self, workspace: WorkspaceId, ids: &[MediaId]) -> StoreResult<Vec<Media>> {
        let mut wanted: Vec<String> = ids.iter().map(ToString::to_string).collect();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(Vec::new()); // `IN ()` is not SQL
        }
        let params: Vec<String> = (2..wanted.len() + 2).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT {MEDIA_COLS} FROM media WHERE workspace_id = $1 AND id IN ({})", params.join(", "));
        let mut query = sqlx::query(&sql).bind(workspace.to_string());
        for id in wanted {
            query = query.bind(id);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let found: std::collections::HashMap<MediaId, Media> =
            rows.iter().map(|r| media_from(r).map(|m| (m.id, m))).collect::<StoreResult<_>>()?;
        Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
    }

    async fn set_media_alt(&self, workspace: WorkspaceId, id: MediaId, alt: Option<String>, audit: AuditEvent) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        // IS DISTINCT FROM (NULL-safe): an unchanged text updates no row, hence no audit line.
        let changed = sqlx::query("UPDATE media SET alt = $1 WHERE workspace_id = $2 AND id = $3 AND alt IS DISTINCT FROM $1")
            .bind(&alt)
            .bind(workspace.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            let exists = sqlx::query("SELECT id FROM media WHERE workspace_id = $1 AND id = $2")
                .bind(workspace.to_string())
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            return Ok(exists.is_some());
        }
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn delete_media(&self, workspace: WorkspaceId, id: MediaId, audit: AuditEvent) -> StoreResult<MediaDeletion> {
        let mut tx = self.write().await?;
        let pattern = media_pattern(id);
        // Twice at most: on PostgreSQL, the post that kept the media may be gone by the time
        // they are counted (SQLite's single writer rules that out).
        for _ in 0..2 {
            let deleted = sqlx::query(&format!(
                "DELETE FROM media WHERE workspace_id = $1 AND id = $2 AND NOT EXISTS (SELECT 1 {})",
                media_users_sql("$1", "$3")
            ))
            .bind(workspace.to_string())
            .bind(id.to_string())
            .bind(&pattern)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if deleted > 0 {
                insert_audit(&mut tx, &audit).await?;
                tx.commit().await?;
                return Ok(MediaDeletion::Deleted);
            }
            let exists = sqlx::query("SELECT id FROM media WHERE workspace_id = $1 AND id = $2")
                .bind(workspace.to_string())
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Ok(MediaDeletion::NotFound);
            }
            let posts: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {}", media_users_sql("$1", "$2")))
                .bind(workspace.to_string())
                .bind(&pattern)
                .fetch_one(&mut *tx)
                .await?;
            if posts > 0 {
                return Ok(MediaDeletion::InUse { posts: u64::try_from(posts).unwrap_or(0) });
            }
        }
        Ok(MediaDeletion::InUse { posts: 0 })
    }

    async fn media_thumbnail(&self, workspace: WorkspaceId, id: MediaId) -> StoreResult<Option<Vec<u8>>> {
        let thumbnail: Option<Option<Vec<u8>>> =
            sqlx::query_scalar("SELECT thumbnail FROM media WHERE workspace_id = $1 AND id = $2")
                .bind(workspace.to_string())
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        Ok(thumbnail.flatten())
    }
}
