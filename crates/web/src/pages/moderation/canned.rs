//! Canned replies, `/w/{slug}/inbox/canned`: prepared answers in French and in English with
//! variables (`{{first_name}}`, `{{brand}}`…) filled in when a member picks one in a
//! conversation. Each is checked when saved (a typo in a variable is refused with its column)
//! and shown filled in with sample values.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use relais_core::{CannedReplyId, Permission};
use relais_inbox::canned::{self, Values, Variable};
use relais_store::StoreError;
use relais_store::inbox::{CannedReply, NewCannedReply};
use serde::Deserialize;

use super::{Rights, audit, chrome, clean_name, found, netiquette_url, path_id};
use crate::context::{Ctx, see_other};
use crate::error::WebError;
use crate::i18n::ModerationMsgs;
use crate::pages::listening::Choice;
use crate::pages::{Access, Chrome, PageForm, PageResult, enter_workspace, render_status};
use crate::state::AppState;

/// Longest canned reply accepted, in characters.
const MAX_BODY_CHARS: usize = 5000;
/// The languages a canned reply is written in.
const LANGS: [&str; 2] = ["fr", "en"];

pub struct CannedRow {
    id: String,
    name: String,
    body: String,
    /// Filled in with the sample values (or why it cannot be: a reply stored before a check).
    preview: String,
}

/// The replies of one language.
pub struct LangGroup {
    label: &'static str,
    lang: &'static str,
    rows: Vec<CannedRow>,
}

pub struct VariableHelp {
    name: String,
    meaning: &'static str,
}

#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct CannedForm {
    /// The id of the reply being edited; empty for a new one.
    editing: String,
    name: String,
    lang: String,
    body: String,
}

/// What was wrong with a form, beside each field.
#[derive(Default)]
pub struct FormErrors {
    name: Option<String>,
    body: Option<String>,
}

#[derive(Template)]
#[template(path = "inbox_canned.html")]
struct CannedPage {
    c: Chrome,
    slug: String,
    tab: &'static str,
    rights: Rights,
    groups: Vec<LangGroup>,
    variables: Vec<VariableHelp>,
    form: CannedForm,
    langs: Vec<Choice>,
    errors: FormErrors,
    /// The form's body filled in with the sample values (the preview button).
    preview: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct CannedParams {
    done: String,
    edit: String,
}

fn lang_label(m: &ModerationMsgs, lang: &str) -> &'static str {
    if lang == "fr" { m.lang_fr } else { m.lang_en }
}

fn meaning(m: &ModerationMsgs, v: Variable) -> &'static str {
    match v {
        Variable::FirstName => m.var_first_name,
        Variable::Name => m.var_name,
        Variable::Handle => m.var_handle,
        Variable::Brand => m.var_brand,
        Variable::AgentName => m.var_agent_name,
        Variable::NetiquetteUrl => m.var_netiquette_url,
    }
}

/// Sample values for previews: a made-up contact, the workspace, the member looking, and the
/// workspace's netiquette address.
struct Samples {
    brand: String,
    agent: String,
    netiquette: String,
}

impl Samples {
    fn of(state: &AppState, access: &Access) -> Self {
        Self {
            brand: access.workspace.name.clone(),
            agent: access.user.name.to_string(),
            netiquette: netiquette_url(&state.config.public_url, &access.workspace),
        }
    }

    fn fill(&self, m: &ModerationMsgs, lang: &str, body: &str) -> String {
        let values = Values {
            contact_name: Some(m.sample_contact_name),
            contact_handle: Some(m.sample_contact_handle),
            brand: &self.brand,
            agent_name: Some(&self.agent),
            netiquette_url: Some(&self.netiquette),
        };
        canned::render(body, &values).unwrap_or_else(|e| e.describe(lang))
    }
}

struct Shown {
    status: StatusCode,
    form: CannedForm,
    errors: FormErrors,
    preview: Option<String>,
    notice: Option<&'static str>,
}

async fn page(state: &AppState, ctx: &Ctx, access: &Access, shown: Shown) -> PageResult {
    let m = ctx.m().moder;
    let lang = ctx.lang.code();
    let ws = &access.workspace;
    let samples = Samples::of(state, access);
    let replies = state.store.canned_replies(ws.id).await?;
    let groups = LANGS
        .into_iter()
        .map(|code| LangGroup {
            label: lang_label(m, code),
            lang: code,
            rows: replies
                .iter()
                .filter(|r| r.lang == code)
                .map(|r| CannedRow {
                    id: r.id.to_string(),
                    name: r.name.clone(),
                    body: r.body.clone(),
                    preview: samples.fill(m, lang, &r.body),
                })
                .collect(),
        })
        .collect();
    let variables = Variable::ALL
        .into_iter()
        .map(|v| VariableHelp {
            name: v.to_string(),
            meaning: meaning(m, v),
        })
        .collect();
    let chosen = if LANGS.contains(&shown.form.lang.as_str()) {
        shown.form.lang.clone()
    } else {
        lang.to_owned()
    };
    let langs = Choice::list(LANGS.iter().map(|l| (*l, lang_label(m, l))), &chosen);
    render_status(
        shown.status,
        &CannedPage {
            c: chrome(ctx, m.title_canned, ws, "/canned"),
            slug: ws.slug.to_string(),
            tab: "canned",
            rights: Rights::of(access),
            groups,
            variables,
            form: shown.form,
            langs,
            errors: shown.errors,
            preview: shown.preview,
            notice: shown.notice,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(params): Query<CannedParams>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    let m = ctx.m().moder;
    let notice = match params.done.as_str() {
        "created" => Some(m.canned_created),
        "updated" => Some(m.canned_updated),
        "deleted" => Some(m.canned_deleted),
        _ => None,
    };
    let mut form = CannedForm::default();
    if !params.edit.is_empty() && access.role.allows(Permission::Moderate) {
        let reply = reply_of(&state, &access, &params.edit).await?;
        form = CannedForm {
            editing: reply.id.to_string(),
            name: reply.name,
            lang: reply.lang,
            body: reply.body,
        };
    }
    let shown = Shown {
        status: StatusCode::OK,
        form,
        errors: FormErrors::default(),
        preview: None,
        notice,
    };
    page(&state, &ctx, &access, shown).await
}

async fn reply_of(state: &AppState, access: &Access, id: &str) -> Result<CannedReply, WebError> {
    let id: CannedReplyId = path_id(id)?;
    let replies = state.store.canned_replies(access.workspace.id).await?;
    found(replies.into_iter().find(|r| r.id == id))
}

/// A reply as the form gives it, checked.
struct Checked {
    name: String,
    lang: &'static str,
    body: String,
}

fn check(ctx: &Ctx, form: &CannedForm) -> Result<Checked, FormErrors> {
    let m = ctx.m().moder;
    let mut errors = FormErrors::default();
    let name = clean_name(&form.name);
    if name.is_none() {
        errors.name = Some(m.bad_canned_name.to_owned());
    }
    let lang = LANGS
        .into_iter()
        .find(|l| *l == form.lang.trim())
        .unwrap_or(LANGS[0]);
    // Line ends as the browser sends them (`\r\n`) are kept as one `\n`.
    let body = form.body.replace("\r\n", "\n");
    if body.chars().count() > MAX_BODY_CHARS {
        errors.body = Some(
            m.canned_too_long
                .replace("{max}", &MAX_BODY_CHARS.to_string()),
        );
    } else if let Err(e) = canned::check(&body) {
        errors.body = Some(e.describe(ctx.lang.code()));
    }
    match (name, errors.name.is_some() || errors.body.is_some()) {
        (Some(name), false) => Ok(Checked {
            name: name.to_owned(),
            lang,
            body: body.trim().to_owned(),
        }),
        _ => Err(errors),
    }
}

async fn refuse(
    state: &AppState,
    ctx: &Ctx,
    access: &Access,
    form: CannedForm,
    errors: FormErrors,
) -> PageResult {
    let shown = Shown {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        form,
        errors,
        preview: None,
        notice: None,
    };
    page(state, ctx, access, shown).await
}

fn details(c: &Checked) -> serde_json::Value {
    serde_json::json!({ "name": c.name, "lang": c.lang, "body": c.body })
}

pub async fn create(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    PageForm(mut form): PageForm<CannedForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Moderate)?;
    form.editing.clear();
    let checked = match check(&ctx, &form) {
        Ok(c) => c,
        Err(errors) => return refuse(&state, &ctx, &access, form, errors).await,
    };
    let id = CannedReplyId::new();
    let event = audit(
        &access,
        &ctx,
        "inbox.canned.create",
        id.to_string(),
        details(&checked),
    );
    let new = NewCannedReply {
        id,
        name: checked.name,
        lang: checked.lang.to_owned(),
        body: checked.body,
        created_by: Some(access.user.id),
    };
    match state
        .store
        .create_canned_reply(access.workspace.id, new, event)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/w/{slug}/inbox/canned?done=created"))),
        Err(StoreError::Conflict(_)) => {
            let errors = FormErrors {
                name: Some(ctx.m().moder.canned_name_taken.to_owned()),
                body: None,
            };
            refuse(&state, &ctx, &access, form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn update(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
    PageForm(mut form): PageForm<CannedForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Moderate)?;
    let existing = reply_of(&state, &access, &id).await?;
    form.editing = existing.id.to_string();
    let checked = match check(&ctx, &form) {
        Ok(c) => c,
        Err(errors) => return refuse(&state, &ctx, &access, form, errors).await,
    };
    let event = audit(
        &access,
        &ctx,
        "inbox.canned.update",
        existing.id.to_string(),
        details(&checked),
    );
    let saved = state
        .store
        .update_canned_reply(
            access.workspace.id,
            existing.id,
            &checked.name,
            checked.lang,
            &checked.body,
            event,
        )
        .await;
    match saved {
        Ok(true) => Ok(see_other(&format!("/w/{slug}/inbox/canned?done=updated"))),
        Ok(false) => Err(WebError::not_found()),
        Err(StoreError::Conflict(_)) => {
            let errors = FormErrors {
                name: Some(ctx.m().moder.canned_name_taken.to_owned()),
                body: None,
            };
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
    access.require(Permission::Moderate)?;
    let reply = reply_of(&state, &access, &id).await?;
    let event = audit(
        &access,
        &ctx,
        "inbox.canned.delete",
        reply.id.to_string(),
        serde_json::json!({ "name": reply.name, "lang": reply.lang }),
    );
    if !state
        .store
        .delete_canned_reply(access.workspace.id, reply.id, event)
        .await?
    {
        return Err(WebError::not_found());
    }
    Ok(see_other(&format!("/w/{slug}/inbox/canned?done=deleted")))
}

/// The preview button: the page again with the form as it was and its body filled in with the
/// sample values, or what is wrong with it.
pub async fn preview(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    PageForm(form): PageForm<CannedForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::Moderate)?;
    if !form.editing.is_empty() {
        reply_of(&state, &access, &form.editing).await?;
    }
    let m = ctx.m().moder;
    let body = form.body.replace("\r\n", "\n");
    let shown = match canned::check(&body) {
        Ok(()) => {
            let filled = Samples::of(&state, &access).fill(m, ctx.lang.code(), &body);
            Shown {
                status: StatusCode::OK,
                form,
                errors: FormErrors::default(),
                preview: Some(filled),
                notice: None,
            }
        }
        Err(e) => Shown {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            form,
            errors: FormErrors {
                name: None,
                body: Some(e.describe(ctx.lang.code())),
            },
            preview: None,
            notice: None,
        },
    };
    page(&state, &ctx, &access, shown).await
}
