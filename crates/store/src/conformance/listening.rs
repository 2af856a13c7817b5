//! Conformance scenarios of [`crate::ListeningStore`].

use std::collections::HashSet;
use std::sync::Arc;

use relais_core::audit::AuditEvent;
use relais_core::{
    AlertEventId, AlertRuleId, ListenQueryId, ListenSourceId, MentionId, Timestamp, WorkspaceId,
};

use super::planning::two_workspaces;
use super::{audit, channel_in};
use crate::listening::{
    AlertKind, AlertRule, Delivery, ListenSource, Mention, MentionFilter, NewAlertEvent,
    NewAlertRule, NewListenQuery, NewListenSource, NewMention, PollState, QueryRole, SealedBytes,
    Sentiment, SeriesPoint, SourceKind, TopAuthor,
};
use crate::{Conflict, Store, StoreError, StoreResult};

const HOUR: i64 = 3_600_000;
/// An hour's start, 2023-11-14T22:00:00Z: the series' buckets start here.
const T0: i64 = 1_700_000_000_000 - 1_700_000_000_000 % HOUR;

fn ws_audit(ws: WorkspaceId, action: &str) -> AuditEvent {
    AuditEvent {
        workspace_id: Some(ws),
        ..audit(action)
    }
}

async fn query(store: &Arc<dyn Store>, ws: WorkspaceId, name: &str) -> ListenQueryId {
    store
        .create_listen_query(
            NewListenQuery {
                id: ListenQueryId::new(),
                workspace_id: ws,
                name: name.into(),
                query: format!("\"{name}\""),
                role: QueryRole::Brand,
                created_by: None,
            },
            ws_audit(ws, "listen_query.create"),
        )
        .await
        .unwrap()
        .id
}

/// The two queries most scenarios watch: "Acme" and "Globex".
async fn two_queries(store: &Arc<dyn Store>, ws: WorkspaceId) -> (ListenQueryId, ListenQueryId) {
    (
        query(store, ws, "Acme").await,
        query(store, ws, "Globex").await,
    )
}

fn new_source(ws: WorkspaceId, kind: SourceKind, target: &str) -> NewListenSource {
    NewListenSource {
        id: ListenSourceId::new(),
        workspace_id: ws,
        kind,
        target: target.into(),
        label: None,
        interval_secs: 900,
        enabled: true,
        channel_id: None,
        created_by: None,
    }
}

/// Creates a source, audited as a person's; the answer is left to check (refusals included).
async fn add_source(store: &Arc<dyn Store>, source: NewListenSource) -> StoreResult<ListenSource> {
    let ws = source.workspace_id;
    store
        .create_listen_source(source, ws_audit(ws, "listen_source.create"))
        .await
}

/// A neutral feed mention of `key` counting at `at` (ms), matching `queries`.
fn mention(ws: WorkspaceId, key: &str, at: i64, queries: &[ListenQueryId]) -> NewMention {
    NewMention {
        id: MentionId::new(),
        workspace_id: ws,
        source_id: None,
        source_kind: SourceKind::Feed,
        key: key.into(),
        url: Some(format!("https://news.example/{key}")),
        title: None,
        text: format!("Text of {key}"),
        author: None,
        reach: None,
        site: Some("news.example".into()),
        lang: None,
        sentiment: Sentiment::Neutral,
        score_milli: 0,
        fingerprint: None,
        duplicate_of: None,
        at: Timestamp::from_millis(at),
        found_at: Timestamp::from_millis(at + 1_000),
        query_ids: queries.to_vec(),
    }
}

/// Stores mentions that must all be new; returns their ids.
async fn insert_new(store: &Arc<dyn Store>, mentions: Vec<NewMention>) -> Vec<MentionId> {
    let n = mentions.len();
    let stored: Vec<MentionId> = store
        .insert_mentions(mentions)
        .await
        .unwrap()
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(stored.len(), n, "every mention was new");
    stored
}

fn new_rule(
    ws: WorkspaceId,
    name: &str,
    kind: AlertKind,
    query: Option<ListenQueryId>,
) -> NewAlertRule {
    NewAlertRule {
        id: AlertRuleId::new(),
        workspace_id: ws,
        name: name.into(),
        kind,
        query_id: query,
        keywords: (kind == AlertKind::Keyword).then(|| "crise OR boycott".to_owned()),
        k_milli: 3_000,
        min_mentions: 5,
        delivery: Delivery::Instant,
        email: Some("cm@example.org".into()),
        webhook_url: None,
        webhook_secret: None,
        enabled: true,
        created_by: None,
    }
}

/// Creates an alert rule, audited as a person's; the answer is left to check.
async fn add_rule(store: &Arc<dyn Store>, rule: NewAlertRule) -> StoreResult<AlertRule> {
    let ws = rule.workspace_id;
    store
        .create_alert_rule(rule, ws_audit(ws, "alert_rule.create"))
        .await
}

fn spike(ws: WorkspaceId, rule: AlertRuleId, bucket: i64, fired_at: i64) -> NewAlertEvent {
    NewAlertEvent {
        workspace_id: ws,
        rule_id: rule,
        fired_at: Timestamp::from_millis(fired_at),
        summary: "42 mentions in the hour, usually 6".into(),
        value_milli: 42_000,
        threshold_milli: 12_500,
        bucket_start: Some(Timestamp::from_millis(bucket)),
        mention_id: None,
    }
}

fn keyword_hit(
    ws: WorkspaceId,
    rule: AlertRuleId,
    mention: MentionId,
    fired_at: i64,
) -> NewAlertEvent {
    NewAlertEvent {
        workspace_id: ws,
        rule_id: rule,
        fired_at: Timestamp::from_millis(fired_at),
        summary: "« boycott » in a new mention".into(),
        value_milli: 0,
        threshold_milli: 0,
        bucket_start: None,
        mention_id: Some(mention),
    }
}

/// Every mention, muted ones and duplicates included.
fn everything() -> MentionFilter {
    MentionFilter {
        include_muted: true,
        include_duplicates: true,
        ..MentionFilter::default()
    }
}

/// `[T0, T0 + 1 h)`.
fn first_hour() -> (Timestamp, Timestamp) {
    (
        Timestamp::from_millis(T0),
        Timestamp::from_millis(T0 + HOUR),
    )
}

/// The answer of a call that names another workspace's row (or none): not found.
#[track_caller]
fn assert_not_found<T: std::fmt::Debug>(answer: &StoreResult<T>) {
    assert!(matches!(answer, Err(StoreError::NotFound(_))), "{answer:?}");
}

/// The answer of a create whose name or target the workspace has already.
#[track_caller]
fn assert_taken<T: std::fmt::Debug>(answer: &StoreResult<T>) {
    assert!(
        matches!(answer, Err(StoreError::Conflict(Conflict::Other))),
        "{answer:?}"
    );
}

fn ids(mentions: &[Mention]) -> Vec<MentionId> {
    mentions.iter().map(|m| m.id).collect()
}

async fn audit_lines(store: &Arc<dyn Store>, ws: WorkspaceId) -> usize {
    store.audit_log(Some(ws), None, 1_000).await.unwrap().len()
}

pub async fn listening_stays_in_its_workspace(store: Arc<dyn Store>) {
    let (a, b) = two_workspaces(&store).await;
    let q = query(&store, a, "Acme").await;
    let c = channel_in(&store, a, "Bluesky").await;
    let source = add_source(
        &store,
        NewListenSource {
            channel_id: Some(c),
            ..new_source(a, SourceKind::Bluesky, "acme")
        },
    )
    .await
    .unwrap();
    let m = insert_new(
        &store,
        vec![NewMention {
            source_id: Some(source.id),
            fingerprint: Some(7),
            author: Some("alice".into()),
            ..mention(a, "k1", T0, &[q])
        }],
    )
    .await[0];
    assert!(
        store
            .tag_mention(a, m, "crise", ws_audit(a, "mention.tag"))
            .await
            .unwrap()
    );
    let rule = add_rule(&store, new_rule(a, "Pics", AlertKind::VolumeSpike, Some(q)))
        .await
        .unwrap();
    let event = store
        .record_alert_event(spike(a, rule.id, T0, T0 + HOUR))
        .await
        .unwrap();
    assert!(event.is_some());

    // Workspace B sees none of it, and changes none of it.
    assert!(store.listen_queries(b).await.unwrap().is_empty());
    assert_eq!(store.listen_query(b, q).await.unwrap(), None);
    let renamed = store
        .update_listen_query(
            b,
            q,
            "Pirate",
            "pirate",
            QueryRole::Topic,
            ws_audit(b, "listen_query.update"),
        )
        .await
        .unwrap();
    assert_eq!(renamed, None);
    assert!(
        !store
            .delete_listen_query(b, q, ws_audit(b, "listen_query.delete"))
            .await
            .unwrap()
    );
    assert!(store.listen_sources(b).await.unwrap().is_empty());
    assert_eq!(store.listen_source(b, source.id).await.unwrap(), None);
    assert!(
        !store
            .set_listen_source_enabled(b, source.id, false, ws_audit(b, "x"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .update_listen_source(b, source.id, Some("B's"), 60, ws_audit(b, "x"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_listen_source(b, source.id, ws_audit(b, "x"))
            .await
            .unwrap()
    );
    assert!(
        store
            .mentions(b, &everything(), 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.mention(b, m).await.unwrap(), None);
    assert!(
        !store
            .set_mention_muted(b, m, true, ws_audit(b, "x"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .tag_mention(b, m, "pirate", ws_audit(b, "x"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .untag_mention(b, m, "crise", ws_audit(b, "x"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .mark_mention_sent_to_inbox(b, m, Timestamp::from_millis(T0), ws_audit(b, "x"))
            .await
            .unwrap()
    );
    assert!(
        store
            .latest_fingerprints(b, Timestamp::from_millis(0), 100)
            .await
            .unwrap()
            .is_empty()
    );
    let (from, to) = first_hour();
    assert!(
        store
            .mention_series(b, None, from, to, HOUR)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .mention_series(b, Some(&[q]), from, to, HOUR)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .top_authors(b, None, from, to, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .mention_texts(b, Some(q), from, to, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.alert_rules(b).await.unwrap().is_empty());
    assert_eq!(store.alert_rule(b, rule.id).await.unwrap(), None);
    assert!(
        !store
            .set_alert_rule_enabled(b, rule.id, false, ws_audit(b, "x"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_alert_rule(b, rule.id, ws_audit(b, "x"))
            .await
            .unwrap()
    );
    assert!(store.alert_events(b, 100).await.unwrap().is_empty());
    let foreign_event = store
        .record_alert_event(spike(b, rule.id, T0 + HOUR, T0 + 2 * HOUR))
        .await;
    assert_not_found(&foreign_event);

    // Nor can B borrow A's channel, query, source or mention.
    let borrowed = NewListenSource {
        channel_id: Some(c),
        ..new_source(b, SourceKind::Bluesky, "acme")
    };
    assert_not_found(&add_source(&store, borrowed).await);
    let borrowed = new_rule(b, "Pics", AlertKind::VolumeSpike, Some(q));
    assert_not_found(&add_rule(&store, borrowed).await);
    let b_rule = add_rule(&store, new_rule(b, "Mots", AlertKind::Keyword, None))
        .await
        .unwrap();
    let foreign_mention = store
        .record_alert_event(keyword_hit(b, b_rule.id, m, T0))
        .await;
    assert_not_found(&foreign_mention);
    // The same key found in B is B's own mention; A's query and source are not attached to it.
    let in_b = insert_new(
        &store,
        vec![NewMention {
            source_id: Some(source.id),
            ..mention(b, "k1", T0, &[q])
        }],
    )
    .await[0];
    let in_b = store.mention(b, in_b).await.unwrap().unwrap();
    assert_eq!((in_b.source_id, in_b.query_ids.len()), (None, 0));
    let matches_table = crate::TABLES
        .iter()
        .find(|t| t.name == "mention_matches")
        .unwrap();
    assert_eq!(
        store.dump_table(matches_table).await.unwrap().len(),
        1,
        "no match row ties B's mention to A's query"
    );

    // A's rows are as they were.
    let kept = store.mention(a, m).await.unwrap().unwrap();
    assert_eq!(
        (kept.tags, kept.query_ids, kept.muted, kept.source_id),
        (vec!["crise".to_owned()], vec![q], false, Some(source.id))
    );
    assert_eq!(
        store.listen_query(a, q).await.unwrap().unwrap().name,
        "Acme"
    );
    assert!(
        store
            .listen_source(a, source.id)
            .await
            .unwrap()
            .unwrap()
            .enabled
    );
    assert!(store.alert_rule(a, rule.id).await.unwrap().unwrap().enabled);
    assert_eq!(store.alert_events(a, 10).await.unwrap().len(), 1);
    assert_eq!(
        store.mentions(a, &everything(), 100).await.unwrap().len(),
        1
    );
    assert_eq!(store.all_listen_queries().await.unwrap().len(), 1);
    assert_eq!(
        store.all_alert_rules().await.unwrap().len(),
        2,
        "the worker sees every workspace's rules"
    );
}

pub async fn listening_changes_by_people_are_audited(store: Arc<dyn Store>) {
    let (a, _) = two_workspaces(&store).await;
    let mut expected = audit_lines(&store, a).await;
    let q = query(&store, a, "Acme").await;
    expected += 1;
    store
        .update_listen_query(
            a,
            q,
            "Acme SA",
            "acme",
            QueryRole::Brand,
            ws_audit(a, "listen_query.update"),
        )
        .await
        .unwrap()
        .unwrap();
    expected += 1;
    let source = add_source(
        &store,
        new_source(a, SourceKind::Feed, "https://news.example/feed"),
    )
    .await
    .unwrap();
    expected += 1;
    assert!(
        store
            .set_listen_source_enabled(a, source.id, false, ws_audit(a, "listen_source.disable"))
            .await
            .unwrap()
    );
    expected += 1;
    assert!(
        store
            .update_listen_source(
                a,
                source.id,
                Some("News"),
                3600,
                ws_audit(a, "listen_source.update")
            )
            .await
            .unwrap()
    );
    expected += 1;
    let updated = store.listen_source(a, source.id).await.unwrap().unwrap();
    assert_eq!(
        (updated.label.as_deref(), updated.interval_secs),
        (Some("News"), 3600)
    );
    assert!(
        store
            .update_listen_source(a, source.id, None, 900, ws_audit(a, "listen_source.update"))
            .await
            .unwrap()
    );
    expected += 1;
    let updated = store.listen_source(a, source.id).await.unwrap().unwrap();
    assert_eq!((updated.label, updated.interval_secs), (None, 900));
    assert_eq!(audit_lines(&store, a).await, expected);

    // The poller's writes are not a person's: no audit lines.
    let poll = PollState {
        next_poll_at: Some(Timestamp::from_millis(T0)),
        ..PollState::default()
    };
    assert!(store.record_poll(source.id, poll).await.unwrap());
    let m = insert_new(&store, vec![mention(a, "k1", T0, &[q])]).await[0];
    let rule = add_rule(&store, new_rule(a, "Mots", AlertKind::Keyword, None))
        .await
        .unwrap();
    expected += 1;
    let event = store
        .record_alert_event(keyword_hit(a, rule.id, m, T0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .mark_alert_events_sent(&[event.id], Timestamp::from_millis(T0))
            .await
            .unwrap(),
        1
    );
    assert!(
        store
            .record_alert_error(event.id, "550 mailbox full")
            .await
            .unwrap()
    );
    assert_eq!(
        audit_lines(&store, a).await,
        expected,
        "polling, mentions and alerts write no audit"
    );

    assert!(
        store
            .set_mention_muted(a, m, true, ws_audit(a, "mention.mute"))
            .await
            .unwrap()
    );
    expected += 1;
    assert!(
        store
            .tag_mention(a, m, "crise", ws_audit(a, "mention.tag"))
            .await
            .unwrap()
    );
    expected += 1;
    assert!(
        store
            .tag_mention(a, m, "crise", ws_audit(a, "mention.tag"))
            .await
            .unwrap(),
        "tagged already"
    );
    assert!(
        store
            .untag_mention(a, m, "crise", ws_audit(a, "mention.untag"))
            .await
            .unwrap()
    );
    expected += 1;
    assert!(
        !store
            .untag_mention(a, m, "crise", ws_audit(a, "mention.untag"))
            .await
            .unwrap()
    );
    let sent = Timestamp::from_millis(T0 + 5);
    assert!(
        store
            .mark_mention_sent_to_inbox(a, m, sent, ws_audit(a, "mention.to_inbox"))
            .await
            .unwrap()
    );
    expected += 1;
    assert!(
        !store
            .mark_mention_sent_to_inbox(a, m, sent, ws_audit(a, "mention.to_inbox"))
            .await
            .unwrap(),
        "a second click sends nothing"
    );
    assert_eq!(
        store.mention(a, m).await.unwrap().unwrap().inbox_sent_at,
        Some(sent)
    );
    assert!(
        store
            .set_alert_rule_enabled(a, rule.id, false, ws_audit(a, "alert_rule.disable"))
            .await
            .unwrap()
    );
    expected += 1;
    assert!(
        store
            .delete_alert_rule(a, rule.id, ws_audit(a, "alert_rule.delete"))
            .await
            .unwrap()
    );
    expected += 1;
    assert!(
        store
            .delete_listen_source(a, source.id, ws_audit(a, "listen_source.delete"))
            .await
            .unwrap()
    );
    expected += 1;
    assert!(
        store
            .delete_listen_query(a, q, ws_audit(a, "listen_query.delete"))
            .await
            .unwrap()
    );
    expected += 1;
    assert_eq!(
        audit_lines(&store, a).await,
        expected,
        "one line per change, none for a no-op"
    );
    let actions: Vec<String> = store
        .audit_log(Some(a), None, 3)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.event.action)
        .collect();
    assert_eq!(
        actions,
        [
            "listen_query.delete",
            "listen_source.delete",
            "alert_rule.delete"
        ]
    );
}

pub async fn a_mention_found_twice_is_stored_once(store: Arc<dyn Store>) {
    let (a, _) = two_workspaces(&store).await;
    let (q1, q2) = two_queries(&store, a).await;
    let feed = add_source(
        &store,
        new_source(a, SourceKind::Feed, "https://one.example/feed"),
    )
    .await
    .unwrap();
    let other_feed = add_source(
        &store,
        new_source(a, SourceKind::Feed, "https://two.example/feed"),
    )
    .await
    .unwrap();
    let high_bits = u64::MAX - 5;
    let first = NewMention {
        source_id: Some(feed.id),
        fingerprint: Some(high_bits),
        reach: Some(1 << 40),
        ..mention(a, "https://news.example/a", T0, &[q1, q1, q2])
    };
    // Two sources find the same item in one batch: stored once.
    let again = NewMention {
        source_id: Some(other_feed.id),
        ..mention(a, "https://news.example/a", T0, &[q1])
    };
    let stored = store
        .insert_mentions(vec![first.clone(), again])
        .await
        .unwrap();
    assert_eq!(stored, vec![Some(first.id), None]);
    let read = store.mention(a, first.id).await.unwrap().unwrap();
    assert_eq!(
        read.fingerprint,
        Some(high_bits),
        "all 64 bits survive the signed column"
    );
    assert_eq!(read.reach, Some(1 << 40));
    assert_eq!(read.source_id, Some(feed.id));
    let mut matched = read.query_ids.clone();
    matched.sort();
    let mut both = vec![q1, q2];
    both.sort();
    assert_eq!(matched, both, "a query named twice matches once");

    // Found again in a later poll: skipped. A near-duplicate naming the skipped one as its first
    // is pointed at the stored first.
    let refound = mention(a, "https://news.example/a", T0 + 10, &[q1]);
    let echo = NewMention {
        duplicate_of: Some(refound.id),
        fingerprint: Some(high_bits ^ 1),
        ..mention(a, "https://social.example/echo", T0 + 20, &[q1])
    };
    let echo_id = echo.id;
    let stored = store.insert_mentions(vec![refound, echo]).await.unwrap();
    assert_eq!(stored, vec![None, Some(echo_id)]);
    assert_eq!(
        store
            .mention(a, echo_id)
            .await
            .unwrap()
            .unwrap()
            .duplicate_of,
        Some(first.id)
    );

    // The same key from another kind of source is another item.
    let toot = NewMention {
        source_kind: SourceKind::Mastodon,
        fingerprint: Some(3),
        ..mention(a, "https://news.example/a", T0 + 30, &[])
    };
    let toot_id = toot.id;
    assert_eq!(
        store.insert_mentions(vec![toot]).await.unwrap(),
        vec![Some(toot_id)]
    );
    assert!(store.insert_mentions(vec![]).await.unwrap().is_empty());

    let everything = MentionFilter {
        include_duplicates: true,
        ..MentionFilter::default()
    };
    assert_eq!(store.mentions(a, &everything, 100).await.unwrap().len(), 3);
    // The folder warms up on firsts only, oldest first, the latest `limit` of them.
    let since = Timestamp::from_millis(T0);
    assert_eq!(
        store.latest_fingerprints(a, since, 10).await.unwrap(),
        vec![(first.id, high_bits), (toot_id, 3)]
    );
    assert_eq!(
        store.latest_fingerprints(a, since, 1).await.unwrap(),
        vec![(toot_id, 3)]
    );
    assert!(
        store
            .latest_fingerprints(a, Timestamp::from_millis(T0 + HOUR), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// One of the generated mentions of [`mention_filters_and_pages_miss_nothing`], with what the
/// filters look at.
struct Made {
    id: MentionId,
    at: i64,
    sentiment: Sentiment,
    lang: &'static str,
    kind: SourceKind,
    author: String,
    tagged: bool,
    matches_q1: bool,
    muted: bool,
    duplicate: bool,
    text: String,
    found_at: i64,
}

pub async fn mention_filters_and_pages_miss_nothing(store: Arc<dyn Store>) {
    let (a, _) = two_workspaces(&store).await;
    let (q1, q2) = two_queries(&store, a).await;
    let mut made = Vec::new();
    let mut batch: Vec<NewMention> = Vec::new();
    for i in 0..30usize {
        // Four mentions share each `at`: pages must break ties by id.
        let at = T0 + (i / 4) as i64 * 60_000;
        let text = match i {
            10 => "Promo: 100% OFF at Acme".to_owned(),
            11 => "1000 ACME fans".to_owned(),
            _ => format!("Post {i} about the brand"),
        };
        let mut queries = Vec::new();
        if i % 2 == 0 {
            queries.push(q1);
        }
        if i % 3 == 0 {
            queries.push(q2);
        }
        let m = NewMention {
            sentiment: Sentiment::ALL[i % 3],
            lang: Some(if i % 2 == 0 { "fr" } else { "en" }.into()),
            source_kind: if i % 5 == 0 {
                SourceKind::Bluesky
            } else {
                SourceKind::Feed
            },
            author: Some(format!("author{}", i % 4)),
            text: text.clone(),
            duplicate_of: (i == 7).then(|| batch[0].id),
            // Found in another order than published (a feed's old items found late).
            found_at: Timestamp::from_millis(T0 + (29 - i as i64) * 1000),
            ..mention(a, &format!("key{i}"), at, &queries)
        };
        made.push(Made {
            id: m.id,
            at,
            sentiment: m.sentiment,
            lang: if i % 2 == 0 { "fr" } else { "en" },
            kind: m.source_kind,
            author: format!("author{}", i % 4),
            tagged: i % 6 == 0,
            matches_q1: i % 2 == 0,
            muted: i == 3 || i == 12,
            duplicate: i == 7,
            text,
            found_at: T0 + (29 - i as i64) * 1000,
        });
        batch.push(m);
    }
    insert_new(&store, batch).await;
    for m in &made {
        if m.tagged {
            assert!(
                store
                    .tag_mention(a, m.id, "à suivre", ws_audit(a, "mention.tag"))
                    .await
                    .unwrap()
            );
        }
        if m.muted {
            assert!(
                store
                    .set_mention_muted(a, m.id, true, ws_audit(a, "mention.mute"))
                    .await
                    .unwrap()
            );
        }
    }
    // What a filter should find, newest first: computed here from the same generated set.
    let expect = |keep: &dyn Fn(&Made) -> bool| -> Vec<MentionId> {
        let mut kept: Vec<&Made> = made.iter().filter(|m| keep(m)).collect();
        kept.sort_by_key(|m| std::cmp::Reverse((m.at, m.id)));
        kept.into_iter().map(|m| m.id).collect()
    };
    let shown = |m: &Made| !m.muted && !m.duplicate;
    let list = |filter: MentionFilter| {
        let store = store.clone();
        async move { ids(&store.mentions(a, &filter, 100).await.unwrap()) }
    };

    assert_eq!(list(MentionFilter::default()).await, expect(&shown));
    let everything = everything();
    assert_eq!(list(everything.clone()).await, expect(&|_| true));
    assert_eq!(
        list(MentionFilter {
            include_muted: true,
            ..MentionFilter::default()
        })
        .await,
        expect(&|m| !m.duplicate)
    );
    assert_eq!(
        list(MentionFilter {
            include_duplicates: true,
            ..MentionFilter::default()
        })
        .await,
        expect(&|m| !m.muted)
    );
    assert_eq!(
        list(MentionFilter {
            query: Some(q1),
            ..MentionFilter::default()
        })
        .await,
        expect(&|m| shown(m) && m.matches_q1)
    );
    assert_eq!(
        list(MentionFilter {
            sentiment: Some(Sentiment::Negative),
            ..MentionFilter::default()
        })
        .await,
        expect(&|m| shown(m) && m.sentiment == Sentiment::Negative)
    );
    assert_eq!(
        list(MentionFilter {
            lang: Some("en".into()),
            ..MentionFilter::default()
        })
        .await,
        expect(&|m| shown(m) && m.lang == "en")
    );
    assert_eq!(
        list(MentionFilter {
            source_kind: Some(SourceKind::Bluesky),
            ..MentionFilter::default()
        })
        .await,
        expect(&|m| shown(m) && m.kind == SourceKind::Bluesky)
    );
    assert_eq!(
        list(MentionFilter {
            author: Some("author2".into()),
            ..MentionFilter::default()
        })
        .await,
        expect(&|m| shown(m) && m.author == "author2")
    );
    let (from, to) = (T0 + 2 * 60_000, T0 + 5 * 60_000);
    assert_eq!(
        list(MentionFilter {
            from: Some(Timestamp::from_millis(from)),
            to: Some(Timestamp::from_millis(to)),
            ..MentionFilter::default()
        })
        .await,
        expect(&|m| shown(m) && m.at >= from && m.at < to)
    );
    assert_eq!(
        list(MentionFilter {
            tag: Some("à suivre".into()),
            ..MentionFilter::default()
        })
        .await,
        expect(&|m| shown(m) && m.tagged)
    );
    // What was found after a moment (the stream's live count), whenever it was published.
    assert_eq!(
        list(MentionFilter {
            found_after: Some(Timestamp::from_millis(T0 + 10_000)),
            ..MentionFilter::default()
        })
        .await,
        expect(&|m| shown(m) && m.found_at > T0 + 10_000)
    );
    // Text: any case of ASCII letters; `%` and `_` are themselves, not wildcards.
    assert_eq!(
        list(MentionFilter {
            text: Some("acme".into()),
            ..MentionFilter::default()
        })
        .await,
        expect(&|m| shown(m) && m.text.to_lowercase().contains("acme"))
    );
    let percent = list(MentionFilter {
        text: Some("100%".into()),
        ..MentionFilter::default()
    })
    .await;
    assert_eq!(percent, expect(&|m| shown(m) && m.text.contains("100%")));
    assert_eq!(percent.len(), 1, "`1000` does not match `100%`");
    assert!(
        list(MentionFilter {
            text: Some("10_".into()),
            ..MentionFilter::default()
        })
        .await
        .is_empty()
    );
    // Filters combine.
    assert_eq!(
        list(MentionFilter {
            query: Some(q1),
            lang: Some("fr".into()),
            sentiment: Some(Sentiment::Positive),
            ..everything.clone()
        })
        .await,
        expect(&|m| m.matches_q1 && m.lang == "fr" && m.sentiment == Sentiment::Positive)
    );

    // Paging by (at, id), three at a time across ties: every mention once, in order.
    let mut paged = Vec::new();
    let mut before = None;
    for _ in 0..=made.len() {
        let page = store
            .mentions(
                a,
                &MentionFilter {
                    before,
                    ..everything.clone()
                },
                3,
            )
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        // (Bounded: a page that repeated itself would otherwise loop for ever.)
        assert!(page.len() <= 3);
        before = page.last().map(|m| (m.at, m.id));
        paged.extend(ids(&page));
    }
    assert_eq!(paged, expect(&|_| true), "no mention missed or repeated");
    assert_eq!(paged.iter().collect::<HashSet<_>>().len(), 30);

    // A listed mention carries its tags and queries.
    let first = &store
        .mentions(
            a,
            &MentionFilter {
                tag: Some("à suivre".into()),
                ..everything
            },
            1,
        )
        .await
        .unwrap()[0];
    assert_eq!(first.tags, vec!["à suivre".to_owned()]);
    assert!(
        first.query_ids.contains(&q1) && first.query_ids.contains(&q2),
        "{first:?}"
    );
}

fn point(
    query: Option<ListenQueryId>,
    bucket: i64,
    [negative, neutral, positive]: [u64; 3],
) -> SeriesPoint {
    SeriesPoint {
        query_id: query,
        bucket_start: Timestamp::from_millis(bucket),
        total: negative + neutral + positive,
        negative,
        neutral,
        positive,
    }
}

pub async fn series_count_buckets_without_duplicates_or_muted(store: Arc<dyn Store>) {
    let (a, b) = two_workspaces(&store).await;
    let (q1, q2) = two_queries(&store, a).await;
    let at = |minutes: i64| T0 + minutes * 60_000;
    let with =
        |key: &str, minute: i64, sentiment: Sentiment, queries: &[ListenQueryId]| NewMention {
            sentiment,
            ..mention(a, key, at(minute), queries)
        };
    let first = with("a", 10, Sentiment::Negative, &[q1, q2]);
    let duplicate = NewMention {
        duplicate_of: Some(first.id),
        ..with("b", 20, Sentiment::Negative, &[q1])
    };
    let batch = vec![
        first.clone(),
        duplicate,
        with("c", 20, Sentiment::Positive, &[q1]),
        with("d", 59, Sentiment::Neutral, &[q1]),
        // The first millisecond of the second hour is in the second bucket.
        with("e", 60, Sentiment::Negative, &[q1]),
        with("f", 90, Sentiment::Negative, &[q1]),
        with("g", 200, Sentiment::Positive, &[q2]),
        // Outside [from, to): before it, and at `to`.
        with("h", -1, Sentiment::Negative, &[q1]),
        with("i", 240, Sentiment::Negative, &[q1]),
        // Matches nothing: only in the series of every mention.
        with("j", 30, Sentiment::Positive, &[]),
    ];
    let ids = insert_new(&store, batch).await;
    assert!(
        store
            .set_mention_muted(a, ids[5], true, ws_audit(a, "mention.mute"))
            .await
            .unwrap()
    );
    insert_new(
        &store,
        vec![NewMention {
            sentiment: Sentiment::Negative,
            ..mention(b, "z", at(10), &[])
        }],
    )
    .await;

    let (from, to) = (Timestamp::from_millis(T0), Timestamp::from_millis(at(240)));
    let per_query = store
        .mention_series(a, Some(&[q1, q2]), from, to, HOUR)
        .await
        .unwrap();
    let mut expected = vec![
        point(Some(q1), T0, [1, 1, 1]),
        point(Some(q2), T0, [1, 0, 0]),
        point(Some(q1), T0 + HOUR, [1, 0, 0]),
        point(Some(q2), T0 + 3 * HOUR, [0, 0, 1]),
    ];
    // Oldest first, then by query (ids as text).
    expected.sort_by_key(|p| (p.bucket_start, p.query_id.map(|q| q.to_string())));
    assert_eq!(per_query, expected);
    assert_eq!(
        store
            .mention_series(a, Some(&[q2]), from, to, HOUR)
            .await
            .unwrap(),
        vec![
            point(Some(q2), T0, [1, 0, 0]),
            point(Some(q2), T0 + 3 * HOUR, [0, 0, 1])
        ]
    );
    // Every mention once, matched or not, whatever the number of queries it matched.
    assert_eq!(
        store.mention_series(a, None, from, to, HOUR).await.unwrap(),
        vec![
            point(None, T0, [1, 1, 2]),
            point(None, T0 + HOUR, [1, 0, 0]),
            point(None, T0 + 3 * HOUR, [0, 0, 1]),
        ]
    );
    // Buckets start at `from`, whatever it is: two-hour buckets from minute 30.
    assert_eq!(
        store
            .mention_series(a, None, Timestamp::from_millis(at(30)), to, 2 * HOUR)
            .await
            .unwrap(),
        vec![
            point(None, at(30), [1, 1, 1]),
            point(None, at(150), [0, 0, 1])
        ]
    );
    assert!(
        store
            .mention_series(a, Some(&[]), from, to, HOUR)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .mention_series(a, None, to, from, HOUR)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store.mention_series(a, None, from, to, 0).await.is_err(),
        "a bucket lasts"
    );
}

pub async fn top_authors_and_texts_count_the_same_mentions(store: Arc<dyn Store>) {
    let (a, _) = two_workspaces(&store).await;
    let (q1, q2) = two_queries(&store, a).await;
    let by = |key: &str,
              minute: i64,
              author: Option<&str>,
              reach: Option<u64>,
              queries: &[ListenQueryId]| NewMention {
        author: author.map(str::to_owned),
        reach,
        title: Some(format!("Title {key}")),
        lang: Some("fr".into()),
        ..mention(a, key, T0 + minute * 60_000, queries)
    };
    let first_bob = by("b1", 5, Some("bob"), None, &[q1]);
    let batch = vec![
        by("a1", 1, Some("alice"), Some(10), &[q1]),
        by("a2", 2, Some("alice"), Some(500), &[q2]),
        by("a3", 3, Some("alice"), None, &[q1]),
        first_bob.clone(),
        by("b2", 6, Some("bob"), None, &[q1]),
        // Left out: a duplicate, a muted mention, no author, and one after `to`.
        NewMention {
            duplicate_of: Some(first_bob.id),
            ..by("c1", 7, Some("carol"), Some(9_999), &[q1])
        },
        by("d1", 8, Some("dave"), Some(9_999), &[q1]),
        by("n1", 9, None, Some(9_999), &[q1]),
        by("late", 120, Some("erin"), Some(9_999), &[q1]),
    ];
    let ids = insert_new(&store, batch).await;
    assert!(
        store
            .set_mention_muted(a, ids[6], true, ws_audit(a, "mention.mute"))
            .await
            .unwrap()
    );
    let (from, to) = first_hour();
    let top = |author: &str, mentions: u64, max_reach: Option<u64>| TopAuthor {
        author: author.into(),
        mentions,
        max_reach,
    };
    assert_eq!(
        store.top_authors(a, None, from, to, 10).await.unwrap(),
        vec![top("alice", 3, Some(500)), top("bob", 2, None)]
    );
    assert_eq!(
        store.top_authors(a, Some(q1), from, to, 10).await.unwrap(),
        vec![top("alice", 2, Some(10)), top("bob", 2, None)],
        "ties: the larger known reach first"
    );
    assert_eq!(
        store.top_authors(a, None, from, to, 1).await.unwrap(),
        vec![top("alice", 3, Some(500))]
    );

    let texts = store
        .mention_texts(a, Some(q1), from, to, 10)
        .await
        .unwrap();
    let titles: Vec<&str> = texts.iter().filter_map(|t| t.title.as_deref()).collect();
    assert_eq!(
        titles,
        ["Title n1", "Title b2", "Title b1", "Title a3", "Title a1"],
        "newest first"
    );
    assert_eq!(
        (texts[0].text.as_str(), texts[0].lang.as_deref()),
        ("Text of n1", Some("fr"))
    );
    assert_eq!(
        store
            .mention_texts(a, None, from, to, 2)
            .await
            .unwrap()
            .len(),
        2
    );
}

pub async fn due_sources_and_poll_state_round_trip(store: Arc<dyn Store>) {
    let (a, b) = two_workspaces(&store).await;
    let c = channel_in(&store, a, "Bluesky").await;
    let make = |source: NewListenSource| add_source(&store, source);
    let feed = make(new_source(a, SourceKind::Feed, "https://news.example/feed"))
        .await
        .unwrap();
    let search = make(NewListenSource {
        channel_id: Some(c),
        label: Some("Acme sur Bluesky".into()),
        ..new_source(a, SourceKind::Bluesky, "acme OR #acme")
    })
    .await
    .unwrap();
    let off = make(NewListenSource {
        enabled: false,
        ..new_source(a, SourceKind::Page, "https://acme.example/prices")
    })
    .await
    .unwrap();
    let elsewhere = make(new_source(b, SourceKind::Feed, "https://news.example/feed"))
        .await
        .unwrap();
    assert_taken(&make(new_source(a, SourceKind::Feed, "https://news.example/feed")).await);
    make(new_source(a, SourceKind::Page, "https://news.example/feed"))
        .await
        .unwrap();
    assert_eq!(
        store.listen_source(a, search.id).await.unwrap().unwrap(),
        search,
        "stored as returned"
    );
    assert_eq!(search.poll, PollState::default());

    let now = Timestamp::from_millis(T0);
    let due: HashSet<ListenSourceId> = store
        .due_sources(now, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(due.len(), 4, "never polled, enabled, in every workspace");
    assert!(due.contains(&feed.id) && due.contains(&elsewhere.id) && !due.contains(&off.id));
    assert_eq!(store.due_sources(now, 2).await.unwrap().len(), 2);

    let polled = PollState {
        etag: Some("\"abc\"".into()),
        last_modified: Some("Tue, 14 Nov 2023 22:13:20 GMT".into()),
        content_hash: Some("9f86d081".into()),
        cursor: Some("3kq2x".into()),
        next_poll_at: Some(now.plus_seconds(900)),
        failures: 0,
        last_success_at: Some(now),
        last_error: None,
        last_error_at: None,
        last_items: Some(12),
    };
    assert!(store.record_poll(feed.id, polled.clone()).await.unwrap());
    assert_eq!(
        store.listen_source(a, feed.id).await.unwrap().unwrap().poll,
        polled
    );
    let failed = PollState {
        next_poll_at: Some(now.plus_seconds(60)),
        failures: 2,
        last_error: Some("the server answered 503; it will be tried again".into()),
        last_error_at: Some(now),
        ..polled.clone()
    };
    assert!(store.record_poll(search.id, failed.clone()).await.unwrap());
    assert_eq!(
        store
            .listen_source(a, search.id)
            .await
            .unwrap()
            .unwrap()
            .poll,
        failed
    );
    assert!(
        !store
            .record_poll(ListenSourceId::new(), polled.clone())
            .await
            .unwrap()
    );

    let due_now: Vec<ListenSourceId> = store
        .due_sources(now, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert!(
        !due_now.contains(&feed.id) && !due_now.contains(&search.id),
        "polled: not due before their time"
    );
    // Due again at their time, the one waiting longest first; never-polled ones before both.
    let later = store.due_sources(now.plus_seconds(900), 100).await.unwrap();
    let order: Vec<ListenSourceId> = later.iter().map(|s| s.id).collect();
    assert_eq!(order.len(), 4);
    assert_eq!(&order[2..], &[search.id, feed.id]);
    assert_eq!(
        store
            .due_sources(now.plus_seconds(899), 100)
            .await
            .unwrap()
            .len(),
        3,
        "`<=` now, not before"
    );

    assert!(
        store
            .set_listen_source_enabled(a, feed.id, false, ws_audit(a, "x"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .due_sources(now.plus_seconds(900), 100)
            .await
            .unwrap()
            .iter()
            .any(|s| s.id == feed.id)
    );

    // Deleting a source keeps its mentions; deleting a channel keeps the source, without it.
    let m = insert_new(
        &store,
        vec![NewMention {
            source_id: Some(search.id),
            ..mention(a, "k", T0, &[])
        }],
    )
    .await[0];
    assert!(
        store
            .delete_listen_source(a, search.id, ws_audit(a, "x"))
            .await
            .unwrap()
    );
    assert_eq!(store.mention(a, m).await.unwrap().unwrap().source_id, None);
    let with_channel = make(NewListenSource {
        channel_id: Some(c),
        ..new_source(a, SourceKind::Bluesky, "globex")
    })
    .await
    .unwrap();
    store
        .delete_channel(a, c, ws_audit(a, "channel.delete"))
        .await
        .unwrap();
    assert_eq!(
        store
            .listen_source(a, with_channel.id)
            .await
            .unwrap()
            .unwrap()
            .channel_id,
        None
    );
    let kinds: Vec<SourceKind> = store
        .listen_sources(a)
        .await
        .unwrap()
        .iter()
        .map(|s| s.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            SourceKind::Feed,
            SourceKind::Page,
            SourceKind::Page,
            SourceKind::Bluesky
        ],
        "oldest first"
    );
}

pub async fn alert_events_fire_once(store: Arc<dyn Store>) {
    let (a, _) = two_workspaces(&store).await;
    let q = query(&store, a, "Acme").await;
    let secret = SealedBytes(vec![0, 1, 2, 0, 255]);
    let volume = NewAlertRule {
        webhook_url: Some("https://hooks.example/relais".into()),
        webhook_secret: Some(secret.clone()),
        delivery: Delivery::Daily,
        ..new_rule(a, "Volume", AlertKind::VolumeSpike, Some(q))
    };
    let volume = add_rule(&store, volume).await.unwrap();
    let negative = new_rule(a, "Négatif", AlertKind::NegativeSpike, None);
    let negative = add_rule(&store, negative).await.unwrap();
    let words = new_rule(a, "Mots", AlertKind::Keyword, None);
    let words = add_rule(&store, words).await.unwrap();
    assert_taken(&add_rule(&store, new_rule(a, "Mots", AlertKind::Keyword, None)).await);
    let read = store.alert_rule(a, volume.id).await.unwrap().unwrap();
    assert_eq!(read, volume);
    assert_eq!(
        read.webhook_secret,
        Some(secret),
        "every byte of the sealed secret"
    );
    let printed = format!("{read:?}");
    assert!(
        printed.contains("(sealed)") && !printed.contains("[0, 1, 2, 0, 255]"),
        "a secret is not printed: {printed}"
    );
    let names: Vec<String> = store
        .alert_rules(a)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["Mots", "Négatif", "Volume"]);

    // A spike fires once per hour and rule, whatever the number of checks.
    let e1 = store
        .record_alert_event(spike(a, volume.id, T0, T0 + HOUR))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (e1.kind, e1.bucket_start),
        (AlertKind::VolumeSpike, Some(Timestamp::from_millis(T0)))
    );
    assert_eq!(
        store
            .record_alert_event(spike(a, volume.id, T0, T0 + HOUR + 5))
            .await
            .unwrap(),
        None
    );
    let e2 = store
        .record_alert_event(spike(a, volume.id, T0 + HOUR, T0 + 2 * HOUR))
        .await
        .unwrap()
        .unwrap();
    // Another rule may fire for the same hour.
    let e3 = store
        .record_alert_event(spike(a, negative.id, T0, T0 + HOUR + 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e3.kind, AlertKind::NegativeSpike);
    // A keyword fires once per mention.
    let m = insert_new(&store, vec![mention(a, "k", T0, &[q])]).await[0];
    let e4 = store
        .record_alert_event(keyword_hit(a, words.id, m, T0 + 10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .record_alert_event(keyword_hit(a, words.id, m, T0 + 20))
            .await
            .unwrap(),
        None
    );
    let m2 = insert_new(&store, vec![mention(a, "k2", T0, &[q])]).await[0];
    store
        .record_alert_event(keyword_hit(a, words.id, m2, T0 + 30))
        .await
        .unwrap()
        .unwrap();
    let missing = store
        .record_alert_event(spike(a, AlertRuleId::new(), T0, T0))
        .await;
    assert_not_found(&missing);

    // A catch-up on an older hour does not move `last_fired_at` back.
    store
        .record_alert_event(spike(a, volume.id, T0 - HOUR, T0 + 90))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .alert_rule(a, volume.id)
            .await
            .unwrap()
            .unwrap()
            .last_fired_at,
        Some(Timestamp::from_millis(T0 + 2 * HOUR))
    );
    assert_eq!(
        store
            .alert_rule(a, words.id)
            .await
            .unwrap()
            .unwrap()
            .last_fired_at,
        Some(Timestamp::from_millis(T0 + 30))
    );

    let listed: Vec<AlertEventId> = store
        .alert_events(a, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(listed.len(), 6);
    assert_eq!(listed[0], e2.id, "newest first");
    assert_eq!(store.alert_events(a, 2).await.unwrap().len(), 2);

    // Sending: oldest first; marked once.
    let unsent: Vec<Timestamp> = store
        .unsent_alert_events(volume.id, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.fired_at)
        .collect();
    assert_eq!(
        unsent,
        [T0 + 90, T0 + HOUR, T0 + 2 * HOUR].map(Timestamp::from_millis)
    );
    let sent_at = Timestamp::from_millis(T0 + 3 * HOUR);
    assert_eq!(
        store
            .mark_alert_events_sent(&[e1.id, e2.id, e4.id], sent_at)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        store
            .mark_alert_events_sent(&[e1.id, e2.id], sent_at.plus_seconds(1))
            .await
            .unwrap(),
        0,
        "sent already"
    );
    assert_eq!(
        store
            .unsent_alert_events(volume.id, 100)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .unsent_alert_events(words.id, 100)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .record_alert_error(e3.id, "connection refused by hooks.example")
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_alert_error(AlertEventId::new(), "x")
            .await
            .unwrap()
    );
    let events = store.alert_events(a, 100).await.unwrap();
    let read = |id: AlertEventId| events.iter().find(|e| e.id == id).cloned().unwrap();
    assert_eq!(read(e1.id).sent_at, Some(sent_at));
    assert_eq!(
        read(e3.id).last_attempt_error.as_deref(),
        Some("connection refused by hooks.example")
    );
    assert_eq!(
        (read(e4.id).mention_id, read(e4.id).bucket_start),
        (Some(m), None)
    );

    // A rule goes with its alerts.
    assert!(
        store
            .delete_alert_rule(a, volume.id, ws_audit(a, "alert_rule.delete"))
            .await
            .unwrap()
    );
    assert_eq!(store.alert_events(a, 100).await.unwrap().len(), 3);
    assert!(
        store
            .unsent_alert_events(volume.id, 100)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn deleting_a_query_removes_its_matches(store: Arc<dyn Store>) {
    let (a, _) = two_workspaces(&store).await;
    let (q1, q2) = two_queries(&store, a).await;
    let taken = store
        .update_listen_query(
            a,
            q2,
            "Acme",
            "acme",
            QueryRole::Competitor,
            ws_audit(a, "listen_query.update"),
        )
        .await;
    assert_taken(&taken);
    let updated = store
        .update_listen_query(
            a,
            q2,
            "Globex Corp",
            "globex OR \"globex corp\"",
            QueryRole::Competitor,
            ws_audit(a, "listen_query.update"),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (updated.name.as_str(), updated.query.as_str(), updated.role),
        (
            "Globex Corp",
            "globex OR \"globex corp\"",
            QueryRole::Competitor
        )
    );
    assert!(updated.updated_at >= updated.created_at);
    assert_eq!(store.listen_query(a, q2).await.unwrap(), Some(updated));
    let names: Vec<String> = store
        .listen_queries(a)
        .await
        .unwrap()
        .into_iter()
        .map(|q| q.name)
        .collect();
    assert_eq!(names, ["Acme", "Globex Corp"], "by name");

    let ids = insert_new(
        &store,
        vec![
            mention(a, "both", T0, &[q1, q2]),
            mention(a, "one", T0 + 1, &[q1]),
        ],
    )
    .await;
    let watching = new_rule(a, "Pics Acme", AlertKind::VolumeSpike, Some(q1));
    let watching = add_rule(&store, watching).await.unwrap();
    let other = new_rule(a, "Pics Globex", AlertKind::VolumeSpike, Some(q2));
    let other = add_rule(&store, other).await.unwrap();
    store
        .record_alert_event(spike(a, watching.id, T0, T0 + HOUR))
        .await
        .unwrap()
        .unwrap();

    assert!(
        store
            .delete_listen_query(a, q1, ws_audit(a, "listen_query.delete"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_listen_query(a, q1, ws_audit(a, "listen_query.delete"))
            .await
            .unwrap()
    );
    assert_eq!(store.listen_query(a, q1).await.unwrap(), None);
    // The mentions stay, without the match.
    assert_eq!(
        store.mention(a, ids[0]).await.unwrap().unwrap().query_ids,
        vec![q2]
    );
    assert!(
        store
            .mention(a, ids[1])
            .await
            .unwrap()
            .unwrap()
            .query_ids
            .is_empty()
    );
    assert!(
        store
            .mentions(
                a,
                &MentionFilter {
                    query: Some(q1),
                    ..MentionFilter::default()
                },
                10
            )
            .await
            .unwrap()
            .is_empty()
    );
    let (from, to) = first_hour();
    assert!(
        store
            .mention_series(a, Some(&[q1]), from, to, HOUR)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.mention_series(a, None, from, to, HOUR).await.unwrap()[0].total,
        2
    );
    // The rule watching it goes, with its alerts; the other stays.
    assert_eq!(store.alert_rule(a, watching.id).await.unwrap(), None);
    assert!(store.alert_events(a, 10).await.unwrap().is_empty());
    assert_eq!(store.alert_rule(a, other.id).await.unwrap(), Some(other));
}
