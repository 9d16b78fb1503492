//! Which client a request came from, when load balancers stand in front of the replicas.
//!
//! Behind a load balancer every connection comes from the balancer, so a per-client limit (the
//! inquiry form's) would count the whole country as one client. The balancer names the client
//! in `X-Forwarded-For`; that header is believed only when the connection comes from a proxy
//! the operator listed (`trusted_proxies`), and only as far as the chain of trusted proxies goes:
//! anyone can send the header, so the client is the last address in it that is not ours.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::ConfigError;

/// The proxies whose `X-Forwarded-For` is believed; none by default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses addresses (`10.0.0.5`) and ranges (`10.0.0.0/8`, `fd00::/8`).
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, ConfigError> {
        let mut nets = Vec::new();
        for entry in entries.into_iter().map(str::trim).filter(|e| !e.is_empty()) {
            let net = match entry.parse::<IpNet>() {
                Ok(net) => net,
                Err(_) => entry
                    .parse::<IpAddr>()
                    .map(IpNet::from)
                    .map_err(|_| ConfigError::TrustedProxy(entry.to_string()))?,
            };
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client behind a connection from `peer` that carried `forwarded_for` (the
    /// `X-Forwarded-For` values, in the order they came): `peer` itself unless it is a trusted
    /// proxy; else the right-most address in the header that is not a trusted proxy. A header
    /// that cannot be read stops the walk at the last address believed.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let mut client = canonical(peer);
        if !self.trusts(client) {
            return client;
        }
        let hops = forwarded_for.iter().flat_map(|v| v.split(',')).map(str::trim);
        for hop in hops.collect::<Vec<_>>().into_iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) => {
                    client = canonical(ip);
                    if !self.trusts(client) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        client
    }
}

/// An IPv4 address seen through an IPv6 socket (`::ffff:10.0.0.5`) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("203.0.113.7"), &["198.51.100.1"]), ip("203.0.113.7"));
    }

    #[test]
    fn the_client_is_the_last_untrusted_hop() {
        let p = TrustedProxies::parse(["10.0.0.0/8", "192.0.2.1"]).expect("parse");
        // The balancer (10.1.1.1) forwards for a client; a spoofed first entry is passed over.
        let got = p.client(ip("10.1.1.1"), &["6.6.6.6, 198.51.100.23", "192.0.2.1"]);
        assert_eq!(got, ip("198.51.100.23"));
        // A connection that is not from a proxy: its header is not believed.
        assert_eq!(p.client(ip("203.0.113.9"), &["198.51.100.23"]), ip("203.0.113.9"));
        // From a proxy, without a header: the proxy is all we know.
        assert_eq!(p.client(ip("10.1.1.1"), &[]), ip("10.1.1.1"));
        // Garbage in the header stops the walk where belief ends.
        assert_eq!(p.client(ip("10.1.1.1"), &["198.51.100.23, not-an-ip"]), ip("10.1.1.1"));
        // IPv4 through an IPv6 socket.
        assert_eq!(p.client(ip("::ffff:10.1.1.1"), &["198.51.100.23"]), ip("198.51.100.23"));
    }

    #[test]
    fn a_bad_entry_says_which() {
        let err = TrustedProxies::parse(["10.0.0.0/8", "10.0.0.0/33"]).expect_err("bad");
        assert!(err.to_string().contains("10.0.0.0/33"), "{err}");
    }
}
