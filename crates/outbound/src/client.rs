//! The client itself: reqwest wired to the guard, the time-outs and the body cap.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, RequestBuilder, Url};

use crate::config::OutboundConfig;
use crate::error::OutboundError;
use crate::policy::{GuardPolicy, check_parsed_url, check_url};
use crate::redirect;
use crate::resolver::GuardedResolver;

/// Largest buffer reserved up front from a `Content-Length`; the header is the server's
/// claim, so it only gets to steer a modest allocation.
const MAX_INITIAL_CAPACITY: u64 = 64 * 1024;

/// The outgoing HTTP client shared by every capability. Cheap to clone.
///
/// Every connection it opens, including those of redirects, goes to an address vetted by the
/// SSRF guard; every exchange is bounded in time and response size.
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    policy: Arc<GuardPolicy>,
    config: OutboundConfig,
}

/// A complete response whose body was read within the size cap.
#[derive(Clone)]
pub struct FetchedResponse {
    /// The HTTP status code. Not turned into an error: callers decide what 404 means to them.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// Where the response came from after redirects. May contain userinfo: do not log it.
    pub final_url: Url,
    /// The body, at most `max_response_bytes` long.
    pub body: Vec<u8>,
}

impl HttpClient {
    /// Builds the client. Fails only on an unusable configuration (e.g. a User-Agent with
    /// characters not allowed in a header) or when the TLS stack cannot start.
    pub fn new(config: OutboundConfig) -> Result<Self, OutboundError> {
        let user_agent = HeaderValue::from_str(&config.user_agent).map_err(|_| {
            OutboundError::InvalidConfig(
                "the User-Agent contains characters not allowed in an HTTP header; \
                 use printable ASCII only"
                    .to_owned(),
            )
        })?;
        let policy = Arc::new(config.guard_policy());
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .connect_timeout(config.connect_timeout)
            .timeout(config.total_timeout)
            .redirect(redirect::policy(Arc::clone(&policy), config.max_redirects))
            .dns_resolver(Arc::new(GuardedResolver::new(Arc::clone(&policy))))
            // A proxy would resolve and dial the target itself, out of the guard's reach, and
            // HTTP_PROXY from the environment must not silently switch the guard off.
            .no_proxy()
            // Referer would tell the next host which (possibly private) URL redirected to it.
            .referer(false)
            .build()
            .map_err(|e| OutboundError::InvalidConfig(describe(e)))?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                policy,
                config,
            }),
        })
    }

    /// The configuration the client was built from.
    pub fn config(&self) -> &OutboundConfig {
        &self.inner.config
    }

    /// Starts a request after checking the URL (scheme, IP literal). Add headers or a body to
    /// the builder, then hand it to [`HttpClient::fetch`].
    pub fn request(&self, method: Method, url: &str) -> Result<RequestBuilder, OutboundError> {
        let url = check_url(url, &self.inner.policy)?;
        Ok(self.inner.client.request(method, url))
    }

    /// [`HttpClient::request`] with `GET`.
    pub fn get(&self, url: &str) -> Result<RequestBuilder, OutboundError> {
        self.request(Method::GET, url)
    }

    /// [`HttpClient::request`] with `POST`.
    pub fn post(&self, url: &str) -> Result<RequestBuilder, OutboundError> {
        self.request(Method::POST, url)
    }

    /// Sends `request` and reads the whole response, within the time-out and the size cap.
    ///
    /// The request is sent by this client whichever client the builder came from, and its URL
    /// is checked again here, so a builder whose URL was changed cannot slip past the guard.
    pub async fn fetch(&self, request: RequestBuilder) -> Result<FetchedResponse, OutboundError> {
        let request = request.build().map_err(|e| self.map_error(e))?;
        check_parsed_url(request.url(), &self.inner.policy)?;
        let secret = request.url().password().map(str::to_owned);
        let origin = request.url().origin().ascii_serialization();
        let method = request.method().clone();
        let limit = self.inner.config.total_timeout;

        // reqwest's own total time-out covers the body too, but only while it is polled;
        // this outer bound also covers our reading loop and is the one callers can rely on.
        let result = match tokio::time::timeout(limit, self.exchange(request)).await {
            Ok(result) => result,
            Err(_) => Err(OutboundError::Timeout { limit }),
        };
        let result = result.map_err(|e| scrub(e, secret.as_deref()));
        match &result {
            Ok(response) => tracing::debug!(
                %method,
                %origin,
                status = response.status,
                bytes = response.body.len(),
                "outbound request"
            ),
            Err(err) => tracing::debug!(%method, %origin, %err, "outbound request failed"),
        }
        result
    }

    /// Shorthand for a plain `GET` of `url`.
    pub async fn fetch_url(&self, url: &str) -> Result<FetchedResponse, OutboundError> {
        self.fetch(self.get(url)?).await
    }

    /// The underlying reqwest client, for needs [`HttpClient::fetch`] does not cover
    /// (streaming, for instance).
    ///
    /// Host names and redirects stay guarded, but neither the body cap nor the check of an
    /// IP-literal *first* URL apply: build requests with [`HttpClient::request`] (which checks
    /// the URL) rather than on this client directly, and cap what you read.
    pub fn reqwest(&self) -> &reqwest::Client {
        &self.inner.client
    }

    async fn exchange(&self, request: reqwest::Request) -> Result<FetchedResponse, OutboundError> {
        let max = self.inner.config.max_response_bytes;
        let mut response = self
            .inner
            .client
            .execute(request)
            .await
            .map_err(|e| self.map_error(e))?;
        // Refuse early when the server announces too much; the loop below still enforces the
        // cap when the header is missing (chunked bodies) or lies.
        let announced = response.content_length();
        if announced.is_some_and(|len| len > max) {
            return Err(OutboundError::TooLarge { limit: max });
        }
        if self.inner.config.max_redirects > 0 {
            refuse_unfollowable_redirect(&response)?;
        }
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        let final_url = response.url().clone();

        let initial = announced.unwrap_or(0).min(max).min(MAX_INITIAL_CAPACITY);
        let mut body = Vec::with_capacity(usize::try_from(initial).unwrap_or(0));
        while let Some(chunk) = response.chunk().await.map_err(|e| self.map_error(e))? {
            let len = u64::try_from(body.len()).unwrap_or(u64::MAX);
            let chunk_len = u64::try_from(chunk.len()).unwrap_or(u64::MAX);
            if len.saturating_add(chunk_len) > max {
                return Err(OutboundError::TooLarge { limit: max });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(FetchedResponse {
            status,
            headers,
            final_url,
            body,
        })
    }

    /// Turns a reqwest error into ours, recovering the guard's own errors from the chain
    /// (reqwest wraps what the resolver and the redirect policy return).
    fn map_error(&self, err: reqwest::Error) -> OutboundError {
        if let Some(own) = find_own(&err) {
            return own;
        }
        let cfg = &self.inner.config;
        if err.is_timeout() {
            return if err.is_connect() {
                OutboundError::ConnectTimeout {
                    limit: cfg.connect_timeout,
                }
            } else {
                OutboundError::Timeout {
                    limit: cfg.total_timeout,
                }
            };
        }
        if err.is_connect() {
            OutboundError::Connect(describe(err))
        } else {
            OutboundError::Http(describe(err))
        }
    }
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl FetchedResponse {
    /// True for 2xx statuses.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as text, with invalid UTF-8 replaced rather than failing.
    pub fn text_lossy(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `Content-Type` header, if present and readable.
    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }
}

/// Shows only the origin of the final URL, so that `{:?}` in a log never leaks userinfo,
/// query parameters or tokens in the path.
impl fmt::Debug for FetchedResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FetchedResponse")
            .field("status", &self.status)
            .field("origin", &self.final_url.origin().ascii_serialization())
            .field("headers", &self.headers.len())
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// reqwest quietly hands back a redirect to a non-HTTP scheme (`Location: file:///etc/passwd`)
/// instead of following it. Nothing was fetched, but a caller expecting content would be left
/// with a bare 3xx, so the refusal is made explicit.
fn refuse_unfollowable_redirect(response: &reqwest::Response) -> Result<(), OutboundError> {
    if !response.status().is_redirection() {
        return Ok(());
    }
    let target = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|location| response.url().join(location).ok());
    match target {
        Some(url) if !matches!(url.scheme(), "http" | "https") => Err(
            OutboundError::UnsupportedScheme(url.scheme().chars().take(32).collect()),
        ),
        _ => Ok(()),
    }
}

fn find_own(err: &reqwest::Error) -> Option<OutboundError> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(own) = e.downcast_ref::<OutboundError>() {
            return Some(own.clone());
        }
        current = e.source();
    }
    None
}

/// Describes a reqwest error with its causes (where the useful part, such as "Connection
/// refused", lives), leaving out the URL reqwest attaches.
fn describe(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut current = err.source();
    while let Some(cause) = current {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        current = cause.source();
    }
    text
}

/// Removes the URL's password from free-text messages, as a last line of defence should a
/// lower layer ever quote the URL.
fn scrub(err: OutboundError, secret: Option<&str>) -> OutboundError {
    let Some(secret) = secret.filter(|s| !s.is_empty()) else {
        return err;
    };
    let clean = |text: String| text.replace(secret, "***");
    match err {
        OutboundError::Connect(text) => OutboundError::Connect(clean(text)),
        OutboundError::Http(text) => OutboundError::Http(clean(text)),
        OutboundError::InvalidConfig(text) => OutboundError::InvalidConfig(clean(text)),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_the_password() {
        let err = OutboundError::Http("failed for http://u:s3cret@h/".to_owned());
        assert_eq!(
            scrub(err, Some("s3cret")),
            OutboundError::Http("failed for http://u:***@h/".to_owned())
        );
        let err = OutboundError::Http("unchanged".to_owned());
        assert_eq!(scrub(err.clone(), Some("")), err);
        assert_eq!(scrub(err.clone(), None), err);
    }

    #[test]
    fn invalid_user_agent_is_a_config_error() {
        let cfg = OutboundConfig {
            user_agent: "bad\nagent".to_owned(),
            ..OutboundConfig::default()
        };
        assert!(matches!(
            HttpClient::new(cfg),
            Err(OutboundError::InvalidConfig(_))
        ));
    }

    #[test]
    fn debug_output_hides_userinfo_and_path() {
        let response = FetchedResponse {
            status: 200,
            headers: HeaderMap::new(),
            final_url: Url::parse("https://user:pw@example.org/hooks/token?key=k")
                .expect("valid URL"),
            body: b"ok".to_vec(),
        };
        let text = format!("{response:?}");
        assert!(text.contains("https://example.org"), "{text}");
        for secret in ["user", "pw", "token", "key"] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}
