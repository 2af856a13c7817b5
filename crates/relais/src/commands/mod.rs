//! One module per subcommand. Each opens the store it needs through [`open_store`], so that
//! every command takes the same `--data-dir` / `--database-url` / `--config`.

mod admin;
mod audience;
mod bench;
mod channel;
mod db_copy;
mod inbox;
mod listen;
mod post;
mod schedule;
mod serve;

use std::sync::Arc;

use anyhow::{Context, Result};
use relais_store::Store;

use crate::cli::{
    BenchCommand, ChannelCommand, Cli, Command, ConfigCommand, DataArgs, DbCommand, TokenCommand,
    UserCommand, WorkspaceCommand,
};
use crate::config::{self, FileConfig};

pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(args).await,
        Command::Migrate(a) => {
            let (store, _) = open_store(&a.data, true).await?;
            println!("the database is up to date ({})", store.backend());
            store.close().await;
            Ok(())
        }
        Command::Workspace(WorkspaceCommand::Add { slug, name, data }) => {
            admin::workspace_add(&data, &slug, &name).await
        }
        Command::Workspace(WorkspaceCommand::List { data }) => admin::workspace_list(&data).await,
        Command::User(UserCommand::Add {
            email,
            role,
            workspace,
            name,
            instance_admin,
            data,
        }) => {
            admin::user_add(
                &data,
                &email,
                &role,
                &workspace,
                name.as_deref(),
                instance_admin,
            )
            .await
        }
        Command::User(UserCommand::Password { email, data }) => {
            admin::user_password(&data, &email).await
        }
        Command::Token(TokenCommand::Create {
            workspace,
            name,
            role,
            data,
        }) => admin::token_create(&data, &workspace, &name, &role).await,
        Command::Channel(ChannelCommand::Add(add)) => channel::add(add).await,
        Command::Channel(ChannelCommand::List { workspace, data }) => {
            channel::list(&data, &workspace).await
        }
        Command::Post(args) => post::run(args).await,
        Command::Schedule(crate::cli::ScheduleCommand::Import {
            file,
            workspace,
            time_zone,
            data,
        }) => schedule::import(&data, &file, &workspace, &time_zone).await,
        Command::Site(command) => audience::site(command).await,
        Command::Analytics(command) => audience::analytics(command).await,
        Command::Listen(crate::cli::ListenCommand::TestQuery { query }) => {
            listen::test_query(&query)
        }
        Command::Analyze(crate::cli::AnalyzeCommand::Sentiment { lang }) => {
            listen::analyze_sentiment(lang)
        }
        Command::Analyze(crate::cli::AnalyzeCommand::Toxicity { lang }) => {
            inbox::analyze_toxicity(lang)
        }
        Command::Inbox(crate::cli::InboxCommand::List(args)) => inbox::list(args).await,
        Command::Inbox(crate::cli::InboxCommand::Reply(args)) => inbox::reply(args).await,
        Command::Db(DbCommand::Copy { from, to }) => db_copy::run(&from, &to).await,
        Command::Config(ConfigCommand::SecretKey) => {
            println!("{}", relais_vault::generate_key()?);
            Ok(())
        }
        Command::Config(ConfigCommand::Default) => {
            print!("{}", config::DEFAULT_CONFIG);
            Ok(())
        }
        Command::Bench(BenchCommand::Http(args)) => bench::http(args).await,
        Command::Bench(BenchCommand::Publish(args)) => bench::publish(args).await,
        Command::Bench(BenchCommand::Audience(args)) => bench::audience(args).await,
        Command::Bench(BenchCommand::Listen(args)) => bench::listen(args),
        Command::Bench(BenchCommand::Inbox(args)) => bench::inbox(args).await,
    }
}

/// The team inbox's jobs: the tick that reads channels, replies, actions on the networks.
fn register_inbox(
    worker: &mut relais_jobs::Worker,
    http: relais_outbound::HttpClient,
    vault: relais_vault::Vault,
    file: &FileConfig,
) -> Result<()> {
    use relais_inbox_worker::{act, reply, tick};
    let moderator = inbox_moderator(file)?;
    let settings = tick::TickSettings {
        every: std::time::Duration::from_secs(file.inbox_tick_seconds),
        ..Default::default()
    };
    worker.register(
        tick::INBOX_TICK,
        Arc::new(tick::InboxTick::new(
            http.clone(),
            Some(vault.clone()),
            settings,
            inbox_live_streams(),
            moderator,
        )),
    );
    worker.register(
        reply::INBOX_REPLY,
        Arc::new(reply::SendReply::new(http.clone(), Some(vault.clone()))),
    );
    worker.register(
        act::INBOX_ACT,
        Arc::new(act::NetworkAction::new(http, Some(vault))),
    );
    Ok(())
}

/// The one moderator of this process (it holds the toxicity model and the compiled rules).
pub fn inbox_moderator(file: &FileConfig) -> Result<Arc<relais_inbox_worker::moderate::Moderator>> {
    static MODERATOR: std::sync::OnceLock<Arc<relais_inbox_worker::moderate::Moderator>> =
        std::sync::OnceLock::new();
    if let Some(m) = MODERATOR.get() {
        return Ok(m.clone());
    }
    let made = Arc::new(
        relais_inbox_worker::moderate::Moderator::new(file.public_url.clone())
            .context("the toxicity data built into Relais is damaged")?,
    );
    Ok(MODERATOR.get_or_init(|| made).clone())
}

/// Which channels a live stream follows in this process, shared by the followers and the tick.
pub fn inbox_live_streams() -> Arc<relais_inbox_worker::streams::LiveStreams> {
    static LIVE: std::sync::OnceLock<Arc<relais_inbox_worker::streams::LiveStreams>> =
        std::sync::OnceLock::new();
    LIVE.get_or_init(Default::default).clone()
}

/// Loads the config, opens the database and (when `migrate`) brings its schema up to date.
pub async fn open_store(args: &DataArgs, migrate: bool) -> Result<(Arc<dyn Store>, FileConfig)> {
    let file = config::load(args)?;
    let location = config::database(args, &file);
    let store = relais_store::open(&location)
        .await
        .context("cannot open the database")?;
    if migrate {
        let applied = store
            .migrate()
            .await
            .with_context(|| format!("cannot migrate {}", location.describe()))?;
        if applied > 0 {
            tracing::info!(applied, database = %location.describe(), "migrations applied");
        }
    }
    Ok((store, file))
}

/// The outgoing HTTP client as the config sets it (SSRF guard, allowed private addresses).
pub fn outbound_client(file: &FileConfig) -> Result<relais_outbound::HttpClient> {
    Ok(relais_outbound::HttpClient::new(
        relais_outbound::OutboundConfig {
            allow_private_addresses: file.allow_private_addresses,
            allowed_private: file.allowed_private_addresses.clone(),
            ..Default::default()
        },
    )?)
}

/// A worker with every capability's job handlers, as `serve` and `post --wait` run it.
/// `RELAIS_JOB_LEASE_MS` shortens the lease (tests that kill workers on purpose use it).
pub fn worker(
    store: Arc<dyn Store>,
    args: &DataArgs,
    file: &FileConfig,
    name: String,
) -> Result<relais_jobs::Worker> {
    let vault = channel::vault(args, file)?;
    let http = outbound_client(file)?;
    let mut worker = relais_jobs::Worker::new(store, name);
    let mut publisher = relais_publisher::PublishTarget::new(http.clone(), vault.clone())
        .with_mailer(
            relais_mail::SmtpMailer::shared(&file.mail)?,
            &public_url_of(file),
        );
    // Instagram and Threads fetch media from Relais: only from an address set on purpose.
    if let Some(public) = &file.public_url {
        publisher = publisher.with_media_links(public);
    }
    worker.register(relais_publisher::PUBLISH_JOB, Arc::new(publisher));
    worker.register(
        relais_publisher::feeds::FEED_JOB,
        Arc::new(relais_publisher::feeds::PollFeed::new(http.clone())),
    );
    worker.register(
        relais_publisher::METRICS_JOB,
        Arc::new(relais_publisher::PollMetrics::new(
            http.clone(),
            vault.clone(),
        )),
    );
    let courier = relais_listener::Courier {
        http: http.clone(),
        mailer: relais_mail::SmtpMailer::shared(&file.mail)?,
        vault: Some(vault.clone()),
        public_url: public_url_of(file),
        digest_hour: file.alert_digest_hour,
    };
    let settings = relais_listener::TickSettings {
        every: std::time::Duration::from_secs(file.listen_tick_seconds),
        ..Default::default()
    };
    worker.register(
        relais_listener::LISTEN_TICK,
        Arc::new(relais_listener::ListenTick::new(
            http.clone(),
            Some(vault.clone()),
            courier,
            settings,
        )?),
    );
    register_inbox(&mut worker, http, vault, file)?;
    worker = worker.with_concurrency(file.worker_concurrency);
    if let Some(ms) = std::env::var("RELAIS_JOB_LEASE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        worker = worker.with_lease(std::time::Duration::from_millis(ms));
    }
    Ok(worker)
}

/// The address people reach Relais at, for links in mails sent by workers.
pub fn public_url_of(file: &FileConfig) -> String {
    file.public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", file.listen))
}
