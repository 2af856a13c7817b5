//! Which IP addresses Relais refuses to talk to. Pure: no I/O.
//!
//! Relais fetches URLs that users type in (webhooks, feeds, link previews, federation...).
//! Without a guard, anyone allowed to type a URL could make the server reach into its own
//! network: the admin interface of the router, a database without password on localhost, or
//! the cloud metadata service that hands out the machine's credentials (server-side request
//! forgery, SSRF). So every address the client is about to connect to goes through
//! [`classify`], which answers with the reason the address is off limits, or `None` for an
//! ordinary public address.
//!
//! The lists follow the IANA special-purpose address registries. When in doubt an address is
//! refused: a false refusal costs an operator one setting, a false acceptance can cost the
//! whole installation.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Reason given for the well-known cloud metadata services.
const METADATA: &str = "cloud metadata address";

/// Cloud metadata services reachable over IPv4: AWS/GCP/Azure/DigitalOcean/OpenStack,
/// Alibaba Cloud and Oracle Cloud. They are refused with their own reason (even though most
/// fall in a refused range anyway) so that the log says plainly what was attempted.
const METADATA_V4: [Ipv4Addr; 3] = [
    Ipv4Addr::new(169, 254, 169, 254),
    Ipv4Addr::new(100, 100, 100, 200),
    Ipv4Addr::new(192, 0, 0, 192),
];

/// Cloud metadata services reachable over IPv6 (AWS Nitro).
const METADATA_V6: [Ipv6Addr; 1] = [Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254)];

/// Refused IPv4 ranges as (network, prefix length, reason). Checked after the single
/// addresses above, so the order inside the table does not matter (ranges do not overlap).
const V4_RANGES: &[(Ipv4Addr, u8, &str)] = &[
    (
        Ipv4Addr::new(0, 0, 0, 0),
        8,
        "\"this network\" address (0.0.0.0/8)",
    ),
    (
        Ipv4Addr::new(10, 0, 0, 0),
        8,
        "private address (10.0.0.0/8)",
    ),
    (
        Ipv4Addr::new(100, 64, 0, 0),
        10,
        "shared address space (100.64.0.0/10, carrier-grade NAT)",
    ),
    (Ipv4Addr::new(127, 0, 0, 0), 8, "loopback address"),
    (Ipv4Addr::new(169, 254, 0, 0), 16, "link-local address"),
    (
        Ipv4Addr::new(172, 16, 0, 0),
        12,
        "private address (172.16.0.0/12)",
    ),
    (
        Ipv4Addr::new(192, 0, 0, 0),
        24,
        "IETF protocol assignment (192.0.0.0/24)",
    ),
    (
        Ipv4Addr::new(192, 0, 2, 0),
        24,
        "documentation address (192.0.2.0/24)",
    ),
    (
        Ipv4Addr::new(192, 88, 99, 0),
        24,
        "deprecated 6to4 relay anycast address (192.88.99.0/24)",
    ),
    (
        Ipv4Addr::new(192, 168, 0, 0),
        16,
        "private address (192.168.0.0/16)",
    ),
    (
        Ipv4Addr::new(198, 18, 0, 0),
        15,
        "benchmarking address (198.18.0.0/15)",
    ),
    (
        Ipv4Addr::new(198, 51, 100, 0),
        24,
        "documentation address (198.51.100.0/24)",
    ),
    (
        Ipv4Addr::new(203, 0, 113, 0),
        24,
        "documentation address (203.0.113.0/24)",
    ),
    (Ipv4Addr::new(224, 0, 0, 0), 4, "multicast address"),
    (
        Ipv4Addr::new(240, 0, 0, 0),
        4,
        "reserved address (240.0.0.0/4)",
    ),
];

/// Refused IPv6 ranges that do not embed an IPv4 address, as (network, prefix length, reason).
/// The first match wins, so a more specific range (Teredo) comes before the one containing it.
const V6_RANGES: &[(Ipv6Addr, u8, &str)] = &[
    (
        Ipv6Addr::new(0x0064, 0xff9b, 0x0001, 0, 0, 0, 0, 0),
        48,
        "local-use NAT64 address (64:ff9b:1::/48)",
    ),
    (
        Ipv6Addr::new(0x0100, 0, 0, 0, 0, 0, 0, 0),
        64,
        "discard-only address (100::/64)",
    ),
    (
        Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0),
        32,
        "Teredo tunnelling address (2001::/32)",
    ),
    (
        Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0),
        23,
        "IETF protocol assignment (2001::/23)",
    ),
    (
        Ipv6Addr::new(0x2001, 0x0db8, 0, 0, 0, 0, 0, 0),
        32,
        "documentation address (2001:db8::/32)",
    ),
    (
        Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
        20,
        "documentation address (3fff::/20)",
    ),
    (
        Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0),
        7,
        "unique local address (fc00::/7)",
    ),
    (
        Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0),
        10,
        "link-local address",
    ),
    (
        Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0),
        10,
        "deprecated site-local address (fec0::/10)",
    ),
    (
        Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0),
        8,
        "multicast address",
    ),
];

/// Tells why `ip` must not be contacted, or `None` when it is an ordinary public address.
///
/// IPv6 forms that carry an IPv4 address (IPv4-mapped, IPv4-compatible, IPv4-translated,
/// NAT64 `64:ff9b::/96` and 6to4 `2002::/16`) are judged by the IPv4 address they lead to,
/// because that is where the packets end up.
pub fn classify(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// [`classify`] for IPv4.
pub fn classify_v4(ip: Ipv4Addr) -> Option<&'static str> {
    if METADATA_V4.contains(&ip) {
        return Some(METADATA);
    }
    if ip.is_broadcast() {
        return Some("broadcast address");
    }
    if ip.is_unspecified() {
        return Some("unspecified address");
    }
    V4_RANGES
        .iter()
        .find(|(net, len, _)| {
            in_prefix(
                u128::from(u32::from(ip)),
                u128::from(u32::from(*net)),
                *len,
                32,
            )
        })
        .map(|(_, _, reason)| *reason)
}

/// [`classify`] for IPv6.
pub fn classify_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if METADATA_V6.contains(&ip) {
        return Some(METADATA);
    }
    if ip.is_unspecified() {
        return Some("unspecified address");
    }
    if ip.is_loopback() {
        return Some("loopback address");
    }
    if let Some(verdict) = classify_embedded_v4(ip) {
        return verdict;
    }
    let bits = u128::from(ip);
    if let Some((_, _, reason)) = V6_RANGES
        .iter()
        .find(|(net, len, _)| in_prefix(bits, u128::from(*net), *len, 128))
    {
        return Some(reason);
    }
    // Only 2000::/3 is handed out as global unicast; everything else is reserved by IANA.
    if !in_prefix(bits, 0x2000_u128 << 112, 3, 128) {
        return Some("reserved address (outside global unicast 2000::/3)");
    }
    None
}

/// Judges the IPv6 forms that lead to an IPv4 address.
///
/// Returns `None` when `ip` is not such a form, `Some(verdict)` when it is, with the verdict
/// being that of the embedded IPv4 address (or a refusal for forms that are never legitimate).
fn classify_embedded_v4(ip: Ipv6Addr) -> Option<Option<&'static str>> {
    let s = ip.segments();
    let o = ip.octets();
    let low_v4 = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    match s {
        // ::ffff:a.b.c.d, IPv4-mapped: the kernel sends these to a.b.c.d.
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(classify_v4(low_v4)),
        // ::a.b.c.d, IPv4-compatible: deprecated since 2006, never used legitimately.
        [0, 0, 0, 0, 0, 0, _, _] => Some(Some(
            classify_v4(low_v4).unwrap_or("deprecated IPv4-compatible address (::/96)"),
        )),
        // ::ffff:0:a.b.c.d, IPv4-translated (SIIT): not routable on the public internet.
        [0, 0, 0, 0, 0xffff, 0, _, _] => Some(Some(
            classify_v4(low_v4).unwrap_or("IPv4-translated address (::ffff:0:0:0/96)"),
        )),
        // 64:ff9b::a.b.c.d, well-known NAT64 prefix: the gateway forwards to a.b.c.d.
        [0x0064, 0xff9b, 0, 0, 0, 0, _, _] => Some(classify_v4(low_v4)),
        // 2002:AABB:CCDD::/48, 6to4: the relay forwards to AA.BB.CC.DD.
        [0x2002, ..] => Some(classify_v4(Ipv4Addr::new(o[2], o[3], o[4], o[5]))),
        _ => None,
    }
}

/// True when the top `len` bits of `addr` and `net` agree, both being `width` bits wide.
fn in_prefix(addr: u128, net: u128, len: u8, width: u32) -> bool {
    let shift = width.saturating_sub(u32::from(len));
    // checked_shr is None for a shift of 128 (prefix length 0): everything matches.
    (addr ^ net).checked_shr(shift).unwrap_or(0) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(addr: &str) -> Option<&'static str> {
        classify(addr.parse().expect("test address must parse"))
    }

    fn assert_refused(addr: &str, expected: &str) {
        match reason(addr) {
            Some(got) => assert!(
                got.contains(expected),
                "{addr}: reason {got:?} should mention {expected:?}"
            ),
            None => panic!("{addr} should be refused ({expected})"),
        }
    }

    fn assert_public(addr: &str) {
        assert_eq!(reason(addr), None, "{addr} should be allowed");
    }

    #[test]
    fn ordinary_public_v4_is_allowed() {
        for a in [
            "1.1.1.1",
            "8.8.8.8",
            "9.255.255.255",
            "11.0.0.0",
            "93.184.216.34",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "169.255.0.0",
            "191.255.255.255",
            "192.0.1.0",
            "192.0.3.0",
            "192.88.98.255",
            "192.88.100.0",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "198.51.99.255",
            "198.51.101.0",
            "203.0.112.255",
            "203.0.114.0",
            "223.255.255.255",
        ] {
            assert_public(a);
        }
    }

    #[test]
    fn private_v4_ranges_and_their_edges() {
        assert_refused("10.0.0.0", "private");
        assert_refused("10.255.255.255", "private");
        assert_public("172.15.255.255");
        assert_refused("172.16.0.0", "private");
        assert_refused("172.31.255.255", "private");
        assert_public("172.32.0.0");
        assert_refused("192.168.0.0", "private");
        assert_refused("192.168.255.255", "private");
    }

    #[test]
    fn loopback_unspecified_this_network_and_broadcast_v4() {
        assert_refused("127.0.0.1", "loopback");
        assert_refused("127.0.0.2", "loopback");
        assert_refused("127.255.255.254", "loopback");
        assert_refused("0.0.0.0", "unspecified");
        assert_refused("0.1.2.3", "this network");
        assert_refused("0.255.255.255", "this network");
        assert_refused("255.255.255.255", "broadcast");
    }

    #[test]
    fn shared_cgnat_range_edges() {
        assert_public("100.63.255.255");
        assert_refused("100.64.0.0", "shared");
        assert_refused("100.127.255.255", "shared");
        assert_public("100.128.0.0");
    }

    #[test]
    fn link_local_and_metadata_v4() {
        assert_refused("169.254.0.0", "link-local");
        assert_refused("169.254.255.255", "link-local");
        assert_refused("169.254.170.2", "link-local");
        assert_refused("169.254.169.254", "metadata");
        assert_refused("100.100.100.200", "metadata");
        assert_refused("192.0.0.192", "metadata");
        assert_refused("100.100.100.201", "shared");
    }

    #[test]
    fn documentation_benchmarking_and_protocol_ranges_v4() {
        assert_refused("192.0.2.1", "documentation");
        assert_refused("198.51.100.255", "documentation");
        assert_refused("203.0.113.7", "documentation");
        assert_refused("198.18.0.0", "benchmarking");
        assert_refused("198.19.255.255", "benchmarking");
        assert_refused("192.0.0.8", "IETF");
        assert_refused("192.88.99.1", "6to4 relay");
    }

    #[test]
    fn multicast_and_reserved_v4() {
        assert_refused("224.0.0.0", "multicast");
        assert_refused("239.255.255.255", "multicast");
        assert_refused("240.0.0.0", "reserved");
        assert_refused("255.255.255.254", "reserved");
    }

    #[test]
    fn ordinary_public_v6_is_allowed() {
        for a in [
            "2001:4860:4860::8888",
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "2001:200::1",
            "2001:db7:ffff::1",
            "2001:db9::1",
            "3ffe::1",
            "3fff:1000::1",
        ] {
            assert_public(a);
        }
    }

    #[test]
    fn special_v6_addresses() {
        assert_refused("::", "unspecified");
        assert_refused("::1", "loopback");
        assert_refused("fe80::1", "link-local");
        assert_refused("febf:ffff::1", "link-local");
        assert_refused("fec0::1", "site-local");
        assert_refused("fc00::1", "unique local");
        assert_refused("fdff:ffff::1", "unique local");
        assert_refused("ff02::1", "multicast");
        assert_refused("ff0e::101", "multicast");
        assert_refused("fd00:ec2::254", "metadata");
        assert_refused("fd00:ec2::253", "unique local");
        assert_refused("2001:db8::1", "documentation");
        assert_refused("3fff::1", "documentation");
        assert_refused("3fff:0fff:ffff::1", "documentation");
        assert_refused("100::1", "discard");
        assert_refused("2001::1", "Teredo");
        assert_refused("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo");
        assert_refused("2001:10::1", "IETF");
        assert_refused("2001:1ff::1", "IETF");
        assert_refused("64:ff9b:1::1", "local-use NAT64");
    }

    #[test]
    fn v6_outside_global_unicast_is_reserved() {
        assert_refused("1::1", "reserved");
        assert_refused("4000::1", "reserved");
        assert_refused("5f00::1", "reserved");
        assert_refused("1fff:ffff::1", "reserved");
        assert_refused("e000::1", "reserved");
    }

    #[test]
    fn ipv4_mapped_is_judged_by_its_ipv4() {
        assert_refused("::ffff:127.0.0.1", "loopback");
        assert_refused("::ffff:10.1.2.3", "private");
        assert_refused("::ffff:169.254.169.254", "metadata");
        assert_refused("::ffff:0.0.0.0", "unspecified");
        assert_refused("::ffff:7f00:1", "loopback");
        assert_public("::ffff:8.8.8.8");
    }

    #[test]
    fn ipv4_compatible_and_translated_are_refused() {
        assert_refused("::127.0.0.1", "loopback");
        assert_refused("::192.168.1.1", "private");
        assert_refused("::8.8.8.8", "IPv4-compatible");
        assert_refused("::ffff:0:127.0.0.1", "loopback");
        assert_refused("::ffff:0:8.8.8.8", "IPv4-translated");
    }

    #[test]
    fn nat64_well_known_prefix_is_judged_by_its_ipv4() {
        assert_refused("64:ff9b::127.0.0.1", "loopback");
        assert_refused("64:ff9b::a9fe:a9fe", "metadata");
        assert_refused("64:ff9b::192.168.0.1", "private");
        assert_public("64:ff9b::8.8.8.8");
        // Just outside the /96: not a NAT64 address, and outside 2000::/3.
        assert_refused("64:ff9b:0:0:0:1::1", "reserved");
    }

    #[test]
    fn six_to_four_is_judged_by_its_ipv4() {
        assert_refused("2002:7f00:1::1", "loopback");
        assert_refused("2002:a00:1::", "private");
        assert_refused("2002:a9fe:a9fe::1", "metadata");
        assert_refused("2002:c0a8:101:1::1", "private");
        assert_public("2002:808:808::1");
    }

    #[test]
    fn prefix_helper_handles_extreme_lengths() {
        assert!(in_prefix(0, u128::MAX, 0, 128));
        assert!(in_prefix(5, 5, 128, 128));
        assert!(!in_prefix(5, 4, 128, 128));
        assert!(in_prefix(0, u128::from(u32::MAX), 0, 32));
    }

    #[test]
    fn every_table_entry_is_a_proper_network_address() {
        for (net, len, _) in V4_RANGES {
            let bits = u32::from(*net);
            assert_eq!(
                bits.checked_shl(u32::from(*len)).unwrap_or(0),
                0,
                "{net}/{len}"
            );
        }
        for (net, len, _) in V6_RANGES {
            let bits = u128::from(*net);
            assert_eq!(
                bits.checked_shl(u32::from(*len)).unwrap_or(0),
                0,
                "{net}/{len}"
            );
        }
    }
}
