//! `process` end to end against the fake batch, with hand-computed costs.

use sluice_plugin_sdk::{Batch, Plugin, Signal};

use crate::Cost;
use crate::fake::{FakeBatch, V, row, s};

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

fn run(config: &str, mut batch: FakeBatch) -> FakeBatch {
    let mut plugin = Cost::init(config).unwrap();
    plugin.process(&mut Batch::new(&mut batch)).unwrap();
    batch
}

fn llm(model: &str, input: i64, output: i64) -> Vec<(&str, V)> {
    vec![
        ("gen_ai.response.model", s(model)),
        ("gen_ai.usage.input_tokens", V::I(input)),
        ("gen_ai.usage.output_tokens", V::I(output)),
    ]
}

fn with(mut attrs: Vec<(&'static str, V)>, extra: &[(&'static str, V)]) -> Vec<(&'static str, V)> {
    attrs.extend_from_slice(extra);
    attrs
}

const AMOUNT: &str = "gen_ai.usage.cost.amount";
const PICO: &str = "sluice.cost.amount_picousd";

#[test]
fn cached_tokens_are_priced_once() {
    // 1000 input incl. 400 cache reads and 100 cache writes, 200 output:
    // 500 x $3/M + 400 x $0.30/M + 100 x $3.75/M + 200 x $15/M = $0.004995.
    let attrs = with(
        llm("claude-sonnet-4-5", 1000, 200),
        &[("gen_ai.usage.cache_read.input_tokens", V::I(400)), ("gen_ai.usage.cache_creation.input_tokens", V::I(100))],
    );
    let b = run(TABLE, FakeBatch::spans(vec![row(&attrs)]));
    assert_eq!(b.double(0, AMOUNT), Some(0.004995));
    assert_eq!(b.int(0, PICO), Some(4_995_000_000));
    assert_eq!(b.double(0, "sluice.cost.input"), Some(0.0015));
    assert_eq!(b.double(0, "sluice.cost.cache_read"), Some(0.00012));
    assert_eq!(b.double(0, "sluice.cost.cache_write"), Some(0.000375));
    assert_eq!(b.double(0, "sluice.cost.output"), Some(0.003));
    assert_eq!(b.str(0, "gen_ai.usage.cost.currency").as_deref(), Some("USD"));
    assert_eq!(b.str(0, "gen_ai.usage.cost.source").as_deref(), Some("sluice"));
    assert_eq!(b.str(0, "sluice.cost.status").as_deref(), Some("priced"));
    assert_eq!(b.str(0, "sluice.cost.model").as_deref(), Some("claude-sonnet-4-5"));
    assert_eq!(b.str(0, "sluice.cost.pricing_version").as_deref(), Some("test-1"));
    assert_eq!(b.get(0, "sluice.cost.tier_above_input_tokens"), None);
}

#[test]
fn long_context_tier_boundary() {
    let rows = vec![
        row(&llm("claude-sonnet-4-5", 200_000, 1000)),
        row(&llm("claude-sonnet-4-5", 200_001, 1000)),
        // Cached tokens count toward the threshold: 100,001 fresh + 100,000 read.
        row(&with(llm("claude-sonnet-4-5", 200_001, 0), &[("gen_ai.usage.cache_read.input_tokens", V::I(100_000))])),
    ];
    let b = run(TABLE, FakeBatch::spans(rows));
    // At the threshold: 200,000 x $3/M + 1,000 x $15/M = $0.615.
    assert_eq!(b.int(0, PICO), Some(615_000_000_000));
    assert_eq!(b.get(0, "sluice.cost.tier_above_input_tokens"), None);
    // One above: 200,001 x $6/M + 1,000 x $22.50/M = $1.222506.
    assert_eq!(b.int(1, PICO), Some(1_222_506_000_000));
    assert_eq!(b.int(1, "sluice.cost.tier_above_input_tokens"), Some(200_000));
    // 100,001 x $6/M + 100,000 x $0.60/M = $0.660006.
    assert_eq!(b.int(2, PICO), Some(660_006_000_000));
}

#[test]
fn service_tiers() {
    let tier = |t: &str| row(&with(llm("gpt-4o", 1000, 1000), &[("openai.response.service_tier", s(t))]));
    let cached_priority = with(
        llm("gpt-4o", 1000, 0),
        &[("openai.response.service_tier", s("priority")), ("gen_ai.usage.cache_read.input_tokens", V::I(400))],
    );
    let rows = vec![tier("flex"), tier("FLEX"), tier("default"), tier("scale"), row(&llm("gpt-4o", 1000, 1000)), row(&cached_priority)];
    let b = run(TABLE, FakeBatch::spans(rows));
    // Flex: 1000 x $1.25/M + 1000 x $5/M = $0.00625.
    for r in [0, 1] {
        assert_eq!(b.int(r, PICO), Some(6_250_000_000));
        assert_eq!(b.str(r, "sluice.cost.service_tier").as_deref(), Some("flex"));
    }
    // Standard (named default, a tier the table lacks, or none): $0.0025 + $0.01.
    for r in [2, 3, 4] {
        assert_eq!(b.int(r, PICO), Some(12_500_000_000), "row {r}");
        assert_eq!(b.get(r, "sluice.cost.service_tier"), None);
    }
    // Priority: 600 x $4.25/M + 400 x $2.125/M = $0.0034.
    assert_eq!(b.int(5, PICO), Some(3_400_000_000));
}

#[test]
fn snapshots_prefixes_and_case_match_the_entry() {
    let names = [
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("azure/gpt-4o", "gpt-4o"),
        ("GPT-4o", "gpt-4o"),
        ("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("vertex_ai/claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
        ("anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
    ];
    let rows = names.iter().map(|(m, _)| row(&llm(m, 1000, 0))).collect();
    let b = run(TABLE, FakeBatch::spans(rows));
    for (r, (model, entry)) in names.iter().enumerate() {
        assert_eq!(b.str(r as u32, "sluice.cost.model").as_deref(), Some(*entry), "{model}");
        assert_eq!(b.str(r as u32, "sluice.cost.status").as_deref(), Some("priced"), "{model}");
    }
}

#[test]
fn unknown_model_is_unpriced_not_free() {
    let b = run(TABLE, FakeBatch::spans(vec![row(&llm("gpt-4o-audio-preview", 1000, 10)), row(&llm("gpt-4o", 1000, 10))]));
    assert_eq!(b.str(0, "sluice.cost.status").as_deref(), Some("unpriced"));
    assert_eq!(b.str(0, "sluice.cost.pricing_version").as_deref(), Some("test-1"));
    for attr in [AMOUNT, PICO, "gen_ai.usage.cost.currency", "sluice.cost.model", "sluice.cost.input"] {
        assert_eq!(b.get(0, attr), None, "{attr}");
    }
    assert_eq!(b.str(1, "sluice.cost.status").as_deref(), Some("priced"));
}

#[test]
fn counts_arrive_as_int_double_or_string() {
    let as_int = llm("gpt-4o", 1000, 200);
    let mixed = vec![
        ("gen_ai.response.model", s("gpt-4o")),
        ("gen_ai.usage.input_tokens", s(" 1000 ")),
        ("gen_ai.usage.output_tokens", V::D(200.0)),
    ];
    let b = run(TABLE, FakeBatch::spans(vec![row(&as_int), row(&mixed)]));
    // 1000 x $2.50/M + 200 x $10/M = $0.0045.
    assert_eq!(b.int(0, PICO), Some(4_500_000_000));
    assert_eq!(b.int(1, PICO), Some(4_500_000_000));
}

#[test]
fn rows_without_model_or_usage_are_untouched() {
    let rows = vec![
        row(&[("gen_ai.usage.input_tokens", V::I(10))]),
        row(&[("gen_ai.response.model", s("gpt-4o"))]),
        row(&[("gen_ai.response.model", s("gpt-4o")), ("gen_ai.usage.input_tokens", s("lots"))]),
        row(&[("gen_ai.response.model", s("")), ("gen_ai.usage.input_tokens", V::I(10))]),
        row(&[("http.method", s("GET"))]),
        row(&llm("gpt-4o", 1, 1)),
    ];
    let b = run(TABLE, FakeBatch::spans(rows));
    for r in 0..5 {
        assert!(!b.touched(r), "row {r} was written");
    }
    assert!(b.touched(5));
}

#[test]
fn other_signals_are_untouched() {
    let mut batch = FakeBatch::spans(vec![row(&llm("gpt-4o", 1, 1))]);
    batch.signal = Signal::Log;
    let b = run(TABLE, batch);
    assert!(b.writes.is_empty() && b.reads.borrow().is_empty());
}

#[test]
fn an_app_cost_is_kept_unless_overwrite() {
    let app = with(llm("gpt-4o", 1000, 0), &[(AMOUNT, V::D(9.99))]);
    let earlier_sluice = with(llm("gpt-4o", 1000, 0), &[(AMOUNT, V::D(9.99)), ("gen_ai.usage.cost.source", s("sluice"))]);
    let rows = || vec![row(&app), row(&earlier_sluice)];
    let kept = run(TABLE, FakeBatch::spans(rows()));
    assert!(!kept.touched(0));
    assert_eq!(kept.double(0, AMOUNT), Some(9.99));
    assert_eq!(kept.double(1, AMOUNT), Some(0.0025), "a cost sluice set itself is redone");
    let overwritten = run(&format!("overwrite = true\n{TABLE}"), FakeBatch::spans(rows()));
    assert_eq!(overwritten.double(0, AMOUNT), Some(0.0025));
    assert_eq!(overwritten.str(0, "gen_ai.usage.cost.source").as_deref(), Some("sluice"));
}

#[test]
fn legacy_names_are_read() {
    let openllmetry = [
        ("gen_ai.request.model", s("claude-sonnet-4-5")),
        ("gen_ai.system", s("Anthropic")),
        ("gen_ai.usage.prompt_tokens", V::I(1000)),
        ("gen_ai.usage.completion_tokens", V::I(200)),
        ("gen_ai.usage.cache_read_input_tokens", V::I(400)),
        ("gen_ai.usage.cache_creation_input_tokens", V::I(100)),
    ];
    let llm_usage = [
        ("llm.request.model", s("gpt-4o")),
        ("llm.usage.prompt_tokens", V::I(1000)),
        ("llm.usage.completion_tokens", V::I(200)),
    ];
    let b = run(TABLE, FakeBatch::spans(vec![row(&openllmetry), row(&llm_usage)]));
    assert_eq!(b.int(0, PICO), Some(4_995_000_000));
    assert_eq!(b.int(1, PICO), Some(4_500_000_000));

    let strict = run(&format!("legacy_attributes = false\n{TABLE}"), FakeBatch::spans(vec![row(&openllmetry)]));
    assert!(strict.writes.is_empty());
    assert_eq!(strict.reads.borrow().as_slice(), ["gen_ai.response.model"]);
}

#[test]
fn legacy_names_are_not_read_when_every_row_has_the_current_one() {
    let b = run(TABLE, FakeBatch::spans(vec![row(&llm("claude-sonnet-4-5", 10, 10))]));
    let reads = b.reads.borrow();
    for name in ["gen_ai.request.model", "gen_ai.usage.prompt_tokens", "gen_ai.usage.completion_tokens"] {
        assert!(!reads.iter().any(|r| r == name), "{name} read needlessly: {reads:?}");
    }
    // The model has no service tiers and no name is shared between providers.
    assert!(!reads.iter().any(|r| r.contains("service_tier") || r == "gen_ai.provider.name"), "{reads:?}");
}

#[test]
fn response_model_wins_over_request_model() {
    let attrs = with(llm("gpt-4o", 1000, 0), &[("gen_ai.request.model", s("claude-sonnet-4-5"))]);
    let b = run(TABLE, FakeBatch::spans(vec![row(&attrs)]));
    assert_eq!(b.str(0, "sluice.cost.model").as_deref(), Some("gpt-4o"));
}

#[test]
fn the_provider_picks_between_entries_of_the_same_name() {
    let table = r#"
pricing_version = "p"
[[models]]
name = "llama-3.3-70b"
provider = "together"
input_per_mtok = "0.88"
output_per_mtok = "0.88"
[[models]]
name = "llama-3.3-70b"
provider = "groq"
input_per_mtok = "0.59"
output_per_mtok = "0.79"
"#;
    let on = |p: &str| row(&with(llm("llama-3.3-70b", 1_000_000, 0), &[("gen_ai.provider.name", s(p))]));
    let rows = vec![on("groq"), on("together_ai"), row(&llm("groq/llama-3.3-70b", 1_000_000, 0)), row(&llm("llama-3.3-70b", 1_000_000, 0))];
    let b = run(table, FakeBatch::spans(rows));
    assert_eq!(b.double(0, AMOUNT), Some(0.59));
    assert_eq!(b.double(1, AMOUNT), Some(0.88));
    assert_eq!(b.double(2, AMOUNT), Some(0.59), "a routing prefix names the provider");
    assert_eq!(b.double(3, AMOUNT), Some(0.88), "no provider: the first entry listed");
}

#[test]
fn a_big_batch_sums_exactly() {
    // 10,000 calls of one cached token at $1.25/M and one output token at $10/M.
    let attrs = with(llm("gpt-4o", 1, 1), &[("gen_ai.usage.cache_read.input_tokens", V::I(1))]);
    let b = run(TABLE, FakeBatch::spans(vec![row(&attrs); 10_000]));
    let total: i64 = (0..10_000).map(|r| b.int(r, PICO).unwrap()).sum();
    assert_eq!(total, 112_500_000_000); // exactly $0.1125
}

#[test]
fn info_and_bad_config() {
    let plugin = Cost::init(TABLE).unwrap();
    let info = plugin.info();
    assert_eq!((info.name.as_str(), info.signals.as_slice()), ("cost", &[Signal::Span][..]));
    let err = Cost::init("pricing_version = \"x\"\n[[models]]\nname = \"a\"\ninput_per_mtok = \"abc\"\n").err().unwrap();
    assert_eq!(
        err,
        "cost: models[0].input_per_mtok: expected a decimal number, got \"abc\"\ncost: models[0].output_per_mtok: missing"
    );
}
