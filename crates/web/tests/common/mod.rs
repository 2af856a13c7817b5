//! A test harness for the web layer: a real store (SQLite in a temporary directory), the real
//! router, and a client with a cookie jar that reads each page's CSRF token the way a browser
//! would carry it. Requests go through `tower::ServiceExt::oneshot`, so no socket is needed.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use relais_core::audit::{Actor, AuditEvent};
use relais_core::{DisplayName, Email, Role, Slug, UserId};
use relais_mail::Mailer;
use relais_store::{DatabaseLocation, NewUser, Store, Workspace, open};
use relais_web::{AppState, WebConfig};
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";

pub struct App {
    pub store: Arc<dyn Store>,
    pub router: Router,
    pub state: AppState,
}

pub async fn app_with(mailer: Option<Arc<dyn Mailer>>) -> App {
    let config = WebConfig {
        public_url: "http://relais.test".into(),
        ..Default::default()
    };
    app_with_config(mailer, config).await
}

pub async fn app_with_config(mailer: Option<Arc<dyn Mailer>>, config: WebConfig) -> App {
    let dir = tempfile::tempdir().unwrap().keep();
    let store = open(&DatabaseLocation::parse(dir.to_str().unwrap()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let state = AppState::new(store.clone(), config, mailer).await.unwrap();
    App {
        store,
        router: relais_web::router(state.clone()),
        state,
    }
}

pub async fn app() -> App {
    app_with(None).await
}

/// One argon2 hash of [`PASSWORD`] for every test user: hashing is slow by design.
pub async fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    if let Some(h) = HASH.get() {
        return h.clone();
    }
    let h = relais_web::auth::password::hash(PASSWORD.to_owned())
        .await
        .unwrap();
    HASH.get_or_init(|| h).clone()
}

pub fn cli_audit(action: &str) -> AuditEvent {
    AuditEvent {
        workspace_id: None,
        actor: Actor::cli(),
        action: action.into(),
        target: "test".into(),
        details: serde_json::Value::Null,
    }
}

pub async fn add_user(app: &App, email: &str, instance_admin: bool) -> UserId {
    app.store
        .create_user(
            NewUser {
                email: Email::parse(email).unwrap(),
                name: DisplayName::parse(email.split('@').next().unwrap()).unwrap(),
                password_hash: password_hash().await,
                is_instance_admin: instance_admin,
            },
            cli_audit("user.create"),
        )
        .await
        .unwrap()
        .id
}

pub async fn add_workspace(app: &App, slug: &str) -> Workspace {
    app.store
        .create_workspace(
            &Slug::parse(slug).unwrap(),
            slug,
            None,
            cli_audit("workspace.create"),
        )
        .await
        .unwrap()
}

pub async fn add_member(app: &App, ws: &Workspace, user: UserId, role: Role) {
    app.store
        .add_member(ws.id, user, role, cli_audit("member.add"))
        .await
        .unwrap();
}

pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
    pub headers: axum::http::HeaderMap,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A browser: cookies, and the CSRF token of the last page it read.
pub struct Browser {
    router: Router,
    pub cookies: HashMap<String, String>,
    pub csrf: Option<String>,
    pub accept_language: Option<String>,
}

impl Browser {
    pub fn new(app: &App) -> Self {
        Self {
            router: app.router.clone(),
            cookies: HashMap::new(),
            csrf: None,
            accept_language: None,
        }
    }

    pub async fn send(&mut self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        for v in response.headers().get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            if v.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), val.to_owned());
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        let location = headers
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(token) = csrf_in(&body) {
            self.csrf = Some(token);
        }
        Answer {
            status,
            location,
            body,
            headers,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let mut r = Request::get(path).header(header::COOKIE, self.cookie_header());
        if let Some(l) = &self.accept_language {
            r = r.header(header::ACCEPT_LANGUAGE, l);
        }
        self.send(r.body(Body::empty()).unwrap()).await
    }

    /// Posts a form with the CSRF token this browser holds (reading `/login` first if none).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        if self.csrf.is_none() {
            self.get("/login").await;
        }
        let token = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Posts exactly these fields: no CSRF token is added.
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let r = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(r).await
    }

    pub async fn login(&mut self, email: &str) {
        self.get("/login").await;
        let a = self
            .post("/login", &[("email", email), ("password", PASSWORD)])
            .await;
        assert_eq!(
            a.status,
            StatusCode::SEE_OTHER,
            "login of {email} failed: {}",
            a.body
        );
        // Pages after login carry the session-bound token.
        self.get("/workspaces").await;
    }
}

pub fn csrf_in(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let end = html[at..].find('"')?;
    Some(html[at..at + end].to_owned())
}

pub async fn api(
    app: &App,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> Answer {
    let mut r = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let body = match body {
        Some(b) => {
            r = r.header(header::CONTENT_TYPE, "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let response = app
        .router
        .clone()
        .oneshot(r.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        location: None,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        headers,
    }
}
