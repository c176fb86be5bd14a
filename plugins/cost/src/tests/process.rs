//! Pricing through `process`: cache, tiers, service tiers, matching, exact sums.

use sluice_plugin_sdk::{Plugin, Signal};

use super::fake::{FakeBatch, V, row, s};
use super::{AMOUNT, PICO, TABLE, llm, run, with};
use crate::Cost;

#[test]
fn cached_tokens_are_priced_once() {
    // 1000 input incl. 400 cache reads and 100 cache writes, 200 output:
    // 500 x $3/M + 400 x $0.30/M + 100 x $3.75/M + 200 x $15/M = $0.004995.
    let attrs = with(
        llm("claude-sonnet-4-5", 1000, 200),
        &[
            ("gen_ai.usage.cache_read.input_tokens", V::I(400)),
            ("gen_ai.usage.cache_creation.input_tokens", V::I(100)),
        ],
    );
    let b = run(TABLE, FakeBatch::spans(vec![row(&attrs)]));
    assert_eq!(b.double(0, AMOUNT), Some(0.004995));
    assert_eq!(b.int(0, PICO), Some(4_995_000_000));
    assert_eq!(b.double(0, "sluice.cost.input"), Some(0.0015));
    assert_eq!(b.double(0, "sluice.cost.cache_read"), Some(0.00012));
    assert_eq!(b.double(0, "sluice.cost.cache_write"), Some(0.000375));
    assert_eq!(b.double(0, "sluice.cost.output"), Some(0.003));
    assert_eq!(
        b.str(0, "gen_ai.usage.cost.currency").as_deref(),
        Some("USD")
    );
    assert_eq!(
        b.str(0, "gen_ai.usage.cost.source").as_deref(),
        Some("sluice")
    );
    assert_eq!(b.str(0, "sluice.cost.status").as_deref(), Some("priced"));
    assert_eq!(
        b.str(0, "sluice.cost.model").as_deref(),
        Some("claude-sonnet-4-5")
    );
    assert_eq!(
        b.str(0, "sluice.cost.pricing_version").as_deref(),
        Some("test-1")
    );
    assert_eq!(b.get(0, "sluice.cost.tier_above_input_tokens"), None);
}

#[test]
fn long_context_tier_boundary() {
    let rows = vec![
        row(&llm("claude-sonnet-4-5", 200_000, 1000)),
        row(&llm("claude-sonnet-4-5", 200_001, 1000)),
        // Cached tokens count toward the threshold: 100,001 fresh + 100,000 read.
        row(&with(
            llm("claude-sonnet-4-5", 200_001, 0),
            &[("gen_ai.usage.cache_read.input_tokens", V::I(100_000))],
        )),
    ];
    let b = run(TABLE, FakeBatch::spans(rows));
    // At the threshold: 200,000 x $3/M + 1,000 x $15/M = $0.615.
    assert_eq!(b.int(0, PICO), Some(615_000_000_000));
    assert_eq!(b.get(0, "sluice.cost.tier_above_input_tokens"), None);
    // One above: 200,001 x $6/M + 1,000 x $22.50/M = $1.222506.
    assert_eq!(b.int(1, PICO), Some(1_222_506_000_000));
    assert_eq!(
        b.int(1, "sluice.cost.tier_above_input_tokens"),
        Some(200_000)
    );
    // 100,001 x $6/M + 100,000 x $0.60/M = $0.660006.
    assert_eq!(b.int(2, PICO), Some(660_006_000_000));
}

#[test]
fn service_tiers() {
    let tier = |t: &str| {
        row(&with(
            llm("gpt-4o", 1000, 1000),
            &[("openai.response.service_tier", s(t))],
        ))
    };
    let cached_priority = with(
        llm("gpt-4o", 1000, 0),
        &[
            ("openai.response.service_tier", s("priority")),
            ("gen_ai.usage.cache_read.input_tokens", V::I(400)),
        ],
    );
    let rows = vec![
        tier("flex"),
        tier("FLEX"),
        tier("default"),
        tier("scale"),
        row(&llm("gpt-4o", 1000, 1000)),
        row(&cached_priority),
    ];
    let b = run(TABLE, FakeBatch::spans(rows));
    // Flex: 1000 x $1.25/M + 1000 x $5/M = $0.00625.
    for r in [0, 1] {
        assert_eq!(b.int(r, PICO), Some(6_250_000_000));
        assert_eq!(
            b.str(r, "sluice.cost.service_tier").as_deref(),
            Some("flex")
        );
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
fn a_big_batch_sums_exactly() {
    // 10,000 calls of one cached token at $1.25/M and one output token at $10/M.
    let attrs = with(
        llm("gpt-4o", 1, 1),
        &[("gen_ai.usage.cache_read.input_tokens", V::I(1))],
    );
    let b = run(TABLE, FakeBatch::spans(vec![row(&attrs); 10_000]));
    let total: i64 = (0..10_000).map(|r| b.int(r, PICO).unwrap()).sum();
    assert_eq!(total, 112_500_000_000); // exactly $0.1125
}

#[test]
fn snapshots_prefixes_and_case_match_the_entry() {
    let names = [
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("azure/gpt-4o", "gpt-4o"),
        ("GPT-4o", "gpt-4o"),
        (
            "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "claude-sonnet-4-5",
        ),
        ("vertex_ai/claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
        (
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "claude-sonnet-4-5",
        ),
    ];
    let rows = names.iter().map(|(m, _)| row(&llm(m, 1000, 0))).collect();
    let b = run(TABLE, FakeBatch::spans(rows));
    for (r, (model, entry)) in names.iter().enumerate() {
        assert_eq!(
            b.str(r as u32, "sluice.cost.model").as_deref(),
            Some(*entry),
            "{model}"
        );
        assert_eq!(
            b.str(r as u32, "sluice.cost.status").as_deref(),
            Some("priced"),
            "{model}"
        );
    }
}

#[test]
fn unknown_model_is_unpriced_not_free() {
    let b = run(
        TABLE,
        FakeBatch::spans(vec![
            row(&llm("gpt-4o-audio-preview", 1000, 10)),
            row(&llm("gpt-4o", 1000, 10)),
        ]),
    );
    assert_eq!(b.str(0, "sluice.cost.status").as_deref(), Some("unpriced"));
    assert_eq!(
        b.str(0, "sluice.cost.pricing_version").as_deref(),
        Some("test-1")
    );
    for attr in [
        AMOUNT,
        PICO,
        "gen_ai.usage.cost.currency",
        "sluice.cost.model",
        "sluice.cost.input",
    ] {
        assert_eq!(b.get(0, attr), None, "{attr}");
    }
    assert_eq!(b.str(1, "sluice.cost.status").as_deref(), Some("priced"));
}

#[test]
fn info_and_bad_config() {
    let plugin = Cost::init(TABLE).unwrap();
    let info = plugin.info();
    assert_eq!(
        (info.name.as_str(), info.signals.as_slice()),
        ("cost", &[Signal::Span][..])
    );
    let err =
        Cost::init("pricing_version = \"x\"\n[[models]]\nname = \"a\"\ninput_per_mtok = \"abc\"\n")
            .err()
            .unwrap();
    assert_eq!(
        err,
        "cost: models[0].input_per_mtok: expected a decimal number, got \"abc\"\ncost: models[0].output_per_mtok: missing"
    );
}
