//! The built-in cost plugin: prices every LLM call span from its model, its token usage and
//! a pricing table, exactly (integer atto-USD, no float accumulation).
//!
//! **Config**: the pricing table as TOML (format documented in `pricing.toml`, which ships as
//! the default): `pricing_version`, `overwrite` (replace a cost the app already set, default
//! false), `legacy_attributes` (also read pre-convention names, default true) and
//! `[[models]]` entries with USD-per-million-token prices, long-context `tiers` and
//! `service_tiers`.
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

pub mod columns;
pub mod config;
mod fnv;
pub mod matching;
pub mod price;

use std::collections::HashMap;

use sluice_plugin_sdk::{Batch, ColumnBuilder, Info, Key, Plugin, Signal, export_plugin};

use columns::{FirstOf, StrColumn};
use config::PricingTable;
use matching::Matcher;
use price::{Breakdown, Usage, atto_to_pico, atto_to_usd};

/// Attribute names read, best first; names after the first are read only with `legacy_attributes`.
pub mod inputs {
    /// The model that served the call (the response's is what was billed).
    pub const MODEL: &[&str] =
        &["gen_ai.response.model", "gen_ai.request.model", "llm.response.model", "llm.request.model", "llm.model_name"];
    /// Who served the call.
    pub const PROVIDER: &[&str] = &["gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system"];
    /// Input tokens, cached ones included.
    pub const INPUT: &[&str] =
        &["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.usage.prompt_tokens", "llm.token_count.prompt"];
    /// Output tokens, reasoning included.
    pub const OUTPUT: &[&str] = &[
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.completion_tokens",
        "llm.usage.completion_tokens",
        "llm.token_count.completion",
    ];
    /// Input tokens read from the prompt cache.
    pub const CACHE_READ: &[&str] = &[
        "gen_ai.usage.cache_read.input_tokens",
        "gen_ai.usage.cache_read_input_tokens",
        "llm.usage.cache_read_input_tokens",
        "llm.token_count.prompt_details.cache_read",
    ];
    /// Input tokens written to the prompt cache.
    pub const CACHE_WRITE: &[&str] = &[
        "gen_ai.usage.cache_creation.input_tokens",
        "gen_ai.usage.cache_creation_input_tokens",
        "llm.usage.cache_creation_input_tokens",
        "llm.token_count.prompt_details.cache_write",
    ];
    /// Reasoning tokens (part of output).
    pub const REASONING: &[&str] = &[
        "gen_ai.usage.reasoning.output_tokens",
        "gen_ai.usage.reasoning_tokens",
        "llm.usage.reasoning_tokens",
        "llm.token_count.completion_details.reasoning",
    ];
    /// The service tier the call ran on (the response's is what was billed).
    pub const SERVICE_TIER: &[&str] = &[
        "openai.response.service_tier",
        "gen_ai.openai.response.service_tier",
        "openai.request.service_tier",
        "gen_ai.openai.request.service_tier",
    ];
    /// A cost already on the span.
    pub const COST_AMOUNT: &str = "gen_ai.usage.cost.amount";
    /// Who set that cost.
    pub const COST_SOURCE: &str = "gen_ai.usage.cost.source";
}

/// The plugin: a validated pricing table and an index of its names.
pub struct Cost {
    table: PricingTable,
    matcher: Matcher,
}

impl Cost {
    /// Builds the plugin from a pricing table in TOML.
    pub fn from_config(config: &str) -> Result<Cost, String> {
        let fail = |e: String| format!("cost: {}", e.replace('\n', "\ncost: "));
        let table = config::parse(config).map_err(fail)?;
        let matcher = Matcher::build(&table.models).map_err(fail)?;
        Ok(Cost { table, matcher })
    }

    /// The validated table.
    pub fn table(&self) -> &PricingTable {
        &self.table
    }

    /// Rows with a model, a usage count and no cost to keep; and those columns.
    fn candidates(&self, batch: &Batch<'_>) -> Option<(Vec<u32>, FirstOf, [FirstOf; 5])> {
        let legacy = self.table.legacy_attributes;
        let all: Vec<u32> = (0..batch.len()).collect();
        let models = FirstOf::read(batch, inputs::MODEL, legacy, &all);
        let mut rows: Vec<u32> = all.into_iter().filter(|&r| models.str(r).is_some_and(|m| !m.trim().is_empty())).collect();
        if rows.is_empty() {
            return None;
        }
        if !self.table.overwrite {
            let amount = batch.column(&Key::record(inputs::COST_AMOUNT));
            if rows.iter().any(|&r| amount.kind(r) != sluice_plugin_sdk::ValueKind::Absent) {
                // An earlier sluice's cost may be redone; the application's is kept.
                let source = batch.column(&Key::record(inputs::COST_SOURCE));
                rows.retain(|&r| amount.kind(r) == sluice_plugin_sdk::ValueKind::Absent || source.str(r) == Some("sluice"));
            }
        }
        let usage = [inputs::INPUT, inputs::OUTPUT, inputs::CACHE_READ, inputs::CACHE_WRITE, inputs::REASONING]
            .map(|names| FirstOf::read(batch, names, legacy, &rows));
        rows.retain(|&r| usage.iter().any(|u| u.count(r).is_some()));
        (!rows.is_empty()).then_some((rows, models, usage))
    }
}

/// The output columns of one batch.
struct Outputs {
    amount: ColumnBuilder,
    pico: ColumnBuilder,
    parts: [ColumnBuilder; 4],
    parts_used: [bool; 4],
    tier_above: ColumnBuilder,
    tier_used: bool,
    currency: StrColumn,
    source: StrColumn,
    status: StrColumn,
    model: StrColumn,
    version: StrColumn,
    service_tier: StrColumn,
}

impl Outputs {
    fn new(n: u32) -> Outputs {
        let b = || ColumnBuilder::new(n);
        let s = || StrColumn::new(n);
        Outputs {
            amount: b(),
            pico: b(),
            parts: [b(), b(), b(), b()],
            parts_used: [true, true, false, false],
            tier_above: b(),
            tier_used: false,
            currency: s(),
            source: s(),
            status: s(),
            model: s(),
            version: s(),
            service_tier: s(),
        }
    }

    fn priced(&mut self, row: u32, model: &str, cost: &Breakdown, service_tier: Option<&str>, tier: Option<u64>) {
        let total = cost.total();
        self.amount.set_double(row, atto_to_usd(total));
        self.pico.set_int(row, atto_to_pico(total));
        let parts = [cost.input, cost.output, cost.cache_read, cost.cache_write];
        for (i, part) in parts.into_iter().enumerate() {
            // Input and output are always written; cache parts only when such tokens were used.
            if i < 2 || part > 0 {
                self.parts[i].set_double(row, atto_to_usd(part));
                self.parts_used[i] = true;
            }
        }
        if let Some(above) = tier {
            self.tier_above.set_int(row, i64::try_from(above).unwrap_or(i64::MAX));
            self.tier_used = true;
        }
        if let Some(name) = service_tier {
            self.service_tier.set(row, name);
        }
        self.currency.set(row, "USD");
        self.source.set(row, "sluice");
        self.status.set(row, "priced");
        self.model.set(row, model);
    }

    fn write(self, batch: &mut Batch<'_>) -> Result<(), String> {
        let mut set = |name: &str, col| batch.set_column(&Key::record(name), col);
        const PARTS: [&str; 4] = ["sluice.cost.input", "sluice.cost.output", "sluice.cost.cache_read", "sluice.cost.cache_write"];
        let strings = [
            ("gen_ai.usage.cost.currency", self.currency),
            ("gen_ai.usage.cost.source", self.source),
            ("sluice.cost.status", self.status),
            ("sluice.cost.model", self.model),
            ("sluice.cost.pricing_version", self.version),
            ("sluice.cost.service_tier", self.service_tier),
        ];
        let any_priced = strings[0].1.is_set();
        if any_priced {
            set("gen_ai.usage.cost.amount", self.amount.finish())?;
            set("sluice.cost.amount_picousd", self.pico.finish())?;
            for ((name, col), used) in PARTS.into_iter().zip(self.parts).zip(self.parts_used) {
                if used {
                    set(name, col.finish())?;
                }
            }
            if self.tier_used {
                set("sluice.cost.tier_above_input_tokens", self.tier_above.finish())?;
            }
        }
        for (name, col) in strings {
            if let Some(col) = col.finish() {
                set(name, col)?;
            }
        }
        Ok(())
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
        let Some((rows, models, usage)) = self.candidates(batch) else { return Ok(()) };
        let legacy = self.table.legacy_attributes;
        let providers = self.matcher.needs_provider().then(|| FirstOf::read(batch, inputs::PROVIDER, legacy, &rows));

        // Match each distinct (model, provider) once per batch; spans of a batch share few models.
        let mut seen: HashMap<(&str, &str), Option<u32>, fnv::Build> = HashMap::default();
        let matched: Vec<Option<u32>> = rows
            .iter()
            .map(|&r| {
                let model = models.str(r).unwrap_or_default();
                let provider = providers.as_ref().and_then(|p| p.str(r)).unwrap_or_default();
                *seen.entry((model, provider)).or_insert_with(|| self.matcher.find(model, Some(provider)))
            })
            .collect();

        let tiered: Vec<u32> = rows
            .iter()
            .zip(&matched)
            .filter(|(_, m)| m.is_some_and(|i| !self.table.models[i as usize].service_tiers.is_empty()))
            .map(|(&r, _)| r)
            .collect();
        let service_tiers = (!tiered.is_empty()).then(|| FirstOf::read(batch, inputs::SERVICE_TIER, legacy, &tiered));

        let mut out = Outputs::new(batch.len());
        for (&r, m) in rows.iter().zip(&matched) {
            out.version.set(r, &self.table.version);
            let Some(i) = m else {
                out.status.set(r, "unpriced");
                continue;
            };
            let entry = &self.table.models[*i as usize];
            let [input, output, cache_read, cache_write, reasoning] = usage.each_ref().map(|u| u.count(r));
            let used = Usage::from_reported(input, output, cache_read, cache_write, reasoning);
            let (schedule, service_tier) = entry.schedule_for(service_tiers.as_ref().and_then(|s| s.str(r)));
            let (rates, tier) = schedule.rates_for(used.prompt_tokens());
            out.priced(r, &entry.name, &rates.cost(&used), service_tier, tier);
        }
        out.write(batch)
    }
}

export_plugin!(Cost);

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;
