//! A throwaway PostgreSQL cluster for the PostgreSQL run, when `RELAIS_BENCH_POSTGRES_URL`
//! names none: `initdb` into a temporary directory, `pg_ctl start` on a free loopback port with
//! trust authentication, stopped and removed at the end (and by a watchdog process if this one
//! dies first). The same recipe as the test kit's cluster (`crates/testkit/src/postgres.rs`),
//! which the binary cannot depend on, with one difference: the test kit turns durability off
//! for speed, while this cluster keeps PostgreSQL's defaults (fsync on, synchronous commits,
//! full-page writes) but for the port, the socket directory and `max_connections`: what an
//! installation gets, so that the figure is one.
//!
//! PostgreSQL refuses to run as root: as root, the cluster runs as the `postgres` system user
//! that Debian's package creates.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, Result, anyhow, bail};
use tokio::process::Command;

/// Said whenever PostgreSQL's server programs cannot be found.
pub const MISSING: &str = "initdb was not found; install PostgreSQL (Debian: apt-get install postgresql) \
     or set RELAIS_BENCH_POSTGRES_URL to an empty database";

/// A running throwaway cluster.
pub struct Cluster {
    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub url: String,
    /// `pg_ctl (PostgreSQL) 15.14`, say.
    pub version: String,
    pg_ctl: PathBuf,
    data: PathBuf,
    run_as: Option<String>,
    running: bool,
    _dir: tempfile::TempDir,
}

impl Cluster {
    pub async fn start() -> Result<Self> {
        let bin_dir = find_bin_dir().await.ok_or_else(|| anyhow!(MISSING))?;
        let pg_ctl = bin_dir.join("pg_ctl");
        let version = output_of(&pg_ctl, &["--version"])
            .await
            .unwrap_or_else(|| "PostgreSQL (unknown version)".into());
        let root = running_as_root();
        let run_as = root.then(|| "postgres".to_owned());
        let dir = tempfile::Builder::new()
            .prefix("relais-bench-pg-")
            .tempdir()
            .context("cannot create a temporary directory for PostgreSQL")?;
        if root {
            give_to_postgres(dir.path()).await?;
        }
        let data = dir.path().join("data");
        let initdb = as_owner(&run_as, &bin_dir.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .output()
            .await
            .context("cannot run initdb")?;
        if !initdb.status.success() {
            bail!(
                "initdb failed: {}",
                String::from_utf8_lossy(&initdb.stderr).trim()
            );
        }
        let log = dir.path().join("postgres.log");
        let mut last_error = String::new();
        // A port that was free a moment ago may be taken before PostgreSQL binds it.
        for _ in 0..3 {
            let port = free_port()?;
            let options = format!(
                "-p {port} -h 127.0.0.1 -k {} -c max_connections=100",
                dir.path().display()
            );
            let started = as_owner(&run_as, &pg_ctl)
                .arg("-D")
                .arg(&data)
                .arg("-o")
                .arg(&options)
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "60", "start"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .await
                .context("cannot run pg_ctl")?;
            if started.success() {
                spawn_watchdog(&run_as, &pg_ctl, dir.path(), &data);
                return Ok(Self {
                    url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
                    version,
                    pg_ctl,
                    data,
                    run_as,
                    running: true,
                    _dir: dir,
                });
            }
            last_error = std::fs::read_to_string(&log).unwrap_or_default();
        }
        bail!("pg_ctl start failed:\n{}", last_error.trim())
    }

    /// Stops the cluster (fast shutdown: sessions are ended) and removes its directory.
    pub async fn stop(mut self) {
        let _ = self.stop_command().status().await;
        self.running = false;
    }

    /// CPU ticks (1/100 s) the server has used so far: the postmaster, its live children (one
    /// backend per pooled connection, autovacuum…) and the children it has reaped; `None` when
    /// /proc does not say.
    pub fn cpu_ticks(&self) -> Option<u64> {
        let pid_file = std::fs::read_to_string(self.data.join("postmaster.pid")).ok()?;
        let postmaster: u32 = pid_file.lines().next()?.trim().parse().ok()?;
        let own = std::fs::read_to_string(format!("/proc/{postmaster}/stat")).ok()?;
        let mut ticks = stat_ticks(&own)?.with_reaped;
        for entry in std::fs::read_dir("/proc").ok()?.flatten() {
            let name = entry.file_name();
            let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            if pid == postmaster {
                continue;
            }
            if let Some(t) = std::fs::read_to_string(entry.path().join("stat"))
                .ok()
                .and_then(|s| stat_ticks(&s))
                && t.parent == postmaster
            {
                ticks += t.own;
            }
        }
        Some(ticks)
    }

    fn stop_command(&self) -> Command {
        let mut c = as_owner(&self.run_as, &self.pg_ctl);
        c.arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "stop"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    }
}

impl Drop for Cluster {
    /// On an early return (an error mid-run), still stop the server before its directory goes.
    fn drop(&mut self) {
        if self.running {
            let _ = self.stop_command().as_std_mut().status();
        }
    }
}

/// What a /proc/PID/stat line says of a process's CPU use.
#[derive(Debug, PartialEq, Eq)]
struct StatTicks {
    parent: u32,
    /// utime + stime.
    own: u64,
    /// utime + stime + cutime + cstime (the children it has waited for).
    with_reaped: u64,
}

/// Fields are counted after the command name, which is in parentheses and may hold anything:
/// the 4th is the parent, the 14th to 17th the CPU times.
fn stat_ticks(stat: &str) -> Option<StatTicks> {
    let (_, after_name) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let num = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    let parent = u32::try_from(num(1)?).ok()?;
    let own = num(11)?.saturating_add(num(12)?);
    let reaped = num(13)?.saturating_add(num(14)?);
    Some(StatTicks {
        parent,
        own,
        with_reaped: own.saturating_add(reaped),
    })
}

/// Where PostgreSQL's server programs are: `pg_config --bindir`, else the newest of Debian's
/// /usr/lib/postgresql/VERSION/bin.
async fn find_bin_dir() -> Option<PathBuf> {
    if let Some(dir) = output_of(Path::new("pg_config"), &["--bindir"]).await {
        let dir = PathBuf::from(dir);
        if dir.join("initdb").is_file() {
            return Some(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

async fn output_of(program: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Runs `program` as the cluster's owner: ourselves, or `postgres` when we are root.
fn as_owner(run_as: &Option<String>, program: &Path) -> Command {
    match run_as {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.arg("-u").arg(user).arg("--").arg(program);
            c
        }
        None => Command::new(program),
    }
}

async fn give_to_postgres(dir: &Path) -> Result<()> {
    let id = |flag: &'static str| async move {
        output_of(Path::new("id"), &[flag, "postgres"])
            .await
            .and_then(|s| s.parse::<u32>().ok())
    };
    let uid = id("-u").await.ok_or_else(|| {
        anyhow!("running as root needs the `postgres` user (Debian's postgresql package makes it)")
    })?;
    let gid = id("-g").await;
    std::os::unix::fs::chown(dir, Some(uid), gid)
        .with_context(|| format!("cannot give {} to postgres", dir.display()))
}

/// A detached shell that waits for this process to end, then stops the cluster and removes its
/// directory: a benchmark stopped with Ctrl-C must not leave a server running.
fn spawn_watchdog(run_as: &Option<String>, pg_ctl: &Path, dir: &Path, data: &Path) {
    let owner = run_as
        .as_ref()
        .map(|u| format!("runuser -u {u} -- "))
        .unwrap_or_default();
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
         {owner}'{pg_ctl}' -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{dir}'",
        pid = std::process::id(),
        pg_ctl = pg_ctl.display(),
        data = data.display(),
        dir = dir.display()
    );
    let _ = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .context("cannot find a free loopback port for PostgreSQL")?;
    Ok(listener.local_addr()?.port())
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's effective user.
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_times_and_parent_from_a_stat_line() {
        let line = "4242 (postgres: bench (x)) S 77 2 3 4 5 6 7 8 9 10 150 25 40 5 20 0 1 0";
        assert_eq!(
            stat_ticks(line),
            Some(StatTicks {
                parent: 77,
                own: 175,
                with_reaped: 220
            })
        );
        assert_eq!(stat_ticks("garbage"), None);
        assert_eq!(stat_ticks("1 (x) S 1 2"), None);
    }
}
