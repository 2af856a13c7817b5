//! A local Mastodon server for tests: the PyPI package `mastodon-mock` (a stateful Mastodon REST
//! API on FastAPI and SQLite, with fault injection), run by Python from
//! `peers/mastodon/serve.py`.
//!
//! [`MockMastodon::start`] starts one on a free loopback port with two local accounts, `brand`
//! and `fan`, each with an access token, and stops it on drop. The Python process reads its
//! stdin, which only this process holds: when the test process ends, however it ends, the pipe
//! closes and the server stops and removes its media.
//!
//! Faults (a forced status with headers, a rate limit, a malformed body, latency, a hung
//! request) are added with [`MockMastodon::add_fault`]; each applies to the requests it matches
//! until its `count` runs out.
//!
//! Install the peer first (CI does): `python3 -m pip install -r peers/mastodon/requirements.txt`.
//! `RELAIS_MASTODON_PYTHON` names another interpreter than `python3`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;

/// How long the server may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long it may take to stop once its stdin is closed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// The version of `mastodon-mock` pinned in `peers/mastodon/requirements.txt`.
pub const PINNED_VERSION: &str = "0.6.1";
/// The environment variable naming the Python interpreter (default `python3`).
pub const PYTHON_ENV: &str = "RELAIS_MASTODON_PYTHON";

/// A local account on the mock instance.
#[derive(Clone, Debug, Deserialize)]
pub struct MockAccount {
    /// `brand` or `fan`; its `acct` on the instance.
    pub username: String,
    /// A bearer token with the `read write follow push` scopes.
    pub access_token: String,
}

#[derive(Deserialize)]
struct Ready {
    instance: String,
    version: String,
    accounts: Vec<MockAccount>,
}

/// A running mock Mastodon instance. Dropping it stops the server.
pub struct MockMastodon {
    /// The instance's base URL, `http://127.0.0.1:PORT`.
    pub instance: String,
    /// The `mastodon-mock` version that runs.
    pub version: String,
    /// `brand` then `fan`.
    pub accounts: Vec<MockAccount>,
    addr: String,
    child: Child,
    /// Held open for the server's lifetime: closing it tells the server to stop.
    stdin: Option<ChildStdin>,
    stderr: Arc<Mutex<String>>,
}

impl MockMastodon {
    /// Starts the server on a free loopback port and waits until it answers. Panics, saying
    /// what to install, if Python or the package is missing: a test that needs a Mastodon
    /// server must not pass without one.
    pub fn start() -> Self {
        let dir = peer_dir();
        let script = dir.join("serve.py");
        assert!(
            script.exists(),
            "the Mastodon test peer is missing: {} does not exist",
            script.display()
        );
        let python = std::env::var(PYTHON_ENV).unwrap_or_else(|_| "python3".to_owned());
        let install = format!(
            "{python} -m pip install -r {}",
            dir.join("requirements.txt").display()
        );

        let mut child = Command::new(&python)
            .arg(&script)
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run `{python}` for the Mastodon test peer ({e}); install Python 3.10+ \
                     (or set {PYTHON_ENV}), then `{install}`"
                )
            });
        let stdin = child.stdin.take();

        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(pipe) = child.stderr.take() {
            let sink = stderr.clone();
            std::thread::spawn(move || drain_into(pipe, &sink));
        }

        let (tx, rx) = mpsc::channel::<String>();
        if let Some(pipe) = child.stdout.take() {
            std::thread::spawn(move || {
                let mut lines = BufReader::new(pipe).lines();
                if let Some(Ok(line)) = lines.next() {
                    let _ = tx.send(line);
                }
                for _ in lines {}
            });
        }

        let started = Instant::now();
        let line = match rx.recv_timeout(START_TIMEOUT) {
            Ok(line) => line,
            Err(e) => {
                let why = match e {
                    mpsc::RecvTimeoutError::Timeout => format!(
                        "it did not report ready within {} s",
                        START_TIMEOUT.as_secs()
                    ),
                    mpsc::RecvTimeoutError::Disconnected => "it exited before it was ready".into(),
                };
                let _ = child.kill();
                let status = child.wait();
                std::thread::sleep(Duration::from_millis(200));
                let log = stderr.lock().map(|s| s.clone()).unwrap_or_default();
                let hint = if log.contains("not installed") || log.contains("ModuleNotFoundError") {
                    format!("the PyPI package mastodon-mock is not installed: run `{install}`")
                } else {
                    format!("if its packages are broken, reinstall them: `{install}`")
                };
                panic!(
                    "the Mastodon test peer failed to start: {why} (exit: {status:?}).\n{hint}.\n\
                     Its stderr:\n{log}"
                );
            }
        };
        let ready: Ready = serde_json::from_str(&line).unwrap_or_else(|e| {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the Mastodon test peer printed an unexpected first line ({e}): {line}")
        });
        if ready.version != PINNED_VERSION {
            eprintln!(
                "warning: mastodon-mock {} runs, but {PINNED_VERSION} is pinned: `{install}`",
                ready.version
            );
        }
        eprintln!(
            "mastodon-mock {} ready at {} in {:.1} s",
            ready.version,
            ready.instance,
            started.elapsed().as_secs_f64()
        );
        let addr = ready
            .instance
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        Self {
            instance: ready.instance,
            version: ready.version,
            accounts: ready.accounts,
            addr,
            child,
            stdin,
            stderr,
        }
    }

    /// The account whose username is `username`.
    pub fn account(&self, username: &str) -> &MockAccount {
        self.accounts
            .iter()
            .find(|a| a.username == username)
            .unwrap_or_else(|| panic!("the mock instance has no account {username}"))
    }

    /// The account a brand publishes with: `brand`.
    pub fn brand(&self) -> &MockAccount {
        self.account("brand")
    }

    /// A second account, for example one that favourites, boosts or replies: `fan`.
    pub fn fan(&self) -> &MockAccount {
        self.account("fan")
    }

    /// Adds a fault rule (mastodon-mock's `POST /api/v1/_mock/faults`) and returns its id.
    ///
    /// `rule` is `{"match": {"methods": [..], "path": "/api/v1/statuses" | "path_regex": ".."},
    /// "effect": {"type": "status" | "ratelimit" | "malformed" | "latency" | "timeout",
    /// "status": 503, "body": {..}, "headers": {..}, "delay_ms": 0}, "count": 1}`; without
    /// `count` it fires forever. The first matching rule applies; `/api/v1/_mock/*` is exempt.
    pub fn add_fault(&self, rule: Value) -> String {
        let (status, answer) = self.control("POST", "/api/v1/_mock/faults", Some(&rule));
        assert_eq!(status, 200, "the fault was refused: {answer}");
        answer["id"].as_str().unwrap_or_default().to_owned()
    }

    /// The fault rules still active, with their remaining counts.
    pub fn faults(&self) -> Value {
        self.control("GET", "/api/v1/_mock/faults", None).1
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        let (status, answer) = self.control("DELETE", "/api/v1/_mock/faults", None);
        assert_eq!(status, 200, "the faults could not be cleared: {answer}");
    }

    /// What the server wrote on stderr so far.
    pub fn log(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// One call to the mock's control plane, over a plain blocking connection (the test kit
    /// has no HTTP client, and these calls are local and tiny).
    fn control(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let payload = body.map(Value::to_string).unwrap_or_default();
        let mut stream = TcpStream::connect(&self.addr)
            .unwrap_or_else(|e| panic!("cannot reach the mock instance at {}: {e}", self.addr));
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{payload}",
            self.addr,
            payload.len()
        );
        stream
            .write_all(request.as_bytes())
            .unwrap_or_else(|e| panic!("cannot write to the mock instance: {e}"));
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .unwrap_or_else(|e| panic!("cannot read the mock instance's answer: {e}"));
        let text = String::from_utf8_lossy(&raw);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    }
}

impl Drop for MockMastodon {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `peers/mastodon` in the repository.
pub fn peer_dir() -> PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest
        .parent()
        .and_then(|crates| crates.parent())
        .unwrap_or(manifest);
    root.join("peers/mastodon")
}

fn drain_into(pipe: impl Read, sink: &Mutex<String>) {
    let mut reader = BufReader::new(pipe);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                if let Ok(mut s) = sink.lock() {
                    s.push_str(&String::from_utf8_lossy(&buf));
                }
            }
        }
    }
}
