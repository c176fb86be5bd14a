//! `extends = "default"`: a user's entries merged over the shipped table, priced end to end.

use super::fake::{FakeBatch, V, row};
use super::{AMOUNT, PICO, llm, run, with};
use crate::Cost;
use crate::config::{DEFAULT_TABLE, parse};

fn default_version() -> String {
    parse(DEFAULT_TABLE).unwrap().version
}

fn err(text: &str) -> String {
    match Cost::from_config(text) {
        Ok(_) => panic!("config should be rejected:\n{text}"),
        Err(e) => e,
    }
}

/// One span of `model` (with `provider`, when given) priced by a plugin on `config`.
fn price(config: &str, model: &str, provider: Option<&str>) -> (Option<i64>, Option<String>) {
    let mut attrs = llm(model, 1_000_000, 1_000_000);
    if let Some(p) = provider {
        attrs.push(("gen_ai.provider.name", super::fake::s(p)));
    }
    let b = run(config, FakeBatch::spans(vec![row(&attrs)]));
    (b.int(0, PICO), b.str(0, "sluice.cost.model"))
}

#[test]
fn user_entries_override_and_add_and_the_version_says_both() {
    let config = r#"
extends = "default"
pricing_version = "mine-3"

[[models]]
name = "GPT-4o"              # case-insensitive: replaces the default's gpt-4o (openai)
provider = "openai"
input_per_mtok = "2"
output_per_mtok = "8"

[[models]]
name = "acme-llm"            # added
input_per_mtok = "0.5"
output_per_mtok = "1.5"
"#;
    let cost = Cost::from_config(config).unwrap();
    let table = cost.table();
    assert_eq!(
        table.version,
        format!("default-{}+mine-3", default_version())
    );
    let shipped = parse(DEFAULT_TABLE).unwrap().models.len();
    assert_eq!(table.models.len(), shipped + 1, "one replaced, one added");

    // 1M input + 1M output tokens: the user's prices, dated snapshots included.
    assert_eq!(
        price(config, "gpt-4o-2024-08-06", Some("openai")),
        (Some(10_000_000_000_000), Some("GPT-4o".into()))
    );
    assert_eq!(
        price(config, "acme-llm", None),
        (Some(2_000_000_000_000), Some("acme-llm".into()))
    );
    // Everything else is the default table's: gpt-4o-mini at $0.15 + $0.60.
    assert_eq!(price(config, "gpt-4o-mini", None).0, Some(750_000_000_000));
    let b = run(
        config,
        FakeBatch::spans(vec![row(&llm("gpt-4o-mini", 1, 1))]),
    );
    assert_eq!(
        b.str(0, "sluice.cost.pricing_version"),
        Some(format!("default-{}+mine-3", default_version()))
    );
}

#[test]
fn a_user_entry_without_a_provider_replaces_the_name_for_every_provider() {
    let config = r#"
extends = "default"
pricing_version = "flat"
[[models]]
name = "gpt-4o"
input_per_mtok = "1"
output_per_mtok = "1"
"#;
    // The span says openai; the default's openai entry is gone, so the user's prices apply.
    assert_eq!(
        price(config, "gpt-4o", Some("openai")).0,
        Some(2_000_000_000_000)
    );
    assert_eq!(
        price(config, "azure/gpt-4o", None).0,
        Some(2_000_000_000_000)
    );
}

#[test]
fn a_user_entry_for_another_provider_adds_beside_the_default() {
    let config = r#"
extends = "default"
pricing_version = "azure-1"
[[models]]
name = "gpt-4o"
provider = "azure"
input_per_mtok = "3"
output_per_mtok = "12"
"#;
    assert_eq!(
        price(config, "gpt-4o", Some("azure.ai.openai")).0,
        Some(15_000_000_000_000)
    );
    // OpenAI's own calls keep the default's $2.50 + $10.
    assert_eq!(
        price(config, "gpt-4o", Some("openai")).0,
        Some(12_500_000_000_000)
    );
}

#[test]
fn a_name_the_user_claims_as_an_alias_leaves_the_default_entry() {
    // `gpt-5-codex` is an alias of the default's gpt-5 entry; the user prices it alone.
    let config = r#"
extends = "default"
pricing_version = "codex"
[[models]]
name = "codex-house"
aliases = ["gpt-5-codex"]
provider = "openai"
input_per_mtok = "1"
output_per_mtok = "2"
"#;
    assert_eq!(
        price(config, "gpt-5-codex", Some("openai")),
        (Some(3_000_000_000_000), Some("codex-house".into()))
    );
    // gpt-5 itself and its other aliases still price at the default's $1.25 + $10.
    assert_eq!(
        price(config, "gpt-5-chat-latest", Some("openai")),
        (Some(11_250_000_000_000), Some("gpt-5".into()))
    );
}

#[test]
fn top_level_settings_are_the_users() {
    let cost =
        Cost::from_config("extends = \"default\"\noverwrite = true\nlegacy_attributes = false\n")
            .unwrap();
    let t = cost.table();
    assert!(t.overwrite && !t.legacy_attributes);
    // No entries of its own: the version says the default's, marked as extended.
    assert_eq!(t.version, format!("default-{}", default_version()));
    assert_eq!(t.models.len(), parse(DEFAULT_TABLE).unwrap().models.len());
}

#[test]
fn errors_name_the_users_fields() {
    let e = err("extends = \"litellm\"\npricing_version = \"x\"\n");
    assert!(
        e.contains(
            "cost: extends: \"litellm\" is not a table sluice ships; the only one is \"default\""
        ),
        "{e}"
    );
    let e = err(
        "extends = \"default\"\n[[models]]\nname = \"m\"\ninput_per_mtok = 1\noutput_per_mtok = 1\n",
    );
    assert!(
        e.contains("cost: pricing_version: missing: name the version of your entries"),
        "{e}"
    );
    // Problems are reported by the user's own indices, not the merged table's.
    let e = err(r#"
extends = "default"
pricing_version = "v"
[[models]]
name = "a"
input_per_mtok = "x"
output_per_mtok = 1
[[models]]
name = "b"
input_per_mtok = 1
output_per_mtok = 1
[[models]]
name = "B"
input_per_mtok = 1
output_per_mtok = 1
"#);
    assert!(e.contains("cost: models[0].input_per_mtok:"), "{e}");
    let e = err(r#"
extends = "default"
pricing_version = "v"
[[models]]
name = "b"
input_per_mtok = 1
output_per_mtok = 1
[[models]]
name = "B"
input_per_mtok = 1
output_per_mtok = 1
"#);
    assert_eq!(
        e,
        "cost: models[1].name: \"B\" is already priced by models[0]"
    );
}

#[test]
fn the_default_table_extended_prices_like_the_default_table() {
    let extended = "extends = \"default\"\n";
    let cached = with(
        llm("claude-sonnet-4-5-20250929", 250_000, 1_000),
        &[("gen_ai.usage.cache_read.input_tokens", V::I(100_000))],
    );
    let a = run(DEFAULT_TABLE, FakeBatch::spans(vec![row(&cached)]));
    let b = run(extended, FakeBatch::spans(vec![row(&cached)]));
    assert_eq!(a.int(0, PICO), b.int(0, PICO));
    assert_eq!(a.double(0, AMOUNT), b.double(0, AMOUNT));
    assert!(a.int(0, PICO).is_some());
}
