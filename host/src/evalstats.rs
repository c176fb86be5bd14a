//! Eval-sampling metrics: after the chain, records the eval sampler marked
//! (`sluice.eval.reason`) are counted by tenant and reason, and so are their traces (each
//! trace once per batch it appears in; with the trace buffer a batch holds whole traces, so
//! that is once per trace). Counted by the host from the marks, so the figures hold for any
//! sampler plugin that writes them.

use crate::metrics::Metrics;
use crate::otlp::Payload;
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value::Value};
use std::collections::{HashMap, HashSet};

/// The attribute the eval sampler writes on every record it picks.
pub const REASON: &str = "sluice.eval.reason";

fn string<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a str> {
    match attrs
        .iter()
        .find(|kv| kv.key == key)?
        .value
        .as_ref()?
        .value
        .as_ref()?
    {
        Value::StringValue(s) => Some(s),
        _ => None,
    }
}

/// (tenant, reason) -> (records, distinct trace ids) of one payload.
type Picks<'a> = HashMap<(&'a str, &'a str), (u64, HashSet<&'a [u8]>)>;

/// Counts the picked records of a processed payload.
pub fn record(payload: &Payload, tenant_attribute: &str, unknown: &str, metrics: &Metrics) {
    let mut picks: Picks<'_> = HashMap::new();
    match payload {
        Payload::Traces(r) => {
            for rs in &r.resource_spans {
                let tenant = rs
                    .resource
                    .as_ref()
                    .and_then(|res| string(&res.attributes, tenant_attribute))
                    .unwrap_or(unknown);
                for span in rs.scope_spans.iter().flat_map(|s| &s.spans) {
                    if let Some(reason) = string(&span.attributes, REASON) {
                        let e = picks.entry((tenant, reason)).or_default();
                        e.0 += 1;
                        e.1.insert(&span.trace_id);
                    }
                }
            }
        }
        Payload::Logs(r) => {
            for rl in &r.resource_logs {
                let tenant = rl
                    .resource
                    .as_ref()
                    .and_then(|res| string(&res.attributes, tenant_attribute))
                    .unwrap_or(unknown);
                for log in rl.scope_logs.iter().flat_map(|s| &s.log_records) {
                    if let Some(reason) = string(&log.attributes, REASON) {
                        let e = picks.entry((tenant, reason)).or_default();
                        e.0 += 1;
                        if !log.trace_id.is_empty() {
                            e.1.insert(&log.trace_id);
                        }
                    }
                }
            }
        }
        Payload::Metrics(_) => return,
    }
    let signal = crate::otlp::signal_name(payload.signal());
    for ((tenant, reason), (records, traces)) in picks {
        metrics.eval_picked(signal, tenant, reason, records, traces.len() as u64);
    }
}
