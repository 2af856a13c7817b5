//! The audience from the command line and across crashes: `relais site add`, history imported
//! from Plausible's CSV export and exported again, and every event acknowledged with 202 still
//! counted after `relais serve` is killed with SIGKILL and started again.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use serde_json::{Value, json};

fn relais(args: &[&str], data: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relais"))
        .args(args)
        .current_dir(data)
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

fn setup(d: &Path) -> String {
    assert!(
        relais(&["workspace", "add", "acme", "--name", "Acme"], d)
            .status
            .success()
    );
    let added = relais(
        &[
            "site",
            "add",
            "https://www.Shop.example.com/",
            "--workspace",
            "acme",
            "--time-zone",
            "Europe/Paris",
        ],
        d,
    );
    assert!(added.status.success(), "{}", text(&added));
    let id = String::from_utf8_lossy(&added.stdout).trim().to_owned();
    assert_eq!(id.len(), 36, "the site's id is printed: {id}");
    id
}

#[test]
fn sites_are_added_once_and_history_imported_and_exported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let again = relais(
        &["site", "add", "shop.example.com", "--workspace", "acme"],
        d,
    );
    assert!(!again.status.success());
    assert!(
        text(&again).contains("already registered"),
        "{}",
        text(&again)
    );
    let bad = relais(&["site", "add", "not a domain", "--workspace", "acme"], d);
    assert!(!bad.status.success() && text(&bad).contains("not a domain"));
    let zone = relais(
        &[
            "site",
            "add",
            "blog.example.com",
            "--workspace",
            "acme",
            "--time-zone",
            "Mars/Base",
        ],
        d,
    );
    assert!(!zone.status.success() && text(&zone).contains("time zone"));
    let list = relais(&["site", "list", "--workspace", "acme"], d);
    assert!(text(&list).contains("shop.example.com\tEurope/Paris"));

    let export_dir = d.join("plausible-export");
    std::fs::create_dir(&export_dir).unwrap();
    std::fs::write(
        export_dir.join("imported_visitors_20241201_20241203.csv"),
        "\"date\",\"visitors\",\"pageviews\",\"bounces\",\"visits\",\"visit_duration\"\n\"2024-12-01\",5,50,2,7,8640\n\"2024-12-02\",3,4,2,3,43\n\"2024-12-03\",2,1,1,1,0\n",
    )
    .unwrap();
    let imported = relais(
        &[
            "analytics",
            "import",
            "plausible-export",
            "--site",
            "shop.example.com",
            "--workspace",
            "acme",
        ],
        d,
    );
    assert!(!imported.status.success(), "one row is refused");
    let said = text(&imported);
    assert!(said.contains("54 events imported"), "{said}");
    assert!(
        said.contains("line 4:") && said.contains("2 visitors for 1 visits"),
        "{said}"
    );

    let exported = relais(
        &[
            "analytics",
            "export",
            "--site",
            "shop.example.com",
            "--workspace",
            "acme",
            "--output",
            "events.jsonl",
        ],
        d,
    );
    assert!(exported.status.success(), "{}", text(&exported));
    let lines = std::fs::read_to_string(d.join("events.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 54);
    let first: Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(first["name"], "pageview");

    // The export goes back in as JSON lines, into another site, whole.
    relais(
        &["site", "add", "copy.example.com", "--workspace", "acme"],
        d,
    );
    let back = relais(
        &[
            "analytics",
            "import",
            "events.jsonl",
            "--site",
            "copy.example.com",
            "--workspace",
            "acme",
        ],
        d,
    );
    assert!(back.status.success(), "{}", text(&back));
    assert!(text(&back).contains("54 events imported"));
    let missing = relais(
        &[
            "analytics",
            "export",
            "--site",
            "nope.example.com",
            "--workspace",
            "acme",
        ],
        d,
    );
    assert!(!missing.status.success() && text(&missing).contains("site list"));
}

fn serve(d: &Path, port: u16) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_relais"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .current_dir(d)
        .env_remove("RELAIS_DATABASE_URL")
        .env_remove("RELAIS_DATA_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("Relais is serving"), "{line}");
    child
}

#[test]
fn every_acknowledged_event_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let token_out = relais(
        &[
            "token",
            "create",
            "--workspace",
            "acme",
            "--name",
            "stats",
            "--role",
            "analyst",
        ],
        d,
    );
    assert!(token_out.status.success(), "{}", text(&token_out));
    let token = String::from_utf8_lossy(&token_out.stdout)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned();

    let port = relais_testkit::free_port();
    let mut child = serve(d, port);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    // 200 page views from 40 browsers, 8 at a time; each acknowledged before the kill.
    let accepted = rt.block_on(async {
        let mut accepted = 0;
        for wave in 0..25 {
            let mut sent = Vec::new();
            for i in 0..8 {
                let n = wave * 8 + i;
                let body = json!({"n": "pageview", "u": format!("https://shop.example.com/p/{}", n % 10), "d": "shop.example.com"});
                sent.push(tokio::spawn(
                    client
                        .post(format!("{base}/api/event"))
                        .header("user-agent", format!("Mozilla/5.0 (X11; Linux x86_64) Firefox/{}.0", 100 + n % 40))
                        .body(body.to_string())
                        .send(),
                ));
            }
            for answer in sent {
                if answer.await.unwrap().unwrap().status() == reqwest::StatusCode::ACCEPTED {
                    accepted += 1;
                }
            }
        }
        accepted
    });
    assert_eq!(accepted, 200);
    Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();

    let mut child = serve(d, port);
    let answer: Value = rt.block_on(async {
        client
            .post(format!("{base}/api/v2/query"))
            .bearer_auth(&token)
            .json(&json!({"site_id": "shop.example.com", "metrics": ["visitors", "pageviews"], "date_range": "day"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    assert_eq!(
        answer["results"],
        json!([{"metrics": [40, 200], "dimensions": []}]),
        "{answer}"
    );
}
