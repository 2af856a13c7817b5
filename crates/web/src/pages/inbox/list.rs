//! `/w/{slug}/inbox`: the columns side by side, or one list under the filters of the address
//! (`/w/{slug}/inbox/list?…`), a page at a time (keyset: "older" carries the last one's
//! place). Each column can be fetched alone as an HTML fragment, which the page's script does
//! when the live events say something changed. A filter can be saved as a column: the
//! member's own (Answer) or the team's (Moderate).

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use relais_core::{InboxColumnId, Permission, Timestamp, WorkspaceId};
use relais_store::StoreResult;
use relais_store::inbox::{ConversationStatus, InboxVersion, MessageKind, NewInboxColumn};
use serde::Deserialize;

use super::columns::{
    COLUMN_PAGE, ColumnDef, ColumnView, LIST_KEY, LIST_PAGE, column_by_key, columns_of, draw,
};
use super::filter::ListParams;
use super::{Choice, Rights, audit, chrome, path_id, targets};
use crate::context::{Ctx, see_other};
use crate::error::WebError;
use crate::i18n::InboxMsgs;
use crate::pages::{Access, Chrome, Done, PageForm, PageResult, enter_workspace, render};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    c: Chrome,
    slug: String,
    tab: &'static str,
    rights: Rights,
    params: ListParams,
    statuses: Vec<Choice>,
    assignees: Vec<Choice>,
    channels: Vec<Choice>,
    kinds: Vec<Choice>,
    snoozed: Vec<Choice>,
    tags: Vec<String>,
    /// One list under the address's filters (else the columns).
    list_mode: bool,
    columns: Vec<ColumnView>,
    /// The filters as hidden fields of "save as column".
    hidden: Vec<(&'static str, String)>,
    /// The live events' address (from this page's making on).
    events: String,
    unread: Vec<&'static str>,
    notice: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "inbox_column.html")]
struct ColumnFragment {
    c: Chrome,
    col: ColumnView,
}

/// The `<select>` choices of the filter form.
struct FormChoices {
    statuses: Vec<Choice>,
    assignees: Vec<Choice>,
    channels: Vec<Choice>,
    kinds: Vec<Choice>,
    snoozed: Vec<Choice>,
    tags: Vec<String>,
}

async fn form_choices(
    state: &AppState,
    access: &Access,
    m: &InboxMsgs,
    params: &ListParams,
    version: InboxVersion,
) -> Result<FormChoices, WebError> {
    let ws = access.workspace.id;
    let members = state.inbox.members(&state.store, ws, version).await?;
    let channels = state.inbox.channels(&state.store, ws, version).await?;
    let tags = state.inbox.tags(&state.store, ws, version).await?;
    let statuses = Choice::list(
        std::iter::once(("", m.any)).chain(
            ConversationStatus::ALL
                .iter()
                .map(|s| (s.as_str(), m.status(*s))),
        ),
        params.status.trim(),
    );
    let member_ids: Vec<(String, String)> = members
        .iter()
        .map(|mb| (mb.user.id.to_string(), mb.user.name.to_string()))
        .collect();
    let assignees = Choice::list(
        [("", m.any), ("unassigned", m.unassigned), ("me", m.me)]
            .into_iter()
            .chain(member_ids.iter().map(|(id, n)| (id.as_str(), n.as_str()))),
        params.assignee.trim(),
    );
    let channel_ids: Vec<(String, String)> = channels
        .iter()
        .map(|c| (c.id.to_string(), c.name.clone()))
        .collect();
    let channels = Choice::list(
        std::iter::once(("", m.any))
            .chain(channel_ids.iter().map(|(id, n)| (id.as_str(), n.as_str()))),
        params.channel.trim(),
    );
    let kinds = Choice::list(
        std::iter::once(("", m.any)).chain(
            MessageKind::ALL
                .iter()
                .filter(|k| **k != MessageKind::Outgoing)
                .map(|k| (k.as_str(), m.kind(*k))),
        ),
        params.kind.trim(),
    );
    let snoozed = Choice::list(
        [("", m.any), ("no", m.snoozed_no), ("yes", m.snoozed_yes)],
        params.snoozed.trim(),
    );
    Ok(FormChoices {
        statuses,
        assignees,
        channels,
        kinds,
        snoozed,
        tags: tags.to_vec(),
    })
}

fn notice(m: &InboxMsgs, done: &str) -> Option<&'static str> {
    Some(match done {
        "column_saved" => m.column_saved,
        "column_deleted" => m.column_deleted,
        "bad_column_name" => m.bad_column_name,
        "bad_filter" => m.bad_filter,
        _ => return None,
    })
}

/// The inbox's version as the database says now (one read shared by the requests waiting on it).
async fn inbox_version(state: &AppState, ws: WorkspaceId) -> StoreResult<InboxVersion> {
    let store = &state.store;
    state
        .reads
        .inbox_versions
        .read(ws, || store.inbox_version(ws))
        .await
}

/// The member's access to the workspace named `slug` and its inbox's version. Once a slug's
/// workspace is known, both are read side by side (the version's read is thrown away unless the
/// member may enter); should the slug now name another workspace (renamed), the version is
/// read again for the right one.
async fn enter_inbox(
    state: &AppState,
    ctx: &Ctx,
    slug: &str,
) -> Result<(Access, InboxVersion), WebError> {
    let guessed = state.reads.workspace_of_slug(slug);
    let (access, early) = match guessed {
        Some(known) => {
            let (access, version) = tokio::join!(
                enter_workspace(state, ctx, slug),
                inbox_version(state, known)
            );
            (access?, Some((known, version)))
        }
        None => (enter_workspace(state, ctx, slug).await?, None),
    };
    if let Some((known, version)) = early
        && known == access.workspace.id
    {
        return Ok((access, version?));
    }
    state.reads.note_workspace(slug, access.workspace.id);
    let version = inbox_version(state, access.workspace.id).await?;
    Ok((access, version))
}

async fn page(
    state: AppState,
    ctx: Ctx,
    slug: String,
    params: ListParams,
    done: Done,
    list_mode: bool,
) -> PageResult {
    // The version says whether what was read for an earlier page still holds.
    let (access, version) = enter_inbox(&state, &ctx, &slug).await?;
    let m = ctx.m().inbox;
    let ws = &access.workspace;
    let settings = state.inbox.settings(&state.store, ws.id, version).await?;
    let targets = targets(&settings);
    let now = Timestamp::now();
    let defs = if list_mode {
        vec![ColumnDef::list(m, params.clone())]
    } else {
        columns_of(&state, &access, m, &targets, version).await?
    };
    let per_page = if list_mode { LIST_PAGE } else { COLUMN_PAGE };
    let mut columns = Vec::with_capacity(defs.len());
    for def in defs {
        columns.push(
            draw(
                &state, &access, ctx.lang, &targets, def, per_page, now, version,
            )
            .await?,
        );
    }
    let unread = match (list_mode, columns.first()) {
        (true, Some(list)) => list.unread.clone(),
        _ => Vec::new(),
    };
    let choices = form_choices(&state, &access, m, &params, version).await?;
    let hidden = [
        ("status", &params.status),
        ("assignee", &params.assignee),
        ("channel", &params.channel),
        ("kind", &params.kind),
        ("tag", &params.tag),
        ("overdue", &params.overdue),
        ("snoozed", &params.snoozed),
        ("contact", &params.contact),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(k, v)| (k, v.trim().to_owned()))
    .collect();
    let filters = params.query_string(true);
    let here = match (list_mode, filters.is_empty()) {
        (false, _) => String::new(),
        (true, true) => "/list".to_owned(),
        (true, false) => format!("/list?{filters}"),
    };
    let title = if list_mode {
        m.list_title
    } else {
        m.tab_conversations
    };
    render(&InboxPage {
        c: chrome(&ctx, title, ws, &here),
        slug: ws.slug.to_string(),
        tab: "conversations",
        rights: Rights::of(&access),
        params,
        statuses: choices.statuses,
        assignees: choices.assignees,
        channels: choices.channels,
        kinds: choices.kinds,
        snoozed: choices.snoozed,
        tags: choices.tags,
        list_mode,
        columns,
        hidden,
        events: format!("/w/{}/inbox/events?since={}", ws.slug, now.millis()),
        unread,
        notice: notice(m, &done.done),
    })
}

/// The columns; with filters in the address, the single list (a filter form sent here).
pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(params): Query<ListParams>,
    Query(done): Query<Done>,
) -> PageResult {
    let list_mode = !params.query_string(true).is_empty();
    page(state, ctx, slug, params, done, list_mode).await
}

/// One list under the filters of the address.
pub async fn show_list(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(params): Query<ListParams>,
    Query(done): Query<Done>,
) -> PageResult {
    page(state, ctx, slug, params, done, true).await
}

/// One column's list alone (no page around it), for the page's script to swap in.
pub async fn column(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, key)): Path<(String, String)>,
    Query(params): Query<ListParams>,
) -> PageResult {
    let (access, version) = enter_inbox(&state, &ctx, &slug).await?;
    let m = ctx.m().inbox;
    let ws = &access.workspace;
    let settings = state.inbox.settings(&state.store, ws.id, version).await?;
    let targets = targets(&settings);
    let def = column_by_key(&state, &access, m, &key, &params, version).await?;
    let per_page = if key == LIST_KEY {
        LIST_PAGE
    } else {
        COLUMN_PAGE
    };
    let col = draw(
        &state,
        &access,
        ctx.lang,
        &targets,
        def,
        per_page,
        Timestamp::now(),
        version,
    )
    .await?;
    render(&ColumnFragment {
        c: chrome(&ctx, &col.name, ws, ""),
        col,
    })
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct SaveColumnForm {
    name: String,
    /// `mine` or `team`.
    scope: String,
    #[serde(flatten)]
    params: ListParams,
}

/// A column name: 1 to 60 characters, no control characters.
fn column_name(raw: &str) -> Option<String> {
    let t = raw.trim();
    (!t.is_empty() && t.chars().count() <= 60 && !t.chars().any(char::is_control))
        .then(|| t.to_owned())
}

/// Saves the list's filter as a column: the member's own, or the team's (Moderate).
pub async fn save_column(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    PageForm(form): PageForm<SaveColumnForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Answer)?;
    let team = form.scope == "team";
    if team {
        access.require(Permission::Moderate)?;
    }
    let back = form.params.query_string(false);
    let sep = if back.is_empty() { "" } else { "&" };
    let again = |done: &str| see_other(&format!("/w/{slug}/inbox/list?done={done}{sep}{back}"));
    let Some(name) = column_name(&form.name) else {
        return Ok(again("bad_column_name"));
    };
    let Some(filter) = form.params.to_saved(access.user.id) else {
        return Ok(again("bad_filter"));
    };
    // A channel of another workspace would only ever show nothing: refuse it plainly.
    if let Some(channel) = filter.channel
        && state
            .store
            .channel(access.workspace.id, channel)
            .await?
            .is_none()
    {
        return Ok(again("bad_filter"));
    }
    let id = InboxColumnId::new();
    let details = serde_json::json!({ "name": name, "team": team, "filter": filter });
    let event = audit(
        &access,
        &ctx,
        "inbox.column.create",
        id.to_string(),
        details,
    );
    state
        .store
        .create_inbox_column(
            access.workspace.id,
            NewInboxColumn {
                id,
                user_id: (!team).then_some(access.user.id),
                name,
                filter,
            },
            event,
        )
        .await?;
    Ok(see_other(&format!("/w/{slug}/inbox?done=column_saved")))
}

/// Deletes a column: the member's own (Answer) or the team's (Moderate).
pub async fn delete_column(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Answer)?;
    let id: InboxColumnId = path_id(&id)?;
    let ws = access.workspace.id;
    let column = state
        .store
        .inbox_columns(ws, access.user.id)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(WebError::not_found)?;
    if column.user_id.is_none() {
        access.require(Permission::Moderate)?;
    }
    let details = serde_json::json!({ "name": column.name });
    let event = audit(
        &access,
        &ctx,
        "inbox.column.delete",
        id.to_string(),
        details,
    );
    if !state
        .store
        .delete_inbox_column(ws, id, access.user.id, event)
        .await?
    {
        return Err(WebError::not_found());
    }
    Ok(see_other(&format!("/w/{slug}/inbox?done=column_deleted")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_are_trimmed_and_bounded() {
        assert_eq!(column_name("  VIP "), Some("VIP".to_owned()));
        assert_eq!(column_name(" "), None);
        assert_eq!(column_name(&"x".repeat(61)), None);
        assert_eq!(column_name("a\nb"), None);
    }

    #[test]
    fn the_save_form_reads_its_filter_beside_name_and_scope() {
        let form: SaveColumnForm =
            serde_urlencoded::from_str("csrf=t&name=VIP&scope=team&status=open&tag=vip&overdue=1")
                .expect("readable");
        assert_eq!(form.name, "VIP");
        assert_eq!(form.scope, "team");
        assert_eq!(form.params.status, "open");
        assert_eq!(form.params.tag, "vip");
        assert!(form.params.is_overdue());
    }
}
