//! What the spend counters read from a span, and the caps that keep their labels bounded.

use super::top::Request;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use prometheus_client::encoding::EncodeLabelSet;
use sluice_plugin_cost::inputs;
use sluice_plugin_cost::price::Usage;
use std::borrow::Cow;
use std::collections::HashSet;

/// The label set of the cost counters.
#[derive(Debug, Clone, Hash, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
pub struct Labels {
    pub(super) tenant: String,
    pub(super) feature: String,
    pub(super) model: String,
    pub(super) prompt_version: String,
}

/// The label set of the token counter.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    tenant: String,
    feature: String,
    model: String,
    prompt_version: String,
    kind: String,
}

impl Labels {
    /// Where label sets beyond the series cap are counted.
    fn other() -> Labels {
        let o = || "other".to_string();
        Labels {
            tenant: o(),
            feature: o(),
            model: o(),
            prompt_version: o(),
        }
    }

    /// These labels plus the token kind.
    pub fn with_kind(&self, kind: &str) -> KindLabels {
        KindLabels {
            tenant: self.tenant.clone(),
            feature: self.feature.clone(),
            model: self.model.clone(),
            prompt_version: self.prompt_version.clone(),
            kind: kind.to_string(),
        }
    }
}

/// The attribute names spend reads.
pub struct Attributes<'a> {
    /// The resource attribute carrying the tenant.
    pub tenant: &'a str,
    /// The tenant of spans without one.
    pub unknown_tenant: &'a str,
    /// The feature attribute.
    pub feature: &'a str,
    /// The prompt version attribute.
    pub prompt_version: &'a str,
}

/// What one enriched span spent.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanSpend {
    /// The tenant.
    pub tenant: String,
    /// The feature, empty when the span has none.
    pub feature: String,
    /// The matched entry, else the span's model.
    pub model: String,
    /// The prompt version, empty when the span has none.
    pub prompt_version: String,
    /// Tokens: uncached input, output, cache read, cache write.
    pub tokens: [u64; 4],
    /// The exact cost when the span is priced.
    pub cost_picousd: Option<u64>,
    trace_id: Vec<u8>,
    span_id: Vec<u8>,
    end_time_unix_nano: u64,
}

impl SpanSpend {
    /// The span as a top-requests entry.
    pub fn request(&self, pico: u64) -> Request {
        let [input, output, cache_read, cache_write] = self.tokens;
        let label = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Request {
            trace_id: hex::encode(&self.trace_id),
            span_id: hex::encode(&self.span_id),
            tenant: self.tenant.clone(),
            feature: label(&self.feature),
            model: self.model.clone(),
            prompt_version: label(&self.prompt_version),
            input_tokens: input + cache_read + cache_write,
            output_tokens: output,
            cache_read_tokens: cache_read,
            cache_write_tokens: cache_write,
            cost_usd: pico as f64 / 1e12,
            cost_picousd: pico,
            end_time_unix_nano: self.end_time_unix_nano,
        }
    }
}

fn find<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attrs
        .iter()
        .find(|kv| kv.key == key)?
        .value
        .as_ref()?
        .value
        .as_ref()
}

/// An attribute as a label value (numbers and booleans as written).
fn text<'a>(attrs: &'a [KeyValue], key: &str) -> Option<Cow<'a, str>> {
    match find(attrs, key)? {
        Value::StringValue(s) => Some(Cow::Borrowed(s.as_str())),
        Value::IntValue(i) => Some(Cow::Owned(i.to_string())),
        Value::DoubleValue(d) => Some(Cow::Owned(d.to_string())),
        Value::BoolValue(b) => Some(Cow::Owned(b.to_string())),
        _ => None,
    }
}

/// An attribute as a count: a non-negative int, integral double or numeric string.
fn count(attrs: &[KeyValue], key: &str) -> Option<u64> {
    match find(attrs, key)? {
        Value::IntValue(i) => u64::try_from(*i).ok(),
        Value::DoubleValue(d) if *d >= 0.0 && d.fract() == 0.0 && *d < 1.8e19 => Some(*d as u64),
        Value::StringValue(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The first of `names` a span has, as a count (the cost plugin's order of preference).
fn first_count(attrs: &[KeyValue], names: &[&str]) -> Option<u64> {
    names.iter().find_map(|n| count(attrs, n))
}

/// The spans of a batch that the cost plugin enriched (they carry `sluice.cost.status`).
pub fn read(traces: &ExportTraceServiceRequest, a: &Attributes<'_>) -> Vec<SpanSpend> {
    let mut out = Vec::new();
    for rs in &traces.resource_spans {
        let resource = rs.resource.as_ref().map_or(&[][..], |r| &r.attributes[..]);
        let tenant = text(resource, a.tenant).unwrap_or(Cow::Borrowed(a.unknown_tenant));
        for span in rs.scope_spans.iter().flat_map(|s| &s.spans) {
            let attrs = &span.attributes[..];
            let Some(status) = text(attrs, "sluice.cost.status") else {
                continue;
            };
            let cost_picousd = if status == "priced" {
                count(attrs, "sluice.cost.amount_picousd")
            } else {
                None
            };
            let model = text(attrs, "sluice.cost.model")
                .or_else(|| inputs::MODEL.iter().find_map(|n| text(attrs, n)))
                .unwrap_or(Cow::Borrowed("unknown"));
            let own_or_resource = |key: &str| {
                text(attrs, key)
                    .or_else(|| text(resource, key))
                    .unwrap_or_default()
                    .into_owned()
            };
            let usage = Usage::from_reported(
                first_count(attrs, inputs::INPUT),
                first_count(attrs, inputs::OUTPUT),
                first_count(attrs, inputs::CACHE_READ),
                first_count(attrs, inputs::CACHE_WRITE),
                first_count(attrs, inputs::REASONING),
            );
            out.push(SpanSpend {
                tenant: tenant.clone().into_owned(),
                feature: own_or_resource(a.feature),
                model: model.into_owned(),
                prompt_version: own_or_resource(a.prompt_version),
                tokens: [
                    usage.uncached_input,
                    usage.output,
                    usage.cache_read,
                    usage.cache_write,
                ],
                cost_picousd,
                trace_id: span.trace_id.clone(),
                span_id: span.span_id.clone(),
                end_time_unix_nano: span.end_time_unix_nano,
            });
        }
    }
    out
}

/// First come, first labelled: up to `cap` distinct values, the rest `other`.
#[derive(Debug)]
struct Capped {
    cap: usize,
    seen: HashSet<String>,
    /// Whether some value was counted as `other`.
    overflowed: bool,
}

impl Capped {
    fn label(&mut self, value: &str) -> String {
        // No value is not a value: it costs no slot.
        if value.is_empty() || self.seen.contains(value) {
            return value.to_string();
        }
        if self.seen.len() < self.cap {
            self.seen.insert(value.to_string());
            return value.to_string();
        }
        self.overflowed = true;
        "other".to_string()
    }
}

/// The caps on every label and on label sets.
#[derive(Debug)]
pub struct Caps {
    tenant: Capped,
    feature: Capped,
    model: Capped,
    prompt_version: Capped,
    series: HashSet<Labels>,
    series_cap: usize,
    series_overflowed: bool,
}

impl Caps {
    /// `tenant_cap` tenants, `label_cap` values of each other label, `series_cap` label sets.
    pub fn new(tenant_cap: usize, label_cap: usize, series_cap: usize) -> Self {
        let capped = |cap| Capped {
            cap,
            seen: HashSet::new(),
            overflowed: false,
        };
        Caps {
            tenant: capped(tenant_cap),
            feature: capped(label_cap),
            model: capped(label_cap),
            prompt_version: capped(label_cap),
            series: HashSet::new(),
            series_cap,
            series_overflowed: false,
        }
    }

    /// Whether the `other` tenant label holds spend of tenants past a cap (then it is no
    /// single tenant's), rather than only a tenant really named `other`.
    pub fn other_tenant_is_mixed(&self) -> bool {
        self.tenant.overflowed || self.series_overflowed
    }

    /// A span's labels, capped.
    pub fn labels(&mut self, s: &SpanSpend) -> Labels {
        let labels = Labels {
            tenant: self.tenant.label(&s.tenant),
            feature: self.feature.label(&s.feature),
            model: self.model.label(&s.model),
            prompt_version: self.prompt_version.label(&s.prompt_version),
        };
        if self.series.contains(&labels) || self.series.len() < self.series_cap {
            self.series.insert(labels.clone());
            return labels;
        }
        self.series_overflowed = true;
        Labels::other()
    }
}
