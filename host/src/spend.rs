//! Spend as metrics: after the plugin chain, spans the cost plugin enriched become counters
//! by tenant, feature, model and prompt version, and the most expensive requests of a
//! rolling window are kept for the admin endpoint's `/cost/top`.
//!
//! Metrics (prefixed `sluice_`, as the registry does):
//! - `llm_cost_picousd_total`: the exact integer sum of `sluice.cost.amount_picousd` (kept
//!   as `u128`; this `u64` counter stops at $18.4M per series, the USD one carries on);
//! - `llm_cost_usd_total`: the same sum in USD, computed from the integer at each scrape, so
//!   it never drifts the way a float accumulator would;
//! - `llm_tokens_total`, with `kind` = `input` (uncached), `output`, `cache_read` or
//!   `cache_write`, split as the cost plugin prices them.
//!
//! Labels come from record content, so each has a cap on distinct values (the rest are
//! counted as `other`), and the number of label sets has one too.
//!
//! With `[spend] export` the same counters also go out as OTLP metrics to a destination,
//! every interval and once at shutdown ([`export`]).

pub mod export;
mod labels;
mod top;

use crate::config::{Config, Problem};
use crate::metrics::Metrics;
use crate::otlp::Payload;
use labels::{Caps, Labels};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

pub use labels::SpanSpend;
pub use top::{Request, TopRequests};

/// The `[spend]` section of the config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpendConfig {
    /// The span (else resource) attribute naming the product feature that made the call.
    pub feature_attribute: String,
    /// The span (else resource) attribute naming the prompt's version.
    pub prompt_version_attribute: String,
    /// Most distinct values of each of `feature`, `model` and `prompt_version`.
    pub label_cap: usize,
    /// Most distinct label sets; later ones are counted with every label `other`.
    pub series_cap: usize,
    /// How many of the most expensive requests `/cost/top` shows.
    pub top: usize,
    /// The rolling window of `/cost/top`, in seconds.
    pub top_window_secs: u64,
    /// Also export the counters as OTLP metrics to a destination.
    pub export: Option<ExportConfig>,
}

/// `[spend] export = { destination = "...", interval_ms = 60000 }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportConfig {
    /// The destination (by name) the metrics go to.
    pub destination: String,
    /// How often, in milliseconds (and once more at shutdown).
    #[serde(default = "default_interval_ms")]
    pub interval_ms: u64,
}

fn default_interval_ms() -> u64 {
    60_000
}

/// The shortest and longest export interval accepted.
const INTERVAL_MS: std::ops::RangeInclusive<u64> = 100..=86_400_000;

/// Problems of the `[spend]` section (field paths as `config::validate` reports them).
pub fn validate(config: &Config) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut add = |path: &str, message: String| {
        problems.push(Problem {
            line: None,
            path: path.to_string(),
            message,
        })
    };
    if let Some(e) = &config.spend.export {
        if !config.destinations.iter().any(|d| d.name == e.destination) {
            let names: Vec<String> = config
                .destinations
                .iter()
                .map(|d| format!("`{}`", d.name))
                .collect();
            add(
                "spend.export.destination",
                format!(
                    "unknown destination `{}` (configured: {})",
                    e.destination,
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
            );
        }
        if !INTERVAL_MS.contains(&e.interval_ms) {
            add(
                "spend.export.interval_ms",
                format!(
                    "{} is outside {}..={}",
                    e.interval_ms,
                    INTERVAL_MS.start(),
                    INTERVAL_MS.end()
                ),
            );
        }
    }
    problems
}

impl Default for SpendConfig {
    fn default() -> Self {
        SpendConfig {
            feature_attribute: "app.feature".into(),
            prompt_version_attribute: "app.prompt_version".into(),
            label_cap: 100,
            series_cap: 10_000,
            top: 20,
            top_window_secs: 3600,
            export: None,
        }
    }
}

/// Token kinds, in [`SpanSpend::tokens`] order.
const KINDS: [&str; 4] = ["input", "output", "cache_read", "cache_write"];

/// Spend counters and the top requests; a collector on the metrics registry.
#[derive(Debug)]
pub struct Spend {
    tenant_attribute: String,
    unknown_tenant: String,
    feature_attribute: String,
    prompt_version_attribute: String,
    /// When counting started (ns since the Unix epoch): the start of every cumulative sum.
    started_unix_nano: u64,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    caps: Caps,
    /// Exact sums; `u128` so no realistic spend saturates (`u64` picoUSD ends at $18.4M).
    cost_pico: BTreeMap<Labels, u128>,
    tokens: BTreeMap<(Labels, usize), u64>,
    top: TopRequests,
}

/// Nanoseconds since the Unix epoch, now.
fn now_unix_nano() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// An exact picoUSD sum in USD: the nearest double to the decimal value (Rust's float
/// parsing rounds correctly), where `pico as f64 / 1e12` would round twice above 2^53.
pub fn usd(pico: u128) -> f64 {
    const PER_USD: u128 = 1_000_000_000_000;
    format!("{}.{:012}", pico / PER_USD, pico % PER_USD)
        .parse()
        .unwrap_or(f64::MAX)
}

impl Spend {
    /// From the spend settings, the tenant attribute and its `unknown` tenant, and the cap on
    /// tenant labels.
    pub fn new(
        config: &SpendConfig,
        tenant_attribute: &str,
        unknown_tenant: &str,
        tenant_cap: usize,
    ) -> Self {
        Spend {
            tenant_attribute: tenant_attribute.to_string(),
            unknown_tenant: unknown_tenant.to_string(),
            feature_attribute: config.feature_attribute.clone(),
            prompt_version_attribute: config.prompt_version_attribute.clone(),
            started_unix_nano: now_unix_nano(),
            state: Mutex::new(State {
                caps: Caps::new(tenant_cap, config.label_cap, config.series_cap),
                cost_pico: BTreeMap::new(),
                tokens: BTreeMap::new(),
                top: TopRequests::new(config.top, config.top_window_secs),
            }),
        }
    }

    /// From a whole config (its `[spend]`, `[tenancy]` and `[admin]` sections).
    pub fn from_config(config: &Config) -> Self {
        let t = &config.tenancy;
        Spend::new(
            &config.spend,
            &t.attribute,
            &t.unknown,
            config.admin.tenant_label_cap,
        )
    }

    /// Counts the enriched spans of a processed batch, seen now.
    pub fn record(&self, payload: &Payload) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.record_at(payload, now);
    }

    /// Counts the enriched spans of a processed batch, seen at `now` (Unix seconds).
    pub fn record_at(&self, payload: &Payload, now: u64) {
        let Payload::Traces(traces) = payload else {
            return;
        };
        let attrs = labels::Attributes {
            tenant: &self.tenant_attribute,
            unknown_tenant: &self.unknown_tenant,
            feature: &self.feature_attribute,
            prompt_version: &self.prompt_version_attribute,
        };
        let spans = labels::read(traces, &attrs);
        if spans.is_empty() {
            return;
        }
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let state = &mut *state;
        // Summed per label set first: a batch has few of them, and the caps and counters
        // then cost one lookup and one set of owned labels per set, not per span. First-seen
        // order keeps the caps' "first come, first labelled" exactly as per span.
        let mut sets: Vec<(&SpanSpend, [u64; 4], Option<u128>)> = Vec::new();
        let mut index: HashMap<[&str; 4], usize> = HashMap::new();
        for span in &spans {
            let key = [
                span.tenant.as_str(),
                span.feature.as_str(),
                span.model.as_str(),
                span.prompt_version.as_str(),
            ];
            let at = *index.entry(key).or_insert_with(|| {
                sets.push((span, [0; 4], None));
                sets.len() - 1
            });
            let (_, tokens, cost) = &mut sets[at];
            for (sum, n) in tokens.iter_mut().zip(span.tokens) {
                *sum = sum.saturating_add(n);
            }
            if let Some(pico) = span.cost_picousd {
                *cost = Some(cost.unwrap_or(0).saturating_add(u128::from(pico)));
                if state.top.admits(now, pico) {
                    state.top.add(now, span.request(pico));
                }
            }
        }
        for (first, tokens, cost) in sets {
            let labels = state.caps.labels(first);
            for (kind, n) in tokens.iter().enumerate().filter(|(_, n)| **n > 0) {
                let count = state.tokens.entry((labels.clone(), kind)).or_default();
                *count = count.saturating_add(*n);
            }
            if let Some(pico) = cost {
                let sum = state.cost_pico.entry(labels).or_default();
                *sum = sum.saturating_add(pico);
            }
        }
    }

    /// `/cost/top` as of `now` (Unix seconds): the window and its most expensive requests.
    pub fn top_json_at(&self, now: u64) -> String {
        let Ok(mut state) = self.state.lock() else {
            return "{}".into();
        };
        let body = serde_json::json!({
            "window_seconds": state.top.window_secs(),
            "requests": state.top.top(now),
        });
        body.to_string()
    }

    /// `/cost/top` now.
    pub fn top_json(&self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.top_json_at(now)
    }
}

/// Counts a processed batch's spend on the metrics' spend counters.
pub fn record(payload: &Payload, metrics: &Metrics) {
    metrics.spend().record(payload);
}

impl Collector for Spend {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Ok(state) = self.state.lock() else {
            return Ok(());
        };
        let help =
            "Estimated LLM spend in pico-USD (exact), by tenant, feature, model and prompt version";
        let mut pico =
            encoder.encode_descriptor("llm_cost_picousd", help, None, MetricType::Counter)?;
        for (labels, v) in &state.cost_pico {
            let v = u64::try_from(*v).unwrap_or(u64::MAX);
            ConstCounter::new(v).encode(pico.encode_family(labels)?)?;
        }
        let help = "Estimated LLM spend in USD, by tenant, feature, model and prompt version";
        let mut usd = encoder.encode_descriptor("llm_cost_usd", help, None, MetricType::Counter)?;
        for (labels, v) in &state.cost_pico {
            // From the exact integer at each scrape: no float accumulation.
            ConstCounter::new(self::usd(*v)).encode(usd.encode_family(labels)?)?;
        }
        let help = "LLM tokens by kind (input is uncached input), tenant, feature, model and prompt version";
        let mut tokens =
            encoder.encode_descriptor("llm_tokens", help, None, MetricType::Counter)?;
        for ((labels, kind), v) in &state.tokens {
            let with_kind = labels.with_kind(KINDS[*kind]);
            ConstCounter::new(*v).encode(tokens.encode_family(&with_kind)?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
