//! The audience's public endpoints: what the trackers send (`/api/event` as Plausible's,
//! `/api/send` as Umami's), Relais's own tracker (`/js/script.js`), and the Stats API
//! (`/api/v2/query`, as Plausible's v2).
//!
//! The trackers' endpoints take requests from any site (CORS `*`) without cookies: a hit names a
//! registered site or is dropped. They answer as the servers the trackers were written for do,
//! so an existing installation only changes the address it sends to.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use relais_analytics::ingest::{Ingest, Outcome};
use relais_analytics::{AnalyticsError, SiteInfo};
use relais_audience::engine::answer::Answer;
use relais_audience::engine::goal::Goal;
use relais_audience::event::Seen;
use relais_audience::hit::{Hit, HitError};
use relais_audience::ingest::{MAX_BODY, plausible, umami};
use relais_audience::query::parse::parse_query;
use relais_core::Permission;
use relais_store::audience::{GoalKind, Site};
use serde_json::{Value, json};

use super::ApiCaller;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/event", post(plausible_event).options(preflight))
        .route("/api/send", post(umami_send).options(preflight))
        .route("/js/script.js", get(script))
        .route("/api/v2/query", post(stats_query))
}

/// Reads at most [`MAX_BODY`] bytes; a larger body is refused without reading it all.
async fn small_body(body: Body) -> Result<Bytes, HitError> {
    axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        HitError::new(
            "body",
            format!("is larger than {} KiB, or was cut", MAX_BODY / 1024),
        )
    })
}

fn cors(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

async fn preflight() -> Response {
    cors(
        (
            StatusCode::NO_CONTENT,
            [
                (header::ACCESS_CONTROL_ALLOW_METHODS, "POST, OPTIONS"),
                (
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    "Content-Type, x-umami-cache",
                ),
                (header::ACCESS_CONTROL_MAX_AGE, "86400"),
            ],
        )
            .into_response(),
    )
}

/// Plausible's answer to a refused event: 400 and the field's errors.
fn refused(e: &HitError) -> Response {
    let body = json!({ "errors": { e.field: [e.problem] } });
    cors((StatusCode::BAD_REQUEST, axum::Json(body)).into_response())
}

fn unavailable(e: &AnalyticsError) -> Response {
    tracing::error!(error = %e, "an event could not be kept");
    let body = json!({ "errors": { "server": ["the event could not be kept; nothing was recorded, send it again later"] } });
    cors((StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response())
}

fn ingest(state: &AppState) -> Option<Arc<Ingest>> {
    state.audience.get().cloned()
}

/// What the server saw of a request, besides its body.
fn seen<'a>(
    state: &AppState,
    headers: &'a HeaderMap,
    peer: Option<SocketAddr>,
) -> (String, &'a str) {
    let ip =
        crate::context::client_ip(&state.config.trusted_proxies, headers, peer.map(|p| p.ip()));
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    (ip, agent)
}

async fn record(
    state: &AppState,
    hit: Hit,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> Result<Outcome, Response> {
    let Some(ingest) = ingest(state) else {
        return Err(unavailable(&AnalyticsError::Storage(
            "audience is not started".into(),
        )));
    };
    let (ip, agent) = seen(state, headers, peer);
    let Ok(ip) = ip.parse() else {
        return Err(unavailable(&AnalyticsError::Storage(
            "no client address".into(),
        )));
    };
    let seen = Seen {
        at_ms: Utc::now().timestamp_millis(),
        ip,
        user_agent: agent,
    };
    ingest.record(&hit, seen).await.map_err(|e| unavailable(&e))
}

/// 202 as Plausible answers; a dropped event says why in `x-relais-dropped`.
fn accepted(outcome: &Outcome, status: StatusCode, body: &'static str) -> Response {
    let mut response = (status, body).into_response();
    if let Outcome::Dropped(why) = outcome {
        let h = response.headers_mut();
        h.insert("x-plausible-dropped", HeaderValue::from_static("1"));
        h.insert("x-relais-dropped", HeaderValue::from_static(why.reason()));
    }
    cors(response)
}

async fn plausible_event(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let headers = parts.headers;
    let hit = match small_body(body).await.and_then(|b| plausible::parse(&b)) {
        Ok(hit) => hit,
        Err(e) => return refused(&e),
    };
    match record(&state, hit, &headers, peer).await {
        Ok(outcome) => accepted(&outcome, StatusCode::ACCEPTED, "ok"),
        Err(response) => response,
    }
}

async fn umami_send(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let headers = parts.headers;
    let hit = match small_body(body).await.and_then(|b| umami::parse(&b)) {
        Ok(Some(hit)) => hit,
        // `identify` carries data about a person: accepted, not kept.
        Ok(None) => return cors((StatusCode::OK, "ok").into_response()),
        Err(e) => return refused(&e),
    };
    match record(&state, hit, &headers, peer).await {
        Ok(outcome) => accepted(&outcome, StatusCode::OK, "ok"),
        Err(response) => response,
    }
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        include_str!("../../assets/tracker.js"),
    )
        .into_response()
}

/// Plausible's Stats API answers errors as `{"error": "..."}`.
fn stats_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": message.into() }))).into_response()
}

/// What the engine needs of a site: its goals, zone and first day.
pub async fn site_info(state: &AppState, site: &Site) -> Result<SiteInfo, Response> {
    let goals = state
        .store
        .goals(site.workspace_id, site.id)
        .await
        .map_err(|e| stats_error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?
        .into_iter()
        .map(|g| match g.kind {
            GoalKind::Page => Goal::page(&g.value),
            GoalKind::Event => Goal::event(&g.value),
        })
        .collect();
    let tz: chrono_tz::Tz = site.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let start = chrono::DateTime::from_timestamp_millis(site.created_at.millis())
        .unwrap_or_default()
        .with_timezone(&tz)
        .date_naive();
    Ok(SiteInfo {
        id: site.id.to_string(),
        goals,
        tz,
        start,
    })
}

async fn stats_query(State(state): State<AppState>, caller: ApiCaller, body: Bytes) -> Response {
    if let Err(e) = caller.require(Permission::View) {
        return e.into_response();
    }
    let query = match parse_query(&body) {
        Ok(q) => q,
        Err(e) => return stats_error(StatusCode::BAD_REQUEST, e.0),
    };
    let site = match state
        .store
        .site_named(caller.workspace.id, &query.site_id)
        .await
    {
        Ok(Some(site)) => site,
        Ok(None) => {
            return stats_error(
                StatusCode::BAD_REQUEST,
                format!(
                    "Site `{}` could not be found in this workspace; register it with `relais site add` or on the Audience page",
                    query.site_id
                ),
            );
        }
        Err(e) => return stats_error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    let Some(ingest) = ingest(&state) else {
        return stats_error(StatusCode::SERVICE_UNAVAILABLE, "audience is not started");
    };
    let info = match site_info(&state, &site).await {
        Ok(info) => info,
        Err(response) => return response,
    };
    match ingest.events().answer(&info, &query, Utc::now()).await {
        Ok(answer) => axum::Json(answer_json(&answer, &body)).into_response(),
        Err(AnalyticsError::Query(message)) => stats_error(StatusCode::BAD_REQUEST, message),
        Err(e) => stats_error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

/// `{"results": [...], "meta": {...}, "query": {...}}`: the query echoed with its period
/// resolved, as Plausible does.
pub fn answer_json(answer: &Answer, body: &[u8]) -> Value {
    let mut echo: Value = serde_json::from_slice(body).unwrap_or_else(|_| json!({}));
    if let Some(q) = echo.as_object_mut() {
        q.insert("date_range".into(), Answer::date_range_json(&answer.period));
        for (key, empty) in [
            ("filters", json!([])),
            ("dimensions", json!([])),
            ("order_by", json!([])),
        ] {
            q.entry(key).or_insert(empty);
        }
    }
    let mut meta = serde_json::Map::new();
    if let Some(labels) = &answer.time_labels {
        meta.insert("time_labels".into(), json!(labels));
    }
    if echo.pointer("/include/total_rows") == Some(&Value::Bool(true)) {
        meta.insert("total_rows".into(), json!(answer.total_rows));
    }
    if let Some(previous) = &answer.comparison_period {
        meta.insert(
            "comparison_date_range".into(),
            Answer::date_range_json(previous),
        );
    }
    json!({ "results": answer.results_json(), "meta": meta, "query": echo })
}
