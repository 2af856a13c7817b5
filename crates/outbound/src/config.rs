//! Settings of the outgoing HTTP client.

use std::net::IpAddr;
use std::time::Duration;

use crate::policy::GuardPolicy;

/// The environment variable the binary maps to [`OutboundConfig::allow_private_addresses`].
/// Named in error messages so that operators know which knob to turn.
pub const ALLOW_PRIVATE_ENV: &str = "RELAIS_ALLOW_PRIVATE_ADDRESSES";

/// The User-Agent sent when none is configured. Names the software, so that the operator of a
/// server receiving our requests can tell who is calling; `relais serve` adds the instance's
/// public URL.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "Relais/",
    env!("CARGO_PKG_VERSION"),
    " (self-hosted community management)"
);

/// Default time allowed to establish a connection (DNS, TCP and TLS).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for a whole exchange, from connecting to the last body byte.
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(30);
/// Default cap on a response body: 10 MiB, plenty for feeds, pages and API answers.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 10 * 1024 * 1024;
/// Default number of redirects followed before giving up.
pub const DEFAULT_MAX_REDIRECTS: usize = 5;

/// Everything [`crate::HttpClient::new`] needs. Build it with struct update syntax:
/// `OutboundConfig { allow_private_addresses: true, ..OutboundConfig::default() }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundConfig {
    /// Lifts the SSRF guard entirely (for tests and all-LAN installations).
    pub allow_private_addresses: bool,
    /// Exact addresses allowed even though the guard would refuse them.
    pub allowed_private: Vec<IpAddr>,
    /// Time allowed to establish a connection.
    pub connect_timeout: Duration,
    /// Time allowed for the whole exchange, body included.
    pub total_timeout: Duration,
    /// Largest response body accepted, in bytes; bigger ones fail with
    /// [`crate::OutboundError::TooLarge`] without being read to the end.
    pub max_response_bytes: u64,
    /// Redirects followed before failing; `0` means redirects are returned as they are.
    pub max_redirects: usize,
    /// The User-Agent header sent with every request.
    pub user_agent: String,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        Self {
            allow_private_addresses: false,
            allowed_private: Vec::new(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            total_timeout: DEFAULT_TOTAL_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
        }
    }
}

impl OutboundConfig {
    /// The part of the configuration the SSRF guard works from.
    pub fn guard_policy(&self) -> GuardPolicy {
        GuardPolicy {
            allow_private_addresses: self.allow_private_addresses,
            allowed_private: self.allowed_private.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_safe_and_sensible() {
        let cfg = OutboundConfig::default();
        assert!(!cfg.allow_private_addresses);
        assert!(cfg.allowed_private.is_empty());
        assert_eq!(cfg.connect_timeout, Duration::from_secs(10));
        assert_eq!(cfg.total_timeout, Duration::from_secs(30));
        assert_eq!(cfg.max_response_bytes, 10 * 1024 * 1024);
        assert_eq!(cfg.max_redirects, 5);
        assert!(cfg.user_agent.starts_with("Relais/"));
        assert!(cfg.user_agent.contains(env!("CARGO_PKG_VERSION")));
        assert_eq!(cfg.guard_policy(), GuardPolicy::default());
    }
}
