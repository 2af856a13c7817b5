// The team inbox's SQL, for both backends: `include!`d by `sqlite.rs` and `postgres.rs` after
// `sql_listening.rs`, whose helpers it shares (`DynSql`, `listening_row_in_workspace`,
// `listening_row(s)`, `insert_audited`, `contains_pattern`, `opt_time`, `count_of`…).
//
// The inbox list reads one row per conversation: every message keeps its conversation's
// counters, preview and response clock up to date as it is written, so that listing never
// aggregates messages. A page is one indexed walk in (last_message_at, id) order (of the
// conversations, or of one tag's copies of them), joined to its channel, assignee and contact
// for its own rows only, plus one query for the page's tags. Every change a conversation's
// page shows moves its `updated_at`, which live pages poll.

use crate::inbox::{
    AssigneeFilter, CannedReply, Contact, ContactAccount, Conversation, ConversationFilter,
    ConversationStatus, DeliveryState, InboxChannelState, InboxColumn, InboxMessage, InboxSettings,
    InboxStore, InboxVersion, Ingested, MessageKind, ModerationRuleRow, NetworkState, NewCannedReply,
    NewContactAccount, NewInboxColumn, NewInboxMessage, NewModerationRule, NewReply, Note,
    Presence, Review, ReviewStatus, SlaSample,
};
use relais_core::{
    CannedReplyId, ContactId, ConversationId, InboxColumnId, InboxMessageId, ModerationRuleId,
    ReviewId,
};

/// A conversation as lists show it, read from `c` (the page's rows) and its joins. The
/// contact's handle is its account on the conversation's network (a merged contact has
/// several), else its latest seen (SQLite takes outer columns in a subquery's `WHERE`, not in
/// its `ORDER BY`).
const CONVERSATION_COLS: &str = "c.id, c.workspace_id, c.channel_id, ch.network AS network, ch.name AS channel_name,
    c.thread_key, c.kind, c.status, c.assignee_id, u.name AS assignee_name, c.snoozed_until, c.contact_id,
    k.name AS contact_name,
    COALESCE(
        (SELECT ca.handle FROM contact_accounts ca WHERE ca.contact_id = c.contact_id AND ca.network = ch.network
            ORDER BY ca.last_seen_at DESC, ca.author_id LIMIT 1),
        (SELECT ca.handle FROM contact_accounts ca WHERE ca.contact_id = c.contact_id
            ORDER BY ca.last_seen_at DESC, ca.author_id LIMIT 1)) AS contact_handle,
    c.preview, c.message_count, c.last_message_at, c.awaiting_since, c.first_inbound_at, c.first_response_at,
    c.closed_at, c.problem, c.created_at";
/// The joins of [`CONVERSATION_COLS`], after `FROM (…) c`.
const CONVERSATION_JOINS: &str = "LEFT JOIN channels ch ON ch.id = c.channel_id
    LEFT JOIN users u ON u.id = c.assignee_id
    LEFT JOIN contacts k ON k.id = c.contact_id";
const MESSAGE_COLS: &str = "m.id, m.workspace_id, m.conversation_id, m.channel_id, m.network_id, m.direction, m.kind,
    m.contact_id, m.author_id, m.author_handle, m.author_name, m.text, m.lang, m.url, m.version, m.parent_id,
    m.root_id, m.root_version, m.sent_at, m.received_at, m.sender_id, m.delivery, m.delivery_error, m.approved_by,
    m.toxicity_milli, m.moderation, m.network_state";
const CONTACT_COLS: &str = "k.id, k.workspace_id, k.name, k.note, k.created_at,
    (SELECT COUNT(*) FROM conversations cv WHERE cv.contact_id = k.id) AS conversation_count";
const CONTACT_ACCOUNT_COLS: &str = "contact_id, network, author_id, handle, display_name, avatar_url, profile_url, followers,
    account_created_at, first_seen_at, last_seen_at";
const CANNED_REPLY_COLS: &str = "id, workspace_id, name, lang, body, updated_at";
const INBOX_COLUMN_COLS: &str = "id, workspace_id, user_id, name, filter, position";
const MODERATION_RULE_COLS: &str = "id, workspace_id, name, rule, enabled, position, updated_at";
/// A review with its message (`m`).
const REVIEW_COLS: &str = "r.id AS r_id, r.workspace_id AS r_workspace_id, r.reasons, r.status AS r_status,
    r.created_at AS r_created_at, r.decided_by, r.decided_at";
/// About one line of a list: what a conversation's preview keeps of its newest message.
const PREVIEW_CHARS: usize = 200;

/// Moves the `updated_at` of conversation `$1` to `$2` (now).
const TOUCH_CONVERSATION: &str = "UPDATE conversations SET updated_at = $2 WHERE id = $1";
/// [`TOUCH_CONVERSATION`] for the conversation of message `$1`.
const TOUCH_CONVERSATION_OF_MESSAGE: &str = "UPDATE conversations SET updated_at = $2
    WHERE id = (SELECT conversation_id FROM inbox_messages WHERE id = $1)";
/// [`TOUCH_CONVERSATION`] for the conversations of contact `$1` (they show its name).
const TOUCH_CONVERSATIONS_OF_CONTACT: &str =
    "UPDATE conversations SET updated_at = $2 WHERE contact_id = $1";
/// Copies conversation `$1`'s order, status and snooze columns onto its tags, after a change of
/// any of them (see `conversations_sql`).
const SYNC_CONVERSATION_TAGS: &str = "UPDATE conversation_tags SET (last_message_at, status, snoozed_until) =
    (SELECT last_message_at, status, snoozed_until FROM conversations WHERE id = $1)
    WHERE conversation_id = $1";

/// A text column holding one of `T`'s stored texts.
fn stored_enum<T>(
    row: &DbRow,
    column: &str,
    what: &str,
    read: fn(&str) -> Option<T>,
) -> StoreResult<T> {
    let text: String = row.try_get(column)?;
    read(&text).ok_or_else(|| corrupt(what, &text))
}

fn opt_json(row: &DbRow, column: &str, what: &str) -> StoreResult<Option<serde_json::Value>> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|t| json_of(what, &t)).transpose()
}

fn opt_u32_of(row: &DbRow, column: &str) -> StoreResult<Option<u32>> {
    Ok(row
        .try_get::<Option<i64>, _>(column)?
        .map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
}

/// The start of `text` a list shows: at most [`PREVIEW_CHARS`] characters (never half of one),
/// with `…` when cut.
fn preview_of(text: &str) -> String {
    match text.char_indices().nth(PREVIEW_CHARS) {
        None => text.to_owned(),
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
    }
}

/// A conversation without its tags (see `add_conversation_tags`).
fn conversation_from(row: &DbRow) -> StoreResult<Conversation> {
    Ok(Conversation {
        id: parse("conversation id", row.try_get("id")?)?,
        workspace_id: parse("workspace id", row.try_get("workspace_id")?)?,
        channel_id: parse_opt("channel id", row.try_get("channel_id")?)?,
        network: row.try_get("network")?,
        channel_name: row.try_get("channel_name")?,
        thread_key: row.try_get("thread_key")?,
        kind: stored_enum(row, "kind", "message kind", MessageKind::parse)?,
        status: stored_enum(row, "status", "conversation status", ConversationStatus::parse)?,
        assignee_id: parse_opt("user id", row.try_get("assignee_id")?)?,
        assignee_name: row.try_get("assignee_name")?,
        snoozed_until: opt_time(row, "snoozed_until")?,
        contact_id: parse_opt("contact id", row.try_get("contact_id")?)?,
        contact_name: row.try_get("contact_name")?,
        contact_handle: row.try_get("contact_handle")?,
        preview: row.try_get("preview")?,
        message_count: count_of(row, "message_count")?,
        last_message_at: Timestamp::from_millis(row.try_get("last_message_at")?),
        awaiting_since: opt_time(row, "awaiting_since")?,
        first_inbound_at: opt_time(row, "first_inbound_at")?,
        first_response_at: opt_time(row, "first_response_at")?,
        closed_at: opt_time(row, "closed_at")?,
        problem: row.try_get("problem")?,
        tags: Vec::new(),
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
    })
}

fn inbox_message_from(row: &DbRow) -> StoreResult<InboxMessage> {
    let direction: String = row.try_get("direction")?;
    Ok(InboxMessage {
        id: parse("message id", row.try_get("id")?)?,
        workspace_id: parse("workspace id", row.try_get("workspace_id")?)?,
        conversation_id: parse("conversation id", row.try_get("conversation_id")?)?,
        channel_id: parse_opt("channel id", row.try_get("channel_id")?)?,
        network_id: row.try_get("network_id")?,
        outgoing: match direction.as_str() {
            "out" => true,
            "in" => false,
            _ => return Err(corrupt("message direction", &direction)),
        },
        kind: stored_enum(row, "kind", "message kind", MessageKind::parse)?,
        contact_id: parse_opt("contact id", row.try_get("contact_id")?)?,
        author_id: row.try_get("author_id")?,
        author_handle: row.try_get("author_handle")?,
        author_name: row.try_get("author_name")?,
        text: row.try_get("text")?,
        lang: row.try_get("lang")?,
        url: row.try_get("url")?,
        version: row.try_get("version")?,
        parent_id: row.try_get("parent_id")?,
        root_id: row.try_get("root_id")?,
        root_version: row.try_get("root_version")?,
        sent_at: Timestamp::from_millis(row.try_get("sent_at")?),
        received_at: Timestamp::from_millis(row.try_get("received_at")?),
        sender_id: parse_opt("user id", row.try_get("sender_id")?)?,
        delivery: stored_enum(row, "delivery", "delivery state", DeliveryState::parse)?,
        delivery_error: row.try_get("delivery_error")?,
        approved_by: parse_opt("user id", row.try_get("approved_by")?)?,
        toxicity_milli: row.try_get("toxicity_milli")?,
        moderation: opt_json(row, "moderation", "moderation verdict")?,
        network_state: stored_enum(row, "network_state", "network state", NetworkState::parse)?,
    })
}

fn contact_account_from(row: &DbRow) -> StoreResult<ContactAccount> {
    Ok(ContactAccount {
        contact_id: parse("contact id", row.try_get("contact_id")?)?,
        network: row.try_get("network")?,
        author_id: row.try_get("author_id")?,
        handle: row.try_get("handle")?,
        display_name: row.try_get("display_name")?,
        avatar_url: row.try_get("avatar_url")?,
        profile_url: row.try_get("profile_url")?,
        followers: opt_u64_of(row, "followers")?,
        account_created_at: opt_time(row, "account_created_at")?,
        first_seen_at: Timestamp::from_millis(row.try_get("first_seen_at")?),
        last_seen_at: Timestamp::from_millis(row.try_get("last_seen_at")?),
    })
}

/// A contact without its accounts (see `add_contact_accounts`).
fn contact_from(row: &DbRow) -> StoreResult<Contact> {
    Ok(Contact {
        id: parse("contact id", row.try_get("id")?)?,
        workspace_id: parse("workspace id", row.try_get("workspace_id")?)?,
        name: row.try_get("name")?,
        note: row.try_get("note")?,
        accounts: Vec::new(),
        conversation_count: count_of(row, "conversation_count")?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
    })
}

fn note_from(row: &DbRow) -> StoreResult<Note> {
    Ok(Note {
        id: parse("note id", row.try_get("id")?)?,
        conversation_id: parse("conversation id", row.try_get("conversation_id")?)?,
        author_id: parse_opt("user id", row.try_get("author_id")?)?,
        author_label: row.try_get("author_label")?,
        text: row.try_get("text")?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
    })
}

fn canned_reply_from(row: &DbRow) -> StoreResult<CannedReply> {
    Ok(CannedReply {
        id: parse("canned reply id", row.try_get("id")?)?,
        workspace_id: parse("workspace id", row.try_get("workspace_id")?)?,
        name: row.try_get("name")?,
        lang: row.try_get("lang")?,
        body: row.try_get("body")?,
        updated_at: Timestamp::from_millis(row.try_get("updated_at")?),
    })
}

fn inbox_column_from(row: &DbRow) -> StoreResult<InboxColumn> {
    let filter: String = row.try_get("filter")?;
    Ok(InboxColumn {
        id: parse("column id", row.try_get("id")?)?,
        workspace_id: parse("workspace id", row.try_get("workspace_id")?)?,
        user_id: parse_opt("user id", row.try_get("user_id")?)?,
        name: row.try_get("name")?,
        filter: json_of("column filter", &filter)?,
        position: row.try_get("position")?,
    })
}

fn moderation_rule_from(row: &DbRow) -> StoreResult<ModerationRuleRow> {
    let rule: String = row.try_get("rule")?;
    Ok(ModerationRuleRow {
        id: parse("moderation rule id", row.try_get("id")?)?,
        workspace_id: parse("workspace id", row.try_get("workspace_id")?)?,
        name: row.try_get("name")?,
        rule: json_of("moderation rule", &rule)?,
        enabled: row.try_get("enabled")?,
        position: row.try_get("position")?,
        updated_at: Timestamp::from_millis(row.try_get("updated_at")?),
    })
}

/// A review and its message, read from [`REVIEW_COLS`] and [`MESSAGE_COLS`].
fn review_from(row: &DbRow) -> StoreResult<Review> {
    let reasons: String = row.try_get("reasons")?;
    Ok(Review {
        id: parse("review id", row.try_get("r_id")?)?,
        workspace_id: parse("workspace id", row.try_get("r_workspace_id")?)?,
        message: inbox_message_from(row)?,
        reasons: json_of("review reasons", &reasons)?,
        status: stored_enum(row, "r_status", "review status", ReviewStatus::parse)?,
        created_at: Timestamp::from_millis(row.try_get("r_created_at")?),
        decided_by: parse_opt("user id", row.try_get("decided_by")?)?,
        decided_at: opt_time(row, "decided_at")?,
    })
}

fn sla_sample_from(row: &DbRow) -> StoreResult<SlaSample> {
    Ok(SlaSample {
        conversation_id: parse("conversation id", row.try_get("id")?)?,
        channel_id: parse_opt("channel id", row.try_get("channel_id")?)?,
        assignee_id: parse_opt("user id", row.try_get("assignee_id")?)?,
        status: stored_enum(row, "status", "conversation status", ConversationStatus::parse)?,
        first_inbound_at: opt_time(row, "first_inbound_at")?,
        first_response_at: opt_time(row, "first_response_at")?,
        awaiting_since: opt_time(row, "awaiting_since")?,
        closed_at: opt_time(row, "closed_at")?,
    })
}

/// Appends ` AND {column} = ?` for a channel, ` AND {column} IS NULL` without one (NULL never
/// equals NULL, and the two databases spell a NULL-safe comparison differently).
fn and_same_channel(q: &mut DynSql, column: &str, channel: Option<ChannelId>) {
    match channel {
        Some(c) => q.and(&format!("{column} = ?"), DynArg::Text(c.to_string())),
        None => q.push(&format!(" AND {column} IS NULL")),
    }
}

/// Whether a filter narrows by a column only `conversations` has (a tag's copies hold the
/// order, status and snooze columns).
fn filters_conversations(filter: &ConversationFilter) -> bool {
    filter.assignee.is_some()
        || filter.channel.is_some()
        || filter.kind.is_some()
        || filter.contact.is_some()
        || filter.awaiting_before.is_some()
}

/// A tag keeping at most this many conversations (of the status asked) is walked from its own
/// index even when another filter needs the conversations' rows (see `walk_tag_first`).
const SHORT_TAG: i64 = 500;

/// The `FROM … WHERE …` of the conversations of `workspace` that `filter` keeps at `now`,
/// after the keyset `after`; returns the columns to order by (newest first).
///
/// It walks one index in (last_message_at, id) order and stops after a page; the indexes
/// carry the filters' columns, so that entries a filter leaves out cost no row lookup (at
/// SQLite's default cache, a lookup in a large inbox costs about 30 µs). Without a tag, or
/// with a tag but not `tag_first`, that is one of the conversations' indexes (a tag then
/// probed by primary key). With a tag and `tag_first`, it is the tag's own index, from
/// `conversation_tags t`, whose copies of the order, status and snooze columns spare looking
/// at the conversations those filters leave out: `CROSS JOIN` makes SQLite keep that order of
/// the tables (PostgreSQL plans it as any join). `conversations c` is joined only when `page`
/// (the rows themselves) or another filter needs it.
fn conversations_sql(
    q: &mut DynSql,
    workspace: WorkspaceId,
    filter: &ConversationFilter,
    now: Timestamp,
    after: Option<(Timestamp, ConversationId)>,
    page: bool,
    tag_first: bool,
) -> (&'static str, &'static str) {
    let ws = q.arg(DynArg::Text(workspace.to_string()));
    let (walked, order) = match &filter.tag {
        Some(tag) if tag_first => {
            let tag = q.arg(DynArg::Text(tag.clone()));
            if page || filters_conversations(filter) {
                q.push(&format!(
                    " FROM conversation_tags t CROSS JOIN conversations c
                     WHERE t.workspace_id = {ws} AND t.tag = {tag} AND c.id = t.conversation_id AND c.workspace_id = {ws}"
                ));
            } else {
                q.push(&format!(
                    " FROM conversation_tags t WHERE t.workspace_id = {ws} AND t.tag = {tag}"
                ));
            }
            ("t", ("t.last_message_at", "t.conversation_id"))
        }
        tag => {
            q.push(&format!(" FROM conversations c WHERE c.workspace_id = {ws}"));
            if let Some(tag) = tag {
                q.and(
                    "EXISTS (SELECT 1 FROM conversation_tags t WHERE t.conversation_id = c.id AND t.tag = ?)",
                    DynArg::Text(tag.clone()),
                );
            }
            ("c", ("c.last_message_at", "c.id"))
        }
    };
    if let Some(status) = filter.status {
        q.and(
            &format!("{walked}.status = ?"),
            DynArg::Text(status.as_str().to_owned()),
        );
    }
    match filter.snoozed {
        Some(true) => q.and(
            &format!("{walked}.snoozed_until > ?"),
            DynArg::Int(now.millis()),
        ),
        Some(false) => {
            let p = q.arg(DynArg::Int(now.millis()));
            q.push(&format!(
                " AND ({walked}.snoozed_until IS NULL OR {walked}.snoozed_until <= {p})"
            ));
        }
        None => {}
    }
    match &filter.assignee {
        Some(AssigneeFilter::Unassigned) => q.push(" AND c.assignee_id IS NULL"),
        Some(AssigneeFilter::User(user)) => {
            q.and("c.assignee_id = ?", DynArg::Text(user.to_string()))
        }
        None => {}
    }
    if let Some(channel) = filter.channel {
        q.and("c.channel_id = ?", DynArg::Text(channel.to_string()));
    }
    if let Some(kind) = filter.kind {
        q.and("c.kind = ?", DynArg::Text(kind.as_str().to_owned()));
    }
    if let Some(contact) = filter.contact {
        q.and("c.contact_id = ?", DynArg::Text(contact.to_string()));
    }
    if let Some(before) = filter.awaiting_before {
        q.and("c.awaiting_since < ?", DynArg::Int(before.millis()));
    }
    if let Some((at, id)) = after {
        let at = q.arg(DynArg::Int(at.millis()));
        let id = q.arg(DynArg::Text(id.to_string()));
        // A row comparison: a range of the index both databases walk (an OR scanned every
        // newer row).
        q.push(&format!(" AND ({}, {}) < ({at}, {id})", order.0, order.1));
    }
    order
}

/// The conversations whose rows `inner` selects (`SELECT c.* …`, already ordered and
/// limited), with their display joins, newest activity first.
fn conversation_page_sql(inner: &str) -> String {
    format!(
        "SELECT {CONVERSATION_COLS} FROM ({inner}) c {CONVERSATION_JOINS}
         ORDER BY c.last_message_at DESC, c.id DESC"
    )
}

async fn sync_conversation_tags(tx: &mut Tx, conversation: ConversationId) -> StoreResult<()> {
    sqlx::query(SYNC_CONVERSATION_TAGS)
        .bind(conversation.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Runs a person's `UPDATE`/`DELETE` of one row and, when it changed one, each of `then`
/// (`$1` the id given with it, `$2` now: the `TOUCH_…` statements) and its audit line, in `tx`;
/// `true` when a row changed (a name taken meanwhile is [`Conflict::Other`]).
async fn audited_change<'q>(
    mut tx: Tx,
    change: sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>>,
    then: &[(&str, String)],
    audit: &AuditEvent,
) -> StoreResult<bool> {
    let changed = change
        .execute(&mut *tx)
        .await
        .map_err(|e| from_sqlx(e, Conflict::Other))?
        .rows_affected();
    if changed == 0 {
        return Ok(false);
    }
    let now = Timestamp::now().millis();
    for (sql, id) in then {
        sqlx::query(sql).bind(id).bind(now).execute(&mut *tx).await?;
    }
    insert_audit(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(true)
}

/// Checks that `channel` is the workspace's and makes concurrent ingests into the same place
/// (one channel, or the workspace's channel-less conversations) wait for each other, so that
/// two paths delivering one new thread at once cannot make two conversations of it. SQLite
/// writes one transaction at a time already; PostgreSQL takes a row lock that leaves foreign
/// key checks (`FOR KEY SHARE`) free.
async fn lock_inbox_place(
    tx: &mut Tx,
    workspace: WorkspaceId,
    channel: Option<ChannelId>,
) -> StoreResult<()> {
    let lock = if BACKEND == "postgres" {
        " FOR NO KEY UPDATE"
    } else {
        ""
    };
    let found = match channel {
        Some(c) => sqlx::query(&format!(
            "SELECT id FROM channels WHERE id = $1 AND workspace_id = $2{lock}"
        ))
        .bind(c.to_string())
        .bind(workspace.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .is_some(),
        None => sqlx::query(&format!("SELECT id FROM workspaces WHERE id = $1{lock}"))
            .bind(workspace.to_string())
            .fetch_optional(&mut **tx)
            .await?
            .is_some(),
    };
    if !found {
        return Err(StoreError::NotFound(
            if channel.is_some() { "this channel" } else { "this workspace" }.into(),
        ));
    }
    Ok(())
}

/// The stored message of the place with this network id: (id, conversation, contact).
async fn stored_message_ids(
    tx: &mut Tx,
    workspace: WorkspaceId,
    channel: Option<ChannelId>,
    network_id: &str,
) -> StoreResult<Option<(InboxMessageId, ConversationId, Option<ContactId>)>> {
    let mut q = DynSql::new("SELECT id, conversation_id, contact_id FROM inbox_messages m WHERE TRUE");
    q.and("m.workspace_id = ?", DynArg::Text(workspace.to_string()));
    q.and("m.network_id = ?", DynArg::Text(network_id.to_owned()));
    and_same_channel(&mut q, "m.channel_id", channel);
    let Some(row) = q.query().fetch_optional(&mut **tx).await? else {
        return Ok(None);
    };
    Ok(Some((
        parse("message id", row.try_get("id")?)?,
        parse("conversation id", row.try_get("conversation_id")?)?,
        parse_opt("contact id", row.try_get("contact_id")?)?,
    )))
}

/// The conversation of the place known by `key`: the conversation of a stored message with
/// that network id, else the conversation whose thread key it is.
async fn conversation_known_by(
    tx: &mut Tx,
    workspace: WorkspaceId,
    channel: Option<ChannelId>,
    key: &str,
) -> StoreResult<Option<ConversationId>> {
    if let Some((_, conversation, _)) = stored_message_ids(tx, workspace, channel, key).await? {
        return Ok(Some(conversation));
    }
    let mut q = DynSql::new("SELECT id FROM conversations c WHERE TRUE");
    q.and("c.workspace_id = ?", DynArg::Text(workspace.to_string()));
    q.and("c.thread_key = ?", DynArg::Text(key.to_owned()));
    and_same_channel(&mut q, "c.channel_id", channel);
    let id: Option<String> = q
        .query()
        .fetch_optional(&mut **tx)
        .await?
        .map(|row| row.try_get("id"))
        .transpose()?;
    parse_opt("conversation id", id)
}

/// Finds or makes the contact of a message's author, refreshing what the account shows when
/// the message is its newest news. `None` when the author has no stable id (a web page).
async fn upsert_contact(
    tx: &mut Tx,
    workspace: WorkspaceId,
    author: &NewContactAccount,
    seen_at: Timestamp,
) -> StoreResult<Option<ContactId>> {
    if author.author_id.is_empty() {
        return Ok(None);
    }
    let known = sqlx::query(
        "SELECT contact_id, last_seen_at FROM contact_accounts WHERE workspace_id = $1 AND network = $2 AND author_id = $3",
    )
    .bind(workspace.to_string())
    .bind(&author.network)
    .bind(&author.author_id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(row) = known {
        let contact: ContactId = parse("contact id", row.try_get("contact_id")?)?;
        let last_seen: i64 = row.try_get("last_seen_at")?;
        // A late message (older than what the account last showed) does not turn the handle
        // or the avatar back.
        if seen_at.millis() >= last_seen {
            sqlx::query(
                "UPDATE contact_accounts SET handle = $4, display_name = COALESCE($5, display_name),
                    avatar_url = COALESCE($6, avatar_url), profile_url = COALESCE($7, profile_url),
                    followers = COALESCE($8, followers), account_created_at = COALESCE($9, account_created_at),
                    last_seen_at = $10
                 WHERE workspace_id = $1 AND network = $2 AND author_id = $3",
            )
            .bind(workspace.to_string())
            .bind(&author.network)
            .bind(&author.author_id)
            .bind(&author.handle)
            .bind(&author.display_name)
            .bind(&author.avatar_url)
            .bind(&author.profile_url)
            .bind(author.followers.map(stored_u64))
            .bind(author.account_created_at.map(|t| t.millis()))
            .bind(seen_at.millis())
            .execute(&mut **tx)
            .await?;
        }
        return Ok(Some(contact));
    }
    let contact = ContactId::new();
    let name = author
        .display_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(&author.handle);
    let now = Timestamp::now().millis();
    sqlx::query(
        "INSERT INTO contacts (id, workspace_id, name, note, created_at, updated_at) VALUES ($1, $2, $3, NULL, $4, $4)",
    )
    .bind(contact.to_string())
    .bind(workspace.to_string())
    .bind(name)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let inserted = sqlx::query(
        "INSERT INTO contact_accounts (workspace_id, network, author_id, contact_id, handle, display_name, avatar_url,
            profile_url, followers, account_created_at, first_seen_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
         ON CONFLICT (workspace_id, network, author_id) DO NOTHING",
    )
    .bind(workspace.to_string())
    .bind(&author.network)
    .bind(&author.author_id)
    .bind(contact.to_string())
    .bind(&author.handle)
    .bind(&author.display_name)
    .bind(&author.avatar_url)
    .bind(&author.profile_url)
    .bind(author.followers.map(stored_u64))
    .bind(author.account_created_at.map(|t| t.millis()))
    .bind(seen_at.millis())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Some(contact));
    }
    // Another channel's ingest made the account meanwhile (PostgreSQL let us wait for it):
    // theirs stands, ours goes.
    sqlx::query("DELETE FROM contacts WHERE id = $1")
        .bind(contact.to_string())
        .execute(&mut **tx)
        .await?;
    let theirs: String = sqlx::query_scalar(
        "SELECT contact_id FROM contact_accounts WHERE workspace_id = $1 AND network = $2 AND author_id = $3",
    )
    .bind(workspace.to_string())
    .bind(&author.network)
    .bind(&author.author_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Some(parse("contact id", theirs)?))
}

/// Adds one received message inside `ingest_messages`' transaction.
async fn ingest_one(
    tx: &mut Tx,
    workspace: WorkspaceId,
    channel: Option<ChannelId>,
    m: &NewInboxMessage,
    received_at: Timestamp,
) -> StoreResult<Ingested> {
    if let Some((message_id, conversation_id, contact_id)) =
        stored_message_ids(tx, workspace, channel, &m.network_id).await?
    {
        return Ok(Ingested {
            message_id,
            conversation_id,
            contact_id,
            duplicate: true,
            new_conversation: false,
            reopened: false,
        });
    }
    let mut found = None;
    // The new thread's own key last: a thread whose key the caller computes (a private
    // conversation's id) is found by it from its second message on.
    for key in m.thread_candidates.iter().chain([&m.new_thread_key]) {
        found = conversation_known_by(tx, workspace, channel, key).await?;
        if found.is_some() {
            break;
        }
    }
    let contact = upsert_contact(tx, workspace, &m.author, m.sent_at).await?;
    let now = Timestamp::now().millis();
    let new_conversation = found.is_none();
    let conversation = match found {
        Some(c) => c,
        None => {
            let id = ConversationId::new();
            sqlx::query(
                "INSERT INTO conversations (id, workspace_id, channel_id, thread_key, kind, contact_id, status, assignee_id,
                    snoozed_until, preview, message_count, last_message_at, awaiting_since, first_inbound_at,
                    first_response_at, closed_at, problem, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, 'open', NULL, NULL, '', 0, $7, NULL, NULL, NULL, NULL, NULL, $8, $9)",
            )
            .bind(id.to_string())
            .bind(workspace.to_string())
            .bind(channel.map(|c| c.to_string()))
            .bind(&m.new_thread_key)
            .bind(m.kind.as_str())
            .bind(contact.map(|c| c.to_string()))
            .bind(m.sent_at.millis())
            .bind(received_at.millis())
            .bind(now)
            .execute(&mut **tx)
            .await?;
            id
        }
    };
    sqlx::query(
        "INSERT INTO inbox_messages (id, workspace_id, conversation_id, channel_id, network_id, direction, kind, contact_id,
            author_id, author_handle, author_name, text, lang, url, version, parent_id, root_id, root_version, sent_at,
            received_at, sender_id, delivery, delivery_error, approved_by, toxicity_milli, moderation, network_state)
         VALUES ($1, $2, $3, $4, $5, 'in', $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
            NULL, 'received', NULL, NULL, NULL, NULL, 'visible')",
    )
    .bind(m.id.to_string())
    .bind(workspace.to_string())
    .bind(conversation.to_string())
    .bind(channel.map(|c| c.to_string()))
    .bind(&m.network_id)
    .bind(m.kind.as_str())
    .bind(contact.map(|c| c.to_string()))
    .bind((!m.author.author_id.is_empty()).then_some(m.author.author_id.as_str()))
    .bind(&m.author.handle)
    .bind(&m.author.display_name)
    .bind(&m.text)
    .bind(&m.lang)
    .bind(&m.url)
    .bind(&m.version)
    .bind(&m.parent_id)
    .bind(&m.root_id)
    .bind(&m.root_version)
    .bind(m.sent_at.millis())
    .bind(received_at.millis())
    .execute(&mut **tx)
    .await?;

    let row = sqlx::query("SELECT status, snoozed_until FROM conversations WHERE id = $1")
        .bind(conversation.to_string())
        .fetch_one(&mut **tx)
        .await?;
    let status = stored_enum(&row, "status", "conversation status", ConversationStatus::parse)?;
    let snoozed = opt_time(&row, "snoozed_until")?.is_some_and(|until| until > received_at);
    let reopened = !new_conversation && (status != ConversationStatus::Open || snoozed);
    // A repost asks nothing: it counts, but starts no response clock.
    let clock = (m.kind != MessageKind::Repost).then_some(m.sent_at.millis());
    sqlx::query(
        "UPDATE conversations SET message_count = message_count + 1,
            preview = CASE WHEN $2 >= last_message_at AND $3 <> '' THEN $3 ELSE preview END,
            last_message_at = CASE WHEN $2 > last_message_at THEN $2 ELSE last_message_at END,
            first_inbound_at = COALESCE(first_inbound_at, $4),
            awaiting_since = COALESCE(awaiting_since, $4),
            contact_id = COALESCE(contact_id, $5),
            status = 'open', closed_at = NULL, snoozed_until = NULL, updated_at = $6
         WHERE id = $1",
    )
    .bind(conversation.to_string())
    .bind(m.sent_at.millis())
    .bind(preview_of(&m.text))
    .bind(clock)
    .bind(contact.map(|c| c.to_string()))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sync_conversation_tags(tx, conversation).await?;
    Ok(Ingested {
        message_id: m.id,
        conversation_id: conversation,
        contact_id: contact,
        duplicate: false,
        new_conversation,
        reopened,
    })
}

impl SqlStore {
    /// Fills the tags of `conversations` (all of one workspace), one statement a page.
    async fn add_conversation_tags(&self, conversations: &mut [Conversation]) -> StoreResult<()> {
        let mut tags: HashMap<ConversationId, Vec<String>> = HashMap::new();
        for chunk in conversations.chunks(IDS_PER_STATEMENT) {
            // By primary key alone: the ids are the workspace's (read from it just before), and
            // with `workspace_id` in the query SQLite walked the workspace's whole tag index.
            let mut q =
                DynSql::new("SELECT conversation_id, tag FROM conversation_tags WHERE conversation_id IN ");
            let list = q.list(chunk.iter().map(|c| c.id.to_string()));
            q.push(&format!("{list} ORDER BY tag"));
            for row in q.query().fetch_all(&self.pool).await? {
                let id: ConversationId = parse("conversation id", row.try_get("conversation_id")?)?;
                tags.entry(id).or_default().push(row.try_get("tag")?);
            }
        }
        for c in conversations.iter_mut() {
            c.tags = tags.remove(&c.id).unwrap_or_default();
        }
        Ok(())
    }

    /// Whether a list with a tag walks the tag's index (see `conversations_sql`): always when
    /// no other filter needs the conversations' rows; else when the tag keeps few
    /// conversations of the status asked, counted up to [`SHORT_TAG`] on its index. A long tag
    /// crossed with, say, an assignee is cheaper walked from the assignee's index, probing the
    /// tag (measured at 100,000 conversations on SQLite: 150 ms one way, 11 the other; a short
    /// tag, the reverse).
    async fn walk_tag_first(
        &self,
        workspace: WorkspaceId,
        filter: &ConversationFilter,
        now: Timestamp,
    ) -> StoreResult<bool> {
        if filter.tag.is_none() || !filters_conversations(filter) {
            return Ok(true);
        }
        let on_tag = ConversationFilter {
            tag: filter.tag.clone(),
            status: filter.status,
            snoozed: filter.snoozed,
            ..ConversationFilter::default()
        };
        let mut q = DynSql::new("SELECT COUNT(*) AS n FROM (SELECT 1");
        conversations_sql(&mut q, workspace, &on_tag, now, None, false, true);
        let limit = q.arg(DynArg::Int(SHORT_TAG + 1));
        q.push(&format!(" LIMIT {limit}) x"));
        let row = q.query().fetch_one(&self.pool).await?;
        Ok(row.try_get::<i64, _>("n")? <= SHORT_TAG)
    }

    /// Fills the accounts of `contacts`, one statement a page.
    async fn add_contact_accounts(&self, contacts: &mut [Contact]) -> StoreResult<()> {
        let mut accounts: HashMap<ContactId, Vec<ContactAccount>> = HashMap::new();
        for chunk in contacts.chunks(IDS_PER_STATEMENT) {
            let mut q = DynSql::new(&format!(
                "SELECT {CONTACT_ACCOUNT_COLS} FROM contact_accounts WHERE contact_id IN "
            ));
            let list = q.list(chunk.iter().map(|c| c.id.to_string()));
            q.push(&format!("{list} ORDER BY network, handle, author_id"));
            for row in q.query().fetch_all(&self.pool).await? {
                let account = contact_account_from(&row)?;
                accounts.entry(account.contact_id).or_default().push(account);
            }
        }
        for c in contacts.iter_mut() {
            c.accounts = accounts.remove(&c.id).unwrap_or_default();
        }
        Ok(())
    }

    /// The messages `sql` selects (from `inbox_messages m`) with `binds`.
    async fn inbox_messages_where(
        &self,
        sql: &str,
        binds: Vec<DynArg>,
    ) -> StoreResult<Vec<InboxMessage>> {
        let mut q = DynSql::new(&format!("SELECT {MESSAGE_COLS} FROM inbox_messages m {sql}"));
        for b in binds {
            q.arg(b);
        }
        let rows = q.query().fetch_all(&self.pool).await?;
        rows.iter().map(inbox_message_from).collect()
    }

    /// The reviews `sql` selects (after the join of a review to its message) with `binds`.
    async fn reviews_where(&self, sql: &str, binds: Vec<DynArg>) -> StoreResult<Vec<Review>> {
        let mut q = DynSql::new(&format!(
            "SELECT {REVIEW_COLS}, {MESSAGE_COLS} FROM moderation_reviews r JOIN inbox_messages m ON m.id = r.message_id {sql}"
        ));
        for b in binds {
            q.arg(b);
        }
        let rows = q.query().fetch_all(&self.pool).await?;
        rows.iter().map(review_from).collect()
    }

    /// The next position in a workspace's ordered list (`table`: columns or rules), in `tx`.
    async fn next_position(tx: &mut Tx, table: &str, workspace: WorkspaceId) -> StoreResult<i64> {
        let last: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT MAX(position) FROM {table} WHERE workspace_id = $1"
        ))
        .bind(workspace.to_string())
        .fetch_one(&mut **tx)
        .await?;
        Ok(last.map_or(0, |p| p.saturating_add(1)))
    }
}

#[async_trait]
impl InboxStore for SqlStore {
    async fn ingest_messages(
        &self,
        workspace: WorkspaceId,
        channel: Option<ChannelId>,
        messages: &[NewInboxMessage],
        received_at: Timestamp,
    ) -> StoreResult<Vec<Ingested>> {
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.write().await?;
        lock_inbox_place(&mut tx, workspace, channel).await?;
        let mut ingested = Vec::with_capacity(messages.len());
        for m in messages {
            ingested.push(ingest_one(&mut tx, workspace, channel, m, received_at).await?);
        }
        tx.commit().await?;
        Ok(ingested)
    }

    async fn inbox_channel_state(
        &self,
        channel: ChannelId,
    ) -> StoreResult<Option<InboxChannelState>> {
        let row = sqlx::query(
            "SELECT poll_cursor, stream_cursor, next_poll_at, failures, last_success_at, last_error, last_error_at
             FROM inbox_channel_state WHERE channel_id = $1",
        )
        .bind(channel.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(InboxChannelState {
                poll_cursor: r.try_get("poll_cursor")?,
                stream_cursor: r.try_get("stream_cursor")?,
                next_poll_at: opt_time(&r, "next_poll_at")?,
                failures: u32_of(&r, "failures")?,
                last_success_at: opt_time(&r, "last_success_at")?,
                last_error: r.try_get("last_error")?,
                last_error_at: opt_time(&r, "last_error_at")?,
            })
        })
        .transpose()
    }

    async fn save_inbox_channel_state(
        &self,
        workspace: WorkspaceId,
        channel: ChannelId,
        state: &InboxChannelState,
    ) -> StoreResult<()> {
        // Through the channels table: another workspace's channel gets no state.
        let saved = sqlx::query(
            "INSERT INTO inbox_channel_state (channel_id, workspace_id, poll_cursor, stream_cursor, next_poll_at, failures,
                last_success_at, last_error, last_error_at)
             SELECT id, workspace_id, $3, $4, $5, $6, $7, $8, $9 FROM channels WHERE id = $1 AND workspace_id = $2
             ON CONFLICT (channel_id) DO UPDATE SET poll_cursor = excluded.poll_cursor,
                stream_cursor = excluded.stream_cursor, next_poll_at = excluded.next_poll_at,
                failures = excluded.failures, last_success_at = excluded.last_success_at,
                last_error = excluded.last_error, last_error_at = excluded.last_error_at",
        )
        .bind(channel.to_string())
        .bind(workspace.to_string())
        .bind(&state.poll_cursor)
        .bind(&state.stream_cursor)
        .bind(state.next_poll_at.map(|t| t.millis()))
        .bind(i64::from(state.failures))
        .bind(state.last_success_at.map(|t| t.millis()))
        .bind(&state.last_error)
        .bind(state.last_error_at.map(|t| t.millis()))
        .execute(&self.writer)
        .await?
        .rows_affected();
        if saved == 0 {
            return Err(StoreError::NotFound("this channel".into()));
        }
        Ok(())
    }

    async fn author_recent_messages(
        &self,
        workspace: WorkspaceId,
        author_id: &str,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<InboxMessage>> {
        self.inbox_messages_where(
            "WHERE m.workspace_id = $1 AND m.author_id = $2 AND m.sent_at >= $3 ORDER BY m.sent_at DESC, m.id DESC LIMIT $4",
            vec![
                DynArg::Text(workspace.to_string()),
                DynArg::Text(author_id.to_owned()),
                DynArg::Int(since.millis()),
                DynArg::Int(i64::from(limit)),
            ],
        )
        .await
    }

    async fn set_message_moderation(
        &self,
        workspace: WorkspaceId,
        message: InboxMessageId,
        toxicity_milli: Option<i64>,
        verdict: Option<&serde_json::Value>,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let changed = sqlx::query(
            "UPDATE inbox_messages SET toxicity_milli = $3, moderation = $4 WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace.to_string())
        .bind(message.to_string())
        .bind(toxicity_milli)
        .bind(verdict.map(|v| v.to_string()))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed > 0 {
            sqlx::query(TOUCH_CONVERSATION_OF_MESSAGE)
                .bind(message.to_string())
                .bind(Timestamp::now().millis())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn open_review(
        &self,
        workspace: WorkspaceId,
        id: ReviewId,
        message: InboxMessageId,
        reasons: &serde_json::Value,
        at: Timestamp,
    ) -> StoreResult<ReviewId> {
        let mut tx = self.write().await?;
        // Through the message: another workspace's message is held by no one here.
        let inserted = sqlx::query(
            "INSERT INTO moderation_reviews (id, workspace_id, message_id, conversation_id, reasons, status, created_at,
                decided_by, decided_at)
             SELECT $1, workspace_id, id, conversation_id, $4, 'pending', $5, NULL, NULL
             FROM inbox_messages WHERE workspace_id = $2 AND id = $3
             ON CONFLICT (message_id) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(workspace.to_string())
        .bind(message.to_string())
        .bind(reasons.to_string())
        .bind(at.millis())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            tx.commit().await?;
            return Ok(id);
        }
        let first: Option<String> = sqlx::query_scalar(
            "SELECT id FROM moderation_reviews WHERE workspace_id = $1 AND message_id = $2",
        )
        .bind(workspace.to_string())
        .bind(message.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        let first = first.ok_or_else(|| StoreError::NotFound("this message".into()))?;
        parse("review id", first)
    }

    async fn add_reply(
        &self,
        workspace: WorkspaceId,
        reply: NewReply,
        audit: AuditEvent,
    ) -> StoreResult<Option<InboxMessage>> {
        let mut tx = self.write().await?;
        let channel: Option<Option<String>> = sqlx::query_scalar(
            "SELECT channel_id FROM conversations WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace.to_string())
        .bind(reply.conversation_id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(channel) = channel else {
            return Ok(None);
        };
        let message = InboxMessage {
            id: reply.id,
            workspace_id: workspace,
            conversation_id: reply.conversation_id,
            channel_id: parse_opt("channel id", channel)?,
            network_id: None,
            outgoing: true,
            kind: MessageKind::Outgoing,
            contact_id: None,
            author_id: None,
            author_handle: reply.sender_label,
            author_name: None,
            text: reply.text,
            lang: None,
            url: None,
            version: None,
            parent_id: None,
            root_id: None,
            root_version: None,
            sent_at: reply.written_at,
            received_at: reply.written_at,
            sender_id: reply.sender_id,
            delivery: reply.delivery,
            delivery_error: None,
            approved_by: None,
            toxicity_milli: None,
            moderation: None,
            network_state: NetworkState::Visible,
        };
        sqlx::query(
            "INSERT INTO inbox_messages (id, workspace_id, conversation_id, channel_id, network_id, direction, kind, contact_id,
                author_id, author_handle, author_name, text, lang, url, version, parent_id, root_id, root_version, sent_at,
                received_at, sender_id, delivery, delivery_error, approved_by, toxicity_milli, moderation, network_state)
             VALUES ($1, $2, $3, $4, NULL, 'out', $5, NULL, NULL, $6, NULL, $7, NULL, NULL, NULL, NULL, NULL, NULL, $8, $8,
                $9, $10, NULL, NULL, NULL, NULL, 'visible')",
        )
        .bind(message.id.to_string())
        .bind(workspace.to_string())
        .bind(message.conversation_id.to_string())
        .bind(message.channel_id.map(|c| c.to_string()))
        .bind(message.kind.as_str())
        .bind(&message.author_handle)
        .bind(&message.text)
        .bind(message.sent_at.millis())
        .bind(message.sender_id.map(|u| u.to_string()))
        .bind(message.delivery.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE conversations SET message_count = message_count + 1,
                preview = CASE WHEN $2 >= last_message_at AND $3 <> '' THEN $3 ELSE preview END,
                last_message_at = CASE WHEN $2 > last_message_at THEN $2 ELSE last_message_at END,
                updated_at = $4
             WHERE id = $1",
        )
        .bind(message.conversation_id.to_string())
        .bind(message.sent_at.millis())
        .bind(preview_of(&message.text))
        .bind(Timestamp::now().millis())
        .execute(&mut *tx)
        .await?;
        sync_conversation_tags(&mut tx, message.conversation_id).await?;
        if let Some(job) = &reply.send {
            insert_job(&mut tx, JobId::new(), job).await?;
        }
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(Some(message))
    }

    async fn approve_reply(
        &self,
        workspace: WorkspaceId,
        message: InboxMessageId,
        approver: UserId,
        send: NewJob,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let changed = sqlx::query(
            "UPDATE inbox_messages SET delivery = 'queued', approved_by = $3
             WHERE workspace_id = $1 AND id = $2 AND direction = 'out' AND delivery = 'awaiting_approval'",
        )
        .bind(workspace.to_string())
        .bind(message.to_string())
        .bind(approver.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        sqlx::query(TOUCH_CONVERSATION_OF_MESSAGE)
            .bind(message.to_string())
            .bind(Timestamp::now().millis())
            .execute(&mut *tx)
            .await?;
        insert_job(&mut tx, JobId::new(), &send).await?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn reply_sent(
        &self,
        workspace: WorkspaceId,
        message: InboxMessageId,
        network_id: &str,
        version: Option<&str>,
        url: Option<&str>,
        at: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let reply = sqlx::query(
            "SELECT conversation_id, channel_id, sent_at FROM inbox_messages
             WHERE workspace_id = $1 AND id = $2 AND direction = 'out' AND delivery = 'queued'",
        )
        .bind(workspace.to_string())
        .bind(message.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(reply) = reply else {
            return Ok(false);
        };
        let conversation: String = reply.try_get("conversation_id")?;
        let channel: Option<String> = reply.try_get("channel_id")?;
        let written_at: i64 = reply.try_get("sent_at")?;
        // The network may have shown our own reply back before this call (a stream reading
        // the account's activity): that copy is this reply, and goes, so that the reply can
        // hold its network id.
        if let Some(channel) = &channel {
            let copy = sqlx::query(
                "DELETE FROM inbox_messages WHERE channel_id = $1 AND network_id = $2 AND direction = 'in'
                 RETURNING conversation_id",
            )
            .bind(channel)
            .bind(network_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(copy) = copy {
                let of: String = copy.try_get("conversation_id")?;
                sqlx::query(
                    "UPDATE conversations SET message_count = message_count - 1 WHERE id = $1 AND message_count > 0",
                )
                .bind(of)
                .execute(&mut *tx)
                .await?;
            }
        }
        sqlx::query(
            "UPDATE inbox_messages SET network_id = $2, version = $3, url = $4, delivery = 'sent', delivery_error = NULL
             WHERE id = $1",
        )
        .bind(message.to_string())
        .bind(network_id)
        .bind(version)
        .bind(url)
        .execute(&mut *tx)
        .await?;
        // The clock stops for what the reply answers; a message that came in after the reply
        // was written still waits (from its own time, the oldest such).
        sqlx::query(
            "UPDATE conversations SET first_response_at = COALESCE(first_response_at, $2), problem = NULL,
                awaiting_since = (SELECT MIN(m.sent_at) FROM inbox_messages m
                    WHERE m.conversation_id = $1 AND m.direction = 'in' AND m.kind <> 'repost' AND m.sent_at > $3),
                updated_at = $4
             WHERE id = $1",
        )
        .bind(&conversation)
        .bind(at.millis())
        .bind(written_at)
        .bind(Timestamp::now().millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn reply_failed(
        &self,
        workspace: WorkspaceId,
        message: InboxMessageId,
        reason: &str,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let conversation: Option<String> = sqlx::query_scalar(
            "UPDATE inbox_messages SET delivery = 'failed', delivery_error = $3
             WHERE workspace_id = $1 AND id = $2 AND direction = 'out' AND delivery IN ('queued', 'awaiting_approval')
             RETURNING conversation_id",
        )
        .bind(workspace.to_string())
        .bind(message.to_string())
        .bind(reason)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(conversation) = conversation {
            sqlx::query("UPDATE conversations SET problem = $2, updated_at = $3 WHERE id = $1")
                .bind(conversation)
                .bind(reason)
                .bind(Timestamp::now().millis())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn set_conversation_problem(
        &self,
        workspace: WorkspaceId,
        conversation: ConversationId,
        problem: Option<&str>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE conversations SET problem = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace.to_string())
        .bind(conversation.to_string())
        .bind(problem)
        .bind(Timestamp::now().millis())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn list_conversations(
        &self,
        workspace: WorkspaceId,
        filter: &ConversationFilter,
        now: Timestamp,
        after: Option<(Timestamp, ConversationId)>,
        limit: u32,
    ) -> StoreResult<Vec<Conversation>> {
        let tag_first = self.walk_tag_first(workspace, filter, now).await?;
        let mut q = DynSql::new("SELECT c.*");
        let (at, id) = conversations_sql(&mut q, workspace, filter, now, after, true, tag_first);
        let limit = q.arg(DynArg::Int(i64::from(limit)));
        q.push(&format!(" ORDER BY {at} DESC, {id} DESC LIMIT {limit}"));
        q.sql = conversation_page_sql(&q.sql);
        let rows = q.query().fetch_all(&self.pool).await?;
        let mut page = rows
            .iter()
            .map(conversation_from)
            .collect::<StoreResult<Vec<_>>>()?;
        self.add_conversation_tags(&mut page).await?;
        Ok(page)
    }

    async fn count_conversations(
        &self,
        workspace: WorkspaceId,
        filter: &ConversationFilter,
        now: Timestamp,
        cap: u64,
    ) -> StoreResult<u64> {
        let tag_first = self.walk_tag_first(workspace, filter, now).await?;
        let mut q = DynSql::new("SELECT 1 AS one");
        conversations_sql(&mut q, workspace, filter, now, None, false, tag_first);
        // Both databases stop walking the index at the limit.
        let cap = q.arg(DynArg::Int(i64::try_from(cap).unwrap_or(i64::MAX)));
        q.sql = format!("SELECT COUNT(*) AS n FROM ({} LIMIT {cap}) capped", q.sql);
        let row = q.query().fetch_one(&self.pool).await?;
        count_of(&row, "n")
    }

    async fn inbox_version(&self, workspace: WorkspaceId) -> StoreResult<InboxVersion> {
        // Index probes and counts of a workspace's few rows, in one round trip; the
        // conversations' mark is the newest end of `conversations_by_change`.
        let row = sqlx::query(
            "SELECT
                (SELECT updated_at FROM conversations WHERE workspace_id = $1
                 ORDER BY updated_at DESC LIMIT 1) AS conversations,
                (SELECT updated_at FROM inbox_settings WHERE workspace_id = $1) AS settings,
                (SELECT COUNT(*) FROM channels WHERE workspace_id = $1) AS channel_count,
                (SELECT MAX(updated_at) FROM channels WHERE workspace_id = $1) AS channels,
                (SELECT COUNT(*) FROM memberships WHERE workspace_id = $1) AS members,
                (SELECT COUNT(*) FROM inbox_columns WHERE workspace_id = $1) AS column_count,
                (SELECT MAX(created_at) FROM inbox_columns WHERE workspace_id = $1) AS columns",
        )
        .bind(workspace.to_string())
        .fetch_one(&self.pool)
        .await?;
        let time = |name: &str| -> StoreResult<Option<Timestamp>> {
            Ok(row
                .try_get::<Option<i64>, _>(name)?
                .map(Timestamp::from_millis))
        };
        Ok(InboxVersion {
            conversations: time("conversations")?,
            settings: time("settings")?,
            channels: (count_of(&row, "channel_count")?, time("channels")?),
            members: count_of(&row, "members")?,
            columns: (count_of(&row, "column_count")?, time("columns")?),
        })
    }

    async fn conversations_changed_since(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<(ConversationId, Timestamp)>> {
        let rows = sqlx::query(
            "SELECT id, updated_at FROM conversations WHERE workspace_id = $1 AND updated_at > $2
             ORDER BY updated_at, id LIMIT $3",
        )
        .bind(workspace.to_string())
        .bind(since.millis())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse("conversation id", r.try_get("id")?)?,
                    Timestamp::from_millis(r.try_get("updated_at")?),
                ))
            })
            .collect()
    }

    async fn conversation(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
    ) -> StoreResult<Option<Conversation>> {
        let sql = conversation_page_sql(
            "SELECT * FROM conversations WHERE workspace_id = $1 AND id = $2",
        );
        let found = self
            .listening_row(&sql, workspace, id.to_string(), conversation_from)
            .await?;
        let Some(found) = found else { return Ok(None) };
        let mut found = [found];
        self.add_conversation_tags(&mut found).await?;
        let [conversation] = found;
        Ok(Some(conversation))
    }

    async fn conversation_messages(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
    ) -> StoreResult<Vec<InboxMessage>> {
        self.inbox_messages_where(
            "WHERE m.workspace_id = $1 AND m.conversation_id = $2 ORDER BY m.sent_at, m.id",
            vec![
                DynArg::Text(workspace.to_string()),
                DynArg::Text(id.to_string()),
            ],
        )
        .await
    }

    async fn inbox_message(
        &self,
        workspace: WorkspaceId,
        id: InboxMessageId,
    ) -> StoreResult<Option<InboxMessage>> {
        let sql = format!(
            "SELECT {MESSAGE_COLS} FROM inbox_messages m WHERE m.workspace_id = $1 AND m.id = $2"
        );
        self.listening_row(&sql, workspace, id.to_string(), inbox_message_from)
            .await
    }

    async fn inbox_message_by_network_id(
        &self,
        workspace: WorkspaceId,
        channel: Option<ChannelId>,
        network_id: &str,
    ) -> StoreResult<Option<InboxMessage>> {
        let mut q = DynSql::new(&format!(
            "SELECT {MESSAGE_COLS} FROM inbox_messages m WHERE TRUE"
        ));
        q.and("m.workspace_id = ?", DynArg::Text(workspace.to_string()));
        q.and("m.network_id = ?", DynArg::Text(network_id.to_owned()));
        and_same_channel(&mut q, "m.channel_id", channel);
        let row = q.query().fetch_optional(&self.pool).await?;
        row.as_ref().map(inbox_message_from).transpose()
    }

    async fn assign_conversation(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
        assignee: Option<UserId>,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        // Only a member of the workspace can hold its conversations.
        if let Some(user) = assignee {
            let member: Option<String> = sqlx::query_scalar(
                "SELECT user_id FROM memberships WHERE workspace_id = $1 AND user_id = $2",
            )
            .bind(workspace.to_string())
            .bind(user.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            if member.is_none() {
                return Err(StoreError::NotFound("this member".into()));
            }
        }
        let change = sqlx::query(
            "UPDATE conversations SET assignee_id = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace.to_string())
        .bind(id.to_string())
        .bind(assignee.map(|u| u.to_string()))
        .bind(Timestamp::now().millis());
        audited_change(tx, change, &[], &audit).await
    }

    async fn set_conversation_status(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
        status: ConversationStatus,
        snoozed_until: Option<Timestamp>,
        now: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        let snoozed_until = match status {
            ConversationStatus::Open => snoozed_until,
            ConversationStatus::Pending | ConversationStatus::Closed => None,
        };
        let mut tx = self.write().await?;
        // Closing keeps the first closing time of a conversation closed already (closing
        // twice does not move its resolution); any other status clears it. `updated_at` goes
        // by the clock, which live pages poll, not by the caller's `now`.
        let changed = sqlx::query(
            "UPDATE conversations SET
                closed_at = CASE WHEN $3 <> 'closed' THEN NULL WHEN status = 'closed' THEN closed_at ELSE $5 END,
                status = $3, snoozed_until = $4, updated_at = $6
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace.to_string())
        .bind(id.to_string())
        .bind(status.as_str())
        .bind(snoozed_until.map(|t| t.millis()))
        .bind(now.millis())
        .bind(Timestamp::now().millis())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        sync_conversation_tags(&mut tx, id).await?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn tag_conversation(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
        tag: &str,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        if !listening_row_in_workspace(&mut tx, "conversations", workspace, id.to_string()).await? {
            return Ok(false);
        }
        let added = sqlx::query(
            "INSERT INTO conversation_tags (conversation_id, workspace_id, tag, last_message_at, status, snoozed_until)
             SELECT id, workspace_id, $2, last_message_at, status, snoozed_until FROM conversations WHERE id = $1
             ON CONFLICT DO NOTHING",
        )
        .bind(id.to_string())
        .bind(tag)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // Tagging twice is no change, and writes no audit line.
        if added > 0 {
            sqlx::query(TOUCH_CONVERSATION)
                .bind(id.to_string())
                .bind(Timestamp::now().millis())
                .execute(&mut *tx)
                .await?;
            insert_audit(&mut tx, &audit).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn untag_conversation(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
        tag: &str,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        let change = sqlx::query(
            "DELETE FROM conversation_tags WHERE workspace_id = $1 AND conversation_id = $2 AND tag = $3",
        )
        .bind(workspace.to_string())
        .bind(id.to_string())
        .bind(tag);
        let then = [(TOUCH_CONVERSATION, id.to_string())];
        audited_change(self.write().await?, change, &then, &audit).await
    }

    async fn conversation_tags(&self, workspace: WorkspaceId) -> StoreResult<Vec<(String, u64)>> {
        let rows = sqlx::query(
            "SELECT tag, COUNT(*) AS n FROM conversation_tags WHERE workspace_id = $1 GROUP BY tag ORDER BY tag",
        )
        .bind(workspace.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("tag")?, count_of(r, "n")?)))
            .collect()
    }

    async fn add_note(
        &self,
        workspace: WorkspaceId,
        note: Note,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let added = sqlx::query(
            "INSERT INTO conversation_notes (id, workspace_id, conversation_id, author_id, author_label, text, created_at)
             SELECT $1, workspace_id, id, $4, $5, $6, $7 FROM conversations WHERE workspace_id = $2 AND id = $3",
        )
        .bind(note.id.to_string())
        .bind(workspace.to_string())
        .bind(note.conversation_id.to_string())
        .bind(note.author_id.map(|u| u.to_string()))
        .bind(&note.author_label)
        .bind(&note.text)
        .bind(note.created_at.millis())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if added == 0 {
            return Ok(false);
        }
        sqlx::query(TOUCH_CONVERSATION)
            .bind(note.conversation_id.to_string())
            .bind(Timestamp::now().millis())
            .execute(&mut *tx)
            .await?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn conversation_notes(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
    ) -> StoreResult<Vec<Note>> {
        let rows = sqlx::query(
            "SELECT id, conversation_id, author_id, author_label, text, created_at FROM conversation_notes
             WHERE workspace_id = $1 AND conversation_id = $2 ORDER BY created_at, id",
        )
        .bind(workspace.to_string())
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(note_from).collect()
    }

    async fn touch_presence(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
        user: UserId,
        replying: bool,
        until: Timestamp,
    ) -> StoreResult<()> {
        // Through the conversation: another workspace's conversation takes no presence.
        sqlx::query(
            "INSERT INTO conversation_presence (conversation_id, user_id, replying, until)
             SELECT id, $3, $4, $5 FROM conversations WHERE workspace_id = $1 AND id = $2
             ON CONFLICT (conversation_id, user_id) DO UPDATE SET replying = excluded.replying, until = excluded.until",
        )
        .bind(workspace.to_string())
        .bind(id.to_string())
        .bind(user.to_string())
        .bind(replying)
        .bind(until.millis())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn presence(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
        now: Timestamp,
    ) -> StoreResult<Vec<Presence>> {
        let rows = sqlx::query(
            "SELECT p.user_id, u.name, p.replying FROM conversation_presence p
             JOIN conversations c ON c.id = p.conversation_id
             JOIN users u ON u.id = p.user_id
             WHERE c.workspace_id = $1 AND p.conversation_id = $2 AND p.until > $3
             ORDER BY u.name, p.user_id",
        )
        .bind(workspace.to_string())
        .bind(id.to_string())
        .bind(now.millis())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Presence {
                    user_id: parse("user id", r.try_get("user_id")?)?,
                    user_name: r.try_get("name")?,
                    replying: r.try_get("replying")?,
                })
            })
            .collect()
    }

    async fn set_message_network_state(
        &self,
        workspace: WorkspaceId,
        message: InboxMessageId,
        state: NetworkState,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        let change = sqlx::query(
            "UPDATE inbox_messages SET network_state = $3 WHERE workspace_id = $1 AND id = $2 AND direction = 'in'",
        )
        .bind(workspace.to_string())
        .bind(message.to_string())
        .bind(state.as_str());
        let then = [(TOUCH_CONVERSATION_OF_MESSAGE, message.to_string())];
        audited_change(self.write().await?, change, &then, &audit).await
    }

    async fn contact(&self, workspace: WorkspaceId, id: ContactId) -> StoreResult<Option<Contact>> {
        let sql = format!("SELECT {CONTACT_COLS} FROM contacts k WHERE k.workspace_id = $1 AND k.id = $2");
        let found = self
            .listening_row(&sql, workspace, id.to_string(), contact_from)
            .await?;
        let Some(found) = found else { return Ok(None) };
        let mut found = [found];
        self.add_contact_accounts(&mut found).await?;
        let [contact] = found;
        Ok(Some(contact))
    }

    async fn contacts(
        &self,
        workspace: WorkspaceId,
        search: &str,
        limit: u32,
    ) -> StoreResult<Vec<Contact>> {
        let mut q = DynSql::new(&format!("SELECT {CONTACT_COLS} FROM contacts k WHERE TRUE"));
        q.and("k.workspace_id = ?", DynArg::Text(workspace.to_string()));
        let search = search.trim();
        if !search.is_empty() {
            let p = q.arg(DynArg::Text(contains_pattern(search)));
            q.push(&format!(
                " AND (LOWER(k.name) LIKE {p} ESCAPE '\\' OR EXISTS (SELECT 1 FROM contact_accounts ca
                    WHERE ca.contact_id = k.id AND LOWER(ca.handle) LIKE {p} ESCAPE '\\'))"
            ));
        }
        let limit = q.arg(DynArg::Int(i64::from(limit)));
        q.push(&format!(" ORDER BY k.name, k.id LIMIT {limit}"));
        let rows = q.query().fetch_all(&self.pool).await?;
        let mut found = rows
            .iter()
            .map(contact_from)
            .collect::<StoreResult<Vec<_>>>()?;
        self.add_contact_accounts(&mut found).await?;
        Ok(found)
    }

    async fn update_contact(
        &self,
        workspace: WorkspaceId,
        id: ContactId,
        name: &str,
        note: Option<&str>,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        let change = sqlx::query(
            "UPDATE contacts SET name = $3, note = $4, updated_at = $5 WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace.to_string())
        .bind(id.to_string())
        .bind(name)
        .bind(note)
        .bind(Timestamp::now().millis());
        let then = [(TOUCH_CONVERSATIONS_OF_CONTACT, id.to_string())];
        audited_change(self.write().await?, change, &then, &audit).await
    }

    async fn merge_contacts(
        &self,
        workspace: WorkspaceId,
        kept: ContactId,
        absorbed: ContactId,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        if kept == absorbed {
            return Ok(false);
        }
        let mut tx = self.write().await?;
        for id in [kept, absorbed] {
            if !listening_row_in_workspace(&mut tx, "contacts", workspace, id.to_string()).await? {
                return Ok(false);
            }
        }
        sqlx::query(
            "UPDATE conversations SET contact_id = $1, updated_at = $3 WHERE contact_id = $2",
        )
        .bind(kept.to_string())
        .bind(absorbed.to_string())
        .bind(Timestamp::now().millis())
        .execute(&mut *tx)
        .await?;
        for sql in [
            "UPDATE contact_accounts SET contact_id = $1 WHERE contact_id = $2",
            "UPDATE inbox_messages SET contact_id = $1 WHERE contact_id = $2",
            // What the team wrote about the absorbed one is not lost when the kept has nothing.
            "UPDATE contacts SET note = (SELECT note FROM contacts WHERE id = $2) WHERE id = $1 AND note IS NULL",
            "DELETE FROM contacts WHERE id = $2",
        ] {
            sqlx::query(sql)
                .bind(kept.to_string())
                .bind(absorbed.to_string())
                .execute(&mut *tx)
                .await?;
        }
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn canned_replies(&self, workspace: WorkspaceId) -> StoreResult<Vec<CannedReply>> {
        let sql = format!(
            "SELECT {CANNED_REPLY_COLS} FROM canned_replies WHERE workspace_id = $1 ORDER BY name, lang, id"
        );
        self.listening_rows(&sql, workspace, canned_reply_from).await
    }

    async fn create_canned_reply(
        &self,
        workspace: WorkspaceId,
        reply: NewCannedReply,
        audit: AuditEvent,
    ) -> StoreResult<CannedReply> {
        let now = Timestamp::now();
        let tx = self.write().await?;
        let insert = sqlx::query(
            "INSERT INTO canned_replies (id, workspace_id, name, lang, body, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(reply.id.to_string())
        .bind(workspace.to_string())
        .bind(&reply.name)
        .bind(&reply.lang)
        .bind(&reply.body)
        .bind(reply.created_by.map(|u| u.to_string()))
        .bind(now.millis());
        insert_audited(tx, insert, &audit).await?;
        Ok(CannedReply {
            id: reply.id,
            workspace_id: workspace,
            name: reply.name,
            lang: reply.lang,
            body: reply.body,
            updated_at: now,
        })
    }

    async fn update_canned_reply(
        &self,
        workspace: WorkspaceId,
        id: CannedReplyId,
        name: &str,
        lang: &str,
        body: &str,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        let change = sqlx::query(
            "UPDATE canned_replies SET name = $3, lang = $4, body = $5, updated_at = $6 WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace.to_string())
        .bind(id.to_string())
        .bind(name)
        .bind(lang)
        .bind(body)
        .bind(Timestamp::now().millis());
        audited_change(self.write().await?, change, &[], &audit).await
    }

    async fn delete_canned_reply(
        &self,
        workspace: WorkspaceId,
        id: CannedReplyId,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        let change = sqlx::query("DELETE FROM canned_replies WHERE workspace_id = $1 AND id = $2")
            .bind(workspace.to_string())
            .bind(id.to_string());
        audited_change(self.write().await?, change, &[], &audit).await
    }

    async fn inbox_columns(
        &self,
        workspace: WorkspaceId,
        user: UserId,
    ) -> StoreResult<Vec<InboxColumn>> {
        let rows = sqlx::query(&format!(
            "SELECT {INBOX_COLUMN_COLS} FROM inbox_columns
             WHERE workspace_id = $1 AND (user_id IS NULL OR user_id = $2) ORDER BY position, id"
        ))
        .bind(workspace.to_string())
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(inbox_column_from).collect()
    }

    async fn create_inbox_column(
        &self,
        workspace: WorkspaceId,
        column: NewInboxColumn,
        audit: AuditEvent,
    ) -> StoreResult<InboxColumn> {
        let mut tx = self.write().await?;
        let position = Self::next_position(&mut tx, "inbox_columns", workspace).await?;
        let insert = sqlx::query(
            "INSERT INTO inbox_columns (id, workspace_id, user_id, name, filter, position, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(column.id.to_string())
        .bind(workspace.to_string())
        .bind(column.user_id.map(|u| u.to_string()))
        .bind(&column.name)
        .bind(to_json(&column.filter)?)
        .bind(position)
        .bind(Timestamp::now().millis());
        insert_audited(tx, insert, &audit).await?;
        Ok(InboxColumn {
            id: column.id,
            workspace_id: workspace,
            user_id: column.user_id,
            name: column.name,
            filter: column.filter,
            position,
        })
    }

    async fn delete_inbox_column(
        &self,
        workspace: WorkspaceId,
        id: InboxColumnId,
        user: UserId,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        let change = sqlx::query(
            "DELETE FROM inbox_columns WHERE workspace_id = $1 AND id = $2 AND (user_id IS NULL OR user_id = $3)",
        )
        .bind(workspace.to_string())
        .bind(id.to_string())
        .bind(user.to_string());
        audited_change(self.write().await?, change, &[], &audit).await
    }

    async fn inbox_settings(&self, workspace: WorkspaceId) -> StoreResult<InboxSettings> {
        let row = sqlx::query(
            "SELECT first_response_minutes, resolution_minutes, approve_contributor_replies, netiquette, netiquette_public
             FROM inbox_settings WHERE workspace_id = $1",
        )
        .bind(workspace.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else {
            return Ok(InboxSettings::default());
        };
        Ok(InboxSettings {
            first_response_minutes: opt_u32_of(&r, "first_response_minutes")?,
            resolution_minutes: opt_u32_of(&r, "resolution_minutes")?,
            approve_contributor_replies: r.try_get("approve_contributor_replies")?,
            netiquette: r.try_get("netiquette")?,
            netiquette_public: r.try_get("netiquette_public")?,
        })
    }

    async fn save_inbox_settings(
        &self,
        workspace: WorkspaceId,
        settings: &InboxSettings,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO inbox_settings (workspace_id, first_response_minutes, resolution_minutes, approve_contributor_replies,
                netiquette, netiquette_public, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (workspace_id) DO UPDATE SET first_response_minutes = excluded.first_response_minutes,
                resolution_minutes = excluded.resolution_minutes,
                approve_contributor_replies = excluded.approve_contributor_replies,
                netiquette = excluded.netiquette, netiquette_public = excluded.netiquette_public,
                updated_at = excluded.updated_at",
        )
        .bind(workspace.to_string())
        .bind(settings.first_response_minutes.map(i64::from))
        .bind(settings.resolution_minutes.map(i64::from))
        .bind(settings.approve_contributor_replies)
        .bind(&settings.netiquette)
        .bind(settings.netiquette_public)
        .bind(Timestamp::now().millis())
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn moderation_rules(
        &self,
        workspace: WorkspaceId,
    ) -> StoreResult<Vec<ModerationRuleRow>> {
        let sql = format!(
            "SELECT {MODERATION_RULE_COLS} FROM moderation_rules WHERE workspace_id = $1 ORDER BY position, id"
        );
        self.listening_rows(&sql, workspace, moderation_rule_from).await
    }

    async fn create_moderation_rule(
        &self,
        workspace: WorkspaceId,
        rule: NewModerationRule,
        audit: AuditEvent,
    ) -> StoreResult<ModerationRuleRow> {
        let now = Timestamp::now();
        let mut tx = self.write().await?;
        let position = Self::next_position(&mut tx, "moderation_rules", workspace).await?;
        let insert = sqlx::query(
            "INSERT INTO moderation_rules (id, workspace_id, name, rule, enabled, position, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(rule.id.to_string())
        .bind(workspace.to_string())
        .bind(&rule.name)
        .bind(rule.rule.to_string())
        .bind(rule.enabled)
        .bind(position)
        .bind(rule.created_by.map(|u| u.to_string()))
        .bind(now.millis());
        insert_audited(tx, insert, &audit).await?;
        Ok(ModerationRuleRow {
            id: rule.id,
            workspace_id: workspace,
            name: rule.name,
            rule: rule.rule,
            enabled: rule.enabled,
            position,
            updated_at: now,
        })
    }

    async fn update_moderation_rule(
        &self,
        workspace: WorkspaceId,
        id: ModerationRuleId,
        name: &str,
        rule: &serde_json::Value,
        enabled: bool,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        let change = sqlx::query(
            "UPDATE moderation_rules SET name = $3, rule = $4, enabled = $5, updated_at = $6 WHERE workspace_id = $1 AND id = $2",
        )
        .bind(workspace.to_string())
        .bind(id.to_string())
        .bind(name)
        .bind(rule.to_string())
        .bind(enabled)
        .bind(Timestamp::now().millis());
        audited_change(self.write().await?, change, &[], &audit).await
    }

    async fn delete_moderation_rule(
        &self,
        workspace: WorkspaceId,
        id: ModerationRuleId,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        let change = sqlx::query("DELETE FROM moderation_rules WHERE workspace_id = $1 AND id = $2")
            .bind(workspace.to_string())
            .bind(id.to_string());
        audited_change(self.write().await?, change, &[], &audit).await
    }

    async fn reviews(
        &self,
        workspace: WorkspaceId,
        status: ReviewStatus,
        limit: u32,
    ) -> StoreResult<Vec<Review>> {
        self.reviews_where(
            "WHERE r.workspace_id = $1 AND r.status = $2 ORDER BY r.created_at, r.id LIMIT $3",
            vec![
                DynArg::Text(workspace.to_string()),
                DynArg::Text(status.as_str().to_owned()),
                DynArg::Int(i64::from(limit)),
            ],
        )
        .await
    }

    async fn review(&self, workspace: WorkspaceId, id: ReviewId) -> StoreResult<Option<Review>> {
        let found = self
            .reviews_where(
                "WHERE r.workspace_id = $1 AND r.id = $2",
                vec![
                    DynArg::Text(workspace.to_string()),
                    DynArg::Text(id.to_string()),
                ],
            )
            .await?;
        Ok(found.into_iter().next())
    }

    async fn decide_review(
        &self,
        workspace: WorkspaceId,
        id: ReviewId,
        status: ReviewStatus,
        by: UserId,
        at: Timestamp,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        // "Pending" is no decision.
        if status == ReviewStatus::Pending {
            return Ok(false);
        }
        let change = sqlx::query(
            "UPDATE moderation_reviews SET status = $3, decided_by = $4, decided_at = $5
             WHERE workspace_id = $1 AND id = $2 AND status = 'pending'",
        )
        .bind(workspace.to_string())
        .bind(id.to_string())
        .bind(status.as_str())
        .bind(by.to_string())
        .bind(at.millis());
        audited_change(self.write().await?, change, &[], &audit).await
    }

    async fn sla_samples(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
    ) -> StoreResult<Vec<SlaSample>> {
        let rows = sqlx::query(
            "SELECT id, channel_id, assignee_id, status, first_inbound_at, first_response_at, awaiting_since, closed_at
             FROM conversations WHERE workspace_id = $1 AND first_inbound_at >= $2
             ORDER BY first_inbound_at, id",
        )
        .bind(workspace.to_string())
        .bind(since.millis())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(sla_sample_from).collect()
    }
}
