//! For the tests in real headless Chromium (Debian's chromium + chromedriver, driven through
//! WebDriver by fantoccini): the app served on a loopback socket, and a browser session in
//! English.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;

use axum::Router;
use fantoccini::{Client, ClientBuilder};
use relais_testkit::chromedriver::{CHROMIUM_ARGS, Chromedriver};

/// Serves `router` on a free loopback port for the rest of the test; returns its base address
/// (`http://127.0.0.1:…`).
pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    format!("http://{addr}")
}

/// A headless Chromium session whose pages ask for English.
pub async fn english_session(driver: &Chromedriver) -> Client {
    session(
        driver,
        &["--lang=en-US"],
        Some(serde_json::json!({ "intl.accept_languages": "en-US,en" })),
    )
    .await
}

/// A headless Chromium session with `extra` flags (after [`CHROMIUM_ARGS`]) and preferences.
///
/// Chromium sometimes dies while starting on a loaded machine (chromedriver then says
/// "DevToolsActivePort file doesn't exist"): a session that could not be created is asked
/// for again, three times at most, before the test fails with the last reason.
pub async fn session(
    driver: &Chromedriver,
    extra: &[&str],
    prefs: Option<serde_json::Value>,
) -> Client {
    // fantoccini's TLS stack needs a process-wide provider chosen; ours is ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut options = serde_json::json!({
        "binary": Chromedriver::chromium_binary(),
        "args": CHROMIUM_ARGS.iter().chain(extra).copied().collect::<Vec<_>>(),
    });
    if let Some(prefs) = prefs {
        options["prefs"] = prefs;
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    let mut attempt = 1;
    loop {
        match ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps.clone())
            .connect(&driver.url)
            .await
        {
            Ok(client) => return client,
            Err(err) if attempt < 3 => {
                eprintln!("chromedriver session attempt {attempt} failed ({err}); trying again");
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            }
            Err(err) => panic!("chromedriver session: {err}"),
        }
    }
}
