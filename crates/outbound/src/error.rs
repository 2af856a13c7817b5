//! The errors of the outgoing HTTP client.
//!
//! Every message says what went wrong *and* what the operator can do about it, because these
//! messages end up in the admin interface and in logs read by people who did not write Relais.
//! No message ever contains a full URL: URLs may carry passwords (userinfo), API keys in the
//! query or secret tokens in the path (webhooks), so at most a host name or an address appears.

use std::net::IpAddr;
use std::time::Duration;

use crate::config::ALLOW_PRIVATE_ENV;

/// Why an outgoing request did not produce a response.
///
/// The type is `Clone` so that the guard can hand the very same error through reqwest's
/// resolver and redirect machinery and [`crate::HttpClient`] can recover it intact.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    /// The SSRF guard refused the destination: it is (or resolves to) a private, loopback,
    /// link-local, metadata or otherwise internal address.
    #[error("{}", forbidden_message(host, addr, reason))]
    Forbidden {
        /// The host as written in the URL (a name, or the address itself).
        host: String,
        /// The address that was refused.
        addr: IpAddr,
        /// Why the address is refused, from [`crate::classify`].
        reason: &'static str,
    },
    /// The URL could not be parsed. The URL itself is left out on purpose (it may hold secrets).
    #[error(
        "invalid URL ({0}): check the address for typos; it must look like https://example.org/path"
    )]
    InvalidUrl(String),
    /// The URL uses a scheme other than `http` or `https`.
    #[error("refused URL with scheme \"{0}\": Relais only fetches http:// and https:// URLs")]
    UnsupportedScheme(String),
    /// The response body is bigger than the configured cap.
    #[error(
        "the response is larger than the limit of {limit} bytes, so Relais stopped reading it; \
         raise max_response_bytes if such large responses are really expected"
    )]
    TooLarge {
        /// The configured cap, in bytes.
        limit: u64,
    },
    /// No connection could be established within the connect time-out.
    #[error(
        "could not connect within {limit:?}: the server is down, unreachable or too slow; \
         try again later"
    )]
    ConnectTimeout {
        /// The configured connect time-out.
        limit: Duration,
    },
    /// The whole exchange (connect, request, response headers and body) took too long.
    #[error(
        "the request did not finish within {limit:?}: the server is too slow or the response \
         too long; try again later"
    )]
    Timeout {
        /// The configured total time-out.
        limit: Duration,
    },
    /// The server redirected more often than allowed (or in a loop).
    #[error(
        "stopped after {limit} redirects: the server redirects in a loop or too often; \
         use the final address directly"
    )]
    TooManyRedirects {
        /// The configured maximum number of redirects.
        limit: usize,
    },
    /// The connection failed (DNS failure, connection refused, TLS failure...).
    #[error("could not connect: {0}; check the address and that the server is up")]
    Connect(String),
    /// Any other failure while sending the request or reading the response.
    #[error("HTTP request failed: {0}")]
    Http(String),
    /// The [`crate::OutboundConfig`] or a request built from it is unusable.
    #[error("invalid outbound HTTP configuration: {0}")]
    InvalidConfig(String),
}

impl OutboundError {
    /// True when the SSRF guard refused the destination, as opposed to a network failure.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Self::Forbidden { .. })
    }
}

fn forbidden_message(host: &str, addr: &IpAddr, reason: &str) -> String {
    let target = if host.trim_matches(['[', ']']) == addr.to_string() {
        addr.to_string()
    } else {
        format!("{host}, which resolves to {addr}")
    };
    format!(
        "refused to connect to {target} ({reason}): Relais does not fetch private or internal \
         addresses; set {ALLOW_PRIVATE_ENV}=true if this service really lives on your network"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn forbidden_literal_message_names_address_reason_and_remedy() {
        let err = OutboundError::Forbidden {
            host: "127.0.0.1".into(),
            addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            reason: "loopback address",
        };
        assert_eq!(
            err.to_string(),
            "refused to connect to 127.0.0.1 (loopback address): Relais does not fetch private \
             or internal addresses; set RELAIS_ALLOW_PRIVATE_ADDRESSES=true if this service \
             really lives on your network"
        );
        assert!(err.is_forbidden());
    }

    #[test]
    fn forbidden_name_message_shows_the_resolved_address() {
        let err = OutboundError::Forbidden {
            host: "localhost".into(),
            addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            reason: "loopback address",
        };
        assert!(
            err.to_string()
                .starts_with("refused to connect to localhost, which resolves to 127.0.0.1")
        );
    }

    #[test]
    fn forbidden_bracketed_ipv6_host_is_not_repeated() {
        let err = OutboundError::Forbidden {
            host: "[::1]".into(),
            addr: "::1".parse().expect("valid address"),
            reason: "loopback address",
        };
        assert!(
            err.to_string()
                .starts_with("refused to connect to ::1 (loopback address)")
        );
    }
}
