//! YouTube's resumable upload protocol (the "Resumable Uploads" guide of the Data API), as
//! the connector drives it:
//!
//! 1. `POST /upload/youtube/v3/videos?uploadType=resumable&part=snippet,status` with the video
//!    resource as JSON and `X-Upload-Content-Length` / `X-Upload-Content-Type` for the file;
//!    YouTube answers 200 with the session's address in `Location`.
//! 2. `PUT` the file to that address in chunks, each a multiple of 256 KiB but the last, with
//!    `Content-Range: bytes a-b/total`. YouTube answers `308 Resume Incomplete` with
//!    `Range: bytes=0-n` (what it holds, which may be less than was sent: the next chunk starts
//!    at n+1), and the last chunk `200`/`201` with the video resource.
//! 3. A chunk that fails on the way (5xx, 408, time-out, connection reset, an answer that
//!    cannot be read) is followed, after a pause that doubles each time, by an empty `PUT` with
//!    `Content-Range: bytes */total`, which says where the upload stands: a 308 with a `Range`
//!    (or without, for nothing received: start again from byte 0), or the finished video when
//!    the last chunk had arrived and only its answer was lost. Then the upload goes on from
//!    there. After [`MAX_CHUNK_FAILURES`] failures in a row without progress, the error is
//!    returned (transient: the job tries again later).
//! 4. A session that answers 404 or 410 has expired (YouTube keeps them about a week): a new one
//!    is started, at most [`MAX_SESSIONS`] times in all.
//!
//! A 401 on a chunk renews the access token once and asks where the upload stands.
//!
//! The session lives only in this call: if the process dies during an upload, the next attempt
//! starts a new session from byte 0 (keeping the session address across a crash would need
//! the publisher to store it, which it does not). Nothing is published twice that way: YouTube
//! makes the video only when the last byte arrives.
//!
//! The session's `PUT`s go through a client that does not follow redirects: a 308 here is
//! "Resume Incomplete", not a redirect, and must come back as it is even should it carry a
//! `Location`, which Google's own client libraries take as the session's new address, and so
//! does this connector.

use std::time::Duration;

use relais_outbound::HttpClient;
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::api::{self, Failure};
use super::{Settings, YouTube};
use crate::{Credentials, MediaFile, NetworkError};

/// Chunks (but the last) must be a multiple of this.
pub const CHUNK_UNIT: usize = 256 * 1024;
/// Failed chunks in a row (without any progress between them) before giving up.
pub(crate) const MAX_CHUNK_FAILURES: u32 = 5;
/// Sessions started for one upload, the first included.
pub(crate) const MAX_SESSIONS: u32 = 3;
/// The longest pause between two tries, as a multiple of the first.
const MAX_PAUSE_FACTOR: u32 = 16;

/// An upload session.
struct Session {
    uri: String,
    /// The access token goes only to the API's own origin.
    bearer: bool,
    api_base: String,
}

impl Session {
    /// A 308 may carry the session's new address in `Location`: it is used from then on.
    fn follow(&mut self, headers: &HeaderMap) {
        if headers.contains_key("location")
            && let Ok(moved) = session_of(headers, &self.uri, &self.api_base)
        {
            *self = moved;
        }
    }
}

/// What one `PUT` to the session gave.
enum Step {
    /// The video resource: the upload is finished.
    Done(Value),
    /// YouTube holds the bytes before this offset and wants the rest.
    Holds(u64),
    /// The session has expired: a new one is needed.
    Gone,
    /// The chunk may not have arrived: ask where the upload stands.
    Interrupted(NetworkError),
    /// Refused: what it means depends on the status.
    Refused(Failure),
}

impl YouTube {
    /// Uploads `media` as the video described by `metadata` (a `video` resource with its
    /// `snippet` and `status`); returns the video resource YouTube made.
    pub(crate) async fn upload_video(
        &self,
        creds: &mut Credentials,
        metadata: &Value,
        media: &MediaFile,
    ) -> Result<Value, NetworkError> {
        let total = u64::try_from(media.bytes.len()).unwrap_or(u64::MAX);
        let mut renewed = false;
        for started in 1..=MAX_SESSIONS {
            let mut session = self.start_session(creds, metadata, media).await?;
            match self
                .send_file(creds, &mut session, media, total, &mut renewed)
                .await?
            {
                Some(video) => return Ok(video),
                None => tracing::info!(
                    started,
                    "a YouTube upload session expired; starting a new one"
                ),
            }
        }
        Err(NetworkError::Transient(format!(
            "YouTube's upload sessions expired {MAX_SESSIONS} times in a row; try again later"
        )))
    }

    /// Step 1: a new session.
    async fn start_session(
        &self,
        creds: &mut Credentials,
        metadata: &Value,
        media: &MediaFile,
    ) -> Result<Session, NetworkError> {
        let api_base = Settings::of(creds)?.api_base;
        let url = format!("{api_base}/upload/youtube/v3/videos");
        let headers = [
            ("x-upload-content-length", media.bytes.len().to_string()),
            ("x-upload-content-type", media.mime.clone()),
        ];
        let query = [("uploadType", "resumable"), ("part", "snippet,status")];
        let reply = match self
            .call(creds, Method::POST, &url, &query, Some(metadata), &headers)
            .await?
        {
            Ok(reply) => reply,
            Err(f) => return Err(f.into_network_error()),
        };
        session_of(&reply.headers, &url, &api_base)
    }

    /// Steps 2 to 4 on one session: the video, or `None` when the session expired.
    async fn send_file(
        &self,
        creds: &mut Credentials,
        session: &mut Session,
        media: &MediaFile,
        total: u64,
        renewed: &mut bool,
    ) -> Result<Option<Value>, NetworkError> {
        let mut offset: u64 = 0;
        let mut furthest: u64 = 0;
        let mut failures: u32 = 0;
        let mut ask = false;
        loop {
            let token = Self::token(creds)?;
            let step = if ask {
                self.put(
                    session,
                    &token,
                    format!("bytes */{total}"),
                    Vec::new(),
                    None,
                )
                .await?
            } else {
                let end = offset.saturating_add(self.chunk_size as u64).min(total);
                let (from, to) = (usize::try_from(offset), usize::try_from(end));
                let (Ok(from), Ok(to)) = (from, to) else {
                    return Err(NetworkError::Transient("an offset out of range".into()));
                };
                let range = format!("bytes {offset}-{}/{total}", end - 1);
                let chunk = media.bytes[from..to].to_vec();
                self.put(session, &token, range, chunk, Some(&media.mime))
                    .await?
            };
            let failed = match step {
                Step::Done(video) => return Ok(Some(video)),
                Step::Gone => return Ok(None),
                Step::Holds(held) if held > total => {
                    return Err(NetworkError::Transient(format!(
                        "YouTube says it holds {held} bytes of a {total}-byte video"
                    )));
                }
                Step::Holds(held) => {
                    if held > furthest {
                        furthest = held;
                        failures = 0;
                    }
                    offset = held;
                    // Every byte is there but the upload is not finished: ask again, as after
                    // a failure (bounded the same way).
                    ask = held == total;
                    ask.then(|| {
                        NetworkError::Transient(
                            "YouTube holds the whole video but did not finish the upload".into(),
                        )
                    })
                }
                Step::Refused(f) if f.status == 401 && !*renewed => {
                    *renewed = true;
                    let settings = Settings::of(creds)?;
                    self.renew(creds, &settings, &f).await?;
                    ask = true;
                    None
                }
                Step::Refused(f) => return Err(f.into_network_error()),
                Step::Interrupted(e) => {
                    ask = true;
                    Some(e)
                }
            };
            if let Some(e) = failed {
                failures += 1;
                if failures > MAX_CHUNK_FAILURES {
                    return Err(e);
                }
                tracing::info!(failures, error = %e, "a YouTube upload chunk failed; resuming");
                tokio::time::sleep(self.pause(failures)).await;
            }
        }
    }

    /// The pause before try `n` (from 1): the base pause, doubled each time, within bounds.
    pub(super) fn pause(&self, n: u32) -> Duration {
        let factor = 1u32
            .checked_shl(n.saturating_sub(1))
            .unwrap_or(MAX_PAUSE_FACTOR)
            .min(MAX_PAUSE_FACTOR);
        self.retry_pause.saturating_mul(factor)
    }

    /// One `PUT` to the session: a chunk, or (empty, `bytes */total`) a question.
    async fn put(
        &self,
        session: &mut Session,
        token: &str,
        content_range: String,
        body: Vec<u8>,
        mime: Option<&str>,
    ) -> Result<Step, NetworkError> {
        let mut request = self
            .upload_http
            .request(Method::PUT, &session.uri)
            .map_err(api::transport)?
            .header("content-range", content_range);
        if session.bearer {
            request = request.bearer_auth(token);
        }
        if let Some(mime) = mime {
            request = request.header("content-type", mime);
        }
        let response = match self.upload_http.fetch(request.body(body)).await {
            Ok(r) => r,
            Err(e) => {
                return match api::transport(e) {
                    e @ NetworkError::Transient(_) => Ok(Step::Interrupted(e)),
                    e => Err(e),
                };
            }
        };
        Ok(match response.status {
            200 | 201 => match serde_json::from_slice::<Value>(&response.body) {
                Ok(video) if video.get("id").is_some() => Step::Done(video),
                // The video exists but its answer cannot be read: the question gives it again.
                _ => Step::Interrupted(NetworkError::Transient(
                    "YouTube finished the upload with an answer that cannot be read".into(),
                )),
            },
            308 => {
                session.follow(&response.headers);
                match held(&response.headers) {
                    Some(held) => Step::Holds(held),
                    None => Step::Interrupted(NetworkError::Transient(
                        "YouTube answered 308 with a Range that cannot be read".into(),
                    )),
                }
            }
            404 | 410 => Step::Gone,
            408 | 500..=599 => {
                let f = api::failure(response.status, &response.headers, &response.body);
                Step::Interrupted(NetworkError::Transient(format!(
                    "HTTP {}: {}",
                    f.status,
                    f.detail()
                )))
            }
            status => Step::Refused(api::failure(status, &response.headers, &response.body)),
        })
    }
}

/// How many bytes a 308 says YouTube holds: `Range: bytes=0-n` is n+1; no `Range` is none.
/// `None` for a `Range` that cannot be read.
fn held(headers: &HeaderMap) -> Option<u64> {
    let Some(range) = headers.get("range") else {
        return Some(0);
    };
    let last = range
        .to_str()
        .ok()?
        .trim()
        .strip_prefix("bytes=0-")?
        .trim()
        .parse::<u64>()
        .ok()?;
    last.checked_add(1)
}

/// The session in a start's answer: its `Location`, resolved against the address asked.
fn session_of(headers: &HeaderMap, asked: &str, api_base: &str) -> Result<Session, NetworkError> {
    let location = headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            NetworkError::Transient(
                "YouTube started an upload session without giving its address (Location)".into(),
            )
        })?;
    let uri = url::Url::parse(asked)
        .and_then(|base| base.join(location))
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| {
            NetworkError::Transient(
                "YouTube gave an upload session address that cannot be used".into(),
            )
        })?;
    let bearer = url::Url::parse(api_base).is_ok_and(|base| base.origin() == uri.origin());
    Ok(Session {
        uri: uri.to_string(),
        bearer,
        api_base: api_base.to_owned(),
    })
}

/// The client for the session's `PUT`s: the shared client's settings, redirects off.
pub(crate) fn upload_client(http: &HttpClient) -> HttpClient {
    let config = relais_outbound::OutboundConfig {
        max_redirects: 0,
        ..http.config().clone()
    };
    HttpClient::new(config).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "no separate client for YouTube uploads; using the shared one");
        http.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("header value"));
        }
        h
    }

    #[test]
    fn ranges_say_where_to_go_on() {
        assert_eq!(
            held(&headers(&[("range", "bytes=0-262143")])),
            Some(262_144)
        );
        assert_eq!(held(&headers(&[("range", "bytes=0-0")])), Some(1));
        assert_eq!(held(&HeaderMap::new()), Some(0));
        assert_eq!(held(&headers(&[("range", "bytes=5-10")])), None);
        assert_eq!(held(&headers(&[("range", "soon")])), None);
    }

    #[test]
    fn sessions_come_from_the_location() {
        let base = "https://www.googleapis.com";
        let asked = "https://www.googleapis.com/upload/youtube/v3/videos";
        let s = session_of(
            &headers(&[(
                "location",
                "https://www.googleapis.com/upload/youtube/v3/videos?uploadType=resumable&upload_id=xa",
            )]),
            asked,
            base,
        )
        .expect("a session");
        assert!(s.uri.ends_with("upload_id=xa") && s.bearer);
        let s = session_of(
            &headers(&[("location", "/upload/youtube/v3/videos?upload_id=xb")]),
            asked,
            base,
        )
        .expect("a session");
        assert_eq!(
            s.uri,
            "https://www.googleapis.com/upload/youtube/v3/videos?upload_id=xb"
        );
        // Another host gets the bytes but not the token.
        let s = session_of(
            &headers(&[("location", "https://uploads.example/s/1")]),
            asked,
            base,
        )
        .expect("a session");
        assert!(!s.bearer);
        assert!(matches!(
            session_of(&HeaderMap::new(), asked, base),
            Err(NetworkError::Transient(_))
        ));
        assert!(matches!(
            session_of(&headers(&[("location", "ftp://x/y")]), asked, base),
            Err(NetworkError::Transient(_))
        ));
    }
}
