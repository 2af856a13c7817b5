//! The team inbox from the command line, as a script uses it: `relais analyze toxicity` (one
//! JSON object a line, in order), and against a stateful Mastodon API server (`mastodon-mock`):
//! `relais serve --no-web` reads the channel's inbox, `relais inbox list --json` prints the
//! conversation with its message, `relais inbox reply --wait` answers it on the instance as a
//! reply and prints its address, and a reply too long for Mastodon is refused with the figures
//! before anything is queued.
#![allow(clippy::unwrap_used)]

mod common;

use common::run_with_stdin as with_stdin;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use relais_testkit::mastodon::MockMastodon;
use serde_json::{Value, json};

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

#[test]
fn toxicity_is_one_json_object_a_line_in_the_same_order() {
    let input = "Merci beaucoup pour votre aide, bonne journée !\n\
                 You are a fucking idiot, shut up\n\
                 12345 !!!\n\
                 Ferme ta gueule espèce de connard\n\
                 Thanks a lot, the delivery was quick.\n";
    let (ok, out, err) = with_stdin(&["analyze", "toxicity"], input);
    assert!(ok, "{err}");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "{out}");
    let toxic: Vec<bool> = lines.iter().map(|l| l["toxic"] == json!(true)).collect();
    assert_eq!(toxic, [false, true, false, true, false], "{out}");
    assert_eq!(lines[0]["lang"], json!("fr"));
    assert_eq!(lines[1]["lang"], json!("en"));
    assert_eq!(lines[2]["lang"], Value::Null, "no letters, no language");
    for l in &lines {
        let score = l["score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&score), "{l}");
    }
    assert!(lines[1]["score"].as_f64().unwrap() > lines[0]["score"].as_f64().unwrap());
    // A language forced on every line.
    let (ok, out, _) = with_stdin(&["analyze", "toxicity", "--lang", "en"], "hello\n");
    assert!(ok);
    assert!(out.contains("\"lang\":\"en\""), "{out}");
}

#[test]
fn list_and_reply_from_the_command_line() {
    let mock = MockMastodon::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A key for the channels' secrets, as an installation has.
    let key = relais(&["config", "secret-key"], d);
    assert!(key.status.success(), "{}", text(&key));
    std::fs::write(
        d.join("relais.toml"),
        format!(
            "secret_key = \"{}\"\ninbox_tick_seconds = 5\n",
            String::from_utf8_lossy(&key.stdout).trim()
        ),
    )
    .unwrap();
    assert!(
        relais(&["workspace", "add", "acme", "--name", "Acme"], d)
            .status
            .success()
    );
    let add = Command::new(env!("CARGO_BIN_EXE_relais"))
        .args([
            "channel",
            "add",
            "mastodon",
            "--workspace",
            "acme",
            "--name",
            "masto",
            "--instance",
            &mock.instance,
        ])
        .current_dir(d)
        .env("RELAIS_ALLOW_PRIVATE_ADDRESSES", "true")
        .env("RELAIS_ACCESS_TOKEN", &mock.brand().access_token)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(add.status.success(), "{}", text(&add));

    // The fan asks the brand something.
    let client = reqwest::blocking::Client::new();
    let question: Value = client
        .post(format!("{}/api/v1/statuses", mock.instance))
        .bearer_auth(&mock.fan().access_token)
        .json(&json!({ "status": "@brand ma commande 42 est-elle partie ?" }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let question_id = question["id"].as_str().unwrap().to_owned();

    // The worker reads the inbox (its first tick runs at start).
    let mut serve = Command::new(env!("CARGO_BIN_EXE_relais"))
        .args(["serve", "--no-web"])
        .current_dir(d)
        .env("RELAIS_ALLOW_PRIVATE_ADDRESSES", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let listed = loop {
        let out = relais(&["inbox", "list", "--workspace", "acme", "--json"], d);
        assert!(out.status.success(), "{}", text(&out));
        let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        if !lines.is_empty() {
            break lines;
        }
        assert!(Instant::now() < deadline, "the mention never arrived");
        std::thread::sleep(Duration::from_millis(300));
    };
    // SIGTERM, as a service manager stops it: the worker finishes cleanly.
    let _ = Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status();
    let _ = serve.wait();

    assert_eq!(listed.len(), 1, "{listed:?}");
    let conversation = &listed[0];
    assert_eq!(conversation["status"], json!("open"));
    assert_eq!(conversation["channel"], json!("masto"));
    assert_eq!(conversation["assignee"], Value::Null);
    let messages = conversation["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["network_id"], json!(question_id));
    assert!(
        messages[0]["author_handle"]
            .as_str()
            .unwrap()
            .starts_with("fan"),
        "{conversation}"
    );
    assert!(
        messages[0]["text"]
            .as_str()
            .unwrap()
            .contains("commande 42")
    );
    let id = conversation["id"].as_str().unwrap();

    // Too long for Mastodon: refused with the figures, nothing queued.
    let long = "x".repeat(501);
    let refused = relais(
        &["inbox", "reply", id, "--workspace", "acme", "--text", &long],
        d,
    );
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("501") && text(&refused).contains("500"),
        "{}",
        text(&refused)
    );

    // A reply that fits, waited for: its address on the instance, as an answer to the fan.
    let sent = relais(
        &[
            "inbox",
            "reply",
            id,
            "--workspace",
            "acme",
            "--text",
            "Oui, partie ce matin !",
            "--wait",
        ],
        d,
    );
    assert!(sent.status.success(), "{}", text(&sent));
    let url = String::from_utf8_lossy(&sent.stdout)
        .lines()
        .last()
        .unwrap()
        .to_owned();
    assert!(url.starts_with("http"), "{url}");
    let after = relais(&["inbox", "list", "--workspace", "acme", "--json"], d);
    let line: Value = serde_json::from_str(
        String::from_utf8_lossy(&after.stdout)
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let ours = &line["messages"].as_array().unwrap()[1];
    assert_eq!(ours["outgoing"], json!(true));
    assert_eq!(ours["delivery"], json!("sent"));
    let status_id = ours["network_id"].as_str().unwrap();
    let status: Value = client
        .get(format!("{}/api/v1/statuses/{status_id}", mock.instance))
        .bearer_auth(&mock.brand().access_token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(status["in_reply_to_id"], json!(question_id), "{status}");
    assert!(
        status["content"]
            .as_str()
            .unwrap()
            .contains("partie ce matin")
    );
}
