//! The most expensive requests of a rolling window.
//!
//! The window is cut into [`BUCKETS`] buckets, each keeping its own top N. The union of the
//! buckets still in the window holds the window's top N, so memory is bounded by
//! `BUCKETS x N` whatever the traffic, and the window slides one bucket at a time.

use serde::Serialize;
use std::collections::VecDeque;

/// Buckets per window: the window slides in steps of 1/60 of its length.
const BUCKETS: u64 = 60;

/// One priced request, as `/cost/top` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    /// The trace id, hex.
    pub trace_id: String,
    /// The span id, hex.
    pub span_id: String,
    /// The tenant (the resource attribute tenancy names).
    pub tenant: String,
    /// The feature attribute's value, if any.
    pub feature: Option<String>,
    /// The matched pricing-table entry.
    pub model: String,
    /// The prompt version attribute's value, if any.
    pub prompt_version: Option<String>,
    /// Input tokens, cached ones included.
    pub input_tokens: u64,
    /// Output tokens, reasoning included.
    pub output_tokens: u64,
    /// Input tokens read from the cache.
    pub cache_read_tokens: u64,
    /// Input tokens written to the cache.
    pub cache_write_tokens: u64,
    /// The cost in USD.
    pub cost_usd: f64,
    /// The cost in pico-USD, exact.
    pub cost_picousd: u64,
    /// When the span ended (ns since the Unix epoch; 0 when the span does not say).
    pub end_time_unix_nano: u64,
}

/// The top `n` requests of the last `window` seconds.
#[derive(Debug)]
pub struct TopRequests {
    n: usize,
    window: u64,
    bucket_secs: u64,
    /// `(bucket number, its top n, most expensive first)`, oldest first.
    buckets: VecDeque<(u64, Vec<Request>)>,
}

impl TopRequests {
    /// Keeps the top `n` of a `window_secs` window.
    pub fn new(n: usize, window_secs: u64) -> Self {
        let window = window_secs.max(1);
        TopRequests {
            n,
            window,
            bucket_secs: (window / BUCKETS).max(1),
            buckets: VecDeque::new(),
        }
    }

    /// The window's length in seconds.
    pub fn window_secs(&self) -> u64 {
        self.window
    }

    /// Drops the buckets that have left the window as of `now` (seconds).
    fn expire(&mut self, now: u64) {
        let current = now / self.bucket_secs;
        let oldest = current.saturating_sub(self.window.div_ceil(self.bucket_secs) - 1);
        while self.buckets.front().is_some_and(|(b, _)| *b < oldest) {
            self.buckets.pop_front();
        }
    }

    /// Whether a request of `pico` seen at `now` would enter the top: when not, the caller
    /// need not build it (hex ids, owned labels) only for [`Top::add`] to discard it.
    pub fn admits(&self, now: u64, pico: u64) -> bool {
        let current = now / self.bucket_secs;
        match self.buckets.back() {
            Some((b, top)) if *b == current && top.len() == self.n => {
                top.last().is_none_or(|l| l.cost_picousd < pico)
            }
            _ => true,
        }
    }

    /// Records a request seen at `now` (seconds).
    pub fn add(&mut self, now: u64, request: Request) {
        self.expire(now);
        let current = now / self.bucket_secs;
        if self.buckets.back().is_none_or(|(b, _)| *b != current) {
            self.buckets
                .push_back((current, Vec::with_capacity(self.n)));
        }
        let Some((_, top)) = self.buckets.back_mut() else {
            return;
        };
        if top.len() == self.n
            && top
                .last()
                .is_some_and(|l| l.cost_picousd >= request.cost_picousd)
        {
            return;
        }
        let at = top.partition_point(|r| r.cost_picousd >= request.cost_picousd);
        top.insert(at, request);
        top.truncate(self.n);
    }

    /// The top `n` requests of the window ending at `now`, most expensive first.
    pub fn top(&mut self, now: u64) -> Vec<Request> {
        self.expire(now);
        let mut all: Vec<Request> = self
            .buckets
            .iter()
            .flat_map(|(_, t)| t.iter().cloned())
            .collect();
        // Stable: of equal costs, the earlier request first.
        all.sort_by_key(|r| std::cmp::Reverse(r.cost_picousd));
        all.truncate(self.n);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(id: u64, pico: u64) -> Request {
        Request {
            trace_id: format!("{id:032x}"),
            span_id: String::new(),
            tenant: "t".into(),
            feature: None,
            model: "m".into(),
            prompt_version: None,
            input_tokens: 0,
            output_tokens: 0,
            cache_read_tokens: 0,
            cache_write_tokens: 0,
            cost_usd: pico as f64 / 1e12,
            cost_picousd: pico,
            end_time_unix_nano: 0,
        }
    }

    fn costs(top: &[Request]) -> Vec<u64> {
        top.iter().map(|r| r.cost_picousd).collect()
    }

    #[test]
    fn keeps_the_most_expensive() {
        let mut t = TopRequests::new(3, 3600);
        for (i, pico) in [5, 1, 9, 7, 3, 9].into_iter().enumerate() {
            t.add(1000, req(i as u64, pico));
        }
        assert_eq!(costs(&t.top(1000)), [9, 9, 7]);
        // Equal costs: the first seen first.
        assert_eq!(t.top(1000)[0].trace_id, format!("{:032x}", 2));
    }

    #[test]
    fn the_window_rolls() {
        // A 600 s window in 10 s buckets.
        let mut t = TopRequests::new(2, 600);
        t.add(1000, req(1, 100));
        t.add(1300, req(2, 50));
        t.add(1590, req(3, 10));
        assert_eq!(costs(&t.top(1599)), [100, 50]);
        // By 1610 the bucket of 1000..1010 has left the window.
        assert_eq!(costs(&t.top(1610)), [50, 10]);
        assert_eq!(costs(&t.top(1950)), [10]);
        assert!(t.top(2200).is_empty());
    }

    #[test]
    fn memory_is_bounded_by_buckets() {
        let mut t = TopRequests::new(20, 60);
        for s in 0..10_000u64 {
            t.add(s / 10, req(s, s));
        }
        assert!(t.buckets.len() <= BUCKETS as usize);
        assert!(t.buckets.iter().all(|(_, top)| top.len() <= 20));
        assert_eq!(t.top(999)[0].cost_picousd, 9_999);
    }
}
