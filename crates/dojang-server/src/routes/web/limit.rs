//! A per-client rate limit kept in memory: at most `quota` hits per client in a fixed window,
//! for at most `capacity` clients at once, so neither a flood from one address nor one from
//! many addresses can grow it without bound. Each `dojang serve` process counts on its own
//! (replicas each allow the quota): good enough for a form that stores text for staff to read.
//!
//! A client is its IP address — an IPv6 address by its /64, which one subscriber usually holds
//! whole. Requests whose peer address is unknown (the server was not started with connection
//! info) share one bucket with a larger quota, so that the form still works but stays bounded.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Who is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Client {
    V4([u8; 4]),
    /// The /64 prefix.
    V6([u8; 8]),
    /// No peer address known.
    Unknown,
}

impl Client {
    pub(crate) fn of(ip: Option<IpAddr>) -> Client {
        match ip.map(|ip| ip.to_canonical()) {
            Some(IpAddr::V4(v4)) => Client::V4(v4.octets()),
            Some(IpAddr::V6(v6)) => {
                let mut prefix = [0u8; 8];
                prefix.copy_from_slice(&v6.octets()[..8]);
                Client::V6(prefix)
            }
            None => Client::Unknown,
        }
    }
}

/// How many hits, per how long, for how many clients.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Quota {
    pub per_client: u32,
    /// For [`Client::Unknown`], which stands for everyone whose address is unknown.
    pub shared: u32,
    pub window: Duration,
    pub capacity: usize,
}

/// Refused: try again after this long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RetryAfter(pub Duration);

#[derive(Clone, Copy, Debug)]
struct Window {
    started: Instant,
    hits: u32,
}

pub(crate) struct RateLimit {
    quota: Quota,
    windows: Mutex<HashMap<Client, Window>>,
}

impl RateLimit {
    pub(crate) fn new(quota: Quota) -> RateLimit {
        RateLimit { quota, windows: Mutex::new(HashMap::new()) }
    }

    /// Counts a hit by `client` at `now`, or refuses it when the client's quota is spent.
    pub(crate) fn hit(&self, client: Client, now: Instant) -> Result<(), RetryAfter> {
        let q = self.quota;
        let allowed = if client == Client::Unknown { q.shared } else { q.per_client };
        // A poisoned lock only means another request panicked mid-update; the counts are
        // still counts.
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let ended = |w: &Window| now.saturating_duration_since(w.started) >= q.window;
        if !windows.contains_key(&client) && windows.len() >= q.capacity {
            windows.retain(|_, w| !ended(w));
            if windows.len() >= q.capacity {
                // Still full of live windows: forget the oldest to make room.
                if let Some(oldest) = windows.iter().min_by_key(|(_, w)| w.started).map(|(k, _)| *k)
                {
                    windows.remove(&oldest);
                }
            }
        }
        let w = windows.entry(client).or_insert(Window { started: now, hits: 0 });
        if ended(w) {
            *w = Window { started: now, hits: 0 };
        }
        if w.hits >= allowed {
            let left = q.window.saturating_sub(now.saturating_duration_since(w.started));
            return Err(RetryAfter(left.max(Duration::from_secs(1))));
        }
        w.hits += 1;
        Ok(())
    }

    #[cfg(test)]
    fn clients(&self) -> usize {
        self.windows.lock().map(|w| w.len()).unwrap_or_default()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const HOUR: Duration = Duration::from_secs(3600);

    fn quota(capacity: usize) -> Quota {
        Quota { per_client: 3, shared: 5, window: HOUR, capacity }
    }

    fn v4(last: u8) -> Client {
        Client::of(Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))))
    }

    #[test]
    fn a_client_gets_its_quota_per_window_and_is_told_when_to_come_back() {
        let limit = RateLimit::new(quota(100));
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(limit.hit(v4(1), t0 + Duration::from_secs(i)), Ok(()));
        }
        let refused = limit.hit(v4(1), t0 + Duration::from_secs(600)).unwrap_err();
        assert_eq!(refused, RetryAfter(HOUR - Duration::from_secs(600)));
        // Another client is not affected; the first is let in again once its hour is over.
        assert_eq!(limit.hit(v4(2), t0 + Duration::from_secs(600)), Ok(()));
        assert_eq!(limit.hit(v4(1), t0 + HOUR), Ok(()));
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_prefix_and_mapped_ipv4_as_ipv4() {
        let a: Ipv6Addr = "2001:db8:1:2::1".parse().unwrap();
        let b: Ipv6Addr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: Ipv6Addr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(Client::of(Some(a.into())), Client::of(Some(b.into())));
        assert_ne!(Client::of(Some(a.into())), Client::of(Some(c.into())));
        let mapped: Ipv6Addr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(Client::of(Some(mapped.into())), v4(1));
        assert_eq!(Client::of(None), Client::Unknown);
    }

    #[test]
    fn unknown_peers_share_one_larger_bucket() {
        let limit = RateLimit::new(quota(100));
        let t0 = Instant::now();
        for _ in 0..5 {
            assert_eq!(limit.hit(Client::Unknown, t0), Ok(()));
        }
        assert!(limit.hit(Client::Unknown, t0).is_err());
    }

    #[test]
    fn the_table_never_holds_more_than_its_capacity() {
        let limit = RateLimit::new(quota(4));
        let t0 = Instant::now();
        for i in 0..200u8 {
            assert_eq!(limit.hit(v4(i), t0 + Duration::from_secs(u64::from(i))), Ok(()));
            assert!(limit.clients() <= 4);
        }
        // Ended windows are dropped before live ones.
        let later = t0 + HOUR * 2;
        for i in 0..4u8 {
            assert_eq!(limit.hit(v4(i), later), Ok(()));
        }
        assert_eq!(limit.clients(), 4);
    }
}
