//! The spans sluice prices in the comparison, its config, and reading its output back.

use serde_json::{Value, json};
use std::collections::BTreeMap;

/// One span per model and case.
pub struct Case {
    /// LiteLLM's model name.
    pub model: String,
    /// Prompt (cache included), completion, cache read, cache write.
    pub tokens: (u64, u64, u64, u64),
    /// The service tier the call ran on, when not standard.
    pub service_tier: Option<&'static str>,
}

fn int(key: &str, v: u64) -> Value {
    json!({"key": key, "value": {"intValue": v.to_string()}})
}

fn str_attr(key: &str, v: &str) -> Value {
    json!({"key": key, "value": {"stringValue": v}})
}

/// OTLP JSON lines, 500 spans a line; span attribute `test.case` is the case's index.
pub fn spans(cases: &[Case]) -> String {
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
                if let Some(tier) = c.service_tier {
                    attrs.push(str_attr("openai.response.service_tier", tier));
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
pub fn config(table: &str) -> String {
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
pub fn sluice_costs(stdout: &str) -> BTreeMap<u64, Option<f64>> {
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
