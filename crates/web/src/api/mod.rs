//! The REST API under `/api/v1`, for scripts: a workspace API token in
//! `Authorization: Bearer rls_…` decides the workspace and the role. No cookies are read here,
//! so no CSRF token is needed. Errors are JSON: `{"error": {"code": …, "message": …}}`.

pub mod audience;
pub mod links;
pub mod openapi;

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{AuditId, DomainError, Email, ErrorCode, Permission, Role, Timestamp};
use relais_store::{ApiToken, NewInvitation, Workspace};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::secret;
use crate::error::status_for;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/v1/workspace", get(workspace))
        .route("/api/v1/members", get(members))
        .route("/api/v1/invitations", post(invite))
        .route("/api/v1/audit-log", get(audit_log))
        .route("/api/v1/calendar.ics", get(calendar))
        .merge(audience::router())
        .merge(links::router())
}

pub struct ApiError(StatusCode, ErrorCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.0,
            Json(json!({ "error": { "code": self.1.as_str(), "message": self.2 } })),
        )
            .into_response()
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        ApiError(status_for(e.code), e.code, e.message)
    }
}

impl From<relais_store::StoreError> for ApiError {
    fn from(e: relais_store::StoreError) -> Self {
        DomainError::from(e).into()
    }
}

/// The caller: a live token and its workspace.
pub struct ApiCaller {
    pub token: ApiToken,
    pub workspace: Workspace,
    pub ip: String,
}

impl ApiCaller {
    fn require(&self, p: Permission) -> Result<(), ApiError> {
        if self.token.role.allows(p) {
            Ok(())
        } else {
            Err(ApiError(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                format!(
                    "this token's role ({}) does not allow this",
                    self.token.role
                ),
            ))
        }
    }

    fn actor(&self) -> Actor {
        Actor {
            user_id: None,
            label: format!("api-token:{}", self.token.name),
            origin: self.ip.clone(),
        }
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthenticated = || {
            ApiError(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                "send a workspace API token as `Authorization: Bearer rls_…`; create one in the workspace's settings or with `relais token create`".into(),
            )
        };
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(unauthenticated)?;
        let token = state
            .store
            .use_api_token(&secret::hash_secret(presented), Timestamp::now())
            .await?
            .ok_or_else(unauthenticated)?;
        let workspace = state
            .store
            .workspace_by_id(token.workspace_id)
            .await?
            .ok_or_else(unauthenticated)?;
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let ip = crate::context::client_ip(&state.config.trusted_proxies, &parts.headers, peer);
        Ok(Self {
            token,
            workspace,
            ip,
        })
    }
}

async fn workspace(caller: ApiCaller) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require(Permission::View)?;
    Ok(Json(json!({
        "id": caller.workspace.id,
        "slug": caller.workspace.slug,
        "name": caller.workspace.name,
        "created_at": caller.workspace.created_at.to_rfc3339(),
        "token": { "name": caller.token.name, "role": caller.token.role },
    })))
}

async fn members(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require(Permission::View)?;
    let list: Vec<_> = state
        .store
        .members(caller.workspace.id)
        .await?
        .into_iter()
        .map(|m| json!({ "id": m.user.id, "email": m.user.email, "name": m.user.name, "role": m.role, "joined_at": m.joined_at.to_rfc3339() }))
        .collect();
    Ok(Json(json!({ "members": list })))
}

#[derive(Deserialize)]
struct InviteBody {
    email: String,
    role: String,
}

#[derive(Serialize)]
struct InviteAnswer {
    id: String,
    email: String,
    role: Role,
    expires_at: String,
    /// The link to send, when Relais could not mail it itself.
    link: Option<String>,
    mailed: bool,
}

async fn invite(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: Result<Json<InviteBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Permission::ManageMembers)?;
    let Json(body) = body.map_err(|e| ApiError(StatusCode::BAD_REQUEST, ErrorCode::InvalidInput, format!("the body must be JSON like {{\"email\": \"zoe@example.fr\", \"role\": \"editor\"}}: {e}")))?;
    let email = Email::parse(&body.email)?;
    let role: Role = body.role.parse()?;
    if !caller.token.role.may_assign(None, role) {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            format!("a {} token cannot invite a {role}", caller.token.role),
        ));
    }
    if state
        .store
        .members(caller.workspace.id)
        .await?
        .iter()
        .any(|m| m.user.email == email)
    {
        return Err(ApiError(
            StatusCode::CONFLICT,
            ErrorCode::AlreadyMember,
            "this person is already a member; change their role instead".into(),
        ));
    }
    let token = secret::new_secret("inv_");
    let days = state.config.invitation_days;
    let inv = state
        .store
        .create_invitation(
            NewInvitation {
                workspace_id: caller.workspace.id,
                email: email.clone(),
                role,
                token_hash: secret::hash_secret(&token),
                invited_by: None,
                expires_at: Timestamp::now().plus_seconds(days * 24 * 3600),
            },
            AuditEvent {
                workspace_id: Some(caller.workspace.id),
                actor: caller.actor(),
                action: "invitation.create".into(),
                target: email.to_string(),
                details: json!({ "role": role.as_str() }),
            },
        )
        .await?;
    let link = format!(
        "{}/invite/{token}",
        state.config.public_url.trim_end_matches('/')
    );
    let mailed = match &state.mailer {
        Some(mailer) => mailer
            .send(relais_mail::Mail {
                to: email.to_string(),
                subject: format!("Invitation to join {} on Relais", caller.workspace.name),
                text: format!("Hello,\n\nYou are invited to join the workspace \"{}\" on Relais, as {role}.\n\nOpen this link to accept (it works once, for {days} days):\n{link}\n", caller.workspace.name),
            })
            .await
            .is_ok(),
        None => false,
    };
    let answer = InviteAnswer {
        id: inv.id.to_string(),
        email: email.to_string(),
        role,
        expires_at: inv.expires_at.to_rfc3339(),
        link: (!mailed).then_some(link),
        mailed,
    };
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AuditQuery {
    before: Option<String>,
    limit: Option<u32>,
}

async fn audit_log(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<AuditQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require(Permission::ViewAudit)?;
    let before = match q.before {
        Some(b) => Some(b.parse::<AuditId>()?),
        None => None,
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let records = state
        .store
        .audit_log(Some(caller.workspace.id), before, limit)
        .await?;
    let entries: Vec<_> = records
        .into_iter()
        .map(|r| json!({
            "id": r.id, "at": r.at.to_rfc3339(), "actor": r.event.actor.label, "origin": r.event.actor.origin,
            "action": r.event.action, "target": r.event.target, "details": r.event.details,
        }))
        .collect();
    Ok(Json(json!({ "entries": entries })))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CalendarQuery {
    token: String,
}

/// The workspace's publishing calendar for calendar apps, which cannot send headers: the token
/// comes in the query. Any live token of the workspace opens it (its role only needs to read).
async fn calendar(
    State(state): State<AppState>,
    Query(q): Query<CalendarQuery>,
) -> Result<Response, ApiError> {
    let refused = || {
        ApiError(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "add ?token=rls_… (make a calendar link on the Publish page)".into(),
        )
    };
    let token = state
        .store
        .use_api_token(&secret::hash_secret(q.token.trim()), Timestamp::now())
        .await?
        .ok_or_else(refused)?;
    let ws = state
        .store
        .workspace_by_id(token.workspace_id)
        .await?
        .ok_or_else(refused)?;
    let channels = state.store.channels(ws.id).await?;
    let name_of = |id| {
        channels
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    };
    let mut events = Vec::new();
    for post in state.store.posts(ws.id, 500).await? {
        if matches!(post.status, relais_store::PostStatus::Cancelled) {
            continue;
        }
        let targets = state.store.targets_of(ws.id, post.id).await?;
        let start = targets
            .iter()
            .filter_map(|t| t.published_at)
            .min()
            .or(post.scheduled_at)
            .unwrap_or(post.created_at);
        let text = post
            .parts
            .first()
            .map(|p| p.text.clone())
            .unwrap_or_default();
        let summary: String = text
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(80)
            .collect();
        let lines: Vec<String> = targets
            .iter()
            .map(|t| format!("{}: {}", name_of(t.channel_id), t.status.as_str()))
            .collect();
        events.push(relais_publish::plan::ics::Event {
            uid: format!("{}@relais", post.id),
            start_ms: start.millis(),
            summary,
            description: format!("{text}\n\n{}", lines.join("\n")),
            url: targets.iter().find_map(|t| t.url.clone()),
        });
    }
    let body = relais_publish::plan::ics::calendar(&ws.name, &events, Timestamp::now().millis());
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        body,
    )
        .into_response())
}
