//! Spend as OTLP metrics: the request's shape and values, per-tenant resources, the config
//! checks, and an export through real destination queues to per-tenant files.

use super::*;
use crate::config::load_str;
use crate::spend::tests::payload;
use crate::spend::{SpendConfig, usd};
use opentelemetry_proto::tonic::metrics::v1::number_data_point::Value as PointValue;

fn spend(tenant_cap: usize, config: &SpendConfig) -> Spend {
    Spend::new(config, "tenant.id", "unknown", tenant_cap)
}

/// A metric's data points as `(attributes "k=v,...", value)`, the value rendered as text.
fn points(
    request: &ExportMetricsServiceRequest,
    resource: usize,
    name: &str,
) -> Vec<(String, String)> {
    let metric = request.resource_metrics[resource].scope_metrics[0]
        .metrics
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no {name} in {request:#?}"));
    let Some(Data::Sum(sum)) = &metric.data else {
        panic!("{name} is not a Sum");
    };
    sum.data_points
        .iter()
        .map(|p| {
            let attrs: Vec<String> = p
                .attributes
                .iter()
                .map(|kv| {
                    let v = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                        Some(any_value::Value::StringValue(s)) => s.clone(),
                        other => format!("{other:?}"),
                    };
                    format!("{}={v}", kv.key)
                })
                .collect();
            let value = match p.value {
                Some(PointValue::AsDouble(d)) => format!("{d}"),
                Some(PointValue::AsInt(i)) => format!("{i}i"),
                None => "none".into(),
            };
            (attrs.join(","), value)
        })
        .collect()
}

fn resource_attrs(request: &ExportMetricsServiceRequest, resource: usize) -> Vec<(String, String)> {
    request.resource_metrics[resource]
        .resource
        .as_ref()
        .unwrap()
        .attributes
        .iter()
        .map(|kv| {
            let Some(any_value::Value::StringValue(v)) =
                kv.value.as_ref().and_then(|v| v.value.clone())
            else {
                panic!("non-string resource attribute {kv:?}");
            };
            (kv.key.clone(), v)
        })
        .collect()
}

#[test]
fn cost_and_tokens_become_cumulative_monotonic_sums() {
    let s = spend(10, &SpendConfig::default());
    assert!(
        s.to_otlp(None, 1).is_none(),
        "nothing counted, nothing to send"
    );
    // $0.004 (1000 in, 400 of them cached, 200 out) and $0.005, one label set.
    s.record_at(
        &payload(
            &[("tenant.id", "acme")],
            &[
                (
                    1,
                    "gpt-4o",
                    Some(4_000_000_000),
                    [1000, 200, 400],
                    "chat",
                    "v3",
                ),
                (
                    2,
                    "gpt-4o",
                    Some(5_000_000_000),
                    [500, 100, 0],
                    "chat",
                    "v3",
                ),
            ],
        ),
        0,
    );
    let now = s.started_unix_nano + 5_000_000_000;
    let request = s.to_otlp(None, now).unwrap();
    assert_eq!(request.resource_metrics.len(), 1);
    assert_eq!(
        resource_attrs(&request, 0),
        [("service.name".to_string(), "sluice".to_string())]
    );
    let scope = &request.resource_metrics[0].scope_metrics[0];
    assert_eq!(scope.scope.as_ref().unwrap().name, "sluice.spend");
    for metric in &scope.metrics {
        let Some(Data::Sum(sum)) = &metric.data else {
            panic!("{metric:?}");
        };
        assert!(sum.is_monotonic, "{}", metric.name);
        assert_eq!(
            sum.aggregation_temporality,
            AggregationTemporality::Cumulative as i32
        );
        for p in &sum.data_points {
            assert_eq!(
                (p.start_time_unix_nano, p.time_unix_nano),
                (s.started_unix_nano, now)
            );
        }
    }
    let units: Vec<(&str, &str)> = scope
        .metrics
        .iter()
        .map(|m| (m.name.as_str(), m.unit.as_str()))
        .collect();
    assert_eq!(
        units,
        [("sluice.llm.cost", "USD"), ("sluice.llm.tokens", "{token}")]
    );
    let labels = "tenant=acme,feature=chat,model=gpt-4o,prompt_version=v3";
    assert_eq!(
        points(&request, 0, COST_METRIC),
        [(labels.to_string(), "0.009".to_string())]
    );
    let mut tokens = points(&request, 0, TOKENS_METRIC);
    tokens.sort();
    assert_eq!(
        tokens,
        [
            (format!("{labels},kind=cache_read"), "400i".to_string()),
            (format!("{labels},kind=input"), "1100i".to_string()),
            (format!("{labels},kind=output"), "300i".to_string()),
        ]
    );

    // Cumulative: the next export restates the whole sum from the same start.
    s.record_at(
        &payload(
            &[("tenant.id", "acme")],
            &[(3, "gpt-4o", Some(1_000_000_000), [10, 10, 0], "chat", "v3")],
        ),
        0,
    );
    let later = s.to_otlp(None, now + 1).unwrap();
    assert_eq!(points(&later, 0, COST_METRIC)[0].1, "0.01");
}

#[test]
fn empty_labels_are_left_out_and_unpriced_calls_have_tokens_only() {
    let s = spend(10, &SpendConfig::default());
    s.record_at(&payload(&[], &[(1, "mystery", None, [7, 3, 0], "", "")]), 0);
    let request = s.to_otlp(None, 1).unwrap();
    let metrics = &request.resource_metrics[0].scope_metrics[0].metrics;
    assert_eq!(metrics.len(), 1, "no cost metric without a priced call");
    let mut tokens = points(&request, 0, TOKENS_METRIC);
    tokens.sort();
    assert_eq!(
        tokens,
        [
            (
                "tenant=unknown,model=mystery,kind=input".to_string(),
                "7i".to_string()
            ),
            (
                "tenant=unknown,model=mystery,kind=output".to_string(),
                "3i".to_string()
            ),
        ]
    );
}

#[test]
fn per_tenant_one_resource_per_tenant_and_overflow_is_no_ones() {
    let s = spend(2, &SpendConfig::default());
    for (i, tenant) in ["acme", "globex", "initech", "umbrella"]
        .into_iter()
        .enumerate()
    {
        s.record_at(
            &payload(
                &[("tenant.id", tenant)],
                &[(i as u64, "gpt-4o", Some(1_000_000), [1, 1, 0], "", "")],
            ),
            0,
        );
    }
    let request = s.to_otlp(Some("tenant.id"), 1).unwrap();
    let resources: Vec<Vec<(String, String)>> = (0..request.resource_metrics.len())
        .map(|r| resource_attrs(&request, r))
        .collect();
    let svc = ("service.name".to_string(), "sluice".to_string());
    let tenant = |t: &str| ("tenant.id".to_string(), t.to_string());
    assert_eq!(
        resources,
        [
            vec![svc.clone(), tenant("acme")],
            vec![svc.clone(), tenant("globex")],
            // Two tenants past the cap of 2, counted together: no single tenant's.
            vec![svc.clone()],
        ]
    );
    assert_eq!(
        points(&request, 2, COST_METRIC),
        [(
            "tenant=other,model=gpt-4o".to_string(),
            "0.000002".to_string()
        )]
    );
    assert_eq!(
        points(&request, 1, COST_METRIC)[0].0,
        "tenant=globex,model=gpt-4o"
    );

    // Without overflow, a tenant really named `other` is that tenant.
    let s = spend(10, &SpendConfig::default());
    s.record_at(
        &payload(
            &[("tenant.id", "other")],
            &[(1, "m", Some(1), [1, 1, 0], "", "")],
        ),
        0,
    );
    let request = s.to_otlp(Some("tenant.id"), 1).unwrap();
    assert_eq!(resource_attrs(&request, 0), [svc, tenant("other")]);
}

#[test]
fn usd_is_the_nearest_double_to_the_exact_sum() {
    assert_eq!(usd(0), 0.0);
    assert_eq!(usd(7_500_000_000), 0.0075);
    assert_eq!(usd(1_000_000_000_000), 1.0);
    // Above 2^53 pico (~$9,007) `as f64 / 1e12` rounds twice; the decimal parse once.
    let pico: u128 = (1 << 60) + 12_345;
    let exact = format!(
        "{}.{:012}",
        pico / 1_000_000_000_000,
        pico % 1_000_000_000_000
    );
    assert_eq!(usd(pico), exact.parse::<f64>().unwrap());
    // Past u64 picoUSD ($18.4M) the sum keeps counting.
    assert_eq!(usd(50_000_000 * 1_000_000_000_000), 50_000_000.0);
}

const DESTINATIONS: &str = r#"
[[destinations]]
name = "main"
type = "discard"

[[destinations]]
name = "costs"
type = "otlp_grpc"
endpoint = "http://127.0.0.1:4317"
headers = { "x-scope-orgid" = "{tenant}" }
"#;

fn config(spend: &str) -> Result<Config, String> {
    let dir = tempfile::tempdir().unwrap();
    load_str(
        &format!("{DESTINATIONS}\n[spend]\n{spend}\n"),
        "sluice.toml",
        dir.path(),
    )
    .map_err(|e| e.to_string())
}

#[test]
fn the_export_config_is_checked_and_resolved() {
    let c = config("export = { destination = \"costs\" }").unwrap();
    let e = SpendExport::from_config(&c).unwrap();
    assert_eq!(
        (
            e.destination,
            e.name.as_str(),
            e.interval,
            e.per_tenant.as_deref()
        ),
        (1, "costs", Duration::from_secs(60), Some("tenant.id")),
        "the header template makes it per tenant"
    );
    let c = config("export = { destination = \"main\", interval_ms = 500 }").unwrap();
    let e = SpendExport::from_config(&c).unwrap();
    assert_eq!(
        (e.interval, e.per_tenant),
        (Duration::from_millis(500), None)
    );
    assert!(SpendExport::from_config(&config("").unwrap()).is_none());

    let err = config("export = { destination = \"nope\", interval_ms = 10 }").unwrap_err();
    assert!(
        err.contains(
            "spend.export.destination: unknown destination `nope` (configured: `main`, `costs`)"
        ),
        "{err}"
    );
    assert!(
        err.contains("spend.export.interval_ms: 10 is outside 100..=86400000"),
        "{err}"
    );
    let err = config("export = { destination = \"main\", every = 1 }").unwrap_err();
    assert!(
        err.contains("spend.export") && err.contains("every"),
        "{err}"
    );
}

/// Through the real queues: a per-tenant `file` destination gets one file per tenant, each
/// with only that tenant's spend.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exported_through_the_queues_each_tenant_gets_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[[destinations]]\nname = \"costs\"\ntype = \"file\"\npath = \"{}/spend-{{tenant}}.jsonl\"\n\
         [spend]\nexport = {{ destination = \"costs\", interval_ms = 100 }}\n",
        dir.path().display()
    );
    let config = load_str(&text, "sluice.toml", dir.path()).unwrap();
    let metrics = Arc::new(Metrics::with_spend(10, Spend::from_config(&config)));
    let exports = Arc::new(Exports::start(&config, &metrics).unwrap());
    let export = Arc::new(SpendExport::from_config(&config).unwrap());
    for (i, tenant, pico) in [(1, "acme", 4_000_000_000u64), (2, "globex", 10_000_000_000)] {
        metrics.spend().record(&payload(
            &[("tenant.id", tenant)],
            &[(i, "gpt-4o", Some(pico), [1000, 200, 0], "chat", "")],
        ));
    }
    let stop = CancellationToken::new();
    let task = export.spawn(
        metrics.clone(),
        exports.clone(),
        stop.clone(),
        Duration::from_secs(5),
    );
    // At least one periodic export, then the final one.
    tokio::time::sleep(Duration::from_millis(250)).await;
    stop.cancel();
    task.await.unwrap();
    exports.shutdown(Duration::from_secs(5)).await;

    for (tenant, usd) in [("acme", 0.004), ("globex", 0.01)] {
        let text =
            std::fs::read_to_string(dir.path().join(format!("spend-{tenant}.jsonl"))).unwrap();
        // The queue may merge exports into one line; each export is one resource.
        let mut exported = 0;
        for line in text.lines() {
            let Payload::Metrics(m) = crate::otlp::json::decode_line(line).unwrap().remove(0)
            else {
                panic!("not metrics: {line}");
            };
            for r in 0..m.resource_metrics.len() {
                exported += 1;
                assert_eq!(
                    resource_attrs(&m, r),
                    [
                        ("service.name".to_string(), "sluice".to_string()),
                        ("tenant.id".to_string(), tenant.to_string())
                    ]
                );
                assert_eq!(
                    points(&m, r, COST_METRIC),
                    [(
                        format!("tenant={tenant},feature=chat,model=gpt-4o"),
                        format!("{usd}")
                    )]
                );
            }
        }
        assert!(exported >= 2, "periodic and final exports: {text}");
    }
}
