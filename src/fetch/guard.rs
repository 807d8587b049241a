//! The private-network guard: a feed whose configured URL points at the public internet must not
//! be able to steer mirsad, through redirects, at loopback, the LAN or cloud metadata services.
//!
//! Three pieces, each testable on its own:
//! - [`is_private`] classifies one IP address;
//! - [`redirect_decision`] is the pure policy "configured URL public + redirect target private ⇒
//!   refuse", for the part that can be decided from the URLs alone (literal IP targets);
//! - [`GuardedResolver`] is the DNS resolver of the guarded `reqwest::Client`: it drops private
//!   addresses at connect time, so a name that resolves (or re-resolves, DNS rebinding) to a
//!   private address is refused even though its URL looked harmless.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// True for addresses that are not reachable on the public internet: loopback, RFC 1918
/// private ranges, link-local, CGNAT (100.64/10), "this network" (0/8), multicast, broadcast and
/// reserved space, the IPv6 equivalents, and IPv4 addresses embedded in IPv6 (mapped,
/// compatible, NAT64 `64:ff9b::/96`), which are judged by the IPv4 address inside.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => is_private_v6(v6),
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || a >= 240
}

fn is_private_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    if let Some(v4) = embedded_v4(ip) {
        return is_private_v4(v4);
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // fc00::/7 unique local
        || (segments[0] & 0xfe00) == 0xfc00
        // fe80::/10 link-local and the deprecated fec0::/10 site-local
        || (segments[0] & 0xffc0) == 0xfe80
        || (segments[0] & 0xffc0) == 0xfec0
}

/// The IPv4 address carried inside an IPv6 address, for the forms that reach it directly.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        // ::ffff:a.b.c.d (mapped)
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(tail()),
        // ::a.b.c.d (deprecated compatible form); `::` and `::1` are handled as IPv6
        [0, 0, 0, 0, 0, 0, hi, _] if hi != 0 => Some(tail()),
        // 64:ff9b::a.b.c.d (NAT64 well-known prefix)
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(tail()),
        _ => None,
    }
}

/// Whether the operator's configured URL itself points at a private host. Literal addresses are
/// classified; `localhost` and `*.localhost` count as private; every other name counts as public,
/// since whether it is cannot be known without resolving it.
pub fn configured_host_is_private(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => is_private(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => is_private(IpAddr::V6(ip)),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        None => true,
    }
}

/// What to do with one redirect hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectDecision {
    /// Follow with the ordinary client: the operator chose a private feed, or turned the guard off.
    Follow,
    /// Follow with the guarded client, whose resolver refuses private addresses at connect time.
    FollowGuarded,
    /// Refuse: the target is a literal private address (no DNS lookup would catch it).
    Refuse(IpAddr),
}

/// The redirect policy as a pure function of the configured URL's privacy, the target URL and the
/// `allow_private_redirects` switch.
pub fn redirect_decision(
    configured_private: bool,
    target: &Url,
    allow_private_redirects: bool,
) -> RedirectDecision {
    if configured_private || allow_private_redirects {
        return RedirectDecision::Follow;
    }
    let literal = match target.host() {
        Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    };
    match literal {
        Some(ip) if is_private(ip) => RedirectDecision::Refuse(ip),
        _ => RedirectDecision::FollowGuarded,
    }
}

/// The error the guarded resolver returns when a name resolves only to private addresses. The
/// fetcher finds it in the `reqwest::Error` source chain and reports `FetchError::PrivateAddress`.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves only to the private address {addr}, which a redirect may not reach")]
pub struct BlockedAddress {
    pub host: String,
    pub addr: IpAddr,
}

/// Resolves a host name to addresses (a test hook; production uses the system resolver).
pub type Lookup = Arc<dyn Fn(&str) -> Vec<IpAddr> + Send + Sync>;

/// How the fetcher's clients turn names into addresses, and which addresses count as private.
/// Production: the system resolver and [`is_private`]. Tests replace both to play DNS
/// rebinding on loopback (one loopback address standing for a public one).
#[derive(Clone)]
pub struct Resolution {
    lookup: Option<Lookup>,
    private: fn(IpAddr) -> bool,
}

impl Resolution {
    pub fn system() -> Resolution {
        Resolution {
            lookup: None,
            private: is_private,
        }
    }

    #[cfg(test)]
    pub fn replaced(lookup: Lookup, private: fn(IpAddr) -> bool) -> Resolution {
        Resolution {
            lookup: Some(lookup),
            private,
        }
    }

    /// True when names are not resolved by the system (the open client then needs to know).
    pub fn is_replaced(&self) -> bool {
        self.lookup.is_some()
    }

    async fn resolve(&self, host: &str) -> std::io::Result<Vec<SocketAddr>> {
        match &self.lookup {
            Some(lookup) => Ok(lookup(host)
                .into_iter()
                .map(|ip| SocketAddr::new(ip, 0))
                .collect()),
            None => Ok(tokio::net::lookup_host((host, 0)).await?.collect()),
        }
    }
}

/// DNS resolver for the guarded client: resolves and keeps only public addresses, so the
/// address that is connected to is the address that was checked.
#[derive(Clone)]
pub struct GuardedResolver {
    resolution: Resolution,
}

impl GuardedResolver {
    pub fn new(resolution: Resolution) -> GuardedResolver {
        GuardedResolver { resolution }
    }
}

impl Default for GuardedResolver {
    fn default() -> Self {
        GuardedResolver::new(Resolution::system())
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let resolution = self.resolution.clone();
        Box::pin(async move {
            let resolved = resolution.resolve(&host).await?;
            let private = resolution.private;
            let (private, public): (Vec<SocketAddr>, Vec<SocketAddr>) =
                resolved.into_iter().partition(|addr| private(addr.ip()));
            if public.is_empty() {
                if let Some(addr) = private.first() {
                    return Err(Box::new(BlockedAddress {
                        host,
                        addr: addr.ip(),
                    }) as _);
                }
                return Err(format!("{host} resolves to no address").into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// The open client's resolver when tests replace name resolution: every address, unfiltered
/// (in production the open client uses reqwest's own resolver).
#[derive(Clone)]
pub struct OpenResolver {
    resolution: Resolution,
}

impl OpenResolver {
    pub fn new(resolution: Resolution) -> OpenResolver {
        OpenResolver { resolution }
    }
}

impl Resolve for OpenResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let resolution = self.resolution.clone();
        Box::pin(async move {
            let resolved = resolution.resolve(&host).await?;
            Ok(Box::new(resolved.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn private_ipv4_ranges_are_private() {
        for text in [
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
        ] {
            assert!(is_private(ip(text)), "{text} should be private");
        }
    }

    #[test]
    fn public_ipv4_addresses_are_public() {
        for text in [
            "8.8.8.8",
            "1.1.1.1",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "193.168.1.1",
        ] {
            assert!(!is_private(ip(text)), "{text} should be public");
        }
    }

    #[test]
    fn private_ipv6_ranges_and_embedded_ipv4_are_private() {
        for text in [
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
        ] {
            assert!(is_private(ip(text)), "{text} should be private");
        }
    }

    #[test]
    fn public_ipv6_addresses_are_public() {
        for text in ["2001:4860:4860::8888", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert!(!is_private(ip(text)), "{text} should be public");
        }
    }

    #[test]
    fn configured_literal_and_localhost_urls_are_private_and_names_are_public() {
        let private = |text: &str| configured_host_is_private(&Url::parse(text).unwrap());
        assert!(private("http://127.0.0.1:8080/feed"));
        assert!(private("http://[::1]/feed"));
        assert!(private("http://localhost/feed"));
        assert!(private("http://feeds.LOCALHOST./feed"));
        assert!(!private("https://example.com/feed"));
        assert!(!private("https://8.8.8.8/feed"));
    }

    #[test]
    fn public_feed_redirected_to_literal_private_address_is_refused() {
        for target in [
            "http://127.0.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::ffff:192.168.0.1]/",
            "http://[fd00::1]:8080/",
            // WHATWG URL parsing turns these spellings into 127.0.0.1
            "http://2130706433/",
            "http://0x7f.1/",
        ] {
            let decision = redirect_decision(false, &Url::parse(target).unwrap(), false);
            assert!(
                matches!(decision, RedirectDecision::Refuse(ip) if is_private(ip)),
                "{target}: {decision:?}"
            );
        }
    }

    #[test]
    fn public_feed_redirected_to_a_name_is_followed_through_the_guarded_resolver() {
        let target = Url::parse("https://feeds.example.org/rss").unwrap();
        assert_eq!(
            redirect_decision(false, &target, false),
            RedirectDecision::FollowGuarded
        );
        let public_ip = Url::parse("http://8.8.8.8/").unwrap();
        assert_eq!(
            redirect_decision(false, &public_ip, false),
            RedirectDecision::FollowGuarded
        );
    }

    #[test]
    fn private_feed_or_switched_off_guard_follows_private_targets() {
        let target = Url::parse("http://127.0.0.1:9/").unwrap();
        assert_eq!(
            redirect_decision(true, &target, false),
            RedirectDecision::Follow
        );
        assert_eq!(
            redirect_decision(false, &target, true),
            RedirectDecision::Follow
        );
    }

    #[tokio::test]
    async fn guarded_resolver_refuses_a_name_that_resolves_to_loopback() {
        let name: Name = "localhost".parse().unwrap();
        let resolving = GuardedResolver::default().resolve(name);
        let result = tokio::time::timeout(std::time::Duration::from_secs(5), resolving)
            .await
            .unwrap();
        let error = match result {
            Ok(addrs) => panic!("localhost was allowed: {:?}", addrs.collect::<Vec<_>>()),
            Err(error) => error,
        };
        let blocked = error.downcast_ref::<BlockedAddress>().unwrap();
        assert!(blocked.addr.is_loopback());
        assert_eq!(blocked.host, "localhost");
    }
}
