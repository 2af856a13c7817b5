//! Serves a media file to a network that fetches it by address (Instagram, Threads), when the
//! address carries the file's secret tag (see `relais_publisher::media_link`). Anything else
//! is a plain 404: neither the workspace nor the file is disclosed.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use relais_core::{MediaId, WorkspaceId};
use relais_publisher::media_link;

use crate::state::AppState;

pub async fn serve(
    State(state): State<AppState>,
    Path((ws, media, tag)): Path<(String, String, String)>,
) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "not found\n").into_response();
    let (Ok(ws), Ok(media)) = (ws.parse::<WorkspaceId>(), media.parse::<MediaId>()) else {
        return not_found();
    };
    let key = match state.media_key.get(state.store.as_ref()).await {
        Ok(k) => k,
        Err(e) => {
            tracing::warn!(error = %e, "media link key unavailable");
            return (StatusCode::SERVICE_UNAVAILABLE, "try again later\n").into_response();
        }
    };
    if !media_link::verify(key, ws, media, &tag) {
        return not_found();
    }
    match state.store.media(ws, media).await {
        Ok(Some((info, bytes))) => (
            [
                (header::CONTENT_TYPE, info.mime),
                (header::CACHE_CONTROL, "private, max-age=3600".to_owned()),
                (header::CONTENT_DISPOSITION, "inline".to_owned()),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => not_found(),
        Err(e) => {
            tracing::warn!(error = %e, "media link: database failed");
            (StatusCode::SERVICE_UNAVAILABLE, "try again later\n").into_response()
        }
    }
}
