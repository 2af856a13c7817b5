//! The one trait every network implements, and the values that cross it.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// What a channel knows to reach its account: public settings (service URL, handle) and
/// secrets (passwords, tokens), in the clear only in memory. A connector may change the
/// secrets (a refreshed token); the caller then seals and stores them again.
#[derive(Clone, Debug, Default)]
pub struct Credentials {
    pub settings: serde_json::Value,
    pub secrets: BTreeMap<String, String>,
    /// Set by the connector when `secrets` changed and must be saved.
    pub changed: bool,
}

impl Credentials {
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings.get(key).and_then(|v| v.as_str())
    }

    pub fn secret(&self, key: &str) -> Option<&str> {
        self.secrets.get(key).map(String::as_str)
    }

    pub fn set_secret(&mut self, key: &str, value: String) {
        if self.secrets.get(key) != Some(&value) {
            self.secrets.insert(key.to_owned(), value);
            self.changed = true;
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaFile {
    pub mime: String,
    pub bytes: Vec<u8>,
    pub alt: Option<String>,
    /// Where the network may fetch the file itself, for networks that take media only by
    /// address (Instagram, Threads): a secret, unguessable address served by Relais under its
    /// public URL. `None` when Relais has no public address.
    pub public_url: Option<String>,
}

/// The post a reply goes under, as the network knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyTarget {
    pub parent: PublishedPost,
    /// The first post of the thread (the parent itself for a direct reply to a root).
    pub root: PublishedPost,
}

/// One post to publish.
#[derive(Clone, Debug)]
pub struct OutgoingPost {
    pub text: String,
    pub media: Vec<MediaFile>,
    pub reply_to: Option<ReplyTarget>,
    /// BCP 47 language tags of the text, when known.
    pub langs: Vec<String>,
    /// Stable for this post whatever the attempt: networks that accept a client-chosen id or an
    /// idempotency key get it, so that a retry after a crash cannot publish twice.
    pub idempotency_key: String,
    /// When the post was written; also feeds deterministic ids such as AT Protocol record keys.
    pub created_at_ms: i64,
}

/// A post as published: the network's id for it, what replies need to point at it, and the
/// address people open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedPost {
    pub id: String,
    /// A content hash or version the network needs for references (AT Protocol's CID).
    pub version: Option<String>,
    pub url: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metrics {
    pub likes: Option<u64>,
    pub reposts: Option<u64>,
    pub replies: Option<u64>,
    pub quotes: Option<u64>,
    pub views: Option<u64>,
}

/// What went wrong, sorted by what the scheduler should do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NetworkError {
    /// Too many requests: wait (as long as the network said, when it said).
    #[error("the network asks to slow down{}", .retry_after.map(|d| format!(" (retry in {} s)", d.as_secs())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    /// The credentials were refused: refresh them, or ask a person to connect the channel again.
    #[error("the network refused the credentials: {0}")]
    Unauthorized(String),
    /// The network refused this post for good (too long, bad media…): retrying cannot help.
    #[error("the network refused the post: {0}")]
    Rejected(String),
    /// A failure that may pass (5xx, time-out, connection refused, garbled answer).
    #[error("the network could not be reached or failed: {0}")]
    Transient(String),
    /// The channel's settings are incomplete or wrong: a person must fix them.
    #[error("the channel is not set up right: {0}")]
    Misconfigured(String),
    /// This network does not offer this through its API.
    #[error("the network does not offer this: {0}")]
    Unsupported(String),
}

impl NetworkError {
    /// Worth another attempt later, unchanged?
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            NetworkError::RateLimited { .. } | NetworkError::Transient(_)
        )
    }
}

#[async_trait]
pub trait Connector: Send + Sync {
    /// The network's name as stored on channels (`bluesky`).
    fn network(&self) -> &'static str;

    /// Checks the credentials (logging in when needed) and returns the account's display
    /// handle; used when a channel is added, so that a typo is caught at once.
    async fn verify(&self, creds: &mut Credentials) -> Result<String, NetworkError>;

    async fn publish(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<PublishedPost, NetworkError>;

    /// The post published under `post.idempotency_key`, if it exists: how the scheduler learns,
    /// after a crash in the middle of `publish`, whether the network got it.
    async fn find_published(
        &self,
        creds: &mut Credentials,
        post: &OutgoingPost,
    ) -> Result<Option<PublishedPost>, NetworkError>;

    async fn delete(
        &self,
        creds: &mut Credentials,
        post: &PublishedPost,
    ) -> Result<(), NetworkError>;

    async fn metrics(
        &self,
        creds: &mut Credentials,
        post: &PublishedPost,
    ) -> Result<Metrics, NetworkError>;
}
