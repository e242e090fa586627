//! Access control: the IP allowlist (error 421) and per-client quotas (420).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// An address range in CIDR notation (`10.0.0.0/8`, `::1/128`, or a bare address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    addr: IpAddr,
    prefix: u8,
}

impl std::str::FromStr for IpRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not an IP address or CIDR range"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{s}`: the prefix length must be 0-{max}"))?,
        };
        Ok(Self { addr, prefix })
    }
}

impl IpRange {
    /// Whether `ip` is in the range (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => masked(
                u128::from(u32::from(net)),
                u128::from(u32::from(ip)),
                32,
                self.prefix,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn masked(net: u128, ip: u128, bits: u32, prefix: u8) -> bool {
    if prefix == 0 {
        return true;
    }
    let shift = bits - u32::from(prefix);
    (net >> shift) == (ip >> shift)
}

/// A per-client quota: at most `requests` per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests allowed per window.
    pub requests: u32,
    /// The window length.
    pub window: Duration,
}

impl std::str::FromStr for Quota {
    type Err = String;

    /// `N/s`, `N/min`, `N/h` or `N/day`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (n, unit) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}`: write a quota as N/min (or N/s, N/h, N/day)"))?;
        let requests: u32 = n
            .trim()
            .parse()
            .map_err(|_| format!("`{s}`: `{n}` is not a count"))?;
        let window = match unit.trim() {
            "s" => Duration::from_secs(1),
            "min" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            "day" => Duration::from_secs(86_400),
            other => return Err(format!("`{s}`: unknown unit `{other}` (s, min, h, day)")),
        };
        Ok(Self { requests, window })
    }
}

/// Fixed-window counters per client key (the `X-Road-Client` header, else
/// the client's IP address). The map is bounded: expired windows are pruned
/// when it grows past `MAX_CLIENTS`.
#[derive(Debug, Default)]
pub(crate) struct QuotaBook {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

const MAX_CLIENTS: usize = 100_000;

impl QuotaBook {
    /// Counts one request; `Err(retry_after)` when the client is over quota.
    pub(crate) fn admit(&self, quota: &Quota, client: &str, now: Instant) -> Result<(), Duration> {
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_CLIENTS {
            map.retain(|_, (start, _)| now.duration_since(*start) < quota.window);
            if map.len() >= MAX_CLIENTS {
                return Err(quota.window);
            }
        }
        let entry = map.entry(client.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= quota.window {
            *entry = (now, 0);
        }
        if entry.1 >= quota.requests {
            return Err(quota.window.saturating_sub(now.duration_since(entry.0)));
        }
        entry.1 += 1;
        Ok(())
    }
}

/// Whether an `X-Road-Client` header is well formed:
/// `INSTANCE/CLASS/MEMBER/SUBSYSTEM`, four non-empty parts of printable ASCII.
pub(crate) fn x_road_client_ok(value: &str) -> bool {
    let parts: Vec<&str> = value.split('/').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 64 && p.bytes().all(|b| b.is_ascii_graphic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_ranges_contain_what_they_should() {
        let lan: IpRange = "10.1.0.0/16".parse().unwrap();
        assert!(lan.contains("10.1.200.3".parse().unwrap()));
        assert!(!lan.contains("10.2.0.1".parse().unwrap()));
        let one: IpRange = "127.0.0.1".parse().unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(one.contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        let all: IpRange = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<IpRange>().is_err());
        assert!("nonsense".parse::<IpRange>().is_err());
    }

    #[test]
    fn quota_counts_per_client_and_resets_with_the_window() {
        let q: Quota = "2/min".parse().unwrap();
        let book = QuotaBook::default();
        let t0 = Instant::now();
        assert!(book.admit(&q, "a", t0).is_ok());
        assert!(book.admit(&q, "a", t0).is_ok());
        assert!(book.admit(&q, "a", t0).is_err());
        assert!(book.admit(&q, "b", t0).is_ok(), "quotas are per client");
        assert!(book.admit(&q, "a", t0 + Duration::from_secs(61)).is_ok());
        assert!("5/week".parse::<Quota>().is_err());
    }

    #[test]
    fn x_road_client_header_format() {
        assert!(x_road_client_ok("CAMBODIA/COM/BANK-001/KYC"));
        assert!(!x_road_client_ok("CAMBODIA/COM/BANK-001"));
        assert!(!x_road_client_ok("CAMBODIA//BANK/KYC"));
        assert!(!x_road_client_ok("CAMBODIA/COM/BANK 1/KYC"));
    }
}
