//! Spend as OTLP metrics (`[spend] export`): every interval, and once at shutdown after the
//! last batch went through the chain, the counters become one `ExportMetricsServiceRequest`
//! on the named destination's queue (`Exports::enqueue`, waiting for room).
//!
//! - `sluice.llm.cost`: cumulative monotonic Sum, unit `USD`, double, the nearest double to
//!   the exact integer picoUSD sum (never a float accumulation);
//! - `sluice.llm.tokens`: cumulative monotonic Sum, unit `{token}`, int, attribute `kind`
//!   (`input` = uncached input, `output`, `cache_read`, `cache_write`).
//!
//! Data point attributes are the Prometheus labels, capped the same way: `tenant`,
//! `feature`, `model`, `prompt_version` (an empty value is left out). Start time is when
//! counting started (process start), so every export restates the whole sums and a lost
//! export costs nothing. The resource is `service.name = sluice`; for a destination
//! templated by `{tenant}` there is one resource per tenant carrying the tenancy attribute,
//! so each tenant's endpoint gets only its own spend. Spend counted as tenant `other` after
//! the tenant or series cap overflowed is no single tenant's: it goes out without the
//! tenancy attribute, i.e. as the unknown tenant.
//!
//! The metrics do not go through the plugin chain or routing: the configured destination
//! gets them whatever routes and residency policies say about records.

use super::{ExportConfig, KINDS, Labels, Spend, usd};
use crate::config::Config;
use crate::export::exports::{Exports, is_per_tenant};
use crate::export::queue::Enqueue;
use crate::metrics::Metrics;
use crate::otlp::Payload;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum,
    metric::Data, number_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The metric names, as exported.
pub const COST_METRIC: &str = "sluice.llm.cost";
/// See [`COST_METRIC`].
pub const TOKENS_METRIC: &str = "sluice.llm.tokens";
/// The instrumentation scope of the exported metrics.
pub const SCOPE: &str = "sluice.spend";

/// Where and how often spend is exported, resolved against the config's destinations.
#[derive(Debug, Clone)]
pub struct SpendExport {
    destination: usize,
    name: String,
    interval: Duration,
    /// `Some(tenancy attribute)` when the destination is templated by tenant.
    per_tenant: Option<String>,
}

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_string())),
        }),
        ..Default::default()
    }
}

fn sum(name: &str, description: &str, unit: &str, data_points: Vec<NumberDataPoint>) -> Metric {
    Metric {
        name: name.into(),
        description: description.into(),
        unit: unit.into(),
        data: Some(Data::Sum(Sum {
            data_points,
            aggregation_temporality: AggregationTemporality::Cumulative as i32,
            is_monotonic: true,
        })),
        ..Default::default()
    }
}

/// One resource's worth of data points, before they become metrics.
#[derive(Default)]
struct Points {
    cost: Vec<NumberDataPoint>,
    tokens: Vec<NumberDataPoint>,
}

fn attributes(labels: &Labels) -> Vec<KeyValue> {
    [
        ("tenant", &labels.tenant),
        ("feature", &labels.feature),
        ("model", &labels.model),
        ("prompt_version", &labels.prompt_version),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| kv(k, v))
    .collect()
}

impl Spend {
    /// The counters as an OTLP request at `now_unix_nano`, or `None` before anything was
    /// counted. With `per_tenant` (the tenancy attribute), one resource per tenant carries it.
    pub fn to_otlp(
        &self,
        per_tenant: Option<&str>,
        now_unix_nano: u64,
    ) -> Option<ExportMetricsServiceRequest> {
        let state = self.state.lock().ok()?;
        if state.cost_pico.is_empty() && state.tokens.is_empty() {
            return None;
        }
        let point = |attributes: Vec<KeyValue>, value: number_data_point::Value| NumberDataPoint {
            attributes,
            start_time_unix_nano: self.started_unix_nano,
            time_unix_nano: now_unix_nano,
            value: Some(value),
            ..Default::default()
        };
        // Points by resource: by tenant label when per tenant, else all under "".
        let resource_of = |labels: &Labels| match per_tenant {
            Some(_) => labels.tenant.clone(),
            None => String::new(),
        };
        let mut resources: BTreeMap<String, Points> = BTreeMap::new();
        for (labels, pico) in &state.cost_pico {
            let value = number_data_point::Value::AsDouble(usd(*pico));
            resources
                .entry(resource_of(labels))
                .or_default()
                .cost
                .push(point(attributes(labels), value));
        }
        for ((labels, kind), n) in &state.tokens {
            let mut attrs = attributes(labels);
            attrs.push(kv("kind", KINDS[*kind]));
            let value = number_data_point::Value::AsInt(i64::try_from(*n).unwrap_or(i64::MAX));
            resources
                .entry(resource_of(labels))
                .or_default()
                .tokens
                .push(point(attrs, value));
        }
        let mixed_other = state.caps.other_tenant_is_mixed();
        drop(state);

        let scope = InstrumentationScope {
            name: SCOPE.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            ..Default::default()
        };
        let resource_metrics = resources
            .into_iter()
            .map(|(tenant, points)| {
                let mut attributes = vec![kv("service.name", "sluice")];
                if let Some(attribute) = per_tenant
                    && !(tenant == "other" && mixed_other)
                {
                    attributes.push(kv(attribute, &tenant));
                }
                let mut metrics = Vec::new();
                if !points.cost.is_empty() {
                    metrics.push(sum(
                        COST_METRIC,
                        "Estimated LLM spend by tenant, feature, model and prompt version",
                        "USD",
                        points.cost,
                    ));
                }
                if !points.tokens.is_empty() {
                    metrics.push(sum(
                        TOKENS_METRIC,
                        "LLM tokens by kind (input is uncached input), tenant, feature, model and prompt version",
                        "{token}",
                        points.tokens,
                    ));
                }
                ResourceMetrics {
                    resource: Some(Resource {
                        attributes,
                        ..Default::default()
                    }),
                    scope_metrics: vec![ScopeMetrics {
                        scope: Some(scope.clone()),
                        metrics,
                        ..Default::default()
                    }],
                    ..Default::default()
                }
            })
            .collect();
        Some(ExportMetricsServiceRequest { resource_metrics })
    }
}

impl SpendExport {
    /// From the config's `[spend] export`, if set (validation checked the destination).
    pub fn from_config(config: &Config) -> Option<SpendExport> {
        let ExportConfig {
            destination,
            interval_ms,
        } = config.spend.export.as_ref()?;
        let (index, d) = config
            .destinations
            .iter()
            .enumerate()
            .find(|(_, d)| d.name == *destination)?;
        Some(SpendExport {
            destination: index,
            name: d.name.clone(),
            interval: Duration::from_millis(*interval_ms),
            per_tenant: is_per_tenant(d).then(|| config.tenancy.attribute.clone()),
        })
    }

    /// The destination's name.
    pub fn destination(&self) -> &str {
        &self.name
    }

    /// The request this export would send now, if anything was counted.
    pub fn request(&self, spend: &Spend) -> Option<ExportMetricsServiceRequest> {
        spend.to_otlp(self.per_tenant.as_deref(), super::now_unix_nano())
    }

    /// Puts the counters as they are now on the destination's queue, waiting for room.
    pub async fn export(&self, spend: &Spend, exports: &Exports) {
        let Some(request) = self.request(spend) else {
            return;
        };
        let points: usize = request
            .resource_metrics
            .iter()
            .flat_map(|r| &r.scope_metrics)
            .flat_map(|s| &s.metrics)
            .map(|m| match &m.data {
                Some(Data::Sum(s)) => s.data_points.len(),
                _ => 0,
            })
            .sum();
        let payload = Payload::Metrics(request);
        match exports
            .enqueue(self.destination, payload, Enqueue::Wait)
            .await
        {
            Ok(()) => tracing::debug!(destination = %self.name, points, "spend metrics queued"),
            Err(e) => {
                tracing::warn!(destination = %self.name, points, "spend metrics not queued: {e}")
            }
        }
    }

    /// Exports every interval until `stop`, then once more (within `last_within`): cancel
    /// `stop` once the last batch went through the chain and before the queues drain.
    pub fn spawn(
        self: Arc<Self>,
        metrics: Arc<Metrics>,
        exports: Arc<Exports>,
        stop: CancellationToken,
        last_within: Duration,
    ) -> JoinHandle<()> {
        tokio::spawn(async move {
            let start = tokio::time::Instant::now() + self.interval;
            let mut ticks = tokio::time::interval_at(start, self.interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = ticks.tick() => {}
                }
                // A periodic export still waiting for room when shutdown starts is dropped:
                // the final one restates the same cumulative sums.
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = self.export(metrics.spend(), &exports) => {}
                }
            }
            let last = self.export(metrics.spend(), &exports);
            if tokio::time::timeout(last_within, last).await.is_err() {
                tracing::warn!(
                    destination = %self.name,
                    "final spend metrics not queued within the shutdown timeout"
                );
            }
        })
    }
}

#[cfg(test)]
mod tests;
