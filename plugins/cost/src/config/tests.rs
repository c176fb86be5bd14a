//! Parsing and validation of the pricing table.

use super::*;
use crate::price::{Rate, Rates};

fn rate(s: &str) -> Rate {
    Rate::parse_per_mtok(s).unwrap()
}

fn err(text: &str) -> String {
    parse(text)
        .expect_err("config should be rejected")
        .join("\n")
}

#[test]
fn minimal_table_with_defaults() {
    let t = parse("pricing_version = \"v\"\n[[models]]\nname = \"m\"\ninput_per_mtok = 1\noutput_per_mtok = \"2\"\n").unwrap();
    assert_eq!(
        (t.version.as_str(), t.overwrite, t.legacy_attributes),
        ("v", false, true)
    );
    let m = &t.models[0];
    // No cache prices: cached tokens are billed as ordinary input.
    assert_eq!(
        m.standard.base,
        Rates {
            input: rate("1"),
            output: rate("2"),
            cache_read: rate("1"),
            cache_write: rate("1")
        }
    );
    assert!(m.standard.tiers.is_empty() && m.service_tiers.is_empty());
}

#[test]
fn tiers_and_service_tiers_inherit_what_they_do_not_set() {
    let t = parse(
        r#"
pricing_version = "v"
[[models]]
name = "m"
input_per_mtok = "1"
output_per_mtok = "2"
cache_read_per_mtok = "0.1"
[[models.tiers]]
above_input_tokens = 272000
input_per_mtok = "2"
[[models.tiers]]
above_input_tokens = 128000
output_per_mtok = "3"
[models.service_tiers.Batch]
input_per_mtok = "0.5"
output_per_mtok = "1"
[[models.service_tiers.Batch.tiers]]
above_input_tokens = 128000
input_per_mtok = "1"
"#,
    )
    .unwrap();
    let m = &t.models[0];
    let tiers = &m.standard.tiers;
    assert_eq!(
        tiers.iter().map(|(a, _)| *a).collect::<Vec<_>>(),
        [128_000, 272_000],
        "sorted"
    );
    assert_eq!(
        tiers[0].1,
        Rates {
            input: rate("1"),
            output: rate("3"),
            cache_read: rate("0.1"),
            cache_write: rate("1")
        }
    );
    // The model gave no cache-write price: it follows the tier's own input price.
    assert_eq!(
        tiers[1].1,
        Rates {
            input: rate("2"),
            output: rate("2"),
            cache_read: rate("0.1"),
            cache_write: rate("2")
        }
    );
    let (name, batch) = &m.service_tiers[0];
    assert_eq!(name, "batch", "service tier names are lower-cased");
    assert_eq!(
        batch.base,
        Rates {
            input: rate("0.5"),
            output: rate("1"),
            cache_read: rate("0.1"),
            cache_write: rate("0.5")
        }
    );
    assert_eq!(batch.tiers[0].1.input, rate("1"));
    assert_eq!(
        batch.tiers[0].1.output,
        rate("1"),
        "a service tier's tier inherits from the service tier"
    );
    assert_eq!(m.schedule_for(Some(" BATCH ")).1, Some("batch"));
    assert_eq!(m.schedule_for(Some("priority")).1, None);
    assert_eq!(m.schedule_for(None).1, None);
}

#[test]
fn every_error_is_reported_with_its_path() {
    let e = err(r#"
[[models]]
name = "ok"
input_per_mtok = "abc"
output_per_mtok = -1
cache_read_per_mtok = 0.30000000000000004
effective_date = "2025-13-01"
aliases = [""]
[[models.tiers]]
input_per_mtok = "2"
[[models.tiers]]
above_input_tokens = 0
[models.service_tiers.default]
input_per_mtok = "1"
[models.service_tiers.flex]

[[models]]
input_per_mtok = "1"
output_per_mtok = "1"
"#);
    let expected = [
        "pricing_version: missing",
        "models[0].aliases[0]: must not be empty",
        "models[0].effective_date: expected a date as YYYY-MM-DD, got \"2025-13-01\"",
        "models[0].input_per_mtok: expected a decimal number, got \"abc\"",
        "models[0].output_per_mtok: expected a decimal number, got -1",
        "models[0].cache_read_per_mtok: \"0.30000000000000004\" has more than 12 decimal places",
        "models[0].tiers[0].above_input_tokens: missing",
        "models[0].tiers[1]: sets no price",
        "models[0].tiers[1].above_input_tokens: must be positive, got 0",
        "models[0].service_tiers.default: \"default\" names the standard prices, not a service tier",
        "models[0].service_tiers.flex: sets no price",
        "models[1].name: missing",
    ];
    let got: Vec<&str> = e.lines().collect();
    for line in expected {
        assert!(got.contains(&line), "missing {line:?} in:\n{e}");
    }
    assert_eq!(got.len(), expected.len(), "{e}");
}

#[test]
fn unknown_fields_are_rejected_where_they_are() {
    let e = err(
        "pricing_version = \"v\"\n[[models]]\nname = \"m\"\ninput_per_mtok = 1\noutput_per_mtok = 1\ninptu_per_mtok = 1\n",
    );
    assert!(
        e.contains("unknown field `inptu_per_mtok`") && e.contains("line 6"),
        "{e}"
    );
    let e = err("pricing_version = \"v\"\noverwrite = \"yes\"\n");
    assert!(e.contains("overwrite") || e.contains("line 2"), "{e}");
    let e = err(
        "pricing_version = \"v\"\n[[models]]\nname = \"m\"\ninput_per_mtok = 1\noutput_per_mtok = 1\n[[models.tiers]]\nabove = 5\n",
    );
    assert!(e.contains("unknown field `above`"), "{e}");
    let e = err("pricing_version = \"v\"\ncurrency = \"EUR\"\n");
    assert!(e.contains("unknown field `currency`"), "{e}");
}

#[test]
fn empty_config_says_what_is_missing() {
    assert!(err("  \n").contains("no pricing table configured"));
    // A table without models is valid: every call is then unpriced.
    assert!(parse("pricing_version = \"v\"").unwrap().models.is_empty());
}

#[test]
fn duplicate_names_are_rejected_per_provider() {
    let table = |second_provider: &str| {
        format!(
            "pricing_version = \"v\"\n[[models]]\nname = \"m\"\nprovider = \"openai\"\ninput_per_mtok = 1\noutput_per_mtok = 1\n\
             [[models]]\nname = \"x\"\naliases = [\"M\"]\n{second_provider}input_per_mtok = 1\noutput_per_mtok = 1\n"
        )
    };
    let t = parse(&table("provider = \"openai\"\n")).unwrap();
    let e = crate::matching::Matcher::build(&t.models).err().unwrap();
    assert_eq!(
        e,
        ["models[1].aliases[0]: \"M\" is already priced by models[0]"]
    );
    let t = parse(&table("provider = \"groq\"\n")).unwrap();
    assert!(
        crate::matching::Matcher::build(&t.models)
            .unwrap()
            .needs_provider()
    );
}
