//! The shipped default table (`pricing.toml`) parses, every entry is sane, and the ids real
//! instrumentations report find the entry they should.

use crate::Cost;
use crate::price::{Rate, Usage};

const SHIPPED: &str = include_str!("../../pricing.toml");

fn shipped() -> Cost {
    Cost::from_config(SHIPPED).unwrap_or_else(|e| panic!("pricing.toml is invalid:\n{e}"))
}

fn rate(s: &str) -> Rate {
    Rate::parse_per_mtok(s).unwrap()
}

#[test]
fn every_entry_is_valid() {
    let cost = shipped();
    let table = cost.table();
    assert!(!table.overwrite && table.legacy_attributes);
    assert!(
        table.version.starts_with("20"),
        "pricing_version is a date: {}",
        table.version
    );
    assert!(table.models.len() >= 60, "{} models", table.models.len());
    let providers = [
        "openai",
        "anthropic",
        "bedrock",
        "google",
        "mistral",
        "cohere",
        "deepseek",
        "xai",
        "groq",
        "together",
    ];
    for (i, m) in table.models.iter().enumerate() {
        let at = format!("models[{i}] {}", m.name);
        assert!(
            providers.contains(&m.provider.as_deref().unwrap_or("")),
            "{at}: provider"
        );
        let base = m.standard.base;
        assert!(
            base.input.0 > 0,
            "{at}: an input price of 0 would price calls as free"
        );
        assert!(
            base.output.0 > 0 || m.name.contains("embedding"),
            "{at}: output price"
        );
        // Cached tokens never cost more to read than fresh input; writes never less.
        assert!(
            base.cache_read.0 <= base.input.0 && base.cache_write.0 >= base.input.0,
            "{at}: cache prices"
        );
        for (above, tier) in &m.standard.tiers {
            assert!(
                tier.input.0 > base.input.0 && tier.output.0 >= base.output.0,
                "{at}: tier above {above} is cheaper"
            );
        }
        for (name, st) in &m.service_tiers {
            let cheaper = st.base.input.0 < base.input.0;
            assert_eq!(cheaper, name != "priority", "{at}: service tier {name}");
        }
        // Each entry finds itself, whatever the case.
        let found = cost.matcher.find(&m.name.to_ascii_uppercase(), None);
        assert_eq!(found, Some(i as u32), "{at}: does not match its own name");
    }
    for p in providers {
        assert!(
            table
                .models
                .iter()
                .any(|m| m.provider.as_deref() == Some(p)),
            "no {p} model"
        );
    }
}

#[test]
fn spot_prices() {
    let cost = shipped();
    let model = |name: &str| cost.table().models.iter().find(|m| m.name == name).unwrap();
    let gpt4o = model("gpt-4o").standard.base;
    assert_eq!(
        (gpt4o.input, gpt4o.cache_read, gpt4o.output),
        (rate("2.50"), rate("1.25"), rate("10"))
    );
    assert_eq!(
        gpt4o.cache_write, gpt4o.input,
        "OpenAI bills cache writes as input"
    );
    let sonnet = &model("claude-sonnet-4-5").standard;
    assert_eq!(sonnet.base.cache_write, rate("3.75"));
    assert_eq!(sonnet.tiers[0].0, 200_000);
    assert_eq!(sonnet.tiers[0].1.output, rate("22.50"));
    assert_eq!(
        model("gemini-2.0-flash-lite").standard.base.input,
        rate("0.075")
    );
    // A Claude call with caching, hand-computed: 10,000 input incl. 8,000 cache reads and
    // 1,000 writes, 500 output at $3 / $0.30 / $3.75 / $15: $0.003 + $0.0024 + $0.00375 + $0.0075.
    let used = Usage::from_reported(Some(10_000), Some(500), Some(8_000), Some(1_000), None);
    assert_eq!(
        sonnet.rates_for(used.prompt_tokens()).0.cost(&used).total(),
        16_650_000_000_000_000
    );
}

#[test]
fn real_model_ids_find_their_entry() {
    let cost = shipped();
    let find = |model: &str, provider: Option<&str>| {
        cost.matcher
            .find(model, provider)
            .map(|i| cost.table().models[i as usize].name.as_str())
    };
    for (id, entry) in [
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-2024-05-13", "gpt-4o-2024-05-13"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-4.1-2025-04-14", "gpt-4.1"),
        ("gpt-5-2025-08-07", "gpt-5"),
        ("gpt-5-mini-2025-08-07", "gpt-5-mini"),
        ("o3-2025-04-16", "o3"),
        ("o1-2024-12-17", "o1"),
        ("gpt-4-0613", "gpt-4"),
        ("gpt-3.5-turbo-0125", "gpt-3.5-turbo"),
        ("azure/gpt-4.1-mini", "gpt-4.1-mini"),
        ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet"),
        ("claude-3-5-sonnet-latest", "claude-3-5-sonnet"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("claude-opus-4-1-20250805", "claude-opus-4-1"),
        ("claude-haiku-4-5-20251001", "claude-haiku-4-5"),
        (
            "anthropic.claude-3-5-sonnet-20241022-v2:0",
            "claude-3-5-sonnet",
        ),
        (
            "bedrock/anthropic.claude-3-haiku-20240307-v1:0",
            "claude-3-haiku",
        ),
        (
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "claude-sonnet-4-5",
        ),
        (
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "us.anthropic.claude-sonnet-4-5",
        ),
        (
            "eu.anthropic.claude-haiku-4-5-20251001-v1:0",
            "us.anthropic.claude-haiku-4-5",
        ),
        (
            "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
            "claude-3-7-sonnet",
        ),
        (
            "vertex_ai/claude-3-5-sonnet-v2@20241022",
            "claude-3-5-sonnet",
        ),
        ("claude-opus-4@20250514", "claude-opus-4"),
        ("amazon.nova-pro-v1:0", "nova-pro"),
        ("us.amazon.nova-micro-v1:0", "nova-micro"),
        ("gemini-2.5-pro", "gemini-2.5-pro"),
        ("models/gemini-2.5-flash", "gemini-2.5-flash"),
        (
            "vertex_ai/gemini-2.0-flash-lite-001",
            "gemini-2.0-flash-lite",
        ),
        ("mistral-large-2411", "mistral-large-2411"),
        ("mistral/codestral-2508", "codestral-2501"),
        ("command-r-08-2024", "command-r-08-2024"),
        ("deepseek/deepseek-chat", "deepseek-chat"),
        ("xai/grok-4-0709", "grok-4-0709"),
        ("grok-4-latest", "grok-4-0709"),
        ("groq/llama-3.3-70b-versatile", "llama-3.3-70b-versatile"),
        ("openai/gpt-oss-120b", "openai/gpt-oss-120b"),
        (
            "together_ai/deepseek-ai/DeepSeek-V3",
            "deepseek-ai/DeepSeek-V3",
        ),
        (
            "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",
            "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",
        ),
    ] {
        assert_eq!(find(id, None), Some(entry), "{id}");
    }
    // Not in the table (or not what they look like): unpriced, never guessed.
    for id in [
        "gemini-2.0-flash-001",
        "gpt-4o-audio-preview",
        "mistral-large-latest",
        "claude-2.1",
        "llama-3.3-70b",
        "my-deployment",
    ] {
        assert_eq!(find(id, None), None, "{id}");
    }
}
