//! sluice's own metrics, in the Prometheus text format on the admin endpoint. Labels carry
//! only names from the config (signal, destination, plugin, reason) and tenant ids behind a
//! cardinality cap, never record content.

use crate::spend::Spend;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SignalTenant {
    signal: String,
    tenant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SignalDestinationTenant {
    signal: String,
    destination: String,
    tenant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SignalDestinationTenantReason {
    signal: String,
    destination: String,
    tenant: String,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReceiverLabel {
    receiver: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReceiverPhase {
    receiver: String,
    phase: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SignalReason {
    signal: String,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DestinationKind {
    destination: String,
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DestinationLabel {
    destination: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PluginLabel {
    plugin: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EvalLabels {
    signal: String,
    tenant: String,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PluginKind {
    plugin: String,
    kind: String,
}

fn call_histogram() -> Histogram {
    // 10 µs to ~5 s.
    Histogram::new(exponential_buckets(1e-5, 2.5, 15))
}

/// Every metric sluice exports.
pub struct Metrics {
    registry: Registry,
    tenant_cap: usize,
    tenants: Mutex<HashSet<String>>,
    received: Family<SignalTenant, Counter>,
    exported: Family<SignalDestinationTenant, Counter>,
    dropped: Family<SignalReason, Counter>,
    export_failures: Family<DestinationKind, Counter>,
    export_retries: Family<DestinationLabel, Counter>,
    queue_depth: Family<DestinationLabel, Gauge>,
    queue_bytes: Family<DestinationLabel, Gauge>,
    dropped_by_destination: Family<SignalDestinationTenantReason, Counter>,
    receiver_connections: Family<ReceiverLabel, Gauge>,
    receiver_refused: Family<ReceiverLabel, Counter>,
    receiver_timeouts: Family<ReceiverPhase, Counter>,
    plugin_calls: Family<PluginLabel, Counter>,
    plugin_failures: Family<PluginKind, Counter>,
    plugin_seconds: Family<PluginLabel, Histogram, fn() -> Histogram>,
    plugin_reloads: Family<OutcomeLabel, Counter>,
    plugin_events: Family<Vec<(String, String)>, Counter>,
    plugin_event_sets: Mutex<LabelSetsByPlugin>,
    eval_records: Family<EvalLabels, Counter>,
    eval_traces: Family<EvalLabels, Counter>,
    eval_reasons: Mutex<HashSet<String>>,
    buffered_traces: Gauge,
    buffered_spans: Gauge,
    buffered_bytes: Gauge,
    released_early: Counter,
    withheld: Family<SignalDestinationTenant, Counter>,
    chain_generation: Gauge,
    spend: Arc<Spend>,
}

/// Why records were dropped, as the `reason` label says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// A plugin dropped them on purpose.
    Plugin,
    /// No destination may receive them.
    Unroutable,
    /// A plugin with the `drop` policy failed on their batch.
    PluginFailure,
    /// A full queue with `drop_oldest` made room.
    QueueFull,
    /// The destination answered with a permanent error.
    ExportRejected,
    /// Retries ran out.
    RetriesExhausted,
    /// Still queued, in flight or between retries when the shutdown deadline passed.
    Shutdown,
}

impl DropReason {
    fn label(self) -> &'static str {
        match self {
            DropReason::Plugin => "plugin",
            DropReason::Unroutable => "unroutable",
            DropReason::PluginFailure => "plugin_failure",
            DropReason::QueueFull => "queue_full",
            DropReason::ExportRejected => "export_rejected",
            DropReason::RetriesExhausted => "retries_exhausted",
            DropReason::Shutdown => "shutdown",
        }
    }
}

/// The distinct label sets each plugin stage has reported, for the per-stage cap.
type LabelSetsByPlugin = std::collections::HashMap<String, HashSet<Vec<(String, String)>>>;

/// `value` itself while fewer than `cap` distinct values were seen (or it is one of them),
/// else `other`: label values that come from data cannot grow the series without bound.
fn capped(seen: &Mutex<HashSet<String>>, cap: usize, value: &str) -> String {
    let Ok(mut seen) = seen.lock() else {
        return "other".into();
    };
    if seen.contains(value) || (seen.len() < cap && seen.insert(value.to_string())) {
        value.to_string()
    } else {
        "other".to_string()
    }
}

impl Metrics {
    /// A registry with every metric, tenant labels capped at `tenant_cap` distinct values;
    /// spend counted with the default `[spend]` and `[tenancy]` settings.
    pub fn new(tenant_cap: usize) -> Self {
        let tenancy = crate::config::TenancyConfig::default();
        let spend = Spend::new(
            &Default::default(),
            &tenancy.attribute,
            &tenancy.unknown,
            tenant_cap,
        );
        Self::with_spend(tenant_cap, spend)
    }

    /// As [`Metrics::new`], with spend counted by `spend` (see [`Spend::from_config`]).
    pub fn with_spend(tenant_cap: usize, spend: Spend) -> Self {
        let mut registry = Registry::with_prefix("sluice");
        let m = Metrics {
            tenant_cap,
            tenants: Mutex::new(HashSet::new()),
            received: Family::default(),
            exported: Family::default(),
            dropped: Family::default(),
            export_failures: Family::default(),
            export_retries: Family::default(),
            queue_depth: Family::default(),
            queue_bytes: Family::default(),
            dropped_by_destination: Family::default(),
            receiver_connections: Family::default(),
            receiver_refused: Family::default(),
            receiver_timeouts: Family::default(),
            plugin_calls: Family::default(),
            plugin_failures: Family::default(),
            plugin_seconds: Family::new_with_constructor(call_histogram),
            plugin_reloads: Family::default(),
            plugin_events: Family::default(),
            plugin_event_sets: Mutex::default(),
            eval_records: Family::default(),
            eval_traces: Family::default(),
            eval_reasons: Mutex::new(HashSet::new()),
            buffered_traces: Gauge::default(),
            buffered_spans: Gauge::default(),
            buffered_bytes: Gauge::default(),
            released_early: Counter::default(),
            withheld: Family::default(),
            chain_generation: Gauge::default(),
            spend: Arc::new(spend),
            registry: Registry::default(),
        };
        registry.register(
            "records_received",
            "Records accepted from clients",
            m.received.clone(),
        );
        registry.register(
            "records_exported",
            "Records delivered to a destination",
            m.exported.clone(),
        );
        registry.register(
            "records_dropped",
            "Records dropped, by reason",
            m.dropped.clone(),
        );
        registry.register(
            "export_failures",
            "Failed export attempts, by kind",
            m.export_failures.clone(),
        );
        registry.register(
            "export_retries",
            "Export attempts retried",
            m.export_retries.clone(),
        );
        registry.register(
            "queue_depth",
            "Payloads waiting in a destination queue plus its open export requests",
            m.queue_depth.clone(),
        );
        registry.register(
            "queue_bytes",
            "Encoded (protobuf) bytes of the payloads waiting in a destination queue and its open export requests",
            m.queue_bytes.clone(),
        );
        registry.register(
            "records_dropped_by_destination",
            "Records a destination's queue dropped (queue_full, export_rejected, retries_exhausted, shutdown), by destination and tenant",
            m.dropped_by_destination.clone(),
        );
        registry.register(
            "receiver_connections",
            "Open connections of a network receiver (TLS handshakes included)",
            m.receiver_connections.clone(),
        );
        registry.register(
            "receiver_connections_refused",
            "Connections a network receiver closed at once because it had max_connections open",
            m.receiver_refused.clone(),
        );
        registry.register(
            "receiver_timeouts",
            "Connections or requests a network receiver cut off for being slow or idle, by phase (handshake, header, body, idle)",
            m.receiver_timeouts.clone(),
        );
        registry.register(
            "plugin_calls",
            "Plugin process calls",
            m.plugin_calls.clone(),
        );
        registry.register(
            "plugin_failures",
            "Plugin process calls that failed, by kind",
            m.plugin_failures.clone(),
        );
        registry.register(
            "plugin_call_seconds",
            "Duration of plugin process calls",
            m.plugin_seconds.clone(),
        );
        registry.register(
            "records_denied",
            "Records a plugin denied a destination they were routed to (residency and other policies), by destination and tenant",
            m.withheld.clone(),
        );
        registry.register(
            "trace_buffer_traces",
            "Traces held in the trace buffer",
            m.buffered_traces.clone(),
        );
        registry.register(
            "trace_buffer_spans",
            "Spans held in the trace buffer",
            m.buffered_spans.clone(),
        );
        registry.register(
            "trace_buffer_bytes",
            "Encoded bytes of the spans held in the trace buffer",
            m.buffered_bytes.clone(),
        );
        registry.register(
            "trace_buffer_released_early",
            "Traces released before their decision wait because the buffer hit max_spans or max_bytes",
            m.released_early.clone(),
        );
        registry.register(
            "eval_picked_records",
            "Records the eval sampler picked, by tenant and reason",
            m.eval_records.clone(),
        );
        registry.register(
            "eval_picked_traces",
            "Traces the eval sampler picked (once per batch they appear in), by tenant and reason",
            m.eval_traces.clone(),
        );
        registry.register(
            "plugin_events",
            "Counters plugins report (the contract's `count`), by plugin stage, event and the plugin's labels",
            m.plugin_events.clone(),
        );
        registry.register(
            "plugin_reloads",
            "Plugin chain reloads, by outcome (applied, unchanged, refused)",
            m.plugin_reloads.clone(),
        );
        registry.register(
            "plugin_chain_generation",
            "The live plugin chain's generation (1 at start, +1 per applied reload)",
            m.chain_generation.clone(),
        );
        m.chain_generation.set(1);
        registry.register_collector(Box::new(m.spend.clone()));
        Metrics { registry, ..m }
    }

    /// The tenant label for `tenant`: itself while under the cap, else `other`.
    fn tenant_label(&self, tenant: &str) -> String {
        capped(&self.tenants, self.tenant_cap, tenant)
    }

    /// Records accepted for a tenant.
    pub fn received(&self, signal: &str, tenant: &str, n: u64) {
        let labels = SignalTenant {
            signal: signal.into(),
            tenant: self.tenant_label(tenant),
        };
        self.received.get_or_create(&labels).inc_by(n);
    }

    /// Records of a tenant delivered to a destination.
    pub fn exported(&self, signal: &str, destination: &str, tenant: &str, n: u64) {
        let labels = SignalDestinationTenant {
            signal: signal.into(),
            destination: destination.into(),
            tenant: self.tenant_label(tenant),
        };
        self.exported.get_or_create(&labels).inc_by(n);
    }

    /// Records of a tenant that a plugin denied a destination they were routed to.
    pub fn denied(&self, signal: &str, destination: &str, tenant: &str, n: u64) {
        let labels = SignalDestinationTenant {
            signal: signal.into(),
            destination: destination.into(),
            tenant: self.tenant_label(tenant),
        };
        self.withheld.get_or_create(&labels).inc_by(n);
    }

    /// Records dropped.
    pub fn dropped(&self, signal: &str, reason: DropReason, n: u64) {
        if n > 0 {
            let labels = SignalReason {
                signal: signal.into(),
                reason: reason.label().into(),
            };
            self.dropped.get_or_create(&labels).inc_by(n);
        }
    }

    /// Records a destination's queue dropped for `reason` (`queue_full`, `export_rejected`,
    /// `retries_exhausted`, `shutdown`), per tenant: counted in `sluice_records_dropped_total` (by
    /// reason) and in `sluice_records_dropped_by_destination_total` (by destination and
    /// tenant, tenants behind the label cap).
    pub fn destination_dropped(
        &self,
        signal: &str,
        destination: &str,
        reason: DropReason,
        tenants: &[(String, u64)],
    ) {
        let total = tenants.iter().map(|(_, n)| n).sum();
        self.dropped(signal, reason, total);
        for (tenant, n) in tenants.iter().filter(|(_, n)| *n > 0) {
            let labels = SignalDestinationTenantReason {
                signal: signal.into(),
                destination: destination.into(),
                tenant: self.tenant_label(tenant),
                reason: reason.label().into(),
            };
            self.dropped_by_destination
                .get_or_create(&labels)
                .inc_by(*n);
        }
    }

    /// Records dropped for `reason`, over every signal.
    pub fn dropped_count(&self, reason: DropReason) -> u64 {
        ["traces", "logs", "metrics"]
            .iter()
            .map(|signal| {
                let labels = SignalReason {
                    signal: (*signal).into(),
                    reason: reason.label().into(),
                };
                self.dropped.get_or_create(&labels).get()
            })
            .sum()
    }

    /// The trace buffer's occupancy, and its early releases since start.
    pub fn trace_buffer(&self, s: crate::tracebuf::BufferStats) {
        self.buffered_traces.set(s.traces as i64);
        self.buffered_spans.set(s.spans as i64);
        self.buffered_bytes.set(s.bytes as i64);
        let seen = self.released_early.get();
        self.released_early
            .inc_by(s.released_early.saturating_sub(seen));
    }

    /// Records and traces the eval sampler picked in one batch. Reasons are rule names from
    /// the plugin's config; past 50 distinct ones the rest count as `other`.
    pub fn eval_picked(&self, signal: &str, tenant: &str, reason: &str, records: u64, traces: u64) {
        let reason = capped(&self.eval_reasons, 50, reason);
        let labels = EvalLabels {
            signal: signal.into(),
            tenant: self.tenant_label(tenant),
            reason,
        };
        self.eval_records.get_or_create(&labels).inc_by(records);
        if traces > 0 {
            self.eval_traces.get_or_create(&labels).inc_by(traces);
        }
    }

    /// A plugin's counter increment (already checked by the batch). Each stage may have at
    /// most 1,000 distinct label sets; past that the label values read `other`.
    pub fn plugin_event(&self, plugin: &str, count: sluice_plugin_sdk::counters::Count) {
        let mut labels = count.labels;
        if let Ok(mut sets) = self.plugin_event_sets.lock() {
            let seen = sets.entry(plugin.to_string()).or_default();
            if !seen.contains(&labels) {
                if seen.len() < 1_000 {
                    seen.insert(labels.clone());
                } else {
                    labels.iter_mut().for_each(|(_, v)| *v = "other".into());
                }
            }
        }
        let mut set = vec![
            ("plugin".to_string(), plugin.to_string()),
            ("event".to_string(), count.name),
        ];
        set.extend(labels);
        self.plugin_events.get_or_create(&set).inc_by(count.value);
    }

    /// A reload of the plugin chain finished with `outcome`; `generation` is now live.
    pub fn plugin_reload(&self, outcome: &str, generation: u64) {
        let labels = OutcomeLabel {
            outcome: outcome.into(),
        };
        self.plugin_reloads.get_or_create(&labels).inc();
        self.chain_generation.set(generation as i64);
    }

    /// A failed export attempt (`retryable` or `permanent`).
    pub fn export_failed(&self, destination: &str, kind: &str) {
        let labels = DestinationKind {
            destination: destination.into(),
            kind: kind.into(),
        };
        self.export_failures.get_or_create(&labels).inc();
    }

    /// An export attempt about to be retried.
    pub fn export_retried(&self, destination: &str) {
        self.export_retries
            .get_or_create(&DestinationLabel {
                destination: destination.into(),
            })
            .inc();
    }

    /// A destination queue's current depth.
    pub fn queue_depth(&self, destination: &str, depth: usize) {
        let labels = DestinationLabel {
            destination: destination.into(),
        };
        self.queue_depth.get_or_create(&labels).set(depth as i64);
    }

    /// The encoded bytes waiting in a destination queue.
    pub fn queue_bytes(&self, destination: &str, bytes: usize) {
        let labels = DestinationLabel {
            destination: destination.into(),
        };
        self.queue_bytes.get_or_create(&labels).set(bytes as i64);
    }

    /// A receiver's connection opened (`+1`) or closed (`-1`).
    pub fn receiver_connection(&self, receiver: &str, delta: i64) {
        let labels = ReceiverLabel {
            receiver: receiver.into(),
        };
        self.receiver_connections
            .get_or_create(&labels)
            .inc_by(delta);
    }

    /// A receiver refused a connection: it had `max_connections` open.
    pub fn receiver_refused(&self, receiver: &str) {
        let labels = ReceiverLabel {
            receiver: receiver.into(),
        };
        self.receiver_refused.get_or_create(&labels).inc();
    }

    /// A receiver cut a client off in `phase` (`handshake`, `header`, `body`, `idle`).
    pub fn receiver_timeout(&self, receiver: &str, phase: &str) {
        let labels = ReceiverPhase {
            receiver: receiver.into(),
            phase: phase.into(),
        };
        self.receiver_timeouts.get_or_create(&labels).inc();
    }

    /// One plugin call, and its failure class if it failed.
    pub fn plugin_call(&self, plugin: &str, took: Duration, failure: Option<&str>) {
        let label = PluginLabel {
            plugin: plugin.into(),
        };
        self.plugin_calls.get_or_create(&label).inc();
        self.plugin_seconds
            .get_or_create(&label)
            .observe(took.as_secs_f64());
        if let Some(kind) = failure {
            let labels = PluginKind {
                plugin: plugin.into(),
                kind: kind.into(),
            };
            self.plugin_failures.get_or_create(&labels).inc();
        }
    }

    /// LLM spend counters and the most expensive requests.
    pub fn spend(&self) -> &Spend {
        &self.spend
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_labels_are_capped() {
        let m = Metrics::new(2);
        for t in ["a", "b", "c", "d", "a"] {
            m.received("traces", t, 1);
        }
        let text = m.encode();
        assert!(
            text.contains(r#"sluice_records_received_total{signal="traces",tenant="a"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"sluice_records_received_total{signal="traces",tenant="other"} 2"#),
            "{text}"
        );
        assert!(!text.contains(r#"tenant="c""#));
    }

    #[test]
    fn plugin_calls_have_latency_and_failures() {
        let m = Metrics::new(10);
        m.plugin_call("redact", Duration::from_micros(50), None);
        m.plugin_call("redact", Duration::from_millis(3), Some("trap"));
        let text = m.encode();
        assert!(
            text.contains(r#"sluice_plugin_calls_total{plugin="redact"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"sluice_plugin_failures_total{plugin="redact",kind="trap"} 1"#),
            "{text}"
        );
        assert!(text.contains("sluice_plugin_call_seconds_bucket"), "{text}");
    }
}
