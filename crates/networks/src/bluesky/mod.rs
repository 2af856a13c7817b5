//! Bluesky, on any AT Protocol PDS (the service URL is a channel setting).
//!
//! Settings: `service` (the PDS, such as `https://bsky.social`), `handle` (or DID) to log in
//! with, and optionally `web` (where people read posts; `https://bsky.app` by default).
//! Secrets: `app_password`, and the session tokens `access_jwt` / `refresh_jwt` it keeps.
//!
//! Exactly once: each post's record key is derived from the post ([`tid::post_tid`]), so that
//! every attempt asks for the same key. A second `createRecord` at that key fails instead of
//! publishing twice, and [`Connector::find_published`] looks the key up.

mod facets;
pub(crate) mod inbox;
#[doc(hidden)]
pub use inbox::fuzzing as inbox_fuzzing;
pub(crate) mod search;
mod tid;
mod xrpc;

use async_trait::async_trait;
use relais_outbound::HttpClient;
use reqwest::Method;
use serde_json::{Value, json};

use crate::{Connector, Credentials, Metrics, NetworkError, OutgoingPost, PublishedPost};
use xrpc::{Outcome, Xrpc, XrpcFailure};

pub use tid::post_tid;

const POST_COLLECTION: &str = "app.bsky.feed.post";
/// Bluesky refuses larger images; checked again here so the answer names the file.
const MAX_IMAGE_BYTES: usize = 1_000_000;

pub struct Bluesky {
    http: HttpClient,
}

impl Bluesky {
    pub fn new(http: HttpClient) -> Self {
        Self { http }
    }

    fn service(creds: &Credentials) -> Result<&str, NetworkError> {
        creds
            .setting("service")
            .filter(|s| s.starts_with("http://") || s.starts_with("https://"))
            .ok_or_else(|| {
                NetworkError::Misconfigured(
                    "the channel has no PDS service URL (such as https://bsky.social)".into(),
                )
            })
    }

    /// Logs in with the app password, keeping the new tokens and DID.
    async fn create_session(&self, creds: &mut Credentials) -> Result<(), NetworkError> {
        let service = Self::service(creds)?.to_owned();
        let identifier = creds
            .setting("handle")
            .ok_or_else(|| {
                NetworkError::Misconfigured("the channel has no handle to log in with".into())
            })?
            .to_owned();
        let password = creds
            .secret("app_password")
            .ok_or_else(|| {
                NetworkError::Misconfigured(
                    "the channel has no app password; connect it again".into(),
                )
            })?
            .to_owned();
        let xrpc = Xrpc {
            http: &self.http,
            service: &service,
        };
        let body = json!({ "identifier": identifier, "password": password });
        match xrpc.call(Method::POST, "com.atproto.server.createSession", None, &[], Some(&body), None).await? {
            Outcome::Ok(v) => self.keep_session(creds, &v),
            Outcome::Failed(f) if f.status == 401 || f.error == "AuthenticationRequired" => Err(NetworkError::Unauthorized(
                "the handle or app password was refused; create a new app password and connect the channel again".into(),
            )),
            Outcome::Failed(f) => Err(f.into_network_error()),
        }
    }

    fn keep_session(&self, creds: &mut Credentials, v: &Value) -> Result<(), NetworkError> {
        let field = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    NetworkError::Transient(format!("the PDS's session answer lacks `{k}`"))
                })
        };
        creds.set_secret("access_jwt", field("accessJwt")?);
        creds.set_secret("refresh_jwt", field("refreshJwt")?);
        creds.set_secret("did", field("did")?);
        Ok(())
    }

    /// Trades the refresh token for new tokens; falls back to a fresh login.
    async fn refresh(&self, creds: &mut Credentials) -> Result<(), NetworkError> {
        if let Some(refresh) = creds.secret("refresh_jwt").map(str::to_owned) {
            let service = Self::service(creds)?.to_owned();
            let xrpc = Xrpc {
                http: &self.http,
                service: &service,
            };
            if let Outcome::Ok(v) = xrpc
                .call(
                    Method::POST,
                    "com.atproto.server.refreshSession",
                    Some(&refresh),
                    &[],
                    None,
                    None,
                )
                .await?
            {
                return self.keep_session(creds, &v);
            }
        }
        self.create_session(creds).await
    }

    /// One authenticated call, refreshing the session once if the token has expired.
    async fn authed(
        &self,
        creds: &mut Credentials,
        verb: Method,
        method: &str,
        query: &[(&str, &str)],
        json: Option<&Value>,
        raw: Option<(&str, Vec<u8>)>,
    ) -> Result<Result<Value, XrpcFailure>, NetworkError> {
        if creds.secret("access_jwt").is_none() {
            self.create_session(creds).await?;
        }
        for attempt in 0..2 {
            let service = Self::service(creds)?.to_owned();
            let token = creds.secret("access_jwt").map(str::to_owned);
            let xrpc = Xrpc {
                http: &self.http,
                service: &service,
            };
            match xrpc
                .call(
                    verb.clone(),
                    method,
                    token.as_deref(),
                    query,
                    json,
                    raw.clone(),
                )
                .await?
            {
                Outcome::Ok(v) => return Ok(Ok(v)),
                Outcome::Failed(f) if attempt == 0 && f.is_expired_token() => {
                    self.refresh(creds).await?
                }
                Outcome::Failed(f) => return Ok(Err(f)),
            }
        }
        Err(NetworkError::Unauthorized(
            "the session could not be renewed".into(),
        ))
    }

    fn did(creds: &Credentials) -> Result<String, NetworkError> {
        creds
            .secret("did")
            .map(str::to_owned)
            .ok_or_else(|| NetworkError::Transient("no session DID".into()))
    }

    fn web_url(creds: &Credentials, did: &str, rkey: &str) -> String {
        let web = creds
            .setting("web")
            .unwrap_or("https://bsky.app")
            .trim_end_matches('/');
        format!("{web}/profile/{did}/post/{rkey}")
    }

    async fn upload_images(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<Vec<Value>, NetworkError> {
        let mut images = Vec::new();
        for (i, m) in post.media.iter().enumerate() {
            if !m.mime.starts_with("image/") {
                return Err(NetworkError::Rejected(format!(
                    "media {} is {}; this connector sends images only",
                    i + 1,
                    m.mime
                )));
            }
            if m.bytes.len() > MAX_IMAGE_BYTES {
                return Err(NetworkError::Rejected(format!(
                    "image {} weighs {} bytes; Bluesky takes at most {MAX_IMAGE_BYTES}: make it smaller",
                    i + 1,
                    m.bytes.len()
                )));
            }
            let blob = match self
                .authed(
                    creds,
                    Method::POST,
                    "com.atproto.repo.uploadBlob",
                    &[],
                    None,
                    Some((&m.mime, m.bytes.clone())),
                )
                .await?
            {
                Ok(v) => v.get("blob").cloned().ok_or_else(|| {
                    NetworkError::Transient("uploadBlob answered without a blob".into())
                })?,
                Err(f) => return Err(f.into_network_error()),
            };
            images.push(json!({ "alt": m.alt.clone().unwrap_or_default(), "image": blob }));
        }
        Ok(images)
    }

    /// A handle's DID, asked of the PDS (which resolves handles of any PDS); `None` if unknown.
    async fn resolve_handle(&self, service: &str, handle: String) -> Option<String> {
        let xrpc = Xrpc {
            http: &self.http,
            service,
        };
        match xrpc
            .call(
                Method::GET,
                "com.atproto.identity.resolveHandle",
                None,
                &[("handle", &handle)],
                None,
                None,
            )
            .await
        {
            Ok(Outcome::Ok(v)) => v.get("did").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        }
    }

    async fn get_post_record(
        &self,
        creds: &mut Credentials,
        rkey: &str,
    ) -> Result<Option<PublishedPost>, NetworkError> {
        let did = match creds.secret("did") {
            Some(d) => d.to_owned(),
            None => {
                self.create_session(creds).await?;
                Self::did(creds)?
            }
        };
        let query = [
            ("repo", did.as_str()),
            ("collection", POST_COLLECTION),
            ("rkey", rkey),
        ];
        match self
            .authed(
                creds,
                Method::GET,
                "com.atproto.repo.getRecord",
                &query,
                None,
                None,
            )
            .await?
        {
            Ok(v) => {
                let uri = v
                    .get("uri")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let cid = v.get("cid").and_then(Value::as_str).map(str::to_owned);
                Ok(Some(PublishedPost {
                    id: uri,
                    version: cid,
                    url: Self::web_url(creds, &did, rkey),
                }))
            }
            Err(f) if f.error == "RecordNotFound" || f.status == 404 => Ok(None),
            // Older PDSes answer a missing record with a plain 400 InvalidRequest.
            Err(f)
                if f.status == 400
                    && f.message
                        .to_ascii_lowercase()
                        .contains("could not locate record") =>
            {
                Ok(None)
            }
            Err(f) => Err(f.into_network_error()),
        }
    }
}

/// The record key of an `at://did/collection/rkey` URI.
fn rkey_of(uri: &str) -> Option<&str> {
    uri.rsplit('/').next().filter(|k| !k.is_empty())
}

#[async_trait]
impl Connector for Bluesky {
    fn network(&self) -> &'static str {
        "bluesky"
    }

    async fn verify(&self, creds: &mut Credentials) -> Result<String, NetworkError> {
        self.create_session(creds).await?;
        match self
            .authed(
                creds,
                Method::GET,
                "com.atproto.server.getSession",
                &[],
                None,
                None,
            )
            .await?
        {
            Ok(v) => Ok(v
                .get("handle")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()),
            Err(f) => Err(f.into_network_error()),
        }
    }

    async fn publish(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<PublishedPost, NetworkError> {
        let rkey = post_tid(post.created_at_ms, &post.idempotency_key);
        let images = self.upload_images(creds, post).await?;
        if creds.secret("did").is_none() {
            self.create_session(creds).await?;
        }
        let did = Self::did(creds)?;
        let created_at = rfc3339_millis(post.created_at_ms);
        let mut record = json!({
            "$type": POST_COLLECTION,
            "text": post.text,
            "createdAt": created_at,
        });
        let service = Self::service(creds)?.to_owned();
        let facets =
            facets::for_text(&post.text, |handle| self.resolve_handle(&service, handle)).await;
        if !facets.is_empty() {
            record["facets"] = Value::Array(facets);
        }
        if !post.langs.is_empty() {
            record["langs"] = json!(post.langs);
        }
        if !images.is_empty() {
            record["embed"] = json!({ "$type": "app.bsky.embed.images", "images": images });
        }
        if let Some(reply) = &post.reply_to {
            let strong = |p: &PublishedPost| json!({ "uri": p.id, "cid": p.version.clone().unwrap_or_default() });
            record["reply"] =
                json!({ "root": strong(&reply.root), "parent": strong(&reply.parent) });
        }
        let body =
            json!({ "repo": did, "collection": POST_COLLECTION, "rkey": rkey, "record": record });
        match self
            .authed(
                creds,
                Method::POST,
                "com.atproto.repo.createRecord",
                &[],
                Some(&body),
                None,
            )
            .await?
        {
            Ok(v) => {
                let uri = v
                    .get("uri")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let cid = v.get("cid").and_then(Value::as_str).map(str::to_owned);
                let key = rkey_of(&uri).unwrap_or(&rkey).to_owned();
                Ok(PublishedPost {
                    id: uri,
                    version: cid,
                    url: Self::web_url(creds, &did, &key),
                })
            }
            // The key may be taken by an earlier attempt of this very post (PDSes answer that
            // with 400 or 500), or the write may have landed before a failure was reported:
            // either way the record exists, and saying so is the exactly-once answer.
            Err(f) if f.status != 429 && f.status != 401 => {
                match self.get_post_record(creds, &rkey).await? {
                    Some(existing) => Ok(existing),
                    None => Err(f.into_network_error()),
                }
            }
            Err(f) => Err(f.into_network_error()),
        }
    }

    async fn find_published(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<Option<PublishedPost>, NetworkError> {
        self.get_post_record(creds, &post_tid(post.created_at_ms, &post.idempotency_key))
            .await
    }

    async fn delete(
        &self,
        creds: &mut Credentials,
        post: &PublishedPost,
    ) -> Result<(), NetworkError> {
        let rkey = rkey_of(&post.id)
            .ok_or_else(|| NetworkError::Rejected(format!("`{}` is not a post URI", post.id)))?
            .to_owned();
        if creds.secret("did").is_none() {
            self.create_session(creds).await?;
        }
        let did = Self::did(creds)?;
        let body = json!({ "repo": did, "collection": POST_COLLECTION, "rkey": rkey });
        match self
            .authed(
                creds,
                Method::POST,
                "com.atproto.repo.deleteRecord",
                &[],
                Some(&body),
                None,
            )
            .await?
        {
            Ok(_) => Ok(()),
            Err(f) => Err(f.into_network_error()),
        }
    }

    async fn metrics(
        &self,
        creds: &mut Credentials,
        post: &PublishedPost,
    ) -> Result<Metrics, NetworkError> {
        // Counts live in the AppView; the PDS forwards app.bsky.* calls to the one it uses.
        match self
            .authed(
                creds,
                Method::GET,
                "app.bsky.feed.getPosts",
                &[("uris", post.id.as_str())],
                None,
                None,
            )
            .await?
        {
            Ok(v) => {
                let p = v
                    .get("posts")
                    .and_then(|p| p.get(0))
                    .cloned()
                    .unwrap_or(Value::Null);
                let count = |k: &str| p.get(k).and_then(Value::as_u64);
                Ok(Metrics {
                    likes: count("likeCount"),
                    reposts: count("repostCount"),
                    replies: count("replyCount"),
                    quotes: count("quoteCount"),
                    views: None,
                })
            }
            Err(f) if f.status == 501 || f.status == 404 || f.error == "MethodNotImplemented" => {
                Err(NetworkError::Unsupported(
                    "this PDS has no AppView to count likes and reposts".into(),
                ))
            }
            Err(f) => Err(f.into_network_error()),
        }
    }
}

/// RFC 3339 in UTC with milliseconds, as AT Protocol records expect (`createdAt`).
fn rfc3339_millis(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_at_is_rfc3339_utc_with_millis() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339_millis(1_700_000_000_123),
            "2023-11-14T22:13:20.123Z"
        );
        assert_eq!(rfc3339_millis(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn rkeys_come_from_uris() {
        assert_eq!(
            rkey_of("at://did:plc:abc/app.bsky.feed.post/3kabc"),
            Some("3kabc")
        );
        assert_eq!(rkey_of("at://did:plc:abc/app.bsky.feed.post/"), None);
    }
}
