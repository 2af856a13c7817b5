//! The command line. Every command that touches data takes the same [`DataArgs`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "relais",
    version,
    about = "Relais: community management, self-hosted, in one binary."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Where the data lives. Flags win over `RELAIS_*` variables, which win over the config file.
#[derive(Args, Debug, Clone, Default)]
pub struct DataArgs {
    /// The config file (TOML). Default: ./relais.toml when it exists.
    #[arg(long, env = "RELAIS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory for the embedded SQLite database (DIR/relais.db). Default: ./relais-data.
    #[arg(long, env = "RELAIS_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL (postgres://user:password@host/db). When set, the data directory is not used.
    #[arg(long, env = "RELAIS_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web UI, the REST API and the background workers.
    Serve(ServeArgs),
    /// Apply the database migrations, then exit.
    Migrate(DataOnly),
    /// Manage workspaces (one per brand or client).
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage channels: a workspace's accounts on the networks.
    #[command(subcommand)]
    Channel(ChannelCommand),
    /// Publish a post on one or more channels, now or at a planned time.
    Post(PostArgs),
    /// Plan posts in bulk.
    #[command(subcommand)]
    Schedule(ScheduleCommand),
    /// Register the web sites whose audience a workspace measures.
    #[command(subcommand)]
    Site(SiteCommand),
    /// Bring a site's audience history in, or take it out.
    #[command(subcommand)]
    Analytics(AnalyticsCommand),
    /// Listening: try a query on texts.
    #[command(subcommand)]
    Listen(ListenCommand),
    /// Analyse texts, one a line on standard input, one JSON object a line on standard output.
    #[command(subcommand)]
    Analyze(AnalyzeCommand),
    /// The team inbox: list conversations, reply through the channel.
    #[command(subcommand)]
    Inbox(InboxCommand),
    /// Move data between databases.
    #[command(subcommand)]
    Db(DbCommand),
    /// Configuration helpers.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Measure Relais's speed, beside a peer measured in the same run.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand, Debug)]
pub enum ListenCommand {
    /// Print the lines of standard input that a listening query matches (one text a line).
    /// An invalid query exits with an error that gives its column.
    TestQuery {
        /// The query: words, "exact phrases", AND, OR, NOT or -word, parentheses, NEAR/n,
        /// ONEAR/n, suffix wildcards (rembours*), lang:, author:, site:, source:.
        query: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AnalyzeCommand {
    /// Sentiment of each line: {"lang":"fr","label":"negative|neutral|positive","score":-1..1}.
    /// With `auto`, a line whose language cannot be told (no letters) gets "lang":null and a
    /// neutral 0.
    Sentiment {
        #[arg(long, value_enum, default_value_t = TextLang::Auto)]
        lang: TextLang,
    },
    /// Insult and toxicity of each line: {"lang":"fr","toxic":true|false,"score":0..1}. With
    /// `auto`, a line whose language cannot be told gets "lang":null, not toxic, 0.
    Toxicity {
        #[arg(long, value_enum, default_value_t = TextLang::Auto)]
        lang: TextLang,
    },
}

#[derive(Subcommand, Debug)]
pub enum InboxCommand {
    /// The workspace's conversations, most recent first: one JSON object a line (id, channel,
    /// status, assignee, messages with their network id, author handle and text).
    List(InboxListArgs),
    /// Reply in a conversation through its channel, threaded under the last message received.
    Reply(InboxReplyArgs),
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InboxStatus {
    Open,
    Pending,
    Closed,
}

#[derive(Args, Debug)]
pub struct InboxListArgs {
    #[arg(long)]
    pub workspace: String,
    #[arg(long, value_enum)]
    pub status: Option<InboxStatus>,
    /// One JSON object a line (the only output format for now; kept for scripts that say it).
    #[arg(long)]
    pub json: bool,
    /// The most conversations listed.
    #[arg(long, default_value_t = 1000)]
    pub limit: u32,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Args, Debug)]
pub struct InboxReplyArgs {
    /// The conversation's id (from `relais inbox list`).
    pub conversation: String,
    #[arg(long)]
    pub workspace: String,
    /// The reply's text.
    #[arg(long)]
    pub text: String,
    /// Wait for the network's answer: print the reply's address once published, or exit
    /// non-zero with the reason.
    #[arg(long)]
    pub wait: bool,
    /// Give up waiting after this many seconds (the reply stays queued).
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
    #[command(flatten)]
    pub data: DataArgs,
}

/// The language of texts given on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextLang {
    Fr,
    En,
    /// Told apart line by line (French or English).
    Auto,
}

#[derive(Args, Debug)]
pub struct DataOnly {
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Address to listen on. Default: 127.0.0.1:8080.
    #[arg(long, env = "RELAIS_LISTEN")]
    pub listen: Option<String>,
    /// The URL people reach Relais at (for links in mails; https:// makes cookies Secure).
    #[arg(long, env = "RELAIS_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Do not serve HTTP: run only the background workers (several processes can share PostgreSQL).
    #[arg(long, conflicts_with = "no_workers")]
    pub no_web: bool,
    /// Do not run background workers: serve only HTTP.
    #[arg(long)]
    pub no_workers: bool,
}

#[derive(Subcommand, Debug)]
pub enum WorkspaceCommand {
    /// Create a workspace.
    Add {
        /// Short name used in addresses: lowercase letters, digits, hyphens (acme-france).
        slug: String,
        /// The brand's or client's name, as shown.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List the workspaces.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user (password from RELAIS_PASSWORD, or asked on the terminal) and add them to a
    /// workspace; an existing user is just added to the workspace.
    Add {
        email: String,
        /// admin, manager, editor, contributor or analyst.
        #[arg(long)]
        role: String,
        /// The workspace's slug.
        #[arg(long)]
        workspace: String,
        /// The name shown. Default: the part of the e-mail before the @.
        #[arg(long)]
        name: Option<String>,
        /// Also make the user an instance administrator (may create workspaces).
        #[arg(long)]
        instance_admin: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Set a user's password (from RELAIS_PASSWORD, or asked on the terminal) and end all their
    /// sessions: the way back in for someone locked out.
    Password {
        email: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Args, Debug)]
pub struct PostArgs {
    #[arg(long)]
    pub workspace: String,
    /// A channel to publish on (by its name in the workspace); repeat for several.
    #[arg(long = "channel", required = true)]
    pub channels: Vec<String>,
    /// The text; repeat to make a thread (each --text is the next post of the chain).
    #[arg(long = "text", required = true)]
    pub texts: Vec<String>,
    /// An image or a video for the first post (PNG, JPEG, GIF, WebP; MP4, MOV, WebM); repeat
    /// for several.
    #[arg(long = "image", visible_alias = "video")]
    pub images: Vec<std::path::PathBuf>,
    /// Alt text of the images, in the same order.
    #[arg(long = "alt")]
    pub alts: Vec<String>,
    /// When to publish: `2026-06-01 09:00` (in --time-zone) or RFC 3339. Default: now.
    #[arg(long)]
    pub at: Option<String>,
    /// The IANA time zone of --at (Europe/Paris…).
    #[arg(long, default_value = "UTC")]
    pub time_zone: String,
    /// Repeat the post: daily, weekly or monthly, at the same local time (with --repeat-count).
    #[arg(long, requires = "repeat_count")]
    pub repeat: Option<String>,
    /// How many times in all (the first included), 2 to 52.
    #[arg(long)]
    pub repeat_count: Option<u32>,
    /// Wait until the post is published (print its URL) or has failed (exit non-zero).
    /// Works the queue meanwhile, so no server needs to run.
    #[arg(long)]
    pub wait: bool,
    /// Give up waiting after this many seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Subcommand, Debug)]
pub enum ScheduleCommand {
    /// Queue every row of a CSV file (columns: channel, text, and optionally at, time_zone,
    /// image, alt; `,` or `;` separated). Rows that cannot be queued are reported with their
    /// line and reason; the others are queued.
    Import {
        file: std::path::PathBuf,
        #[arg(long)]
        workspace: String,
        /// The time zone of rows that give none.
        #[arg(long, default_value = "UTC")]
        time_zone: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum ChannelCommand {
    /// Connect a network account to a workspace. Credentials are checked with the network first,
    /// then stored sealed.
    #[command(subcommand)]
    Add(ChannelAdd),
    /// List a workspace's channels and their state.
    List {
        #[arg(long)]
        workspace: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum ChannelAdd {
    /// A Bluesky account on any PDS; the app password comes from RELAIS_APP_PASSWORD or is asked.
    Bluesky {
        #[arg(long)]
        workspace: String,
        /// The channel's name in this workspace (what `relais post --channel` uses).
        #[arg(long)]
        name: String,
        /// The PDS, such as https://bsky.social.
        #[arg(long, default_value = "https://bsky.social")]
        service: String,
        /// The account's handle (brand.bsky.social) or DID.
        #[arg(long)]
        handle: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// A Mastodon account on any instance; the access token (scopes read and write) comes from
    /// RELAIS_ACCESS_TOKEN or is asked.
    Mastodon {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        name: String,
        /// The instance, such as https://mastodon.social.
        #[arg(long)]
        instance: String,
        /// public, unlisted, private or direct.
        #[arg(long, default_value = "public")]
        visibility: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The brand's WordPress blog; the application password comes from RELAIS_APP_PASSWORD or
    /// is asked.
    Wordpress {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        name: String,
        /// The site's address, such as https://blog.example.org.
        #[arg(long)]
        site: String,
        #[arg(long)]
        username: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// An account on a network connected through OAuth (x, linkedin, facebook, instagram,
    /// youtube, threads) from tokens obtained elsewhere: the access token from
    /// RELAIS_ACCESS_TOKEN (or asked), the refresh token from RELAIS_REFRESH_TOKEN and the app's
    /// client secret from RELAIS_CLIENT_SECRET when the network renews tokens. The Channels page
    /// runs the whole OAuth flow instead ("Connect an account").
    Token {
        /// x, linkedin, facebook, instagram, youtube or threads.
        network: String,
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        name: String,
        /// A setting of the network's channel, as key=value (client_id, organization_id,
        /// page_id, ig_user_id, api_base…); repeat for several.
        #[arg(long = "setting", value_name = "KEY=VALUE")]
        settings: Vec<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// A signed outgoing webhook; the HMAC secret comes from RELAIS_WEBHOOK_SECRET, or a new one
    /// is made and printed once.
    Webhook {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        url: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token for a workspace; the token is the last line printed.
    Create {
        /// The workspace's slug.
        #[arg(long)]
        workspace: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        name: String,
        /// The token's role: admin, manager, editor, contributor or analyst.
        #[arg(long, default_value = "editor")]
        role: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Copy everything from one database to another, empty one (SQLite ↔ PostgreSQL).
    /// A plain directory path stands for its relais.db.
    Copy {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print a documented default config file.
    Default,
    /// Print a fresh secret key (base64 of 32 random bytes) for `secret_key` / RELAIS_SECRET_KEY.
    SecretKey,
}

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Requests per second and latency of Relais's HTTP stack, beside nginx serving the same
    /// bytes on this machine in the same run (needs nginx installed; uses a throwaway database).
    Http(BenchHttpArgs),
    /// Publications per second and how late they go out (100 000 posts due in one minute, a
    /// receiver answering after 50 ms), on SQLite and PostgreSQL, beside a bare loop of HTTP
    /// clients sending the same posts with no queue or database, in the same run.
    Publish(BenchPublishArgs),
    /// The audience capability at scale: generated events (Zipf pages and sources over 30
    /// days) loaded into the embedded store, bytes on disk per event, dashboard queries on the
    /// embedded engine and on PostgreSQL side by side, and the tracker endpoint and a short
    /// link's redirect beside nginx answering a bare 202 and 302, in the same run.
    Audience(BenchAudienceArgs),
    /// The listening pipeline on one core (language, 10 000 queries matched, sentiment,
    /// near-duplicate fingerprint), each step apart, beside Python's vaderSentiment on the same
    /// texts in the same run (needs the sentiment development data and vaderSentiment).
    Listen(BenchListenArgs),
    /// The inbox's list page under 200 clients with a million messages in 100 000
    /// conversations, on SQLite and PostgreSQL, beside nginx serving the same page's bytes
    /// (needs nginx; PostgreSQL's server programs for the PostgreSQL run).
    Inbox(BenchInboxArgs),
}

#[derive(Args, Debug, Clone)]
pub struct BenchHttpArgs {
    /// Seconds measured per run (after a 1-second warm-up).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub seconds: u64,
    /// Concurrent keep-alive connections, each sending its next request when the last is answered.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub connections: u32,
    /// Runs per server and route, alternating nginx and Relais; the median run is reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=15))]
    pub rounds: u32,
    /// Print one JSON object per route (one per line) instead of the table.
    #[arg(long)]
    pub json: bool,
    /// The nginx program. Default: /usr/sbin/nginx, then `nginx` on the PATH.
    #[arg(long)]
    pub nginx: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct BenchPublishArgs {
    /// Posts to publish (one webhook channel each), due evenly over `--spread` seconds.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub posts: u32,
    /// Jobs the worker runs at once (worker_concurrency), and clients of the peer. Default 128:
    /// the smallest power of two at which even the peer can publish 100 000 posts a minute
    /// against a 50 ms receiver (64 in flight carry at most 1 280 a second).
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: u32,
    /// Seconds over which the posts are due (0: all at the same instant).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(0..=3600))]
    pub spread: u32,
    /// Which database to measure Relais on.
    #[arg(long, value_enum, default_value_t = BenchBackend::Both)]
    pub backend: BenchBackend,
    /// Print one JSON object per database (one per line) instead of the table.
    #[arg(long)]
    pub json: bool,
    /// An empty PostgreSQL database to use. Default: a throwaway cluster (needs initdb).
    #[arg(long, env = "RELAIS_BENCH_POSTGRES_URL", hide_env_values = true)]
    pub postgres_url: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct BenchAudienceArgs {
    /// Events to generate and load (one site; about 3 events a visit).
    #[arg(long, default_value_t = 10_000_000, value_parser = clap::value_parser!(u64).range(1_000..=100_000_000))]
    pub events: u64,
    /// UTC days the events cover, ending yesterday.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=366))]
    pub days: u32,
    /// Seconds measured per HTTP run (after a 1-second warm-up).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub seconds: u64,
    /// Concurrent keep-alive connections of the HTTP runs.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub connections: u32,
    /// An empty PostgreSQL database for the peer's queries. Default: a throwaway cluster
    /// (needs initdb).
    #[arg(long, env = "RELAIS_BENCH_POSTGRES_URL", hide_env_values = true)]
    pub postgres_url: Option<String>,
    /// The nginx program. Default: /usr/sbin/nginx, then `nginx` on the PATH.
    #[arg(long)]
    pub nginx: Option<PathBuf>,
    /// Also write every figure, as one JSON object, to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct BenchListenArgs {
    /// Queries compiled and matched against every post.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub queries: u64,
    /// Timed passes over all texts per step (after a warm-up pass); the fastest counts.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub rounds: u32,
    /// The sentiment development data (with xlmt-french/ and xlmt-english/). Default:
    /// ../shared/data/sentiment.
    #[arg(long, env = "RELAIS_SENTIMENT_DATA")]
    pub data: Option<PathBuf>,
    /// The Python that runs the vaderSentiment peer.
    #[arg(long, default_value = "python3")]
    pub python: String,
    /// Also write every figure, as one JSON object, to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct BenchInboxArgs {
    /// Conversations made.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub conversations: u64,
    /// Messages in each conversation.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub messages_per_conversation: u64,
    /// Concurrent clients (keep-alive connections).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub clients: u32,
    /// Members of the team, each signed in with a session of their own; the clients' requests
    /// take the members' sessions in turn, and the assigned conversations are shared out
    /// among them.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub members: u32,
    /// Seconds measured per run.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub seconds: u64,
    /// Runs per server (Relais and nginx take turns).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub rounds: u32,
    #[arg(long, value_enum, default_value_t = BenchBackend::Both)]
    pub backend: BenchBackend,
    /// An empty PostgreSQL database to use instead of a throwaway cluster.
    #[arg(long, env = "RELAIS_BENCH_POSTGRES_URL", hide_env_values = true)]
    pub postgres_url: Option<String>,
    /// The nginx binary (default: found on PATH or in /usr/sbin).
    #[arg(long)]
    pub nginx: Option<PathBuf>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BenchBackend {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Subcommand, Debug)]
pub enum SiteCommand {
    /// Register a site and print its id (a UUID: Umami's tracker names the site by it; Plausible's
    /// trackers by its domain).
    Add {
        /// The site's domain, as its pages are served (www. is dropped): shop.example.com.
        domain: String,
        #[arg(long)]
        workspace: String,
        /// The zone the site's days and hours are counted in.
        #[arg(long, default_value = "UTC")]
        time_zone: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List a workspace's sites: id, domain, time zone.
    List {
        #[arg(long)]
        workspace: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum AnalyticsCommand {
    /// Import history into a site: JSON lines of events (as `analytics export` writes them), or
    /// the daily totals of Plausible's CSV export (its imported_visitors_*.csv, or the folder of
    /// the unzipped export). Lines that cannot be imported are listed with their reason; the
    /// others are imported. Run it while `relais serve` is stopped.
    Import {
        file: std::path::PathBuf,
        /// The site's domain.
        #[arg(long)]
        site: String,
        #[arg(long)]
        workspace: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Write every event of a site as JSON lines (to standard output, or --output). Run it while
    /// `relais serve` is stopped.
    Export {
        #[arg(long)]
        site: String,
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        output: Option<std::path::PathBuf>,
        #[command(flatten)]
        data: DataArgs,
    },
}
