//! What `process` reads and which rows it touches.

use sluice_plugin_sdk::Signal;

use super::fake::{FakeBatch, V, row, s};
use super::{AMOUNT, PICO, TABLE, llm, run, with};

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
        row(&[
            ("gen_ai.response.model", s("gpt-4o")),
            ("gen_ai.usage.input_tokens", s("lots")),
        ]),
        row(&[
            ("gen_ai.response.model", s("")),
            ("gen_ai.usage.input_tokens", V::I(10)),
        ]),
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
    let earlier_sluice = with(
        llm("gpt-4o", 1000, 0),
        &[
            (AMOUNT, V::D(9.99)),
            ("gen_ai.usage.cost.source", s("sluice")),
        ],
    );
    let rows = || vec![row(&app), row(&earlier_sluice)];
    let kept = run(TABLE, FakeBatch::spans(rows()));
    assert!(!kept.touched(0));
    assert_eq!(kept.double(0, AMOUNT), Some(9.99));
    assert_eq!(
        kept.double(1, AMOUNT),
        Some(0.0025),
        "a cost sluice set itself is redone"
    );
    let overwritten = run(
        &format!("overwrite = true\n{TABLE}"),
        FakeBatch::spans(rows()),
    );
    assert_eq!(overwritten.double(0, AMOUNT), Some(0.0025));
    assert_eq!(
        overwritten.str(0, "gen_ai.usage.cost.source").as_deref(),
        Some("sluice")
    );
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
    let b = run(
        TABLE,
        FakeBatch::spans(vec![row(&openllmetry), row(&llm_usage)]),
    );
    assert_eq!(b.int(0, PICO), Some(4_995_000_000));
    assert_eq!(b.int(1, PICO), Some(4_500_000_000));

    let strict = run(
        &format!("legacy_attributes = false\n{TABLE}"),
        FakeBatch::spans(vec![row(&openllmetry)]),
    );
    assert!(strict.writes.is_empty());
    assert_eq!(strict.reads.borrow().as_slice(), ["gen_ai.response.model"]);
}

#[test]
fn legacy_names_are_not_read_when_every_row_has_the_current_one() {
    let b = run(
        TABLE,
        FakeBatch::spans(vec![row(&llm("claude-sonnet-4-5", 10, 10))]),
    );
    let reads = b.reads.borrow();
    for name in [
        "gen_ai.request.model",
        "gen_ai.usage.prompt_tokens",
        "gen_ai.usage.completion_tokens",
    ] {
        assert!(
            !reads.iter().any(|r| r == name),
            "{name} read needlessly: {reads:?}"
        );
    }
    // The model has no service tiers and no name is shared between providers.
    assert!(
        !reads
            .iter()
            .any(|r| r.contains("service_tier") || r == "gen_ai.provider.name"),
        "{reads:?}"
    );
}

#[test]
fn response_model_wins_over_request_model() {
    let attrs = with(
        llm("gpt-4o", 1000, 0),
        &[("gen_ai.request.model", s("claude-sonnet-4-5"))],
    );
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
    let on = |p: &str| {
        row(&with(
            llm("llama-3.3-70b", 1_000_000, 0),
            &[("gen_ai.provider.name", s(p))],
        ))
    };
    let rows = vec![
        on("groq"),
        on("together_ai"),
        row(&llm("groq/llama-3.3-70b", 1_000_000, 0)),
        row(&llm("llama-3.3-70b", 1_000_000, 0)),
    ];
    let b = run(table, FakeBatch::spans(rows));
    assert_eq!(b.double(0, AMOUNT), Some(0.59));
    assert_eq!(b.double(1, AMOUNT), Some(0.88));
    assert_eq!(
        b.double(2, AMOUNT),
        Some(0.59),
        "a routing prefix names the provider"
    );
    assert_eq!(
        b.double(3, AMOUNT),
        Some(0.88),
        "no provider: the first entry listed"
    );
}
