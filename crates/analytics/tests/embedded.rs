//! The embedded event store on a real directory: events answered at once, kept across restarts,
//! sealed into Arrow segments without loss or double counting, whatever step a stop interrupts.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use relais_analytics::durability::Durability;
use relais_analytics::embedded::Embedded;
use relais_analytics::{EventStore, SiteInfo};
use relais_audience::engine::segment::Segment;
use relais_audience::event::Event;
use relais_audience::query::{
    Condition, DateRange, Dimension, Filter, Include, Metric, Operator, Pagination, Query,
    VisitDimension,
};
use serde_json::{Value, json};

const SITE: &str = "0191e0c4-5a7b-7c3e-9d2f-1a2b3c4d5e6f";

fn at(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
}

fn event(when: &str, visitor: u64, session: u64, page: &str, source: Option<&str>) -> Event {
    Event {
        site: SITE.into(),
        at_ms: at(when),
        visitor,
        session,
        name: "pageview".into(),
        hostname: "example.com".into(),
        pathname: page.into(),
        referrer: None,
        source: source.map(str::to_string),
        channel: if source.is_some() {
            "Organic Social"
        } else {
            "Direct"
        }
        .into(),
        utm_source: None,
        utm_medium: None,
        utm_campaign: None,
        utm_content: None,
        utm_term: None,
        country: Some("FR".into()),
        browser: Some("Firefox".into()),
        browser_version: None,
        os: None,
        os_version: None,
        device: Some("Desktop".into()),
        props: vec![("plan".into(), "pro".into())],
        revenue: None,
        interactive: true,
        scroll_depth: None,
        engaged_ms: None,
    }
}

/// Two days: 1 May (3 visitors, 4 page views) and 2 May (1 visitor, 1 page view).
fn two_days() -> Vec<Event> {
    vec![
        event("2024-05-01T08:00:00Z", 1, 11, "/", Some("Bluesky")),
        event("2024-05-01T08:01:00Z", 1, 11, "/pricing", Some("Bluesky")),
        event("2024-05-01T09:00:00Z", 2, 12, "/", None),
        event("2024-05-01T23:59:59Z", 3, 13, "/blog", Some("Bluesky")),
        event("2024-05-02T00:00:01Z", 3, 14, "/blog", None),
    ]
}

fn site() -> SiteInfo {
    SiteInfo {
        id: SITE.into(),
        goals: vec![],
        tz: chrono_tz::UTC,
        start: "2024-01-01".parse().unwrap(),
    }
}

fn now() -> DateTime<Utc> {
    "2024-05-03T12:00:00Z".parse().unwrap()
}

/// `[source, visitors, pageviews]` rows of 1–2 May.
async fn by_source(store: &Embedded) -> Vec<Value> {
    let query = by_source_query();
    let answer = store.answer(&site(), &query, now()).await.unwrap();
    answer
        .results
        .into_iter()
        .map(|r| {
            let mut row = vec![json!(r.dimensions[0])];
            row.extend(r.metrics);
            Value::Array(row)
        })
        .collect()
}

fn by_source_query() -> Query {
    Query {
        site_id: "example.com".into(),
        metrics: vec![Metric::Visitors, Metric::Pageviews],
        date_range: DateRange::Dates("2024-05-01".parse().unwrap(), "2024-05-02".parse().unwrap()),
        dimensions: vec![Dimension::Visit(VisitDimension::Source)],
        filter: None,
        order_by: vec![],
        include: Include::default(),
        pagination: Pagination::default(),
    }
}

fn expected() -> Vec<Value> {
    vec![json!(["Bluesky", 2, 3]), json!(["Direct / None", 2, 2])]
}

/// A store directory holding [`two_days`], sealed, closed.
async fn sealed_two_days() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let store = Embedded::open(dir.path()).unwrap();
    store.append(two_days()).await.unwrap();
    store.seal_finished_days(now()).unwrap();
    drop(store);
    dir
}

fn logs(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("log"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn events_are_answered_at_once_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = Embedded::open(dir.path()).unwrap();
    store.append(two_days()).await.unwrap();
    assert_eq!(by_source(&store).await, expected());
    drop(store);

    let reopened = Embedded::open(dir.path()).unwrap();
    assert_eq!(
        by_source(&reopened).await,
        expected(),
        "replayed from the day logs"
    );
    assert_eq!(logs(dir.path()), ["2024-05-01.jsonl", "2024-05-02.jsonl"]);
}

#[tokio::test]
async fn synced_before_each_answer_nothing_answered_waits_for_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let store = Embedded::open_with(dir.path(), Durability::EachAnswer).unwrap();
    for event in two_days() {
        store.append(vec![event]).await.unwrap();
        assert_eq!(store.unsynced_events(), 0, "synced before the answer");
    }
    drop(store);
    let reopened = Embedded::open(dir.path()).unwrap();
    assert_eq!(by_source(&reopened).await, expected());
}

#[tokio::test]
async fn synced_in_the_background_events_reach_the_disk_within_the_interval() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        Embedded::open_with(dir.path(), Durability::Within(Duration::from_millis(50))).unwrap();
    store.append(two_days()).await.unwrap();
    // Polled, not timed: the syncing thread wakes every 50 ms and this machine may be slow.
    let deadline = Instant::now() + Duration::from_secs(30);
    while store.unsynced_events() > 0 {
        assert!(Instant::now() < deadline, "the events were never synced");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(by_source(&store).await, expected());
}

#[tokio::test]
async fn closing_the_store_syncs_what_the_background_had_not_yet_synced() {
    let dir = tempfile::tempdir().unwrap();
    let hour = Durability::Within(Duration::from_secs(3600));
    let store = Embedded::open_with(dir.path(), hour).unwrap();
    store.append(two_days()).await.unwrap();
    assert_eq!(
        store.unsynced_events(),
        5,
        "answered before the sync: the syncing thread sleeps an hour"
    );
    let started = Instant::now();
    drop(store);
    assert!(
        started.elapsed() < Duration::from_secs(600),
        "closing woke the syncing thread instead of waiting for its hour"
    );
    let reopened = Embedded::open_with(dir.path(), hour).unwrap();
    assert_eq!(by_source(&reopened).await, expected());
    assert_eq!(reopened.unsynced_events(), 0, "replayed events are on disk");
}

#[tokio::test]
async fn finished_days_are_sealed_into_arrow_segments_and_logs_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let store = Embedded::open(dir.path()).unwrap();
    store.append(two_days()).await.unwrap();
    // At 00:03 on 2 May the first day is still in its grace period.
    assert_eq!(
        store
            .seal_finished_days("2024-05-02T00:03:00Z".parse().unwrap())
            .unwrap(),
        0
    );
    assert_eq!(store.seal_finished_days(now()).unwrap(), 2);
    assert!(logs(dir.path()).is_empty());
    let day = dir.path().join("segments").join(SITE).join("2024-05-01");
    assert!(day.join("events.arrow").exists() && day.join("sessions.arrow").exists());
    assert_eq!(by_source(&store).await, expected());
    assert!(store.bytes_on_disk() > 0);
    drop(store);

    let reopened = Embedded::open(dir.path()).unwrap();
    assert_eq!(
        by_source(&reopened).await,
        expected(),
        "read back from the segments"
    );
    let exported = reopened.export(SITE).await.unwrap();
    assert_eq!(exported.len(), 5);
    assert_eq!(exported[4].pathname, "/blog");
    assert_eq!(
        exported[0].props,
        vec![("plan".to_string(), "pro".to_string())]
    );
}

#[tokio::test]
async fn a_store_just_opened_answers_the_dashboard_from_summaries_and_reads_columns_for_the_rest() {
    let dir = sealed_two_days().await;
    let days = ["2024-05-01", "2024-05-02"].map(|d| dir.path().join("segments").join(SITE).join(d));
    for day in &days {
        assert!(
            day.join("summary/head.json").exists(),
            "written when sealed"
        );
        assert!(day.join("summary/visit_source.json").exists());
    }

    // Columns that cannot be read: the dashboard's question is answered all the same.
    for day in &days {
        std::fs::write(day.join("events.arrow"), b"damaged").unwrap();
    }
    let reopened = Embedded::open(dir.path()).unwrap();
    assert_eq!(by_source(&reopened).await, expected(), "from the summaries");
    // A filtered question needs the columns, and reads them (here: fails on the damage).
    let mut filtered = by_source_query();
    filtered.filter = Some(Filter::Condition(Condition {
        operator: Operator::Is,
        dimension: Dimension::Visit(VisitDimension::Source),
        clauses: vec!["Bluesky".into()],
        case_sensitive: true,
    }));
    let refused = reopened
        .answer(&site(), &filtered, now())
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("events.arrow"), "{refused}");
    drop(reopened);

    // A day sealed before summaries existed gets one when the recent days are warmed.
    let dir = sealed_two_days().await;
    let day = dir.path().join("segments").join(SITE).join("2024-05-01");
    std::fs::remove_dir_all(day.join("summary")).unwrap();
    let reopened = Embedded::open(dir.path()).unwrap();
    assert_eq!(reopened.warm(now(), 31).unwrap(), 2);
    assert!(day.join("summary/head.json").exists());
    assert_eq!(by_source(&reopened).await, expected());
}

#[tokio::test]
async fn late_events_are_merged_into_a_sealed_day() {
    let dir = tempfile::tempdir().unwrap();
    let store = Embedded::open(dir.path()).unwrap();
    store.append(two_days()).await.unwrap();
    store.seal_finished_days(now()).unwrap();
    // An import of 1 May, after the day was sealed.
    store
        .append(vec![event(
            "2024-05-01T10:00:00Z",
            9,
            19,
            "/",
            Some("Bluesky"),
        )])
        .await
        .unwrap();
    assert_eq!(
        by_source(&store).await,
        vec![json!(["Bluesky", 3, 4]), json!(["Direct / None", 2, 2])]
    );
    store.seal_finished_days(now()).unwrap();
    drop(store);
    let reopened = Embedded::open(dir.path()).unwrap();
    assert_eq!(
        by_source(&reopened).await,
        vec![json!(["Bluesky", 3, 4]), json!(["Direct / None", 2, 2])]
    );
}

#[tokio::test]
async fn a_sealing_interrupted_after_some_sites_is_finished_without_counting_twice() {
    let dir = sealed_two_days().await;
    // Put a log back as if the process had stopped after writing the segment of 1 May (its id
    // is in `merged`) but before deleting the log.
    let day = dir.path().join("segments").join(SITE).join("2024-05-01");
    let id = std::fs::read_to_string(day.join("merged"))
        .unwrap()
        .trim()
        .to_string();
    let lines: String = two_days()[..4]
        .iter()
        .map(|e| serde_json::to_string(e).unwrap() + "\n")
        .collect();
    std::fs::write(
        dir.path()
            .join("log")
            .join(format!("2024-05-01.{id}.sealing")),
        lines,
    )
    .unwrap();
    // And a staging directory of a switch that never happened.
    std::fs::create_dir_all(day.with_extension("new")).unwrap();

    let reopened = Embedded::open(dir.path()).unwrap();
    assert_eq!(by_source(&reopened).await, expected());
    assert!(logs(dir.path()).is_empty());
    assert!(!day.with_extension("new").exists());
}

#[tokio::test]
async fn a_line_torn_by_a_crash_is_skipped_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = Embedded::open(dir.path()).unwrap();
    store.append(two_days()).await.unwrap();
    drop(store);
    let log = dir.path().join("log").join("2024-05-02.jsonl");
    let mut text = std::fs::read_to_string(&log).unwrap();
    text.push_str("{\"site\":\"0191e0c4-5a7b-7c3e-9d2f-1a2b3c4d5e6f\",\"at_ms\":17145");
    std::fs::write(&log, text).unwrap();
    let reopened = Embedded::open(dir.path()).unwrap();
    assert_eq!(by_source(&reopened).await, expected());
}

#[tokio::test]
async fn current_visitors_are_those_of_the_last_five_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Embedded::open(dir.path()).unwrap();
    store.append(two_days()).await.unwrap();
    let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    assert_eq!(
        store
            .current_visitors(SITE, at("2024-05-01T08:04:00Z"))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .current_visitors(SITE, at("2024-05-01T08:07:00Z"))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .current_visitors(SITE, at("2024-05-02T00:01:00Z"))
            .await
            .unwrap(),
        2,
        "across midnight"
    );
}

#[tokio::test]
async fn a_second_process_cannot_open_the_same_directory() {
    let dir = tempfile::tempdir().unwrap();
    let first = Embedded::open(dir.path()).unwrap();
    let second = Embedded::open(dir.path()).err().unwrap();
    assert!(
        second.to_string().contains("another Relais process"),
        "{second}"
    );
    drop(first);
    assert!(
        Embedded::open(dir.path()).is_ok(),
        "free again once the first is gone"
    );
}

#[tokio::test]
async fn events_of_a_site_id_that_could_leave_the_directory_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Embedded::open(dir.path()).unwrap();
    let mut bad = two_days().remove(0);
    bad.site = "../../etc".into();
    assert!(store.append(vec![bad]).await.is_err());
}

#[test]
fn segments_read_back_equal_and_damaged_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let seg = Segment::build(&two_days()[..4]);
    relais_analytics::arrow_io::write_segment(dir.path(), &seg).unwrap();
    let back = relais_analytics::arrow_io::read_segment(dir.path()).unwrap();
    assert_eq!(back.events.at_ms, seg.events.at_ms);
    assert_eq!(back.events.page, seg.events.page);
    assert_eq!(back.events.prop_start, seg.events.prop_start);
    assert_eq!(back.sessions.dims, seg.sessions.dims);
    assert_eq!(back.sessions.bounce, seg.sessions.bounce);
    assert_eq!(back.visitors, seg.visitors);
    assert_eq!(back.dicts.page.values(), seg.dicts.page.values());

    let events = dir.path().join("events.arrow");
    let bytes = std::fs::read(&events).unwrap();
    std::fs::write(&events, &bytes[..bytes.len() / 2]).unwrap();
    assert!(relais_analytics::arrow_io::read_segment(dir.path()).is_err());
    std::fs::write(&events, b"not arrow").unwrap();
    assert!(relais_analytics::arrow_io::read_segment(dir.path()).is_err());
}

#[tokio::test]
async fn warming_reads_recent_segments_ahead_and_answers_stay_the_same() {
    let dir = sealed_two_days().await;
    let reopened = Embedded::open(dir.path()).unwrap();
    assert_eq!(
        reopened.warm(now(), 31).unwrap(),
        2,
        "both days are within the month"
    );
    assert_eq!(reopened.warm(now(), 0).unwrap(), 0);
    assert_eq!(by_source(&reopened).await, expected());
}
