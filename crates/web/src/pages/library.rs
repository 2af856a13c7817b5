//! The media library: the workspace's images and videos with their thumbnails, uploads,
//! alternative texts, and deletion refused while a post still to be published uses the file.
//! Files are served to members only, from the workspace they belong to.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use relais_core::audit::AuditEvent;
use relais_core::{MediaId, Permission};
use relais_publisher::compose::{self, Author, Upload};
use relais_store::{Media, MediaDeletion};
use serde::Deserialize;

use super::fields::PageFields;
use super::{Access, Chrome, Done, PageForm, PageResult, enter_workspace, render};
use crate::context::{Ctx, see_other};
use crate::error::WebError;
use crate::state::AppState;

/// Longest alternative text kept (the networks' own limits are checked when a post uses it).
pub const MAX_ALT_CHARS: usize = 5_000;

/// How many files the page lists, newest first.
const LISTED: u32 = 200;

pub struct MediaRow {
    pub id: String,
    pub name: String,
    pub is_video: bool,
    pub has_thumbnail: bool,
    pub size: String,
    pub alt: String,
}

impl MediaRow {
    pub fn of(m: &Media) -> Self {
        Self {
            id: m.id.to_string(),
            name: m.file_name.clone(),
            is_video: relais_media::is_video(&m.mime),
            has_thumbnail: m.has_thumbnail,
            size: human_size(m.size),
            alt: m.alt.clone().unwrap_or_default(),
        }
    }
}

fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1u32 << 20)),
        b if b >= 1 << 10 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

#[derive(Template)]
#[template(path = "library.html")]
struct LibraryPage {
    c: Chrome,
    slug: String,
    can_write: bool,
    can_delete: bool,
    media: Vec<MediaRow>,
    notice: Option<String>,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    access: &Access,
    notice: Option<String>,
    error: Option<String>,
) -> PageResult {
    let m = ctx.m();
    let ws = &access.workspace;
    let media = state
        .store
        .media_list(ws.id, LISTED)
        .await?
        .iter()
        .map(MediaRow::of)
        .collect();
    let slug = ws.slug.to_string();
    let mut r = render(&LibraryPage {
        c: Chrome::workspace(
            ctx,
            m.lib.title,
            &format!("/w/{slug}/publish/media"),
            ws,
            "publish",
        ),
        slug,
        can_write: access.role.allows(Permission::WriteDrafts),
        can_delete: access.role.allows(Permission::Publish),
        media,
        notice,
        error: error.clone(),
    })?;
    if error.is_some() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(done): Query<Done>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let m = ctx.m();
    let notice = match done.done.as_str() {
        "added" => Some(m.lib.added.to_owned()),
        "deleted" => Some(m.lib.deleted.to_owned()),
        "alt" => Some(m.lib.alt_saved.to_owned()),
        _ => None,
    };
    page(&state, &ctx, &access, notice, None).await
}

/// The files of a form's `field`, typed from their bytes, each with the `alt_field` value at
/// the same position. A file that is neither an image nor a video refuses the whole form,
/// naming it, so nothing is half-added.
pub fn uploads(
    ctx: &Ctx,
    form: &PageFields,
    field: &str,
    alt_field: &str,
) -> Result<Vec<Upload>, String> {
    let m = ctx.m();
    let alts = form.all(alt_field);
    let mut out = Vec::new();
    for (i, file) in form.files(field).enumerate() {
        let Some(mime) = compose::sniff(&file.bytes) else {
            return Err(m.lib.not_media.replace("{name}", &file.file_name));
        };
        let alt = alts
            .get(i)
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty());
        if alt
            .as_ref()
            .is_some_and(|a| a.chars().count() > MAX_ALT_CHARS)
        {
            return Err(m.lib.alt_too_long.to_owned());
        }
        out.push(Upload {
            name: safe_name(&file.file_name),
            mime,
            bytes: file.bytes.to_vec(),
            alt,
        });
    }
    Ok(out)
}

/// A file name as shown and kept: its last path segment, without control characters, at most
/// 200 characters ("file" when nothing is left).
fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.trim().is_empty() {
        "file".into()
    } else {
        clean
    }
}

pub async fn upload(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    form: PageFields,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::WriteDrafts)?;
    let files = match uploads(&ctx, &form, "file", "alt") {
        Ok(f) if f.is_empty() => {
            let why = ctx.m().lib.none_chosen.to_owned();
            return page(&state, &ctx, &access, None, Some(why)).await;
        }
        Ok(f) => f,
        Err(why) => return page(&state, &ctx, &access, None, Some(why)).await,
    };
    let author = Author {
        user_id: Some(access.user.id),
        actor: access.actor(&ctx),
        needs_approval: false,
    };
    for file in files {
        compose::add_to_library(state.store.as_ref(), &access.workspace, &author, file).await?;
    }
    Ok(see_other(&format!(
        "/w/{}/publish/media?done=added",
        access.workspace.slug
    )))
}

#[derive(Deserialize)]
pub struct AltForm {
    #[serde(default)]
    alt: String,
}

fn media_id(id: &str) -> Result<MediaId, WebError> {
    id.parse().map_err(|_| WebError::not_found())
}

pub async fn set_alt(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
    PageForm(form): PageForm<AltForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::WriteDrafts)?;
    let id = media_id(&id)?;
    let alt = Some(form.alt.trim().to_owned()).filter(|a| !a.is_empty());
    if alt
        .as_ref()
        .is_some_and(|a| a.chars().count() > MAX_ALT_CHARS)
    {
        let why = ctx.m().lib.alt_too_long.to_owned();
        return page(&state, &ctx, &access, None, Some(why)).await;
    }
    let audit = AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(&ctx),
        action: "media.alt".into(),
        target: id.to_string(),
        details: serde_json::Value::Null,
    };
    if !state
        .store
        .set_media_alt(access.workspace.id, id, alt, audit)
        .await?
    {
        return Err(WebError::not_found());
    }
    Ok(see_other(&format!(
        "/w/{}/publish/media?done=alt",
        access.workspace.slug
    )))
}

pub async fn delete(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Publish)?;
    let id = media_id(&id)?;
    let audit = AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(&ctx),
        action: "media.delete".into(),
        target: id.to_string(),
        details: serde_json::Value::Null,
    };
    match state
        .store
        .delete_media(access.workspace.id, id, audit)
        .await?
    {
        MediaDeletion::Deleted => Ok(see_other(&format!(
            "/w/{}/publish/media?done=deleted",
            access.workspace.slug
        ))),
        MediaDeletion::NotFound => Err(WebError::not_found()),
        MediaDeletion::InUse { posts } => {
            let why = ctx.m().lib.in_use.replace("{n}", &posts.to_string());
            page(&state, &ctx, &access, None, Some(why)).await
        }
    }
}

/// A member's view of a file or its thumbnail: never guessed by the browser, cached privately
/// (a file's bytes never change under its id).
fn file_response(mime: &str, bytes: Vec<u8>) -> Response {
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400, immutable"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    r
}

pub async fn thumbnail(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let thumb = state
        .store
        .media_thumbnail(access.workspace.id, media_id(&id)?)
        .await?
        .ok_or_else(WebError::not_found)?;
    Ok(file_response("image/jpeg", thumb))
}

pub async fn file(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let (media, bytes) = state
        .store
        .media(access.workspace.id, media_id(&id)?)
        .await?
        .ok_or_else(WebError::not_found)?;
    Ok(file_response(&media.mime, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_only_their_last_segment_and_no_controls() {
        assert_eq!(safe_name("C:\\Users\\ana\\photo.jpg"), "photo.jpg");
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("a\u{0}b\nc.png"), "abc.png");
        assert_eq!(safe_name("   "), "file");
        assert_eq!(safe_name(&"x".repeat(500)).len(), 200);
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(2048), "2 KiB");
        assert_eq!(human_size(5 << 20), "5.0 MiB");
    }
}
