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

pub mod audience;
pub mod chromium;
pub mod listening;

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

/// A new user, member of `ws` with `role`, signed in: their browser and id.
pub async fn signed_in_member(
    app: &App,
    email: &str,
    ws: &Workspace,
    role: Role,
) -> (Browser, UserId) {
    let id = add_user(app, email, false).await;
    add_member(app, ws, id, role).await;
    let mut b = Browser::new(app);
    b.login(email).await;
    (b, id)
}

pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    /// The body as text (lossy: see `bytes` for files).
    pub body: String,
    pub bytes: Vec<u8>,
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
            bytes: bytes.to_vec(),
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

    /// Posts a multipart form as a browser sends it: the CSRF token this browser holds first
    /// (reading `/login` first if none), then `texts`, then `files`.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        texts: &[(&str, &str)],
        files: &[Upload<'_>],
    ) -> Answer {
        if self.csrf.is_none() {
            self.get("/login").await;
        }
        let token = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        all.extend_from_slice(texts);
        self.post_multipart_raw(path, &all, files).await
    }

    /// Posts exactly these multipart fields: no CSRF token is added.
    pub async fn post_multipart_raw(
        &mut self,
        path: &str,
        texts: &[(&str, &str)],
        files: &[Upload<'_>],
    ) -> Answer {
        let (content_type, body) = multipart_body(texts, files);
        let r = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap();
        self.send(r).await
    }

    /// Posts JSON the way the composer's script does: the CSRF token in `X-CSRF-Token`.
    pub async fn post_json(&mut self, path: &str, body: &serde_json::Value) -> Answer {
        let token = self.csrf.clone().unwrap_or_default();
        let r = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-csrf-token", token)
            .body(Body::from(body.to_string()))
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

/// A file a multipart form carries: its field, its name, the type the browser claims, its bytes.
#[derive(Clone, Copy)]
pub struct Upload<'a> {
    pub field: &'a str,
    pub name: &'a str,
    pub mime: &'a str,
    pub bytes: &'a [u8],
}

impl<'a> Upload<'a> {
    pub fn new(field: &'a str, name: &'a str, mime: &'a str, bytes: &'a [u8]) -> Self {
        Self {
            field,
            name,
            mime,
            bytes,
        }
    }
}

const BOUNDARY: &str = "----RelaisTestBoundary7MA4YWxkTrZu0gW";

/// A `multipart/form-data` body (RFC 7578) written by hand, fields in the order given, and the
/// `Content-Type` that goes with it.
pub fn multipart_body(texts: &[(&str, &str)], files: &[Upload<'_>]) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for (name, value) in texts {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for f in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                f.field, f.name, f.mime
            )
            .as_bytes(),
        );
        body.extend_from_slice(f.bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// A valid PNG of `width` × `height` pixels of one colour, written by hand (8-bit RGB, no
/// filter, deflate "stored" blocks) so that tests need no image encoder.
pub fn png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for b in bytes {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    // Each row: its filter (0, none), then its pixels.
    let row: Vec<u8> = std::iter::once(0)
        .chain(rgb.iter().copied().cycle().take(width as usize * 3))
        .collect();
    let raw = row.repeat(height as usize);
    // zlib: header, stored deflate blocks of at most 65 535 bytes, Adler-32.
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = u16::try_from(block.len()).unwrap();
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for byte in &raw {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
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
        bytes: bytes.to_vec(),
        headers,
    }
}
