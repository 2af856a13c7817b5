//! The Relais under test: the real router and the real SQLite store, in a throwaway directory,
//! served by axum in this process exactly as `relais serve` serves it (without logs, like the
//! nginx peer, whose access log is off).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{DisplayName, Email};
use relais_store::{DatabaseLocation, NewUser, Store};
use relais_web::{AppState, WebConfig};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct RelaisServer {
    pub addr: SocketAddr,
    serving: Serving,
    /// Holds the database; removed when the server is dropped.
    _dir: tempfile::TempDir,
}

/// The router of a prepared state, served on a free loopback port until stopped.
pub struct Serving {
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
    store: std::sync::Arc<dyn relais_store::Store>,
}

impl Serving {
    pub async fn start(
        state: AppState,
        store: std::sync::Arc<dyn relais_store::Store>,
    ) -> Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot listen on a loopback port")?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(
                listener,
                relais_web::router(state).into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
        });
        Ok(Self {
            addr,
            stop,
            task,
            store,
        })
    }

    /// Stops serving (connections still open are closed after 5 s) and closes the database.
    pub async fn stop(self) {
        let store = self.store.clone();
        self.stop_serving().await;
        store.close().await;
    }

    /// Stops serving, leaving the database open for its owner.
    pub async fn stop_serving(self) {
        let _ = self.stop.send(());
        let mut task = self.task;
        if tokio::time::timeout(Duration::from_secs(5), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}

/// A temporary directory (named `prefix…`) holding a fresh, migrated SQLite database: what
/// each benchmark's server starts from. The directory goes when the value is dropped.
pub async fn fresh_store(prefix: &str) -> Result<(tempfile::TempDir, Arc<dyn Store>)> {
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .context("cannot create a temporary directory for the benchmark's data")?;
    let location = DatabaseLocation::Sqlite(dir.path().join("relais.db"));
    let store = relais_store::open(&location)
        .await
        .context("cannot open the benchmark's database")?;
    store
        .migrate()
        .await
        .context("cannot migrate the benchmark's database")?;
    Ok((dir, store))
}

impl RelaisServer {
    /// A fresh, migrated database with one user (so that `/login` shows the login page rather
    /// than redirecting to `/setup`), and the router listening on a free loopback port.
    pub async fn start() -> Result<Self> {
        let (dir, store) = fresh_store("relais-bench-").await?;
        let email = Email::parse("bench@relais.invalid").map_err(|e| anyhow!(e.message))?;
        let name = DisplayName::parse("Bench").map_err(|e| anyhow!(e.message))?;
        store
            .create_user(
                NewUser {
                    email,
                    name,
                    // Not a password hash, so it never verifies: nobody logs in during the run.
                    password_hash: "!bench".into(),
                    is_instance_admin: true,
                },
                AuditEvent {
                    workspace_id: None,
                    actor: Actor::cli(),
                    action: "user.create".into(),
                    target: "bench@relais.invalid".into(),
                    details: serde_json::json!({ "bench": true }),
                },
            )
            .await
            .map_err(|e| anyhow!("cannot create the benchmark's user: {e}"))?;
        let state = AppState::new(store.clone(), WebConfig::default(), None)
            .await
            .context("cannot prepare the web part")?;
        let serving = Serving::start(state, store).await?;
        Ok(Self {
            addr: serving.addr,
            serving,
            _dir: dir,
        })
    }

    /// Stops serving and closes the database.
    pub async fn stop(self) {
        self.serving.stop().await;
    }
}
