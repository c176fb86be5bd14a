//! `process` end to end against a fake batch, with hand-computed costs, and the shipped
//! pricing table.

mod extends;
mod fake;
mod inputs;
mod pricing;
mod process;

use sluice_plugin_sdk::{Batch, Plugin};

use crate::Cost;
use fake::{FakeBatch, V, s};

/// A small table: a model with cache prices and a long-context tier, one with service tiers.
const TABLE: &str = r#"
pricing_version = "test-1"

[[models]]
name = "claude-sonnet-4-5"
provider = "anthropic"
input_per_mtok = "3"
output_per_mtok = "15"
cache_read_per_mtok = "0.30"
cache_write_per_mtok = "3.75"
[[models.tiers]]
above_input_tokens = 200000
input_per_mtok = "6"
output_per_mtok = "22.50"
cache_read_per_mtok = "0.60"
cache_write_per_mtok = "7.50"

[[models]]
name = "gpt-4o"
provider = "openai"
input_per_mtok = 2.5
output_per_mtok = 10
cache_read_per_mtok = "1.25"
[models.service_tiers.flex]
input_per_mtok = "1.25"
output_per_mtok = "5"
[models.service_tiers.priority]
input_per_mtok = "4.25"
output_per_mtok = "17"
cache_read_per_mtok = "2.125"
"#;

/// Runs the plugin with `config` over `batch`.
fn run(config: &str, mut batch: FakeBatch) -> FakeBatch {
    let mut plugin = Cost::init(config).unwrap();
    plugin.process(&mut Batch::new(&mut batch)).unwrap();
    batch
}

/// A span of an LLM call.
fn llm(model: &str, input: i64, output: i64) -> Vec<(&str, V)> {
    vec![
        ("gen_ai.response.model", s(model)),
        ("gen_ai.usage.input_tokens", V::I(input)),
        ("gen_ai.usage.output_tokens", V::I(output)),
    ]
}

/// `attrs` plus `extra`.
fn with(mut attrs: Vec<(&'static str, V)>, extra: &[(&'static str, V)]) -> Vec<(&'static str, V)> {
    attrs.extend_from_slice(extra);
    attrs
}

const AMOUNT: &str = "gen_ai.usage.cost.amount";
const PICO: &str = "sluice.cost.amount_picousd";
