//! The capture receiver: an OTLP/gRPC server that counts, per tenant, the spans, log
//! records and metric data points it is sent (without decoding them) and the delivery
//! latency of stamped requests, so loss and throughput are measured at the destination.
//! It can hold every answer for a while, to stand in for a slow destination.

use crate::codec::{Outgoing, RawCodec};
use crate::pool::Signal;
use crate::report::{Percentiles, percentiles};
use crate::wire;
use bytes::Bytes;
use serde::Serialize;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tonic::codec::CompressionEncoding;
use tonic::codegen::{Body, BoxFuture, Service, StdError, http};
use tonic::server::{NamedService, UnaryService};

/// Where a request's tenant is read.
#[derive(Debug, Clone)]
pub struct TenantKeys {
    /// The resource attribute (`tenant.id`).
    pub attribute: String,
    /// A request header to fall back on (e.g. a templated `x-tenant` of the exporter).
    pub header: Option<String>,
}

/// Counts of one tenant, or of all.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Spans.
    pub spans: u64,
    /// Log records.
    pub logs: u64,
    /// Metric data points.
    pub points: u64,
    /// Requests.
    pub requests: u64,
    /// Request bytes (after decompression).
    pub bytes: u64,
}

impl Counts {
    /// Spans, logs and points.
    pub fn records(&self) -> u64 {
        self.spans + self.logs + self.points
    }
}

#[derive(Default)]
struct Totals {
    total: Counts,
    tenants: BTreeMap<String, Counts>,
    first: Option<Instant>,
    last: Option<Instant>,
    latencies_us: Vec<u32>,
    malformed: u64,
}

struct State {
    keys: TenantKeys,
    /// How long every answer is held after the request was counted.
    delay: Duration,
    totals: Mutex<Totals>,
}

/// What the receiver got.
#[derive(Debug, Clone, Serialize)]
pub struct CaptureReport {
    /// Everything.
    pub total: Counts,
    /// Spans + logs + points.
    pub records: u64,
    /// Per tenant (`-` when a request named none).
    pub tenants: BTreeMap<String, Counts>,
    /// From the first request to the last.
    pub elapsed_s: f64,
    /// Spans per second over `elapsed_s`.
    pub spans_per_s: f64,
    /// Records per second over `elapsed_s`.
    pub records_per_s: f64,
    /// Delivery latency (stamped send time to arrival here), per resource block.
    pub delivery_latency_ms: Percentiles,
    /// Requests that were not valid protobuf (answered `INVALID_ARGUMENT`).
    pub malformed: u64,
    /// How long every answer was held, ms (a slow destination); 0 answers at once.
    pub delay_ms: f64,
    /// Why it stopped (`expect`, `idle`, `max-secs`, `signal`), when it did.
    pub exit_reason: Option<String>,
}

impl State {
    fn count(&self, signal: Signal, req: &tonic::Request<Bytes>) -> Result<(), tonic::Status> {
        let now_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let header = self
            .keys
            .header
            .as_deref()
            .and_then(|h| req.metadata().get(h))
            .and_then(|v| v.to_str().ok());
        let mut blocks = Vec::new();
        let walked = wire::walk(signal, req.get_ref(), &self.keys.attribute, |b| {
            let tenant = b.tenant.or(header).unwrap_or("-");
            let latency = b
                .stamp_ns
                .map(|s| (now_ns.saturating_sub(s) / 1000).min(u32::MAX as u64) as u32);
            blocks.push((tenant.to_string(), b.records, latency));
        });
        let mut t = self.totals.lock().expect("capture totals");
        if walked.is_err() {
            t.malformed += 1;
            return Err(tonic::Status::invalid_argument("malformed protobuf"));
        }
        let now = Instant::now();
        t.first.get_or_insert(now);
        t.last = Some(now);
        let bytes = req.get_ref().len() as u64;
        t.total.requests += 1;
        t.total.bytes += bytes;
        for (k, (tenant, records, latency)) in blocks.into_iter().enumerate() {
            add(&mut t.total, signal, records);
            let c = t.tenants.entry(tenant).or_default();
            add(c, signal, records);
            // A request is counted for the tenant of its first block.
            if k == 0 {
                c.requests += 1;
                c.bytes += bytes;
            }
            t.latencies_us.extend(latency);
        }
        Ok(())
    }
}

fn add(c: &mut Counts, signal: Signal, records: u64) {
    match signal {
        Signal::Traces => c.spans += records,
        Signal::Logs => c.logs += records,
        Signal::Metrics => c.points += records,
    }
}

/// One OTLP export service (`S`: 0 traces, 1 logs, 2 metrics).
#[derive(Clone)]
struct Svc<const S: usize>(Arc<State>);

impl NamedService for Svc<0> {
    const NAME: &'static str = "opentelemetry.proto.collector.trace.v1.TraceService";
}
impl NamedService for Svc<1> {
    const NAME: &'static str = "opentelemetry.proto.collector.logs.v1.LogsService";
}
impl NamedService for Svc<2> {
    const NAME: &'static str = "opentelemetry.proto.collector.metrics.v1.MetricsService";
}

const SIGNALS: [Signal; 3] = [Signal::Traces, Signal::Logs, Signal::Metrics];

struct Handler(Arc<State>, Signal);

impl UnaryService<Bytes> for Handler {
    type Response = Outgoing;
    type Future = BoxFuture<tonic::Response<Outgoing>, tonic::Status>;

    fn call(&mut self, req: tonic::Request<Bytes>) -> Self::Future {
        // Counted on arrival, so the delivery latency does not include the delay.
        let counted = self.0.count(self.1, &req);
        let delay = self.0.delay;
        Box::pin(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            counted.map(|()| tonic::Response::new(Outgoing::default()))
        })
    }
}

impl<const S: usize, B> Service<http::Request<B>> for Svc<S>
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Infallible>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let handler = Handler(self.0.clone(), SIGNALS[S]);
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(RawCodec)
                .accept_compressed(CompressionEncoding::Gzip)
                .accept_compressed(CompressionEncoding::Zstd)
                .max_decoding_message_size(256 << 20);
            Ok(grpc.unary(handler, req).await)
        })
    }
}

/// A running capture receiver; stops when dropped.
pub struct Capture {
    /// Where it listens.
    pub addr: SocketAddr,
    state: Arc<State>,
    started: Instant,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Capture {
    /// Listens on `addr` (port 0 picks a free port) in the current tokio runtime.
    pub async fn start(addr: SocketAddr, keys: TenantKeys) -> anyhow::Result<Capture> {
        Capture::start_with_delay(addr, keys, Duration::ZERO).await
    }

    /// Like [`Capture::start`], but every answer is held `delay` after the request arrived
    /// (and was counted): a slow destination. Requests are still served concurrently.
    pub async fn start_with_delay(
        addr: SocketAddr,
        keys: TenantKeys,
        delay: Duration,
    ) -> anyhow::Result<Capture> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            keys,
            delay,
            totals: Mutex::default(),
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let router = tonic::transport::Server::builder()
            .add_service(Svc::<0>(state.clone()))
            .add_service(Svc::<1>(state.clone()))
            .add_service(Svc::<2>(state.clone()));
        let incoming =
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
        tokio::spawn(async move {
            let stopped = async {
                let _ = stopped.await;
            };
            if let Err(e) = router.serve_with_incoming_shutdown(incoming, stopped).await {
                eprintln!("capture receiver on {addr} failed: {e}");
            }
        });
        Ok(Capture {
            addr,
            state,
            started: Instant::now(),
            _stop: stop,
        })
    }

    /// What arrived so far.
    pub fn report(&self) -> CaptureReport {
        let mut t = self.state.totals.lock().expect("capture totals");
        let elapsed = match (t.first, t.last) {
            (Some(a), Some(b)) => (b - a).as_secs_f64(),
            _ => 0.0,
        };
        let per_s = |n: u64| {
            if elapsed > 0.0 {
                n as f64 / elapsed
            } else {
                0.0
            }
        };
        CaptureReport {
            total: t.total,
            records: t.total.records(),
            tenants: t.tenants.clone(),
            elapsed_s: elapsed,
            spans_per_s: per_s(t.total.spans),
            records_per_s: per_s(t.total.records()),
            delivery_latency_ms: percentiles(&mut t.latencies_us),
            malformed: t.malformed,
            delay_ms: self.state.delay.as_secs_f64() * 1e3,
            exit_reason: None,
        }
    }

    /// Records so far, and how long since the last request (or since the start).
    pub fn progress(&self) -> (u64, Duration) {
        let t = self.state.totals.lock().expect("capture totals");
        (t.total.records(), t.last.unwrap_or(self.started).elapsed())
    }
}
