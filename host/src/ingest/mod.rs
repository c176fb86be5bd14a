//! What receivers hand their requests to: resolving the tenant, running the plugin chain,
//! routing, and enqueueing on every destination's queue. A request is acknowledged once its
//! records sit in every destination queue they are routed to.

mod passthrough;

use crate::otlp::Payload;
use bytes::Bytes;
use sluice_plugin_sdk::Signal;
use std::time::Duration;

/// A request's records as a receiver hands them over.
#[derive(Debug, Clone)]
pub enum Incoming {
    /// Decoded already (OTLP JSON).
    Decoded(Payload),
    /// An encoded export request of `signal`, decoded only if a plugin wants its records.
    Protobuf {
        /// The request's signal.
        signal: Signal,
        /// The (decompressed) request message.
        bytes: Bytes,
    },
}

impl From<Payload> for Incoming {
    fn from(payload: Payload) -> Self {
        Incoming::Decoded(payload)
    }
}

/// What a receiver knows about a request besides its payload.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// The request headers (gRPC metadata as headers).
    pub headers: http::HeaderMap,
}

/// A request's records were accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accepted {
    /// Records not accepted (OTLP partial success): dropped because no destination may
    /// receive them, or by a failing plugin.
    pub rejected: i64,
    /// Why, for the partial-success message; empty when `rejected` is 0.
    pub message: String,
}

/// A request was not accepted.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum IngestError {
    /// No or wrong API key: gRPC `UNAUTHENTICATED`, HTTP 401. Nothing was accepted.
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    /// Full queues or shutting down: gRPC `UNAVAILABLE`, HTTP 503, with a retry delay.
    #[error("unavailable: {reason}")]
    Unavailable {
        /// When the client should retry.
        retry_after: Duration,
        /// Why, for the client.
        reason: String,
    },
    /// The payload is not acceptable (e.g. empty of records it must carry): gRPC
    /// `INVALID_ARGUMENT`, HTTP 400.
    #[error("invalid request: {0}")]
    Invalid(String),
}

use crate::export::exports::Exports;
use crate::export::queue::Enqueue;
use crate::metrics::{DropReason, Metrics};
use crate::otlp::signal_name;
use crate::pipeline::ChainOutcome;
use crate::pipeline::service::PipelineService;
use crate::quarantine::Quarantine;
use crate::router;
use crate::tenancy::Tenancy;
use crate::tracebuf::TraceBuffer;
use std::sync::Arc;

/// How long a client is told to wait before retrying when sluice is saturated.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// The receivers' way into the pipeline; cheap to clone.
#[derive(Clone)]
pub struct Ingest {
    inner: Arc<Inner>,
}

struct Inner {
    buffer: Option<Arc<TraceBuffer>>,
    tenancy: Tenancy,
    pipeline: PipelineService,
    exports: Arc<Exports>,
    metrics: Arc<Metrics>,
    quarantine: Arc<Quarantine>,
    destinations: usize,
}

fn unavailable(reason: impl Into<String>) -> IngestError {
    IngestError::Unavailable {
        retry_after: RETRY_AFTER,
        reason: reason.into(),
    }
}

impl Ingest {
    /// Ties the parts together.
    pub fn new(
        tenancy: Tenancy,
        pipeline: PipelineService,
        exports: Arc<Exports>,
        metrics: Arc<Metrics>,
        quarantine: Arc<Quarantine>,
        destinations: usize,
    ) -> Self {
        Ingest {
            inner: Arc::new(Inner {
                buffer: None,
                tenancy,
                pipeline,
                exports,
                metrics,
                quarantine,
                destinations,
            }),
        }
    }

    /// The metrics requests are counted in (the receivers add their connection metrics).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    /// Spans go through `buffer` (held by trace id) before the chain. Call before cloning.
    pub fn with_trace_buffer(mut self, buffer: Arc<TraceBuffer>) -> Self {
        Arc::get_mut(&mut self.inner)
            .expect("set the trace buffer before sharing the ingest")
            .buffer = Some(buffer);
        self
    }

    /// Takes one request's records: tenant, chain, route, queue. Answers once they are queued
    /// for every destination that receives them (or are quarantined or dropped by policy),
    /// or, with a trace buffer, once its spans are held there.
    ///
    /// Protobuf requests of a signal no plugin wants are not decoded at all (the
    /// `passthrough` module): their records go out as the bytes they came in.
    pub async fn submit(
        &self,
        ctx: RequestContext,
        incoming: impl Into<Incoming>,
    ) -> Result<Accepted, IngestError> {
        use crate::otlp::{protobuf, wire::WireRequest};
        let i = &self.inner;
        // Who is asking is settled before a byte of the request is parsed.
        let tenant = i.tenancy.resolve(&ctx.headers)?;
        let mut payload = match incoming.into() {
            Incoming::Decoded(payload) => payload,
            Incoming::Protobuf { signal, bytes } if self.passes_through(signal) => {
                let mut request = WireRequest::parse(signal, bytes)
                    .map_err(|e| IngestError::Invalid(e.to_string()))?;
                if let Some(tenant) = &tenant {
                    for resource in request.resources_mut() {
                        i.tenancy.stamp_resource(resource, tenant);
                    }
                }
                return self.pass_through(request).await;
            }
            Incoming::Protobuf { signal, bytes } => protobuf::decode_request(&bytes, signal)
                .map_err(|e| {
                    let request = protobuf::request_name(signal);
                    IngestError::Invalid(format!("invalid protobuf {request}: {e}"))
                })?,
        };
        if let Some(tenant) = tenant {
            i.tenancy.stamp(&mut payload, &tenant);
        }
        self.count_received(&payload);
        let request = match (payload, &i.buffer) {
            (Payload::Traces(request), Some(_)) => request,
            (payload, _) => return self.process(payload, Enqueue::ByPolicy).await,
        };
        let buffer = i.buffer.as_ref().expect("matched above");
        let now = buffer
            .add(request, std::time::Instant::now())
            .map_err(|e| unavailable(e.to_string()))?;
        // Spans without a trace id, or pushed out early by the memory bound, go now.
        for part in now {
            let p = Payload::Traces(part);
            let spans = p.record_count();
            let result = self.process(p, Enqueue::Wait).await;
            buffer.done(spans);
            result?;
        }
        Ok(Accepted::default())
    }

    fn count_received(&self, payload: &Payload) {
        let i = &self.inner;
        let signal = signal_name(payload.signal());
        for (tenant, n) in
            router::count_by_tenant(payload, i.tenancy.attribute(), i.tenancy.unknown())
        {
            i.metrics.received(signal, &tenant, n);
        }
    }

    /// Releases the trace buffer's due traces (all of them when `all`) through the chain,
    /// waiting for queue room (their clients were answered when they were held).
    pub async fn release_traces(&self, all: bool) {
        let Some(buffer) = &self.inner.buffer else {
            return;
        };
        for part in buffer.due(std::time::Instant::now(), all) {
            let p = Payload::Traces(part);
            let spans = p.record_count();
            if let Err(e) = self.process(p, Enqueue::Wait).await {
                tracing::error!(spans, "released traces not delivered: {e}");
            }
            buffer.done(spans);
        }
    }

    /// Chain, route and queue one payload.
    async fn process(&self, payload: Payload, mode: Enqueue) -> Result<Accepted, IngestError> {
        let i = &self.inner;
        let signal = signal_name(payload.signal());
        // Every destination is a full `reject` queue: whatever the chain routes the records
        // to, the request would be refused after it; refuse it now instead of running it.
        if mode == Enqueue::ByPolicy && i.exports.all_full() {
            return Err(unavailable("every destination queue is full"));
        }
        let outcome = i
            .pipeline
            .run(payload)
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        match outcome {
            ChainOutcome::Processed(p) => {
                crate::spend::record(&p.payload, &i.metrics);
                crate::evalstats::record(
                    &p.payload,
                    i.tenancy.attribute(),
                    i.tenancy.unknown(),
                    &i.metrics,
                );
                let unroutable = p.masks.iter().filter(|m| **m == 0).count() as u64;
                for (d, tenant, n) in router::count_withheld(
                    &p.payload,
                    &p.withheld,
                    i.tenancy.attribute(),
                    i.tenancy.unknown(),
                ) {
                    i.metrics.denied(signal, i.exports.name(d), &tenant, n);
                }
                i.metrics
                    .dropped(signal, DropReason::Plugin, p.dropped as u64);
                i.metrics
                    .dropped(signal, DropReason::Unroutable, unroutable);
                let parts = router::split(p.payload, &p.masks, i.destinations);
                // All or nothing: a rejected request must not leave copies that its retry duplicates.
                if mode == Enqueue::ByPolicy && !i.exports.have_room_for(&parts) {
                    return Err(unavailable("a destination queue is full"));
                }
                for (d, part) in parts {
                    i.exports
                        .enqueue(d, part, mode)
                        .await
                        .map_err(|e| unavailable(e.to_string()))?;
                }
                Ok(Accepted::default())
            }
            ChainOutcome::Quarantined {
                plugin,
                failure,
                payload,
                rows,
            } => {
                let q = i.quarantine.clone();
                let (p, f) = (plugin.clone(), failure.clone());
                let written =
                    tokio::task::spawn_blocking(move || q.put(&p, &f, &payload, rows)).await;
                if !matches!(written, Ok(Ok(_))) {
                    // `put` logged why; the batch is lost, so the client is told it was rejected.
                    i.metrics
                        .dropped(signal, DropReason::PluginFailure, rows as u64);
                    return Ok(Accepted {
                        rejected: rows as i64,
                        message: format!(
                            "plugin `{plugin}` failed and the batch could not be quarantined"
                        ),
                    });
                }
                // Kept for replay, so not rejected; the message says why it was not delivered.
                Ok(Accepted {
                    rejected: 0,
                    message: format!(
                        "{rows} records held in quarantine: plugin `{plugin}` {}",
                        failure.kind()
                    ),
                })
            }
            ChainOutcome::Dropped {
                plugin,
                failure,
                rows,
            } => {
                i.metrics
                    .dropped(signal, DropReason::PluginFailure, rows as u64);
                Ok(Accepted {
                    rejected: rows as i64,
                    message: format!(
                        "dropped: plugin `{plugin}` failed ({}) and its policy is drop",
                        failure.kind()
                    ),
                })
            }
        }
    }
}
