//! The HTTP figures: Plausible's tracker endpoint and a short link's redirect, on the real
//! router with the audience started (a fresh SQLite store with one site and one link, a fresh
//! embedded event store and the ingestion pipeline, served by axum in this process as `relais
//! serve` serves it), beside nginx answering a bare 202 and a bare 302 at the same paths.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use relais_analytics::embedded::Embedded;
use relais_analytics::ingest::Ingest;
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{LinkId, SiteId, Slug};
use relais_store::audience::{NewLink, NewSite};
use relais_web::{AppState, WebConfig};

use super::super::load::{Shape, fetch_shaped};
use super::super::nginx::{self, NginxPeer};
use super::super::relais_server::{Serving, fresh_store};
use super::super::report::Summary;
use super::super::{Turns, take_turns};
use super::DOMAIN;

/// The tracker's endpoint.
pub const EVENT_PATH: &str = "/api/event";
/// The short link's slug and path.
pub const LINK_SLUG: &str = "bench";
pub const LINK_PATH: &str = "/l/bench";
const LINK_TARGET: &str = "https://example.com/";

/// A desktop browser: Relais drops robots' events, and the benchmark's own agent is one.
pub const DESKTOP_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

/// Distinct page views sent in turn (each connection starts at a different one).
const BODIES: usize = 64;

/// What nginx answers at the same paths: nothing but the status.
pub fn nginx_locations() -> String {
    format!(
        "        location = {EVENT_PATH} {{ return 202 \"ok\"; }}\n        location = {LINK_PATH} {{ return 302 {LINK_TARGET}; }}\n"
    )
}

/// Plausible's tracker's page views, each of another page of the site.
pub fn pageview_bodies() -> Vec<Vec<u8>> {
    (0..BODIES)
        .map(|n| {
            let page = if n == 0 {
                "/".to_owned()
            } else {
                format!("/blog/2024/post-{n}")
            };
            serde_json::json!({
                "n": "pageview",
                "u": format!("https://{DOMAIN}{page}"),
                "d": DOMAIN,
                "r": "https://www.google.com/",
            })
            .to_string()
            .into_bytes()
        })
        .collect()
}

pub fn ingest_shape() -> Shape {
    Shape::post(pageview_bodies(), "text/plain", DESKTOP_AGENT, 202)
}

pub fn redirect_shape() -> Shape {
    Shape {
        user_agent: DESKTOP_AGENT.into(),
        ..Shape::get_expecting(302)
    }
}

/// Relais with the audience started.
pub struct AudienceServer {
    pub addr: SocketAddr,
    pub site_id: String,
    pub ingest: Arc<Ingest>,
    serving: Serving,
    _dir: tempfile::TempDir,
}

fn audit(action: &str) -> AuditEvent {
    AuditEvent {
        workspace_id: None,
        actor: Actor::cli(),
        action: action.into(),
        target: "bench".into(),
        details: serde_json::json!({ "bench": true }),
    }
}

impl AudienceServer {
    pub async fn start() -> Result<Self> {
        let (dir, store) = fresh_store("relais-bench-audience-").await?;
        let slug = Slug::parse("bench").map_err(|e| anyhow!(e.message))?;
        let workspace = store
            .create_workspace(&slug, "Bench", None, audit("workspace.create"))
            .await
            .map_err(|e| anyhow!("cannot create the benchmark's workspace: {e}"))?;
        let site = store
            .create_site(
                NewSite {
                    id: SiteId::new(),
                    workspace_id: workspace.id,
                    domain: DOMAIN.into(),
                    time_zone: "UTC".into(),
                    created_by: None,
                },
                audit("site.create"),
            )
            .await
            .map_err(|e| anyhow!("cannot register the benchmark's site: {e}"))?;
        store
            .create_link(
                NewLink {
                    id: LinkId::new(),
                    workspace_id: workspace.id,
                    slug: LINK_SLUG.into(),
                    target: LINK_TARGET.into(),
                    title: None,
                    campaign: None,
                    expires_at: None,
                    password_hash: None,
                    post_id: None,
                    created_by: None,
                },
                audit("link.create"),
            )
            .await
            .map_err(|e| anyhow!("cannot create the benchmark's link: {e}"))?;
        let events_dir = dir.path().join("analytics");
        let engine = tokio::task::spawn_blocking(move || Embedded::open(&events_dir))
            .await?
            .map_err(|e| anyhow!("cannot open the event store: {e}"))?;
        let ingest = Arc::new(
            Ingest::new(store.clone(), Arc::new(engine), None)
                .await
                .map_err(|e| anyhow!("cannot start the ingestion pipeline: {e}"))?,
        );
        let state = AppState::new(store.clone(), WebConfig::default(), None)
            .await
            .context("cannot prepare the web part")?;
        if state.audience.set(ingest.clone()).is_err() {
            bail!("the audience was already started");
        }
        let serving = Serving::start(state, store.clone()).await?;
        Ok(Self {
            addr: serving.addr,
            site_id: site.id.to_string(),
            ingest,
            serving,
            _dir: dir,
        })
    }

    /// Events the site has, all days together (the runs' events are today's).
    pub async fn events_kept(&self) -> Result<u64> {
        let events = self
            .ingest
            .events()
            .export(&self.site_id)
            .await
            .map_err(|e| anyhow!("cannot read the events back: {e}"))?;
        Ok(events.len() as u64)
    }

    /// Stops serving and closes the database.
    pub async fn stop(self) {
        self.serving.stop().await;
    }
}

/// Both HTTP figures: Relais's runs, then nginx's.
pub struct HttpFigures {
    pub ingest: (Summary, Summary),
    pub redirect: (Summary, Summary),
    pub nginx_version: String,
    /// Page views Relais kept, against the 202s it answered inside the measured windows.
    pub kept: u64,
    pub answered: u64,
}

/// Starts both servers, checks that each answers as expected, and measures them in turns.
pub async fn measure(
    turns: &Turns,
    nginx_program: Option<&std::path::Path>,
) -> Result<HttpFigures> {
    let binary = nginx::find(nginx_program)?;
    let build = nginx::Build::probe(&binary).await?;
    let relais = AudienceServer::start().await?;
    let peer =
        match NginxPeer::start(&binary, &build, &[], &nginx_locations(), turns.connections).await {
            Ok(peer) => peer,
            Err(e) => {
                relais.stop().await;
                return Err(e);
            }
        };
    let nginx_addr = SocketAddr::from(([127, 0, 0, 1], peer.port));
    let result = measure_both(turns, &relais, nginx_addr).await;
    peer.stop().await;
    relais.stop().await;
    let (ingest, redirect, kept) = result?;
    // Answers counted inside the measured windows (warm-ups and checks come on top).
    let answered = ingest
        .0
        .runs
        .iter()
        .map(|r| (r.requests_per_second * turns.seconds as f64).round() as u64)
        .sum();
    Ok(HttpFigures {
        ingest,
        redirect,
        nginx_version: build.version,
        kept,
        answered,
    })
}

type Measured = ((Summary, Summary), (Summary, Summary), u64);

async fn measure_both(
    turns: &Turns,
    relais: &AudienceServer,
    nginx: SocketAddr,
) -> Result<Measured> {
    let ingest = ingest_shape();
    let redirect = redirect_shape();
    for (addr, who) in [(relais.addr, "Relais"), (nginx, "nginx")] {
        expect(addr, EVENT_PATH, &ingest, who).await?;
        expect(addr, LINK_PATH, &redirect, who).await?;
    }
    // Accepted is not kept: a robot's or an unknown site's event is answered 202 too.
    if relais.events_kept().await? == 0 {
        bail!("Relais answered 202 but kept no event: the benchmark's page views are dropped");
    }
    let ingest = take_turns(turns, EVENT_PATH, &ingest, relais.addr, nginx).await?;
    let kept = relais.events_kept().await?;
    let redirect = take_turns(turns, LINK_PATH, &redirect, relais.addr, nginx).await?;
    Ok((ingest, redirect, kept))
}

async fn expect(addr: SocketAddr, path: &str, shape: &Shape, who: &str) -> Result<()> {
    let (status, body) = fetch_shaped(addr, path, shape).await?;
    if status != shape.expect_status {
        bail!(
            "{who} answers {status} at {path} instead of {}: {}",
            shape.expect_status,
            String::from_utf8_lossy(&body)
                .chars()
                .take(200)
                .collect::<String>()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_answers_only_the_status_at_the_same_paths() {
        let l = nginx_locations();
        assert!(
            l.contains("location = /api/event { return 202 \"ok\"; }"),
            "{l}"
        );
        assert!(l.contains("location = /l/bench { return 302 https://example.com/; }"));
        let bodies = pageview_bodies();
        assert_eq!(bodies.len(), BODIES);
        let first: serde_json::Value = serde_json::from_slice(&bodies[0]).unwrap();
        assert_eq!(first["d"], DOMAIN);
        assert_eq!(first["u"], format!("https://{DOMAIN}/"));
        assert_ne!(bodies[1], bodies[2], "each body another page");
        assert_eq!(ingest_shape().expect_status, 202);
        assert_eq!(redirect_shape().user_agent, DESKTOP_AGENT);
    }

    /// Relais with the audience answers the tracker with 202 and keeps the page view (a
    /// desktop browser is no robot), and follows the link with a 302.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn relais_keeps_the_page_views_and_redirects_the_link() {
        let relais = AudienceServer::start().await.unwrap();
        expect(relais.addr, EVENT_PATH, &ingest_shape(), "Relais")
            .await
            .unwrap();
        assert_eq!(relais.events_kept().await.unwrap(), 1);
        expect(relais.addr, LINK_PATH, &redirect_shape(), "Relais")
            .await
            .unwrap();
        let robot = Shape::post(pageview_bodies(), "text/plain", "curl/8.0", 202);
        expect(relais.addr, EVENT_PATH, &robot, "Relais")
            .await
            .unwrap();
        assert_eq!(
            relais.events_kept().await.unwrap(),
            1,
            "a robot's is not kept"
        );
        let wrong = Shape::get_expecting(200);
        assert!(
            expect(relais.addr, LINK_PATH, &wrong, "Relais")
                .await
                .is_err()
        );
        relais.stop().await;
    }
}
