//! What the audience capability keeps in the main database: sites, their goals and funnels, and
//! the day's visitor salt. Events are not here (see crate `relais-analytics`).
//!
//! A trait of its own ([`AudienceStore`], a supertrait of [`crate::Store`]); both backends
//! implement it from one body of SQL (`sql_audience.rs`), checked by the conformance scenarios
//! of `conformance/audience.rs`. Everything a person asks for is scoped to a workspace; only the
//! trackers' lookups ([`AudienceStore::site_by_domain`], [`AudienceStore::site_by_id`]) are not,
//! because a tracker names a site, not a workspace.

use async_trait::async_trait;
use relais_core::audit::AuditEvent;
use relais_core::{FunnelId, GoalId, LinkId, PostId, SiteId, Timestamp, UserId, WorkspaceId};
use serde::Serialize;

use crate::StoreResult;

/// A measured web site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Site {
    pub id: SiteId,
    pub workspace_id: WorkspaceId,
    /// Lower case, without `www.`.
    pub domain: String,
    /// IANA name; the site's days and hours are counted in it.
    pub time_zone: String,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct NewSite {
    pub id: SiteId,
    pub workspace_id: WorkspaceId,
    pub domain: String,
    pub time_zone: String,
    pub created_by: Option<UserId>,
}

/// What reaches a goal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GoalKind {
    /// A page view whose path matches `value` (`*` wildcards).
    Page,
    /// A custom event named `value`.
    Event,
}

impl GoalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GoalKind::Page => "page",
            GoalKind::Event => "event",
        }
    }

    pub fn parse(s: &str) -> Option<GoalKind> {
        match s {
            "page" => Some(GoalKind::Page),
            "event" => Some(GoalKind::Event),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SiteGoal {
    pub id: GoalId,
    pub site_id: SiteId,
    pub kind: GoalKind,
    pub value: String,
    pub created_at: Timestamp,
}

/// An ordered path through a site's goals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Funnel {
    pub id: FunnelId,
    pub site_id: SiteId,
    pub name: String,
    /// Two or more goals of the site, in order.
    pub steps: Vec<GoalId>,
    pub created_at: Timestamp,
}

/// A tracked short link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Link {
    pub id: LinkId,
    pub workspace_id: WorkspaceId,
    /// `/l/{slug}`; unique across the installation.
    pub slug: String,
    /// Where it leads, UTM parameters included.
    pub target: String,
    pub title: Option<String>,
    /// The target's `utm_campaign`, kept apart to join with campaign costs.
    pub campaign: Option<String>,
    pub expires_at: Option<Timestamp>,
    /// Argon2 hash; `None` for an open link.
    #[serde(skip)]
    pub password_hash: Option<String>,
    /// The post it was made for, when a post's links were turned into tracked links.
    pub post_id: Option<PostId>,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct NewLink {
    pub id: LinkId,
    pub workspace_id: WorkspaceId,
    pub slug: String,
    pub target: String,
    pub title: Option<String>,
    pub campaign: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub password_hash: Option<String>,
    pub post_id: Option<PostId>,
    pub created_by: Option<UserId>,
}

/// What a campaign cost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CampaignCost {
    pub campaign: String,
    /// In the currency's smallest unit (cents).
    pub cost_cents: i64,
    pub currency: String,
}

#[async_trait]
pub trait AudienceStore: Send + Sync {
    /// Registers a site; [`crate::Conflict::SiteTaken`] when any workspace has the domain.
    async fn create_site(&self, site: NewSite, audit: AuditEvent) -> StoreResult<Site>;
    /// A workspace's sites, by domain.
    async fn sites(&self, workspace: WorkspaceId) -> StoreResult<Vec<Site>>;
    async fn site(&self, workspace: WorkspaceId, id: SiteId) -> StoreResult<Option<Site>>;
    /// A site of a workspace by its domain (the Stats API's `site_id`).
    async fn site_named(&self, workspace: WorkspaceId, domain: &str) -> StoreResult<Option<Site>>;
    /// Every site, for the trackers' lookups (a handful per workspace: they are cached).
    async fn all_sites(&self) -> StoreResult<Vec<Site>>;
    /// Deletes a site with its goals and funnels; `false` if there was none.
    async fn delete_site(
        &self,
        workspace: WorkspaceId,
        id: SiteId,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    /// Adds a goal; adding one that exists returns it unchanged.
    async fn add_goal(
        &self,
        workspace: WorkspaceId,
        site: SiteId,
        kind: GoalKind,
        value: &str,
        audit: AuditEvent,
    ) -> StoreResult<Option<SiteGoal>>;
    /// A site's goals, oldest first; empty for a site of another workspace.
    async fn goals(&self, workspace: WorkspaceId, site: SiteId) -> StoreResult<Vec<SiteGoal>>;
    async fn delete_goal(
        &self,
        workspace: WorkspaceId,
        site: SiteId,
        goal: GoalId,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    /// The sealed salt of a UTC day (`YYYY-MM-DD`): the one stored if a process stored one
    /// first, else `fresh`, stored now. Every process thus uses the same salt for a day.
    async fn visitor_salt(&self, day: &str, fresh: &str) -> StoreResult<String>;
    /// Deletes the salts of days before `day`; returns how many.
    async fn forget_salts_before(&self, day: &str) -> StoreResult<u64>;

    /// Adds a funnel to a site of the workspace (`None`: no such site, or a step that is not one
    /// of its goals); [`crate::Conflict::Other`] when the site has a funnel of that name.
    async fn add_funnel(
        &self,
        workspace: WorkspaceId,
        site: SiteId,
        name: &str,
        steps: &[GoalId],
        audit: AuditEvent,
    ) -> StoreResult<Option<Funnel>>;
    /// A site's funnels, by name; empty for a site of another workspace.
    async fn funnels(&self, workspace: WorkspaceId, site: SiteId) -> StoreResult<Vec<Funnel>>;
    async fn delete_funnel(
        &self,
        workspace: WorkspaceId,
        site: SiteId,
        funnel: FunnelId,
        audit: AuditEvent,
    ) -> StoreResult<bool>;

    /// Makes a link; [`crate::Conflict::LinkSlugTaken`] when any workspace has the slug.
    async fn create_link(&self, link: NewLink, audit: AuditEvent) -> StoreResult<Link>;
    /// A workspace's links, newest first.
    async fn links(&self, workspace: WorkspaceId) -> StoreResult<Vec<Link>>;
    async fn link(&self, workspace: WorkspaceId, id: LinkId) -> StoreResult<Option<Link>>;
    /// A link by its slug, whatever its workspace (for the redirect).
    async fn link_by_slug(&self, slug: &str) -> StoreResult<Option<Link>>;
    /// The links made for a post.
    async fn links_of_post(&self, workspace: WorkspaceId, post: PostId) -> StoreResult<Vec<Link>>;
    async fn delete_link(
        &self,
        workspace: WorkspaceId,
        id: LinkId,
        audit: AuditEvent,
    ) -> StoreResult<bool>;
    /// Sets (or with `None`, removes) a campaign's cost.
    async fn set_campaign_cost(
        &self,
        workspace: WorkspaceId,
        campaign: &str,
        cost: Option<(i64, String)>,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    async fn campaign_costs(&self, workspace: WorkspaceId) -> StoreResult<Vec<CampaignCost>>;
}
