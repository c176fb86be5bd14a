//! Spend counters and `/cost/top` on real OTLP JSON payloads, as the cost plugin leaves them.

use super::*;
use crate::otlp::json::decode_line;
use serde_json::{Value, json};

/// One enriched LLM call span: `(trace id number, model, picoUSD or None for unpriced,
/// [input, output, cache read], feature, prompt version)`.
pub(super) type Call<'a> = (u64, &'a str, Option<u64>, [u64; 3], &'a str, &'a str);

fn kv(key: &str, value: Value) -> Value {
    json!({"key": key, "value": value})
}

fn s(v: &str) -> Value {
    json!({"stringValue": v})
}

fn i(v: u64) -> Value {
    json!({"intValue": v.to_string()})
}

/// A traces payload of one resource with attributes `resource` holding `calls`.
pub(super) fn payload(resource: &[(&str, &str)], calls: &[Call<'_>]) -> Payload {
    let spans: Vec<Value> = calls
        .iter()
        .map(|&(id, model, pico, [input, output, cache_read], feature, version)| {
            let mut attrs = vec![
                kv("gen_ai.response.model", s(model)),
                kv("gen_ai.usage.input_tokens", i(input)),
                kv("gen_ai.usage.output_tokens", i(output)),
                kv("sluice.cost.status", s(if pico.is_some() { "priced" } else { "unpriced" })),
            ];
            if cache_read > 0 {
                attrs.push(kv("gen_ai.usage.cache_read.input_tokens", i(cache_read)));
            }
            if let Some(p) = pico {
                attrs.push(kv("sluice.cost.amount_picousd", i(p)));
                attrs.push(kv("sluice.cost.model", s(model)));
            }
            if !feature.is_empty() {
                attrs.push(kv("app.feature", s(feature)));
            }
            if !version.is_empty() {
                attrs.push(kv("app.prompt_version", s(version)));
            }
            json!({"traceId": format!("{id:032x}"), "spanId": format!("{id:016x}"), "name": "chat",
                   "endTimeUnixNano": "1700000000000000000", "attributes": attrs})
        })
        .collect();
    let resource: Vec<Value> = resource.iter().map(|(k, v)| kv(k, s(v))).collect();
    let line = json!({"resourceSpans": [{"resource": {"attributes": resource},
                                         "scopeSpans": [{"spans": spans}]}]});
    decode_line(&line.to_string()).unwrap().remove(0)
}

fn metrics(config: &SpendConfig, tenant_cap: usize) -> Metrics {
    Metrics::with_spend(
        tenant_cap,
        Spend::new(config, "tenant.id", "unknown", tenant_cap),
    )
}

/// The value of the sample whose line starts with `series`, if any.
fn sample(text: &str, series: &str) -> Option<String> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')
            .map(str::to_string)
    })
}

#[test]
fn cost_and_tokens_by_tenant_feature_model_and_prompt_version() {
    let m = metrics(&SpendConfig::default(), 10);
    // $0.004 and $0.005 (1000 in of which 400 cached, 200 out; then 500 in, 100 out).
    record(
        &payload(
            &[("tenant.id", "acme")],
            &[(
                1,
                "gpt-4o",
                Some(4_000_000_000),
                [1000, 200, 400],
                "chat",
                "v3",
            )],
        ),
        &m,
    );
    record(
        &payload(
            &[("tenant.id", "acme")],
            &[(
                2,
                "gpt-4o",
                Some(5_000_000_000),
                [500, 100, 0],
                "chat",
                "v3",
            )],
        ),
        &m,
    );
    let text = m.encode();
    let labels = r#"{tenant="acme",feature="chat",model="gpt-4o",prompt_version="v3"}"#;
    assert_eq!(
        sample(&text, &format!("sluice_llm_cost_picousd_total{labels}")).as_deref(),
        Some("9000000000"),
        "{text}"
    );
    assert_eq!(
        sample(&text, &format!("sluice_llm_cost_usd_total{labels}")).as_deref(),
        Some("0.009"),
        "{text}"
    );
    let tokens = |kind: &str| {
        let series = format!(
            r#"sluice_llm_tokens_total{{tenant="acme",feature="chat",model="gpt-4o",prompt_version="v3",kind="{kind}"}}"#
        );
        sample(&text, &series)
    };
    // Input is the uncached part: 600 + 500; the 400 cached tokens are their own kind.
    assert_eq!(tokens("input").as_deref(), Some("1100"));
    assert_eq!(tokens("cache_read").as_deref(), Some("400"));
    assert_eq!(tokens("output").as_deref(), Some("300"));
    assert_eq!(
        tokens("cache_write"),
        None,
        "no series for a kind never used"
    );
    assert!(
        text.contains("# TYPE sluice_llm_cost_usd counter"),
        "{text}"
    );
}

#[test]
fn usd_comes_from_the_exact_integer_sum() {
    let m = metrics(&SpendConfig::default(), 10);
    // $0.000000075 a call (one cached token at $0.075/M): no double holds it exactly, so a
    // float accumulator drifts; the integer sum does not.
    let call = (1, "gpt-4o-mini", Some(75_000), [1, 0, 1], "", "");
    let batch = payload(&[], &vec![call; 1000]);
    for _ in 0..100 {
        m.spend().record_at(&batch, 0);
    }
    let text = m.encode();
    let labels = r#"{tenant="unknown",feature="",model="gpt-4o-mini",prompt_version=""}"#;
    assert_eq!(
        sample(&text, &format!("sluice_llm_cost_picousd_total{labels}")).as_deref(),
        Some("7500000000")
    );
    assert_eq!(
        sample(&text, &format!("sluice_llm_cost_usd_total{labels}")).as_deref(),
        Some("0.0075")
    );
    let mut float = 0.0f64;
    (0..100_000).for_each(|_| float += 75_000.0 / 1e12);
    assert_ne!(float, 0.0075, "a float accumulator would have drifted");
}

#[test]
fn unpriced_calls_count_tokens_not_cost_and_other_spans_nothing() {
    let m = metrics(&SpendConfig::default(), 10);
    let line = json!({"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": format!("{:032x}", 9), "spanId": format!("{:016x}", 9), "name": "db", "attributes": [kv("db.system", s("pg"))]}]}]}]});
    record(&decode_line(&line.to_string()).unwrap().remove(0), &m);
    record(
        &payload(&[], &[(1, "mystery-model", None, [10, 5, 0], "", "")]),
        &m,
    );
    let logs = decode_line(
        r#"{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": {"stringValue": "x"}}]}]}]}"#,
    );
    record(&logs.unwrap().remove(0), &m);
    let text = m.encode();
    assert!(!text.contains("sluice_llm_cost_picousd_total{"), "{text}");
    let series = r#"sluice_llm_tokens_total{tenant="unknown",feature="",model="mystery-model",prompt_version="",kind="input"}"#;
    assert_eq!(sample(&text, series).as_deref(), Some("10"), "{text}");
    assert_eq!(
        text.matches("sluice_llm_tokens_total{").count(),
        2,
        "input and output only: {text}"
    );
}

#[test]
fn labels_are_capped() {
    let config = SpendConfig {
        label_cap: 2,
        series_cap: 4,
        ..SpendConfig::default()
    };
    let m = metrics(&config, 2);
    for tenant in ["a", "b", "c"] {
        record(
            &payload(
                &[("tenant.id", tenant)],
                &[(1, "m1", Some(1), [1, 1, 0], "f", "")],
            ),
            &m,
        );
    }
    for model in ["m2", "m3"] {
        record(
            &payload(
                &[("tenant.id", "a")],
                &[(1, model, Some(1), [1, 1, 0], "f", "")],
            ),
            &m,
        );
    }
    let text = m.encode();
    let cost = |t: &str, model: &str| {
        sample(
            &text,
            &format!(
                r#"sluice_llm_cost_picousd_total{{tenant="{t}",feature="f",model="{model}",prompt_version=""}}"#
            ),
        )
    };
    assert_eq!(
        cost("other", "m1").as_deref(),
        Some("1"),
        "the third tenant: {text}"
    );
    assert_eq!(cost("a", "m2").as_deref(), Some("1"));
    // m3 is the third model: `other`, and that is the fifth label set, past the series cap.
    assert_eq!(cost("a", "other"), None);
    let all_other = r#"sluice_llm_cost_picousd_total{tenant="other",feature="other",model="other",prompt_version="other"}"#;
    assert_eq!(sample(&text, all_other).as_deref(), Some("1"), "{text}");
    // Four label sets and the overflow set.
    assert_eq!(text.matches("sluice_llm_cost_picousd_total{").count(), 5);
}

#[test]
fn configured_attributes_and_resource_fallback() {
    let config = SpendConfig {
        feature_attribute: "team.feature".into(),
        ..SpendConfig::default()
    };
    let m = metrics(&config, 10);
    // The configured feature attribute, set on the resource: every span of it inherits it
    // (the span's `app.feature` is not the configured attribute).
    let resource = [("tenant.id", "acme"), ("team.feature", "search")];
    record(
        &payload(
            &resource,
            &[(1, "gpt-4o", Some(7), [1, 1, 0], "ignored", "v1")],
        ),
        &m,
    );
    let text = m.encode();
    let series = r#"sluice_llm_cost_picousd_total{tenant="acme",feature="search",model="gpt-4o",prompt_version="v1"}"#;
    assert_eq!(sample(&text, series).as_deref(), Some("7"), "{text}");
}

#[test]
fn cost_top_lists_the_most_expensive_requests_of_the_window() {
    let config = SpendConfig {
        top: 2,
        top_window_secs: 600,
        ..SpendConfig::default()
    };
    let spend = Spend::new(&config, "tenant.id", "unknown", 10);
    let calls = [
        (1, "gpt-4o", Some(3_000_000), [1000, 10, 0], "chat", "v1"),
        (
            2,
            "claude-sonnet-4-5",
            Some(9_000_000),
            [5000, 20, 4000],
            "search",
            "",
        ),
        (3, "gpt-4o", Some(1_000_000), [100, 1, 0], "chat", "v1"),
        (4, "mystery", None, [9_999_999, 1, 0], "", ""),
    ];
    spend.record_at(&payload(&[("tenant.id", "acme")], &calls), 10_000);
    let top: Value = serde_json::from_str(&spend.top_json_at(10_100)).unwrap();
    assert_eq!(top["window_seconds"], 600);
    let requests = top["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0],
        json!({"trace_id": format!("{:032x}", 2), "span_id": format!("{:016x}", 2), "tenant": "acme",
               "feature": "search", "model": "claude-sonnet-4-5", "prompt_version": null,
               "input_tokens": 5000, "output_tokens": 20, "cache_read_tokens": 4000,
               "cache_write_tokens": 0, "cost_usd": 0.000009, "cost_picousd": 9_000_000,
               "end_time_unix_nano": 1_700_000_000_000_000_000u64})
    );
    assert_eq!(requests[1]["trace_id"], format!("{:032x}", 1));
    // Ten minutes later they have left the window.
    let later: Value = serde_json::from_str(&spend.top_json_at(10_700)).unwrap();
    assert_eq!(later["requests"], json!([]));
}
