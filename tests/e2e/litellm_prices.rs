//! sluice against LiteLLM on LiteLLM's own table: `sluice pricing import` converts the
//! `model_prices_and_context_window_backup.json` that the `litellm` package ships, the real
//! `sluice process` prices spans with the built-in cost plugin configured with that table,
//! and `litellm.cost_per_token` prices the same tokens (in a throwaway venv, `venv.rs`).
//! Every model priced by both must agree within 1e-9 relative.
//!
//! Token semantics agree: LiteLLM's `prompt_tokens` includes `cache_read_input_tokens` and
//! `cache_creation_input_tokens` (checked by the cases with cached tokens), as
//! `gen_ai.usage.input_tokens` includes them in the OpenTelemetry conventions.
//!
//! Left out of the comparison, and listed: models whose entry has off-peak prices
//! (LiteLLM's price depends on the hour; sluice imports the standard one), and providers
//! whose LiteLLM cost path starts an OAuth login (`github_copilot`, `chatgpt`). And one case
//! where LiteLLM's code does not apply its own table: its `perplexity` calculator ignores the
//! long-context and cache-write prices the entries list (sluice applies them), so perplexity
//! models are compared only on the cases without those.

mod support;
#[path = "litellm_prices/venv.rs"]
mod venv;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use support::{run_sluice, temp_dir};

/// Token counts of each case: prompt (cache included), completion, cache read, cache write.
/// The last crosses every long-context threshold LiteLLM lists (128k, 200k, 272k).
const CASES: &[(u64, u64, u64, u64)] = &[
    (1000, 200, 0, 0),
    (5000, 700, 3000, 0),
    (20_000, 1000, 4000, 1500),
    (300_000, 2000, 100_000, 0),
];
/// Providers whose LiteLLM cost path tries to log in over the network.
const LOGIN_PROVIDERS: &[&str] = &["github_copilot", "chatgpt"];
const TOLERANCE: f64 = 1e-9;

/// Whether LiteLLM's cost code skips a price its table gives for this case (see the docs).
fn litellm_ignores_its_table(
    entry: &Value,
    (prompt, _, _, cache_write): (u64, u64, u64, u64),
) -> bool {
    entry["litellm_provider"] == "perplexity" && (prompt > 128_000 || cache_write > 0)
}

/// One span per model and case.
struct Case {
    model: String,
    tokens: (u64, u64, u64, u64),
}

fn int(key: &str, v: u64) -> Value {
    json!({"key": key, "value": {"intValue": v.to_string()}})
}

fn str_attr(key: &str, v: &str) -> Value {
    json!({"key": key, "value": {"stringValue": v}})
}

/// OTLP JSON lines, 500 spans a line; span attribute `test.case` is the case's index.
fn spans(cases: &[Case]) -> String {
    let mut out = String::new();
    for (chunk_no, chunk) in cases.chunks(500).enumerate() {
        let spans: Vec<Value> = chunk
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let n = chunk_no * 500 + i;
                let (prompt, completion, read, write) = c.tokens;
                let mut attrs = vec![
                    int("test.case", n as u64),
                    str_attr("gen_ai.operation.name", "chat"),
                    str_attr("gen_ai.response.model", &c.model),
                    int("gen_ai.usage.input_tokens", prompt),
                    int("gen_ai.usage.output_tokens", completion),
                ];
                if read > 0 {
                    attrs.push(int("gen_ai.usage.cache_read.input_tokens", read));
                }
                if write > 0 {
                    attrs.push(int("gen_ai.usage.cache_creation.input_tokens", write));
                }
                json!({"traceId": format!("{:032x}", n + 1), "spanId": format!("{:016x}", n + 1),
                       "name": "chat", "kind": 3, "attributes": attrs})
            })
            .collect();
        let line = json!({"resourceSpans": [{"resource": {"attributes": [str_attr("service.name", "t")]},
                                             "scopeSpans": [{"scope": {"name": "t"}, "spans": spans}]}]});
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
}

/// A `sluice process` config whose cost plugin has the imported table as its config.
fn config(table: &str) -> String {
    let pricing: toml::Table = table.parse().expect("the imported table is TOML");
    let mut plugin = toml::Table::new();
    plugin.insert("name".into(), "cost".into());
    plugin.insert("builtin".into(), "cost".into());
    // Anything the plugin fails on must fail the test, not pass unpriced.
    plugin.insert("on_error".into(), "fail_closed".into());
    plugin.insert("memory_mib".into(), 256.into());
    plugin.insert("timeout_ms".into(), 60_000.into());
    plugin.insert("config".into(), toml::Value::Table(pricing));
    let mut root: toml::Table = r#"
        [runtime]
        cache_dir = "${SLUICE_TEST_CACHE}"
        [[destinations]]
        name = "out"
        type = "file"
        path = "out.jsonl"
        third_party = false
        [routing]
        default = ["out"]
    "#
    .parse()
    .expect("valid TOML");
    root.insert(
        "plugins".into(),
        toml::Value::Array(vec![toml::Value::Table(plugin)]),
    );
    root.to_string()
}

/// Each span's `test.case` and what sluice wrote: `Some(USD)` when priced.
fn sluice_costs(stdout: &str) -> BTreeMap<u64, Option<f64>> {
    let mut out = BTreeMap::new();
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).expect("sluice writes JSON lines");
        for span in v["resourceSpans"][0]["scopeSpans"][0]["spans"]
            .as_array()
            .expect("spans")
        {
            let attr = |key: &str| {
                span["attributes"]
                    .as_array()?
                    .iter()
                    .find(|a| a["key"] == key)
                    .map(|a| a["value"].clone())
            };
            let case = attr("test.case")
                .and_then(|v| v["intValue"].as_str()?.parse().ok())
                .expect("test.case");
            let priced = attr("sluice.cost.status").is_some_and(|s| s["stringValue"] == "priced");
            let amount = attr("gen_ai.usage.cost.amount").and_then(|v| v["doubleValue"].as_f64());
            out.insert(case, if priced { amount } else { None });
        }
    }
    out
}

#[test]
fn sluice_prices_litellms_models_as_litellm_does() {
    let dir = temp_dir();
    let table_json = venv::cost_py(&["--table"], "").trim().to_string();
    let table_path = dir.path().join("pricing.toml");
    let import = run_sluice(
        dir.path(),
        &[
            "pricing",
            "import",
            &table_json,
            "--output",
            table_path.to_str().expect("utf-8 path"),
        ],
        &[],
    );
    import.assert_code(0);
    eprintln!("{}", import.stderr.lines().next().unwrap_or_default());
    let table = std::fs::read_to_string(&table_path).expect("the import wrote the table");

    // Every imported model, less the ones LiteLLM cannot price without the clock or a login.
    let litellm: BTreeMap<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(&table_json).expect("read LiteLLM's table"))
            .expect("JSON");
    let imported = table
        .lines()
        .filter_map(|l| l.strip_prefix("name = "))
        .map(|n| {
            toml::from_str::<toml::Table>(&format!("n = {n}")).expect("a TOML string")["n"]
                .as_str()
                .unwrap()
                .to_string()
        });
    let (mut models, mut left_out) = (Vec::new(), Vec::new());
    for name in imported {
        let entry = &litellm[&name];
        let provider = entry["litellm_provider"].as_str().unwrap_or_default();
        if entry.get("off_peak_pricing").is_some() || LOGIN_PROVIDERS.contains(&provider) {
            left_out.push(name);
        } else {
            models.push(name);
        }
    }
    let cases: Vec<Case> = models
        .iter()
        .flat_map(|m| {
            let entry = &litellm[m];
            CASES
                .iter()
                .filter(move |&&tokens| !litellm_ignores_its_table(entry, tokens))
                .map(|&tokens| Case {
                    model: m.clone(),
                    tokens,
                })
        })
        .collect();

    // LiteLLM's prices.
    let requests: Vec<Value> = cases
        .iter()
        .map(|c| {
            let (prompt, completion, cache_read, cache_write) = c.tokens;
            json!({"model": c.model, "prompt": prompt, "completion": completion,
                   "cache_read": cache_read, "cache_write": cache_write})
        })
        .collect();
    let answers: Vec<Value> =
        serde_json::from_str(&venv::cost_py(&[], &Value::Array(requests).to_string()))
            .expect("cost.py JSON");
    assert_eq!(answers.len(), cases.len());

    // sluice's prices, through the real binary and the real Wasm plugin.
    std::fs::write(dir.path().join("spans.jsonl"), spans(&cases)).expect("write spans");
    std::fs::write(dir.path().join("sluice.toml"), config(&table)).expect("write config");
    let run = run_sluice(
        dir.path(),
        &[
            "process",
            "--config",
            "sluice.toml",
            "--input",
            "spans.jsonl",
            "--output",
            "-",
        ],
        &[],
    );
    run.assert_code(0);
    let ours = sluice_costs(&run.stdout);
    assert_eq!(ours.len(), cases.len(), "every span comes back");

    let (mut compared, mut unpriced, mut litellm_cannot, mut mismatches) = (
        BTreeMap::new(),
        BTreeMap::new(),
        BTreeMap::new(),
        Vec::new(),
    );
    for (i, (case, answer)) in cases.iter().zip(&answers).enumerate() {
        let Some(theirs) = answer["cost"].as_f64() else {
            litellm_cannot.insert(
                case.model.clone(),
                answer["error"].as_str().unwrap_or("?").to_string(),
            );
            continue;
        };
        let Some(ours) = ours[&(i as u64)] else {
            unpriced.insert(case.model.clone(), ());
            continue;
        };
        *compared.entry(case.model.clone()).or_insert(0) += 1;
        let relative = (ours - theirs).abs() / theirs.abs().max(f64::MIN_POSITIVE);
        if ours != theirs && relative > TOLERANCE {
            mismatches.push(format!(
                "{} {:?}: sluice {ours:e}, litellm {theirs:e}",
                case.model, case.tokens
            ));
        }
    }
    eprintln!(
        "compared {} models ({} cases); left out {} (off-peak prices or a login): {:?}",
        compared.len(),
        compared.values().sum::<usize>(),
        left_out.len(),
        left_out
    );
    eprintln!(
        "litellm cannot price {} of them: {:?}",
        litellm_cannot.len(),
        litellm_cannot.keys()
    );
    eprintln!(
        "sluice cannot price {}: {:?}",
        unpriced.len(),
        unpriced.keys()
    );
    assert!(
        mismatches.is_empty(),
        "{} cases differ by more than {TOLERANCE} relative:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(
        unpriced.is_empty(),
        "sluice cannot price models it imported: {:?}",
        unpriced.keys()
    );
    assert!(
        compared.len() >= 100,
        "only {} models compared",
        compared.len()
    );
}
