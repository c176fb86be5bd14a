//! What a run of `send` counted, and its report (JSON and a human summary).

use crate::client::Outcome;
use crate::pool::{Item, PoolSummary};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// One worker's counts; merged at the end.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Requests sent.
    pub requests: u64,
    /// Requests accepted.
    pub ok: u64,
    /// Records sent per signal (spans, logs, points).
    pub sent: [u64; 3],
    /// Records accepted per signal (partial-success rejections subtracted).
    pub acked: [u64; 3],
    /// Records refused by partial successes.
    pub rejected: u64,
    /// Encoded bytes sent.
    pub bytes: u64,
    /// Failed requests by cause.
    pub errors: BTreeMap<String, u64>,
    /// Latency of every request (accepted or not), microseconds.
    pub latencies_us: Vec<u32>,
    /// With a rate: scheduled start to answer of every request, microseconds. Unlike
    /// `latencies_us` it counts the time a request waited for a free connection, so a slow
    /// server cannot hide its stalls by delaying the requests it would have been timed on
    /// (coordinated omission).
    pub scheduled_us: Vec<u32>,
    /// Longest a rate-limited request started after its scheduled time.
    pub max_lag: Duration,
}

impl Tally {
    /// Counts one request.
    pub fn record(&mut self, item: &Item, outcome: Outcome, latency: Duration) {
        let s = item.signal.index();
        self.requests += 1;
        self.sent[s] += item.records;
        self.bytes += item.body.len() as u64;
        self.latencies_us
            .push(latency.as_micros().min(u32::MAX as u128) as u32);
        match outcome {
            Outcome::Ok { rejected } => {
                self.ok += 1;
                self.rejected += rejected;
                self.acked[s] += item.records.saturating_sub(rejected);
            }
            Outcome::Failed(cause) => *self.errors.entry(cause).or_default() += 1,
        }
    }

    /// Adds `other`'s counts to these.
    pub fn merge(&mut self, other: Tally) {
        self.requests += other.requests;
        self.ok += other.ok;
        for i in 0..3 {
            self.sent[i] += other.sent[i];
            self.acked[i] += other.acked[i];
        }
        self.rejected += other.rejected;
        self.bytes += other.bytes;
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
        self.latencies_us.extend(other.latencies_us);
        self.scheduled_us.extend(other.scheduled_us);
        self.max_lag = self.max_lag.max(other.max_lag);
    }
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
    /// How many values.
    pub n: usize,
}

/// Percentiles (nearest rank) of microsecond values; sorts them.
pub fn percentiles(us: &mut [u32]) -> Percentiles {
    if us.is_empty() {
        return Percentiles::default();
    }
    us.sort_unstable();
    let at =
        |q: f64| us[((q * us.len() as f64).ceil() as usize).clamp(1, us.len()) - 1] as f64 / 1000.0;
    let sum: u64 = us.iter().map(|&v| u64::from(v)).sum();
    Percentiles {
        p50: at(0.5),
        p90: at(0.9),
        p99: at(0.99),
        max: us[us.len() - 1] as f64 / 1000.0,
        mean: sum as f64 / us.len() as f64 / 1000.0,
        n: us.len(),
    }
}

/// Records per signal, by name.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct PerSignal {
    /// Spans.
    pub spans: u64,
    /// Log records.
    pub logs: u64,
    /// Metric data points.
    pub points: u64,
}

impl From<[u64; 3]> for PerSignal {
    fn from(v: [u64; 3]) -> Self {
        PerSignal {
            spans: v[0],
            logs: v[1],
            points: v[2],
        }
    }
}

/// The result of `send`.
#[derive(Debug, Clone, Serialize)]
pub struct SendReport {
    /// `grpc` or `http`.
    pub protocol: crate::client::Protocol,
    /// Where requests went.
    pub target: String,
    /// Concurrent connections.
    pub connections: usize,
    /// Records per request.
    pub batch: usize,
    /// Target rate in records per second (0: as fast as possible).
    pub rate: f64,
    /// Wall time from the first request to the last answer.
    pub elapsed_s: f64,
    /// The request pool.
    pub pool: PoolSummary,
    /// Requests sent.
    pub requests_sent: u64,
    /// Requests accepted.
    pub requests_ok: u64,
    /// Records sent.
    pub sent: PerSignal,
    /// Records acknowledged.
    pub acked: PerSignal,
    /// Records refused by OTLP partial successes.
    pub rejected: u64,
    /// Failed requests by cause (gRPC code, HTTP status, `timeout`, `transport`).
    pub errors: BTreeMap<String, u64>,
    /// Encoded bytes sent.
    pub bytes_sent: u64,
    /// Acknowledged spans per second.
    pub spans_per_s: f64,
    /// Acknowledged records (all signals) per second.
    pub records_per_s: f64,
    /// Megabytes (10^6) sent per second.
    pub mb_per_s: f64,
    /// Request latency: sent to answered.
    pub latency_ms: Percentiles,
    /// With a rate: scheduled start to answered, delays before sending included (the
    /// latency a client sending on that schedule sees); absent without a rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduled_latency_ms: Option<Percentiles>,
    /// With a rate: the longest a request started after its scheduled time, ms.
    pub max_lag_ms: f64,
}

impl SendReport {
    /// A few lines for people.
    pub fn human(&self) -> String {
        let l = &self.latency_ms;
        format!(
            "sent {} requests ({} spans, {} logs, {} points, {:.1} MB) to {} over {:?} in {:.2}s\n\
             acknowledged {} requests, {} records ({} rejected); errors: {:?}\n\
             {:.0} spans/s, {:.0} records/s, {:.1} MB/s\n\
             latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
            self.requests_sent,
            self.sent.spans,
            self.sent.logs,
            self.sent.points,
            self.bytes_sent as f64 / 1e6,
            self.target,
            self.protocol,
            self.elapsed_s,
            self.requests_ok,
            self.acked.spans + self.acked.logs + self.acked.points,
            self.rejected,
            self.errors,
            self.spans_per_s,
            self.records_per_s,
            self.mb_per_s,
            l.p50,
            l.p90,
            l.p99,
            l.max
        ) + &self
            .scheduled_latency_ms
            .map(|s| {
                format!(
                    "\nfrom schedule ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
                    s.p50, s.p90, s.p99, s.max
                )
            })
            .unwrap_or_default()
    }
}
