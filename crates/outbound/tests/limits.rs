//! Time-outs, body cap, redirect cap and User-Agent, against real local servers.

mod support;

use std::time::{Duration, Instant};

use axum::Router;
use axum::http::HeaderMap;
use axum::response::Redirect;
use axum::routing::get;
use relais_outbound::{DEFAULT_USER_AGENT, OutboundConfig, OutboundError};
use support::{HOST_A, client, open, serve, serve_raw, write};

fn open_with(cfg: OutboundConfig) -> relais_outbound::HttpClient {
    client(OutboundConfig {
        allow_private_addresses: true,
        ..cfg
    })
}

fn capped(limit: u64) -> relais_outbound::HttpClient {
    open_with(OutboundConfig {
        max_response_bytes: limit,
        ..OutboundConfig::default()
    })
}

fn sized_bodies() -> Router {
    Router::new()
        .route("/1000", get(|| async { vec![b'x'; 1000] }))
        .route("/1001", get(|| async { vec![b'x'; 1001] }))
}

#[tokio::test]
async fn body_at_the_cap_is_accepted() {
    let server = serve(HOST_A, sized_bodies()).await;
    let response = capped(1000)
        .fetch_url(&server.url("/1000"))
        .await
        .expect("fits");
    assert_eq!(response.body.len(), 1000);
}

#[tokio::test]
async fn body_over_the_cap_with_content_length_is_refused() {
    let server = serve(HOST_A, sized_bodies()).await;
    let err = capped(1000)
        .fetch_url(&server.url("/1001"))
        .await
        .expect_err("too big");
    assert_eq!(err, OutboundError::TooLarge { limit: 1000 });
    assert!(err.to_string().contains("max_response_bytes"), "{err}");
}

#[tokio::test]
async fn endless_chunked_body_is_cut_at_the_cap() {
    // No Content-Length and a body that never ends: only the running count can stop it.
    let server = serve_raw(HOST_A, |mut socket| async move {
        if !write(
            &mut socket,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        )
        .await
        {
            return;
        }
        let chunk = [b"400\r\n".as_slice(), &[b'y'; 0x400], b"\r\n"].concat();
        while write(&mut socket, &chunk).await {}
    })
    .await;
    let started = Instant::now();
    let err = capped(64 * 1024)
        .fetch_url(&server.url("/"))
        .await
        .expect_err("endless body");
    assert_eq!(err, OutboundError::TooLarge { limit: 64 * 1024 });
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn small_chunked_body_is_read_whole() {
    let server = serve_raw(HOST_A, |mut socket| async move {
        write(
            &mut socket,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
              5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        )
        .await;
    })
    .await;
    let response = capped(11)
        .fetch_url(&server.url("/"))
        .await
        .expect("fits exactly");
    assert_eq!(response.text_lossy(), "hello world");
}

#[tokio::test]
async fn slow_response_trips_the_total_timeout() {
    let router = Router::new().route(
        "/",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "too late"
        }),
    );
    let server = serve(HOST_A, router).await;
    let limit = Duration::from_millis(300);
    let client = open_with(OutboundConfig {
        total_timeout: limit,
        ..OutboundConfig::default()
    });
    let started = Instant::now();
    let err = client
        .fetch_url(&server.url("/"))
        .await
        .expect_err("too slow");
    assert_eq!(err, OutboundError::Timeout { limit });
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn stalled_body_trips_the_total_timeout() {
    let server = serve_raw(HOST_A, |mut socket| async move {
        write(
            &mut socket,
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..",
        )
        .await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let limit = Duration::from_millis(300);
    let client = open_with(OutboundConfig {
        total_timeout: limit,
        ..OutboundConfig::default()
    });
    let started = Instant::now();
    let err = client
        .fetch_url(&server.url("/"))
        .await
        .expect_err("stalled");
    assert_eq!(err, OutboundError::Timeout { limit });
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

fn echo_user_agent() -> Router {
    Router::new().route(
        "/",
        get(|headers: HeaderMap| async move {
            headers
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("<none>")
                .to_owned()
        }),
    )
}

#[tokio::test]
async fn default_user_agent_names_relais_and_its_version() {
    let server = serve(HOST_A, echo_user_agent()).await;
    let response = open().fetch_url(&server.url("/")).await.expect("echo");
    assert_eq!(response.text_lossy(), DEFAULT_USER_AGENT);
    assert!(DEFAULT_USER_AGENT.starts_with(concat!("Relais/", env!("CARGO_PKG_VERSION"))));
}

#[tokio::test]
async fn configured_user_agent_arrives() {
    let server = serve(HOST_A, echo_user_agent()).await;
    let client = open_with(OutboundConfig {
        user_agent: "Relais-test/9.9 (+https://example.invalid)".to_owned(),
        ..OutboundConfig::default()
    });
    let response = client.fetch_url(&server.url("/")).await.expect("echo");
    assert_eq!(
        response.text_lossy(),
        "Relais-test/9.9 (+https://example.invalid)"
    );
}

fn looping() -> Router {
    Router::new().route("/loop", get(|| async { Redirect::temporary("/loop") }))
}

#[tokio::test]
async fn redirect_loop_stops_at_the_cap() {
    let server = serve(HOST_A, looping()).await;
    let err = open()
        .fetch_url(&server.url("/loop"))
        .await
        .expect_err("loop");
    assert_eq!(err, OutboundError::TooManyRedirects { limit: 5 });
    assert_eq!(
        server.requests(),
        6,
        "the first request plus five redirects"
    );
}

#[tokio::test]
async fn zero_redirects_returns_the_redirect_itself() {
    let server = serve(HOST_A, looping()).await;
    let client = open_with(OutboundConfig {
        max_redirects: 0,
        ..OutboundConfig::default()
    });
    let response = client
        .fetch_url(&server.url("/loop"))
        .await
        .expect("3xx returned");
    assert_eq!(response.status, 307);
    assert_eq!(
        response
            .headers
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some("/loop")
    );
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn request_builders_carry_method_headers_and_body() {
    let router = Router::new().route(
        "/echo",
        axum::routing::post(|headers: HeaderMap, body: String| async move {
            let tag = headers
                .get("x-relais-test")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            format!("{tag}:{body}")
        }),
    );
    let server = serve(HOST_A, router).await;
    let client = open();
    let request = client
        .post(&server.url("/echo"))
        .expect("valid URL")
        .header("x-relais-test", "abc")
        .body("payload");
    let response = client.fetch(request).await.expect("posted");
    assert!(response.is_success());
    assert_eq!(response.text_lossy(), "abc:payload");
    assert_eq!(response.content_type(), Some("text/plain; charset=utf-8"));
}

#[tokio::test]
async fn non_success_statuses_are_returned_not_raised() {
    let server = serve(HOST_A, Router::new()).await;
    let response = open()
        .fetch_url(&server.url("/missing"))
        .await
        .expect("404 is a response");
    assert_eq!(response.status, 404);
    assert!(!response.is_success());
}
