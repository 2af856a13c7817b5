//! The LinkedIn connector against a small stateful fake of the versioned Marketing APIs it
//! uses, written from LinkedIn's documentation (learn.microsoft.com/linkedin): every `/rest/`
//! call must carry the bearer token, a `LinkedIn-Version` the fake serves (426
//! `NONEXISTENT_VERSION` for a sunset one) and `X-Restli-Protocol-Version: 2.0.0`. It
//! implements the OAuth token endpoint (authorization code with the client's id and secret in
//! the form; refresh that does not rotate the refresh token); `organizationAcls` (the
//! `roleAssignee` finder, paged) and `organizations/{id}`; the Images API's
//! `initializeUpload` and the upload address (a `PUT` of the bytes); the Posts API (create,
//! answering 201 with `x-restli-id`; checks of every required field; the *little* text format
//! parsed as LinkedIn does, truncating the text at an unescaped reserved character and
//! giving hashtags back as `{hashtag|\#|…}` templates; 422 `DUPLICATE_POST`; the `author`
//! finder sorted by last modification, paged; delete, idempotent); `socialActions` (counts,
//! comments: create, list, delete with `actor`); `organizationalEntityShareStatistics` with
//! a Rest.li `shares=List(…)`; errors as `{"status", "code", "message"}`.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{self, get};
use common::PNG;
use relais_networks::linkedin::{LinkedIn, LinkedInFlow, oauth};
use relais_networks::oauth::{OAuthApp, OAuthFlow};
use relais_networks::{
    Connector, Credentials, MediaFile, NetworkError, OutgoingPost, PublishedPost, ReplyTarget,
};
use relais_outbound::{HttpClient, OutboundConfig};
use relais_testkit::mock_http::MockHttp;
use serde_json::{Value, json};

const ORG: &str = "2414183";
const ORG_URN: &str = "urn:li:organization:2414183";
const OTHER_ORG: &str = "5515715";
const CLIENT_ID: &str = "86abcdefghij";
const CLIENT_SECRET: &str = "s3cret";
const MEMBER: &str = "urn:li:person:abc123";
/// Versions the fake serves.
const SERVED: [&str; 3] = ["202601", "202603", "202605"];
/// Little's reserved characters.
const RESERVED: &str = "\\|{}@[]()<>#*_~";

struct Post {
    urn: String,
    /// The activity LinkedIn names the post by in comment URNs.
    activity: String,
    author: String,
    /// The commentary as received (little).
    commentary: String,
    /// What LinkedIn shows: the little text parsed (and cut short where it broke).
    shown: String,
    created_at: i64,
    last_modified: i64,
    /// Image URN and alt text of each image.
    images: Vec<(String, Option<String>)>,
    multi: bool,
    deleted: bool,
    likes: u64,
    impressions: u64,
    reshares: u64,
}

struct Comment {
    id: u64,
    /// The post's URN as the comment was made on.
    post: String,
    actor: String,
    text: String,
    created: i64,
    deleted: bool,
    likes: u64,
}

struct Image {
    owner: String,
    bytes: Option<Vec<u8>>,
    /// The bearer token the upload came with.
    upload_auth: Option<String>,
}

/// An answer served instead of the endpoint's (after `delay`), once, for the first request
/// to `path`.
struct Injected {
    method: &'static str,
    path: String,
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Option<Duration>,
}

struct Fake {
    base: String,
    access_token: String,
    refresh_token: String,
    refuse_refresh: bool,
    /// Authorization codes: code → redirect_uri.
    codes: HashMap<String, String>,
    issued: u32,
    /// Organisations the member administers: id, name, role, state.
    acls: Vec<(&'static str, &'static str, &'static str, &'static str)>,
    next_id: u64,
    posts: Vec<Post>,
    comments: Vec<Comment>,
    images: HashMap<String, Image>,
    inject: VecDeque<Injected>,
    /// The next post is made, then its answer is a 504 (the client never learns its URN).
    lose_next_answer: bool,
    /// `METHOD path` of every request that passed the gate, in order.
    log: Vec<String>,
}

impl Default for Fake {
    fn default() -> Self {
        Self {
            base: String::new(),
            access_token: "at-0".into(),
            refresh_token: "rt-0".into(),
            refuse_refresh: false,
            codes: HashMap::new(),
            issued: 0,
            acls: vec![
                (ORG, "Acme Coop", "ADMINISTRATOR", "APPROVED"),
                (OTHER_ORG, "Acme Labs", "ADMINISTRATOR", "APPROVED"),
            ],
            next_id: 7_200_000_000_000_000_000,
            posts: Vec::new(),
            comments: Vec::new(),
            images: HashMap::new(),
            inject: VecDeque::new(),
            lose_next_answer: false,
            log: Vec::new(),
        }
    }
}

impl Fake {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn administers(&self, urn: &str) -> bool {
        self.acls.iter().any(|(id, _, role, state)| {
            urn == format!("urn:li:organization:{id}")
                && *role == "ADMINISTRATOR"
                && *state == "APPROVED"
        })
    }

    /// A live post by its URN or its activity's.
    fn post(&self, urn: &str) -> Option<&Post> {
        self.posts
            .iter()
            .find(|p| (p.urn == urn || p.activity == urn) && !p.deleted)
    }

    fn comment_urn(&self, c: &Comment) -> String {
        let activity = self
            .posts
            .iter()
            .find(|p| p.urn == c.post)
            .map(|p| p.activity.clone())
            .unwrap_or_default();
        format!("urn:li:comment:({activity},{})", c.id)
    }

    fn comment_json(&self, c: &Comment) -> Value {
        json!({
            "actor": c.actor, "agent": MEMBER, "commentUrn": self.comment_urn(c),
            "id": c.id.to_string(), "object": c.post,
            "message": { "text": c.text, "attributes": [] },
            "created": { "actor": c.actor, "impersonator": MEMBER, "time": c.created },
            "lastModified": { "actor": c.actor, "time": c.created },
        })
    }

    fn post_json(p: &Post) -> Value {
        // LinkedIn gives hashtags back as templates.
        let mut v = json!({
            "id": p.urn, "author": p.author, "commentary": as_templates(&p.commentary),
            "visibility": "PUBLIC", "lifecycleState": "PUBLISHED",
            "createdAt": p.created_at, "lastModifiedAt": p.last_modified,
            "publishedAt": p.created_at, "isReshareDisabledByAuthor": false,
            "distribution": { "feedDistribution": "MAIN_FEED", "targetEntities": [],
                              "thirdPartyDistributionChannels": [] },
        });
        let image = |(id, alt): &(String, Option<String>)| {
            let mut i = json!({ "id": id });
            if let Some(a) = alt {
                i["altText"] = json!(a);
            }
            i
        };
        if p.multi {
            let list: Vec<Value> = p.images.iter().map(image).collect();
            v["content"] = json!({ "multiImage": { "images": list } });
        } else if let Some(one) = p.images.first() {
            v["content"] = json!({ "media": image(one) });
        }
        v
    }
}

/// Little as LinkedIn reads it: escapes undone, `#word` a hashtag, and the text cut short at
/// the first unescaped reserved character (LinkedIn publishes what it could parse, without
/// an error).
fn parse_little(little: &str) -> String {
    let mut out = String::new();
    let mut chars = little.chars().peekable();
    let mut previous: Option<char> = None;
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n) if RESERVED.contains(n) => out.push(n),
                _ => break,
            }
        } else if c == '#'
            && previous.is_none_or(|p| !p.is_alphanumeric())
            && chars.peek().is_some_and(|n| n.is_alphabetic())
        {
            out.push('#');
        } else if RESERVED.contains(c) {
            break;
        } else {
            out.push(c);
        }
        previous = Some(c);
    }
    out
}

/// `#word` (unescaped, starting a word) as `{hashtag|\#|word}`.
fn as_templates(little: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = little.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts_word = i == 0 || !chars[i - 1].is_alphanumeric() && chars[i - 1] != '\\';
        if c == '#' && starts_word && chars.get(i + 1).is_some_and(|n| n.is_alphabetic()) {
            let end = (i + 1..chars.len())
                .find(|&j| !chars[j].is_alphanumeric())
                .unwrap_or(chars.len());
            let word: String = chars[i + 1..end].iter().collect();
            out.push_str(&format!("{{hashtag|\\#|{word}}}"));
            i = end;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

type Shared = Arc<Mutex<Fake>>;

fn error(status: u16, code: &str, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(
            json!({ "status": status, "code": code, "serviceErrorCode": 100,
                           "message": message }),
        ),
    )
        .into_response()
}

fn invalid(field: &str, code: &str, description: &str) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        axum::Json(json!({
            "errorDetailType": "com.linkedin.common.error.BadRequest",
            "message": format!("ERROR :: {field} :: {description}"),
            "errorDetails": { "inputErrors": [{
                "description": description, "code": code,
                "input": { "inputPath": { "fieldPath": field } } }] },
            "status": 422
        })),
    )
        .into_response()
}

/// Before every route: injected answers (and delays), then what LinkedIn checks of every
/// call (token, version, protocol).
async fn gate(State(s): State<Shared>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let injected = {
        let mut fake = s.lock().unwrap();
        fake.inject
            .iter()
            .position(|i| i.method == method && i.path == path)
            .map(|at| fake.inject.remove(at).unwrap())
    };
    if let Some(i) = injected {
        if let Some(d) = i.delay {
            tokio::time::sleep(d).await;
        }
        let mut r = (StatusCode::from_u16(i.status).unwrap(), i.body).into_response();
        r.headers_mut()
            .insert("content-type", "application/json".parse().unwrap());
        for (k, v) in i.headers {
            r.headers_mut().insert(k, v.parse().unwrap());
        }
        return r;
    }
    let headers = req.headers();
    let header = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    {
        let mut fake = s.lock().unwrap();
        if path.starts_with("/rest/") || path.starts_with("/dms-uploads/") {
            let bearer = header("authorization");
            if bearer.as_deref().and_then(|b| b.strip_prefix("Bearer "))
                != Some(fake.access_token.as_str())
            {
                return error(
                    401,
                    "EXPIRED_ACCESS_TOKEN",
                    "The token used in the request has expired",
                );
            }
        }
        if path.starts_with("/rest/") {
            match header("linkedin-version") {
                None => {
                    return error(
                        400,
                        "VERSION_MISSING",
                        "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
                    );
                }
                Some(v) if !SERVED.contains(&v.as_str()) => {
                    return error(
                        426,
                        "NONEXISTENT_VERSION",
                        &format!("Requested version {v} is not active"),
                    );
                }
                Some(_) => {}
            }
            if header("x-restli-protocol-version").as_deref() != Some("2.0.0") {
                return error(400, "ILLEGAL_ARGUMENT", "Invalid Rest.li protocol version");
            }
        }
        fake.log.push(format!("{method} {path}"));
    }
    next.run(req).await
}

fn issue(fake: &mut Fake, new_refresh: bool) -> Response {
    fake.issued += 1;
    fake.access_token = format!("at-{}", fake.issued);
    if new_refresh {
        fake.refresh_token = format!("rt-{}", fake.issued);
    }
    axum::Json(json!({
        "access_token": fake.access_token,
        "expires_in": 5_183_999,
        "refresh_token": fake.refresh_token,
        "refresh_token_expires_in": 31_535_999,
        "scope": "r_organization_social,rw_organization_admin,w_organization_social",
    }))
    .into_response()
}

fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

async fn token(State(s): State<Shared>, Form(f): Form<HashMap<String, String>>) -> Response {
    let mut fake = s.lock().unwrap();
    let field = |k: &str| f.get(k).map(String::as_str);
    if field("client_id") != Some(CLIENT_ID) || field("client_secret") != Some(CLIENT_SECRET) {
        return oauth_error(401, "invalid_client", "Client authentication failed");
    }
    match field("grant_type") {
        Some("authorization_code") => {
            let code = field("code").unwrap_or_default();
            match fake.codes.remove(code) {
                Some(redirect) if field("redirect_uri") == Some(redirect.as_str()) => {
                    issue(&mut fake, true)
                }
                _ => oauth_error(
                    400,
                    "invalid_request",
                    "Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired.",
                ),
            }
        }
        Some("refresh_token") => {
            if fake.refuse_refresh || field("refresh_token") != Some(fake.refresh_token.as_str()) {
                return oauth_error(
                    400,
                    "invalid_grant",
                    "The provided authorization grant is invalid, expired, revoked",
                );
            }
            // LinkedIn does not rotate refresh tokens.
            issue(&mut fake, false)
        }
        _ => oauth_error(
            400,
            "invalid_request",
            "A required parameter \"grant_type\" is missing",
        ),
    }
}

async fn acls(State(s): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let fake = s.lock().unwrap();
    let get = |k: &str| q.get(k).map(String::as_str);
    if get("q") != Some("roleAssignee") {
        return error(400, "ILLEGAL_ARGUMENT", "Missing finder");
    }
    let start: usize = get("start").and_then(|v| v.parse().ok()).unwrap_or(0);
    let count: usize = get("count").and_then(|v| v.parse().ok()).unwrap_or(10);
    let all: Vec<Value> = fake
        .acls
        .iter()
        .filter(|(_, _, role, state)| {
            get("role").is_none_or(|r| r == *role) && get("state").is_none_or(|st| st == *state)
        })
        .map(|(id, _, role, state)| {
            json!({ "roleAssignee": MEMBER, "state": state, "role": role,
                    "organization": format!("urn:li:organization:{id}") })
        })
        .collect();
    let page: Vec<Value> = all.iter().skip(start).take(count).cloned().collect();
    axum::Json(json!({ "elements": page,
                       "paging": { "start": start, "count": count, "total": all.len() } }))
    .into_response()
}

async fn organization(State(s): State<Shared>, Path(id): Path<String>) -> Response {
    let fake = s.lock().unwrap();
    match fake.acls.iter().find(|(known, ..)| *known == id) {
        Some((_, name, ..)) => axum::Json(json!({
            "id": id.parse::<u64>().unwrap(), "localizedName": name,
            "vanityName": name.to_lowercase().replace(' ', "-"),
            "name": { "localized": { "fr_FR": name }, "preferredLocale": { "country": "FR", "language": "fr" } }
        }))
        .into_response(),
        None => error(404, "NOT_FOUND", &format!("Organization {id} does not exist")),
    }
}

async fn init_upload(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut fake = s.lock().unwrap();
    if q.get("action").map(String::as_str) != Some("initializeUpload") {
        return error(400, "ILLEGAL_ARGUMENT", "Unknown action");
    }
    let owner = body["initializeUploadRequest"]["owner"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if !fake.administers(&owner) {
        return error(
            403,
            "ACCESS_DENIED",
            &format!("Not enough permissions to upload for {owner}"),
        );
    }
    let id = format!("D4E10AQ{}", fake.id());
    let image = format!("urn:li:image:{id}");
    fake.images.insert(
        image.clone(),
        Image {
            owner,
            bytes: None,
            upload_auth: None,
        },
    );
    let upload = format!(
        "{}/dms-uploads/{id}/uploaded-image/0?ca=vector_feedshare&sync=0",
        fake.base
    );
    axum::Json(
        json!({ "value": { "uploadUrlExpiresAt": 1_900_000_000_000_u64,
                                  "uploadUrl": upload, "image": image } }),
    )
    .into_response()
}

async fn put_upload(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut fake = s.lock().unwrap();
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match fake.images.get_mut(&format!("urn:li:image:{id}")) {
        Some(i) => {
            i.bytes = Some(body.to_vec());
            i.upload_auth = auth;
            StatusCode::CREATED.into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

async fn create_post(State(s): State<Shared>, axum::Json(b): axum::Json<Value>) -> Response {
    let mut fake = s.lock().unwrap();
    let author = b["author"].as_str().unwrap_or_default().to_owned();
    if !fake.administers(&author) {
        return error(
            403,
            "ACCESS_DENIED",
            "Not enough permissions to access: partnerApiPostsExternal.CREATE.20260501",
        );
    }
    for (field, want) in [
        ("/visibility", json!("PUBLIC")),
        ("/lifecycleState", json!("PUBLISHED")),
        ("/distribution/feedDistribution", json!("MAIN_FEED")),
    ] {
        if b.pointer(field) != Some(&want) {
            return invalid(field, "MISSING_FIELD", "Field is required");
        }
    }
    for field in [
        "/distribution/targetEntities",
        "/distribution/thirdPartyDistributionChannels",
    ] {
        if !b.pointer(field).is_some_and(Value::is_array) {
            return invalid(field, "MISSING_FIELD", "Field is required");
        }
    }
    if !b["isReshareDisabledByAuthor"].is_boolean() {
        return invalid(
            "/isReshareDisabledByAuthor",
            "MISSING_FIELD",
            "Field is required",
        );
    }
    let Some(commentary) = b["commentary"].as_str().map(str::to_owned) else {
        return invalid("/commentary", "MISSING_FIELD", "Field is required");
    };
    let shown = parse_little(&commentary);
    if shown.encode_utf16().count() > 3000 {
        return invalid(
            "/commentary",
            "FIELD_VALUE_TOO_LONG",
            "Field value is too long",
        );
    }
    let image = |v: &Value| -> Option<(String, Option<String>)> {
        let id = v["id"].as_str()?.to_owned();
        Some((id, v["altText"].as_str().map(str::to_owned)))
    };
    let (images, multi) = match (
        b.pointer("/content/media"),
        b.pointer("/content/multiImage/images"),
    ) {
        (None, None) => (vec![], false),
        (Some(m), None) => match image(m) {
            Some(i) => (vec![i], false),
            None => return invalid("/content/media/id", "MISSING_FIELD", "Field is required"),
        },
        (None, Some(list)) => {
            let list: Vec<_> = list
                .as_array()
                .map(|l| l.iter().filter_map(image).collect())
                .unwrap_or_default();
            if !(2..=20).contains(&list.len()) {
                return invalid(
                    "/content/multiImage/images",
                    "INVALID_VALUE",
                    "A multi-image post takes 2 to 20 images",
                );
            }
            (list, true)
        }
        _ => return invalid("/content", "INVALID_VALUE", "One content type only"),
    };
    for (id, alt) in &images {
        let ok = fake
            .images
            .get(id)
            .is_some_and(|i| i.bytes.is_some() && i.owner == author);
        if !ok {
            return invalid(
                "/content",
                "INVALID_VALUE",
                &format!("Image {id} is not uploaded"),
            );
        }
        if alt.as_ref().is_some_and(|a| a.chars().count() > 4086) {
            return invalid(
                "/content/media/altText",
                "FIELD_VALUE_TOO_LONG",
                "Field value is too long",
            );
        }
    }
    if let Some(dup) = fake.posts.iter().find(|p| {
        !p.deleted
            && p.author == author
            && p.commentary == commentary
            && p.images.len() == images.len()
    }) {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({
                "errorDetailType": "com.linkedin.common.error.BadRequest",
                "message": format!("com.linkedin.content.common.exception.BadRequestResponseException: Content is a duplicate of {}", dup.urn),
                "errorDetails": { "inputErrors": [{ "description": "Duplicate post is detected",
                                                     "input": {}, "code": "DUPLICATE_POST" }] },
                "status": 422
            })),
        )
            .into_response();
    }
    let n = fake.id();
    let urn = format!("urn:li:share:{n}");
    let now = now_ms();
    fake.posts.push(Post {
        urn: urn.clone(),
        activity: format!("urn:li:activity:{}", n + 1_000),
        author,
        commentary,
        shown,
        created_at: now,
        last_modified: now,
        images,
        multi,
        deleted: false,
        likes: 0,
        impressions: 0,
        reshares: 0,
    });
    if std::mem::take(&mut fake.lose_next_answer) {
        return error(504, "GATEWAY_TIMEOUT", "Gateway Timeout");
    }
    let mut r = StatusCode::CREATED.into_response();
    r.headers_mut().insert("x-restli-id", urn.parse().unwrap());
    r
}

async fn find_posts(State(s): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let fake = s.lock().unwrap();
    let get = |k: &str| q.get(k).map(String::as_str);
    if get("q") != Some("author") {
        return error(400, "ILLEGAL_ARGUMENT", "Unsupported finder");
    }
    let Some(author) = get("author") else {
        return error(400, "ILLEGAL_ARGUMENT", "author is required");
    };
    if !fake.administers(author) {
        return error(403, "ACCESS_DENIED", "Not enough permissions");
    }
    let count: usize = get("count").and_then(|v| v.parse().ok()).unwrap_or(10);
    if count > 100 {
        return error(400, "ILLEGAL_ARGUMENT", "count must be at most 100");
    }
    let start: usize = get("start").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut all: Vec<&Post> = fake
        .posts
        .iter()
        .filter(|p| !p.deleted && p.author == author)
        .collect();
    match get("sortBy").unwrap_or("LAST_MODIFIED") {
        "LAST_MODIFIED" => all.sort_by_key(|p| std::cmp::Reverse((p.last_modified, p.urn.clone()))),
        "CREATED" => all.sort_by_key(|p| std::cmp::Reverse((p.created_at, p.urn.clone()))),
        _ => return error(400, "ILLEGAL_ARGUMENT", "Invalid sortBy"),
    }
    let page: Vec<Value> = all
        .iter()
        .skip(start)
        .take(count)
        .map(|p| Fake::post_json(p))
        .collect();
    axum::Json(json!({ "elements": page,
                       "paging": { "start": start, "count": count, "total": all.len(), "links": [] } }))
    .into_response()
}

async fn delete_post(State(s): State<Shared>, Path(urn): Path<String>) -> Response {
    let mut fake = s.lock().unwrap();
    match fake.posts.iter_mut().find(|p| p.urn == urn) {
        // Deleting again is 204 as well.
        Some(p) => {
            p.deleted = true;
            StatusCode::NO_CONTENT.into_response()
        }
        None => error(404, "NOT_FOUND", "Post not found"),
    }
}

async fn social_actions(State(s): State<Shared>, Path(urn): Path<String>) -> Response {
    let fake = s.lock().unwrap();
    if let Some(p) = fake.post(&urn) {
        let comments = fake
            .comments
            .iter()
            .filter(|c| c.post == p.urn && !c.deleted)
            .count();
        return axum::Json(json!({
            "target": urn,
            "likesSummary": { "likedByCurrentUser": false, "totalLikes": p.likes,
                              "aggregatedTotalLikes": p.likes },
            "commentsSummary": { "totalFirstLevelComments": comments,
                                 "aggregatedTotalComments": comments },
        }))
        .into_response();
    }
    if let Some(c) = fake
        .comments
        .iter()
        .find(|c| !c.deleted && fake.comment_urn(c) == urn)
    {
        return axum::Json(json!({
            "target": urn,
            "likesSummary": { "likedByCurrentUser": false, "totalLikes": c.likes,
                              "aggregatedTotalLikes": c.likes },
            "commentsSummary": { "totalFirstLevelComments": 0, "aggregatedTotalComments": 0 },
        }))
        .into_response();
    }
    error(404, "NOT_FOUND", &format!("{urn} not found"))
}

async fn create_comment(
    State(s): State<Shared>,
    Path(urn): Path<String>,
    axum::Json(b): axum::Json<Value>,
) -> Response {
    let mut fake = s.lock().unwrap();
    let Some(post) = fake.post(&urn).map(|p| p.urn.clone()) else {
        return error(404, "NOT_FOUND", &format!("{urn} not found"));
    };
    let actor = b["actor"].as_str().unwrap_or_default().to_owned();
    if !fake.administers(&actor) {
        return error(
            403,
            "ACCESS_DENIED",
            "Not enough permissions to comment as this actor",
        );
    }
    if b["object"].as_str() != Some(urn.as_str()) {
        return invalid(
            "/object",
            "INVALID_VALUE",
            "object must be the commented entity",
        );
    }
    let Some(text) = b["message"]["text"]
        .as_str()
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
    else {
        return invalid("/message/text", "MISSING_FIELD", "Field is required");
    };
    let id = fake.id();
    let c = Comment {
        id,
        post,
        actor,
        text,
        created: now_ms(),
        deleted: false,
        likes: 0,
    };
    let body = fake.comment_json(&c);
    fake.comments.push(c);
    let mut r = (StatusCode::CREATED, axum::Json(body)).into_response();
    r.headers_mut()
        .insert("x-restli-id", id.to_string().parse().unwrap());
    r
}

async fn list_comments(
    State(s): State<Shared>,
    Path(urn): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let fake = s.lock().unwrap();
    let Some(post) = fake.post(&urn).map(|p| p.urn.clone()) else {
        return error(404, "NOT_FOUND", &format!("{urn} not found"));
    };
    let start: usize = q.get("start").and_then(|v| v.parse().ok()).unwrap_or(0);
    let count: usize = q.get("count").and_then(|v| v.parse().ok()).unwrap_or(10);
    let all: Vec<Value> = fake
        .comments
        .iter()
        .filter(|c| c.post == post && !c.deleted)
        .map(|c| fake.comment_json(c))
        .collect();
    let page: Vec<Value> = all.iter().skip(start).take(count).cloned().collect();
    axum::Json(json!({ "elements": page,
                       "paging": { "start": start, "count": count, "total": all.len() } }))
    .into_response()
}

async fn delete_comment(
    State(s): State<Shared>,
    Path((urn, id)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut fake = s.lock().unwrap();
    let Some(post) = fake.post(&urn).map(|p| p.urn.clone()) else {
        return error(404, "NOT_FOUND", &format!("{urn} not found"));
    };
    let actor = q.get("actor").cloned().unwrap_or_default();
    match fake
        .comments
        .iter_mut()
        .find(|c| c.post == post && c.id.to_string() == id && !c.deleted)
    {
        Some(c) if c.actor == actor => {
            c.deleted = true;
            StatusCode::NO_CONTENT.into_response()
        }
        Some(_) => error(403, "ACCESS_DENIED", "actor is not the comment's author"),
        None => error(404, "NOT_FOUND", "Comment not found"),
    }
}

async fn share_statistics(State(s): State<Shared>, req: Request) -> Response {
    let fake = s.lock().unwrap();
    // Rest.li 2.0: `List(…)` in the raw query, the URNs inside it encoded.
    let query = req.uri().query().unwrap_or_default().to_owned();
    let params: HashMap<&str, &str> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    if params.get("q") != Some(&"organizationalEntity") {
        return error(400, "ILLEGAL_ARGUMENT", "Unsupported finder");
    }
    let org = params
        .get("organizationalEntity")
        .map(|o| o.replace("%3A", ":"))
        .unwrap_or_default();
    if !fake.administers(&org) {
        return error(403, "ACCESS_DENIED", "Not enough permissions");
    }
    let Some(list) = params
        .get("shares")
        .or_else(|| params.get("ugcPosts"))
        .and_then(|l| l.strip_prefix("List("))
        .and_then(|l| l.strip_suffix(')'))
    else {
        return axum::Json(json!({ "elements": [] })).into_response();
    };
    let elements: Vec<Value> = list
        .split(',')
        .map(|u| u.replace("%3A", ":"))
        .filter_map(|u| fake.post(&u))
        .map(|p| {
            json!({ "organizationalEntity": org, "share": p.urn, "totalShareStatistics": {
                "uniqueImpressionsCount": p.impressions / 2, "shareCount": p.reshares,
                "engagement": 0.1, "clickCount": 3, "likeCount": p.likes,
                "impressionCount": p.impressions,
                "commentCount": fake.comments.iter().filter(|c| c.post == p.urn && !c.deleted).count() } })
        })
        .collect();
    axum::Json(json!({ "elements": elements })).into_response()
}

async fn start() -> (MockHttp, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Fake::default()));
    let router = Router::new()
        .route("/oauth/v2/accessToken", routing::post(token))
        .route("/rest/organizationAcls", get(acls))
        .route("/rest/organizations/{id}", get(organization))
        .route("/rest/images", routing::post(init_upload))
        .route(
            "/dms-uploads/{id}/uploaded-image/0",
            routing::put(put_upload),
        )
        .route("/rest/posts", routing::post(create_post).get(find_posts))
        .route("/rest/posts/{urn}", routing::delete(delete_post))
        .route("/rest/socialActions/{urn}", get(social_actions))
        .route(
            "/rest/socialActions/{urn}/comments",
            routing::post(create_comment).get(list_comments),
        )
        .route(
            "/rest/socialActions/{urn}/comments/{id}",
            routing::delete(delete_comment),
        )
        .route(
            "/rest/organizationalEntityShareStatistics",
            get(share_statistics),
        )
        .layer(middleware::from_fn_with_state(shared.clone(), gate))
        .with_state(shared.clone());
    let server = MockHttp::start(router).await;
    shared.lock().unwrap().base = server.base_url().to_owned();
    (server, shared)
}

fn client() -> HttpClient {
    common::client(Duration::from_secs(10))
}

fn credentials(server: &MockHttp, fake: &Shared) -> Credentials {
    let f = fake.lock().unwrap();
    Credentials {
        settings: json!({ "api_base": server.base_url(), "oauth_base": server.base_url(),
                          "client_id": CLIENT_ID, "organization_id": ORG }),
        secrets: [
            ("access_token".to_owned(), f.access_token.clone()),
            ("refresh_token".to_owned(), f.refresh_token.clone()),
            ("client_secret".to_owned(), CLIENT_SECRET.to_owned()),
        ]
        .into(),
        changed: false,
    }
}

fn post(text: &str) -> OutgoingPost {
    OutgoingPost {
        text: text.to_owned(),
        media: vec![],
        reply_to: None,
        langs: vec!["fr".into()],
        idempotency_key: format!("key-{text}"),
        created_at_ms: now_ms(),
    }
}

fn with_media(mut p: OutgoingPost, mime: &str, alt: Option<&str>) -> OutgoingPost {
    p.media.push(MediaFile {
        mime: mime.to_owned(),
        bytes: PNG.to_vec(),
        alt: alt.map(str::to_owned),
        public_url: None,
    });
    p
}

fn reply(mut p: OutgoingPost, root: &PublishedPost) -> OutgoingPost {
    p.reply_to = Some(ReplyTarget {
        root: root.clone(),
        parent: root.clone(),
    });
    p
}

fn inject(
    fake: &Shared,
    method: &'static str,
    path: &str,
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: &str,
) {
    fake.lock().unwrap().inject.push_back(Injected {
        method,
        path: path.to_owned(),
        status,
        headers,
        body: body.to_owned(),
        delay: None,
    });
}

fn stored<T>(fake: &Shared, urn: &str, f: impl FnOnce(&Post) -> T) -> T {
    let fake = fake.lock().unwrap();
    f(fake.posts.iter().find(|p| p.urn == urn).unwrap())
}

fn live_posts(fake: &Shared) -> usize {
    fake.lock()
        .unwrap()
        .posts
        .iter()
        .filter(|p| !p.deleted)
        .count()
}

#[tokio::test]
async fn verifies_and_publishes_text_images_and_first_comments() {
    let (server, fake) = start().await;
    let li = LinkedIn::new(client());
    let mut creds = credentials(&server, &fake);
    assert_eq!(li.network(), "linkedin");

    // Verify: the page's name.
    assert_eq!(li.verify(&mut creds).await.unwrap(), "Acme Coop");
    assert!(!creds.changed);

    // A text with every reserved character and a hashtag: escaped, so LinkedIn shows it whole.
    let text = post(
        "Nos soldes (enfin) : -50 % sur *tout* [vrai] {ou} <presque> a_b ~c~ x|y \\o/ \
         écrivez à contact@example.org #soldes C# #1",
    );
    let p = li.publish(&mut creds, &text).await.unwrap();
    assert!(p.id.starts_with("urn:li:share:"), "{}", p.id);
    assert_eq!(
        p.url,
        format!("https://www.linkedin.com/feed/update/{}/", p.id)
    );
    assert_eq!(p.version, None);
    assert_eq!(
        stored(&fake, &p.id, |p| p.shown.clone()),
        text.text,
        "nothing cut"
    );
    assert!(stored(&fake, &p.id, |p| p
        .commentary
        .contains(" #soldes C\\# \\#1")));
    assert_eq!(stored(&fake, &p.id, |p| p.author.clone()), ORG_URN);
    // Found again after a crash (LinkedIn gives it back escaped, the hashtag as a template),
    // and only that one.
    assert_eq!(
        li.find_published(&mut creds, &text).await.unwrap(),
        Some(p.clone())
    );
    assert_eq!(
        li.find_published(&mut creds, &post("jamais envoyé"))
            .await
            .unwrap(),
        None
    );
    assert!(
        fake.lock()
            .unwrap()
            .log
            .contains(&"GET /rest/posts".to_owned()),
        "{:?}",
        fake.lock().unwrap().log
    );

    // One image with its alt text: registered, uploaded (with the token), then the post.
    fake.lock().unwrap().log.clear();
    let one = with_media(
        post("Notre nouveau logo"),
        "image/png",
        Some("Le logo, bleu sur blanc"),
    );
    let img = li.publish(&mut creds, &one).await.unwrap();
    {
        let f = fake.lock().unwrap();
        assert_eq!(f.log[0], "POST /rest/images");
        assert!(f.log[1].starts_with("PUT /dms-uploads/"), "{:?}", f.log);
        assert_eq!(f.log[2], "POST /rest/posts");
        let p = f.posts.iter().find(|p| p.urn == img.id).unwrap();
        assert!(!p.multi);
        let (image, alt) = &p.images[0];
        assert_eq!(alt.as_deref(), Some("Le logo, bleu sur blanc"));
        let uploaded = &f.images[image];
        assert_eq!(
            uploaded.bytes.as_deref(),
            Some(PNG),
            "the image arrived whole"
        );
        assert_eq!(uploaded.owner, ORG_URN);
        assert_eq!(uploaded.upload_auth.as_deref(), Some("Bearer at-0"));
    }
    assert_eq!(
        li.find_published(&mut creds, &one).await.unwrap(),
        Some(img.clone())
    );
    // The same text without the image is another post.
    assert_eq!(
        li.find_published(&mut creds, &post("Notre nouveau logo"))
            .await
            .unwrap(),
        None
    );

    // Three images: a multi-image post, alt text where given.
    let mut three = with_media(post("Trois vues"), "image/png", Some("Vue 1"));
    three = with_media(three, "image/jpeg", None);
    three = with_media(three, "image/gif", Some("Vue 3"));
    let multi = li.publish(&mut creds, &three).await.unwrap();
    let (is_multi, alts) = stored(&fake, &multi.id, |p| {
        (
            p.multi,
            p.images.iter().map(|(_, a)| a.clone()).collect::<Vec<_>>(),
        )
    });
    assert!(is_multi);
    assert_eq!(alts, [Some("Vue 1".into()), None, Some("Vue 3".into())]);
    assert_eq!(
        li.find_published(&mut creds, &three).await.unwrap(),
        Some(multi)
    );

    // A first comment: a comment on the root, as the organisation, text as written.
    let first = reply(
        post("Le lien (promis) : https://example.org/soldes?x=1"),
        &p,
    );
    let c = li.publish(&mut creds, &first).await.unwrap();
    assert!(
        c.id.starts_with("urn:li:comment:(urn:li:activity:"),
        "{}",
        c.id
    );
    assert!(
        c.url
            .starts_with("https://www.linkedin.com/feed/update/urn:li:activity:")
            && c.url.contains("/?commentUrn=urn%3Ali%3Acomment%3A%28"),
        "{}",
        c.url
    );
    {
        let f = fake.lock().unwrap();
        let stored = f.comments.last().unwrap();
        assert_eq!(stored.actor, ORG_URN);
        assert_eq!(stored.post, p.id);
        assert_eq!(stored.text, first.text);
    }
    // A second comment (the thread's third part) goes under the root as well.
    let second = li
        .publish(&mut creds, &reply(post("Et la suite"), &p))
        .await
        .unwrap();
    assert_ne!(second.id, c.id);
    assert_eq!(
        li.find_published(&mut creds, &first).await.unwrap(),
        Some(c.clone())
    );
    assert_eq!(
        li.find_published(&mut creds, &reply(post("Jamais commenté"), &p))
            .await
            .unwrap(),
        None
    );
    // The same text as a comment on another post is not that comment.
    assert_eq!(
        li.find_published(&mut creds, &reply(post("Et la suite"), &img))
            .await
            .unwrap(),
        None
    );

    // Refused before anything is sent: a video, 21 images, an image in a comment.
    fake.lock().unwrap().log.clear();
    let err = li
        .publish(&mut creds, &with_media(post("Vidéo"), "video/mp4", None))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("video/mp4")),
        "{err}"
    );
    let mut many = post("Trop d'images");
    for _ in 0..21 {
        many = with_media(many, "image/png", None);
    }
    let err = li.publish(&mut creds, &many).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("20")),
        "{err}"
    );
    let err = li
        .publish(
            &mut creds,
            &with_media(reply(post("Avec image"), &p), "image/png", None),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("comment")),
        "{err}"
    );
    assert!(fake.lock().unwrap().log.is_empty());
}

#[tokio::test]
async fn a_lost_answer_is_found_again_and_not_published_twice() {
    let (server, fake) = start().await;
    let li = LinkedIn::new(client());
    let mut creds = credentials(&server, &fake);

    // The post is made, but its answer is lost.
    let lost = with_media(
        post("Réponse perdue (et retrouvée) #relais"),
        "image/png",
        Some("Image"),
    );
    fake.lock().unwrap().lose_next_answer = true;
    let err = li.publish(&mut creds, &lost).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("504")),
        "{err}"
    );
    assert!(err.is_retryable());
    let made = fake.lock().unwrap().posts[0].urn.clone();

    // After the crash, the publisher asks: the post is there.
    let found = li.find_published(&mut creds, &lost).await.unwrap().unwrap();
    assert_eq!(found.id, made);

    // Publishing again anyway: LinkedIn refuses the duplicate, the connector finds the post.
    let again = li.publish(&mut creds, &lost).await.unwrap();
    assert_eq!(again.id, made);
    assert_eq!(live_posts(&fake), 1, "published once");

    // A duplicate of an older post (outside the look-back window) is not this post: refused.
    {
        let mut f = fake.lock().unwrap();
        let long_ago = now_ms() - 3 * 3600 * 1000;
        f.posts.push(Post {
            urn: "urn:li:share:7100000000000000001".into(),
            activity: "urn:li:activity:7100000000000000002".into(),
            author: ORG_URN.into(),
            commentary: "Bonjour à tous".into(),
            shown: "Bonjour à tous".into(),
            created_at: long_ago,
            last_modified: long_ago,
            images: vec![],
            multi: false,
            deleted: false,
            likes: 0,
            impressions: 0,
            reshares: 0,
        });
    }
    assert_eq!(
        li.find_published(&mut creds, &post("Bonjour à tous"))
            .await
            .unwrap(),
        None
    );
    let err = li
        .publish(&mut creds, &post("Bonjour à tous"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("duplicate of urn:li:share:7100000000000000001")),
        "{err}"
    );

    // Many posts since: the search pages back through them.
    let first = post("Le tout premier");
    let p = li.publish(&mut creds, &first).await.unwrap();
    for i in 0..120 {
        li.publish(&mut creds, &post(&format!("Billet {i}")))
            .await
            .unwrap();
        // Distinct modification times, newest last.
        let mut f = fake.lock().unwrap();
        let last = f.posts.len() - 1;
        f.posts[last].last_modified += i64::from(i) + 1;
    }
    fake.lock().unwrap().log.clear();
    assert_eq!(
        li.find_published(&mut creds, &first).await.unwrap(),
        Some(p)
    );
    let pages = fake
        .lock()
        .unwrap()
        .log
        .iter()
        .filter(|l| *l == "GET /rest/posts")
        .count();
    assert_eq!(pages, 3, "three pages of 50");
}

#[tokio::test]
async fn metrics_and_delete_for_posts_and_comments() {
    let (server, fake) = start().await;
    let li = LinkedIn::new(client());
    let mut creds = credentials(&server, &fake);
    let p = li.publish(&mut creds, &post("Compté")).await.unwrap();
    let c = li
        .publish(&mut creds, &reply(post("Premier commentaire"), &p))
        .await
        .unwrap();
    {
        let mut f = fake.lock().unwrap();
        let stored = f.posts.iter_mut().find(|x| x.urn == p.id).unwrap();
        stored.likes = 12;
        stored.impressions = 1500;
        stored.reshares = 3;
        f.comments[0].likes = 2;
    }
    let m = li.metrics(&mut creds, &p).await.unwrap();
    assert_eq!(
        (m.likes, m.reposts, m.replies, m.quotes, m.views),
        (Some(12), Some(3), Some(1), None, Some(1500))
    );
    let m = li.metrics(&mut creds, &c).await.unwrap();
    assert_eq!((m.likes, m.replies, m.views), (Some(2), Some(0), None));

    // Statistics LinkedIn refuses leave views unknown; the counts stand.
    inject(
        &fake,
        "GET",
        "/rest/organizationalEntityShareStatistics",
        403,
        vec![],
        r#"{"status":403,"code":"ACCESS_DENIED","message":"Not enough permissions"}"#,
    );
    let m = li.metrics(&mut creds, &p).await.unwrap();
    assert_eq!((m.likes, m.views, m.reposts), (Some(12), None, None));

    // Deleting the comment (with the organisation as actor), then the post.
    li.delete(&mut creds, &c).await.unwrap();
    assert!(fake.lock().unwrap().comments[0].deleted);
    li.delete(&mut creds, &c).await.unwrap();
    li.delete(&mut creds, &p).await.unwrap();
    assert!(stored(&fake, &p.id, |p| p.deleted));
    // Again: no error; the post is gone for metrics and for find_published.
    li.delete(&mut creds, &p).await.unwrap();
    let err = li.metrics(&mut creds, &p).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("gone")),
        "{err}"
    );
    assert_eq!(
        li.find_published(&mut creds, &post("Compté"))
            .await
            .unwrap(),
        None
    );

    // An id that is not LinkedIn's never reaches a path.
    let bogus = PublishedPost {
        id: "../rest/organizations/1".into(),
        version: None,
        url: String::new(),
    };
    fake.lock().unwrap().log.clear();
    assert!(matches!(
        li.delete(&mut creds, &bogus).await,
        Err(NetworkError::Rejected(_))
    ));
    assert!(matches!(
        li.metrics(&mut creds, &bogus).await,
        Err(NetworkError::Rejected(_))
    ));
    assert!(matches!(
        li.publish(&mut creds, &reply(post("x"), &bogus)).await,
        Err(NetworkError::Rejected(_))
    ));
    assert!(fake.lock().unwrap().log.is_empty());
}

#[tokio::test]
async fn an_expired_access_token_is_renewed_once() {
    let (server, fake) = start().await;
    let li = LinkedIn::new(client());
    let mut creds = credentials(&server, &fake);
    // LinkedIn expires the access token.
    fake.lock().unwrap().access_token = "at-expired-elsewhere".into();

    let p = li
        .publish(&mut creds, &post("Après renouvellement"))
        .await
        .unwrap();
    assert_eq!(
        stored(&fake, &p.id, |p| p.shown.clone()),
        "Après renouvellement"
    );
    assert!(creds.changed, "the new token must be saved");
    assert_eq!(fake.lock().unwrap().issued, 1);
    assert_eq!(creds.secret("access_token"), Some("at-1"));
    assert_eq!(
        creds.secret("refresh_token"),
        Some("rt-0"),
        "LinkedIn does not rotate it"
    );

    // An image upload meeting an expired token renews as well.
    fake.lock().unwrap().access_token = "at-expired-again".into();
    li.publish(&mut creds, &with_media(post("Image"), "image/png", None))
        .await
        .unwrap();
    assert_eq!(creds.secret("access_token"), Some("at-2"));
}

#[tokio::test]
async fn a_refused_refresh_means_connecting_again() {
    let (server, fake) = start().await;
    let li = LinkedIn::new(client());
    let mut creds = credentials(&server, &fake);
    {
        let mut f = fake.lock().unwrap();
        f.access_token = "at-revoked".into();
        f.refuse_refresh = true;
    }
    let err = li.publish(&mut creds, &post("Refusé")).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("connect the channel again")
            && m.contains("invalid_grant")),
        "{err}"
    );
    assert!(!creds.changed);
    assert_eq!(live_posts(&fake), 0);

    // Without a refresh token (an app without programmatic refresh), or a client secret: the
    // same.
    let mut no_refresh = creds.clone();
    no_refresh.secrets.remove("refresh_token");
    let err = li.verify(&mut no_refresh).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("refresh token")),
        "{err}"
    );
    let mut no_secret = creds.clone();
    no_secret.secrets.remove("client_secret");
    let err = li.verify(&mut no_secret).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("client secret")),
        "{err}"
    );
    // Without any access token, or any page, a person must set the channel up.
    creds.secrets.clear();
    assert!(matches!(
        li.verify(&mut creds).await,
        Err(NetworkError::Misconfigured(_))
    ));
    let mut no_page = credentials(&server, &fake);
    no_page.settings = json!({ "api_base": server.base_url() });
    let err = li.verify(&mut no_page).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Misconfigured(ref m) if m.contains("organization_id")),
        "{err}"
    );
}

#[tokio::test]
async fn limits_failures_and_garbled_answers() {
    let (server, fake) = start().await;
    let li = LinkedIn::new(client());
    let mut creds = credentials(&server, &fake);

    // 429 with Retry-After, in seconds or as a date.
    inject(
        &fake,
        "POST",
        "/rest/posts",
        429,
        vec![("retry-after", "7".into())],
        r#"{"status":429,"message":"Resource level throttle APPLICATION DAY limit for calls to this resource is reached."}"#,
    );
    assert_eq!(
        li.publish(&mut creds, &post("Trop vite"))
            .await
            .unwrap_err(),
        NetworkError::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        }
    );
    let at = (chrono::Utc::now() + chrono::Duration::seconds(120))
        .to_rfc2822()
        .replace("+0000", "GMT");
    inject(
        &fake,
        "GET",
        &format!("/rest/organizations/{ORG}"),
        429,
        vec![("retry-after", at)],
        "{}",
    );
    match li.verify(&mut creds).await.unwrap_err() {
        NetworkError::RateLimited {
            retry_after: Some(wait),
        } => {
            assert!(
                (Duration::from_secs(115)..=Duration::from_secs(120)).contains(&wait),
                "{wait:?}"
            )
        }
        other => panic!("expected a rate limit with a wait, got {other:?}"),
    }
    // Without Retry-After: the scheduler's own back-off.
    inject(&fake, "POST", "/rest/posts", 429, vec![], "{}");
    assert_eq!(
        li.publish(&mut creds, &post("Encore trop vite"))
            .await
            .unwrap_err(),
        NetworkError::RateLimited { retry_after: None }
    );

    // 5xx, on the post or on an upload: worth another try.
    inject(
        &fake,
        "POST",
        "/rest/posts",
        503,
        vec![],
        r#"{"status":503,"message":"Service Unavailable"}"#,
    );
    let err = li.publish(&mut creds, &post("En panne")).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("503")),
        "{err}"
    );
    inject(
        &fake,
        "POST",
        "/rest/images",
        500,
        vec![],
        "<html>oops</html>",
    );
    let err = li
        .publish(
            &mut creds,
            &with_media(post("Image en panne"), "image/png", None),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");

    // A time-out: the fake answers after the client gave up.
    let (server2, slow) = start().await;
    slow.lock().unwrap().inject.push_back(Injected {
        method: "GET",
        path: format!("/rest/organizations/{ORG}"),
        status: 200,
        headers: vec![],
        body: r#"{"localizedName":"Trop tard"}"#.into(),
        delay: Some(Duration::from_secs(3)),
    });
    let impatient = LinkedIn::new(common::client(Duration::from_millis(300)));
    let err = impatient
        .verify(&mut credentials(&server2, &slow))
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");
    assert!(err.is_retryable());

    // A malformed answer: a 200 with truncated JSON, a 201 without the post's URN.
    inject(
        &fake,
        "GET",
        &format!("/rest/organizations/{ORG}"),
        200,
        vec![],
        r#"{"localizedName": "Ac"#,
    );
    let err = li.verify(&mut creds).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("not JSON")),
        "{err}"
    );
    inject(&fake, "POST", "/rest/posts", 201, vec![], "");
    let err = li.publish(&mut creds, &post("Sans URN")).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Transient(ref m) if m.contains("x-restli-id")),
        "{err}"
    );
    inject(
        &fake,
        "POST",
        "/rest/images",
        200,
        vec![],
        r#"{"value": {}}"#,
    );
    let err = li
        .publish(
            &mut creds,
            &with_media(post("Sans adresse"), "image/png", None),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");

    // Refused for good, with LinkedIn's words: a field it rejects; a 403 is for a person.
    let err = li
        .publish(
            &mut creds,
            &with_media(post("Trop décrit"), "image/png", Some(&"a".repeat(4087))),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("too long") && m.contains("altText")),
        "{err}"
    );
    let err = li
        .publish(&mut creds, &post(&"a".repeat(3001)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m) if m.contains("/commentary")),
        "{err}"
    );
    let mut not_admin = credentials(&server, &fake);
    not_admin.settings["organization_id"] = json!("999");
    let err = li
        .publish(&mut not_admin, &post("Pas à moi"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("administrator")),
        "{err}"
    );
    let err = li.verify(&mut not_admin).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Misconfigured(ref m) if m.contains("organization_id")),
        "{err}"
    );
    // A comment on a post that is gone.
    let gone = PublishedPost {
        id: "urn:li:share:42".into(),
        version: None,
        url: String::new(),
    };
    let err = li
        .publish(&mut creds, &reply(post("Orphelin"), &gone))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Rejected(ref m)
            if m.contains("(urn:li:share:42) was deleted")),
        "{err}"
    );

    // A version LinkedIn no longer serves, or no usable setting: a person must fix it.
    let mut sunset = credentials(&server, &fake);
    sunset.settings["version"] = json!("202301");
    let err = li.verify(&mut sunset).await.unwrap_err();
    assert!(
        matches!(err, NetworkError::Misconfigured(ref m) if m.contains("`version`")),
        "{err}"
    );
    sunset.settings["version"] = json!("latest");
    assert!(matches!(
        li.verify(&mut sunset).await,
        Err(NetworkError::Misconfigured(_))
    ));

    // Every injected answer was used, and nothing else is wrong.
    assert!(fake.lock().unwrap().inject.is_empty());
    li.publish(&mut creds, &post("Tout va bien")).await.unwrap();

    // The SSRF guard on refuses loopback.
    let guarded = LinkedIn::new(HttpClient::new(OutboundConfig::default()).unwrap());
    let err = guarded
        .verify(&mut credentials(&server, &fake))
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Misconfigured(_)), "{err}");
}

fn app(server: &MockHttp) -> OAuthApp {
    OAuthApp {
        client_id: CLIENT_ID.into(),
        client_secret: Some(CLIENT_SECRET.into()),
        api_base: Some(server.base_url().to_owned()),
        authorize_base: Some(server.base_url().to_owned()),
    }
}

#[tokio::test]
async fn the_oauth_flow_connects_every_page_the_member_administers() {
    let flow = LinkedInFlow;
    assert_eq!(flow.network(), "linkedin");

    // The consent page: LinkedIn's, every parameter, no PKCE.
    let redirect = "https://relais.example/w/acme/channels/linkedin/callback";
    let url = flow.authorize_url(
        &OAuthApp {
            client_id: CLIENT_ID.into(),
            ..OAuthApp::default()
        },
        redirect,
        "state-123",
        "challenge-ignored",
    );
    let parsed = url::Url::parse(&url).unwrap();
    assert_eq!(
        url.split('?').next(),
        Some("https://www.linkedin.com/oauth/v2/authorization")
    );
    let q: HashMap<String, String> = parsed.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["redirect_uri"], redirect);
    assert_eq!(q["state"], "state-123");
    assert_eq!(
        q["scope"],
        "r_organization_social w_organization_social rw_organization_admin"
    );
    assert_eq!(q.len(), 5, "{q:?}");
    assert!(
        url.contains("scope=r_organization_social%20w_organization_social"),
        "{url}"
    );

    // The code comes back: one account per approved administered page, with its name.
    let (server, fake) = start().await;
    fake.lock()
        .unwrap()
        .acls
        .push(("7777", "Acme Pending", "ADMINISTRATOR", "REQUESTED"));
    fake.lock()
        .unwrap()
        .acls
        .push((ORG, "Acme Coop", "ADMINISTRATOR", "APPROVED"));
    fake.lock()
        .unwrap()
        .codes
        .insert("code-1".into(), redirect.into());
    let http = client();
    let accounts = flow
        .connect(&http, &app(&server), "code-1", "", redirect)
        .await
        .unwrap();
    let names: Vec<(&str, &str, &str)> = accounts
        .iter()
        .map(|a| (a.network, a.account_id.as_str(), a.display.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("linkedin", ORG, "Acme Coop"),
            ("linkedin", OTHER_ORG, "Acme Labs")
        ]
    );
    let creds = &accounts[0].credentials;
    assert_eq!(creds.setting("organization_id"), Some(ORG));
    assert_eq!(creds.setting("client_id"), Some(CLIENT_ID));
    assert_eq!(creds.secret("access_token"), Some("at-1"));
    assert_eq!(creds.secret("refresh_token"), Some("rt-1"));
    assert_eq!(creds.secret("client_secret"), Some(CLIENT_SECRET));
    assert!(creds.changed);
    // The channel publishes at once, as its page.
    let mut creds = accounts[1].credentials.clone();
    let p = LinkedIn::new(client())
        .publish(&mut creds, &post("Premier billet"))
        .await
        .unwrap();
    assert_eq!(
        stored(&fake, &p.id, |p| p.author.clone()),
        format!("urn:li:organization:{OTHER_ORG}")
    );

    // A code is used once; a wrong redirect address is refused.
    let err = flow
        .connect(&http, &app(&server), "code-1", "", redirect)
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Unauthorized(_)), "{err}");
    fake.lock()
        .unwrap()
        .codes
        .insert("code-2".into(), redirect.into());
    let err = flow
        .connect(
            &http,
            &app(&server),
            "code-2",
            "",
            "https://evil.example/cb",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Unauthorized(_)), "{err}");
    // The app's secret is needed, and must be right.
    let mut no_secret = app(&server);
    no_secret.client_secret = None;
    let err = flow
        .connect(&http, &no_secret, "code-3", "", redirect)
        .await
        .unwrap_err();
    assert!(matches!(err, NetworkError::Misconfigured(_)), "{err}");
    let mut wrong = app(&server);
    wrong.client_secret = Some("wrong".into());
    fake.lock()
        .unwrap()
        .codes
        .insert("code-4".into(), redirect.into());
    let err = flow
        .connect(&http, &wrong, "code-4", "", redirect)
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetworkError::Unauthorized(ref m) if m.contains("invalid_client")),
        "{err}"
    );

    // A member who administers no page: an answer, not an error.
    fake.lock().unwrap().acls.clear();
    fake.lock()
        .unwrap()
        .codes
        .insert("code-5".into(), redirect.into());
    assert!(
        flow.connect(&http, &app(&server), "code-5", "", redirect)
            .await
            .unwrap()
            .is_empty()
    );

    // The token endpoint failing is worth another try.
    inject(&fake, "POST", "/oauth/v2/accessToken", 503, vec![], "{}");
    let err = oauth::refresh(
        &http,
        &oauth::token_url(server.base_url()),
        CLIENT_ID,
        CLIENT_SECRET,
        "rt-1",
    )
    .await
    .unwrap_err();
    assert!(matches!(err, NetworkError::Transient(_)), "{err}");
}

#[tokio::test]
async fn many_administered_pages_are_read_page_by_page() {
    let (server, fake) = start().await;
    let names: Vec<&'static str> = (0..130)
        .map(|i| &*Box::leak(format!("{}", 1_000_000 + i).into_boxed_str()))
        .collect();
    {
        let mut f = fake.lock().unwrap();
        f.acls = names
            .iter()
            .map(|id| (*id, "Page", "ADMINISTRATOR", "APPROVED"))
            .collect();
        f.codes.insert("code".into(), "https://r.example/cb".into());
    }
    let accounts = LinkedInFlow
        .connect(&client(), &app(&server), "code", "", "https://r.example/cb")
        .await
        .unwrap();
    assert_eq!(accounts.len(), 130);
    let acl_calls = fake
        .lock()
        .unwrap()
        .log
        .iter()
        .filter(|l| *l == "GET /rest/organizationAcls")
        .count();
    assert_eq!(acl_calls, 2);
}
