//! Publishing from the command line against a real local Bluesky PDS: `relais post --wait`,
//! its refusals, and the exactly-once promise under SIGKILL: 200 posts while the worker process
//! is killed at random moments and restarted, after which every post exists once on the PDS.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use relais_testkit::bluesky::BlueskyPds;

fn relais(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relais"))
        .args(args)
        .current_dir(dir)
        .env("RELAIS_ALLOW_PRIVATE_ADDRESSES", "true")
        .env_remove("RELAIS_DATABASE_URL")
        .env_remove("RELAIS_DATA_DIR")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A data directory with workspace `acme` and a Bluesky channel `bsky` on the local PDS.
fn setup(pds: &BlueskyPds, d: &Path) {
    assert!(
        relais(&["workspace", "add", "acme", "--name", "Acme"], d)
            .status
            .success()
    );
    let brand = &pds.accounts[0];
    let add = Command::new(env!("CARGO_BIN_EXE_relais"))
        .args([
            "channel",
            "add",
            "bluesky",
            "--workspace",
            "acme",
            "--name",
            "bsky",
        ])
        .args(["--service", &pds.service, "--handle", &brand.handle])
        .current_dir(d)
        .env("RELAIS_ALLOW_PRIVATE_ADDRESSES", "true")
        .env("RELAIS_APP_PASSWORD", brand.app_password.clone().unwrap())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(add.status.success(), "{}", text(&add));
}

/// Every post text in the brand's repository, read straight from the PDS.
fn texts_on_pds(pds: &BlueskyPds) -> Vec<String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!(
                "{}/xrpc/com.atproto.repo.listRecords?repo={}&collection=app.bsky.feed.post&limit=100",
                pds.service, pds.accounts[0].did
            );
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let page: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
            let records = page["records"].as_array().cloned().unwrap_or_default();
            out.extend(records.iter().map(|r| r["value"]["text"].as_str().unwrap_or_default().to_owned()));
            cursor = page["cursor"].as_str().map(str::to_owned);
            if records.is_empty() || cursor.is_none() {
                return out;
            }
        }
    })
}

#[test]
fn post_wait_publishes_and_refusals_say_what_to_change() {
    let pds = BlueskyPds::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(&pds, d);

    let image = d.join("logo.png");
    std::fs::write(
        &image,
        include_bytes!("../../networks/tests/fixtures/blue-8x8.png"),
    )
    .unwrap();
    let ok = relais(
        &[
            "post",
            "--workspace",
            "acme",
            "--channel",
            "bsky",
            "--text",
            "Bonjour 👋 #Relais",
            "--text",
            "la suite du fil",
            "--image",
            image.to_str().unwrap(),
            "--alt",
            "Un carré bleu",
            "--wait",
            "--timeout",
            "60",
        ],
        d,
    );
    assert!(ok.status.success(), "{}", text(&ok));
    let url = String::from_utf8_lossy(&ok.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("bsky: ").map(str::to_owned))
        .unwrap();
    assert!(url.contains("/post/"), "the URL is printed: {url}");
    let on_pds = texts_on_pds(&pds);
    assert!(
        on_pds.contains(&"Bonjour 👋 #Relais".to_owned())
            && on_pds.contains(&"la suite du fil".to_owned())
    );

    let long = "a".repeat(301);
    let refused = relais(
        &[
            "post",
            "--workspace",
            "acme",
            "--channel",
            "bsky",
            "--text",
            &long,
        ],
        d,
    );
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("300"),
        "names the limit: {}",
        text(&refused)
    );
    let unknown = relais(
        &[
            "post",
            "--workspace",
            "acme",
            "--channel",
            "nope",
            "--text",
            "x",
        ],
        d,
    );
    assert!(!unknown.status.success() && text(&unknown).contains("relais channel list"));
    let past = relais(
        &[
            "post",
            "--workspace",
            "acme",
            "--channel",
            "bsky",
            "--text",
            "x",
            "--at",
            "2020-01-01 09:00",
        ],
        d,
    );
    assert!(!past.status.success() && text(&past).contains("in the past"));
    let skipped = relais(
        &[
            "post",
            "--workspace",
            "acme",
            "--channel",
            "bsky",
            "--text",
            "x",
            "--at",
            "2030-03-31 02:30",
            "--time-zone",
            "Europe/Paris",
        ],
        d,
    );
    assert!(
        !skipped.status.success() && text(&skipped).contains("clocks jump forward"),
        "{}",
        text(&skipped)
    );
    let later = relais(
        &[
            "post",
            "--workspace",
            "acme",
            "--channel",
            "bsky",
            "--text",
            "plus tard",
            "--at",
            "2030-07-01 09:00",
            "--time-zone",
            "Europe/Paris",
        ],
        d,
    );
    assert!(later.status.success());
    assert!(
        text(&later).contains("2030-07-01 09:00 +02:00"),
        "shown in the zone it was planned in: {}",
        text(&later)
    );
    assert_eq!(
        texts_on_pds(&pds)
            .iter()
            .filter(|t| *t == "plus tard")
            .count(),
        0,
        "not before its time"
    );
}

#[test]
fn two_hundred_posts_survive_random_sigkills_exactly_once() {
    let pds = BlueskyPds::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(&pds, d);
    const N: usize = 200;
    // Queue the posts through the CLI, without waiting: they wait for the worker below.
    for i in 0..N {
        let o = relais(
            &[
                "post",
                "--workspace",
                "acme",
                "--channel",
                "bsky",
                "--text",
                &format!("crash test {i}"),
            ],
            d,
        );
        assert!(o.status.success(), "{}", text(&o));
    }
    // Run the worker, killing it with SIGKILL at random moments, until nothing is left.
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut kills = 0;
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let mut child = Command::new(env!("CARGO_BIN_EXE_relais"))
            .args(["serve", "--no-web"])
            .current_dir(d)
            .env("RELAIS_ALLOW_PRIVATE_ADDRESSES", "true")
            .env("RELAIS_JOB_LEASE_MS", "1500")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let alive = Duration::from_millis(150 + rng % 900);
        std::thread::sleep(alive);
        let published = texts_on_pds(&pds).len();
        if published >= N || Instant::now() > deadline {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
            if published >= N {
                break;
            }
            panic!("only {published} of {N} published before the deadline");
        }
        child.kill().unwrap(); // SIGKILL: no chance to tidy up.
        child.wait().unwrap();
        kills += 1;
    }
    // Let a last clean worker settle whatever the last kill interrupted, then count.
    let settle = relais(
        &[
            "post",
            "--workspace",
            "acme",
            "--channel",
            "bsky",
            "--text",
            "fin",
            "--wait",
            "--timeout",
            "60",
        ],
        d,
    );
    assert!(settle.status.success(), "{}", text(&settle));
    let mut seen: HashMap<String, usize> = HashMap::new();
    for t in texts_on_pds(&pds) {
        *seen.entry(t).or_default() += 1;
    }
    for i in 0..N {
        let n = seen.get(&format!("crash test {i}")).copied().unwrap_or(0);
        assert_eq!(
            n, 1,
            "post {i} is on the PDS {n} times (after {kills} kills)"
        );
    }
    assert!(
        kills >= 3,
        "the worker was killed {kills} times: the test must really interrupt it"
    );
}

#[test]
fn two_workers_on_one_postgresql_share_the_queue_without_duplicates() {
    let pds = BlueskyPds::start();
    let pg = relais_testkit::postgres::fresh_database();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = String::from_utf8(relais(&["config", "secret-key"], d).stdout)
        .unwrap()
        .trim()
        .to_owned();
    let on_pg = |args: &[&str], extra: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_relais"));
        c.args(args)
            .args(["--database-url", &pg])
            .current_dir(d)
            .env("RELAIS_ALLOW_PRIVATE_ADDRESSES", "true")
            .env("RELAIS_SECRET_KEY", &key)
            .stdin(Stdio::null());
        for (k, v) in extra {
            c.env(k, v);
        }
        c
    };
    // Without the key, PostgreSQL installs are told to set one.
    let no_key = Command::new(env!("CARGO_BIN_EXE_relais"))
        .args(["serve", "--no-web", "--database-url", &pg])
        .current_dir(d)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        !no_key.status.success() && text(&no_key).contains("RELAIS_SECRET_KEY"),
        "{}",
        text(&no_key)
    );

    assert!(
        on_pg(&["workspace", "add", "acme", "--name", "Acme"], &[])
            .output()
            .unwrap()
            .status
            .success()
    );
    let brand = &pds.accounts[0];
    let app = brand.app_password.clone().unwrap();
    let added = on_pg(
        &[
            "channel",
            "add",
            "bluesky",
            "--workspace",
            "acme",
            "--name",
            "bsky",
            "--service",
            &pds.service,
            "--handle",
            &brand.handle,
        ],
        &[("RELAIS_APP_PASSWORD", &app)],
    )
    .output()
    .unwrap();
    assert!(added.status.success(), "{}", text(&added));
    const N: usize = 60;
    for i in 0..N {
        let o = on_pg(
            &[
                "post",
                "--workspace",
                "acme",
                "--channel",
                "bsky",
                "--text",
                &format!("shared {i}"),
            ],
            &[],
        )
        .output()
        .unwrap();
        assert!(o.status.success(), "{}", text(&o));
    }
    let mut workers: Vec<_> = (0..2)
        .map(|_| {
            on_pg(&["serve", "--no-web"], &[("RUST_LOG", "warn")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    while texts_on_pds(&pds)
        .iter()
        .filter(|t| t.starts_with("shared "))
        .count()
        < N
    {
        assert!(Instant::now() < deadline, "not all published in time");
        std::thread::sleep(Duration::from_millis(300));
    }
    std::thread::sleep(Duration::from_millis(500));
    for w in &mut workers {
        let _ = Command::new("kill")
            .args(["-TERM", &w.id().to_string()])
            .status();
        let _ = w.wait();
    }
    let texts = texts_on_pds(&pds);
    for i in 0..N {
        let n = texts
            .iter()
            .filter(|t| **t == format!("shared {i}"))
            .count();
        assert_eq!(n, 1, "post {i} published {n} times by two workers");
    }
}

#[test]
fn a_signed_webhook_channel_receives_each_post_once() {
    use std::sync::{Arc, Mutex};
    let rt = tokio::runtime::Runtime::new().unwrap();
    type Received = Arc<Mutex<Vec<(axum::http::HeaderMap, Vec<u8>)>>>;
    let received: Received = Arc::default();
    let sink = received.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let sink = sink.clone();
                async move {
                    sink.lock().unwrap().push((headers, body.to_vec()));
                    axum::Json(
                        serde_json::json!({ "id": "r-1", "url": "https://receiver.example/r-1" }),
                    )
                }
            },
        ),
    );
    let server = rt.block_on(relais_testkit::mock_http::MockHttp::start(router));
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(
        relais(&["workspace", "add", "acme", "--name", "Acme"], d)
            .status
            .success()
    );
    let added = relais(
        &[
            "channel",
            "add",
            "webhook",
            "--workspace",
            "acme",
            "--name",
            "hook",
            "--url",
            &server.url("/hook"),
        ],
        d,
    );
    assert!(added.status.success(), "{}", text(&added));
    let secret = String::from_utf8_lossy(&added.stdout)
        .lines()
        .next()
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(
        received.lock().unwrap().len(),
        1,
        "connecting pings the receiver"
    );

    let sent = relais(
        &[
            "post",
            "--workspace",
            "acme",
            "--channel",
            "hook",
            "--text",
            "Pour le CRM",
            "--wait",
            "--timeout",
            "30",
        ],
        d,
    );
    assert!(sent.status.success(), "{}", text(&sent));
    assert!(
        text(&sent).contains("hook: https://receiver.example/r-1"),
        "{}",
        text(&sent)
    );
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "the ping, then the post once");
    let (headers, body) = &got[1];
    let header = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        relais_networks::webhook::verify_signature(
            secret.as_bytes(),
            &header("x-relais-timestamp"),
            body,
            &header("x-relais-signature"),
            now
        ),
        "the receiver can check the signature with the secret it was given"
    );
    assert!(
        !header("idempotency-key").is_empty(),
        "and dedupe on the idempotency key"
    );
    let payload: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(payload["text"], "Pour le CRM");
    drop(server);
}
