//! The web face of Relais: pages, the REST API, health and metrics, on one axum router.
//!
//! Layers, from the outside in: security headers → metrics → (pages only) the request context,
//! which loads the session, picks the language, checks CSRF tokens on every form and renders
//! error pages. The API authenticates with bearer tokens instead and answers JSON.

pub mod api;
pub mod auth;
pub mod coalesce;
pub mod context;
pub mod error;
pub mod i18n;
mod media_link;
pub mod metrics;
pub mod pages;
pub mod state;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use state::{AppState, OAuthEndpoints, WebConfig};

use pages::{
    account, audit, channels, join, listening, members, publish, session, setup, tokens, workspaces,
};

pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .route("/", get(session::root))
        .route("/setup", get(setup::show).post(setup::submit))
        .route(
            "/login",
            get(session::show_login).post(session::submit_login),
        )
        .route("/logout", post(session::logout))
        .route("/lang", post(session::switch_lang))
        .route("/account", get(account::show))
        .route("/account/password", post(account::change_password))
        .route("/account/sessions", post(account::end_other_sessions))
        .route(
            "/workspaces",
            get(workspaces::list).post(workspaces::create),
        )
        .route("/invite/{token}", get(join::show).post(join::accept))
        .route("/w/{slug}", get(workspaces::home))
        .route(
            "/w/{slug}/publish",
            get(publish::show).post(publish::submit),
        )
        .route("/w/{slug}/publish/check", post(publish::check))
        .route(
            "/w/{slug}/publish/media",
            get(pages::library::show).post(pages::library::upload),
        )
        .route(
            "/w/{slug}/publish/media/{id}/alt",
            post(pages::library::set_alt),
        )
        .route(
            "/w/{slug}/publish/media/{id}/delete",
            post(pages::library::delete),
        )
        .route(
            "/w/{slug}/publish/media/{id}/thumb",
            get(pages::library::thumbnail),
        )
        .route(
            "/w/{slug}/publish/media/{id}/file",
            get(pages::library::file),
        )
        .route(
            "/w/{slug}/publish/calendar-link",
            post(publish::calendar_link),
        )
        .route("/w/{slug}/publish/calendar", get(pages::calendar::show))
        .route(
            "/w/{slug}/publish/posts/{id}/move",
            post(pages::calendar::move_post),
        )
        .route(
            "/w/{slug}/publish/posts/{id}/approve",
            post(publish::approve),
        )
        .route("/w/{slug}/publish/posts/{id}/refuse", post(publish::refuse))
        .route(
            "/w/{slug}/publish/channels",
            get(channels::show).post(channels::add),
        )
        .route(
            "/w/{slug}/publish/channels/{id}/remove",
            post(channels::remove),
        )
        .route(
            "/w/{slug}/publish/channels/{id}/queue",
            get(pages::queue::show).post(pages::queue::save),
        )
        .route(
            "/w/{slug}/publish/channels/apps/{network}",
            post(pages::connect::save_app),
        )
        .route(
            "/w/{slug}/publish/channels/apps/{network}/remove",
            post(pages::connect::remove_app),
        )
        .route(
            "/w/{slug}/publish/channels/connect/{network}",
            post(pages::connect::start),
        )
        .route(
            "/w/{slug}/publish/channels/pick/{hash}",
            get(pages::connect::pick).post(pages::connect::add_picked),
        )
        .route("/oauth/callback", get(pages::connect::callback))
        .route("/w/{slug}/publish/posts/{id}", get(pages::post::show))
        .route(
            "/w/{slug}/publish/posts/{id}/comments",
            post(pages::post::comment),
        )
        .route(
            "/w/{slug}/publish/feeds",
            get(pages::feeds::show).post(pages::feeds::add),
        )
        .route(
            "/w/{slug}/publish/feeds/{id}/remove",
            post(pages::feeds::remove),
        )
        .route("/w/{slug}/settings", get(members::show))
        .route("/w/{slug}/settings/rename", post(members::rename))
        .route("/w/{slug}/settings/invitations", post(members::invite))
        .route(
            "/w/{slug}/settings/invitations/{id}/revoke",
            post(members::revoke_invitation),
        )
        .route(
            "/w/{slug}/settings/members/{user}/role",
            post(members::change_role),
        )
        .route(
            "/w/{slug}/settings/members/{user}/remove",
            post(members::remove),
        )
        .route(
            "/w/{slug}/settings/tokens",
            get(tokens::show).post(tokens::create),
        )
        .route(
            "/w/{slug}/settings/tokens/{id}/revoke",
            post(tokens::revoke),
        )
        .route("/w/{slug}/settings/audit", get(audit::show))
        .route("/w/{slug}/audience", get(pages::audience::show))
        .route("/w/{slug}/audience/sites", post(pages::audience::add))
        .route(
            "/w/{slug}/audience/links",
            get(pages::links::show).post(pages::links::create),
        )
        .route("/w/{slug}/audience/campaigns", post(pages::links::set_cost))
        .route("/w/{slug}/audience/links/{id}", get(pages::links::detail))
        .route(
            "/w/{slug}/audience/links/{id}/delete",
            post(pages::links::delete),
        )
        .route(
            "/w/{slug}/audience/links/{id}/{file}",
            get(pages::links::qr),
        )
        .route(
            "/w/{slug}/audience/{site}",
            get(pages::audience_dashboard::show_dashboard),
        )
        .route(
            "/w/{slug}/audience/{site}/export.csv",
            get(pages::audience_dashboard::export_csv),
        )
        .route(
            "/w/{slug}/audience/{site}/settings",
            get(pages::audience::settings),
        )
        .route(
            "/w/{slug}/audience/{site}/goals",
            post(pages::audience::add_goal),
        )
        .route(
            "/w/{slug}/audience/{site}/goals/{goal}/remove",
            post(pages::audience::remove_goal),
        )
        .route(
            "/w/{slug}/audience/{site}/delete",
            post(pages::audience::delete_site),
        )
        .route(
            "/w/{slug}/audience/{site}/funnels",
            post(pages::audience::add_funnel),
        )
        .route(
            "/w/{slug}/audience/{site}/funnels/{funnel}/remove",
            post(pages::audience::remove_funnel),
        )
        .route("/w/{slug}/listening", get(listening::queries::show))
        .route(
            "/w/{slug}/listening/queries",
            post(listening::queries::create),
        )
        .route(
            "/w/{slug}/listening/queries/{id}",
            post(listening::queries::update),
        )
        .route(
            "/w/{slug}/listening/queries/{id}/delete",
            post(listening::queries::delete),
        )
        .route("/w/{slug}/listening/test", post(listening::queries::test))
        .route(
            "/w/{slug}/listening/mentions",
            get(listening::mentions::show),
        )
        .route(
            "/w/{slug}/listening/mentions/new",
            get(listening::mentions::count_new),
        )
        .route(
            "/w/{slug}/listening/mentions.csv",
            get(listening::export::csv),
        )
        .route(
            "/w/{slug}/listening/mentions/{id}/{action}",
            post(listening::mentions::act),
        )
        .route(
            "/w/{slug}/listening/analysis",
            get(listening::analysis::show),
        )
        .route(
            "/w/{slug}/listening/sources",
            get(listening::sources::show).post(listening::sources::add),
        )
        .route(
            "/w/{slug}/listening/sources/opml",
            post(listening::sources::import_opml),
        )
        .route(
            "/w/{slug}/listening/sources/{id}",
            post(listening::sources::edit),
        )
        .route(
            "/w/{slug}/listening/sources/{id}/{action}",
            post(listening::sources::act),
        )
        .route(
            "/w/{slug}/listening/alerts",
            get(listening::alerts::show).post(listening::alerts::create),
        )
        .route(
            "/w/{slug}/listening/alerts/{id}/{action}",
            post(listening::alerts::act),
        )
        // The inbox's review queue, moderation rules, canned replies, settings and response
        // times (pages/moderation), and the public netiquette outside any workspace.
        .route(
            "/w/{slug}/inbox/review",
            get(pages::moderation::review::show),
        )
        .route(
            "/w/{slug}/inbox/review/{id}/{action}",
            post(pages::moderation::review::decide),
        )
        .route(
            "/w/{slug}/inbox/rules",
            get(pages::moderation::rules::show).post(pages::moderation::rules::create),
        )
        .route(
            "/w/{slug}/inbox/rules/test",
            post(pages::moderation::rules::test),
        )
        .route(
            "/w/{slug}/inbox/rules/{id}",
            post(pages::moderation::rules::update),
        )
        .route(
            "/w/{slug}/inbox/rules/{id}/{action}",
            post(pages::moderation::rules::act),
        )
        .route(
            "/w/{slug}/inbox/canned",
            get(pages::moderation::canned::show).post(pages::moderation::canned::create),
        )
        .route(
            "/w/{slug}/inbox/canned/preview",
            post(pages::moderation::canned::preview),
        )
        .route(
            "/w/{slug}/inbox/canned/{id}",
            post(pages::moderation::canned::update),
        )
        .route(
            "/w/{slug}/inbox/canned/{id}/delete",
            post(pages::moderation::canned::delete),
        )
        .route(
            "/w/{slug}/inbox/settings",
            get(pages::moderation::settings::show).post(pages::moderation::settings::save),
        )
        .route("/w/{slug}/inbox/sla", get(pages::moderation::sla::show))
        .route("/n/{slug}", get(pages::moderation::netiquette::show))
        // The inbox's conversations (pages/inbox): columns and lists with their live events,
        // a conversation and the team's actions on it, and the contacts.
        .route("/w/{slug}/inbox", get(pages::inbox::list::show))
        .route("/w/{slug}/inbox/list", get(pages::inbox::list::show_list))
        .route("/w/{slug}/inbox/events", get(pages::inbox::live::events))
        .route(
            "/w/{slug}/inbox/columns",
            post(pages::inbox::list::save_column),
        )
        .route(
            "/w/{slug}/inbox/columns/{key}",
            get(pages::inbox::list::column),
        )
        .route(
            "/w/{slug}/inbox/columns/{key}/delete",
            post(pages::inbox::list::delete_column),
        )
        .route(
            "/w/{slug}/inbox/c/{id}",
            get(pages::inbox::conversation::show),
        )
        .route(
            "/w/{slug}/inbox/c/{id}/assign",
            post(pages::inbox::conversation::assign),
        )
        .route(
            "/w/{slug}/inbox/c/{id}/status",
            post(pages::inbox::conversation::set_status),
        )
        .route(
            "/w/{slug}/inbox/c/{id}/snooze",
            post(pages::inbox::conversation::snooze),
        )
        .route(
            "/w/{slug}/inbox/c/{id}/tag",
            post(pages::inbox::conversation::tag),
        )
        .route(
            "/w/{slug}/inbox/c/{id}/untag",
            post(pages::inbox::conversation::untag),
        )
        .route(
            "/w/{slug}/inbox/c/{id}/note",
            post(pages::inbox::conversation::note),
        )
        .route(
            "/w/{slug}/inbox/c/{id}/reply",
            post(pages::inbox::reply::reply),
        )
        .route(
            "/w/{slug}/inbox/c/{id}/count",
            post(pages::inbox::reply::count),
        )
        .route(
            "/w/{slug}/inbox/c/{id}/presence",
            post(pages::inbox::reply::presence),
        )
        .route(
            "/w/{slug}/inbox/c/{id}/m/{message}/{action}",
            post(pages::inbox::reply::message_action),
        )
        .route(
            "/w/{slug}/inbox/contacts",
            get(pages::inbox::contacts::list),
        )
        .route(
            "/w/{slug}/inbox/contacts/{id}",
            get(pages::inbox::contacts::show).post(pages::inbox::contacts::edit),
        )
        .route(
            "/w/{slug}/inbox/contacts/{id}/merge",
            post(pages::inbox::contacts::merge),
        )
        .route("/w/{slug}/{section}", get(workspaces::capability))
        .fallback(not_found)
        .layer(from_fn_with_state(state.clone(), context::middleware))
        // The middleware above caps every body (small forms; uploads for people signed in):
        // the extractors' own 2 MiB default would refuse a video the configuration allows.
        .layer(axum::extract::DefaultBodyLimit::disable());

    Router::new()
        .merge(pages)
        .merge(api::router())
        .route("/healthz", get(healthz))
        .route("/m/{ws}/{media}/{tag}", get(media_link::serve))
        .route("/metrics", get(metrics::metrics_page))
        .route("/assets/app.css", get(css))
        .route("/assets/app.js", get(js))
        .route("/assets/inbox.js", get(inbox_js))
        .layer(from_fn_with_state(state.clone(), metrics::track))
        .layer(from_fn(context::security_headers))
        .with_state(state)
}

async fn not_found() -> Response {
    error::WebError::not_found().into_response()
}

/// 200 when the database answers, 503 otherwise: what a load balancer or orchestrator asks.
async fn healthz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(std::time::Duration::from_secs(5), state.store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ok\n").into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: database down");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "database does not answer\n",
        )
            .into_response(),
    }
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", include_str!("../assets/app.css"))
}

async fn js() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../assets/app.js"),
    )
}

/// The inbox pages' script (live columns, keyboard shortcuts, reply count, presence).
async fn inbox_js() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../assets/inbox.js"),
    )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}
