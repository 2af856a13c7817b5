//! The `relais` binary as a person or a script uses it: help, administration commands, bad
//! input, `serve` with a graceful stop, and `db copy` from SQLite to a real PostgreSQL and back.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn relais(args: &[&str], data: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relais"))
        .args(args)
        .current_dir(data)
        .env("RELAIS_PASSWORD", "correct horse battery")
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

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["workspace", "add", "--help"],
        vec!["user", "add", "--help"],
        vec!["user", "password", "--help"],
        vec!["token", "create", "--help"],
        vec!["db", "copy", "--help"],
        vec!["config", "default", "--help"],
        vec!["bench", "http", "--help"],
    ] {
        let o = relais(&args, dir.path());
        assert!(o.status.success(), "{args:?}: {}", text(&o));
        assert!(text(&o).contains("Usage"), "{args:?}");
    }
    let serve = text(&relais(&["serve", "--help"], dir.path()));
    for flag in [
        "--data-dir",
        "--database-url",
        "--listen",
        "--no-web",
        "--no-workers",
    ] {
        assert!(serve.contains(flag), "serve --help documents {flag}");
    }
    let key = relais(&["config", "secret-key"], dir.path());
    let key = String::from_utf8_lossy(&key.stdout).trim().to_owned();
    assert!(
        relais_vault::Vault::from_base64(&key).is_ok(),
        "a usable key: {key}"
    );
    let config = relais(&["config", "default"], dir.path());
    assert!(String::from_utf8_lossy(&config.stdout).contains("[mail]"));
}

#[test]
fn administration_commands_and_their_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(
        relais(&["workspace", "add", "acme", "--name", "Acme"], d)
            .status
            .success()
    );
    assert!(
        d.join("relais-data/relais.db").exists(),
        "the default data directory is made"
    );

    let dup = relais(&["workspace", "add", "acme", "--name", "Again"], d);
    assert!(!dup.status.success());
    assert!(text(&dup).contains("already used"), "{}", text(&dup));
    let bad = relais(&["workspace", "add", "Acme Corp", "--name", "x"], d);
    assert!(!bad.status.success() && text(&bad).contains("acme-france"));

    let ok = relais(
        &[
            "user",
            "add",
            "ada@acme.test",
            "--role",
            "admin",
            "--workspace",
            "acme",
        ],
        d,
    );
    assert!(ok.status.success(), "{}", text(&ok));
    let role = relais(
        &[
            "user",
            "add",
            "bob@acme.test",
            "--role",
            "owner",
            "--workspace",
            "acme",
        ],
        d,
    );
    assert!(
        !role.status.success()
            && text(&role).contains("admin, manager, editor, contributor, analyst")
    );
    let ws = relais(
        &[
            "user",
            "add",
            "bob@acme.test",
            "--role",
            "editor",
            "--workspace",
            "nope",
        ],
        d,
    );
    assert!(
        !ws.status.success() && text(&ws).contains("relais workspace add nope"),
        "{}",
        text(&ws)
    );
    let no_pw = Command::new(env!("CARGO_BIN_EXE_relais"))
        .args([
            "user",
            "add",
            "eve@acme.test",
            "--role",
            "editor",
            "--workspace",
            "acme",
        ])
        .current_dir(d)
        .env_remove("RELAIS_PASSWORD")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!no_pw.status.success() && text(&no_pw).contains("RELAIS_PASSWORD"));

    let reset = Command::new(env!("CARGO_BIN_EXE_relais"))
        .args(["user", "password", "ada@acme.test"])
        .current_dir(d)
        .env("RELAIS_PASSWORD", "a new long password")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(reset.status.success(), "{}", text(&reset));
    let nobody = relais(&["user", "password", "nobody@acme.test"], d);
    assert!(!nobody.status.success() && text(&nobody).contains("relais user add"));
    let short = Command::new(env!("CARGO_BIN_EXE_relais"))
        .args(["user", "password", "ada@acme.test"])
        .current_dir(d)
        .env("RELAIS_PASSWORD", "short")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!short.status.success() && text(&short).contains("at least 10"));

    let unwritable = relais(&["migrate", "--data-dir", "/proc/relais"], d);
    assert!(!unwritable.status.success());
    assert!(
        text(&unwritable).contains("--data-dir"),
        "says what to do: {}",
        text(&unwritable)
    );
    assert!(!text(&unwritable).contains("panicked"));

    let token = relais(
        &[
            "token",
            "create",
            "--workspace",
            "acme",
            "--role",
            "analyst",
        ],
        d,
    );
    assert!(token.status.success());
    let last = String::from_utf8_lossy(&token.stdout)
        .lines()
        .last()
        .unwrap()
        .to_owned();
    assert!(
        last.starts_with("rls_") && last.len() > 40,
        "the token is the last line: {last}"
    );

    // Serve, call the API with the token, stop with SIGTERM.
    let port = relais_testkit::free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_relais"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .current_dir(d)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(
        line.trim(),
        format!("Relais is serving http://127.0.0.1:{port}/ (sqlite)")
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let answer = rt.block_on(async {
        reqwest::Client::new()
            .get(format!("http://127.0.0.1:{port}/api/v1/workspace"))
            .bearer_auth(&last)
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()
    });
    assert_eq!(answer["slug"], "acme");
    assert_eq!(answer["token"]["role"], "analyst");
    stop(&mut child, &mut out);
}

/// Stops `relais serve` with SIGTERM and checks that it stopped gracefully.
fn stop(child: &mut std::process::Child, out: &mut BufReader<std::process::ChildStdout>) {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "relais did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "a graceful stop exits 0");
    let mut rest = String::new();
    std::io::Read::read_to_string(out, &mut rest).unwrap();
    assert!(rest.contains("Relais stopped"));
}

/// The periodic jobs (sessions' housekeeping, listening's tick) plan their own next run; a
/// restart must not start a second chain of them.
#[test]
fn restarts_keep_one_chain_of_each_periodic_job() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for _ in 0..2 {
        let port = relais_testkit::free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_relais"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .current_dir(d)
            .env_remove("RELAIS_DATABASE_URL")
            .env_remove("RELAIS_DATA_DIR")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert!(line.contains("Relais is serving"), "{line}");
        // Long enough for the worker to run the first tick, which plans the next.
        std::thread::sleep(Duration::from_millis(1500));
        stop(&mut child, &mut out);
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let waiting = rt.block_on(async {
        let location =
            relais_store::DatabaseLocation::parse(d.join("relais-data").to_str().unwrap());
        let store = relais_store::open(&location).await.unwrap();
        let counts = (
            store.jobs_waiting("listen.tick").await.unwrap(),
            store
                .jobs_waiting("housekeeping.purge_sessions")
                .await
                .unwrap(),
            store.jobs_waiting("inbox.tick").await.unwrap(),
        );
        store.close().await;
        counts
    });
    assert_eq!(
        waiting,
        (1, 1, 1),
        "one listening tick, one housekeeping job and one inbox tick wait"
    );
}

#[test]
fn db_copy_moves_everything_to_postgres_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (slug, name) in [("acme", "Acme"), ("globex", "Globex « FR »")] {
        assert!(
            relais(&["workspace", "add", slug, "--name", name], d)
                .status
                .success()
        );
    }
    assert!(
        relais(
            &[
                "user",
                "add",
                "ada@acme.test",
                "--role",
                "admin",
                "--workspace",
                "acme"
            ],
            d
        )
        .status
        .success()
    );
    assert!(
        relais(
            &[
                "user",
                "add",
                "ada@acme.test",
                "--role",
                "analyst",
                "--workspace",
                "globex"
            ],
            d
        )
        .status
        .success()
    );
    let token = relais(&["token", "create", "--workspace", "globex"], d);
    assert!(token.status.success());

    let pg = relais_testkit::postgres::fresh_database();
    let to_pg = relais(&["db", "copy", "--from", "relais-data", "--to", &pg], d);
    assert!(to_pg.status.success(), "{}", text(&to_pg));
    assert!(text(&to_pg).contains("memberships"));
    let listed = relais(&["workspace", "list", "--database-url", &pg], d);
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(
        listed.contains("acme\tAcme") && listed.contains("globex\tGlobex « FR »"),
        "{listed}"
    );

    let again = relais(&["db", "copy", "--from", "relais-data", "--to", &pg], d);
    assert!(
        !again.status.success(),
        "never merges into a database that holds data"
    );
    assert!(text(&again).contains("empty"));

    let back = relais(&["db", "copy", "--from", &pg, "--to", "copy-back"], d);
    assert!(back.status.success(), "{}", text(&back));
    let original = relais(&["workspace", "list"], d);
    let round_trip = relais(&["workspace", "list", "--data-dir", "copy-back"], d);
    assert_eq!(
        original.stdout, round_trip.stdout,
        "the same workspaces, ids included"
    );
    // The copied account still logs in: adding it elsewhere finds it by e-mail.
    let found = relais(
        &[
            "user",
            "add",
            "ada@acme.test",
            "--role",
            "editor",
            "--workspace",
            "acme",
            "--data-dir",
            "copy-back",
        ],
        d,
    );
    assert!(
        text(&found).contains("already a member"),
        "{}",
        text(&found)
    );

    let missing = relais(&["db", "copy", "--from", "nowhere", "--to", "x"], d);
    assert!(!missing.status.success() && text(&missing).contains("check --from"));
}

#[test]
fn channel_add_checks_the_account_on_a_real_pds_and_stores_it_sealed() {
    let pds = relais_testkit::bluesky::BlueskyPds::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(
        relais(&["workspace", "add", "acme", "--name", "Acme"], d)
            .status
            .success()
    );
    let brand = &pds.accounts[0];
    let app_password = brand.app_password.clone().unwrap();
    let add = |name: &str, password: &str, allow_private: bool| {
        Command::new(env!("CARGO_BIN_EXE_relais"))
            .args([
                "channel",
                "add",
                "bluesky",
                "--workspace",
                "acme",
                "--name",
                name,
            ])
            .args(["--service", &pds.service, "--handle", &brand.handle])
            .current_dir(d)
            .env("RELAIS_APP_PASSWORD", password)
            .env(
                "RELAIS_ALLOW_PRIVATE_ADDRESSES",
                if allow_private { "true" } else { "false" },
            )
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let guarded = add("Bluesky", &app_password, false);
    assert!(
        !guarded.status.success(),
        "loopback is refused unless the config allows it"
    );
    assert!(
        text(&guarded).contains("RELAIS_ALLOW_PRIVATE_ADDRESSES"),
        "{}",
        text(&guarded)
    );
    let wrong = add("Bluesky", "aaaa-bbbb-cccc-dddd", true);
    assert!(!wrong.status.success());
    assert!(text(&wrong).contains("app password"), "{}", text(&wrong));
    let ok = add("Bluesky", &app_password, true);
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains(&format!("@{}", brand.handle)));
    let dup = add("Bluesky", &app_password, true);
    assert!(!dup.status.success() && text(&dup).contains("already has a channel"));

    let listed = relais(&["channel", "list", "--workspace", "acme"], d);
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert_eq!(
        listed.lines().count(),
        1,
        "refused attempts stored nothing: {listed}"
    );
    assert!(
        listed.starts_with(&format!("Bluesky\tbluesky\t{}\tactive", brand.handle)),
        "{listed}"
    );

    // Sealed at rest: neither the app password nor the session tokens are in the database.
    let mut db = std::fs::read(d.join("relais-data/relais.db")).unwrap();
    if let Ok(wal) = std::fs::read(d.join("relais-data/relais.db-wal")) {
        db.extend(wal);
    }
    let contains = |needle: &[u8]| db.windows(needle.len()).any(|w| w == needle);
    assert!(
        !contains(app_password.as_bytes()),
        "the app password is not stored in clear"
    );
    // A JWT is `eyJ…` (its JSON header in base64url), a dot, then `eyJ…` (its payload). The
    // sealed values' random base64 holds "eyJ" alone now and then, never that shape.
    let holds_jwt = db.windows(3).enumerate().any(|(i, w)| {
        w == b"eyJ" && {
            let rest = &db[i + 3..];
            let run = rest
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-' || **b == b'_')
                .count();
            rest.get(run..run + 4) == Some(b".eyJ".as_slice())
        }
    });
    assert!(!holds_jwt, "no JWT is stored in clear");
    assert!(contains(b"\"app_password\":\"v1."), "but sealed");
    assert!(d.join("relais-data/secret.key").exists());
}

/// `relais channel add token x`: tokens from the environment, settings as key=value, checked
/// with a local server answering X's `GET /2/users/me`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_channels_take_tokens_from_the_environment() {
    use axum::Json;
    use axum::http::{HeaderMap, StatusCode};
    async fn me(headers: HeaderMap) -> (StatusCode, Json<serde_json::Value>) {
        match headers.get("authorization").and_then(|v| v.to_str().ok()) {
            Some("Bearer cli-token") => (
                StatusCode::OK,
                Json(serde_json::json!({ "data": { "id": "42", "username": "brand" } })),
            ),
            _ => (
                StatusCode::UNAUTHORIZED,
                Json(serde_json::json!({ "status": 401 })),
            ),
        }
    }
    let server = relais_testkit::mock_http::MockHttp::start(
        axum::Router::new().route("/2/users/me", axum::routing::get(me)),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let base = format!("api_base={}", server.base_url());
    let out = tokio::task::spawn_blocking(move || {
        let run = |args: &[&str], token: &str| {
            Command::new(env!("CARGO_BIN_EXE_relais"))
                .args(args)
                .current_dir(&path)
                .env("RELAIS_ACCESS_TOKEN", token)
                .env("RELAIS_ALLOW_PRIVATE_ADDRESSES", "true")
                .env_remove("RELAIS_DATABASE_URL")
                .env_remove("RELAIS_DATA_DIR")
                .stdin(Stdio::null())
                .output()
                .unwrap()
        };
        assert!(
            run(&["workspace", "add", "acme", "--name", "Acme"], "")
                .status
                .success()
        );
        let add = |network: &str, setting: &str, token: &str| {
            run(
                &[
                    "channel",
                    "add",
                    "token",
                    network,
                    "--workspace",
                    "acme",
                    "--name",
                    "X",
                    "--setting",
                    "client_id=abc",
                    "--setting",
                    setting,
                ],
                token,
            )
        };
        let wrong_network = add("bluesky", &base, "cli-token");
        let wrong_setting = add("x", "no-equals", "cli-token");
        let refused = add("x", &base, "stale-token");
        let ok = add("x", &base, "cli-token");
        let list = run(&["channel", "list", "--workspace", "acme"], "");
        (wrong_network, wrong_setting, refused, ok, list)
    })
    .await
    .unwrap();
    let (wrong_network, wrong_setting, refused, ok, list) = out;
    assert!(
        !wrong_network.status.success()
            && text(&wrong_network).contains("does not take OAuth tokens")
    );
    assert!(!wrong_setting.status.success() && text(&wrong_setting).contains("key=value"));
    assert!(
        !refused.status.success() && text(&refused).contains("x refused the connection"),
        "{}",
        text(&refused)
    );
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains("@brand"));
    assert!(text(&list).contains('X') && text(&list).contains("x"));
    server.stop().await;
}
