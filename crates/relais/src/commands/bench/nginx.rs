//! The peer: nginx, started as a child process with a generated config in a temporary
//! directory, serving static files at the same paths as the routes of Relais under test.
//!
//! nginx is the peer because it is what people put in front of, or instead of, an application
//! server on Debian: its figure says what this machine can do for HTTP at all. Its settings are
//! Debian's defaults (sendfile, tcp_nopush, no open-file cache) with `worker_processes auto` (one
//! worker per CPU, as Relais's runtime has one worker thread per CPU), access log off (Relais
//! logs nothing during the run either) and keep-alive for the whole run.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use tokio::process::{Child, Command};

/// Said whenever nginx cannot be found or run.
pub const MISSING: &str =
    "nginx was not found; install it (Debian: apt-get install nginx-light) to measure the peer";

/// The nginx program: `explicit` when given, else /usr/sbin/nginx, else `nginx` on the PATH.
pub fn find(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        if p.is_file() {
            return Ok(p.to_owned());
        }
        bail!("{} is not a file; {MISSING}", p.display());
    }
    let debian = Path::new("/usr/sbin/nginx");
    if debian.is_file() {
        return Ok(debian.to_owned());
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("nginx"))
        .find(|p| p.is_file())
        .ok_or_else(|| anyhow!(MISSING))
}

/// What `nginx -V` says: its version line and the modules left out of the build.
pub struct Build {
    pub version: String,
    configure: String,
}

impl Build {
    pub async fn probe(binary: &Path) -> Result<Self> {
        let out = Command::new(binary)
            .arg("-V")
            .stdin(Stdio::null())
            .output()
            .await
            .with_context(|| format!("cannot run {}; {MISSING}", binary.display()))?;
        // nginx prints -V to standard error.
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() {
            bail!("{} -V failed: {}", binary.display(), text.trim());
        }
        let version = text
            .lines()
            .find_map(|l| l.strip_prefix("nginx version: "))
            .unwrap_or("nginx (unknown version)")
            .trim()
            .to_owned();
        Ok(Self {
            version,
            configure: text,
        })
    }

    /// The HTTP temp-path directives for the modules this build has: nginx creates every one at
    /// start, and their compiled-in places (/var/lib/nginx/…) are not writable by everyone.
    fn temp_paths(&self, dir: &str) -> String {
        let mut out = format!("    client_body_temp_path \"{dir}/tmp/body\";\n");
        for module in ["proxy", "fastcgi", "uwsgi", "scgi"] {
            if !self
                .configure
                .contains(&format!("--without-http_{module}_module"))
            {
                out.push_str(&format!("    {module}_temp_path \"{dir}/tmp/{module}\";\n"));
            }
        }
        out
    }
}

/// A running nginx; stopped by [`NginxPeer::stop`] (or, failing that, when dropped).
pub struct NginxPeer {
    pub port: u16,
    binary: PathBuf,
    conf: PathBuf,
    child: Option<Child>,
    dir: tempfile::TempDir,
}

impl NginxPeer {
    /// Writes `files` (URL path → bytes) under a fresh document root, starts nginx on a free
    /// loopback port and waits until it accepts connections. `locations` are added to the
    /// server block as they are (nginx `location` blocks, for answers that are not files).
    pub async fn start(
        binary: &Path,
        build: &Build,
        files: &[(&str, Vec<u8>)],
        locations: &str,
        connections: u32,
    ) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("relais-bench-nginx-")
            .tempdir()
            .context("cannot create a temporary directory for nginx")?;
        let root = dir.path().join("www");
        for (url_path, bytes) in files {
            let relative = url_path.trim_start_matches('/');
            if relative.is_empty() || relative.split('/').any(|p| p.is_empty() || p == "..") {
                bail!("cannot serve `{url_path}` from a file");
            }
            let file = root.join(relative);
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            std::fs::write(&file, bytes)
                .with_context(|| format!("cannot write {}", file.display()))?;
        }
        std::fs::create_dir_all(dir.path().join("tmp"))?;
        let dir_text = config_safe(dir.path())?;

        // A port that was free a moment ago may be taken before nginx binds it: try again.
        let mut last_error = None;
        for _ in 0..3 {
            let port = free_port()?;
            let conf = dir.path().join("nginx.conf");
            let text = config(
                &dir_text,
                build,
                port,
                connections,
                running_as_root(),
                locations,
            );
            std::fs::write(&conf, text)
                .with_context(|| format!("cannot write {}", conf.display()))?;
            match launch(binary, dir.path(), &conf, port).await {
                Ok(child) => {
                    return Ok(Self {
                        port,
                        binary: binary.to_owned(),
                        conf,
                        child: Some(child),
                        dir,
                    });
                }
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow!("nginx did not start")))
    }

    /// Asks nginx to stop (master and workers), waits up to 5 s, then kills the master.
    pub async fn stop(mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new(&self.binary)
            .args(self.signal_args("stop"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await;
        if tokio::time::timeout(Duration::from_secs(5), child.wait())
            .await
            .is_err()
        {
            let _ = child.kill().await;
        }
    }

    fn signal_args(&self, signal: &str) -> Vec<std::ffi::OsString> {
        vec![
            "-p".into(),
            self.dir.path().into(),
            "-c".into(),
            self.conf.clone().into(),
            "-s".into(),
            signal.into(),
        ]
    }
}

impl Drop for NginxPeer {
    /// On an early return (an error mid-run), still stop the workers: killing only the master
    /// (what `kill_on_drop` does) would leave them serving.
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut()
            && matches!(child.try_wait(), Ok(None))
        {
            let _ = std::process::Command::new(&self.binary)
                .args(self.signal_args("stop"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Starts nginx and waits until `port` accepts connections; on failure, says what nginx said.
async fn launch(binary: &Path, dir: &Path, conf: &Path, port: u16) -> Result<Child> {
    let log_path = dir.join("stderr.log");
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("cannot create {}", log_path.display()))?;
    let mut child = Command::new(binary)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(conf)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot run {}; {MISSING}", binary.display()))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait()? {
            bail!(
                "nginx stopped at once ({status}); it said:\n{}",
                logs(dir).trim()
            );
        }
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(child);
        }
        if Instant::now() > deadline {
            let _ = child.kill().await;
            bail!(
                "nginx did not listen on 127.0.0.1:{port} within 10 s; it said:\n{}",
                logs(dir).trim()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn logs(dir: &Path) -> String {
    ["stderr.log", "error.log"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(dir.join(f)).ok())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The generated config. As root, nginx would switch its workers to `nobody`, who cannot read
/// the private temporary directory, so they stay root (they serve only the files written here,
/// on loopback, for the length of the run); as another user, nginx keeps that user.
fn config(
    dir: &str,
    build: &Build,
    port: u16,
    connections: u32,
    root: bool,
    locations: &str,
) -> String {
    let user = if root { "user root;\n" } else { "" };
    let worker_connections = (connections + 64).max(512);
    let temp_paths = build.temp_paths(dir);
    format!(
        r#"# Generated by `relais bench`; removed after the run.
{user}daemon off;
master_process on;
worker_processes auto;
pid "{dir}/nginx.pid";
error_log "{dir}/error.log" warn;

events {{
    worker_connections {worker_connections};
}}

http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 75s;
    keepalive_requests 100000000;
{temp_paths}
    server {{
        listen 127.0.0.1:{port};
        root "{dir}/www";
        location = /healthz {{ default_type "text/plain; charset=utf-8"; }}
        location = /login {{ default_type "text/html; charset=utf-8"; }}
        location = /assets/app.css {{ default_type "text/css; charset=utf-8"; }}
{locations}    }}
}}
"#
    )
}

/// The directory as text nginx's config can hold in double quotes without interpreting it.
fn config_safe(dir: &Path) -> Result<String> {
    let text = dir
        .to_str()
        .ok_or_else(|| anyhow!("the temporary directory {} is not UTF-8", dir.display()))?;
    if text.contains(['"', '\\', '$', '{', '}', ';', '\n']) {
        bail!(
            "the temporary directory {text} has characters nginx's config cannot hold; set TMPDIR to a plain path"
        );
    }
    Ok(text.to_owned())
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .context("cannot find a free loopback port for nginx")?;
    Ok(listener.local_addr()?.port())
}

#[cfg(unix)]
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's effective user.
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[cfg(not(unix))]
fn running_as_root() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_names_the_port_paths_and_user() {
        let build = Build {
            version: "nginx/1.22.1".into(),
            configure: "configure arguments: --without-http_uwsgi_module".into(),
        };
        let c = config("/tmp/x", &build, 4321, 16, true, "");
        assert!(c.contains("listen 127.0.0.1:4321;"));
        assert!(c.starts_with("# Generated") && c.contains("\nuser root;\n"));
        assert!(c.contains("proxy_temp_path \"/tmp/x/tmp/proxy\""));
        assert!(
            !c.contains("uwsgi_temp_path"),
            "module left out of the build"
        );
        assert!(!config("/tmp/x", &build, 4321, 16, false, "").contains("user "));
        let extra = "        location = /api/event { return 202 \"ok\"; }\n";
        let c = config("/tmp/x", &build, 4321, 16, false, extra);
        assert!(c.contains("{ return 202 \"ok\"; }\n    }\n}"), "{c}");
        assert!(config_safe(Path::new("/tmp/a$b")).is_err());
    }

    #[test]
    fn a_missing_program_is_explained() {
        let e = find(Some(Path::new("/nonexistent/nginx"))).unwrap_err();
        assert!(e.to_string().contains("apt-get install nginx-light"));
    }
}
