//! Holding spans by trace id for a decision wait, so the plugin chain sees whole traces in
//! one batch: a rule that looks at every span of a trace (the eval sampler's "pick the
//! trace if any span errored") then works even when the trace's spans arrive in different
//! requests. Memory is bounded: past `max_spans` or `max_bytes` the oldest traces are released early and
//! counted, and when released spans pile up faster than the chain takes them, new requests
//! are refused with a retryable status.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans};
use serde::Deserialize;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `[trace_buffer]`: hold spans by trace id before the chain.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TraceBufferConfig {
    /// How long a trace is held after its first span arrives.
    #[serde(default = "default_wait_ms")]
    pub decision_wait_ms: u64,
    /// The most spans held at once; past it the oldest traces go early.
    #[serde(default = "default_max_spans")]
    pub max_spans: usize,
    /// The most bytes (encoded protobuf size) held at once; past it the oldest traces go early.
    #[serde(default = "default_max_bytes")]
    pub max_bytes: usize,
    /// The most spans in one batch released to the chain.
    #[serde(default = "default_batch_spans")]
    pub max_batch_spans: usize,
}

fn default_wait_ms() -> u64 {
    5_000
}

fn default_max_spans() -> usize {
    200_000
}

fn default_max_bytes() -> usize {
    256 << 20
}

fn default_batch_spans() -> usize {
    2_048
}

type TraceId = [u8; 16];

#[derive(Default)]
struct State {
    traces: HashMap<TraceId, Vec<ResourceSpans>>,
    /// First-seen order, with each trace's release time.
    order: VecDeque<(TraceId, Instant)>,
    spans: usize,
    /// Encoded size of the spans held (their resource and scope copies included).
    bytes: usize,
    released_early: u64,
    /// Spans released but not yet through the chain.
    in_flight: usize,
}

/// What the buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferStats {
    /// Traces held.
    pub traces: usize,
    /// Spans held.
    pub spans: usize,
    /// Their encoded size.
    pub bytes: usize,
    /// Traces released before their wait because a bound was hit, since start.
    pub released_early: u64,
}

/// The buffer; shared by the receivers (which add) and the releasing task.
pub struct TraceBuffer {
    config: TraceBufferConfig,
    state: Mutex<State>,
}

/// The buffer is over its bounds: the client should retry later.
#[derive(Debug, thiserror::Error)]
#[error("the trace buffer is full ({0} spans waiting for the plugin chain)")]
pub struct Full(pub usize);

fn span_count(rs: &ResourceSpans) -> usize {
    rs.scope_spans.iter().map(|s| s.spans.len()).sum()
}

/// (spans, encoded bytes) of held parts.
fn weigh(parts: &[ResourceSpans]) -> (usize, usize) {
    use prost::Message;
    parts
        .iter()
        .fold((0, 0), |(n, b), p| (n + span_count(p), b + p.encoded_len()))
}

impl TraceBuffer {
    /// An empty buffer.
    pub fn new(config: TraceBufferConfig) -> Self {
        TraceBuffer {
            config,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Holds a request's spans by trace. Returns what must go to the chain now: spans
    /// without a valid trace id, and the oldest traces when the buffer is over `max_spans`.
    pub fn add(
        &self,
        request: ExportTraceServiceRequest,
        now: Instant,
    ) -> Result<Vec<ExportTraceServiceRequest>, Full> {
        let incoming: usize = request.resource_spans.iter().map(span_count).sum();
        let mut state = self.lock();
        if state.in_flight + incoming > self.config.max_spans {
            return Err(Full(state.in_flight));
        }
        let release_at = now + Duration::from_millis(self.config.decision_wait_ms);
        let mut now_out = Vec::new();
        for rs in request.resource_spans {
            for ss in rs.scope_spans {
                let mut groups: Vec<(Option<TraceId>, Vec<_>)> = Vec::new();
                for span in ss.spans {
                    let id = <TraceId>::try_from(span.trace_id.as_slice())
                        .ok()
                        .filter(|id| *id != [0; 16]);
                    match groups.iter_mut().find(|(g, _)| *g == id) {
                        Some((_, spans)) => spans.push(span),
                        None => groups.push((id, vec![span])),
                    }
                }
                for (id, spans) in groups {
                    let part = ResourceSpans {
                        resource: rs.resource.clone(),
                        schema_url: rs.schema_url.clone(),
                        scope_spans: vec![ScopeSpans {
                            scope: ss.scope.clone(),
                            schema_url: ss.schema_url.clone(),
                            spans,
                        }],
                    };
                    match id {
                        None => now_out.push(part),
                        Some(id) => {
                            let (n, b) = weigh(std::slice::from_ref(&part));
                            state.spans += n;
                            state.bytes += b;
                            let parts = state.traces.entry(id).or_default();
                            if parts.is_empty() {
                                state.order.push_back((id, release_at));
                            }
                            state.traces.get_mut(&id).expect("just added").push(part);
                        }
                    }
                }
            }
        }
        let mut out = self.batches(now_out, &mut state);
        while state.spans > self.config.max_spans || state.bytes > self.config.max_bytes {
            let Some((id, _)) = state.order.pop_front() else {
                break;
            };
            if let Some(parts) = state.traces.remove(&id) {
                let (n, b) = weigh(&parts);
                state.spans -= n;
                state.bytes -= b;
                state.released_early += 1;
                out.extend(self.batches(parts, &mut state));
            }
        }
        Ok(out)
    }

    /// The traces whose wait is over at `now` (all of them when `all`), in batches.
    pub fn due(&self, now: Instant, all: bool) -> Vec<ExportTraceServiceRequest> {
        let mut state = self.lock();
        let mut parts = Vec::new();
        while let Some((id, at)) = state.order.front().copied() {
            if !all && at > now {
                break;
            }
            state.order.pop_front();
            if let Some(p) = state.traces.remove(&id) {
                let (n, b) = weigh(&p);
                state.spans -= n;
                state.bytes -= b;
                parts.extend(p);
            }
        }
        self.batches(parts, &mut state)
    }

    /// `spans` released earlier went through the chain.
    pub fn done(&self, spans: usize) {
        let mut state = self.lock();
        state.in_flight = state.in_flight.saturating_sub(spans);
    }

    /// What the buffer holds now, and its early releases since start.
    pub fn stats(&self) -> BufferStats {
        let s = self.lock();
        BufferStats {
            traces: s.traces.len(),
            spans: s.spans,
            bytes: s.bytes,
            released_early: s.released_early,
        }
    }

    /// Packs parts into requests of at most `max_batch_spans` spans (a trace's parts stay
    /// together when they fit) and counts them in flight.
    fn batches(
        &self,
        parts: Vec<ResourceSpans>,
        state: &mut State,
    ) -> Vec<ExportTraceServiceRequest> {
        let mut out: Vec<ExportTraceServiceRequest> = Vec::new();
        let mut size = 0;
        for part in parts {
            let n = span_count(&part);
            state.in_flight += n;
            match out.last_mut() {
                Some(last) if size + n <= self.config.max_batch_spans => {
                    last.resource_spans.push(part);
                    size += n;
                }
                _ => {
                    out.push(ExportTraceServiceRequest {
                        resource_spans: vec![part],
                    });
                    size = n;
                }
            }
        }
        out
    }
}

#[cfg(test)]
#[path = "tracebuf_tests.rs"]
mod tests;
