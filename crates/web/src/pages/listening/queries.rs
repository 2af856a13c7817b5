//! The overview, `/w/{slug}/listening`: the workspace's queries with their last day's and last
//! week's mentions and share of negative ones; adding, editing and deleting a query, with a box
//! that tries the query on sample lines before it is saved.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use relais_core::audit::AuditEvent;
use relais_core::{ListenQueryId, Permission, Timestamp};
use relais_listen::query::{Doc, Query as ListenQueryText};
use relais_store::StoreError;
use relais_store::listening::{ListenQuery, NewListenQuery, QueryRole};
use serde::Deserialize;

use super::{Choice, DAY_MS, Rights, audit, chrome, percent, query_of};
use crate::context::{Ctx, see_other};
use crate::error::WebError;
use crate::i18n::ListenMsgs;
use crate::pages::{Access, Chrome, PageForm, PageResult, enter_workspace, render_status};
use crate::state::AppState;

/// Sample lines tried at most, and characters kept of each.
const MAX_SAMPLES: usize = 50;
const MAX_SAMPLE_CHARS: usize = 2000;

pub struct QueryRow {
    id: String,
    name: String,
    role: &'static str,
    text: String,
    last_day: u64,
    last_week: u64,
    negative: String,
}

#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct QueryForm {
    /// The id of the query being edited; empty for a new one.
    editing: String,
    name: String,
    role: String,
    query: String,
    samples: String,
}

/// What was wrong with a form, beside each field.
#[derive(Default)]
pub struct FormErrors {
    name: Option<String>,
    query: Option<String>,
}

impl FormErrors {
    fn any(&self) -> bool {
        self.name.is_some() || self.query.is_some()
    }

    /// The name is another query's of the workspace.
    fn name_taken(l: &ListenMsgs) -> Self {
        Self {
            name: Some(l.name_taken.into()),
            query: None,
        }
    }
}

pub struct SampleRow {
    line: String,
    matched: bool,
}

#[derive(Template)]
#[template(path = "listening.html")]
struct OverviewPage {
    c: Chrome,
    slug: String,
    tab: &'static str,
    rights: Rights,
    rows: Vec<QueryRow>,
    form: QueryForm,
    roles: Vec<Choice>,
    errors: FormErrors,
    /// The test box's answer: each sample line and whether it matched.
    samples: Option<Vec<SampleRow>>,
    notice: Option<&'static str>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct OverviewParams {
    done: String,
    edit: String,
}

/// Each query's mentions over the last 24 hours and 7 days, and the share of negative ones
/// over the 7 days: one read of the store, by day buckets ending now.
async fn rows(
    state: &AppState,
    access: &Access,
    l: &ListenMsgs,
    queries: &[ListenQuery],
) -> Result<Vec<QueryRow>, WebError> {
    let ids: Vec<ListenQueryId> = queries.iter().map(|q| q.id).collect();
    let now = Timestamp::now();
    let from = Timestamp::from_millis(now.millis() - 7 * DAY_MS);
    let points = if ids.is_empty() {
        Vec::new()
    } else {
        state
            .store
            .mention_series(access.workspace.id, Some(&ids), from, now, DAY_MS)
            .await?
    };
    let last_day_start = now.millis() - DAY_MS;
    Ok(queries
        .iter()
        .map(|q| {
            let (mut day, mut week, mut negative) = (0, 0, 0);
            for p in points.iter().filter(|p| p.query_id == Some(q.id)) {
                week += p.total;
                negative += p.negative;
                if p.bucket_start.millis() >= last_day_start {
                    day += p.total;
                }
            }
            QueryRow {
                id: q.id.to_string(),
                name: q.name.clone(),
                role: l.role(q.role),
                text: q.query.clone(),
                last_day: day,
                last_week: week,
                negative: percent(l, negative, week),
            }
        })
        .collect())
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    ctx: &Ctx,
    access: &Access,
    status: StatusCode,
    form: QueryForm,
    errors: FormErrors,
    samples: Option<Vec<SampleRow>>,
    notice: Option<&'static str>,
) -> PageResult {
    let m = ctx.m();
    let l = m.listen;
    let ws = &access.workspace;
    let queries = state.store.listen_queries(ws.id).await?;
    let rows = rows(state, access, l, &queries).await?;
    let chosen = if form.role.is_empty() {
        "brand"
    } else {
        form.role.as_str()
    };
    let roles = Choice::list(
        QueryRole::ALL.iter().map(|r| (r.as_str(), l.role(*r))),
        chosen,
    );
    let slug = ws.slug.to_string();
    render_status(
        status,
        &OverviewPage {
            c: chrome(ctx, m.nav_listening, ws, ""),
            slug,
            tab: "queries",
            rights: Rights::of(access),
            rows,
            form,
            roles,
            errors,
            samples,
            notice,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(params): Query<OverviewParams>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let l = ctx.m().listen;
    let notice = match params.done.as_str() {
        "created" => Some(l.query_created),
        "updated" => Some(l.query_updated),
        "deleted" => Some(l.query_deleted),
        _ => None,
    };
    let mut form = QueryForm::default();
    if !params.edit.is_empty() && access.role.allows(Permission::Listen) {
        let q = query_of(&state, &access, &params.edit).await?;
        form = QueryForm {
            editing: q.id.to_string(),
            name: q.name,
            role: q.role.as_str().to_owned(),
            query: q.query,
            samples: String::new(),
        };
    }
    page(
        &state,
        &ctx,
        &access,
        StatusCode::OK,
        form,
        FormErrors::default(),
        None,
        notice,
    )
    .await
}

/// A query as the form gives it, checked.
struct Checked {
    name: String,
    role: QueryRole,
    text: String,
}

impl Checked {
    /// The audit line of saving it as the query `target` (`action`: created or updated).
    fn audit(&self, access: &Access, ctx: &Ctx, action: &str, target: String) -> AuditEvent {
        let role = self.role.as_str();
        let details = serde_json::json!({ "name": self.name, "query": self.text, "role": role });
        audit(access, ctx, action, target, details)
    }
}

/// The form read and checked; or what is wrong, field by field.
fn check(ctx: &Ctx, form: &QueryForm) -> Result<Checked, FormErrors> {
    let l = ctx.m().listen;
    let mut errors = FormErrors::default();
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        errors.name = Some(l.bad_name.into());
    }
    let role = QueryRole::parse(form.role.trim()).unwrap_or(QueryRole::Brand);
    let text = form.query.trim();
    if text.is_empty() {
        errors.query = Some(l.query_needed.into());
    } else if let Err(e) = ListenQueryText::parse(text) {
        errors.query = Some(l.query_error(&e));
    }
    if errors.any() {
        return Err(errors);
    }
    Ok(Checked {
        name: name.to_owned(),
        role,
        text: text.to_owned(),
    })
}

async fn refuse(
    state: &AppState,
    ctx: &Ctx,
    access: &Access,
    form: QueryForm,
    errors: FormErrors,
) -> PageResult {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    page(state, ctx, access, status, form, errors, None, None).await
}

pub async fn create(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    PageForm(form): PageForm<QueryForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Listen)?;
    let q = match check(&ctx, &form) {
        Ok(checked) => checked,
        Err(errors) => return refuse(&state, &ctx, &access, form, errors).await,
    };
    let id = ListenQueryId::new();
    let event = q.audit(&access, &ctx, "listen.query.create", id.to_string());
    let new = NewListenQuery {
        id,
        workspace_id: access.workspace.id,
        name: q.name,
        query: q.text,
        role: q.role,
        created_by: Some(access.user.id),
    };
    match state.store.create_listen_query(new, event).await {
        Ok(_) => Ok(see_other(&format!("/w/{slug}/listening?done=created"))),
        Err(StoreError::Conflict(_)) => {
            let errors = FormErrors::name_taken(ctx.m().listen);
            refuse(&state, &ctx, &access, form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn update(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
    PageForm(mut form): PageForm<QueryForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Listen)?;
    let existing = query_of(&state, &access, &id).await?;
    form.editing = existing.id.to_string();
    let q = match check(&ctx, &form) {
        Ok(checked) => checked,
        Err(errors) => return refuse(&state, &ctx, &access, form, errors).await,
    };
    let event = q.audit(
        &access,
        &ctx,
        "listen.query.update",
        existing.id.to_string(),
    );
    let ws = access.workspace.id;
    match state
        .store
        .update_listen_query(ws, existing.id, &q.name, &q.text, q.role, event)
        .await
    {
        Ok(Some(_)) => Ok(see_other(&format!("/w/{slug}/listening?done=updated"))),
        Ok(None) => Err(WebError::not_found()),
        Err(StoreError::Conflict(_)) => {
            let errors = FormErrors::name_taken(ctx.m().listen);
            refuse(&state, &ctx, &access, form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Listen)?;
    let q = query_of(&state, &access, &id).await?;
    let event = audit(
        &access,
        &ctx,
        "listen.query.delete",
        q.id.to_string(),
        serde_json::json!({ "name": q.name }),
    );
    state
        .store
        .delete_listen_query(access.workspace.id, q.id, event)
        .await?;
    Ok(see_other(&format!("/w/{slug}/listening?done=deleted")))
}

/// Which sample lines a query text matches; the error (with its column) when it cannot be read.
pub fn try_query(
    text: &str,
    samples: &str,
) -> Result<Vec<(String, bool)>, relais_listen::query::QueryError> {
    let query = ListenQueryText::parse(text.trim())?;
    Ok(samples
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(MAX_SAMPLES)
        .map(|line| {
            let line: String = line.chars().take(MAX_SAMPLE_CHARS).collect();
            let matched = query.matches(&Doc::text(&line));
            (line, matched)
        })
        .collect())
}

/// The test box: the page again, with the form as it was and each sample line marked.
pub async fn test(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    PageForm(form): PageForm<QueryForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Listen)?;
    if !form.editing.is_empty() {
        // Editing an existing query: it must be this workspace's.
        query_of(&state, &access, &form.editing).await?;
    }
    let l = ctx.m().listen;
    let (status, errors, samples) = if form.query.trim().is_empty() {
        let errors = FormErrors {
            query: Some(l.query_needed.into()),
            ..FormErrors::default()
        };
        (StatusCode::UNPROCESSABLE_ENTITY, errors, None)
    } else {
        match try_query(&form.query, &form.samples) {
            Ok(lines) => {
                let rows = lines
                    .into_iter()
                    .map(|(line, matched)| SampleRow { line, matched })
                    .collect();
                (StatusCode::OK, FormErrors::default(), Some(rows))
            }
            Err(e) => {
                let errors = FormErrors {
                    query: Some(l.query_error(&e)),
                    ..FormErrors::default()
                };
                (StatusCode::UNPROCESSABLE_ENTITY, errors, None)
            }
        }
    };
    page(&state, &ctx, &access, status, form, errors, samples, None).await
}

#[cfg(test)]
mod tests {
    use super::try_query;

    #[test]
    fn the_test_box_marks_the_lines_a_query_matches() {
        let lines = try_query(
            "rembours* NEAR/3 colis -emploi",
            "On m'a remboursé le colis\n\n  Colis perdu, ils ne m'ont jamais vraiment remboursé  \nOffre d'emploi : remboursement colis\n",
        )
        .expect("a valid query");
        assert_eq!(
            lines,
            vec![
                ("On m'a remboursé le colis".to_owned(), true),
                (
                    "Colis perdu, ils ne m'ont jamais vraiment remboursé".to_owned(),
                    false
                ),
                ("Offre d'emploi : remboursement colis".to_owned(), false),
            ]
        );
        let err = try_query("relais NEAR colis", "x").expect_err("NEAR needs a distance");
        assert!(err.column > 1, "{err}");
    }
}
