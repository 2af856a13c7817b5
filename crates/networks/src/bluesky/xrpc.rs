//! Calls to a PDS's XRPC endpoints and the mapping of its answers to [`NetworkError`].

use relais_outbound::{HttpClient, OutboundError};
use reqwest::Method;
use serde_json::Value;

use crate::NetworkError;

pub(crate) struct Xrpc<'a> {
    pub http: &'a HttpClient,
    pub service: &'a str,
}

/// What a failed call said, kept for deciding between refresh, retry and refusal.
#[derive(Debug)]
pub(crate) struct XrpcFailure {
    pub status: u16,
    pub error: String,
    pub message: String,
    pub retry_after_s: Option<u64>,
}

impl XrpcFailure {
    pub fn is_expired_token(&self) -> bool {
        self.status == 401
            || (self.status == 400
                && (self.error == "ExpiredToken" || self.error == "InvalidToken"))
    }

    pub fn into_network_error(self) -> NetworkError {
        let detail = if self.message.is_empty() {
            self.error.clone()
        } else {
            format!("{}: {}", self.error, self.message)
        };
        match self.status {
            429 => NetworkError::RateLimited {
                retry_after: self.retry_after_s.map(std::time::Duration::from_secs),
            },
            401 | 403 => NetworkError::Unauthorized(detail),
            400 if self.error == "ExpiredToken" || self.error == "InvalidToken" => {
                NetworkError::Unauthorized(detail)
            }
            400..=499 => NetworkError::Rejected(detail),
            _ => NetworkError::Transient(format!("HTTP {}: {detail}", self.status)),
        }
    }
}

pub(crate) enum Outcome {
    Ok(Value),
    Failed(XrpcFailure),
}

fn transport(e: OutboundError) -> NetworkError {
    match e {
        OutboundError::Forbidden { .. }
        | OutboundError::InvalidUrl(_)
        | OutboundError::UnsupportedScheme(_) => {
            NetworkError::Misconfigured(format!("the service URL cannot be used: {e}"))
        }
        other => NetworkError::Transient(other.to_string()),
    }
}

impl Xrpc<'_> {
    fn url(&self, method: &str) -> String {
        format!("{}/xrpc/{method}", self.service.trim_end_matches('/'))
    }

    /// A procedure (POST) with a JSON body, or raw bytes when `raw` gives a content type.
    pub async fn call(
        &self,
        verb: Method,
        method: &str,
        token: Option<&str>,
        query: &[(&str, &str)],
        json: Option<&Value>,
        raw: Option<(&str, Vec<u8>)>,
    ) -> Result<Outcome, NetworkError> {
        let mut request = self
            .http
            .request(verb, &self.url(method))
            .map_err(transport)?;
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        if let Some(body) = json {
            request = request.json(body);
        }
        if let Some((content_type, bytes)) = raw {
            request = request.header("content-type", content_type).body(bytes);
        }
        let response = self.http.fetch(request).await.map_err(transport)?;
        let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        if (200..300).contains(&response.status) {
            if body.is_null() && !response.body.is_empty() {
                return Err(NetworkError::Transient(format!(
                    "{method} answered something that is not JSON"
                )));
            }
            return Ok(Outcome::Ok(body));
        }
        let retry_after_s = response
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .or_else(|| {
                // AT Protocol PDSes send the reset time as Unix seconds.
                let reset = response
                    .headers
                    .get("ratelimit-reset")?
                    .to_str()
                    .ok()?
                    .trim()
                    .parse::<u64>()
                    .ok()?;
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()?
                    .as_secs();
                Some(reset.saturating_sub(now))
            });
        Ok(Outcome::Failed(XrpcFailure {
            status: response.status,
            error: body
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            message: body
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            retry_after_s,
        }))
    }
}
