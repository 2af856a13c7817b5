//! From a tracker's request to stored events: robots dropped, the site found, the day's salt
//! fetched, the visitor hashed, the visit found, the hit classified, the event kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use relais_audience::classify::agent::{Agent, agent_of, is_bot};
use relais_audience::classify::channel::channel_of;
use relais_audience::classify::utm::Utm;
use relais_audience::engine::period::utc_day;
use relais_audience::event::{Event, Seen, classify_with};
use relais_audience::hit::{Hit, SiteRef};
use relais_audience::links::{Click, click_with};
use relais_audience::session::Sessions;
use relais_audience::visitor::{Salt, visitor_id};
use relais_store::Store;
use relais_store::audience::Site;
use relais_vault::Vault;
use tokio::sync::RwLock;

use crate::{AnalyticsError, EventStore};

/// What became of a hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Kept, for this many sites.
    Recorded(usize),
    /// Accepted and not kept, for this reason (told to the tracker in a header, as Plausible
    /// does, so that a developer can see why nothing shows).
    Dropped(Drop),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drop {
    Robot,
    UnknownSite,
    /// An engagement report for a visit that is over (or never began).
    NoVisit,
}

impl Drop {
    pub fn reason(self) -> &'static str {
        match self {
            Drop::Robot => "robot",
            Drop::UnknownSite => "unknown site; register it in Relais first",
            Drop::NoVisit => "engagement without a visit",
        }
    }
}

/// How often the list of sites is read again on a miss, at most.
const SITE_REFRESH: Duration = Duration::from_secs(10);

#[derive(Default)]
struct SiteCache {
    by_domain: HashMap<String, String>,
    by_id: HashMap<String, String>,
    read_at: Option<Instant>,
}

/// The ingestion pipeline, shared by the HTTP handlers and the import command.
pub struct Ingest {
    store: Arc<dyn Store>,
    events: Arc<dyn EventStore>,
    vault: Option<Vault>,
    sites: RwLock<SiteCache>,
    salts: Mutex<HashMap<NaiveDate, Salt>>,
    sessions: Mutex<Sessions>,
    /// Readings of the user agents seen lately: a site's visitors use a few hundred browsers,
    /// and reading a user agent is the costliest step of a hit.
    agents: Mutex<HashMap<String, (Agent, bool)>>,
}

/// Most user agents remembered; the memory is emptied when full (cheaper than an LRU, and a
/// busy site refills it with its common browsers within seconds).
const AGENTS_KEPT: usize = 20_000;

fn storage(e: impl std::fmt::Display) -> AnalyticsError {
    AnalyticsError::Storage(e.to_string())
}

impl Ingest {
    /// Starts the pipeline; visits under way in the stored events (a restart) go on.
    pub async fn new(
        store: Arc<dyn Store>,
        events: Arc<dyn EventStore>,
        vault: Option<Vault>,
    ) -> Result<Ingest, AnalyticsError> {
        let mut sessions = Sessions::default();
        let since = Utc::now().timestamp_millis() - relais_audience::session::IDLE_MS;
        for (site, visitor, visit, last) in events.recent_visits(since).await? {
            sessions.resume(site_key(&site), visitor, visit, last);
        }
        Ok(Ingest {
            store,
            events,
            vault,
            sites: RwLock::new(SiteCache::default()),
            salts: Mutex::new(HashMap::new()),
            sessions: Mutex::new(sessions),
            agents: Mutex::new(HashMap::new()),
        })
    }

    /// Records a hit seen at `seen`.
    pub async fn record(&self, hit: &Hit, seen: Seen<'_>) -> Result<Outcome, AnalyticsError> {
        let (agent, robot) = self.read_agent(seen.user_agent);
        if robot {
            return Ok(Outcome::Dropped(Drop::Robot));
        }
        let sites = self.resolve(&hit.sites).await?;
        if sites.is_empty() {
            return Ok(Outcome::Dropped(Drop::UnknownSite));
        }
        let salt = self.salt(utc_day(seen.at_ms)).await?;
        let ip = seen.ip.to_string();
        let mut events = Vec::with_capacity(sites.len());
        {
            let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
            for site in &sites {
                let visitor = visitor_id(&salt, site, &ip, seen.user_agent);
                let key = site_key(site);
                let visit = if hit.is_engagement() {
                    sessions.current(key, visitor, seen.at_ms)
                } else {
                    Some(sessions.visit(key, visitor, seen.at_ms))
                };
                if let Some(visit) = visit {
                    events.push(classify_with(hit, site, seen, visitor, visit, &agent));
                }
            }
            if sessions.len() > 10_000 {
                sessions.forget_idle(seen.at_ms);
            }
        }
        if events.is_empty() {
            return Ok(Outcome::Dropped(Drop::NoVisit));
        }
        let kept = events.len();
        self.events.append(events).await?;
        Ok(Outcome::Recorded(kept))
    }

    /// Counts a click on a tracked link, under the link's id (its statistics are asked of the
    /// event store like a site's). Robots' clicks are kept apart, named `robot`. Returns once
    /// the click is durable.
    pub async fn record_click(
        &self,
        link_id: &str,
        slug: &str,
        referrer: Option<&str>,
        seen: Seen<'_>,
    ) -> Result<Click, AnalyticsError> {
        let (agent, robot) = self.read_agent(seen.user_agent);
        let click = click_with(seen.at_ms, referrer, seen.ip, agent.device, robot);
        let salt = self.salt(utc_day(seen.at_ms)).await?;
        let visitor = visitor_id(&salt, link_id, &seen.ip.to_string(), seen.user_agent);
        let visit = self
            .sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .visit(site_key(link_id), visitor, seen.at_ms);
        let event = Event {
            site: link_id.to_string(),
            at_ms: seen.at_ms,
            visitor,
            session: visit,
            name: if click.robot { "robot" } else { "click" }.into(),
            hostname: String::new(),
            pathname: format!("/l/{slug}"),
            referrer: None,
            source: click.source.clone(),
            channel: channel_of(click.source.as_deref(), None, &Utm::default())
                .as_str()
                .into(),
            utm_source: None,
            utm_medium: None,
            utm_campaign: None,
            utm_content: None,
            utm_term: None,
            country: click.country.clone(),
            browser: None,
            browser_version: None,
            os: None,
            os_version: None,
            device: click.device.map(|d| d.as_str().to_string()),
            props: Vec::new(),
            revenue: None,
            interactive: true,
            scroll_depth: None,
            engaged_ms: None,
        };
        self.events.append(vec![event]).await?;
        Ok(click)
    }

    /// What a user agent says of itself, and whether it is a robot, remembered.
    fn read_agent(&self, user_agent: &str) -> (Agent, bool) {
        if let Some(reading) = self
            .agents
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(user_agent)
        {
            return reading.clone();
        }
        // Read without holding the lock: other requests go on meanwhile.
        let reading = (agent_of(user_agent), is_bot(user_agent));
        let mut known = self.agents.lock().unwrap_or_else(|p| p.into_inner());
        if known.len() >= AGENTS_KEPT {
            known.clear();
        }
        // Only the first 512 bytes are read anyway; longer keys would only fill the memory.
        if user_agent.len() <= 512 {
            known.insert(user_agent.to_owned(), reading.clone());
        }
        reading
    }

    /// The ids of the registered sites a hit names.
    async fn resolve(&self, refs: &[SiteRef]) -> Result<Vec<String>, AnalyticsError> {
        let found = |cache: &SiteCache| -> Vec<String> {
            refs.iter()
                .filter_map(|r| match r {
                    SiteRef::Domain(d) => cache.by_domain.get(d).cloned(),
                    SiteRef::Id(id) => cache.by_id.get(id).cloned(),
                })
                .collect()
        };
        {
            let cache = self.sites.read().await;
            let hits = found(&cache);
            let fresh = cache.read_at.is_some_and(|at| at.elapsed() < SITE_REFRESH);
            if hits.len() == refs.len() || fresh {
                return Ok(hits);
            }
        }
        let mut cache = self.sites.write().await;
        if cache.read_at.is_none_or(|at| at.elapsed() >= SITE_REFRESH) {
            let sites = self.store.all_sites().await.map_err(storage)?;
            *cache = cache_of(&sites);
        }
        Ok(found(&cache))
    }

    /// Forgets cached sites, so that one just added or deleted is seen at once.
    pub async fn sites_changed(&self) {
        self.sites.write().await.read_at = None;
    }

    /// The salt of a UTC day: the one every process sharing the database uses, sealed at rest.
    /// Without a vault key, each process keeps its own salt in memory only.
    async fn salt(&self, day: NaiveDate) -> Result<Salt, AnalyticsError> {
        if let Some(salt) = self.cached_salt(day) {
            return Ok(salt);
        }
        let mut fresh = [0u8; 32];
        getrandom::fill(&mut fresh).map_err(storage)?;
        let salt = match &self.vault {
            Some(vault) => {
                let hex: String = fresh.iter().map(|b| format!("{b:02x}")).collect();
                let sealed = vault.seal(SALT_CONTEXT, &hex).map_err(storage)?;
                let kept = self
                    .store
                    .visitor_salt(&day.to_string(), &sealed)
                    .await
                    .map_err(storage)?;
                let opened = vault.open(SALT_CONTEXT, &kept).map_err(storage)?;
                from_hex(&opened).ok_or_else(|| storage("a stored visitor salt is damaged"))?
            }
            None => fresh,
        };
        let mut salts = self.salts.lock().unwrap_or_else(|p| p.into_inner());
        // Only today's salt (and tomorrow's, near midnight) is of any use; older ones go.
        salts.retain(|d, _| *d >= day.pred_opt().unwrap_or(day));
        Ok(*salts.entry(day).or_insert(salt))
    }

    fn cached_salt(&self, day: NaiveDate) -> Option<Salt> {
        self.salts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&day)
            .copied()
    }

    /// Deletes the salts of days before `now`'s: after that, nothing links a visitor's
    /// yesterday to their today.
    pub async fn forget_old_salts(&self, now: DateTime<Utc>) -> Result<u64, AnalyticsError> {
        let today = now.date_naive();
        self.salts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|d, _| *d >= today);
        self.store
            .forget_salts_before(&today.to_string())
            .await
            .map_err(storage)
    }

    /// The event store behind the pipeline.
    pub fn events(&self) -> &Arc<dyn EventStore> {
        &self.events
    }
}

/// The vault context of visitor salts (a sealed salt cannot be opened as another secret).
const SALT_CONTEXT: &str = "audience.visitor_salt";

fn cache_of(sites: &[Site]) -> SiteCache {
    SiteCache {
        by_domain: sites
            .iter()
            .map(|s| (s.domain.clone(), s.id.to_string()))
            .collect(),
        by_id: sites
            .iter()
            .map(|s| (s.id.to_string(), s.id.to_string()))
            .collect(),
        read_at: Some(Instant::now()),
    }
}

fn from_hex(text: &str) -> Option<Salt> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut salt = [0u8; 32];
    for (i, pair) in bytes.chunks(2).enumerate() {
        let pair = std::str::from_utf8(pair).ok()?;
        salt[i] = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(salt)
}

/// A number for a site id, to key visits (FNV-1a: stable across processes and restarts).
fn site_key(site: &str) -> u64 {
    site.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salts_round_trip_through_hex() {
        let salt: Salt = core::array::from_fn(|i| i as u8 * 7);
        let hex: String = salt.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(from_hex(&hex), Some(salt));
        assert_eq!(from_hex("zz"), None);
    }
}
