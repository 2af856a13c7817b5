//! The SSRF guard against real local servers: refused destinations must see no connection.

mod support;

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use relais_outbound::OutboundError;
use support::{HOST_A, HOST_B, TestServer, closed_port, guarded, guarded_except, open, serve};

fn hello() -> Router {
    Router::new().route("/", get(|| async { "hello" }))
}

/// A server whose `/` redirects to `target`.
async fn redirecting_to(target: String) -> TestServer {
    let router = Router::new().route(
        "/",
        get(move || {
            let target = target.clone();
            async move { Redirect::temporary(&target) }
        }),
    );
    serve(HOST_A, router).await
}

fn expect_forbidden(
    result: Result<relais_outbound::FetchedResponse, OutboundError>,
) -> OutboundError {
    match result {
        Err(err @ OutboundError::Forbidden { .. }) => err,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn ip_literal_loopback_is_refused_before_any_connection() {
    let server = serve(HOST_A, hello()).await;
    let err = expect_forbidden(guarded().fetch_url(&server.url("/")).await);
    let text = err.to_string();
    assert!(
        text.starts_with("refused to connect to 127.0.0.1 (loopback address)"),
        "{text}"
    );
    assert!(
        text.contains("RELAIS_ALLOW_PRIVATE_ADDRESSES=true"),
        "{text}"
    );
    assert_eq!(server.connections(), 0);
    assert_eq!(server.requests(), 0);
}

#[tokio::test]
async fn ipv6_and_mapped_literals_of_loopback_are_refused() {
    let server = serve(HOST_A, hello()).await;
    let port = server.addr.port();
    for url in [
        format!("http://[::1]:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://[::ffff:7f00:1]:{port}/"),
        format!("http://2130706433:{port}/"),
        format!("http://127.1:{port}/"),
    ] {
        let err = expect_forbidden(guarded().fetch_url(&url).await);
        assert!(err.to_string().contains("loopback address"), "{url}: {err}");
    }
    assert_eq!(server.connections(), 0);
}

#[tokio::test]
async fn localhost_is_refused_after_resolution() {
    let server = serve(HOST_A, hello()).await;
    let url = format!("http://localhost:{}/", server.addr.port());
    let err = expect_forbidden(guarded().fetch_url(&url).await);
    match &err {
        OutboundError::Forbidden { host, addr, reason } => {
            assert_eq!(host, "localhost");
            assert!(addr.is_loopback(), "{addr}");
            assert_eq!(*reason, "loopback address");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("refused to connect to localhost, which resolves to")
    );
    assert_eq!(server.connections(), 0);
}

#[tokio::test]
async fn allow_listed_address_is_reachable_by_literal_and_by_name() {
    let server = serve(HOST_A, hello()).await;
    let client = guarded_except(&[HOST_A]);

    let response = client
        .fetch_url(&server.url("/"))
        .await
        .expect("allow-listed literal");
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"hello");

    // localhost may also resolve to ::1, which stays refused; 127.0.0.1 is used instead.
    let url = format!("http://localhost:{}/", server.addr.port());
    let response = client.fetch_url(&url).await.expect("allow-listed via DNS");
    assert_eq!(response.body, b"hello");
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn redirect_to_a_refused_address_is_stopped_before_connecting() {
    let target = serve(HOST_B, hello()).await;
    let first = redirecting_to(target.url("/")).await;

    let result = guarded_except(&[HOST_A]).fetch_url(&first.url("/")).await;
    let err = expect_forbidden(result);
    assert!(
        err.to_string()
            .starts_with("refused to connect to 127.0.0.2 (loopback address)"),
        "{err}"
    );
    assert_eq!(first.requests(), 1, "the first hop is allowed");
    assert_eq!(
        target.connections(),
        0,
        "the redirect target must never be contacted"
    );
}

#[tokio::test]
async fn redirect_to_cloud_metadata_is_refused() {
    let first = redirecting_to("http://169.254.169.254/latest/meta-data/".to_owned()).await;
    let err = expect_forbidden(guarded_except(&[HOST_A]).fetch_url(&first.url("/")).await);
    assert!(
        err.to_string()
            .contains("169.254.169.254 (cloud metadata address)"),
        "{err}"
    );
}

#[tokio::test]
async fn redirect_to_a_name_resolving_to_a_refused_address_is_refused() {
    let target = serve(HOST_B, hello()).await;
    // localhost resolves to 127.0.0.1 / ::1, neither of which is allowed here.
    let first = serve(
        HOST_B,
        Router::new().route(
            "/",
            get(move || async move {
                Redirect::temporary(&format!("http://localhost:{}/", target.addr.port()))
            }),
        ),
    )
    .await;
    let err = expect_forbidden(guarded_except(&[HOST_B]).fetch_url(&first.url("/")).await);
    match err {
        OutboundError::Forbidden { host, .. } => assert_eq!(host, "localhost"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn redirect_to_another_scheme_is_refused() {
    let first = redirecting_to("file:///etc/passwd".to_owned()).await;
    let result = guarded_except(&[HOST_A]).fetch_url(&first.url("/")).await;
    assert_eq!(
        result.expect_err("file:// redirect must fail"),
        OutboundError::UnsupportedScheme("file".to_owned())
    );
}

#[tokio::test]
async fn with_the_guard_lifted_local_servers_and_redirects_work() {
    let target = serve(HOST_B, hello()).await;
    let first = redirecting_to(target.url("/")).await;
    let client = open();

    let response = client
        .fetch_url(&first.url("/"))
        .await
        .expect("redirect followed");
    assert_eq!(response.status, 200);
    assert_eq!(response.text_lossy(), "hello");
    assert_eq!(response.final_url.as_str(), target.url("/"));

    let local = serve(HOST_A, hello()).await;
    let url = format!("http://localhost:{}/", local.addr.port());
    let response = client.fetch_url(&url).await.expect("localhost allowed");
    assert_eq!(response.body, b"hello");
}

#[tokio::test]
async fn non_http_schemes_are_refused() {
    for (url, scheme) in [
        ("ftp://127.0.0.1/file", "ftp"),
        ("ftp://example.org/file", "ftp"),
        ("file:///etc/passwd", "file"),
        ("gopher://example.org/", "gopher"),
    ] {
        for client in [guarded(), open()] {
            assert_eq!(
                client.fetch_url(url).await.expect_err(url),
                OutboundError::UnsupportedScheme(scheme.to_owned())
            );
        }
    }
}

#[tokio::test]
async fn fetch_rechecks_builders_not_made_by_request() {
    let server = serve(HOST_A, hello()).await;
    let client = guarded();
    let builder = client.reqwest().get(server.url("/"));
    expect_forbidden(client.fetch(builder).await);
    assert_eq!(server.connections(), 0);
}

#[tokio::test]
async fn passwords_never_appear_in_errors() {
    let port = closed_port().await;
    let url = format!("http://admin:hunter2@127.0.0.1:{port}/");

    let refused = guarded().fetch_url(&url).await.expect_err("refused");
    assert!(!refused.to_string().contains("hunter2"), "{refused}");
    assert!(!format!("{refused:?}").contains("hunter2"), "{refused:?}");

    let failed = open().fetch_url(&url).await.expect_err("nothing listens");
    assert!(matches!(failed, OutboundError::Connect(_)), "{failed:?}");
    assert!(!failed.to_string().contains("hunter2"), "{failed}");
    assert!(!format!("{failed:?}").contains("hunter2"), "{failed:?}");
}
