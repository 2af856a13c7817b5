//! Feeds arbitrary text to the outbound URL guard.
//!
//! Besides "never panics", it checks the guard's promise: whatever it accepts under the strict
//! policy is an http(s) URL whose IP-literal host, if any, is a public address.

#![no_main]

use std::net::IpAddr;

use libfuzzer_sys::fuzz_target;
use relais_outbound::{GuardPolicy, check_url, classify};
use url::Host;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    let strict = GuardPolicy::default();
    if let Ok(url) = check_url(text, &strict) {
        assert!(matches!(url.scheme(), "http" | "https"), "accepted scheme");
        let ip = match url.host() {
            Some(Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            Some(Host::Domain(name)) => name.trim_matches(['[', ']']).parse().ok(),
            None => panic!("accepted a URL without host"),
        };
        if let Some(ip) = ip {
            assert_eq!(classify(ip), None, "accepted a forbidden address");
        }
    }

    // The same input under the other policies must not panic either, and an error message
    // must never depend on (so never quote) the URL's password.
    let open = GuardPolicy {
        allow_private_addresses: true,
        allowed_private: Vec::new(),
    };
    let listed = GuardPolicy {
        allow_private_addresses: false,
        allowed_private: vec![
            IpAddr::from([127, 0, 0, 1]),
            IpAddr::from([0xfd00_u16, 0, 0, 0, 0, 0, 0, 1]),
        ],
    };
    let with_other_password = url::Url::parse(text).ok().and_then(|mut url| {
        url.password()?;
        url.set_password(Some("other-secret")).ok()?;
        Some(url.to_string())
    });
    for policy in [&strict, &open, &listed] {
        if let (Err(err), Some(other)) = (check_url(text, policy), &with_other_password)
            && let Err(other_err) = check_url(other, policy)
        {
            assert_eq!(
                err.to_string(),
                other_err.to_string(),
                "message depends on the password"
            );
        }
    }

    // Raw bytes as addresses: classification is total.
    if data.len() >= 16 {
        let mut octets = [0_u8; 16];
        octets.copy_from_slice(&data[..16]);
        let _ = classify(IpAddr::from(octets));
        let _ = classify(IpAddr::from([octets[0], octets[1], octets[2], octets[3]]));
    }
});
