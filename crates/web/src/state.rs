//! What every handler shares.

use std::net::IpAddr;
use std::sync::Arc;

use relais_core::{Role, UserId, WorkspaceId};
use relais_mail::Mailer;
use relais_outbound::{HttpClient, OutboundConfig, OutboundError};
use relais_store::inbox::InboxVersion;
use relais_store::{Store, StoreError, User, Workspace};

use crate::auth::throttle::LoginThrottle;
use crate::coalesce::Coalesced;
use crate::metrics::Metrics;

/// The web part's settings (the binary fills them from the config file, environment and flags).
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// The address people use to reach Relais, without a trailing slash: links in mails are
    /// built from it, and cookies are marked `Secure` when it starts with `https://`.
    pub public_url: String,
    /// Proxies whose `X-Forwarded-For` / `Forwarded` headers are believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// How long a login lasts without logging in again.
    pub session_days: i64,
    /// How long an invitation link works.
    pub invitation_days: i64,
    /// The outgoing HTTP client's settings (SSRF guard, time-outs, size cap).
    pub outbound: OutboundConfig,
    /// The key that seals network credentials; without it, channels cannot be connected here.
    pub vault: Option<relais_vault::Vault>,
    /// Per network (`linkedin`…), other addresses for its API and consent page than its own:
    /// a proxy, or a test server.
    pub oauth_endpoints: std::collections::BTreeMap<String, OAuthEndpoints>,
    /// Largest upload (a form with files) a signed-in person may send, in bytes.
    pub max_upload_bytes: usize,
}

/// Where a network's OAuth app is reached instead of the network's public addresses.
#[derive(Clone, Debug, Default)]
pub struct OAuthEndpoints {
    pub api_base: Option<String>,
    pub authorize_base: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            trusted_proxies: Vec::new(),
            session_days: 14,
            invitation_days: 7,
            outbound: OutboundConfig::default(),
            vault: None,
            oauth_endpoints: Default::default(),
            max_upload_bytes: 200 << 20,
        }
    }
}

impl WebConfig {
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

pub struct Inner {
    pub store: Arc<dyn Store>,
    pub config: WebConfig,
    pub csrf_key: Vec<u8>,
    pub throttle: LoginThrottle,
    pub metrics: Metrics,
    pub mailer: Option<Arc<dyn Mailer>>,
    /// The one outgoing HTTP client, shared by every capability that fetches.
    pub http: HttpClient,
    /// The key of the media files' secret addresses, read once.
    pub media_key: relais_publisher::media_link::KeyCache,
    /// The audience pipeline and event store, once the binary has opened them (the trackers'
    /// routes answer 503 before).
    pub audience: std::sync::OnceLock<std::sync::Arc<relais_analytics::ingest::Ingest>>,
    /// Tracked links by slug, as recently read (for `/l/{slug}`).
    pub links: crate::api::links::LinkCache,
    /// The inbox's lists as recently read.
    pub inbox: crate::pages::inbox::cache::InboxCache,
    /// Reads every page makes, shared by the requests waiting on them at once.
    pub reads: PageReads,
}

/// The reads most pages start with. Each is shared only by requests that arrived before it
/// started (see [`crate::coalesce`]): what a request is answered is never older than itself.
#[derive(Default)]
pub struct PageReads {
    /// The signed-in user, by the session secret's hash.
    pub sessions: Coalesced<String, Option<User>>,
    /// A workspace by slug, with the member's role.
    pub memberships: Coalesced<(String, UserId), Option<(Workspace, Role)>>,
    /// The inbox's version, by workspace.
    pub inbox_versions: Coalesced<WorkspaceId, InboxVersion>,
    /// Which workspace each slug named when last entered: a guess, to start reading what a page
    /// needs of the workspace before the member's access is known (always checked after).
    slugs: std::sync::Mutex<std::collections::HashMap<String, WorkspaceId>>,
}

/// Slugs remembered at most; past it they are forgotten all at once (a guess costs one read).
const MOST_SLUGS: usize = 4_096;

impl PageReads {
    pub fn workspace_of_slug(&self, slug: &str) -> Option<WorkspaceId> {
        self.slugs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(slug)
            .copied()
    }

    pub fn note_workspace(&self, slug: &str, workspace: WorkspaceId) {
        let mut slugs = self
            .slugs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slugs.len() >= MOST_SLUGS && !slugs.contains_key(slug) {
            slugs.clear();
        }
        slugs.insert(slug.to_owned(), workspace);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the outgoing HTTP client cannot start: {0}")]
    Http(#[from] OutboundError),
}

#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// The CSRF key is made once per installation and kept in the database, so that every
    /// process sharing the database accepts the others' forms.
    pub async fn new(
        store: Arc<dyn Store>,
        config: WebConfig,
        mailer: Option<Arc<dyn Mailer>>,
    ) -> Result<Self, StartError> {
        let fresh = crate::auth::secret::new_secret("");
        let key = store.setting_or_insert("csrf_hmac_key", &fresh).await?;
        let http = HttpClient::new(config.outbound.clone())?;
        Ok(Self(Arc::new(Inner {
            store,
            config,
            csrf_key: key.into_bytes(),
            throttle: LoginThrottle::default(),
            metrics: Metrics::default(),
            mailer,
            http,
            media_key: Default::default(),
            audience: std::sync::OnceLock::new(),
            links: Default::default(),
            inbox: Default::default(),
            reads: Default::default(),
        })))
    }
}
