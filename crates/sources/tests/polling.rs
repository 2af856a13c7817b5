//! Polite polling against loopback servers: conditional requests, redirects, back-off, and
//! every way a fetch can fail (marked on the source, never stopping the others).

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use relais_outbound::{OutboundConfig, OutboundError};
use relais_sources::{
    FeedOutcome, Health, JobKind, PageOutcome, PollError, PollJob, PollState, Polled, poll_feed,
    poll_many, poll_page,
};
use support::{
    HOUR, NOW, Seen, client, dead_url, file, first_poll, fixture, open_client, serve, serve_raw,
    write,
};

const RSS: &str = "application/rss+xml";

fn failed(outcome: &FeedOutcome) -> &PollError {
    match outcome {
        FeedOutcome::Failed(error) => error,
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// Serves rss20.xml with an `ETag`, answering 304 to a matching `If-None-Match`.
async fn etag_server(seen: Seen) -> String {
    serve(Router::new().route(
        "/feed.xml",
        get(move |headers: HeaderMap| {
            let seen = seen.clone();
            async move {
                seen.record(&headers);
                let tag = "\"v1\"";
                if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v == tag) {
                    return StatusCode::NOT_MODIFIED.into_response();
                }
                (
                    [(header::CONTENT_TYPE, RSS), (header::ETAG, tag)],
                    fixture("rss20.xml"),
                )
                    .into_response()
            }
        }),
    ))
    .await
}

#[tokio::test]
async fn etag_is_sent_back_and_304_means_not_modified() {
    let seen = Seen::default();
    let url = format!("{}/feed.xml", etag_server(seen.clone()).await);
    let client = open_client();

    let first = poll_feed(&client, &url, &PollState::default(), NOW, HOUR).await;
    assert!(matches!(first.outcome, FeedOutcome::Fresh(ref f) if f.items.len() == 3));
    assert_eq!(first.state.etag.as_deref(), Some("\"v1\""));
    assert_eq!(first.state.next_poll_at, Some(NOW + 3_600_000));

    let later = NOW + 3_600_000;
    let second = poll_feed(&client, &url, &first.state, later, HOUR).await;
    assert!(
        matches!(second.outcome, FeedOutcome::NotModified),
        "{:?}",
        second.outcome
    );
    assert_eq!(
        second.state.etag.as_deref(),
        Some("\"v1\""),
        "kept across the 304"
    );
    assert_eq!(second.state.last_success_at, Some(later));

    let requests = seen.all();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].get(header::IF_NONE_MATCH), None);
    assert_eq!(
        requests[1].get(header::IF_NONE_MATCH).map(|v| v.as_bytes()),
        Some(b"\"v1\"".as_slice())
    );
    assert!(
        requests[0]
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("application/rss+xml")),
        "feeds are asked for by type"
    );
}

#[tokio::test]
async fn last_modified_is_sent_back_as_if_modified_since() {
    const STAMP: &str = "Mon, 02 Mar 2026 08:30:00 GMT";
    let seen = Seen::default();
    let recorder = seen.clone();
    let base = serve(Router::new().route(
        "/feed.atom",
        get(move |headers: HeaderMap| {
            let seen = recorder.clone();
            async move {
                seen.record(&headers);
                if headers
                    .get(header::IF_MODIFIED_SINCE)
                    .is_some_and(|v| v == STAMP)
                {
                    return StatusCode::NOT_MODIFIED.into_response();
                }
                (
                    [
                        (header::CONTENT_TYPE, "application/atom+xml"),
                        (header::LAST_MODIFIED, STAMP),
                    ],
                    fixture("atom10.xml"),
                )
                    .into_response()
            }
        }),
    ))
    .await;
    let url = format!("{base}/feed.atom");
    let first = first_poll(&url).await;
    assert_eq!(first.state.last_modified.as_deref(), Some(STAMP));
    assert_eq!(first.state.etag, None);
    let second = poll_feed(&open_client(), &url, &first.state, NOW + 1, HOUR).await;
    assert!(matches!(second.outcome, FeedOutcome::NotModified));
    let requests = seen.all();
    assert_eq!(requests[0].get(header::IF_MODIFIED_SINCE), None);
    assert_eq!(
        requests[1]
            .get(header::IF_MODIFIED_SINCE)
            .map(|v| v.as_bytes()),
        Some(STAMP.as_bytes())
    );
    assert_eq!(requests[1].get(header::IF_NONE_MATCH), None);
}

#[tokio::test]
async fn the_same_bytes_without_validators_are_not_read_twice() {
    let base = serve(Router::new().route("/feed.xml", file(RSS, "rss091.xml"))).await;
    let url = format!("{base}/feed.xml");
    let first = first_poll(&url).await;
    assert!(first.state.content_hash.is_some());
    let second = poll_feed(&open_client(), &url, &first.state, NOW + 1, HOUR).await;
    assert!(matches!(second.outcome, FeedOutcome::NotModified));
}

#[tokio::test]
async fn a_permanent_redirect_is_followed() {
    let base = serve(
        Router::new()
            .route(
                "/old.xml",
                get(|| async { Redirect::permanent("/blog/rss20.xml") }),
            )
            .route("/blog/rss20.xml", file(RSS, "rss20.xml")),
    )
    .await;
    let poll = first_poll(&format!("{base}/old.xml")).await;
    let FeedOutcome::Fresh(feed) = poll.outcome else {
        panic!("{:?}", poll.outcome);
    };
    assert_eq!(
        feed.items[0].url.as_deref(),
        Some(format!("{base}/blog/nouvel-atelier").as_str()),
        "relative links resolve against where the feed really is"
    );
}

#[tokio::test]
async fn a_redirect_loop_fails_on_the_source() {
    let base = serve(
        Router::new()
            .route("/a", get(|| async { Redirect::temporary("/b") }))
            .route("/b", get(|| async { Redirect::temporary("/a") })),
    )
    .await;
    let poll = first_poll(&format!("{base}/a")).await;
    let error = failed(&poll.outcome);
    assert!(
        matches!(
            error,
            PollError::Fetch(OutboundError::TooManyRedirects { .. })
        ),
        "{error:?}"
    );
    assert_eq!(error.code(), "source.redirect_loop");
    assert_eq!(poll.state.failures, 1);
}

#[tokio::test]
async fn a_dead_host_is_marked_and_retried_later() {
    let poll = first_poll(&dead_url()).await;
    let error = failed(&poll.outcome);
    assert!(
        matches!(error, PollError::Fetch(OutboundError::Connect(_))),
        "{error:?}"
    );
    let Health::Failing {
        since,
        failures,
        last_error,
        ..
    } = poll.state.health()
    else {
        panic!("{:?}", poll.state.health());
    };
    assert_eq!((since, failures), (NOW, 1));
    assert!(last_error.contains("could not connect"), "{last_error}");
    let wait = poll.state.next_poll_at.expect("scheduled") - NOW;
    assert!(
        (5_760_000..=7_200_000).contains(&wait),
        "twice the interval, less up to a fifth: {wait}"
    );
}

#[tokio::test]
async fn private_addresses_are_refused_by_default() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let base = serve(Router::new().route(
        "/feed.xml",
        get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { fixture("rss20.xml") }
        }),
    ))
    .await;
    let guarded = client(OutboundConfig::default());
    let poll = poll_feed(
        &guarded,
        &format!("{base}/feed.xml"),
        &PollState::default(),
        NOW,
        HOUR,
    )
    .await;
    let error = failed(&poll.outcome);
    assert!(error.code() == "source.forbidden_address", "{error:?}");
    assert!(error.to_string().contains("loopback"), "{error}");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the server was never reached"
    );
    assert_eq!(poll.state.failures, 1);
}

#[tokio::test]
async fn a_ten_gigabyte_response_is_refused_without_being_read() {
    // The server announces 10 GB; an endless chunked body is the other way to be huge.
    let announced = serve_raw(|mut socket| async move {
        let head = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 10737418240\r\n\r\n";
        if write(&mut socket, head).await {
            while write(&mut socket, &[b' '; 8192]).await {}
        }
    })
    .await;
    let endless = serve_raw(|mut socket| async move {
        if !write(
            &mut socket,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        )
        .await
        {
            return;
        }
        let chunk = [b"2000\r\n".as_slice(), &[b'<'; 0x2000], b"\r\n"].concat();
        while write(&mut socket, &chunk).await {}
    })
    .await;
    let capped = client(OutboundConfig {
        allow_private_addresses: true,
        max_response_bytes: 1024 * 1024,
        ..OutboundConfig::default()
    });
    for url in [
        format!("{announced}/huge.xml"),
        format!("{endless}/huge.xml"),
    ] {
        let poll = poll_feed(&capped, &url, &PollState::default(), NOW, HOUR).await;
        let error = failed(&poll.outcome);
        assert_eq!(error.code(), "source.too_large", "{url}: {error:?}");
        assert_eq!(poll.state.failures, 1);
    }
}

#[tokio::test]
async fn back_off_grows_with_failures_and_resets_after_a_success() {
    let healthy = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&healthy);
    let base = serve(Router::new().route(
        "/feed.xml",
        get(move || {
            let up = flag.load(Ordering::SeqCst);
            async move {
                if up {
                    ([(header::CONTENT_TYPE, RSS)], fixture("rss091.xml")).into_response()
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                }
            }
        }),
    ))
    .await;
    let url = format!("{base}/feed.xml");
    let client = open_client();
    let mut state = PollState::default();
    let mut now = NOW;
    let mut waits = Vec::new();
    for _ in 0..4 {
        let poll = poll_feed(&client, &url, &state, now, HOUR).await;
        let error = failed(&poll.outcome);
        assert_eq!(*error, PollError::Status { status: 500 });
        state = poll.state;
        let next = state.next_poll_at.expect("scheduled");
        waits.push(next - now);
        now = next;
    }
    assert!(
        waits.windows(2).all(|w| w[1] > w[0]),
        "each wait is longer: {waits:?}"
    );
    assert_eq!(state.failures, 4);
    assert_eq!(state.failing_since, Some(NOW));

    healthy.store(true, Ordering::SeqCst);
    let poll = poll_feed(&client, &url, &state, now, HOUR).await;
    assert!(matches!(poll.outcome, FeedOutcome::Fresh(_)));
    assert_eq!(poll.state.failures, 0);
    assert_eq!(
        poll.state.next_poll_at,
        Some(now + 3_600_000),
        "back to the interval"
    );
    assert_eq!(
        poll.state.health(),
        Health::Ok {
            last_success_at: now
        }
    );
    assert_eq!(
        poll.state.last_error, state.last_error,
        "the last error stays on record"
    );
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let base = serve(Router::new().route(
        "/feed.xml",
        get(|| async {
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, "36000")],
                "slow down",
            )
                .into_response()
        }),
    ))
    .await;
    let poll = first_poll(&format!("{base}/feed.xml")).await;
    assert_eq!(*failed(&poll.outcome), PollError::Status { status: 429 });
    assert_eq!(
        poll.state.next_poll_at,
        Some(NOW + 36_000_000),
        "ten hours, not two"
    );
    assert!(
        poll.state
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("slow down"))
    );
}

/// Serves page-v1.html until switched, then page-v2.html.
async fn changing_page() -> (String, Arc<AtomicBool>) {
    let switched = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&switched);
    let base = serve(Router::new().route(
        "/avis",
        get(move || {
            let name = if flag.load(Ordering::SeqCst) {
                "page-v2.html"
            } else {
                "page-v1.html"
            };
            async move {
                (
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    fixture(name),
                )
            }
        }),
    ))
    .await;
    (format!("{base}/avis"), switched)
}

#[tokio::test]
async fn a_watched_page_reports_what_was_added_once() {
    let (url, switched) = changing_page().await;
    let client = open_client();

    let first = poll_page(&client, &url, &PollState::default(), None, NOW, HOUR).await;
    let PageOutcome::Fresh {
        snapshot: v1,
        change: None,
    } = first.outcome
    else {
        panic!("the first look is a starting point: {:?}", first.outcome);
    };
    assert_eq!(v1.title.as_deref(), Some("Avis clients"));

    let same = poll_page(&client, &url, &first.state, Some(&v1), NOW + 1, HOUR).await;
    assert!(
        matches!(same.outcome, PageOutcome::NotModified),
        "{:?}",
        same.outcome
    );

    switched.store(true, Ordering::SeqCst);
    let later = NOW + 2;
    let changed = poll_page(&client, &url, &same.state, Some(&v1), later, HOUR).await;
    let PageOutcome::Fresh {
        snapshot: v2,
        change: Some(found),
    } = changed.outcome
    else {
        panic!("{:?}", changed.outcome);
    };
    assert_eq!(
        found.text, "« Service déplorable avec Relais » — Nina",
        "only the new review"
    );
    assert_eq!(found.key, format!("{url}#{}", v2.hash));
    assert_eq!(found.published_at, Some(later));
    assert_eq!(found.site.as_deref(), Some("127.0.0.1"));

    let again = poll_page(&client, &url, &changed.state, Some(&v2), later + 1, HOUR).await;
    assert!(
        matches!(again.outcome, PageOutcome::NotModified),
        "not reported twice"
    );
}

#[tokio::test]
async fn a_page_that_is_not_html_is_a_failure() {
    let base = serve(Router::new().route(
        "/doc.pdf",
        get(|| async { ([(header::CONTENT_TYPE, "application/pdf")], "%PDF-1.7") }),
    ))
    .await;
    let poll = poll_page(
        &open_client(),
        &format!("{base}/doc.pdf"),
        &PollState::default(),
        None,
        NOW,
        HOUR,
    )
    .await;
    let PageOutcome::Failed(error) = poll.outcome else {
        panic!("{:?}", poll.outcome);
    };
    assert_eq!(
        error,
        PollError::NotAPage {
            media_type: "application/pdf".into()
        }
    );
}

#[tokio::test]
async fn one_failing_source_does_not_stop_the_others() {
    let base = serve(
        Router::new()
            .route("/good.xml", file(RSS, "rss20.xml"))
            .route("/page.html", file("text/html", "page-with-feed.html"))
            .route("/loop", get(|| async { Redirect::temporary("/loop") }))
            .route(
                "/slow.xml",
                get(|| async {
                    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                    Response::new(axum::body::Body::from(fixture("rss091.xml")))
                }),
            ),
    )
    .await;
    let job = |url: String, kind: JobKind| PollJob {
        url,
        kind,
        state: PollState::default(),
        interval: HOUR,
    };
    let jobs = vec![
        job(dead_url(), JobKind::Feed),
        job(format!("{base}/loop"), JobKind::Feed),
        job(format!("{base}/good.xml"), JobKind::Feed),
        job(format!("{base}/page.html"), JobKind::Feed), // a page where a feed is expected
        job(format!("{base}/slow.xml"), JobKind::Feed),
        job(
            format!("{base}/page.html"),
            JobKind::Page { previous: None },
        ),
        job("not a url".to_owned(), JobKind::Feed),
    ];
    let results = poll_many(&open_client(), jobs, NOW, 3).await;
    assert_eq!(results.len(), 7, "one result per source, in order");
    let summary: Vec<&str> = results
        .iter()
        .map(|r| match r {
            Polled::Feed(p) => match &p.outcome {
                FeedOutcome::Fresh(_) => "fresh",
                FeedOutcome::NotModified => "same",
                FeedOutcome::Failed(e) => e.code(),
            },
            Polled::Page(p) => match &p.outcome {
                PageOutcome::Fresh { .. } => "page",
                PageOutcome::NotModified => "same",
                PageOutcome::Failed(e) => e.code(),
            },
        })
        .collect();
    assert_eq!(
        summary,
        [
            "source.unreachable",
            "source.redirect_loop",
            "fresh",
            "feed.html_page",
            "fresh",
            "page",
            "source.invalid_address",
        ]
    );
    let failures: Vec<u32> = results.iter().map(|r| r.state().failures).collect();
    assert_eq!(failures, [1, 1, 0, 1, 0, 0, 1]);
}
