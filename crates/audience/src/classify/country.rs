//! Country of an IP address, offline.
//!
//! The answer comes from the regional internet registries' delegation files compiled into
//! `iptocc`: the country a block was delegated to, which is where most of its users are, though
//! not always (roaming, VPNs, multinational networks).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The ISO 3166-1 alpha-2 code of the country an address is delegated to; `None` for private,
/// loopback and unknown addresses.
pub fn country_of(ip: IpAddr) -> Option<[u8; 2]> {
    // A dual-stack socket shows IPv4 visitors as ::ffff:a.b.c.d.
    let ip = ip.to_canonical();
    if !is_routable(ip) {
        return None;
    }
    iptocc::country_code(ip).and_then(two_capitals)
}

/// Addresses that never reach a server from the public internet, or that are shared by many
/// unrelated customers behind one operator (CGNAT), say nothing of a visitor's country.
fn is_routable(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_routable_v4(v4),
        IpAddr::V6(v6) => is_routable_v6(v6),
    }
}

fn is_routable_v4(ip: Ipv4Addr) -> bool {
    let [first, second, ..] = ip.octets();
    let this_network = first == 0;
    let shared_cgnat = first == 100 && (second & 0b1100_0000) == 64;
    let benchmarking = first == 198 && (second & 0b1111_1110) == 18;
    let reserved = first >= 240;
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_documentation()
        || ip.is_broadcast()
        || ip.is_multicast()
        || this_network
        || shared_cgnat
        || benchmarking
        || reserved)
}

fn is_routable_v6(ip: Ipv6Addr) -> bool {
    let [first, second, ..] = ip.segments();
    let unique_local = (first & 0xfe00) == 0xfc00;
    let link_local = (first & 0xffc0) == 0xfe80;
    let documentation = first == 0x2001 && second == 0x0db8;
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || unique_local
        || link_local
        || documentation)
}

/// The lookup promises upper-case pairs; checked anyway, as the code is stored as two bytes.
/// The registries also delegate blocks to "EU" (the European Union, reserved in ISO 3166 but
/// no country); those say nothing a visitor's country would, so they count as unknown.
fn two_capitals(code: &str) -> Option<[u8; 2]> {
    match code.as_bytes() {
        b"EU" => None,
        &[a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Some([a, b]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn country(address: &str) -> Option<String> {
        let ip: IpAddr = address.parse().ok()?;
        country_of(ip).map(|code| String::from_utf8_lossy(&code).into_owned())
    }

    #[test]
    fn well_known_public_addresses() {
        assert_eq!(country("8.8.8.8").as_deref(), Some("US"));
        assert_eq!(country("2001:4860:4860::8888").as_deref(), Some("US"));
        // Orange (AS3215) and Free (AS12322), French ISPs.
        assert_eq!(country("90.84.0.1").as_deref(), Some("FR"));
        assert_eq!(country("82.64.0.1").as_deref(), Some("FR"));
        assert_eq!(country("2a01:e00::1").as_deref(), Some("FR"));
        // Deutsche Telekom.
        assert_eq!(country("80.128.0.1").as_deref(), Some("DE"));
    }

    #[test]
    fn ipv4_mapped_ipv6_is_looked_up_as_ipv4() {
        assert_eq!(country("::ffff:8.8.8.8").as_deref(), Some("US"));
        assert_eq!(country("::ffff:82.64.0.1").as_deref(), Some("FR"));
        assert_eq!(country("::ffff:192.168.1.10"), None);
        assert_eq!(country("::ffff:127.0.0.1"), None);
    }

    #[test]
    fn private_and_special_ipv4_have_no_country() {
        for address in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.254",
            "192.168.1.10",
            "169.254.10.20",
            "0.0.0.0",
            "0.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "192.0.2.7",
            "198.51.100.7",
            "203.0.113.7",
            "198.18.0.1",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert_eq!(country(address), None, "{address}");
        }
    }

    #[test]
    fn edges_of_special_ranges_stay_public() {
        // Just outside 172.16/12 and 100.64/10.
        assert!(is_routable_v4(Ipv4Addr::new(172, 32, 0, 1)));
        assert!(is_routable_v4(Ipv4Addr::new(100, 128, 0, 1)));
        assert!(is_routable_v4(Ipv4Addr::new(100, 63, 255, 254)));
        assert!(is_routable_v4(Ipv4Addr::new(198, 20, 0, 1)));
    }

    #[test]
    fn private_and_special_ipv6_have_no_country() {
        for address in [
            "::1",
            "::",
            "fc00::1",
            "fd12:3456:789a::1",
            "fe80::1",
            "febf::1",
            "2001:db8::1",
            "ff02::1",
        ] {
            assert_eq!(country(address), None, "{address}");
        }
        assert!(is_routable_v6(
            "fec0::1".parse().unwrap_or(Ipv6Addr::UNSPECIFIED)
        ));
    }

    #[test]
    fn only_two_capital_letters_are_codes() {
        assert_eq!(two_capitals("FR"), Some(*b"FR"));
        assert_eq!(two_capitals("fr"), None);
        assert_eq!(two_capitals("F"), None);
        assert_eq!(two_capitals("FRA"), None);
        assert_eq!(two_capitals(""), None);
        assert_eq!(two_capitals("É"), None);
        assert_eq!(two_capitals("EU"), None);
    }

    #[test]
    fn every_answer_is_two_capitals_across_the_address_space() {
        // A stride through the whole IPv4 space and a sample of IPv6 must never panic and
        // must only ever yield upper-case pairs.
        let mut found = 0;
        for step in 0..=u16::MAX {
            let v4 = Ipv4Addr::from((u32::from(step) << 16) | 0x0101);
            let v6 = Ipv6Addr::from((u128::from(step) << 112) | 1);
            for ip in [IpAddr::V4(v4), IpAddr::V6(v6)] {
                if let Some(code) = country_of(ip) {
                    found += 1;
                    assert!(code.iter().all(u8::is_ascii_uppercase), "{ip}");
                    assert_ne!(&code, b"EU", "{ip}");
                }
            }
        }
        assert!(found > 10_000, "{found}");
    }
}
