//! Keeping some rows of a payload and dropping the rest, pruning the scopes, metrics and
//! resources left empty, so an exporter never sends an empty envelope.

use crate::otlp::Payload;
use opentelemetry_proto::tonic::metrics::v1::{Metric, metric::Data};

/// Keeps the rows for which `keep(i)` is true, `i` counting rows in payload order (the order
/// of [`super::rows::index`]).
pub fn retain_rows(payload: &mut Payload, mut keep: impl FnMut(usize) -> bool) {
    let mut i = 0;
    let mut next = || {
        let k = keep(i);
        i += 1;
        k
    };
    match payload {
        Payload::Traces(req) => {
            for rs in &mut req.resource_spans {
                for ss in &mut rs.scope_spans {
                    ss.spans.retain(|_| next());
                }
                rs.scope_spans.retain(|ss| !ss.spans.is_empty());
            }
            req.resource_spans.retain(|rs| !rs.scope_spans.is_empty());
        }
        Payload::Logs(req) => {
            for rl in &mut req.resource_logs {
                for sl in &mut rl.scope_logs {
                    sl.log_records.retain(|_| next());
                }
                rl.scope_logs.retain(|sl| !sl.log_records.is_empty());
            }
            req.resource_logs.retain(|rl| !rl.scope_logs.is_empty());
        }
        Payload::Metrics(req) => {
            for rm in &mut req.resource_metrics {
                for sm in &mut rm.scope_metrics {
                    for m in &mut sm.metrics {
                        retain_points(m, &mut next);
                    }
                    sm.metrics.retain(|m| super::rows::point_count(m) > 0);
                }
                rm.scope_metrics.retain(|sm| !sm.metrics.is_empty());
            }
            req.resource_metrics
                .retain(|rm| !rm.scope_metrics.is_empty());
        }
    }
}

fn retain_points(m: &mut Metric, next: &mut impl FnMut() -> bool) {
    match &mut m.data {
        Some(Data::Gauge(g)) => g.data_points.retain(|_| next()),
        Some(Data::Sum(s)) => s.data_points.retain(|_| next()),
        Some(Data::Histogram(h)) => h.data_points.retain(|_| next()),
        Some(Data::ExponentialHistogram(e)) => e.data_points.retain(|_| next()),
        Some(Data::Summary(s)) => s.data_points.retain(|_| next()),
        None => {}
    }
}
