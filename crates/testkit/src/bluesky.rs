//! A real local Bluesky server for tests: a PLC directory and a PDS (the npm package
//! `@atproto/pds`, through `@atproto/dev-env`), run by Node from `peers/bluesky/start.mjs`.
//!
//! [`BlueskyPds::start`] starts one on free loopback ports with two accounts, `brand.test` and
//! `fan.test`, each with a password and an app password, and stops it on drop. The node
//! process reads its stdin, which only this process holds: when the test process ends, however
//! it ends, the pipe closes and the server shuts down and removes its data.
//!
//! Install the peer first (CI does): `cd peers/bluesky && npm ci`.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// How long the server may take to start and create its accounts.
const START_TIMEOUT: Duration = Duration::from_secs(90);
/// How long it may take to shut down cleanly once asked.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// An account on the local PDS.
#[derive(Clone, Debug, Deserialize)]
pub struct PdsAccount {
    /// For example `brand.test`.
    pub handle: String,
    /// `did:plc:…`, registered in the local PLC directory.
    pub did: String,
    pub email: String,
    /// The account's main password.
    pub password: String,
    /// An app password (`xxxx-xxxx-xxxx-xxxx`), as a user would give Relais; it logs in with
    /// `com.atproto.server.createSession` like the main password.
    #[serde(rename = "appPassword")]
    pub app_password: Option<String>,
}

#[derive(Deserialize)]
struct Ready {
    service: String,
    plc: String,
    accounts: Vec<PdsAccount>,
}

/// A running PDS. Dropping it stops the server.
pub struct BlueskyPds {
    /// The PDS's base URL, `http://127.0.0.1:PORT` (XRPC under `/xrpc/`).
    pub service: String,
    /// The PLC directory's base URL.
    pub plc: String,
    /// `brand.test` then `fan.test`.
    pub accounts: Vec<PdsAccount>,
    child: Child,
    /// Held open for the server's lifetime: closing it tells the server to stop.
    stdin: Option<ChildStdin>,
    stderr: Arc<Mutex<String>>,
}

impl BlueskyPds {
    /// Starts a PLC directory and a PDS on free loopback ports and waits until both accounts
    /// exist. Panics, saying what to install, if Node or the peer's packages are missing: a
    /// test that needs a Bluesky server must not pass without one.
    pub fn start() -> Self {
        let dir = peer_dir();
        let script = dir.join("start.mjs");
        assert!(
            script.exists(),
            "the Bluesky test peer is missing: {} does not exist",
            script.display()
        );
        assert!(
            dir.join("node_modules/@atproto/dev-env/package.json")
                .exists(),
            "the Bluesky test peer is not installed: run `cd {} && npm ci` (needs Node 20+ and npm; \
             better-sqlite3 builds from source with python3, make and a C++ compiler)",
            dir.display()
        );

        let mut child = Command::new("node")
            .arg(&script)
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run `node` for the Bluesky test peer ({e}); install Node.js 20+, \
                     then `cd {} && npm ci`",
                    dir.display()
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
                // Nothing else is expected on stdout; keep the pipe drained anyway.
                for _ in lines {}
            });
        }

        let started = Instant::now();
        let line = match rx.recv_timeout(START_TIMEOUT) {
            Ok(line) => line,
            Err(e) => {
                let why = match e {
                    mpsc::RecvTimeoutError::Timeout => {
                        format!(
                            "it did not report ready within {} s",
                            START_TIMEOUT.as_secs()
                        )
                    }
                    mpsc::RecvTimeoutError::Disconnected => "it exited before it was ready".into(),
                };
                let _ = child.kill();
                let status = child.wait();
                // Let the stderr thread catch the last lines.
                std::thread::sleep(Duration::from_millis(200));
                panic!(
                    "the Bluesky test peer failed to start: {why} (exit: {status:?}).\n\
                     If its packages are broken, reinstall them: `cd {} && rm -rf node_modules && npm ci`.\n\
                     Its stderr:\n{}",
                    dir.display(),
                    stderr.lock().map(|s| s.clone()).unwrap_or_default()
                );
            }
        };
        let ready: Ready = serde_json::from_str(&line).unwrap_or_else(|e| {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the Bluesky test peer printed an unexpected first line ({e}): {line}")
        });
        eprintln!(
            "Bluesky test PDS ready at {} in {:.1} s",
            ready.service,
            started.elapsed().as_secs_f64()
        );
        Self {
            service: ready.service,
            plc: ready.plc,
            accounts: ready.accounts,
            child,
            stdin,
            stderr,
        }
    }

    /// The account whose handle is `handle` (for example `brand.test`).
    pub fn account(&self, handle: &str) -> &PdsAccount {
        self.accounts
            .iter()
            .find(|a| a.handle == handle)
            .unwrap_or_else(|| panic!("the test PDS has no account {handle}"))
    }

    /// The account a brand publishes with: `brand.test`.
    pub fn brand(&self) -> &PdsAccount {
        self.account("brand.test")
    }

    /// A second account, for example one that replies or follows: `fan.test`.
    pub fn fan(&self) -> &PdsAccount {
        self.account("fan.test")
    }

    /// What the server wrote on stderr so far (set `LOG_ENABLED=true` for the PDS's own log).
    pub fn log(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for BlueskyPds {
    fn drop(&mut self) {
        // Closing stdin asks for a clean shutdown, which also removes the server's data.
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

/// `peers/bluesky` in the repository.
pub fn peer_dir() -> PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest
        .parent()
        .and_then(|crates| crates.parent())
        .unwrap_or(manifest);
    root.join("peers/bluesky")
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
