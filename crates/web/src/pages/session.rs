//! Logging in and out, and the language switch.

use std::time::Instant;

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{Email, ErrorCode, Timestamp, UserId};
use relais_store::NewSession;
use serde::Deserialize;

use super::{Chrome, PageForm, PageResult, render, render_status, safe_next};
use crate::auth::{password, secret};
use crate::context::{Ctx, LANG_COOKIE, SESSION_COOKIE, see_other, set_cookie};
use crate::error::WebError;
use crate::i18n::{Lang, error_text};
use crate::state::AppState;

/// Opens a session for `user` and returns the cookie that carries it.
pub async fn start_session(state: &AppState, user: UserId) -> Result<HeaderValue, WebError> {
    let secret = secret::new_secret("");
    let now = Timestamp::now();
    let ttl = state.config.session_days * 24 * 3600;
    state
        .store
        .create_session(NewSession {
            token_hash: secret::hash_secret(&secret),
            user_id: user,
            created_at: now,
            expires_at: now.plus_seconds(ttl),
        })
        .await?;
    Ok(set_cookie(state, SESSION_COOKIE, &secret, ttl))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    error: Option<String>,
    email: String,
    next: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NextQuery {
    next: String,
}

pub async fn root(State(state): State<AppState>, Extension(ctx): Extension<Ctx>) -> PageResult {
    if ctx.user.is_some() {
        return Ok(see_other("/workspaces"));
    }
    if state.store.count_users().await? == 0 {
        return Ok(see_other("/setup"));
    }
    Ok(see_other("/login"))
}

pub async fn show_login(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<NextQuery>,
) -> PageResult {
    if state.store.count_users().await? == 0 {
        return Ok(see_other("/setup"));
    }
    if ctx.user.is_some() {
        return Ok(see_other(&safe_next(&q.next)));
    }
    render(&LoginPage {
        c: Chrome::new(&ctx, ctx.m().login_title, "/login"),
        error: None,
        email: String::new(),
        next: q.next,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    next: String,
}

pub async fn submit_login(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    PageForm(form): PageForm<LoginForm>,
) -> PageResult {
    let refuse = |status: StatusCode, code: ErrorCode, english: &str| {
        render_status(
            status,
            &LoginPage {
                c: Chrome::new(&ctx, ctx.m().login_title, "/login"),
                error: Some(error_text(ctx.lang, code, english)),
                email: form.email.clone(),
                next: form.next.clone(),
            },
        )
    };
    let email_key = format!("user:{}", form.email.trim().to_lowercase());
    let ip_key = format!("ip:{}", ctx.ip);
    let keys = [email_key.as_str(), ip_key.as_str()];
    if let Some(wait) = state.throttle.locked_for(&keys, Instant::now()) {
        let minutes = wait.as_secs().div_ceil(60);
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::TooManyAttempts,
            &format!("too many failed attempts; wait {minutes} minute(s) and try again"),
        );
    }
    let found = match Email::parse(&form.email) {
        Ok(email) => state.store.credentials_by_email(&email).await?,
        Err(_) => None,
    };
    let (user, hash) = match found {
        Some((u, h)) => (Some(u), Some(h)),
        None => (None, None),
    };
    let ok = password::verify(form.password.clone(), hash).await;
    let Some(user) = user.filter(|_| ok) else {
        state.throttle.record_failure(&keys, Instant::now());
        tracing::info!(ip = %ctx.ip, "failed login");
        return refuse(
            StatusCode::UNAUTHORIZED,
            ErrorCode::WrongCredentials,
            "wrong e-mail or password",
        );
    };
    state.throttle.record_success(&[email_key.as_str()]);
    let cookie = start_session(&state, user.id).await?;
    let mut r = see_other(&safe_next(&form.next));
    r.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(r.into_response())
}

pub async fn logout(State(state): State<AppState>, Extension(ctx): Extension<Ctx>) -> PageResult {
    if let Some(s) = &ctx.session_secret {
        state.store.delete_session(&secret::hash_secret(s)).await?;
    }
    let mut r = see_other("/login");
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, "", 0),
    );
    Ok(r)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LangForm {
    lang: String,
    next: String,
}

/// Switches the language: a cookie for this browser, and the account's choice when logged in.
pub async fn switch_lang(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    PageForm(form): PageForm<LangForm>,
) -> PageResult {
    let lang = Lang::parse(&form.lang).unwrap_or(Lang::En);
    if let Some(user) = &ctx.user {
        state
            .store
            .set_user_locale(user.id, Some(lang.code()))
            .await?;
        let _ = state
            .store
            .record_audit(AuditEvent {
                workspace_id: None,
                actor: Actor {
                    user_id: Some(user.id),
                    label: user.email.to_string(),
                    origin: ctx.ip.clone(),
                },
                action: "user.locale".into(),
                target: user.email.to_string(),
                details: serde_json::json!({ "locale": lang.code() }),
            })
            .await;
    }
    let mut r = see_other(&safe_next(&form.next));
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, LANG_COOKIE, lang.code(), 60 * 60 * 24 * 365),
    );
    Ok(r)
}
