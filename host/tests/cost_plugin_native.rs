//! The cost plugin compiled natively, run on the host's real batch view (`BatchState`, the
//! same `RecordsApi` the Wasm boundary serves) over real OTLP JSON payloads: the main pricing
//! rules with hand-computed expectations, then the host's spend counters on the result.
//! (The plugin's own unit tests use a fake batch; these use the real one.)

use serde_json::{Value, json};
use sluice::metrics::Metrics;
use sluice::otlp::Payload;
use sluice::otlp::json::decode_line;
use sluice::pipeline::BatchState;
use sluice::router::Destinations;
use sluice_plugin_cost::Cost;
use sluice_plugin_sdk::{Batch, Plugin};
use std::sync::Arc;

/// A table with cache prices and a long-context tier, and a model with service tiers.
const TABLE: &str = r#"
pricing_version = "native-1"

[[models]]
name = "claude-sonnet-4-5"
input_per_mtok = "3"
output_per_mtok = "15"
cache_read_per_mtok = "0.30"
cache_write_per_mtok = "3.75"
[[models.tiers]]
above_input_tokens = 200000
input_per_mtok = "6"
output_per_mtok = "22.50"

[[models]]
name = "gpt-4o"
input_per_mtok = "2.50"
output_per_mtok = "10"
cache_read_per_mtok = "1.25"
[models.service_tiers.flex]
input_per_mtok = "1.25"
output_per_mtok = "5"
"#;

/// A traces payload of one resource (tenant `acme`), one span per attribute list.
fn payload(spans: &[Vec<(&str, Value)>]) -> Payload {
    let spans: Vec<Value> = spans
        .iter()
        .enumerate()
        .map(|(n, attrs)| {
            let attrs: Vec<Value> = attrs
                .iter()
                .map(|(k, v)| json!({"key": k, "value": v}))
                .collect();
            json!({"traceId": format!("{:032x}", n + 1), "spanId": format!("{:016x}", n + 1),
                   "name": "chat", "attributes": attrs})
        })
        .collect();
    let line = json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "tenant.id", "value": {"stringValue": "acme"}}]},
        "scopeSpans": [{"spans": spans}]}]});
    decode_line(&line.to_string()).unwrap().remove(0)
}

fn s(v: &str) -> Value {
    json!({"stringValue": v})
}

fn i(v: i64) -> Value {
    json!({"intValue": v.to_string()})
}

fn d(v: f64) -> Value {
    json!({"doubleValue": v})
}

/// Runs the plugin (configured with `table`) over `payload` through `BatchState`, commits
/// its edits as the chain does, and returns each span's attributes as JSON values by key.
fn process(table: &str, payload: Payload) -> (Payload, Vec<serde_json::Map<String, Value>>) {
    let mut plugin = Cost::init(table).unwrap();
    let mut state = BatchState::new(payload, Arc::new(Destinations::default()));
    plugin.process(&mut Batch::new(&mut state)).unwrap();
    state.commit();
    let out = state.finish().payload;
    let Payload::Traces(t) = &out else {
        panic!("traces in, traces out")
    };
    let spans = t.resource_spans[0].scope_spans[0]
        .spans
        .iter()
        .map(|span| {
            let v = serde_json::to_value(&span.attributes).unwrap();
            let attrs = v.as_array().unwrap().iter();
            attrs
                .map(|kv| (kv["key"].as_str().unwrap().to_string(), kv["value"].clone()))
                .collect()
        })
        .collect();
    (out, spans)
}

fn llm(model: &str, input: i64, output: i64) -> Vec<(&'static str, Value)> {
    vec![
        ("gen_ai.response.model", s(model)),
        ("gen_ai.usage.input_tokens", i(input)),
        ("gen_ai.usage.output_tokens", i(output)),
    ]
}

/// An int attribute (the serde form writes 64-bit ints as strings or numbers).
fn int(span: &serde_json::Map<String, Value>, key: &str) -> Option<i64> {
    match &span.get(key)?["intValue"] {
        Value::String(s) => s.parse().ok(),
        other => other.as_i64(),
    }
}

fn pico(span: &serde_json::Map<String, Value>) -> Option<i64> {
    int(span, "sluice.cost.amount_picousd")
}

fn text<'a>(span: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a str> {
    span.get(key)?["stringValue"].as_str()
}

#[test]
fn cached_tokens_are_priced_once_on_the_real_batch() {
    let mut attrs = llm("claude-sonnet-4-5", 1000, 200);
    attrs.push(("gen_ai.usage.cache_read.input_tokens", i(400)));
    attrs.push(("gen_ai.usage.cache_creation.input_tokens", i(100)));
    let (_, spans) = process(TABLE, payload(&[attrs]));
    let span = &spans[0];
    // 500 x $3/M + 400 x $0.30/M + 100 x $3.75/M + 200 x $15/M = $0.004995; counting the
    // 1000 input tokens at $3/M on top of the cache would have charged $0.003 more.
    assert_eq!(pico(span), Some(4_995_000_000));
    assert_eq!(span["gen_ai.usage.cost.amount"]["doubleValue"], 0.004995);
    assert_eq!(span["sluice.cost.cache_read"]["doubleValue"], 0.00012);
    assert_eq!(span["sluice.cost.cache_write"]["doubleValue"], 0.000375);
    assert_eq!(text(span, "sluice.cost.status"), Some("priced"));
    assert_eq!(text(span, "sluice.cost.model"), Some("claude-sonnet-4-5"));
    assert_eq!(text(span, "sluice.cost.pricing_version"), Some("native-1"));
    assert_eq!(text(span, "gen_ai.usage.cost.currency"), Some("USD"));
    assert_eq!(text(span, "gen_ai.usage.cost.source"), Some("sluice"));
}

#[test]
fn tier_boundary_matching_values_and_service_tiers() {
    let mut flex = llm("gpt-4o", 1000, 100);
    flex.push(("openai.response.service_tier", s("flex")));
    let spans = [
        llm("claude-sonnet-4-5", 200_000, 1000),
        llm("claude-sonnet-4-5", 200_001, 1000),
        // A Bedrock inference-profile id and a dated Azure snapshot find their entries.
        llm(
            "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            1000,
            0,
        ),
        llm("azure/GPT-4o-2024-08-06", 1000, 0),
        // Counts as a string and a double.
        vec![
            ("gen_ai.request.model", s("gpt-4o")),
            ("gen_ai.usage.input_tokens", s("1000")),
            ("gen_ai.usage.output_tokens", d(100.0)),
        ],
        flex,
        // Legacy names.
        vec![
            ("gen_ai.request.model", s("gpt-4o")),
            ("gen_ai.usage.prompt_tokens", i(1000)),
            ("gen_ai.usage.completion_tokens", i(100)),
        ],
    ];
    let (_, out) = process(TABLE, payload(&spans));
    // At 200,000: $0.60 + $0.015. Above: 200,001 x $6/M + 1,000 x $22.50/M = $1.222506.
    assert_eq!(pico(&out[0]), Some(615_000_000_000));
    assert_eq!(pico(&out[1]), Some(1_222_506_000_000));
    assert_eq!(
        int(&out[1], "sluice.cost.tier_above_input_tokens"),
        Some(200_000)
    );
    assert_eq!(
        text(&out[2], "sluice.cost.model"),
        Some("claude-sonnet-4-5")
    );
    assert_eq!(pico(&out[2]), Some(3_000_000_000));
    assert_eq!(text(&out[3], "sluice.cost.model"), Some("gpt-4o"));
    // 1,000 x $2.50/M + 100 x $10/M = $0.0035; at flex, $0.00125 + $0.0005.
    assert_eq!(pico(&out[4]), Some(3_500_000_000));
    assert_eq!(pico(&out[5]), Some(1_750_000_000));
    assert_eq!(text(&out[5], "sluice.cost.service_tier"), Some("flex"));
    assert_eq!(pico(&out[6]), Some(3_500_000_000));
}

#[test]
fn unknown_models_are_unpriced_and_the_apps_cost_is_kept() {
    let mut app_priced = llm("gpt-4o", 1000, 100);
    app_priced.push(("gen_ai.usage.cost.amount", d(1.5)));
    let no_usage = vec![("gen_ai.request.model", s("gpt-4o"))];
    let (_, out) = process(
        TABLE,
        payload(&[llm("llama-9-unreleased", 10, 10), app_priced, no_usage]),
    );
    assert_eq!(text(&out[0], "sluice.cost.status"), Some("unpriced"));
    assert!(
        !out[0].contains_key("gen_ai.usage.cost.amount"),
        "never priced at 0"
    );
    assert_eq!(out[1]["gen_ai.usage.cost.amount"]["doubleValue"], 1.5);
    assert!(!out[1].contains_key("sluice.cost.status"));
    assert!(
        !out[2].contains_key("sluice.cost.status"),
        "no token usage, not an LLM call"
    );
}

#[test]
fn the_shipped_table_prices_on_the_real_batch_and_spend_counts_it() {
    let (_, default_table) = sluice::plugin::builtin::get("cost").unwrap();
    let mut attrs = llm("gpt-4o-2024-08-06", 1000, 200);
    attrs.push(("app.feature", s("chat")));
    attrs.push(("app.prompt_version", s("v2")));
    let (out, spans) = process(default_table, payload(&[attrs]));
    // gpt-4o's list price: $2.50/M in, $10/M out: $0.0025 + $0.002.
    assert_eq!(pico(&spans[0]), Some(4_500_000_000));
    let metrics = Metrics::new(10);
    sluice::spend::record(&out, &metrics);
    let labels = r#"{tenant="acme",feature="chat",model="gpt-4o",prompt_version="v2"}"#;
    let text = metrics.encode();
    assert!(
        text.contains(&format!("sluice_llm_cost_picousd_total{labels} 4500000000")),
        "{text}"
    );
    assert!(
        text.contains(&format!("sluice_llm_cost_usd_total{labels} 0.0045")),
        "{text}"
    );
}
