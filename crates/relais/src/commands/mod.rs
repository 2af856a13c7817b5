//! One module per subcommand. Each opens the store it needs through [`open_store`], so that
//! every command takes the same `--data-dir` / `--database-url` / `--config`.

mod admin;
mod audience;
mod bench;
mod channel;
mod db_copy;
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
    }
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
            http,
            Some(vault),
            courier,
            settings,
        )?),
    );
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
