//! The channels of a workspace: their state, connecting a Bluesky account (checked with its PDS,
//! then stored sealed), removing one.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use relais_core::audit::AuditEvent;
use relais_core::{ChannelId, Permission};
use relais_networks::{Credentials, connector_for};
use relais_store::{NewChannel, StoreError};
use serde::Deserialize;

use super::{Access, Chrome, PageForm, PageResult, enter_workspace, render_status};
use crate::context::{Ctx, see_other};
use crate::error::WebError;
use crate::state::AppState;

pub struct ChannelRow {
    id: String,
    name: String,
    network: String,
    account: String,
    status: &'static str,
    detail: Option<String>,
}

#[derive(Template)]
#[template(path = "channels.html")]
struct ChannelsPage {
    c: Chrome,
    slug: String,
    can_manage: bool,
    has_vault: bool,
    channels: Vec<ChannelRow>,
    notice: Option<String>,
    error: Option<String>,
    form_name: String,
    form_service: String,
    form_handle: String,
    apps: Vec<super::connect::AppRow>,
    redirect_uri: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AddForm {
    name: String,
    service: String,
    handle: String,
    app_password: String,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    access: &Access,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    form: AddForm,
) -> PageResult {
    let m = ctx.m();
    let ws = &access.workspace;
    let channels = state
        .store
        .channels(ws.id)
        .await?
        .into_iter()
        .map(|c| ChannelRow {
            id: c.id.to_string(),
            account: c
                .settings
                .get("handle")
                .and_then(|h| h.as_str())
                .unwrap_or_default()
                .to_owned(),
            name: c.name,
            network: c.network,
            status: m.post_status(c.status.as_str()),
            detail: c.status_detail,
        })
        .collect();
    let slug = ws.slug.to_string();
    render_status(
        status,
        &ChannelsPage {
            c: Chrome::workspace(
                ctx,
                m.channels_title,
                &format!("/w/{slug}/publish/channels"),
                ws,
                "publish",
            ),
            slug,
            can_manage: access.role.allows(Permission::ManageSettings),
            has_vault: state.config.vault.is_some(),
            channels,
            notice,
            error,
            form_name: form.name,
            form_service: if form.service.is_empty() {
                "https://bsky.social".into()
            } else {
                form.service
            },
            form_handle: form.handle,
            apps: super::connect::app_rows(state, ws).await?,
            redirect_uri: super::connect::redirect_uri(state),
        },
    )
}

/// The page with a line of news on top (after connecting accounts).
pub async fn page_with_notice(
    state: &AppState,
    ctx: &Ctx,
    access: &Access,
    notice: String,
) -> PageResult {
    let notice = Some(notice).filter(|n| !n.is_empty());
    page(
        state,
        ctx,
        access,
        StatusCode::OK,
        notice,
        None,
        AddForm::default(),
    )
    .await
}

pub async fn show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    page(
        &state,
        &ctx,
        &access,
        StatusCode::OK,
        None,
        None,
        AddForm::default(),
    )
    .await
}

pub async fn add(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    PageForm(form): PageForm<AddForm>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageSettings)?;
    let Some(vault) = state.config.vault.clone() else {
        return page(
            &state,
            &ctx,
            &access,
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            Some(ctx.m().vault_missing.into()),
            form,
        )
        .await;
    };
    let refuse = |why: String, form: AddForm| async {
        let form = AddForm {
            app_password: String::new(),
            ..form
        };
        page(
            &state,
            &ctx,
            &access,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(why),
            form,
        )
        .await
    };
    let name = form.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return refuse("a channel name needs 1 to 100 characters".into(), form).await;
    }
    let service = form.service.trim().trim_end_matches('/').to_owned();
    if url::Url::parse(&service)
        .map(|u| !matches!(u.scheme(), "http" | "https"))
        .unwrap_or(true)
    {
        return refuse(
            format!("`{service}` is not a service address; write it as https://bsky.social"),
            form,
        )
        .await;
    }
    let handle = form.handle.trim().trim_start_matches('@').to_owned();
    let mut creds = Credentials {
        settings: serde_json::json!({ "service": service, "handle": handle }),
        secrets: [(
            "app_password".to_owned(),
            form.app_password.trim().to_owned(),
        )]
        .into(),
        changed: false,
    };
    let Some(connector) = connector_for("bluesky", state.http.clone()) else {
        return Err(WebError::internal("no Bluesky connector"));
    };
    let account = match connector.verify(&mut creds).await {
        Ok(a) => a,
        Err(e) => return refuse(e.to_string(), form).await,
    };
    let id = ChannelId::new();
    let sealed = vault
        .seal_all(&format!("channel:{id}"), &creds.secrets)
        .map_err(WebError::internal)?;
    let event = AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(&ctx),
        action: "channel.create".into(),
        target: name.clone(),
        details: serde_json::json!({ "network": "bluesky", "account": account, "service": service }),
    };
    let channel = NewChannel {
        id,
        workspace_id: access.workspace.id,
        network: "bluesky".into(),
        name: name.clone(),
        settings: creds.settings.clone(),
        secrets: sealed,
        created_by: Some(access.user.id),
    };
    match state.store.create_channel(channel, event).await {
        Ok(_) => {
            let notice = format!("{} @{account}", ctx.m().channel_connected);
            page(
                &state,
                &ctx,
                &access,
                StatusCode::OK,
                Some(notice),
                None,
                AddForm::default(),
            )
            .await
        }
        Err(StoreError::Conflict(_)) => {
            refuse(
                "another channel of this workspace has this name; choose another one".into(),
                form,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn remove(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let access = enter_workspace(&state, &ctx, &slug).await?;
    access.require(Permission::ManageSettings)?;
    let id: ChannelId = id.parse().map_err(|_| WebError::not_found())?;
    let channel = state
        .store
        .channel(access.workspace.id, id)
        .await?
        .ok_or_else(WebError::not_found)?;
    let event = AuditEvent {
        workspace_id: Some(access.workspace.id),
        actor: access.actor(&ctx),
        action: "channel.delete".into(),
        target: channel.name,
        details: serde_json::json!({ "network": channel.network }),
    };
    state
        .store
        .delete_channel(access.workspace.id, id, event)
        .await?;
    Ok(see_other(&format!(
        "/w/{}/publish/channels",
        access.workspace.slug
    )))
}
