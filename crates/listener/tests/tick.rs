//! The listening tick end to end, on a real SQLite store and on a real PostgreSQL: a feed served on loopback is polled,
//! its items matched against the workspace's queries, analysed (language, sentiment), folded
//! (a repost is a duplicate) and stored once; a keyword alert goes out by mail (to a local
//! SMTP server) and by signed webhook; the next poll is conditional (304); a dead source fails
//! on its own; spikes raise one alert per hour.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{
    AlertRuleId, ListenQueryId, ListenSourceId, MentionId, Slug, Timestamp, WorkspaceId,
};
use relais_listener::{Courier, ListenTick, TickSettings};
use relais_mail::{Security, SmtpConfig, SmtpMailer};
use relais_outbound::{HttpClient, OutboundConfig};
use relais_store::listening::{
    AlertKind, Delivery, MentionFilter, NewAlertRule, NewListenQuery, NewListenSource, NewMention,
    QueryRole, SealedBytes, Sentiment, SourceKind,
};
use relais_store::{DatabaseLocation, Store, open};
use relais_testkit::mock_http::MockHttp;
use relais_testkit::smtp::SmtpSink;
use relais_vault::Vault;

const HOUR: i64 = 3_600_000;

fn audit(ws: WorkspaceId, action: &str) -> AuditEvent {
    AuditEvent {
        workspace_id: Some(ws),
        actor: Actor::cli(),
        action: action.into(),
        target: String::new(),
        details: serde_json::Value::Null,
    }
}

#[derive(Clone, Copy, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, migrated store; the directory (SQLite) lives as long as the value returned.
async fn fresh_store(backend: Backend) -> (Arc<dyn Store>, Option<tempfile::TempDir>) {
    let (location, dir) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let location = DatabaseLocation::parse(dir.path().to_str().unwrap());
            (location, Some(dir))
        }
        Backend::Postgres => {
            let url = tokio::task::spawn_blocking(relais_testkit::postgres::fresh_database)
                .await
                .unwrap();
            (DatabaseLocation::parse(&url), None)
        }
    };
    let store = open(&location).await.unwrap();
    store.migrate().await.unwrap();
    (store, dir)
}

async fn workspace(store: &Arc<dyn Store>, slug: &str) -> WorkspaceId {
    let slug = Slug::parse(slug).unwrap();
    let ws = store
        .create_workspace(&slug, "Brand", None, audit_none("workspace.create"))
        .await
        .unwrap();
    ws.id
}

fn audit_none(action: &str) -> AuditEvent {
    AuditEvent {
        workspace_id: None,
        actor: Actor::cli(),
        action: action.into(),
        target: String::new(),
        details: serde_json::Value::Null,
    }
}

async fn query(store: &Arc<dyn Store>, ws: WorkspaceId, name: &str, text: &str) -> ListenQueryId {
    store
        .create_listen_query(
            NewListenQuery {
                id: ListenQueryId::new(),
                workspace_id: ws,
                name: name.into(),
                query: text.into(),
                role: QueryRole::Brand,
                created_by: None,
            },
            audit(ws, "listen.query.create"),
        )
        .await
        .unwrap()
        .id
}

async fn feed_source(store: &Arc<dyn Store>, ws: WorkspaceId, url: &str) -> ListenSourceId {
    store
        .create_listen_source(
            NewListenSource {
                id: ListenSourceId::new(),
                workspace_id: ws,
                kind: SourceKind::Feed,
                target: url.into(),
                label: None,
                interval_secs: 600,
                enabled: true,
                channel_id: None,
                created_by: None,
            },
            audit(ws, "listen.source.create"),
        )
        .await
        .unwrap()
        .id
}

fn client() -> HttpClient {
    HttpClient::new(OutboundConfig {
        allow_private_addresses: true,
        ..OutboundConfig::default()
    })
    .unwrap()
}

const FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Forum</title><link>https://forum.example.com/</link>
<item><guid>a1</guid><title>Avis</title><link>https://forum.example.com/a1</link>
<description>J'adore Relais, le service est vraiment génial et rapide, merci à toute l'équipe</description>
<pubDate>Mon, 07 Dec 2026 08:00:00 GMT</pubDate></item>
<item><guid>https://forum.example.com/a2</guid><link>https://forum.example.com/a2</link>
<description>Relais is terrible, the worst support I have ever had, never again</description>
<pubDate>Mon, 07 Dec 2026 08:05:00 GMT</pubDate></item>
<item><guid>a3</guid><link>https://forum.example.com/a3</link>
<description>RT J'adore Relais, le service est vraiment génial et rapide, merci à toute l'équipe</description>
<pubDate>Mon, 07 Dec 2026 08:10:00 GMT</pubDate></item>
<item><guid>a4</guid><link>https://forum.example.com/a4</link>
<description>Nothing about any brand here, just the weather today</description></item>
</channel></rss>"#;

/// A feed server that answers 304 to a request with its ETag, and records what it was sent.
#[derive(Clone, Default)]
struct FeedLog(Arc<Mutex<Vec<Option<String>>>>);

async fn serve_feed(log: FeedLog) -> MockHttp {
    let router = Router::new().route(
        "/feed.xml",
        get(move |headers: HeaderMap| {
            let log = log.clone();
            async move {
                let sent = headers
                    .get("if-none-match")
                    .map(|v| v.to_str().unwrap().to_owned());
                log.0.lock().unwrap().push(sent.clone());
                if sent.as_deref() == Some("\"v1\"") {
                    return StatusCode::NOT_MODIFIED.into_response();
                }
                (
                    [("content-type", "application/rss+xml"), ("etag", "\"v1\"")],
                    FEED,
                )
                    .into_response()
            }
        }),
    );
    MockHttp::start(router).await
}

/// A webhook request as received: its headers and body.
type Hook = (HeaderMap, Vec<u8>);

#[derive(Clone, Default)]
struct Hooks(Arc<Mutex<Vec<Hook>>>);

async fn serve_hooks(hooks: Hooks) -> MockHttp {
    let router = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let hooks = hooks.clone();
            async move {
                hooks.0.lock().unwrap().push((headers, body.to_vec()));
                StatusCode::NO_CONTENT
            }
        }),
    );
    MockHttp::start(router).await
}

#[tokio::test]
async fn a_feed_becomes_mentions_and_a_keyword_alert_goes_out_on_sqlite() {
    feed_to_mentions_and_alerts(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_feed_becomes_mentions_and_a_keyword_alert_goes_out_on_postgres() {
    feed_to_mentions_and_alerts(Backend::Postgres).await;
}

async fn feed_to_mentions_and_alerts(backend: Backend) {
    let (store, _dir) = fresh_store(backend).await;
    let ws = workspace(&store, "brand").await;
    let brand = query(&store, ws, "Relais", "relais").await;
    let feed_log = FeedLog::default();
    let feed = serve_feed(feed_log.clone()).await;
    let source = feed_source(&store, ws, &feed.url("/feed.xml")).await;
    // A dead port: its poll fails without stopping the feed's.
    let dead = feed_source(&store, ws, "http://127.0.0.1:9/feed.xml").await;

    let vault = Vault::from_bytes(&[7; 32]);
    let hooks = Hooks::default();
    let receiver = serve_hooks(hooks.clone()).await;
    let rule_id = AlertRuleId::new();
    let sealed = vault
        .seal(&format!("alert:{rule_id}"), "hook-secret")
        .unwrap();
    store
        .create_alert_rule(
            NewAlertRule {
                id: rule_id,
                workspace_id: ws,
                name: "Bad buzz".into(),
                kind: AlertKind::Keyword,
                query_id: None,
                keywords: Some("relais AND (terrible OR worst)".into()),
                k_milli: 3000,
                min_mentions: 5,
                delivery: Delivery::Instant,
                email: Some("cm@example.com".into()),
                webhook_url: Some(receiver.url("/hook")),
                webhook_secret: Some(SealedBytes(sealed.into_bytes())),
                enabled: true,
                created_by: None,
            },
            audit(ws, "listen.alert.create"),
        )
        .await
        .unwrap();

    let smtp = SmtpSink::start().await;
    let mailer = SmtpMailer::shared(&SmtpConfig {
        host: "127.0.0.1".into(),
        port: smtp.port,
        security: Security::None,
        from: "Relais <relais@example.org>".into(),
        ..SmtpConfig::default()
    })
    .unwrap();
    let courier = Courier {
        http: client(),
        mailer,
        vault: Some(vault.clone()),
        public_url: "https://relais.example.org".into(),
        digest_hour: 8,
    };
    let tick = ListenTick::new(client(), Some(vault), courier, TickSettings::default()).unwrap();

    let now = Timestamp::from_millis(1_796_637_600_000); // 2026-12-07 10:00 UTC
    let report = tick.tick(&store, now).await.unwrap();
    assert_eq!(report.sources_polled, 2);
    assert_eq!(report.sources_failed, 1);
    assert_eq!(report.items_found, 4);
    assert_eq!(report.mentions_stored, 3, "the unrelated item is not kept");
    assert_eq!(report.alerts_raised, 1);
    assert_eq!(report.alerts_sent, 1);

    let all = MentionFilter {
        include_duplicates: true,
        ..MentionFilter::default()
    };
    let mentions = store.mentions(ws, &all, 10).await.unwrap();
    let by_key = |key: &str| mentions.iter().find(|m| m.key == key).unwrap();
    // A feed's own ids are kept apart from other feeds' by the source; addresses are global.
    let local = |id: &str| format!("{source}#{id}");
    let (fr, en, repost) = (
        by_key(&local("a1")),
        by_key("https://forum.example.com/a2"),
        by_key(&local("a3")),
    );
    assert_eq!(fr.lang.as_deref(), Some("fr"));
    assert_eq!(fr.sentiment, Sentiment::Positive);
    assert_eq!(en.lang.as_deref(), Some("en"));
    assert_eq!(en.sentiment, Sentiment::Negative);
    assert!(en.score_milli < -300, "{}", en.score_milli);
    assert_eq!(fr.query_ids, vec![brand]);
    assert_eq!(
        fr.at,
        Timestamp::from_millis(1_796_630_400_000),
        "dated by the feed"
    );
    assert_eq!(fr.source_id, Some(source));
    assert_eq!(fr.site.as_deref(), Some("forum.example.com"));
    assert_eq!(
        repost.duplicate_of,
        Some(fr.id),
        "a repost folds into the first"
    );
    // Without duplicates, the stream has two.
    let firsts = store
        .mentions(ws, &MentionFilter::default(), 10)
        .await
        .unwrap();
    assert_eq!(firsts.len(), 2);

    // The dead source is marked, with a reason and a later retry.
    let dead = store.listen_source(ws, dead).await.unwrap().unwrap();
    assert_eq!(dead.poll.failures, 1);
    assert!(dead.poll.last_error.is_some());
    assert!(dead.poll.next_poll_at.unwrap() > now);

    // The webhook: signed, with the mention's link.
    let received = hooks.0.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    let (headers, body) = &received[0];
    assert_eq!(headers["x-relais-event"], "listen.alert");
    let timestamp = headers["x-relais-timestamp"].to_str().unwrap();
    let signature = headers["x-relais-signature"].to_str().unwrap();
    assert!(relais_networks::webhook::verify_signature(
        b"hook-secret",
        timestamp,
        body,
        signature,
        timestamp.parse().unwrap(),
    ));
    let json: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(json["rule"]["name"], "Bad buzz");
    assert_eq!(json["workspace"], "brand");
    assert_eq!(
        json["alerts"][0]["mention_url"],
        "https://forum.example.com/a2"
    );
    // The mail.
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec!["cm@example.com".to_owned()]);
    assert!(mails[0].data.contains("Bad buzz"), "{}", mails[0].data);
    assert!(mails[0].data.contains("https://forum.example.com/a2"));

    // The next tick within the interval polls nothing; after it, the poll is conditional and
    // the 304 brings nothing new (nor any alert twice).
    let report = tick
        .tick(&store, Timestamp::from_millis(now.millis() + 60_000))
        .await
        .unwrap();
    assert_eq!(report.sources_polled, 0);
    let later = Timestamp::from_millis(now.millis() + 601_000);
    let report = tick.tick(&store, later).await.unwrap();
    assert_eq!(
        report.sources_polled, 1,
        "the dead source waits for its back-off"
    );
    assert_eq!(report.mentions_stored, 0);
    assert_eq!(report.alerts_sent, 0);
    assert_eq!(
        feed_log.0.lock().unwrap().clone(),
        vec![None, Some("\"v1\"".to_owned())]
    );
    assert_eq!(hooks.0.lock().unwrap().len(), 1);
    let source = store.listen_source(ws, source).await.unwrap().unwrap();
    assert_eq!(source.poll.etag.as_deref(), Some("\"v1\""));
    assert_eq!(source.poll.failures, 0);
}

fn mention_at(ws: WorkspaceId, query: ListenQueryId, at: i64, n: usize) -> NewMention {
    NewMention {
        id: MentionId::new(),
        workspace_id: ws,
        source_id: None,
        source_kind: SourceKind::X,
        key: format!("{at}-{n}"),
        url: None,
        title: None,
        text: format!("relais mention {n} at {at}"),
        author: Some(format!("fan{n}")),
        reach: None,
        site: None,
        lang: Some("en".into()),
        sentiment: Sentiment::Neutral,
        score_milli: 0,
        fingerprint: None,
        duplicate_of: None,
        at: Timestamp::from_millis(at),
        found_at: Timestamp::from_millis(at),
        query_ids: vec![query],
    }
}

#[tokio::test]
async fn a_spike_in_the_last_hour_raises_one_alert_on_sqlite() {
    spike_raises_one_alert(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_spike_in_the_last_hour_raises_one_alert_on_postgres() {
    spike_raises_one_alert(Backend::Postgres).await;
}

async fn spike_raises_one_alert(backend: Backend) {
    let (store, _dir) = fresh_store(backend).await;
    let ws = workspace(&store, "spiky").await;
    let brand = query(&store, ws, "Relais", "relais").await;
    let now = 1_796_637_600_000 + 5 * 60_000; // 10:05: the last complete hour is 09:00
    let last_hour = 1_796_634_000_000;
    let mut mentions = Vec::new();
    for hour in 1..=48 {
        for n in 0..(2 + hour % 2) as usize {
            mentions.push(mention_at(ws, brand, last_hour - hour * HOUR + 60_000, n));
        }
    }
    for n in 0..30 {
        mentions.push(mention_at(ws, brand, last_hour + 120_000, n));
    }
    store.insert_mentions(mentions).await.unwrap();
    store
        .create_alert_rule(
            NewAlertRule {
                id: AlertRuleId::new(),
                workspace_id: ws,
                name: "Volume".into(),
                kind: AlertKind::VolumeSpike,
                query_id: Some(brand),
                keywords: None,
                k_milli: 3000,
                min_mentions: 5,
                delivery: Delivery::Daily,
                email: None,
                webhook_url: None,
                webhook_secret: None,
                enabled: true,
                created_by: None,
            },
            audit(ws, "listen.alert.create"),
        )
        .await
        .unwrap();
    let courier = Courier {
        http: client(),
        mailer: None,
        vault: None,
        public_url: "https://relais.example.org".into(),
        digest_hour: 8,
    };
    let tick = ListenTick::new(client(), None, courier, TickSettings::default()).unwrap();
    let report = tick
        .tick(&store, Timestamp::from_millis(now))
        .await
        .unwrap();
    assert_eq!(report.alerts_raised, 1);
    let events = store.alert_events(ws, 10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].bucket_start,
        Some(Timestamp::from_millis(last_hour))
    );
    assert_eq!(events[0].value_milli, 30_000);
    assert!(
        events[0].summary.contains("30 mentions"),
        "{}",
        events[0].summary
    );
    // A daily digest waits for tomorrow's 08:00 (today's was before the alert).
    assert_eq!(report.alerts_sent, 0);
    assert_eq!(events[0].sent_at, None);

    // Another worker (or a restart) checking the same hour raises nothing twice.
    let again = ListenTick::new(
        client(),
        None,
        Courier {
            http: client(),
            mailer: None,
            vault: None,
            public_url: String::new(),
            digest_hour: 8,
        },
        TickSettings::default(),
    )
    .unwrap();
    let report = again
        .tick(&store, Timestamp::from_millis(now + 60_000))
        .await
        .unwrap();
    assert_eq!(report.alerts_raised, 0);
    // Next morning the digest is due: with no way out configured, it is marked handled.
    let tomorrow = last_hour + 23 * HOUR + 5 * 60_000;
    let report = again
        .tick(&store, Timestamp::from_millis(tomorrow))
        .await
        .unwrap();
    assert_eq!(report.alerts_sent, 1);
}
