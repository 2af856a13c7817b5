//! Starts Debian's chromedriver on a free port for a browser test, and stops it on drop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Chromedriver {
    pub url: String,
    child: Child,
}

/// Flags for headless Chromium on a machine without a display, GPU or outside network.
pub const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--window-size=1280,900",
];

impl Chromedriver {
    /// Panics with what to install when chromedriver is missing: a browser test must not pass
    /// without a browser.
    pub fn start() -> Self {
        let binary = ["/usr/bin/chromedriver", "chromedriver"]
            .into_iter()
            .find(|p| Command::new(p).arg("--version").output().is_ok())
            .expect("chromedriver was not found; install Debian's chromium and chromium-driver packages");
        let port = crate::free_port();
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen within 20 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Self {
            url: format!("http://127.0.0.1:{port}"),
            child,
        }
    }

    /// The Chromium binary Debian installs.
    pub fn chromium_binary() -> &'static str {
        "/usr/bin/chromium"
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
