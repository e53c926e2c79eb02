//! Outgoing safety: requests reach only globally routable addresses unless the operator
//! allows private targets. Every range of IANA's IPv4 and IPv6 special-purpose registries
//! that is not globally reachable is refused, and so is any address that wraps a refused
//! IPv4 address (IPv4-mapped, -compatible and -translated, 6to4, NAT64, Teredo). The check
//! is made on the addresses the shared client actually connects to (its DNS resolver drops
//! forbidden ones), so a name that resolves to a private address — or starts to, DNS
//! rebinding — is refused too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

pub const HOW_TO_ALLOW: &str =
    "set HOOKLINE_ALLOW_PRIVATE_TARGETS=true to allow local and private targets";

/// IPv4 ranges that are not globally reachable (RFC 6890 and the IANA registry), as
/// (network, prefix length).
const FORBIDDEN_V4: [([u8; 4], u8); 17] = [
    ([0, 0, 0, 0], 8),       // "this network"
    ([10, 0, 0, 0], 8),      // private
    ([100, 64, 0, 0], 10),   // shared address space (carrier-grade NAT)
    ([127, 0, 0, 0], 8),     // loopback
    ([169, 254, 0, 0], 16),  // link-local (cloud metadata services live here)
    ([172, 16, 0, 0], 12),   // private
    ([192, 0, 0, 0], 24),    // IETF protocol assignments
    ([192, 0, 2, 0], 24),    // documentation (TEST-NET-1)
    ([192, 31, 196, 0], 24), // AS112-v4
    ([192, 52, 193, 0], 24), // AMT
    ([192, 88, 99, 0], 24),  // deprecated 6to4 relay anycast
    ([192, 168, 0, 0], 16),  // private
    ([192, 175, 48, 0], 24), // direct delegation AS112
    ([198, 18, 0, 0], 15),   // benchmarking
    ([198, 51, 100, 0], 24), // documentation (TEST-NET-2)
    ([203, 0, 113, 0], 24),  // documentation (TEST-NET-3)
    ([224, 0, 0, 0], 3),     // multicast 224/4 and reserved 240/4 (with the broadcast address)
];

/// IPv6 ranges that are not globally reachable, and those that only wrap IPv4 addresses
/// (refused whole: a receiver is never addressed so), as (network, prefix length).
const FORBIDDEN_V6: [(u128, u8); 14] = [
    (0, 96),                           // ::/96: unspecified, loopback, IPv4-compatible
    (0xffff_0000_0000, 96),            // ::ffff:0:0/96 IPv4-mapped
    (0xffff_0000_0000_0000, 96),       // ::ffff:0:0:0/96 IPv4-translated
    (0x0064_ff9b_0001 << 80, 48),      // 64:ff9b:1::/48 local-use translation
    (0x0100 << 112, 64),               // 100::/64 discard-only
    (0x0100_0000_0000_0001 << 64, 64), // 100:0:0:1::/64 dummy prefix
    (0x2001 << 112, 23),               // 2001::/23 IETF protocols, Teredo included
    (0x2001_0db8 << 96, 32),           // 2001:db8::/32 documentation
    (0x3fff << 112, 20),               // 3fff::/20 documentation
    (0x5f00 << 112, 16),               // 5f00::/16 segment routing
    (0xfc00 << 112, 7),                // fc00::/7 unique local
    (0xfe80 << 112, 10),               // fe80::/10 link-local
    (0xfec0 << 112, 10),               // fec0::/10 deprecated site-local
    (0xff00 << 112, 8),                // ff00::/8 multicast
];

/// Sub-ranges of 2001::/23 that are globally reachable (IANA), carved out of its refusal.
const GLOBAL_IN_2001_23: [(u128, u8); 6] = [
    (0x2001_0001 << 96 | 1, 128), // 2001:1::1 PCP anycast
    (0x2001_0001 << 96 | 2, 128), // 2001:1::2 TURN anycast
    (0x2001_0003 << 96, 32),      // 2001:3::/32 AMT
    (0x2001_0004_0112 << 80, 48), // 2001:4:112::/48 AS112-v6
    (0x2001_0020 << 96, 28),      // 2001:20::/28 ORCHIDv2
    (0x2001_0030 << 96, 28),      // 2001:30::/28 drone remote ID
];

fn in_v4(ip: Ipv4Addr, (net, len): ([u8; 4], u8)) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
    u32::from(ip) & mask == u32::from_be_bytes(net) & mask
}

fn in_v6(ip: Ipv6Addr, (net, len): (u128, u8)) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
    u128::from(ip) & mask == net & mask
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    FORBIDDEN_V4.iter().any(|r| in_v4(ip, *r))
}

/// The IPv4 address in the last 32 bits of `ip`.
fn low_v4(ip: Ipv6Addr) -> Ipv4Addr {
    Ipv4Addr::from((u128::from(ip) & 0xffff_ffff) as u32)
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    if FORBIDDEN_V6.iter().any(|r| in_v6(ip, *r)) {
        return !GLOBAL_IN_2001_23.iter().any(|r| in_v6(ip, *r));
    }
    let bits = u128::from(ip);
    // 64:ff9b::/96, NAT64: reaches the IPv4 address it wraps, refused when that one is.
    if in_v6(ip, (0x0064_ff9b << 96, 96)) {
        return forbidden_v4(low_v4(ip));
    }
    // 2002::/16, 6to4: the IPv4 address of the relay's far end follows the prefix.
    if in_v6(ip, (0x2002 << 112, 16)) {
        return forbidden_v4(Ipv4Addr::from((bits >> 80) as u32));
    }
    false
}

pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn refused(what: &str) -> String {
    format!("refused: {what} is a private or local address ({HOW_TO_ALLOW})")
}

/// A literal IP in the URL never reaches the resolver, so it is checked on its own.
pub fn literal_refusal(url: &reqwest::Url) -> Option<String> {
    let host = url
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']');
    let ip: IpAddr = host.parse().ok()?;
    is_forbidden(ip).then(|| refused(&ip.to_string()))
}

/// For a request a proxy will make: the URL's name is refused if any of its addresses is
/// (the proxy may connect to any of them).
pub async fn name_refusal(url: &reqwest::Url) -> Option<String> {
    let host = url.host_str()?;
    let port = url.port_or_known_default().unwrap_or(80);
    match tokio::net::lookup_host((host, port)).await {
        Ok(addrs) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            addrs.iter().any(|a| is_forbidden(a.ip())).then(|| {
                format!("refused: {host} resolves to a private or local address ({HOW_TO_ALLOW})")
            })
        }
        // Unknown here: the proxy may know it (a split-horizon DNS); it cannot be private
        // for us, since we found no address at all.
        Err(_) => None,
    }
}

/// The resolver of the shared client: the system's, minus forbidden addresses.
#[derive(Debug, Clone)]
pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = all
                .iter()
                .copied()
                .filter(|a| !is_forbidden(a.ip()))
                .collect();
            if allowed.is_empty() && !all.is_empty() {
                let err: Box<dyn std::error::Error + Send + Sync> = format!(
                    "refused: {host} resolves to a private or local address ({HOW_TO_ALLOW})"
                )
                .into();
                return Err(err);
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One address inside each refused range (and its edges), with what the range is.
    const REFUSED: &[(&str, &str)] = &[
        ("0.0.0.0", "this network"),
        ("0.255.255.255", "this network, last"),
        ("10.0.0.1", "private"),
        ("100.64.0.1", "shared address space"),
        ("100.127.255.254", "shared address space, last"),
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback, last"),
        ("169.254.169.254", "link-local, cloud metadata"),
        ("172.16.5.4", "private"),
        ("172.31.255.255", "private, last"),
        ("192.0.0.1", "IETF protocol assignments"),
        ("192.0.0.9", "IETF protocol assignments, PCP anycast"),
        ("192.0.2.1", "TEST-NET-1"),
        ("192.31.196.1", "AS112-v4"),
        ("192.52.193.1", "AMT"),
        ("192.88.99.1", "6to4 relay anycast"),
        ("192.168.1.1", "private"),
        ("192.175.48.1", "AS112 delegation"),
        ("198.18.0.1", "benchmarking"),
        ("198.19.255.255", "benchmarking, last"),
        ("198.51.100.7", "TEST-NET-2"),
        ("203.0.113.7", "TEST-NET-3"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.255", "multicast, last"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "broadcast"),
        ("::", "unspecified"),
        ("::1", "loopback"),
        ("::127.0.0.1", "IPv4-compatible loopback"),
        ("::8.8.8.8", "IPv4-compatible, even public"),
        ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
        ("::ffff:10.0.0.1", "IPv4-mapped private"),
        ("::ffff:93.184.216.34", "IPv4-mapped, even public"),
        ("::ffff:0:7f00:1", "IPv4-translated loopback"),
        ("64:ff9b::a00:1", "NAT64 of 10.0.0.1"),
        ("64:ff9b::7f00:1", "NAT64 of 127.0.0.1"),
        ("64:ff9b:1::1", "local-use translation"),
        ("100::1", "discard-only"),
        ("100:0:0:1::1", "dummy prefix"),
        ("2001::1", "Teredo"),
        (
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "Teredo, a real-looking one",
        ),
        ("2001:2::1", "benchmarking"),
        ("2001:10::1", "ORCHID, deprecated"),
        ("2001:db8::1", "documentation"),
        ("2002:7f00:1::1", "6to4 of 127.0.0.1"),
        ("2002:a00:1::1", "6to4 of 10.0.0.1"),
        ("2002:a9fe:a9fe::1", "6to4 of 169.254.169.254"),
        ("3fff::1", "documentation (2024)"),
        ("5f00::1", "segment routing"),
        ("fc00::1", "unique local"),
        ("fd00::1", "unique local"),
        ("fe80::1", "link-local"),
        ("fec0::1", "site-local"),
        ("ff02::1", "multicast"),
    ];

    #[test]
    fn refuses_every_special_purpose_range_that_is_not_global() {
        for (ip, what) in REFUSED {
            let parsed: IpAddr = ip.parse().unwrap();
            assert!(is_forbidden(parsed), "{ip} ({what}) must be refused");
        }
    }

    #[test]
    fn allows_global_addresses() {
        for good in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "192.0.1.1",
            "198.20.0.1",
            "223.255.255.254",
            "2606:4700:4700::1111",
            "2a00:1450:4007:80e::200e",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2001:4:112::1",
            "2001:1::1",
            "2001:20::1",
        ] {
            assert!(!is_forbidden(good.parse().unwrap()), "{good} is global");
        }
    }

    #[test]
    fn a_url_with_a_refused_literal_is_caught_in_any_spelling() {
        for url in [
            "http://[::127.0.0.1]/x",
            "http://[::ffff:0:7f00:1]/x",
            "http://[2002:7f00:1::1]/x",
            "http://198.18.0.1/x",
            "http://2130706433/x",
            "http://0x7f.1/x",
            "http://[::ffff:7f00:1]:8080/x",
        ] {
            let parsed = reqwest::Url::parse(url).unwrap();
            assert!(literal_refusal(&parsed).is_some(), "{url}");
        }
        let public = reqwest::Url::parse("https://93.184.216.34/x").unwrap();
        assert_eq!(literal_refusal(&public), None);
    }
}
