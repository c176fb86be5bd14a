//! Routing: the configured destinations, each record's destination set (a bit mask, one bit
//! per destination, with denials kept apart so they are final), and splitting a processed
//! batch into one payload per destination.

use crate::config::Config;
use crate::otlp::Payload;
use crate::pipeline::retain::retain_rows;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::resource::v1::Resource;
use sluice_plugin_sdk::Destination;
use std::collections::HashMap;

/// The configured destinations, the default route and the per-tenant routes.
#[derive(Debug, Clone, Default)]
pub struct Destinations {
    list: Vec<Destination>,
    by_name: HashMap<String, usize>,
    default_mask: u64,
    tenant_masks: HashMap<String, u64>,
    tenant_attribute: String,
    unknown_tenant: String,
}

impl Destinations {
    /// From a validated config (at most 64 destinations, known default names).
    pub fn from_config(config: &Config) -> Self {
        let list: Vec<Destination> = config
            .destinations
            .iter()
            .map(|d| Destination {
                name: d.name.clone(),
                region: d.region.clone(),
                third_party: d.third_party,
                retains: d.retains,
            })
            .collect();
        let by_name: HashMap<String, usize> = list
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.clone(), i))
            .collect();
        let mask = |names: &[String]| {
            names
                .iter()
                .filter_map(|n| by_name.get(n))
                .fold(0, |m, i| m | (1u64 << i))
        };
        let default_mask = match &config.routing.default {
            Some(names) => mask(names),
            None => all_bits(list.len()),
        };
        let tenant_masks = config
            .routing
            .tenants
            .iter()
            .map(|t| (t.tenant.clone(), mask(&t.destinations)))
            .collect();
        Destinations {
            list,
            by_name,
            default_mask,
            tenant_masks,
            tenant_attribute: config.tenancy.attribute.clone(),
            unknown_tenant: config.tenancy.unknown.clone(),
        }
    }

    /// Whether any tenant has a route of its own (otherwise every record starts on the
    /// default route and tenants need not be looked up).
    pub fn has_tenant_routes(&self) -> bool {
        !self.tenant_masks.is_empty()
    }

    /// The resource attribute carrying the tenant.
    pub fn tenant_attribute(&self) -> &str {
        &self.tenant_attribute
    }

    /// The starting mask of a record of `tenant` (`None`: no tenant, i.e. the unknown tenant).
    pub fn route_for(&self, tenant: Option<&str>) -> u64 {
        let tenant = tenant.unwrap_or(&self.unknown_tenant);
        self.tenant_masks
            .get(tenant)
            .copied()
            .unwrap_or(self.default_mask)
    }

    /// Every destination, in config order (bit `i` of a mask is destination `i`).
    pub fn list(&self) -> &[Destination] {
        &self.list
    }

    /// The bit index of a destination.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// The mask every record starts with.
    pub fn default_mask(&self) -> u64 {
        self.default_mask
    }
}

fn all_bits(n: usize) -> u64 {
    if n >= 64 { u64::MAX } else { (1u64 << n) - 1 }
}

/// One record's routing state: where it is sent and where it may never go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// Destinations the record is sent to (before denials).
    pub allowed: u64,
    /// Destinations denied by a plugin: final.
    pub denied: u64,
}

impl Route {
    /// The destinations the record is actually exported to.
    pub fn effective(self) -> u64 {
        self.allowed & !self.denied
    }
}

/// Splits a processed payload into one payload per destination that receives any row;
/// `masks[i]` is row `i`'s effective destination mask, in payload order.
pub fn split(payload: Payload, masks: &[u64], destinations: usize) -> Vec<(usize, Payload)> {
    let union = masks.iter().fold(0, |a, m| a | m);
    let targets: Vec<usize> = (0..destinations.min(64))
        .filter(|d| union & (1 << d) != 0)
        .collect();
    let uniform = masks.windows(2).all(|w| w[0] == w[1]);
    let keep = |p: &mut Payload, d: usize| {
        if !uniform {
            retain_rows(p, |i| masks[i] & (1 << d) != 0);
        }
    };
    let Some((&last, others)) = targets.split_last() else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(targets.len());
    for &d in others {
        let mut p = payload.clone();
        keep(&mut p, d);
        out.push((d, p));
    }
    // The last destination takes the payload itself instead of a copy.
    let mut p = payload;
    keep(&mut p, last);
    out.push((last, p));
    out
}

/// The tenant a resource names in string attribute `attribute`, if any.
pub fn tenant_of<'r>(resource: &'r Option<Resource>, attribute: &str) -> Option<&'r str> {
    let kv = resource
        .as_ref()?
        .attributes
        .iter()
        .find(|kv| kv.key == attribute)?;
    match kv.value.as_ref()?.value.as_ref()? {
        Value::StringValue(s) => Some(s),
        _ => None,
    }
}

/// How many rows each tenant has in a payload (first-seen order). The tenant is a resource
/// attribute, so this looks once per resource and counts its records, per request and per
/// destination batch, without indexing rows.
pub fn count_by_tenant(payload: &Payload, attribute: &str, unknown: &str) -> Vec<(String, u64)> {
    let tenant = |resource| tenant_of(resource, attribute).unwrap_or(unknown);
    match payload {
        Payload::Traces(r) => tally(r.resource_spans.iter().map(|x| {
            let n: usize = x.scope_spans.iter().map(|s| s.spans.len()).sum();
            (tenant(&x.resource), n as u64)
        })),
        Payload::Logs(r) => tally(r.resource_logs.iter().map(|x| {
            let n: usize = x.scope_logs.iter().map(|s| s.log_records.len()).sum();
            (tenant(&x.resource), n as u64)
        })),
        Payload::Metrics(r) => tally(r.resource_metrics.iter().map(|x| {
            let metrics = x.scope_metrics.iter().flat_map(|s| &s.metrics);
            let n: usize = metrics.map(crate::pipeline::rows::point_count).sum();
            (tenant(&x.resource), n as u64)
        })),
    }
}

/// Sums rows per tenant, in first-seen order; tenants with no rows are left out.
pub fn tally<'a>(per_resource: impl IntoIterator<Item = (&'a str, u64)>) -> Vec<(String, u64)> {
    let mut counts: Vec<(String, u64)> = Vec::new();
    for (t, n) in per_resource {
        match counts.iter_mut().find(|(name, _)| name == t) {
            Some((_, c)) => *c += n,
            None if n > 0 => counts.push((t.to_string(), n)),
            None => {}
        }
    }
    counts
}

/// How many rows of each tenant a plugin kept from each destination: `withheld[i]` is row
/// `i`'s mask of denied destinations, in payload order. Returns (destination index, tenant,
/// rows), and nothing at all (without indexing rows) when no row was denied anything.
pub fn count_withheld(
    payload: &Payload,
    withheld: &[u64],
    attribute: &str,
    unknown: &str,
) -> Vec<(usize, String, u64)> {
    if withheld.iter().all(|m| *m == 0) {
        return Vec::new();
    }
    let resources: Vec<&Option<Resource>> = match payload {
        Payload::Traces(r) => r.resource_spans.iter().map(|x| &x.resource).collect(),
        Payload::Logs(r) => r.resource_logs.iter().map(|x| &x.resource).collect(),
        Payload::Metrics(r) => r.resource_metrics.iter().map(|x| &x.resource).collect(),
    };
    let mut counts: Vec<(usize, String, u64)> = Vec::new();
    for (row, mask) in crate::pipeline::rows::index(payload).iter().zip(withheld) {
        let tenant = tenant_of(resources[row.resource as usize], attribute).unwrap_or(unknown);
        let mut bits = *mask;
        while bits != 0 {
            let d = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            match counts.iter_mut().find(|(cd, t, _)| *cd == d && t == tenant) {
                Some((_, _, n)) => *n += 1,
                None => counts.push((d, tenant.to_string(), 1)),
            }
        }
    }
    counts
}

/// Splits a payload into one payload per tenant (by resource attribute `attribute`; resources
/// without it belong to `unknown`), for destinations templated per tenant. Tenants appear in
/// first-seen order.
pub fn split_by_tenant(payload: Payload, attribute: &str, unknown: &str) -> Vec<(String, Payload)> {
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest as Logs;
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest as Metrics;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest as Traces;

    let tenant = |resource: &Option<Resource>| {
        tenant_of(resource, attribute)
            .unwrap_or(unknown)
            .to_string()
    };
    match payload {
        Payload::Traces(r) => group(r.resource_spans, |x| tenant(&x.resource))
            .into_iter()
            .map(|(t, v)| (t, Payload::Traces(Traces { resource_spans: v })))
            .collect(),
        Payload::Logs(r) => group(r.resource_logs, |x| tenant(&x.resource))
            .into_iter()
            .map(|(t, v)| (t, Payload::Logs(Logs { resource_logs: v })))
            .collect(),
        Payload::Metrics(r) => group(r.resource_metrics, |x| tenant(&x.resource))
            .into_iter()
            .map(|(t, v)| {
                (
                    t,
                    Payload::Metrics(Metrics {
                        resource_metrics: v,
                    }),
                )
            })
            .collect(),
    }
}

/// Groups `items` by tenant, tenants and items in first-seen order.
pub fn group<R>(
    items: impl IntoIterator<Item = R>,
    tenant: impl Fn(&R) -> String,
) -> Vec<(String, Vec<R>)> {
    let mut groups: Vec<(String, Vec<R>)> = Vec::new();
    for item in items {
        let t = tenant(&item);
        match groups.iter_mut().find(|(g, _)| *g == t) {
            Some((_, v)) => v.push(item),
            None => groups.push((t, vec![item])),
        }
    }
    groups
}

/// Keeps the rows that at least one destination receives (for `--output`).
pub fn union(mut payload: Payload, masks: &[u64]) -> Payload {
    if masks.contains(&0) {
        retain_rows(&mut payload, |i| masks[i] != 0);
    }
    payload
}

#[cfg(test)]
mod tests;
