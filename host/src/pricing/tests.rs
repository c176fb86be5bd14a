//! Importing LiteLLM entries: each rule on a hand-written entry, checked by loading the
//! result in the cost plugin and pricing a request with hand-computed expectations.

use super::*;
use sluice_plugin_cost::Cost;
use sluice_plugin_cost::price::{Rates, Usage};

/// Imports `json` and loads it in the plugin.
fn load(json: &str) -> (Import, Cost) {
    let import = import_litellm(json, "test.json").unwrap();
    let cost = Cost::from_config(&import.table).unwrap();
    (import, cost)
}

/// The atto-USD the plugin charges `model` for `usage`, at `service_tier` if given.
fn charge(cost: &Cost, model: &str, service_tier: Option<&str>, usage: Usage) -> u128 {
    let entry = cost
        .table()
        .models
        .iter()
        .find(|m| m.name == model)
        .expect("imported");
    let (schedule, _) = entry.schedule_for(service_tier);
    let rates: &Rates = schedule.rates_for(usage.prompt_tokens()).0;
    rates.cost(&usage).total()
}

fn usage(input: u64, output: u64, cache_read: u64) -> Usage {
    Usage::from_reported(Some(input), Some(output), Some(cache_read), None, None)
}

/// Micro-USD as atto-USD, to write expectations in readable units.
const MICRO: u128 = 1_000_000_000_000;

#[test]
fn chat_models_with_cache_and_service_tiers() {
    let (import, cost) = load(
        r#"{
        "sample_spec": {"mode": "chat", "input_cost_per_token": 0.0},
        "gpt-4o": {"litellm_provider": "openai", "mode": "chat",
            "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05,
            "cache_read_input_token_cost": 1.25e-06,
            "input_cost_per_token_flex": 1.25e-06, "output_cost_per_token_flex": 5e-06,
            "input_cost_per_token_batches": 1.25e-06, "output_cost_per_token_batches": 5e-06},
        "text-embedding-3-small": {"mode": "embedding", "input_cost_per_token": 2e-08},
        "dall-e-3": {"mode": "image_generation", "output_cost_per_image": 0.04}
    }"#,
    );
    assert_eq!(import.models, 1);
    assert!(import.table.contains(
        "input_per_mtok = \"2.5\"\noutput_per_mtok = \"10\"\ncache_read_per_mtok = \"1.25\"\n"
    ));
    assert_eq!(import.skipped.len(), 2);
    assert_eq!(import.rejected().count(), 0);
    // 1000 input of which 400 cached, 200 output: 600 x $2.50/M + 400 x $1.25/M + 200 x $10/M.
    assert_eq!(
        charge(&cost, "gpt-4o", None, usage(1000, 200, 400)),
        4000 * MICRO
    );
    // Flex: its own input and output, and the standard cache price it does not give:
    // 600 x $1.25/M + 400 x $1.25/M + 200 x $5/M.
    assert_eq!(
        charge(&cost, "gpt-4o", Some("flex"), usage(1000, 200, 400)),
        2250 * MICRO
    );
    // Batches become the `batch` service tier.
    assert_eq!(
        charge(&cost, "gpt-4o", Some("batch"), usage(1000, 0, 0)),
        1250 * MICRO
    );
}

#[test]
fn long_context_tiers_are_written_in_full() {
    let (import, cost) = load(
        r#"{"gemini-2.5-pro": {"litellm_provider": "gemini", "mode": "chat",
            "input_cost_per_token": 1.25e-06, "output_cost_per_token": 1e-05,
            "cache_read_input_token_cost": 1.25e-07,
            "input_cost_per_token_above_200k_tokens": 2.5e-06,
            "output_cost_per_token_above_200k_tokens": 1.5e-05,
            "cache_read_input_token_cost_above_200k_tokens": 2.5e-07}}"#,
    );
    assert!(
        import
            .table
            .contains("[[models.tiers]]\nabove_input_tokens = 200000\n"),
        "{}",
        import.table
    );
    // At the threshold: 200,000 x $1.25/M + 1,000 x $10/M = $0.26.
    assert_eq!(
        charge(&cost, "gemini-2.5-pro", None, usage(200_000, 1000, 0)),
        260_000 * MICRO
    );
    // One above, 1,001 of them cached: 199,000 x $2.50/M + 1,001 x $0.25/M + 1,000 x $15/M.
    assert_eq!(
        charge(&cost, "gemini-2.5-pro", None, usage(200_001, 1000, 1001)),
        497_500 * MICRO + 250_250_000_000_000 + 15_000 * MICRO
    );
}

#[test]
fn a_higher_tier_inherits_the_lower_tiers_prices() {
    // LiteLLM applies every crossed threshold in ascending order, so 272k's missing output
    // price is 128k's, not the base's; a cache price nobody gives is the tier's input.
    let (_, cost) = load(
        r#"{"m": {"litellm_provider": "openai", "mode": "responses",
            "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,
            "input_cost_per_token_above_128k_tokens": 3e-06,
            "output_cost_per_token_above_128k_tokens": 4e-06,
            "input_cost_per_token_above_272k_tokens": 5e-06}}"#,
    );
    // 300,000 input (100,000 cached) at $5/M, 1,000 output at $4/M.
    assert_eq!(
        charge(&cost, "m", None, usage(300_000, 1000, 100_000)),
        1_504_000 * MICRO
    );
    assert_eq!(
        charge(&cost, "m", None, usage(200_000, 1000, 0)),
        604_000 * MICRO
    );
}

#[test]
fn xai_thresholds_are_inclusive() {
    let (import, cost) = load(
        r#"{"xai/grok-4-fast": {"litellm_provider": "xai", "mode": "chat",
            "input_cost_per_token": 2e-07, "output_cost_per_token": 5e-07,
            "input_cost_per_token_above_128k_tokens": 4e-07,
            "output_cost_per_token_above_128k_tokens": 1e-06}}"#,
    );
    assert!(import.table.contains("above_input_tokens = 127999\n"));
    // Exactly 128,000 tokens is already the higher price at xAI.
    assert_eq!(
        charge(&cost, "xai/grok-4-fast", None, usage(128_000, 0, 0)),
        51_200 * MICRO
    );
    assert_eq!(
        charge(&cost, "xai/grok-4-fast", None, usage(127_999, 0, 0)),
        25_599_800_000_000_000
    );
}

#[test]
fn tiered_pricing_ranges() {
    let (_, cost) = load(
        r#"{"dashscope/qwen-flash": {"litellm_provider": "dashscope", "mode": "chat",
            "input_cost_per_token": 5e-08, "output_cost_per_token": 4e-07,
            "tiered_pricing": [
                {"input_cost_per_token": 2.5e-07, "output_cost_per_token": 2e-06, "range": [256000.0, 1000000.0]},
                {"input_cost_per_token": 5e-08, "output_cost_per_token": 4e-07, "range": [0, 256000.0]}]}}"#,
    );
    // A range covers start < prompt <= end; cached tokens are the range's input price.
    assert_eq!(
        charge(&cost, "dashscope/qwen-flash", None, usage(256_000, 1000, 0)),
        13_200 * MICRO
    );
    assert_eq!(
        charge(
            &cost,
            "dashscope/qwen-flash",
            None,
            usage(256_001, 1000, 6_001)
        ),
        66_000_250_000_000_000
    );
}

#[test]
fn provider_rules_and_notes() {
    let (import, cost) = load(
        r#"{"fireworks_ai/m": {"litellm_provider": "fireworks_ai", "mode": "chat",
                "input_cost_per_token": 2e-07, "output_cost_per_token": 2e-07},
            "deepseek/deepseek-chat": {"litellm_provider": "deepseek", "mode": "chat",
                "input_cost_per_token": 2.8e-07, "output_cost_per_token": 4.2e-07,
                "off_peak_pricing": {"input_cost_per_token": 1.4e-07}}}"#,
    );
    // Fireworks bills cached input at half price (LiteLLM's rule in code, not in its table).
    assert_eq!(
        charge(&cost, "fireworks_ai/m", None, usage(1000, 0, 1000)),
        100 * MICRO
    );
    assert_eq!(import.noted, 1);
    assert!(
        import
            .table
            .contains("# note: off-peak prices not represented")
    );
}

#[test]
fn what_cannot_be_imported_is_skipped_with_its_reason() {
    let import = import_litellm(
        r#"{"no-output": {"mode": "chat", "litellm_provider": "x", "input_cost_per_token": 1e-06},
            "Twice": {"mode": "chat", "litellm_provider": "x", "input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06},
            "twice": {"mode": "chat", "litellm_provider": "x", "input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06},
            "negative": {"mode": "chat", "litellm_provider": "x", "input_cost_per_token": -1e-06, "output_cost_per_token": 1e-06}}"#,
        "t.json",
    )
    .unwrap();
    assert_eq!(import.models, 1);
    let reasons: Vec<&str> = import.rejected().map(|(n, _)| n.as_str()).collect();
    assert_eq!(reasons, ["negative", "no-output", "twice"]);
    assert!(import.table.contains("name = \"Twice\""));
    assert!(!import.table.contains("negative"));
    assert!(
        import_litellm("[1]", "t.json")
            .unwrap_err()
            .contains("not LiteLLM's JSON")
    );
}
