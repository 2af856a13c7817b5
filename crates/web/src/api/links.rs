//! `/l/{slug}`: a tracked link followed. The link is looked up (through a short cache, so that a
//! campaign's burst of clicks does not queue on the database), its expiry and password checked,
//! the click counted, and the visitor sent on with a 302.
//!
//! No session or cookie is read or set here; a link's password is asked with a plain form.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use relais_audience::event::Seen;
use relais_audience::links::{Access, access};
use relais_store::audience::Link;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/l/{slug}", get(follow).post(unlock))
}

/// How long a link (or its absence) is remembered. A link deleted in another process keeps
/// working for at most this long.
const REMEMBERED: Duration = Duration::from_secs(30);

/// A link (or its absence) and when it was read.
type Remembered = (Option<Arc<Link>>, Instant);

/// Links by slug, as recently read.
#[derive(Default)]
pub struct LinkCache(Mutex<HashMap<String, Remembered>>);

impl LinkCache {
    /// Forgets a slug at once (after a change made by this process).
    pub fn forget(&self, slug: &str) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(slug);
    }

    fn get(&self, slug: &str) -> Option<Option<Arc<Link>>> {
        let cache = self.0.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(slug)
            .filter(|(_, at)| at.elapsed() < REMEMBERED)
            .map(|(link, _)| link.clone())
    }

    fn put(&self, slug: &str, link: Option<Arc<Link>>) {
        let mut cache = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() > 100_000 {
            cache.retain(|_, (_, at)| at.elapsed() < REMEMBERED);
        }
        cache.insert(slug.to_owned(), (link, Instant::now()));
    }
}

async fn lookup(state: &AppState, slug: &str) -> Result<Option<Arc<Link>>, Response> {
    if slug.len() > 64 {
        return Ok(None);
    }
    if let Some(known) = state.links.get(slug) {
        return Ok(known);
    }
    match state.store.link_by_slug(slug).await {
        Ok(found) => {
            let found = found.map(Arc::new);
            state.links.put(slug, found.clone());
            Ok(found)
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot read a link");
            Err(message(
                StatusCode::SERVICE_UNAVAILABLE,
                "Relais cannot read this link right now; try again in a moment.",
            ))
        }
    }
}

fn message(status: StatusCode, text: &str) -> Response {
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>Relais</title><link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body><main><p>{}</p></main></body></html>",
        escape(text)
    );
    (status, Html(page)).into_response()
}

fn password_form(slug: &str, wrong: bool) -> Response {
    let note = if wrong {
        "<p class=\"error\" role=\"alert\">Wrong password / mot de passe incorrect.</p>"
    } else {
        ""
    };
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>Relais</title><link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body><main>\
         <h1>🔒</h1>{note}<form method=\"post\" action=\"/l/{}\" class=\"stack\"><label>Password / mot de passe <input type=\"password\" name=\"password\" required autofocus></label>\
         <button type=\"submit\">OK</button></form></main></body></html>",
        escape(slug)
    );
    let status = if wrong {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::OK
    };
    (status, Html(page)).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Counts the click (without making the visitor wait for the disk) and sends them on.
fn go(state: &AppState, link: &Link, headers: &HeaderMap, peer: Option<SocketAddr>) -> Response {
    if let Some(ingest) = state.audience.get().cloned() {
        let ip =
            crate::context::client_ip(&state.config.trusted_proxies, headers, peer.map(|p| p.ip()));
        let agent = headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let referrer = headers
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let (id, slug) = (link.id.to_string(), link.slug.clone());
        if let Ok(ip) = ip.parse() {
            // The click is on its way to the event log; a crash in the next milliseconds may
            // lose it (the redirect itself never waits for the disk).
            tokio::spawn(async move {
                let seen = Seen {
                    at_ms: Utc::now().timestamp_millis(),
                    ip,
                    user_agent: &agent,
                };
                if let Err(e) = ingest
                    .record_click(&id, &slug, referrer.as_deref(), seen)
                    .await
                {
                    tracing::warn!(error = %e, "a click could not be counted");
                }
            });
        }
    }
    let Ok(location) = HeaderValue::from_str(&link.target) else {
        return message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "This link's target cannot be used.",
        );
    };
    let mut response = StatusCode::FOUND.into_response();
    let h = response.headers_mut();
    h.insert(header::LOCATION, location);
    // Every click must reach Relais to be counted.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The link a request names, or the page to answer instead.
async fn named(state: &AppState, slug: &str) -> Result<Arc<Link>, Response> {
    match lookup(state, slug).await? {
        Some(link) => Ok(link),
        None => Err(message(
            StatusCode::NOT_FOUND,
            "This link does not exist. / Ce lien n’existe pas.",
        )),
    }
}

/// Sends the visitor on, or answers why not (expired; a password to give, again when wrong).
fn decide(
    state: &AppState,
    link: &Link,
    password_ok: bool,
    tried: bool,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> Response {
    let now = Utc::now().timestamp_millis();
    let expires = link.expires_at.map(|t| t.millis());
    match access(expires, link.password_hash.is_some(), password_ok, now) {
        Access::Expired => message(
            StatusCode::GONE,
            "This link has expired. / Ce lien a expiré.",
        ),
        Access::NeedsPassword => password_form(&link.slug, tried),
        Access::Redirect => go(state, link, headers, peer),
    }
}

async fn follow(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    match named(&state, &slug).await {
        Ok(link) => decide(&state, &link, false, false, &parts.headers, peer),
        Err(response) => response,
    }
}

async fn unlock(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let link = match named(&state, &slug).await {
        Ok(link) => link,
        Err(response) => return response,
    };
    let Ok(bytes) = axum::body::to_bytes(body, 4096).await else {
        return password_form(&link.slug, true);
    };
    let password = url::form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let ok = crate::auth::password::verify(password, link.password_hash.clone()).await;
    decide(&state, &link, ok, true, &parts.headers, peer)
}
