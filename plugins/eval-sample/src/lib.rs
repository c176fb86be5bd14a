//! Built-in plugin: eval sampling, deterministic head selection of whole traces.
//!
//! A trace is picked when a keyed hash of its trace id falls under its stratum's rate, so
//! every span and log of a trace gets the same answer on every replica and after restarts,
//! with no coordination. Picked records are marked (`sluice.eval.sampled`,
//! `sluice.eval.reason = "rate"`, `sluice.eval.weight` = 1 / rate, for re-weighting) and sent
//! to the configured eval destination on top of their normal ones (residency denials, being
//! final, still win).
//!
//! Not yet here (tracked in the eval-sampling issue): W3C `tracestate` consistent-probability
//! sampling, strata by feature/model/route/prompt version, always-pick rules over whole
//! buffered traces, budgets and metrics.

use serde::Deserialize;
use sluice_plugin_sdk::{Batch, Info, Key, Plugin, Signal, export_plugin};
use std::collections::HashMap;

/// The plugin's config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The destination picked records are added to.
    pub destination: String,
    /// The share of traces picked, 0 to 1.
    pub rate: f64,
    /// Mixed into the hash, so different deployments pick different traces.
    #[serde(default)]
    pub seed: u64,
    /// The resource attribute naming the tenant.
    #[serde(default = "tenant_attribute")]
    pub tenant_attribute: String,
    /// Per-tenant rates, overriding `rate`.
    #[serde(default)]
    pub tenants: HashMap<String, f64>,
}

fn tenant_attribute() -> String {
    "tenant.id".into()
}

/// The plugin.
pub struct EvalSample {
    config: Config,
}

/// SplitMix64's finaliser: a fast, well-mixed 64-bit hash step.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Whether the trace is picked at `rate`: a keyed hash of its 16 id bytes, compared to the
/// rate scaled to the hash range. Pure: the same on every replica.
pub fn picked(trace_id: &[u8; 16], seed: u64, rate: f64) -> bool {
    if rate <= 0.0 {
        return false;
    }
    if rate >= 1.0 {
        return true;
    }
    let hi = u64::from_be_bytes(trace_id[..8].try_into().unwrap_or_default());
    let lo = u64::from_be_bytes(trace_id[8..].try_into().unwrap_or_default());
    let h = mix(mix(seed ^ hi) ^ lo);
    (h as f64) < rate * (u64::MAX as f64)
}

impl EvalSample {
    fn rate_of(&self, tenant: Option<&str>) -> f64 {
        tenant
            .and_then(|t| self.config.tenants.get(t))
            .copied()
            .unwrap_or(self.config.rate)
    }
}

impl Plugin for EvalSample {
    fn init(config: &str) -> Result<Self, String> {
        let config: Config = toml::from_str(config).map_err(|e| format!("eval-sample: {e}"))?;
        let bad = |r: f64| !(0.0..=1.0).contains(&r) || r.is_nan();
        if bad(config.rate) {
            return Err(format!(
                "eval-sample: rate: {} is outside 0..=1",
                config.rate
            ));
        }
        if let Some((t, r)) = config.tenants.iter().find(|(_, r)| bad(**r)) {
            return Err(format!("eval-sample: tenants.{t}: {r} is outside 0..=1"));
        }
        Ok(EvalSample { config })
    }

    fn info(&self) -> Info {
        Info::new("eval-sample", "0.1.0", &[Signal::Span, Signal::Log])
    }

    fn process(&mut self, batch: &mut Batch<'_>) -> Result<(), String> {
        let trace_ids = batch.trace_ids();
        let tenants = batch.column(&Key::resource(self.config.tenant_attribute.as_str()));
        let (mut sampled, mut reason, mut weight) = (
            batch.column_builder(),
            batch.column_builder(),
            batch.column_builder(),
        );
        let mut rows = Vec::new();
        for (row, id) in trace_ids.iter().enumerate() {
            let row = row as u32;
            let rate = self.rate_of(tenants.str(row));
            // Records outside any trace (all-zero id) have no trace to evaluate.
            if *id == [0; 16] || !picked(id, self.config.seed, rate) {
                continue;
            }
            sampled.set_bool(row, true);
            reason.set_str(row, "rate");
            weight.set_double(row, 1.0 / rate);
            rows.push(row);
        }
        if rows.is_empty() {
            return Ok(());
        }
        batch.set_column(&Key::record("sluice.eval.sampled"), sampled.finish())?;
        batch.set_column(&Key::record("sluice.eval.reason"), reason.finish())?;
        batch.set_column(&Key::record("sluice.eval.weight"), weight.finish())?;
        batch.add_destination(&rows, &self.config.destination)
    }
}

export_plugin!(EvalSample);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_is_deterministic_and_close_to_the_rate() {
        let ids: Vec<[u8; 16]> = (0u64..20_000)
            .map(|i| {
                let mut id = [0u8; 16];
                id[..8].copy_from_slice(&mix(i).to_be_bytes());
                id[8..].copy_from_slice(&mix(i ^ 0xabcdef).to_be_bytes());
                id
            })
            .collect();
        let count = |seed, rate| ids.iter().filter(|id| picked(id, seed, rate)).count();
        let n = count(7, 0.1);
        assert!((1_800..=2_200).contains(&n), "{n} of 20000 at 10%");
        assert_eq!(n, count(7, 0.1), "same answer every time");
        assert_ne!(n, count(8, 0.1), "the seed changes which traces are picked");
        assert_eq!(count(7, 0.0), 0);
        assert_eq!(count(7, 1.0), ids.len());
        // A trace picked at a low rate is also picked at every higher rate.
        assert!(
            ids.iter()
                .filter(|id| picked(id, 7, 0.05))
                .all(|id| picked(id, 7, 0.2))
        );
    }

    #[test]
    fn rates_outside_0_1_are_refused_naming_the_field() {
        let err = EvalSample::init("destination = \"evals\"\nrate = 1.5\n")
            .err()
            .unwrap();
        assert_eq!(err, "eval-sample: rate: 1.5 is outside 0..=1");
        let err = EvalSample::init("destination = \"e\"\nrate = 0.1\n[tenants]\nacme = -1.0\n")
            .err()
            .unwrap();
        assert_eq!(err, "eval-sample: tenants.acme: -1 is outside 0..=1");
    }
}
