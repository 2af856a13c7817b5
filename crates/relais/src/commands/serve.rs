//! `relais serve`: the web part and the workers in one process, either of which can be turned
//! off. Stops gracefully on SIGTERM or Ctrl-C: the listener closes, requests in flight finish,
//! the worker finishes its job, then the database pool closes.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use relais_core::Timestamp;
use relais_jobs::PURGE_SESSIONS;
use relais_store::NewJob;
use relais_web::{AppState, WebConfig};
use tokio::sync::watch;

use super::open_store;
use crate::cli::ServeArgs;

pub async fn run(args: ServeArgs) -> Result<()> {
    let file = crate::config::load(&args.data)?;
    init_logs(&file.log);
    let (store, file) = open_store(&args.data, true).await?;
    let (stop_tx, stop_rx) = watch::channel(false);

    let worker = if args.no_workers {
        None
    } else {
        // Periodic jobs plan their own next run: each is started here only when none waits
        // (a restart, or another process, would otherwise start a second chain of it).
        let periodic = [
            NewJob {
                workspace_id: None,
                kind: PURGE_SESSIONS.into(),
                payload: serde_json::Value::Null,
                run_at: Timestamp::now(),
                max_attempts: 5,
            },
            relais_listener::tick_job(Timestamp::now()),
            relais_inbox_worker::tick::tick_job(Timestamp::now()),
        ];
        for job in periodic {
            if store
                .jobs_waiting(&job.kind)
                .await
                .context("cannot look at the job queue")?
                == 0
            {
                store
                    .enqueue_job(job)
                    .await
                    .context("cannot plan the periodic jobs")?;
            }
        }
        let name = format!("{}-{}", hostname(), std::process::id());
        let worker = super::worker(store.clone(), &args.data, &file, name)?;
        // Channels whose network streams (Bluesky, Mastodon) are followed live.
        let streams = relais_inbox_worker::streams::StreamDeps {
            store: store.clone(),
            http: super::outbound_client(&file)?,
            vault: super::channel::vault(&args.data, &file).ok(),
            live: super::inbox_live_streams(),
            moderator: super::inbox_moderator(&file)?,
        };
        tokio::spawn(relais_inbox_worker::streams::supervise(
            streams,
            stop_rx.clone(),
        ));
        Some(tokio::spawn(worker.run(stop_rx.clone())))
    };

    if args.no_web {
        println!(
            "Relais workers are running ({}); stop with Ctrl-C",
            store.backend()
        );
        shutdown_signal().await;
    } else {
        let listen = args.listen.clone().unwrap_or_else(|| file.listen.clone());
        let addr: SocketAddr = listen.parse().with_context(|| {
            format!("`{listen}` is not an address to listen on; write it as 127.0.0.1:8080")
        })?;
        let public_url = args
            .public_url
            .clone()
            .or_else(|| file.public_url.clone())
            .unwrap_or_else(|| format!("http://{addr}"));
        let mailer = relais_mail::SmtpMailer::shared(&file.mail)?;
        let config = WebConfig {
            public_url: public_url.trim_end_matches('/').to_owned(),
            trusted_proxies: file.trusted_proxies.clone(),
            session_days: file.session_days,
            invitation_days: file.invitation_days,
            outbound: relais_outbound::OutboundConfig {
                allow_private_addresses: file.allow_private_addresses,
                allowed_private: file.allowed_private_addresses.clone(),
                user_agent: format!(
                    "Relais/{} (+{})",
                    env!("CARGO_PKG_VERSION"),
                    public_url.trim_end_matches('/')
                ),
                ..Default::default()
            },
            vault: super::channel::vault(&args.data, &file).ok(),
            max_upload_bytes: file.max_upload_mb.saturating_mul(1 << 20),
            oauth_endpoints: Default::default(),
        };
        let state = AppState::new(store.clone(), config, mailer)
            .await
            .context("cannot prepare the web part")?;
        let audience = super::audience::open(store.clone(), &args.data, &file).await?;
        let _ = state.audience.set(audience);
        let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
            format!(
                "cannot listen on {addr}; is another program using it? choose another with --listen"
            )
        })?;
        let bound = listener.local_addr()?;
        println!("Relais is serving http://{bound}/ ({})", store.backend());
        axum::serve(
            listener,
            relais_web::router(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the web server stopped")?;
    }

    let _ = stop_tx.send(true);
    if let Some(w) = worker {
        let _ = tokio::time::timeout(Duration::from_secs(30), w).await;
    }
    store.close().await;
    println!("Relais stopped");
    Ok(())
}

fn init_logs(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "relais".into())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down");
}
