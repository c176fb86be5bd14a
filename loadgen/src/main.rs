//! The `sluice-loadgen` command line: `send` load, or `capture` it.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use sluice_loadgen::capture::{Capture, TenantKeys};
use sluice_loadgen::client::{ConnOpts, Protocol};
use sluice_loadgen::pool::{Pool, Shape};
use sluice_loadgen::send::{self, SendOpts};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Load generator and capture receiver for sluice benchmarks (OTLP, GenAI-shaped).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Send pre-generated LLM telemetry to an OTLP receiver and report what happened.
    Send(SendArgs),
    /// Receive OTLP/gRPC and count what arrives, per tenant; print JSON when done.
    Capture(CaptureArgs),
}

#[derive(Args)]
struct SendArgs {
    /// Receiver address.
    #[arg(long, default_value = "127.0.0.1:4317")]
    target: SocketAddr,
    /// Wire protocol.
    #[arg(long, value_enum, default_value_t = Protocol::Grpc)]
    protocol: Protocol,
    /// Concurrent connections (one request in flight on each).
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Records per second in all; 0 sends as fast as possible.
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Stop after this many seconds (10 when no --requests is given either).
    #[arg(long)]
    duration: Option<f64>,
    /// Stop after this many requests.
    #[arg(long)]
    requests: Option<u64>,
    /// Records (spans, log records or data points) per request.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Number of tenants.
    #[arg(long, default_value_t = 1000)]
    tenants: usize,
    /// Zipf exponent of tenant popularity (0: uniform).
    #[arg(long, default_value_t = 1.1)]
    zipf: f64,
    /// Share of prompts, answers and logs that carry a FAKE secret.
    #[arg(long, default_value_t = 0.05)]
    secret_share: f64,
    /// Share of requests that are logs.
    #[arg(long, default_value_t = 0.1)]
    logs_share: f64,
    /// Share of requests that are metrics.
    #[arg(long, default_value_t = 0.05)]
    metrics_share: f64,
    /// Smallest prompt / answer content, bytes.
    #[arg(long, default_value_t = 512)]
    content_min: usize,
    /// Largest prompt / answer content, bytes.
    #[arg(long, default_value_t = 8192)]
    content_max: usize,
    /// Header naming each request's tenant; empty for none (the tenant.id resource
    /// attribute is always set).
    #[arg(long, default_value = "x-scope-orgid")]
    tenant_header: String,
    /// Do not stamp requests with their send time.
    #[arg(long)]
    no_stamp: bool,
    /// gzip request bodies (gRPC only).
    #[arg(long)]
    gzip: bool,
    /// Deadline of one request, ms.
    #[arg(long, default_value_t = 10_000)]
    timeout_ms: u64,
    /// Requests in the pre-generated pool at most.
    #[arg(long, default_value_t = 256)]
    pool: usize,
    /// Megabytes the pool may hold (at least 4 requests are generated).
    #[arg(long, default_value_t = 256)]
    pool_mb: usize,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Runtime worker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Also write the JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Only build the pool and print its summary.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Args)]
struct CaptureArgs {
    /// gRPC listen address (port 0: any free port, printed on stderr).
    #[arg(long, default_value = "127.0.0.1:14317")]
    grpc: SocketAddr,
    /// Resource attribute naming the tenant.
    #[arg(long, default_value = "tenant.id")]
    tenant_attribute: String,
    /// Request header naming the tenant when the resource does not.
    #[arg(long, default_value = "x-tenant")]
    tenant_header: String,
    /// Exit once this many records (spans + logs + points) arrived.
    #[arg(long)]
    expect: Option<u64>,
    /// Exit this many seconds after the last request (once any arrived).
    #[arg(long)]
    idle_exit: Option<f64>,
    /// Exit after this many seconds in any case.
    #[arg(long, default_value_t = 600.0)]
    max_secs: f64,
    /// Print a progress line to stderr every this many seconds (0: never).
    #[arg(long, default_value_t = 0.0)]
    progress: f64,
    /// Hold every answer this many ms after the request arrived (a slow destination).
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// Runtime worker threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Also write the JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn runtime(threads: usize) -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()?)
}

fn emit(json: &str, path: Option<&PathBuf>) -> anyhow::Result<()> {
    println!("{json}");
    if let Some(p) = path {
        std::fs::write(p, format!("{json}\n"))
            .with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}

fn send_cmd(a: SendArgs) -> anyhow::Result<()> {
    let shape = Shape {
        batch: a.batch.max(1),
        tenants: a.tenants,
        zipf: a.zipf,
        secret_share: a.secret_share.clamp(0.0, 1.0),
        logs_share: a.logs_share,
        metrics_share: a.metrics_share,
        content_min: a.content_min,
        content_max: a.content_max,
        stamp: !a.no_stamp,
        seed: a.seed,
    };
    let t0 = Instant::now();
    let pool = Arc::new(Pool::build(&shape, a.pool, a.pool_mb << 20));
    let summary = pool.summary();
    eprintln!(
        "pool: {} in {:.1}s",
        serde_json::to_string(&summary)?,
        t0.elapsed().as_secs_f64()
    );
    if a.dry_run {
        return emit(&serde_json::to_string(&summary)?, a.json.as_ref());
    }
    let duration = match (a.duration, a.requests) {
        (None, None) => Some(Duration::from_secs(10)),
        (d, _) => d.map(Duration::from_secs_f64),
    };
    let opts = SendOpts {
        conn: ConnOpts {
            addr: a.target,
            protocol: a.protocol,
            tenant_header: (!a.tenant_header.is_empty()).then_some(a.tenant_header),
            gzip: a.gzip,
            timeout: Duration::from_millis(a.timeout_ms),
        },
        connections: a.connections,
        rate: a.rate,
        duration,
        max_requests: a.requests,
        batch: shape.batch,
    };
    let report = runtime(a.threads)?.block_on(send::run(pool, opts))?;
    eprintln!("{}", report.human());
    emit(&serde_json::to_string(&report)?, a.json.as_ref())
}

async fn capture_loop(a: &CaptureArgs) -> anyhow::Result<String> {
    use tokio::signal::unix::{SignalKind, signal};
    let keys = TenantKeys {
        attribute: a.tenant_attribute.clone(),
        header: (!a.tenant_header.is_empty()).then(|| a.tenant_header.clone()),
    };
    let delay = Duration::from_millis(a.delay_ms);
    let capture = Capture::start_with_delay(a.grpc, keys, delay).await?;
    eprintln!(
        "capture listening on {} (answers delayed {} ms)",
        capture.addr, a.delay_ms
    );
    let (mut int, mut term) = (
        signal(SignalKind::interrupt())?,
        signal(SignalKind::terminate())?,
    );
    let start = Instant::now();
    let mut last_progress = Instant::now();
    let reason = loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            _ = int.recv() => break "signal",
            _ = term.recv() => break "signal",
        }
        let (records, idle) = capture.progress();
        if a.expect.is_some_and(|e| records >= e) {
            break "expect";
        }
        if a.idle_exit
            .is_some_and(|s| records > 0 && idle.as_secs_f64() >= s)
        {
            break "idle";
        }
        if start.elapsed().as_secs_f64() >= a.max_secs {
            break "max-secs";
        }
        if a.progress > 0.0 && last_progress.elapsed().as_secs_f64() >= a.progress {
            last_progress = Instant::now();
            eprintln!("capture: {records} records");
        }
    };
    let mut report = capture.report();
    report.exit_reason = Some(reason.into());
    let t = &report.total;
    eprintln!(
        "captured {} spans, {} logs, {} points in {} requests ({:.1} MB) from {} tenants; {:.0} spans/s; delivery p50 {:.2} ms p99 {:.2} ms; exit: {reason}",
        t.spans,
        t.logs,
        t.points,
        t.requests,
        t.bytes as f64 / 1e6,
        report.tenants.len(),
        report.spans_per_s,
        report.delivery_latency_ms.p50,
        report.delivery_latency_ms.p99
    );
    Ok(serde_json::to_string(&report)?)
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Send(a) => send_cmd(a),
        Command::Capture(a) => {
            let json = runtime(a.threads)?.block_on(capture_loop(&a))?;
            emit(&json, a.json.as_ref())
        }
    }
}
