//! The configuration: defaults, then the TOML file, then `RELAIS_*` variables and flags (clap
//! reads both, flags first). `relais config default` prints [`DEFAULT_CONFIG`], which is also
//! parsed by a test so that it can never drift from what Relais accepts.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use relais_mail::SmtpConfig;
use relais_store::DatabaseLocation;
use serde::Deserialize;

use crate::cli::DataArgs;

pub const DEFAULT_CONFIG: &str = r#"# Relais configuration. Every key may be left out; the value shown is the default.
# Precedence: command-line flags, then RELAIS_* environment variables, then this file.

# Where the embedded SQLite database lives (DIR/relais.db). Flag --data-dir, RELAIS_DATA_DIR.
data_dir = "./relais-data"

# A PostgreSQL URL, to use PostgreSQL instead of SQLite:
# database_url = "postgres://relais:secret@localhost/relais"
# Flag --database-url, RELAIS_DATABASE_URL.

# The address `relais serve` listens on. Flag --listen, RELAIS_LISTEN.
listen = "127.0.0.1:8080"

# The address people use to reach Relais, used in links sent by mail. Behind a reverse proxy
# with TLS, write its https:// URL here: cookies are then marked Secure.
# Default: http:// followed by `listen`. Flag --public-url, RELAIS_PUBLIC_URL.
# public_url = "https://relais.example.org"

# Proxies whose X-Forwarded-For header is believed for the client's address (audit log,
# login throttling). Leave empty when Relais faces the clients directly.
trusted_proxies = []

# How long a login lasts, and how long an invitation link works, in days.
session_days = 14
invitation_days = 7

# Relais refuses to fetch private, loopback and link-local addresses (protection against
# server-side request forgery). Set to true when the services it must reach live on your LAN.
# RELAIS_ALLOW_PRIVATE_ADDRESSES.
allow_private_addresses = false
# Exact addresses Relais may fetch even with the guard on (a service on your LAN).
allowed_private_addresses = []

# The key that seals network tokens and passwords stored in the database (base64 of 32 bytes;
# `relais config secret-key` makes one). Without it, Relais makes `secret.key` beside the
# SQLite database on first use. Required when several machines share one PostgreSQL.
# Back it up with the database: without it the sealed secrets cannot be read.
# RELAIS_SECRET_KEY.
# secret_key = ""

# How many background jobs (publications, metrics readings…) each Relais process runs at once.
# They mostly wait on the networks, so a few dozen are cheap. RELAIS_WORKER_CONCURRENCY.
worker_concurrency = 16

# Largest upload from the composer or the media library, in MiB (a video for YouTube may be
# large; the file is held in memory while it is received). Only signed-in people may send one.
max_upload_mb = 200

# The audience's events are written to their log before the tracker is answered (a crash of
# Relais loses none), then synced to disk at least this often, in milliseconds: a crash of the
# machine (power, kernel) can lose the events of the last interval. 0 syncs before each answer:
# nothing answered is ever lost, and the ingestion rate is bound by the disk. RELAIS_AUDIENCE_SYNC_MS.
audience_sync_ms = 20

# Listening: how often the worker looks for sources due to be polled (each source has its
# own interval, set on its page), in seconds; and the hour (UTC, 0-23) daily and weekly alert
# digests are sent (weekly ones on Mondays).
listen_tick_seconds = 60
alert_digest_hour = 8

# Team inbox: how often the worker reads the inboxes of channels that no live stream follows
# (Bluesky and Mastodon channels are followed live; the others, and those two when their stream
# is down, are read at most once a minute each), in seconds.
inbox_tick_seconds = 30

# Log filter (tracing's EnvFilter syntax). RUST_LOG overrides it.
log = "info"

# Outgoing mail (invitations, notifications). With no host, Relais shows invitation links to
# copy instead of mailing them.
[mail]
host = ""
port = 587
# none, starttls or tls
security = "starttls"
username = ""
password = ""
from = "Relais <relais@example.org>"
"#;

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub listen: String,
    pub public_url: Option<String>,
    pub trusted_proxies: Vec<IpAddr>,
    pub session_days: i64,
    pub invitation_days: i64,
    pub allow_private_addresses: bool,
    pub allowed_private_addresses: Vec<IpAddr>,
    pub log: String,
    pub secret_key: Option<String>,
    pub worker_concurrency: usize,
    pub max_upload_mb: usize,
    pub audience_sync_ms: u64,
    pub listen_tick_seconds: u64,
    pub alert_digest_hour: u32,
    pub inbox_tick_seconds: u64,
    pub mail: SmtpConfig,
}

impl Default for FileConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./relais-data"),
            database_url: None,
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            trusted_proxies: Vec::new(),
            session_days: 14,
            invitation_days: 7,
            allow_private_addresses: false,
            allowed_private_addresses: Vec::new(),
            log: "info".into(),
            secret_key: None,
            worker_concurrency: 16,
            max_upload_mb: 200,
            audience_sync_ms: 20,
            listen_tick_seconds: 60,
            alert_digest_hour: 8,
            inbox_tick_seconds: 30,
            mail: SmtpConfig::default(),
        }
    }
}

/// Reads the config file named by `--config`, or `./relais.toml` when it exists.
pub fn load(args: &DataArgs) -> Result<FileConfig> {
    let path = match &args.config {
        Some(p) => Some(p.clone()),
        None => Some(PathBuf::from("relais.toml")).filter(|p| p.exists()),
    };
    let mut config = match &path {
        Some(p) => parse_file(p)?,
        None => FileConfig::default(),
    };
    if let Ok(v) = std::env::var("RELAIS_ALLOW_PRIVATE_ADDRESSES") {
        config.allow_private_addresses = matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        );
    }
    if let Some(n) = std::env::var("RELAIS_WORKER_CONCURRENCY")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        config.worker_concurrency = n;
    }
    if let Some(ms) = std::env::var("RELAIS_AUDIENCE_SYNC_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        config.audience_sync_ms = ms;
    }
    if let Ok(v) = std::env::var("RELAIS_SECRET_KEY") {
        config.secret_key = Some(v);
    }
    if config.session_days < 1 || config.invitation_days < 1 {
        bail!("session_days and invitation_days must be at least 1 in the config file");
    }
    if config.listen_tick_seconds < 5 || config.alert_digest_hour > 23 {
        bail!(
            "listen_tick_seconds must be at least 5 and alert_digest_hour between 0 and 23 in the config file"
        );
    }
    if config.inbox_tick_seconds < 5 {
        bail!("inbox_tick_seconds must be at least 5 in the config file");
    }
    Ok(config)
}

fn parse_file(path: &Path) -> Result<FileConfig> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the config file {}; check the path given to --config",
            path.display()
        )
    })?;
    toml::from_str(&text).with_context(|| {
        format!(
            "the config file {} is not valid; `relais config default` prints a valid one",
            path.display()
        )
    })
}

/// The database to use: `--database-url`, else the file's `database_url`, else SQLite in the
/// data directory (flag first, then the file's).
pub fn database(args: &DataArgs, file: &FileConfig) -> DatabaseLocation {
    if let Some(url) = args
        .database_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    {
        return DatabaseLocation::parse(url);
    }
    if let Some(dir) = &args.data_dir {
        return DatabaseLocation::Sqlite(dir.join("relais.db"));
    }
    if let Some(url) = file
        .database_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    {
        return DatabaseLocation::parse(url);
    }
    DatabaseLocation::Sqlite(file.data_dir.join("relais.db"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_default_parses_to_the_built_in_default() {
        let parsed: FileConfig = toml::from_str(DEFAULT_CONFIG).expect("the default config parses");
        let builtin = FileConfig::default();
        assert_eq!(parsed.listen, builtin.listen);
        assert_eq!(parsed.data_dir, builtin.data_dir);
        assert_eq!(parsed.session_days, builtin.session_days);
        assert_eq!(parsed.audience_sync_ms, builtin.audience_sync_ms);
        assert_eq!(parsed.listen_tick_seconds, builtin.listen_tick_seconds);
        assert_eq!(parsed.inbox_tick_seconds, builtin.inbox_tick_seconds);
        assert_eq!(parsed.alert_digest_hour, builtin.alert_digest_hour);
        assert!(!parsed.mail.is_enabled());
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<FileConfig>("lisen = \"0.0.0.0:80\"").is_err());
    }

    #[test]
    fn flags_win_over_the_file() {
        let file = FileConfig {
            database_url: Some("postgres://file/db".into()),
            ..Default::default()
        };
        let args = DataArgs {
            database_url: Some("postgres://flag/db".into()),
            ..Default::default()
        };
        assert_eq!(
            database(&args, &file),
            DatabaseLocation::Postgres("postgres://flag/db".into())
        );
        let args = DataArgs {
            data_dir: Some("/tmp/x".into()),
            ..Default::default()
        };
        assert_eq!(
            database(&args, &file),
            DatabaseLocation::Sqlite("/tmp/x/relais.db".into())
        );
        assert_eq!(
            database(&DataArgs::default(), &file),
            DatabaseLocation::Postgres("postgres://file/db".into())
        );
    }
}
