//! The ingestion pipeline on a real store: one visitor per person and day, unlinkable across
//! days once the day's salt is gone; robots and unknown sites dropped; visits going on across a
//! restart.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use relais_analytics::embedded::Embedded;
use relais_analytics::ingest::{Drop, Ingest, Outcome};
use relais_analytics::{EventStore, SiteInfo};
use relais_audience::event::Seen;
use relais_audience::ingest::plausible;
use relais_audience::query::{DateRange, Dimension, Include, Metric, Pagination, Query, TimeGrain};
use relais_core::SiteId;
use relais_core::audit::{Actor, AuditEvent};
use relais_store::audience::NewSite;
use relais_store::{DatabaseLocation, Store};
use serde_json::json;

const FIREFOX: &str =
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";

fn audit() -> AuditEvent {
    AuditEvent {
        workspace_id: None,
        actor: Actor::cli(),
        action: "test".into(),
        target: "t".into(),
        details: serde_json::Value::Null,
    }
}

struct Rig {
    store: Arc<dyn Store>,
    site: SiteInfo,
    dir: tempfile::TempDir,
}

async fn rig() -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let store = relais_store::open(&DatabaseLocation::Sqlite(dir.path().join("relais.db")))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let ws = store
        .create_workspace(
            &relais_core::Slug::parse("acme").unwrap(),
            "Acme",
            None,
            audit(),
        )
        .await
        .unwrap();
    let site = store
        .create_site(
            NewSite {
                id: SiteId::new(),
                workspace_id: ws.id,
                domain: "example.com".into(),
                time_zone: "UTC".into(),
                created_by: None,
            },
            audit(),
        )
        .await
        .unwrap();
    let site = SiteInfo {
        id: site.id.to_string(),
        goals: vec![],
        tz: chrono_tz::UTC,
        start: "2024-01-01".parse().unwrap(),
    };
    Rig { store, site, dir }
}

fn vault() -> relais_vault::Vault {
    relais_vault::Vault::from_bytes(&[7u8; 32])
}

async fn hit(ingest: &Ingest, at: &str, ip: &str, agent: &str) -> Outcome {
    let hit = plausible::parse(
        json!({"n": "pageview", "u": "https://example.com/", "d": "example.com"})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    let at_ms = at.parse::<DateTime<Utc>>().unwrap().timestamp_millis();
    ingest
        .record(
            &hit,
            Seen {
                at_ms,
                ip: ip.parse().unwrap(),
                user_agent: agent,
            },
        )
        .await
        .unwrap()
}

fn by_day() -> Query {
    Query {
        site_id: "example.com".into(),
        metrics: vec![Metric::Visitors, Metric::Visits],
        date_range: DateRange::Dates("2024-05-01".parse().unwrap(), "2024-05-02".parse().unwrap()),
        dimensions: vec![Dimension::Time(TimeGrain::Day)],
        filter: None,
        order_by: vec![],
        include: Include::default(),
        pagination: Pagination::default(),
    }
}

#[tokio::test]
async fn a_person_is_one_visitor_a_day_and_a_new_one_the_next_day() {
    let r = rig().await;
    let engine = Embedded::open(&r.dir.path().join("analytics")).unwrap();
    let ingest = Ingest::new(r.store.clone(), Arc::new(engine.clone()), Some(vault()))
        .await
        .unwrap();
    // Same person three times on 1 May (two visits: an hour apart), once on 2 May.
    for at in [
        "2024-05-01T09:00:00Z",
        "2024-05-01T09:10:00Z",
        "2024-05-01T10:30:00Z",
        "2024-05-02T09:00:00Z",
    ] {
        assert_eq!(
            hit(&ingest, at, "203.0.113.9", FIREFOX).await,
            Outcome::Recorded(1)
        );
    }
    // Another person on 1 May.
    hit(&ingest, "2024-05-01T09:05:00Z", "198.51.100.7", FIREFOX).await;
    let now: DateTime<Utc> = "2024-05-03T12:00:00Z".parse().unwrap();
    let answer = engine.answer(&r.site, &by_day(), now).await.unwrap();
    let rows: Vec<_> = answer
        .results
        .iter()
        .map(|x| (x.dimensions[0].clone(), x.metrics.clone()))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("2024-05-01".to_string(), vec![json!(2), json!(3)]),
            ("2024-05-02".to_string(), vec![json!(1), json!(1)]),
        ]
    );
    // Salts are stored sealed, one a day, and go once their day is over.
    assert!(
        !r.store
            .visitor_salt("2024-05-01", "fresh")
            .await
            .unwrap()
            .contains("fresh")
    );
    let gone = ingest
        .forget_old_salts("2024-05-03T00:01:00Z".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(gone, 2, "the salts of 1 and 2 May");
    assert_eq!(
        r.store.visitor_salt("2024-05-01", "fresh").await.unwrap(),
        "fresh",
        "1 May's salt is gone for good"
    );
}

#[tokio::test]
async fn robots_and_unknown_sites_are_dropped_and_visits_go_on_after_a_restart() {
    let r = rig().await;
    let dir = r.dir.path().join("analytics");
    let engine = Embedded::open(&dir).unwrap();
    let ingest = Ingest::new(r.store.clone(), Arc::new(engine.clone()), Some(vault()))
        .await
        .unwrap();
    assert_eq!(
        hit(&ingest, "2024-05-01T09:00:00Z", "203.0.113.9", "curl/8.5.0").await,
        Outcome::Dropped(Drop::Robot)
    );
    let elsewhere = plausible::parse(
        json!({"n": "pageview", "u": "https://other.org/", "d": "other.org"})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    let seen = Seen {
        at_ms: 1_714_554_000_000,
        ip: "203.0.113.9".parse().unwrap(),
        user_agent: FIREFOX,
    };
    assert_eq!(
        ingest.record(&elsewhere, seen).await.unwrap(),
        Outcome::Dropped(Drop::UnknownSite)
    );

    let now = Utc::now();
    let at = |minutes_ago: i64| (now - chrono::Duration::minutes(minutes_ago)).to_rfc3339();
    hit(&ingest, &at(20), "203.0.113.9", FIREFOX).await;
    drop(ingest);
    drop(engine);
    // A restart ten minutes later: the same visit goes on.
    let engine = Embedded::open(&dir).unwrap();
    let ingest = Ingest::new(r.store.clone(), Arc::new(engine.clone()), Some(vault()))
        .await
        .unwrap();
    hit(&ingest, &at(10), "203.0.113.9", FIREFOX).await;
    let mut q = by_day();
    q.dimensions.clear();
    q.date_range = DateRange::Today;
    let site = SiteInfo {
        start: now.date_naive(),
        ..r.site.clone()
    };
    let answer = engine.answer(&site, &q, now).await.unwrap();
    // Near midnight UTC the two hits may fall on two days; otherwise one visit.
    if (now - chrono::Duration::minutes(20)).date_naive() == now.date_naive() {
        assert_eq!(
            answer.results[0].metrics,
            vec![json!(1), json!(1)],
            "one visitor, one visit across the restart"
        );
    }
}
