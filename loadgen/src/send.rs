//! The `send` driver: N connections cycle through the request pool, as fast as they can or
//! on a fixed schedule, until a request count or a duration is reached.

use crate::client::{Conn, ConnOpts};
use crate::pool::Pool;
use crate::report::{SendReport, Tally, percentiles};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How a run sends.
#[derive(Debug, Clone)]
pub struct SendOpts {
    /// Connection settings.
    pub conn: ConnOpts,
    /// Concurrent connections, each with at most one request in flight.
    pub connections: usize,
    /// Records per second over all connections; 0 sends as fast as possible.
    pub rate: f64,
    /// Stop starting requests after this long.
    pub duration: Option<Duration>,
    /// Stop after this many requests.
    pub max_requests: Option<u64>,
    /// Records per request, for the report.
    pub batch: usize,
}

/// Shared by the workers: the next request index and the schedule.
struct Plan {
    next: AtomicU64,
    start: Instant,
    deadline: Option<Instant>,
    max_requests: Option<u64>,
    /// With a rate: time between request starts.
    interval: Option<Duration>,
}

impl Plan {
    /// The next request to send and when, or `None` when the run is over.
    fn take(&self) -> Option<(u64, Option<Instant>)> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        if self.max_requests.is_some_and(|m| i >= m) {
            return None;
        }
        let at = self.interval.map(|iv| self.start + iv.mul_f64(i as f64));
        let due = at.unwrap_or_else(Instant::now);
        if self.deadline.is_some_and(|d| due >= d) {
            return None;
        }
        Some((i, at))
    }
}

async fn worker(pool: Arc<Pool>, opts: ConnOpts, plan: Arc<Plan>) -> anyhow::Result<Tally> {
    let mut conn = Conn::new(opts)?;
    let mut tally = Tally::default();
    while let Some((i, at)) = plan.take() {
        if let Some(at) = at {
            let now = Instant::now();
            if at > now {
                tokio::time::sleep_until(at.into()).await;
            } else {
                tally.max_lag = tally.max_lag.max(now - at);
            }
        }
        let item = &pool.items[(i % pool.items.len() as u64) as usize];
        let t0 = Instant::now();
        let outcome = conn.send(item).await;
        tally.record(item, outcome, t0.elapsed());
        if let Some(at) = at {
            let since_due = at.elapsed().as_micros().min(u32::MAX as u128) as u32;
            tally.scheduled_us.push(since_due);
        }
    }
    Ok(tally)
}

/// Runs the load; needs a bound (a duration or a request count).
pub async fn run(pool: Arc<Pool>, opts: SendOpts) -> anyhow::Result<SendReport> {
    anyhow::ensure!(!pool.items.is_empty(), "the request pool is empty");
    anyhow::ensure!(
        opts.duration.is_some() || opts.max_requests.is_some(),
        "a run needs a duration or a request count"
    );
    let start = Instant::now();
    let interval =
        (opts.rate > 0.0).then(|| Duration::from_secs_f64(opts.batch.max(1) as f64 / opts.rate));
    let plan = Arc::new(Plan {
        next: AtomicU64::new(0),
        start,
        deadline: opts.duration.map(|d| start + d),
        max_requests: opts.max_requests,
        interval,
    });
    let workers: Vec<_> = (0..opts.connections.max(1))
        .map(|_| tokio::spawn(worker(pool.clone(), opts.conn.clone(), plan.clone())))
        .collect();
    let mut tally = Tally::default();
    for w in workers {
        tally.merge(w.await??);
    }
    let elapsed = start.elapsed().as_secs_f64().max(1e-9);
    let acked_records: u64 = tally.acked.iter().sum();
    Ok(SendReport {
        protocol: opts.conn.protocol,
        target: opts.conn.addr.to_string(),
        connections: opts.connections.max(1),
        batch: opts.batch,
        rate: opts.rate,
        elapsed_s: elapsed,
        pool: pool.summary(),
        requests_sent: tally.requests,
        requests_ok: tally.ok,
        sent: tally.sent.into(),
        acked: tally.acked.into(),
        rejected: tally.rejected,
        errors: tally.errors.clone(),
        bytes_sent: tally.bytes,
        spans_per_s: tally.acked[0] as f64 / elapsed,
        records_per_s: acked_records as f64 / elapsed,
        mb_per_s: tally.bytes as f64 / 1e6 / elapsed,
        latency_ms: percentiles(&mut tally.latencies_us),
        scheduled_latency_ms: interval.map(|_| percentiles(&mut tally.scheduled_us)),
        max_lag_ms: tally.max_lag.as_secs_f64() * 1000.0,
    })
}
