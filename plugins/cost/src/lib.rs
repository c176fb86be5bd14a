//! The built-in cost plugin: prices every LLM call span from its model, its token usage and
//! a pricing table, exactly (integer atto-USD, no float accumulation).
//!
//! **Config**: the pricing table as TOML (format documented in `pricing.toml`, which ships as
//! the default): `pricing_version`, `overwrite` (replace a cost the app already set, default
//! false), `legacy_attributes` (also read pre-convention names, default true) and
//! `[[models]]` entries with USD-per-million-token prices, long-context `tiers` and
//! `service_tiers`. With `extends = "default"` the entries are merged over the shipped table
//! ([`config::DEFAULT_TABLE`], embedded in the component too) by name and provider, user
//! entries winning, and the version becomes `default-<shipped>+<yours>`.
//!
//! **Reads** (record attributes, first name present wins; values may be int, double or
//! string): the model (`gen_ai.response.model`, else `gen_ai.request.model`), token usage
//! (`gen_ai.usage.*` and legacy names), the provider when the table needs it, the service
//! tier (`openai.response.service_tier`) when the matched model has service tiers, and any
//! existing `gen_ai.usage.cost.amount`.
//!
//! **Writes**, on spans that have a model and some token usage: `sluice.cost.status`
//! (`priced` or `unpriced`) and `sluice.cost.pricing_version`; when priced also
//! `gen_ai.usage.cost.amount` (USD, double), `gen_ai.usage.cost.currency` (`USD`),
//! `gen_ai.usage.cost.source` (`sluice`), `sluice.cost.amount_picousd` (exact integer, for
//! summing), `sluice.cost.input` / `.output` / `.cache_read` / `.cache_write` (USD, the
//! cache ones only when such tokens were used), `sluice.cost.model` (the matched entry), and
//! `sluice.cost.service_tier` / `sluice.cost.tier_above_input_tokens` when a service tier
//! or long-context tier set the price.

pub mod config;
pub mod inputs;
pub mod matching;
mod memo;
pub mod outputs;
pub mod price;

use sluice_plugin_sdk::{Batch, Info, Key, Plugin, Signal, ValueKind, export_plugin};

use config::PricingTable;
use inputs::FirstOf;
use matching::Matcher;
use memo::Memo;
use outputs::Outputs;
use price::Usage;

/// The plugin: a validated pricing table and an index of its names.
pub struct Cost {
    table: PricingTable,
    matcher: Matcher,
}

impl Cost {
    /// Builds the plugin from a pricing table in TOML; the error lists every problem.
    pub fn from_config(config: &str) -> Result<Cost, String> {
        let fail = |errors: Vec<String>| {
            let lines: Vec<String> = errors.iter().map(|e| format!("cost: {e}")).collect();
            lines.join("\n")
        };
        let table = config::parse(config).map_err(fail)?;
        let matcher = Matcher::build(&table.models).map_err(fail)?;
        Ok(Cost { table, matcher })
    }

    /// The validated table.
    pub fn table(&self) -> &PricingTable {
        &self.table
    }

    /// Rows with a model, some token usage and no cost to keep: the rows, their model
    /// column and each row's usage.
    fn candidates(&self, batch: &Batch<'_>) -> Option<(Vec<u32>, FirstOf, Vec<Usage>)> {
        let legacy = self.table.legacy_attributes;
        let all: Vec<u32> = (0..batch.len()).collect();
        let models = FirstOf::read(batch, inputs::MODEL, legacy, &all);
        let mut rows: Vec<u32> = all
            .into_iter()
            .filter(|&r| models.str(r).is_some_and(|m| !m.trim().is_empty()))
            .collect();
        if rows.is_empty() {
            return None;
        }
        if !self.table.overwrite {
            let amount = batch.column(&Key::record(inputs::COST_AMOUNT));
            if rows.iter().any(|&r| amount.kind(r) != ValueKind::Absent) {
                // An earlier sluice's cost may be redone; the application's is kept.
                let source = batch.column(&Key::record(inputs::COST_SOURCE));
                rows.retain(|&r| {
                    amount.kind(r) == ValueKind::Absent || source.str(r) == Some("sluice")
                });
            }
        }
        let usage = [
            inputs::INPUT,
            inputs::OUTPUT,
            inputs::CACHE_READ,
            inputs::CACHE_WRITE,
            inputs::REASONING,
        ]
        .map(|names| FirstOf::read(batch, names, legacy, &rows));
        let mut used = Vec::with_capacity(rows.len());
        rows.retain(|&r| {
            let [input, output, cache_read, cache_write, reasoning] =
                usage.each_ref().map(|u| u.count(r));
            let any = [input, output, cache_read, cache_write, reasoning]
                .iter()
                .any(Option::is_some);
            if any {
                used.push(Usage::from_reported(
                    input,
                    output,
                    cache_read,
                    cache_write,
                    reasoning,
                ));
            }
            any
        });
        (!rows.is_empty()).then_some((rows, models, used))
    }
}

impl Plugin for Cost {
    fn init(config: &str) -> Result<Self, String> {
        Cost::from_config(config)
    }

    fn info(&self) -> Info {
        Info::new("cost", env!("CARGO_PKG_VERSION"), &[Signal::Span])
    }

    fn process(&mut self, batch: &mut Batch<'_>) -> Result<(), String> {
        if batch.signal() != Signal::Span || batch.is_empty() {
            return Ok(());
        }
        let Some((rows, models, used)) = self.candidates(batch) else {
            return Ok(());
        };
        let legacy = self.table.legacy_attributes;
        let providers = self
            .matcher
            .needs_provider()
            .then(|| FirstOf::read(batch, inputs::PROVIDER, legacy, &rows));

        // Match each distinct (model, provider) once per batch; spans of a batch share few models.
        let mut memo = Memo::default();
        let matched: Vec<Option<u32>> = rows
            .iter()
            .map(|&r| {
                let model = models.str(r).unwrap_or_default();
                let provider = providers
                    .as_ref()
                    .and_then(|p| p.str(r))
                    .unwrap_or_default();
                memo.get(model, provider, || self.matcher.find(model, Some(provider)))
            })
            .collect();

        let tiered: Vec<u32> = rows
            .iter()
            .zip(&matched)
            .filter(|(_, m)| {
                m.is_some_and(|i| !self.table.models[i as usize].service_tiers.is_empty())
            })
            .map(|(&r, _)| r)
            .collect();
        let service_tiers = (!tiered.is_empty())
            .then(|| FirstOf::read(batch, inputs::SERVICE_TIER, legacy, &tiered));

        let mut out = Outputs::new(batch.len(), &self.table.version);
        for ((&r, m), used) in rows.iter().zip(&matched).zip(&used) {
            let Some(i) = m else {
                out.unpriced(r);
                continue;
            };
            let entry = &self.table.models[*i as usize];
            let (schedule, service_tier) =
                entry.schedule_for(service_tiers.as_ref().and_then(|s| s.str(r)));
            let (rates, tier) = schedule.rates_for(used.prompt_tokens());
            out.priced(r, &entry.name, &rates.cost(used), service_tier, tier);
        }
        out.write(batch)
    }
}

export_plugin!(Cost);

#[cfg(test)]
mod tests;
