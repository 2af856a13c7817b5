//! The guard's policy and the URL check built on it. Pure: no I/O.
//!
//! Addresses reach the client two ways, and both are covered:
//! - host names are resolved by [`crate::resolver`], which vets every address it returns, so the
//!   connection can only go to an address that passed the guard (no DNS-rebinding window);
//! - IP literals (`http://10.0.0.1/`, `http://[::1]/`) never go through a resolver, so they are
//!   vetted here, on the URL itself, for the first request and for every redirect.

use std::net::IpAddr;

use url::{Host, Url};

use crate::error::OutboundError;
use crate::guard::classify;

/// Which addresses the client may connect to.
///
/// The default refuses every private or internal address (see [`crate::classify`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuardPolicy {
    /// Lifts the guard entirely. For tests and installations whose services all live on the
    /// local network; the binary sets it from `RELAIS_ALLOW_PRIVATE_ADDRESSES=true`.
    pub allow_private_addresses: bool,
    /// Exact addresses allowed even though the guard would refuse them, e.g. the one LAN
    /// service an installation talks to. No ranges on purpose: each exception is deliberate.
    pub allowed_private: Vec<IpAddr>,
}

impl GuardPolicy {
    /// Why `ip` must not be contacted under this policy, or `None` when it may be.
    pub fn forbidden_reason(&self, ip: IpAddr) -> Option<&'static str> {
        if self.allow_private_addresses || self.is_explicitly_allowed(ip) {
            return None;
        }
        classify(ip)
    }

    /// Refuses `ip` with a [`OutboundError::Forbidden`] naming `host`, unless it may be contacted.
    pub fn check_ip(&self, host: &str, ip: IpAddr) -> Result<(), OutboundError> {
        match self.forbidden_reason(ip) {
            None => Ok(()),
            Some(reason) => Err(OutboundError::Forbidden {
                host: host.to_owned(),
                addr: ip,
                reason,
            }),
        }
    }

    /// Compares canonical forms, so that allowing `127.0.0.1` also allows `::ffff:127.0.0.1`
    /// (the same destination) and vice versa.
    fn is_explicitly_allowed(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.allowed_private
            .iter()
            .any(|allowed| allowed.to_canonical() == ip)
    }
}

/// Parses `url` and applies [`check_parsed_url`] to it.
///
/// Never panics and never echoes the URL in its error (it may hold a password).
pub fn check_url(url: &str, policy: &GuardPolicy) -> Result<Url, OutboundError> {
    let parsed = Url::parse(url).map_err(|e| OutboundError::InvalidUrl(e.to_string()))?;
    check_parsed_url(&parsed, policy)?;
    Ok(parsed)
}

/// Checks everything about a URL that can be checked without the network: the scheme must be
/// `http` or `https`, there must be a host, and an IP-literal host must pass the guard.
///
/// Host names are *not* resolved here; the client's resolver vets their addresses at connect
/// time, which is the only moment where the check cannot be raced.
pub fn check_parsed_url(url: &Url, policy: &GuardPolicy) -> Result<(), OutboundError> {
    match url.scheme() {
        "http" | "https" => {}
        other => return Err(OutboundError::UnsupportedScheme(shorten(other))),
    }
    match url.host() {
        None => Err(OutboundError::InvalidUrl("the URL has no host".to_owned())),
        Some(Host::Ipv4(v4)) => policy.check_ip(&v4.to_string(), IpAddr::V4(v4)),
        Some(Host::Ipv6(v6)) => policy.check_ip(&v6.to_string(), IpAddr::V6(v6)),
        Some(Host::Domain(name)) => {
            // The url crate already turns every IP spelling into Host::Ipv4/Ipv6; this is a
            // second line of defence in case some spelling slips through and the connector
            // later recognises it as an address (which would bypass the resolver).
            match name.trim_matches(['[', ']']).parse::<IpAddr>() {
                Ok(ip) => policy.check_ip(name, ip),
                Err(_) => Ok(()),
            }
        }
    }
}

/// Keeps error messages readable when a hostile URL carries an absurdly long scheme.
fn shorten(text: &str) -> String {
    const MAX: usize = 32;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn strict() -> GuardPolicy {
        GuardPolicy::default()
    }

    fn refused_reason(url: &str, policy: &GuardPolicy) -> &'static str {
        match check_url(url, policy) {
            Err(OutboundError::Forbidden { reason, .. }) => reason,
            other => panic!("{url}: expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn public_urls_pass() {
        for url in [
            "https://example.org/",
            "http://example.org:8080/path?q=1#frag",
            "https://93.184.216.34/",
            "https://[2606:4700:4700::1111]/",
            "https://user:secret@example.org/",
        ] {
            assert!(check_url(url, &strict()).is_ok(), "{url} should pass");
        }
    }

    #[test]
    fn names_are_left_to_the_resolver() {
        // localhost is refused later, after resolution: the URL check cannot know its address.
        assert!(check_url("http://localhost:8080/", &strict()).is_ok());
    }

    #[test]
    fn ip_literals_are_vetted() {
        assert_eq!(
            refused_reason("http://127.0.0.1:8080/", &strict()),
            "loopback address"
        );
        assert_eq!(
            refused_reason("http://[::1]/", &strict()),
            "loopback address"
        );
        assert_eq!(
            refused_reason("http://169.254.169.254/latest/meta-data/", &strict()),
            "cloud metadata address"
        );
        assert_eq!(
            refused_reason("http://[::ffff:10.0.0.1]/", &strict()),
            "private address (10.0.0.0/8)"
        );
        assert_eq!(
            refused_reason("http://[fd00:ec2::254]/", &strict()),
            "cloud metadata address"
        );
    }

    #[test]
    fn obfuscated_ipv4_spellings_are_recognised() {
        for url in [
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://0x7f.0.0.1/",
            "http://127.0.0.1./",
            "http://%31%32%37.0.0.1/",
            "http://0/",
        ] {
            let reason = refused_reason(url, &strict());
            assert!(
                reason == "loopback address" || reason == "unspecified address",
                "{url}: {reason}"
            );
        }
    }

    #[test]
    fn other_schemes_are_refused() {
        for (url, scheme) in [
            ("ftp://example.org/file", "ftp"),
            ("file:///etc/passwd", "file"),
            ("gopher://example.org/", "gopher"),
            ("data:text/plain,hello", "data"),
            ("javascript:alert(1)", "javascript"),
            ("ws://example.org/", "ws"),
        ] {
            assert_eq!(
                check_url(url, &strict()),
                Err(OutboundError::UnsupportedScheme(scheme.to_owned())),
                "{url}"
            );
        }
    }

    #[test]
    fn unparsable_urls_are_invalid_and_not_echoed() {
        for url in [
            "",
            "not a url",
            "http://",
            "http://exa mple.org/",
            "/relative/path",
        ] {
            match check_url(url, &strict()) {
                Err(OutboundError::InvalidUrl(msg)) => {
                    assert!(url.is_empty() || !msg.contains(url), "{msg}");
                }
                other => panic!("{url:?}: expected InvalidUrl, got {other:?}"),
            }
        }
    }

    #[test]
    fn refusal_never_mentions_the_password() {
        let err = check_url("http://admin:hunter2@127.0.0.1/", &strict())
            .expect_err("loopback must be refused");
        let text = err.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains("admin"), "{text}");
    }

    #[test]
    fn long_schemes_are_shortened() {
        let url = format!("{}://example.org/", "a".repeat(200));
        match check_url(&url, &strict()) {
            Err(OutboundError::UnsupportedScheme(s)) => assert!(s.len() < 40, "{s}"),
            other => panic!("expected UnsupportedScheme, got {other:?}"),
        }
    }

    #[test]
    fn allow_private_lifts_the_guard() {
        let open = GuardPolicy {
            allow_private_addresses: true,
            allowed_private: Vec::new(),
        };
        assert!(check_url("http://127.0.0.1/", &open).is_ok());
        assert!(check_url("http://[fd00:ec2::254]/", &open).is_ok());
        // ...but not the scheme check.
        assert!(check_url("file:///etc/passwd", &open).is_err());
    }

    #[test]
    fn allow_list_admits_exact_addresses_only() {
        let lan = GuardPolicy {
            allow_private_addresses: false,
            allowed_private: vec![IpAddr::V4(Ipv4Addr::new(192, 168, 1, 10))],
        };
        assert!(check_url("http://192.168.1.10:8080/", &lan).is_ok());
        assert!(check_url("http://[::ffff:192.168.1.10]/", &lan).is_ok());
        assert!(check_url("http://192.168.1.11/", &lan).is_err());
        assert!(check_url("http://127.0.0.1/", &lan).is_err());
    }

    #[test]
    fn allow_list_entry_in_mapped_form_admits_the_ipv4() {
        let lan = GuardPolicy {
            allow_private_addresses: false,
            allowed_private: vec![IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped())],
        };
        assert_eq!(lan.forbidden_reason(IpAddr::V4(Ipv4Addr::LOCALHOST)), None);
        assert_eq!(
            lan.forbidden_reason(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            Some("loopback address")
        );
    }
}
