//! Per-plugin call counters and a latency histogram, lock-free so every worker records
//! into them on each call; read by `/plugins` (`sluice plugins`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Bucket `i` holds calls up to `FIRST_BOUND_US << i` microseconds; the last is unbounded.
const FIRST_BOUND_US: u64 = 10;
const BUCKETS: usize = 24;

/// Calls, failures and call latency of one loaded plugin (all workers together).
#[derive(Debug, Default)]
pub struct CallStats {
    calls: AtomicU64,
    failures: AtomicU64,
    buckets: [AtomicU64; BUCKETS],
}

impl CallStats {
    /// Records one `process` call.
    pub fn record(&self, took: Duration, failed: bool) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
        let us = took.as_micros() as u64;
        let i = (0..BUCKETS - 1)
            .find(|&i| us <= FIRST_BOUND_US << i)
            .unwrap_or(BUCKETS - 1);
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
    }

    /// Calls so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Failed calls so far.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// An upper bound on the 99th-percentile call latency (the bound of the bucket it falls
    /// in, so within a factor of two), or `None` before the first call.
    pub fn p99(&self) -> Option<Duration> {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = total - total / 100;
        let mut seen = 0;
        for (i, c) in counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(Duration::from_micros(FIRST_BOUND_US << i));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p99_is_the_bound_of_the_bucket_holding_the_99th_percentile() {
        let s = CallStats::default();
        assert_eq!(s.p99(), None);
        for _ in 0..98 {
            s.record(Duration::from_micros(15), false);
        }
        s.record(Duration::from_micros(15), true);
        s.record(Duration::from_millis(3), false);
        assert_eq!((s.calls(), s.failures()), (100, 1));
        assert_eq!(s.p99(), Some(Duration::from_micros(20)));
        s.record(Duration::from_millis(3), false);
        assert_eq!(s.p99(), Some(Duration::from_micros(10 << 9)));
    }
}
