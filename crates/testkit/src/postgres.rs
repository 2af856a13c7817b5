//! A private PostgreSQL cluster for tests.
//!
//! Unless `RELAIS_TEST_POSTGRES_URL` names a server to use, the first test that asks starts a
//! cluster of its own: `initdb` into a temporary directory, `pg_ctl start` on a free loopback
//! port, trust authentication, durability off (tests do not need it, and it is much faster).
//! Every caller then gets a fresh, empty database in it. A watchdog process stops the cluster and
//! deletes its directory once the test process has exited, however it exits.
//!
//! PostgreSQL refuses to run as root, and CI runs as root: in that case the cluster runs as the
//! `postgres` system user that Debian's package creates.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

struct Cluster {
    /// Where `createdb` connects: a conninfo URL of the maintenance database.
    admin_url: String,
    /// The URL without its database name, ending in `/`.
    base_url: String,
    bin_dir: Option<PathBuf>,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A new empty database's URL. Panics with what to install if PostgreSQL is missing: a test that
/// needs PostgreSQL must not pass without it.
pub fn fresh_database() -> String {
    let cluster = CLUSTER
        .get_or_init(start_or_reuse)
        .as_ref()
        .unwrap_or_else(|e| panic!("no PostgreSQL for the tests: {e}"));
    let name = format!(
        "relais_test_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let status = Command::new(tool(&cluster.bin_dir, "createdb"))
        .arg(format!("--maintenance-db={}", cluster.admin_url))
        .arg(&name)
        .status()
        .expect("createdb runs");
    assert!(status.success(), "createdb {name} failed");
    format!("{}{name}", cluster.base_url)
}

fn start_or_reuse() -> Result<Cluster, String> {
    if let Ok(url) = std::env::var("RELAIS_TEST_POSTGRES_URL") {
        let base = match url.rfind('/') {
            Some(i) if i > "postgres://".len() => url[..=i].to_owned(),
            _ => format!("{}/", url.trim_end_matches('/')),
        };
        return Ok(Cluster {
            admin_url: url,
            base_url: base,
            bin_dir: find_bin_dir(),
        });
    }
    start_private()
}

fn find_bin_dir() -> Option<PathBuf> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").exists() {
            return Some(dir);
        }
    }
    // Debian keeps the server programs out of PATH, one folder per major version.
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions.pop()
}

fn tool(bin_dir: &Option<PathBuf>, name: &str) -> PathBuf {
    match bin_dir {
        Some(dir) if dir.join(name).exists() => dir.join(name),
        _ => PathBuf::from(name),
    }
}

fn output_of(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
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

fn start_private() -> Result<Cluster, String> {
    let bin_dir = find_bin_dir().ok_or(
        "initdb was not found; install PostgreSQL (Debian: apt-get install postgresql) or set RELAIS_TEST_POSTGRES_URL",
    )?;
    let root = output_of("id", &["-u"]).as_deref() == Some("0");
    let run_as = root.then(|| "postgres".to_owned());

    let dir = tempfile::Builder::new()
        .prefix("relais-pg-")
        .tempdir()
        .map_err(|e| format!("cannot make a temporary directory: {e}"))?
        .keep();
    let data = dir.join("data");
    if root {
        let uid = output_of("id", &["-u", "postgres"])
            .and_then(|s| s.parse::<u32>().ok())
            .ok_or(
                "running as root needs the `postgres` user (Debian's postgresql package makes it)",
            )?;
        let gid = output_of("id", &["-g", "postgres"]).and_then(|s| s.parse::<u32>().ok());
        std::os::unix::fs::chown(&dir, Some(uid), gid)
            .map_err(|e| format!("cannot give {} to postgres: {e}", dir.display()))?;
    }

    let initdb = as_owner(&run_as, &bin_dir.join("initdb"))
        .args(["-D"])
        .arg(&data)
        .args([
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
            "--locale=C",
        ])
        .stdout(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run initdb: {e}"))?;
    if !initdb.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&initdb.stderr)
        ));
    }

    let port = crate::free_port();
    let options = format!(
        "-p {port} -h 127.0.0.1 -k {} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400",
        dir.display()
    );
    let log = dir.join("postgres.log");
    let started = as_owner(&run_as, &bin_dir.join("pg_ctl"))
        .arg("-D")
        .arg(&data)
        .arg("-o")
        .arg(&options)
        .arg("-l")
        .arg(&log)
        .args(["-w", "-t", "60", "start"])
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run pg_ctl: {e}"))?;
    if !started.success() {
        let log_text = std::fs::read_to_string(&log).unwrap_or_default();
        return Err(format!("pg_ctl start failed:\n{log_text}"));
    }
    spawn_watchdog(&run_as, &bin_dir, &dir, &data);

    let base_url = format!("postgres://postgres@127.0.0.1:{port}/");
    Ok(Cluster {
        admin_url: format!("{base_url}postgres"),
        base_url,
        bin_dir: Some(bin_dir),
    })
}

/// A detached shell that waits for this process to end, then stops the cluster and removes it.
fn spawn_watchdog(run_as: &Option<String>, bin_dir: &Path, dir: &Path, data: &Path) {
    let pg_ctl = bin_dir.join("pg_ctl");
    let stop = match run_as {
        Some(user) => format!(
            "runuser -u {user} -- '{}' -D '{}' -m immediate stop",
            pg_ctl.display(),
            data.display()
        ),
        None => format!(
            "'{}' -D '{}' -m immediate stop",
            pg_ctl.display(),
            data.display()
        ),
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf '{dir}'",
        pid = std::process::id(),
        dir = dir.display()
    );
    let _ = Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}
